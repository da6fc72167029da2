/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_sample: `vtune-agent sample` — two readings of the guest view, one
 * sample printed as a table or as JSON. */
#include "agent.h"
#include "ethchan.h"
#include "gv_emit.h"
#include "gv_print.h"
#include "gv_reader.h"
#include "gview.h"
#include "parse.h"
#include "sockdiag.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"usage: vtune-agent sample [--interval SECONDS] [--json] [--root DIR]\n"
	"                          [--then DIR] [--no-netlink] [--record-netlink DIR]\n"
	"\n"
	"Read the guest view, wait SECONDS (default 1), read it again and print the\n"
	"rates and gauges between the two readings.\n"
	"\n"
	"  -i, --interval S       time between the two readings (0.01 .. 3600)\n"
	"  -j, --json             one JSON object instead of the table\n"
	"  -r, --root DIR         read /proc and /sys under DIR (default /)\n"
	"      --then DIR         take the second reading from DIR instead of waiting\n"
	"                         (replaying two captured trees: rates over the\n"
	"                         difference of their proc/uptime; SECONDS only when a\n"
	"                         capture has none)\n"
	"      --no-netlink       skip sock_diag (listeners, ports in use)\n"
	"      --record-netlink DIR  also save the raw sock_diag and ethtool answers in DIR\n"
	"  -h, --help             this text\n";

int agent_take_sample(const char *cmd, const char *root, const char *then, double interval,
		      int flags, struct gv_sample *s)
{
	struct gv_reading a, b;
	struct gv_reader *rd = NULL;
	if (then) {
		if (gv_read(root, flags, &a)) {
			fprintf(stderr, "vtune-agent %s: out of memory\n", cmd);
			return 1;
		}
		if (gv_read(then, flags, &b)) {
			gv_reading_free(&a);
			return 1;
		}
		/* a capture's clock is its /proc/uptime */
		if (a.has_uptime && b.has_uptime) {
			if (b.uptime_s <= a.uptime_s) {
				fprintf(stderr, "vtune-agent %s: %s's uptime (%.2f s) is not later than "
					"%s's (%.2f s): not two captures of one boot, in order\n",
					cmd, then, b.uptime_s, root, a.uptime_s);
				gv_reading_free(&a);
				gv_reading_free(&b);
				return 1;
			}
			interval = b.uptime_s - a.uptime_s;
		} else {
			fprintf(stderr, "vtune-agent %s: %s has no proc/uptime: rates over "
				"--interval %.2f s\n", cmd, a.has_uptime ? then : root, interval);
		}
		b.mono_ns = a.mono_ns + (uint64_t)(interval * 1e9);
	} else {
		/* a reader: the kernel log is read from the first reading on */
		rd = gv_reader_new(NULL);
		if (!rd || gv_reader_read(rd, root, flags, &a)) {
			gv_reader_free(rd);
			fprintf(stderr, "vtune-agent %s: out of memory\n", cmd);
			return 1;
		}
		struct timespec ts = { (time_t)interval, (long)((interval - floor(interval)) * 1e9) };
		while (nanosleep(&ts, &ts))
			;
		if (gv_reader_read(rd, root, flags, &b)) {
			gv_reading_free(&a);
			gv_reader_free(rd);
			return 1;
		}
		gv_reader_free(rd);
	}
	int r = gv_sample_compute(&a, &b, s);
	gv_reading_free(&a);
	gv_reading_free(&b);
	if (r) {
		fprintf(stderr, "vtune-agent %s: cannot compute rates: %s\n", cmd, strerror(-r));
		return 1;
	}
	return 0;
}

int agent_sample_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "root", required_argument, NULL, 'r' },
		{ "then", required_argument, NULL, 't' },
		{ "no-netlink", no_argument, NULL, 'n' },
		{ "record-netlink", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	double interval = 1.0;
	int json = 0, flags = GV_READ_NETLINK, c;
	const char *root = "/", *then = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:jr:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_double(optarg, &interval) || interval < 0.01 || interval > 3600) {
				fprintf(stderr, "vtune-agent sample: --interval: '%s' is not a number of seconds in 0.01..3600\n", optarg);
				return 2;
			}
			break;
		case 'j': json = 1; break;
		case 'r': root = optarg; break;
		case 't': then = optarg; break;
		case 'n': flags &= ~GV_READ_NETLINK; break;
		case 'R':
			sockdiag_set_record_dir(optarg);
			ethchan_set_record_dir(optarg);
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: return 2; /* getopt said what, on one line */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtune-agent sample: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}

	struct gv_sample s;
	if (agent_take_sample("sample", root, then, interval, flags, &s))
		return 1;
	int r = 0;
	if (json) {
		struct gv_text t = { 0 };
		r = gv_emit_sample(&s, &t);
		if (r != -ENOMEM) /* -EINVAL: printed all the same */
			puts(t.p);
		gv_text_free(&t);
	} else {
		gv_sample_print(stdout, &s);
	}
	gv_sample_free(&s);
	if (r == -ENOMEM) {
		fprintf(stderr, "vtune-agent sample: out of memory\n");
		return 1;
	}
	return 0;
}
