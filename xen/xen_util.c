/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen_util: the Xen backend's pure parts, testable without Xen: CPU lists,
 * checks of values a guest wrote to xenstore, watch paths, dom0 CPU load
 * from two /proc/stat texts (lib/procstat: mean, busiest, each vCPU's). */
#include "cpulist.h"
#include "xen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "procstat.h"
#include "wire.h"

int xen_value_check(const char *v, size_t len)
{
	if (len > XEN_VALUE_MAX)
		return -EMSGSIZE;
	if (!v)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == 0xff || (c < 0x20 && c != '\t') || c == 0x7f)
			return -EINVAL;
	}
	return wire_utf8_valid(v, len) ? 0 : -EINVAL;
}

int xen_seq_parse(const char *v, size_t len, uint64_t *seq)
{
	uint64_t x;
	if (!v || len == 0 || len > XEN_SEQ_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
	if (parse_u64_n(v, len, &x) || x > WIRE_MAX_ID)
		return -EINVAL;
	*seq = x;
	return 0;
}

int xen_path_domid(const char *path, const char *suffix, int *domid)
{
	static const char pre[] = "/local/domain/";
	if (!path || !suffix || strncmp(path, pre, sizeof pre - 1))
		return -EINVAL;
	const char *p = path + sizeof pre - 1, *q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	/* 1..5 digits, no leading zero: domids are < 32752 (DOMID_FIRST_RESERVED) */
	if (q == p || q - p > 5 || (*p == '0' && q - p > 1) || *q != '/')
		return -EINVAL;
	if (strcmp(q + 1, suffix))
		return -EINVAL;
	uint64_t id;
	if (parse_u64_n(p, (size_t)(q - p), &id) || id >= 0x7FF0)
		return -EINVAL;
	*domid = (int)id;
	return 0;
}

/* Both texts through the one /proc/stat parser (lib/procstat.h). */
static int two(const char *prev, const char *cur, struct procstat *a, struct procstat *b)
{
	if (!prev || !cur)
		return -EINVAL;
	int r = procstat_parse(prev, a, NULL, 0);
	if (!r)
		r = procstat_parse(cur, b, NULL, 0);
	return r;
}

int xen_stat_each(const char *prev, const char *cur, double *pct, int max)
{
	struct procstat a = { 0 }, b = { 0 };
	int r = pct ? two(prev, cur, &a, &b) : -EINVAL;
	if (!r)
		r = procstat_each(&a, &b, pct, max);
	procstat_free(&a);
	procstat_free(&b);
	return r;
}

int xen_stat_busy(const char *prev, const char *cur, double *mean, double *max)
{
	struct procstat a = { 0 }, b = { 0 };
	int r = mean && max ? two(prev, cur, &a, &b) : -EINVAL;
	if (!r)
		r = procstat_busy(&a, &b, mean, max);
	procstat_free(&a);
	procstat_free(&b);
	return r;
}
