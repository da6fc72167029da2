/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_emit: a guest-view sample as JSON text, written by hand into one
 * reusable buffer: what `vtune-agent sample --json` prints and what a
 * `report` message carries to the host. The document is the one the json-c
 * tree builder made (same keys in the same order, same digits; checked
 * against it by tests/unit/test_gv_emit.c), without a tree per sample. */
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

/* Append the bytes to t (kept NUL-terminated). 0 or -ENOMEM. */
int gv_text_add(struct gv_text *t, const char *s, size_t n);

/* Append a double as json-c writes json_object_new_double: "%.17g", with
 * ".0" added to a whole number. Returns 0, -EINVAL (not finite: written as
 * json-c does, "NaN" or "[-]Infinity") or -ENOMEM. */
int gv_text_double(struct gv_text *t, double v);

void gv_text_free(struct gv_text *t);

#endif
