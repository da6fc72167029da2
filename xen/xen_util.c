/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen_util: the Xen backend's pure parts, testable without Xen: CPU lists,
 * checks of values a guest wrote to xenstore, watch paths, dom0 CPU load
 * from /proc/stat (mean, busiest and each vCPU's). */
#include "cpulist.h"
#include "xen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
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

/* Per-CPU "cpuN ..." lines of a /proc/stat text: busy and total ticks. */
struct cpu_ticks {
	int id;
	uint64_t busy, total;
};

static int stat_cpus(const char *text, struct cpu_ticks *t, int max)
{
	int n = 0;
	const char *p = text;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 3 && len < 512 && !strncmp(p, "cpu", 3) && p[3] >= '0' && p[3] <= '9') {
			char line[512], *tok[16];
			memcpy(line, p, len);
			line[len] = '\0';
			int k = parse_split(line, tok, 16);
			uint64_t v[10] = { 0 }, id;
			if (k < 5 || parse_u64(tok[0] + 3, &id) || id > XEN_MAX_CPUS)
				return -EINVAL;
			for (int i = 1; i < k && i <= 10; i++)
				if (parse_u64(tok[i], &v[i - 1]))
					return -EINVAL;
			if (n >= max)
				return -EINVAL;
			/* user nice system idle iowait irq softirq steal guest guest_nice:
			 * guest time is already in user/nice */
			uint64_t total = 0;
			for (int i = 0; i < 8; i++)
				total += v[i];
			t[n].id = (int)id;
			t[n].total = total;
			t[n].busy = total - v[3] - v[4] - v[7];
			n++;
		}
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

int xen_stat_each(const char *prev, const char *cur, double *pct, int max)
{
	struct cpu_ticks a[XEN_MAX_VCPUS], b[XEN_MAX_VCPUS];
	if (!prev || !cur || !pct)
		return -EINVAL;
	int na = stat_cpus(prev, a, XEN_MAX_VCPUS), nb = stat_cpus(cur, b, XEN_MAX_VCPUS);
	if (na <= 0 || na != nb)
		return -EINVAL;
	for (int i = 0; i < max; i++)
		pct[i] = -1;
	for (int i = 0; i < na; i++) {
		if (a[i].id != b[i].id)
			return -EINVAL;
		double v = 0;
		if (b[i].total > a[i].total && b[i].busy >= a[i].busy) {
			v = 100.0 * (double)(b[i].busy - a[i].busy) / (double)(b[i].total - a[i].total);
			if (v > 100)
				v = 100;
		}
		if (a[i].id < max)
			pct[a[i].id] = v;
	}
	return na;
}

int xen_stat_busy(const char *prev, const char *cur, double *mean, double *max)
{
	double pct[XEN_MAX_VCPUS];
	int n = xen_stat_each(prev, cur, pct, XEN_MAX_VCPUS);
	if (n <= 0)
		return -EINVAL;
	double sum = 0, mx = 0;
	int cnt = 0;
	for (int i = 0; i < XEN_MAX_VCPUS; i++) {
		if (pct[i] < 0)
			continue;
		sum += pct[i];
		cnt++;
		if (pct[i] > mx)
			mx = pct[i];
	}
	*mean = cnt ? sum / cnt : 0;
	*max = mx;
	return 0;
}
