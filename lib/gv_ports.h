/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_ports: how many ephemeral ports are in use, without walking every
 * socket every interval. The exact count (a sock_diag dump of every TCP
 * socket) costs in proportion to the number of sockets; it is taken only
 * when sockstat's O(1) total says the ports could be short, at most once
 * per period and within a CPU budget (lib/budget.h). Between counts the
 * last one is reported with its age. */
#ifndef VTUNE_GV_PORTS_H
#define VTUNE_GV_PORTS_H

#include <stddef.h>
#include <stdint.h>

#include "gview.h"

#define GV_PORTS_BUDGET_PCT 0.5	 /* default: % of one CPU, averaged over */
#define GV_PORTS_WINDOW_S 60	 /* ... this window */
#define GV_PORTS_PERIOD_S 10.0	 /* default: at most one exact count per period */
/* The exact count is needed only when every TCP socket (sockstat: in use,
 * v4 and v6, and TIME_WAIT) is at least 1/GV_PORTS_SIGNAL_DIV of the range:
 * below that the total is reported as an upper bound. */
#define GV_PORTS_SIGNAL_DIV 16

struct gv_ports_cfg {
	double budget_pct; /* 0 .. 100 % of one CPU; 0: never count exactly */
	double period_s;   /* >= 0 */
};

/* The counter: sockdiag_count_ports, or a test's (skip: the listeners'
 * ports, sorted, that are not counted). */
typedef int (*gv_ports_count_fn)(const char *root, uint32_t lo, uint32_t hi,
				 const uint16_t *skip, size_t nskip, uint64_t *n);

struct gv_ports_sched;

/* A scheduler for one sampler (cfg NULL: the defaults). NULL on no memory. */
struct gv_ports_sched *gv_ports_sched_new(const struct gv_ports_cfg *cfg);
void gv_ports_sched_free(struct gv_ports_sched *ps);
/* Tests: count with fn instead of sock_diag. */
void gv_ports_sched_set_counter(struct gv_ports_sched *ps, gv_ports_count_fn fn);

/* Set r->ports.in_use (the ephemeral ports of the range that outgoing
 * connections hold: sockets on a port some listener of r->listeners uses
 * are not counted), in_use_known, in_use_bound, in_use_age_s,
 * exact_counts and exact_cpu_ns for a reading whose port range and
 * sockstat are read (a failed sockstat counts as "could matter"):
 *  - the sockstat total when it is under the range / GV_PORTS_SIGNAL_DIV,
 *    or under the last exact count: an upper bound, age 0;
 *  - else a fresh exact count when the period and the budget allow it (or
 *    the range changed since the last one, budget permitting);
 *  - else the last exact count of this range, with its age;
 *  - else unknown.
 * ps NULL: no schedule, every reading that needs it counts (one-shot
 * commands and tests). */
void gv_ports_fill(struct gv_ports_sched *ps, const char *root, struct gv_reading *r);

/* Set r->synq: the listener with the most half-open connections, from a
 * dump of SYN_RECV sockets (sockdiag_synrecv) taken only when SYNs
 * overflowed a queue since the last reading (SyncookiesSent,
 * TCPReqQFullDrop or TCPReqQFullDoCookies moved), at most once per period
 * and within the same CPU budget as the ports count; between dumps the last
 * one is given with its age while the overflow goes on. ps NULL: a dump
 * whenever the counters show any overflow since boot. Needs r->listeners
 * and r->nstat read. */
void gv_synq_fill(struct gv_ports_sched *ps, const char *root, struct gv_reading *r);

#endif
