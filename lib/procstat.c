/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procstat: the one parser of /proc/stat's CPU lines and the busy % of
 * each CPU between two readings (see procstat.h). */
#include "procstat.h"
#include "vec.h"
#include "kfs.h"
#include "parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t n, const char *fmt, ...)
{
	if (err && n) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The numbers of one line after its name. */
static int line_ticks(char **tok, int nt, struct procstat_cpu *c)
{
	uint64_t v[8] = { 0 };
	if (nt < 5)
		return -EINVAL;
	for (int i = 0; i < 8 && i + 1 < nt; i++)
		if (parse_u64(tok[i + 1], &v[i]))
			return -EINVAL;
	c->user = v[0];
	c->nice = v[1];
	c->system = v[2];
	c->idle = v[3];
	c->iowait = v[4];
	c->irq = v[5];
	c->softirq = v[6];
	c->steal = v[7];
	return 0;
}

int procstat_parse(const char *text, struct procstat *s, char *err, size_t n)
{
	char *copy, *cur, *line, *tok[16];
	size_t cap = 0;
	int r = 0;
	if (!text || !s)
		return -EINVAL;
	if (!(copy = strdup(text)))
		return -ENOMEM;
	cur = copy;
	s->have_total = 0;
	s->ncpu = 0;
	while ((line = parse_next_line(&cur))) {
		if (strncmp(line, "cpu", 3))
			continue;
		int nt = parse_split(line, tok, 16);
		struct procstat_cpu c = { .id = -1 };
		if (nt < 1)
			continue;
		if (strcmp(tok[0], "cpu")) {
			uint64_t id;
			if (parse_u64(tok[0] + 3, &id) || id >= PROCSTAT_MAX_CPUS) {
				r = fail(err, n, "/proc/stat: bad CPU line '%s'", tok[0]);
				goto out;
			}
			c.id = (int)id;
		}
		if (line_ticks(tok, nt, &c)) {
			r = fail(err, n, "/proc/stat: bad numbers on line '%s'", tok[0]);
			goto out;
		}
		if (c.id < 0) {
			s->total = c;
			s->have_total = 1;
			continue;
		}
		if (s->ncpu >= PROCSTAT_MAX_CPUS) {
			r = fail(err, n, "/proc/stat: more than %d CPUs", PROCSTAT_MAX_CPUS);
			goto out;
		}
		if (VEC_RESERVE(s->cpu, cap, (size_t)s->ncpu + 1)) {
			r = -ENOMEM;
			goto out;
		}
		s->cpu[s->ncpu++] = c;
	}
out:
	free(copy);
	return r;
}

int procstat_read(const char *root, struct procstat *s)
{
	char *text = NULL;
	size_t len;
	int r = kfs_read_alloc(root, "proc/stat", &text, &len);
	if (!r)
		r = procstat_parse(text, s, NULL, 0);
	free(text);
	return r;
}

void procstat_free(struct procstat *s)
{
	if (!s)
		return;
	free(s->cpu);
	memset(s, 0, sizeof *s);
}

uint64_t procstat_total_ticks(const struct procstat_cpu *c)
{
	return c->user + c->nice + c->system + c->idle + c->iowait + c->irq + c->softirq +
	       c->steal;
}

uint64_t procstat_busy_ticks(const struct procstat_cpu *c)
{
	return procstat_total_ticks(c) - c->idle - c->iowait - c->steal;
}

double procstat_pct(const struct procstat_cpu *a, const struct procstat_cpu *b)
{
	uint64_t ta = procstat_total_ticks(a), tb = procstat_total_ticks(b);
	uint64_t ba = procstat_busy_ticks(a), bb = procstat_busy_ticks(b);
	if (tb <= ta || bb < ba)
		return 0;
	double v = 100.0 * (double)(bb - ba) / (double)(tb - ta);
	return v > 100 ? 100 : v;
}

int procstat_each(const struct procstat *a, const struct procstat *b, double *pct, int max)
{
	if (!a || !b || !pct || a->ncpu <= 0 || a->ncpu != b->ncpu)
		return -EINVAL;
	for (int i = 0; i < a->ncpu; i++)
		if (a->cpu[i].id != b->cpu[i].id)
			return -EINVAL;
	for (int i = 0; i < max; i++)
		pct[i] = -1;
	for (int i = 0; i < a->ncpu; i++)
		if (a->cpu[i].id < max)
			pct[a->cpu[i].id] = procstat_pct(&a->cpu[i], &b->cpu[i]);
	return a->ncpu;
}

int procstat_busy(const struct procstat *a, const struct procstat *b, double *mean,
		  double *max)
{
	if (!a || !b || a->ncpu <= 0 || a->ncpu != b->ncpu)
		return -EINVAL;
	double sum = 0, mx = 0;
	for (int i = 0; i < a->ncpu; i++) {
		if (a->cpu[i].id != b->cpu[i].id)
			return -EINVAL;
		double v = procstat_pct(&a->cpu[i], &b->cpu[i]);
		sum += v;
		if (v > mx)
			mx = v;
	}
	*mean = sum / a->ncpu;
	*max = mx;
	return 0;
}
