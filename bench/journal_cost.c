/* SPDX-License-Identifier: GPL-2.0-or-later */
/* journal_cost: what a journal's size costs at start-up (make bench,
 * bench/run-all's journal part).
 *   journal_cost gen PATH CLOSED OPEN   write CLOSED changes that are
 *       reverted (two records each) and OPEN changes still applied, with
 *       compaction off: the file a journal would become without it
 *   journal_cost open PATH ro|rw        open it once; print one JSON line:
 *       {"open_ms":..,"maxrss_kb":..,"in_memory":..,"damaged":..}
 *   journal_cost run PATH CLOSED N      CLOSED changes reverted one by one,
 *       journal_maintain every N (a daemon's tick): the file stays small
 * Each open runs in a fresh process (the caller's), so maxrss is its own. */
#include "journal.h"
#include "log.h"
#include "parse.h"
#include "vclock.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const struct jrec rec = {
	.side = "guest", .domain = "vm-0001", .kind = "sysctl", .target = "",
	.key = "net.core.somaxconn", .old = "4096", .new = "8192", .rule = "listen-overflow",
	.why = "guest.tcp.listen_overflows=52.0/s", .guest = "vm-0001",
};

static int gen(const char *path, long closed, long open, long every)
{
	int err = 0;
	struct journal *j = journal_open(path, &err);
	if (!j) {
		fprintf(stderr, "journal_cost: %s: %s\n", path, strerror(-err));
		return 1;
	}
	if (!every)
		journal_set_compact(j, 0);
	journal_batch_begin(j);
	for (long i = 0; i < closed; i++) {
		int64_t s = journal_intent(j, &rec);
		if (s < 0 || journal_mark(j, s, "reverted", "restored") < 0) {
			fprintf(stderr, "journal_cost: write failed at %ld\n", i);
			return 1;
		}
		if (every && (i + 1) % every == 0) {
			journal_batch_end(j);
			journal_maintain(j);
			journal_batch_begin(j);
		}
	}
	for (long i = 0; i < open; i++) {
		int64_t s = journal_intent(j, &rec);
		if (s < 0 || journal_mark(j, s, "applied", NULL) < 0)
			return 1;
	}
	journal_batch_end(j);
	journal_close(j);
	return 0;
}

/* A count from the command line: 0 .. LONG_MAX, else -1. */
static long count_arg(const char *s)
{
	uint64_t v;
	return parse_u64(s, &v) || v > LONG_MAX ? -1 : (long)v;
}

int main(int argc, char **argv)
{
	log_init("journal_cost", LOG_TO_STDERR, LOG_WARNING);
	long a = argc == 5 ? count_arg(argv[3]) : -1, b = argc == 5 ? count_arg(argv[4]) : -1;
	if (argc == 5 && !strcmp(argv[1], "gen") && a >= 0 && b >= 0)
		return gen(argv[2], a, b, 0);
	if (argc == 5 && !strcmp(argv[1], "run") && a >= 0 && b >= 0)
		return gen(argv[2], a, 0, b);
	if (argc == 4 && !strcmp(argv[1], "open")) {
		int err = 0, ro = !strcmp(argv[3], "ro");
		double t0 = now_ms();
		struct journal *j = ro ? journal_open_ro(argv[2], &err) : journal_open(argv[2], &err);
		double t1 = now_ms();
		if (!j) {
			fprintf(stderr, "journal_cost: %s: %s\n", argv[2], strerror(-err));
			return 1;
		}
		/* VmHWM, not ru_maxrss: that one keeps the peak of the process
		 * before exec (a Python parent's fork) */
		long hwm = -1;
		char line[128];
		FILE *f = fopen("/proc/self/status", "re");
		while (f && fgets(line, sizeof line, f)) {
			/* "VmHWM:\t    1234 kB" */
			const char *e;
			uint64_t kb;
			if (strncmp(line, "VmHWM:", 6))
				continue;
			if (!parse_u64_prefix(line + 6 + strspn(line + 6, " \t"), &e, &kb) &&
			    kb <= LONG_MAX) {
				hwm = (long)kb;
				break;
			}
		}
		if (f)
			fclose(f);
		printf("{\"open_ms\":%.2f,\"maxrss_kb\":%ld,\"in_memory\":%zu,\"damaged\":%zu}\n", t1 - t0,
		       hwm, journal_count(j), journal_corrupt_count(j));
		journal_close(j);
		return 0;
	}
	fprintf(stderr, "usage: journal_cost gen PATH CLOSED OPEN | open PATH ro|rw | run PATH CLOSED N\n");
	return 2;
}
