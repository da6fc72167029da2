/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sample_cost: CPU time of one full guest-view reading (every group, with
 * sock_diag) and of one sample (two readings' rates + metrics + JSON), by a
 * repeat loop through a gv_reader, as the agent's sampler reads (files kept
 * open, exact counts of ports in use scheduled with the agent's defaults,
 * the settings read every 10 s / INTERVAL readings: the agent's default
 * interval is 5 s).
 * Each sample is timed on its own (thread CPU clock, system calls
 * included). Prints one line for people, then one JSON object: samples,
 * mean / median / min / max CPU per sample (µs), user and sys, the exact
 * counts of ports in use taken in the loop and their CPU, and the CPU of
 * the first reading's exact count (before the loop: what one exact count
 * costs here). Usage: sample_cost [N] [ROOT] [INTERVAL] */
#include "gv_emit.h"
#include "gv_reader.h"
#include "gview.h"
#include "parse.h"
#include "vclock.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static void cpu_us(double *user, double *sys)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	*user = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec;
	*sys = ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint64_t arg = 2000;
	if (argc > 1 && parse_u64(argv[1], &arg)) {
		fprintf(stderr, "sample_cost: '%s' is not a count of samples\n", argv[1]);
		return 1;
	}
	int n = arg > 1000000 ? 1000000 : (int)arg;
	const char *root = argc > 2 ? argv[2] : "/";
	double interval = 5;
	if (argc > 3 && (parse_double(argv[3], &interval) || !(interval >= 0.1))) {
		fprintf(stderr, "sample_cost: '%s' is not an interval (s, >= 0.1)\n", argv[3]);
		return 1;
	}
	if (n < 1)
		n = 1;
	if (n > 1000000)
		n = 1000000;
	double *us = malloc((size_t)n * sizeof *us);
	struct gv_reader *rd = gv_reader_new(NULL);
	if (!us || !rd)
		return 1;
	gv_reader_set_interval(rd, interval);
	struct gv_reading prev, cur;
	struct gv_text text = { 0 };
	gv_reader_read(rd, root, GV_READ_NETLINK, &prev);
	uint64_t counts0 = prev.ports.exact_counts, cpu0 = prev.ports.exact_cpu_ns;
	double u0, s0, u1, s1;
	cpu_us(&u0, &s0);
	for (int i = 0; i < n; i++) {
		uint64_t c0 = vclock_cpu_ns();
		gv_reader_read(rd, root, GV_READ_NETLINK, &cur);
		cur.mono_ns = prev.mono_ns + 1000000000ull;
		struct gv_sample s;
		if (gv_sample_compute(&prev, &cur, &s) == 0) {
			gv_emit_report(&s, &text);
			gv_sample_free(&s);
		}
		gv_reading_free(&prev);
		prev = cur;
		us[i] = (double)(vclock_cpu_ns() - c0) / 1e3;
	}
	cpu_us(&u1, &s1);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += us[i];
	qsort(us, (size_t)n, sizeof *us, cmp);
	double med = n % 2 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2;
	uint64_t counts = prev.ports.exact_counts - counts0;
	double count_us = (double)(prev.ports.exact_cpu_ns - cpu0) / 1e3;
	printf("sample_cost: %d samples, %.1f us CPU per sample (user %.1f us + sys %.1f us; "
	       "reading + rates + JSON), median %.1f us; %llu exact port counts in the loop\n",
	       n, (u1 - u0 + s1 - s0) / n, (u1 - u0) / n, (s1 - s0) / n, med,
	       (unsigned long long)counts);
	printf("{\"samples\": %d, \"cpu_us\": %.3f, \"user_us\": %.3f, \"sys_us\": %.3f, "
	       "\"median_us\": %.3f, \"min_us\": %.3f, \"max_us\": %.3f, "
	       "\"exact_counts\": %llu, \"exact_cpu_us\": %.1f, \"first_count_us\": %.1f, "
	       "\"first_counts\": %llu, \"ports_in_use\": %llu, \"ports_known\": %d, "
	       "\"listeners\": %d}\n",
	       n, sum / n, (u1 - u0) / n, (s1 - s0) / n, med, us[0], us[n - 1],
	       (unsigned long long)counts, count_us, (double)cpu0 / 1e3,
	       (unsigned long long)counts0, (unsigned long long)prev.ports.in_use,
	       prev.ports.in_use_known, prev.nlisteners);
	gv_reading_free(&prev);
	gv_text_free(&text);
	gv_reader_free(rd);
	free(us);
	return 0;
}
