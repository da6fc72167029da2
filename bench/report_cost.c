/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report_cost: what hostd spends reading one report line, beside the
 * general decoder in the same run. Reads a report line from FILE and
 * decodes it N times with report_scan (hostd's reader) and with wire_decode
 * (strict check + json-c tree, what hostd used before), printing the CPU
 * time per line of each as JSON. `report_cost FILE N scan` runs only the
 * first loop (for callgrind instruction counts).
 * usage: report_cost FILE N [scan] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "report_scan.h"
#include "wire.h"

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char line[WIRE_MAX_LINE + 2];
	if (argc < 3) {
		fputs("usage: report_cost FILE N [scan]\n", stderr);
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f || !fgets(line, sizeof line, f)) {
		fprintf(stderr, "report_cost: cannot read a line from %s\n", argv[1]);
		return 1;
	}
	fclose(f);
	size_t len = strcspn(line, "\n");
	uint64_t n;
	if (parse_u64(argv[2], &n)) {
		fprintf(stderr, "report_cost: N: '%s' is not a count\n", argv[2]);
		return 1;
	}
	int only_scan = argc > 3 && !strcmp(argv[3], "scan");

	double t0 = cpu_s();
	for (uint64_t i = 0; i < n; i++) {
		struct report_scan rs;
		if (report_scan(line, len, &rs) != 1) {
			fputs("report_cost: not a good report line\n", stderr);
			return 1;
		}
		free(rs.keep);
	}
	double t1 = cpu_s();
	if (only_scan)
		return 0;
	for (uint64_t i = 0; i < n; i++) {
		struct wire_msg m;
		char err[256];
		if (wire_decode(line, len, &m, err, sizeof err)) {
			fprintf(stderr, "report_cost: wire_decode: %s\n", err);
			return 1;
		}
		wire_msg_free(&m);
	}
	double t2 = cpu_s();
	printf("{\"bytes\": %zu, \"scan_us\": %.3f, \"decode_us\": %.3f}\n", len,
	       (t1 - t0) * 1e6 / (double)n, (t2 - t1) * 1e6 / (double)n);
	return 0;
}
