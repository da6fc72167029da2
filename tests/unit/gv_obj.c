/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_obj: the sample JSON parsed back, for tests (see gv_obj.h). */
#include "gv_obj.h"
#include "gv_emit.h"

struct json_object *gv_sample_obj(const struct gv_sample *s)
{
	struct gv_text t = { 0 };
	struct json_object *o = NULL;
	if (gv_emit_sample(s, &t) == 0)
		o = json_tokener_parse(t.p);
	gv_text_free(&t);
	return o;
}
