/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_procs: the processes behind the listeners and their open-file limits.
 * A listener's socket inode (sock_diag) is found among the processes'
 * descriptors (/proc/PID/fd) by a walk of /proc that costs in proportion
 * to every descriptor of every process: it runs only when a listener's
 * process is not known yet, at most once per GV_PROCS_SCAN_PERIOD_S, at
 * most GV_PROCS_SCAN_MAX descriptors at a time (the next walk goes on
 * where this one stopped) and within a CPU budget (lib/budget.h). Each
 * reading then reads only the known processes' limits and status: their
 * fd table size (FDSize) bounds their open descriptors for free; they are
 * counted exactly (a listing of /proc/PID/fd) only when that bound comes
 * near the limit, at most once per GV_PROCS_COUNT_PERIOD_S, within the
 * same budget, with the age of the count reported. Those files are read
 * at most every GV_PROCS_READ_PERIOD_S while the listeners' processes stay
 * the same (between, the last figures, their age growing). The walk also
 * notes whether irqbalance runs. */
#ifndef VTUNE_GV_PROCS_H
#define VTUNE_GV_PROCS_H

#include <stddef.h>
#include <stdint.h>

#include "gview.h"

#define GV_PROCS_SCAN_PERIOD_S 30.0   /* /proc walks for unknown listeners */
#define GV_PROCS_RESCAN_S 600.0	      /* a walk anyway (irqbalance) */
#define GV_PROCS_COUNT_PERIOD_S 10.0  /* exact descriptor counts */
#define GV_PROCS_SCAN_MAX 200000      /* descriptors looked at per walk */
#define GV_PROCS_BUDGET_PCT 0.5	      /* % of one CPU over a minute */
#define GV_PROCS_NEAR_PCT 80.0	      /* FDSize at this % of the limit: count */
#define GV_PROCS_READ_PERIOD_S 5.0    /* the known processes' files, at most */

struct gv_procs_sched;

/* A schedule for one sampler; NULL on no memory. */
struct gv_procs_sched *gv_procs_sched_new(void);
void gv_procs_sched_free(struct gv_procs_sched *ps);

/* For a reading whose listeners are read: set each listener's pid and
 * fill r->procs (and r->irq.irqbalance from the walk and irqbalance's
 * socket). ps NULL: walk and count every time (one-shot commands, fixture
 * trees). */
void gv_procs_fill(struct gv_procs_sched *ps, const char *root, struct gv_reading *r);

/* "Max open files  SOFT  HARD  files" of /proc/PID/limits ("unlimited":
 * UINT64_MAX). 0 or -EINVAL with a reason in err. */
int gv_parse_limits(char *text, uint64_t *soft, uint64_t *hard, char *err, size_t n);

/* The open-file figures of one process under root: limits, comm and its
 * descriptors counted exactly (fds). 0 or -errno. */
int gv_proc_read(const char *root, int pid, struct gv_proc *p);

/* Processes holding any of the n socket inodes: pids[i] for inodes[i] (0:
 * not found), walking root's proc/ from pid after *cursor and looking at
 * most max_fds descriptors; *cursor is where to go on next time (0: the
 * walk ended). *irqbalance set to 1 when a process named irqbalance was
 * seen. 0 or -errno. */
int gv_procs_walk(const char *root, const uint32_t *inodes, int n, int *pids,
		  int *cursor, uint64_t max_fds, int *irqbalance);

#endif
