/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procstat: the one parser of /proc/stat's CPU lines ("cpu" and "cpuN"),
 * for the guest view, the host view and the backends' dom0 load, and the
 * busy % of each CPU between two readings. */
#ifndef VTUNE_PROCSTAT_H
#define VTUNE_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

#define PROCSTAT_MAX_CPUS 1024 /* per-CPU lines kept; a larger id is refused */

/* One CPU line in USER_HZ ticks. id -1 for the "cpu" total line. */
struct procstat_cpu {
	int id;
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
};

/* The CPU lines of one /proc/stat. */
struct procstat {
	int have_total;		  /* the "cpu" line was there */
	struct procstat_cpu total;
	int ncpu;		  /* "cpuN" lines, in file order */
	struct procstat_cpu *cpu; /* malloc'd, ncpu of them (NULL when none) */
};

/* Parse the CPU lines of a /proc/stat text into s (zeroed or freed by the
 * caller first; s->cpu is allocated). Lines not starting with "cpu" are
 * skipped. Kernels before 2.6.11 had no steal field: at least 4 numbers
 * are needed, missing ones are 0, and guest / guest_nice (already in user
 * and nice) are ignored. 0, -EINVAL with the reason in err (n bytes, may
 * be NULL) for a bad line, more than PROCSTAT_MAX_CPUS lines or an id at
 * least that, -ENOMEM. A missing total line is not an error (have_total). */
int procstat_parse(const char *text, struct procstat *s, char *err, size_t n);

/* Read <root>/proc/stat (kfs) and parse it. 0 or -errno. */
int procstat_read(const char *root, struct procstat *s);

void procstat_free(struct procstat *s); /* frees s->cpu; s is zeroed */

/* Ticks of a line: all eight fields, and those not idle, iowait or steal. */
uint64_t procstat_total_ticks(const struct procstat_cpu *c);
uint64_t procstat_busy_ticks(const struct procstat_cpu *c);

/* Busy % of one line between two readings (0..100; 0 when no tick
 * passed or the counters went back). */
double procstat_pct(const struct procstat_cpu *a, const struct procstat_cpu *b);

/* Each CPU's busy % between a and b into pct[id] (max entries, -1 for ids
 * not listed). The number of per-CPU lines, or -EINVAL when there are
 * none or the two readings list different CPUs (hot-plug). */
int procstat_each(const struct procstat *a, const struct procstat *b, double *pct, int max);

/* Mean and busiest of the per-CPU busy % between a and b. 0 or -EINVAL
 * (as procstat_each). */
int procstat_busy(const struct procstat *a, const struct procstat *b, double *mean,
		  double *max);

#endif
