/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report_line: a report message's line from the sample's JSON text. */
#include "report_line.h"
#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

int report_line(struct gv_text *t, unsigned v, uint64_t seq, uint64_t mono_ns,
		double interval_s, const char *sample, size_t len)
{
	char head[96];
	if (seq > WIRE_MAX_ID || mono_ns > INT64_MAX || !(interval_s > 0) ||
	    interval_s > WIRE_MAX_INTERVAL_S || len < 2 || sample[0] != '{' ||
	    sample[len - 1] != '}')
		return -EINVAL;
	/* the keys in wire_encode's order */
	int n = snprintf(head, sizeof head,
			 "{\"v\":%u,\"type\":\"report\",\"seq\":%" PRIu64 ",\"mono_ns\":%" PRIu64
			 ",\"interval_s\":", v ? v : WIRE_VERSION, seq, mono_ns);
	t->len = 0;
	if (gv_text_add(t, head, (size_t)n) || gv_text_double(t, interval_s) ||
	    gv_text_add(t, ",\"sample\":", 10) || gv_text_add(t, sample, len) ||
	    gv_text_add(t, "}\n", 2))
		return -ENOMEM;
	return t->len > WIRE_MAX_LINE ? -EMSGSIZE : 0;
}
