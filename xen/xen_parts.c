/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen_parts: a guest's report read from xenstore as one value or joined from
 * the parts the agent wrote in one transaction with their count, never
 * more parts or bytes than the protocol allows (the guest is untrusted). */
#include "xen_parts.h"
#include "parse.h"
#include "xen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int say(char *why, size_t whyn, int r, const char *fmt, ...)
{
	va_list ap;
	if (why && whyn) {
		va_start(ap, fmt);
		vsnprintf(why, whyn, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* Check value v of key and append it to buf at *at. 0 or -errno. */
static int append(const char *key, const char *v, size_t len, char *buf, size_t n, size_t *at,
		  char *why, size_t whyn)
{
	int r = xen_value_check(v, len);
	if (r)
		return say(why, whyn, r, "%s: %s", key,
			   r == -EMSGSIZE ? "longer than 4096 bytes" : "control bytes or not UTF-8");
	if (*at + len > XEN_JOIN_MAX)
		return say(why, whyn, -EMSGSIZE, "%s: the parts joined pass %d bytes", key,
			   XEN_JOIN_MAX);
	if (*at + len >= n)
		return say(why, whyn, -EOVERFLOW, "%s: longer than the buffer", key);
	memcpy(buf + *at, v, len);
	*at += len;
	buf[*at] = '\0';
	return 0;
}

int xen_report_join(xen_parts_read_fn read, void *arg, char *buf, size_t n, char *why,
		    size_t whyn)
{
	char *v = NULL, key[32];
	size_t len, at = 0;
	if (why && whyn)
		why[0] = '\0';
	if (!n)
		return -EOVERFLOW;
	buf[0] = '\0';
	int r = read(arg, "report", &v, &len);
	if (r != -ENOENT) {
		if (!r)
			r = append("report", v, len, buf, n, &at, why, whyn);
		free(v);
		return r ? r : (int)at;
	}
	r = read(arg, "report-parts", &v, &len);
	if (r)
		return r;
	uint64_t np = 0;
	/* a plain count: no sign, no space, no leading zero */
	int ok = len >= 1 && len <= 2 && v[0] >= '1' && v[0] <= '9' && !parse_u64_n(v, len, &np);
	free(v);
	if (!ok || np > XEN_PARTS_MAX)
		return say(why, whyn, -EBADMSG, "report-parts: not a count from 1 to %d",
			   XEN_PARTS_MAX);
	for (unsigned i = 0; i < np; i++) {
		snprintf(key, sizeof key, "report-%u", i);
		r = read(arg, key, &v, &len);
		if (r == -ENOENT)
			return say(why, whyn, -EBADMSG, "report-parts says %u but %s is missing",
				   (unsigned)np, key);
		if (r)
			return r;
		r = append(key, v, len, buf, n, &at, why, whyn);
		free(v);
		if (r)
			return r;
	}
	return (int)at;
}
