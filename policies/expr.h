/* SPDX-License-Identifier: GPL-2.0-or-later */
/* expr: the condition language of policy rules (`when` / `clear`): metrics
 * by catalogue name, numbers with units, arithmetic, comparisons and
 * and/or/not. Parsed once into an AST, evaluated on each sample. */
#ifndef VTUNE_EXPR_H
#define VTUNE_EXPR_H

#include <stddef.h>

#include "metrics.h"

struct expr;

/* Parse a condition. On success returns 0 and a new AST in *out (free with
 * expr_free). On error returns -EINVAL, writes a message (without position)
 * to err and the 0-based byte offset of the problem within src to *err_col;
 * *out is NULL. The whole expression must be boolean (a comparison, or
 * and/or/not of comparisons). Never crashes on any input. */
int expr_parse(const char *src, struct expr **out, int *err_col,
	       char *err, size_t errlen);

/* Free an AST (NULL is fine). */
void expr_free(struct expr *e);

/* Evaluate: guest.* metrics are read from guest, host.* from host (either
 * may be NULL: all of its metrics are unknown). Booleans evaluate to 1 or 0.
 * Returns 0 with the value in *out, or -ENODATA when the result is unknown:
 * a metric it needs is missing, or a division by zero. Unknown follows
 * three-valued logic: `unknown or true` is true, `unknown and false` is
 * false, `not unknown` is unknown. A policy treats unknown as false. */
int expr_eval(const struct expr *e, const struct mvec *guest,
	      const struct mvec *host, double *out);

/* List the distinct metrics an expression reads, in order of appearance:
 * writes up to max ids and returns how many there are in total. */
int expr_metrics(const struct expr *e, int *ids, int max);

/* Format a metric's value with its unit ("52.0/s", "100%", "30s", "4096")
 * into buf. Returns buf. */
char *expr_format_value(int metric_id, double v, char *buf, size_t n);

#endif
