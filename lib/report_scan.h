/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report_scan: hostd's reader for the message every guest sends every
 * interval. One jscan pass, no JSON tree: the envelope, the guest.* metrics
 * checked against the catalogue, and the few parts of the sample that
 * `vtune report` shows, copied as text. Any other message, or a line that
 * is not a valid report, is left to wire_decode (which says why). */
#ifndef VTUNE_REPORT_SCAN_H
#define VTUNE_REPORT_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

#define RSCAN_KEEP_LISTENERS 64 /* listeners kept for `vtune report` */

struct report_scan {
	unsigned v;		  /* protocol version of the line */
	uint64_t seq, mono_ns;	  /* as struct wire_report */
	double interval_s;
	unsigned unknown_fields;  /* envelope fields not in the protocol */
	struct mvec metrics;	  /* sample.metrics: guest.* catalogue metrics */
	unsigned unknown_metrics; /* sample.metrics names that are not */
	/* A JSON object with what `vtune report` needs of the sample: the first
	 * RSCAN_KEEP_LISTENERS listeners, the busiest entry of cpu.per_cpu,
	 * softnet.net_rx_hot_cpu, kmsg (up to 1 KiB) and processes (up to 4
	 * KiB), each only when present. Heap, NUL-terminated;
	 * the caller takes it (free()). */
	char *keep;
	size_t keep_len;
	char why[160]; /* the reason a report's sample was refused */
};

/* Read line[0..len) as a report.
 *  1: a valid report with an acceptable sample: *out filled (out->keep is
 *     the caller's to free);
 *  0: not a report, or not a valid one: decode it with wire_decode;
 *  -EINVAL: a valid report whose sample is refused: sample.metrics missing
 *     or not an object, or a guest.* metric that is not a finite number in
 *     its unit's range (out->why says which, and out->keep is NULL);
 *  -ENOMEM. */
int report_scan(const char *line, size_t len, struct report_scan *out);

#endif
