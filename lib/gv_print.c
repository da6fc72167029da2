/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_print: a table of one guest-view sample, written by gv_emit's walk
 * (the same one that writes the JSON). */
#include "gv_print.h"
#include "gv_emit.h"

void gv_sample_print(FILE *f, const struct gv_sample *s)
{
	struct gv_text t = { 0 };
	if (gv_emit_table(s, &t) == 0)
		fputs(t.p, f);
	else
		fputs("guest view: out of memory\n", f);
	gv_text_free(&t);
}
