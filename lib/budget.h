/* SPDX-License-Identifier: GPL-2.0-or-later */
/* budget: a CPU budget for an optional, costly task (the exact count of
 * ports in use): the CPU its runs took, kept over a sliding window, against
 * a share of one CPU averaged over that window. Pure arithmetic on the
 * times it is given; no clock of its own. */
#ifndef VTUNE_BUDGET_H
#define VTUNE_BUDGET_H

#include <stdint.h>

/* Runs remembered. A run is allowed only when every run still inside the
 * window is remembered, so at most this many run per window. */
#define BUDGET_RUNS 64

struct budget {
	double share;	    /* of one CPU: 0.005 is 0.5 %; 0: never run */
	uint64_t window_ns; /* averaging window */
	unsigned n, next;   /* runs remembered; the slot the next one takes */
	struct {
		uint64_t start_ns, cpu_ns;
	} run[BUDGET_RUNS];
};

/* An empty budget: share of one CPU (0 .. 1) over window_ns (> 0). */
void budget_init(struct budget *b, double share, uint64_t window_ns);

/* May a run expected to take est_ns of CPU start at now_ns? Yes when the
 * runs started in the last W, this one included, took at most share x W,
 * with W the window, or est_ns / share when that is longer (a run that
 * costs more than the whole window's budget then waits until the average
 * since the last run is within the share). A first run is always allowed
 * when share > 0. */
int budget_may_run(const struct budget *b, uint64_t now_ns, uint64_t est_ns);

/* Record a run that started at start_ns (not before the last one's) and
 * took cpu_ns of CPU. */
void budget_charge(struct budget *b, uint64_t start_ns, uint64_t cpu_ns);

/* CPU taken by the runs started in (now_ns - window, now_ns]. */
uint64_t budget_spent(const struct budget *b, uint64_t now_ns);

#endif
