/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_emit: a guest-view sample as JSON text, written by hand into one
 * reusable buffer, in two sizes: the whole document, every group, for
 * `vtune-agent sample --json`; and the report a `report` message carries
 * to the host: the flat metrics and the parts hostd keeps for `vtune
 * report` (lib/report_scan.h), at the same places. Keys, order and digits
 * are fixed by golden files (tests/fixtures/emit, test_gv_emit). */
#ifndef VTUNE_GV_EMIT_H
#define VTUNE_GV_EMIT_H

#include <stddef.h>

#include "gview.h"

/* A growing text buffer, kept from one sample to the next. */
struct gv_text {
	char *p;	/* NUL-terminated once written */
	size_t len, cap;
};

/* Write the sample as one JSON object into t (replacing its text): every
 * group of the sample, plus "metrics", the flat guest.* values by name.
 * Returns 0; -EINVAL when the text holds a non-finite number or a string
 * that is not UTF-8 (written all the same, but no peer accepts it); or
 * -ENOMEM. */
int gv_emit_sample(const struct gv_sample *s, struct gv_text *t);

/* The same for the wire: "interval_s", "errors", "metrics", and of the
 * groups only what hostd keeps: the busiest CPU's entry of cpu.per_cpu,
 * the first RSCAN_KEEP_LISTENERS listeners, softnet.net_rx_hot_cpu,
 * "kmsg" and "processes". Returns as gv_emit_sample. */
int gv_emit_report(const struct gv_sample *s, struct gv_text *t);

/* The same walk as the table people read (gv_print.h): every group of the
 * sample, failed ones with their error; 0 or -ENOMEM. */
int gv_emit_table(const struct gv_sample *s, struct gv_text *t);

/* Append the bytes to t (kept NUL-terminated). 0 or -ENOMEM. */
int gv_text_add(struct gv_text *t, const char *s, size_t n);

/* Append a double as json-c writes json_object_new_double: "%.17g", with
 * ".0" added to a whole number. Returns 0, -EINVAL (not finite: written as
 * json-c does, "NaN" or "[-]Infinity") or -ENOMEM. */
int gv_text_double(struct gv_text *t, double v);

void gv_text_free(struct gv_text *t);

#endif
