/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen_dom0: dom0's size as `xl info` tells it (physical CPUs, the Xen
 * command line's dom0_vcpus_pin / dom0_mem, dom0's vCPUs and memory) and
 * the dom0_max_vcpus vtune advises when dom0 is saturated. Pure: the
 * backend reads the numbers through libxenctrl, tests from `xl info` text
 * captured in a real dom0. */
#include "xen.h"
#include "metrics.h"
#include "parse.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Is word (a whole option, up to '=' or a space) on the command line? */
static const char *option(const char *cmdline, const char *word)
{
	size_t l = strlen(word);
	for (const char *p = cmdline; p && *p; p = strchr(p, ' ')) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, word, l) && (p[l] == '\0' || p[l] == ' ' || p[l] == '='))
			return p + l;
	}
	return NULL;
}

void xen_dom0_sizing(const char *cmdline, unsigned nr_cpus, unsigned dom0_vcpus,
		     uint64_t dom0_mem_kb, struct xen_dom0_size *s)
{
	memset(s, 0, sizeof *s);
	s->nr_cpus = nr_cpus;
	s->dom0_vcpus = dom0_vcpus;
	s->dom0_mem_mb = dom0_mem_kb / 1024;
	const char *pin = cmdline ? option(cmdline, "dom0_vcpus_pin") : NULL;
	s->pinned = pin && (*pin != '=' || strncmp(pin, "=0", 2));
	const char *mem = cmdline ? option(cmdline, "dom0_mem") : NULL;
	s->mem_fixed = mem && *mem == '=';
	/* twice today's, never more than half the machine (the guests need
	 * CPUs too), never less than today's */
	unsigned want = dom0_vcpus * 2, half = nr_cpus / 2;
	if (want > half)
		want = half;
	if (want < dom0_vcpus)
		want = dom0_vcpus;
	s->advised = want;
}

/* The value of "key : value" in xl info's text, into out. */
static int xl_field(const char *text, const char *key, char *out, size_t n)
{
	size_t l = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n')) {
		while (*p == '\n')
			p++;
		if (strncmp(p, key, l) || (p[l] != ' ' && p[l] != ':'))
			continue;
		const char *c = strchr(p, ':'), *e = strchr(p, '\n');
		if (!c || (e && c > e))
			return -EINVAL;
		c++;
		while (*c == ' ')
			c++;
		size_t m = e ? (size_t)(e - c) : strlen(c);
		if (m >= n)
			m = n - 1;
		memcpy(out, c, m);
		out[m] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* The first n numbers of the text at p, whitespace before each (what
 * follows them is not looked at). 0, -EINVAL or -ERANGE. */
static int lead_fields(const char *p, uint64_t *f, int n)
{
	for (int i = 0; i < n; i++) {
		p += strspn(p, " \t");
		int r = parse_u64_prefix(p, &p, &f[i]);
		if (r)
			return r;
	}
	return 0;
}

int xen_dom0_from_xl(const char *xl_info, const char *xl_list, struct xen_dom0_size *s)
{
	char v[1024], cmdline[1024];
	uint64_t nr_cpus, f[3]; /* Domain-0's ID, Mem (MiB), VCPUs */
	unsigned vcpus = 0;
	uint64_t mem_mb = 0;
	if (!xl_info || xl_field(xl_info, "nr_cpus", v, sizeof v) || lead_fields(v, &nr_cpus, 1) ||
	    nr_cpus > UINT_MAX || xl_field(xl_info, "xen_commandline", cmdline, sizeof cmdline))
		return -EINVAL;
	for (const char *p = xl_list; p && *p; p = strchr(p, '\n')) {
		while (*p == '\n')
			p++;
		if (!strncmp(p, "Domain-0 ", 9) && !lead_fields(p + 9, f, 3) && f[2] <= UINT_MAX) {
			mem_mb = f[1];
			vcpus = (unsigned)f[2];
			break;
		}
	}
	xen_dom0_sizing(cmdline, (unsigned)nr_cpus, vcpus, mem_mb * 1024, s);
	return 0;
}

void xen_dom0_metrics(const struct xen_dom0_size *s, struct mvec *host)
{
	if (!s->nr_cpus)
		return;
	mvec_set(host, M_HOST_CPUS, s->nr_cpus);
	mvec_set(host, M_HOST_DOM0_VCPUS_PINNED, s->pinned);
	mvec_set(host, M_HOST_DOM0_MEM_FIXED, s->mem_fixed);
	if (s->dom0_vcpus) {
		mvec_set(host, M_HOST_DOM0_VCPUS, s->dom0_vcpus);
		mvec_set(host, M_HOST_DOM0_VCPUS_ADVISED, s->advised);
	}
	if (s->dom0_mem_mb)
		mvec_set(host, M_HOST_DOM0_MEM_MB, (double)s->dom0_mem_mb);
}
