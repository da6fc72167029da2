/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pinplan: host-wide CPU placement, for every guest of a host at once:
 * which CPUs the housekeeping work gets (Xen: dom0's vCPUs; KVM: emulator
 * and I/O threads, vhost workers) from its measured load, the busiest
 * first, and where every guest's vCPUs go (off those CPUs); and spreading
 * a set of threads (vhost workers, netback kthreads) over CPUs by load.
 * Pure functions over bitmaps (cpulist.h layout), for both backends. */
#ifndef VTUNE_PINPLAN_H
#define VTUNE_PINPLAN_H

#include <stddef.h>
#include <stdint.h>

#define PIN_MAX_CPUS 1024
#define PIN_MAPLEN (PIN_MAX_CPUS / 8)

/* One unit of housekeeping work: the CPU it runs on now (-1 unknown) and
 * its measured load in % of one CPU (busy time, not waiting). */
struct pin_task {
	int cpu;
	double load;
};

/* A guest's vCPUs: where each runs now (-1 unknown). */
struct pin_guest {
	const int *cpu;
	size_t nv;
};

struct pin_in {
	int ncpus;		  /* CPUs of the host (bits of the maps) */
	const uint8_t *online;	  /* those that may be used */
	const struct pin_task *hk; /* the housekeeping work */
	size_t nhk;
	int max_hk;		  /* at most this many CPUs (Xen: dom0's vCPUs; 0: none) */
	const struct pin_guest *g; /* every guest of the host */
	size_t ng;
};

/* How much the housekeeping needs: ceil((sum of loads - 25 %) / 100 %), at
 * least 1 (a quarter of a CPU of overcommit is tolerated, not more), at
 * most max_hk. */
int pin_need(const struct pin_task *hk, size_t nhk, int max_hk);

/* Choose the housekeeping CPUs into hk_set (PIN_MAPLEN bytes): pin_need of
 * them; first the CPUs the busiest tasks run on (busiest first), then the
 * online CPUs the fewest guest vCPUs run on (lowest number on a tie). The
 * guests keep every other online CPU. *need gets the need. 0, -ENOSPC when
 * that would leave the guests no CPU (why says so), -EINVAL. */
int pin_plan_housekeeping(const struct pin_in *in, uint8_t *hk_set, int *need, char *why,
			  size_t n);

/* The CPUs the guests get: online minus hk_set, into out. */
void pin_guest_set(const uint8_t *online, const uint8_t *hk_set, int ncpus, uint8_t *out);

/* Spread threads (their loads, n of them) over the CPUs of set: the busiest
 * first, each onto the CPU with the least load so far (lowest number on a
 * tie): cpu_out[i] gets thread i's CPU. 0 or -EINVAL (empty set). */
int pin_spread(const double *load, size_t n, const uint8_t *set, int ncpus, int *cpu_out);

#endif
