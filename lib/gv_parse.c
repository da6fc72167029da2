/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_parse: parsers for the /proc files of the guest view. Each works on a
 * mutable copy of the file's text and never trusts its shape. */
#include "gview.h"
#include "vec.h"
#include "parse.h"
#include "procstat.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOK 512

static int fail(char *err, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Copy one procstat line into the guest view's shape. */
static void cpu_ticks(const struct procstat_cpu *p, struct gv_cpu_ticks *c)
{
	c->id = p->id;
	c->user = p->user;
	c->nice = p->nice;
	c->system = p->system;
	c->idle = p->idle;
	c->iowait = p->iowait;
	c->irq = p->irq;
	c->softirq = p->softirq;
	c->steal = p->steal;
}

/* /proc/stat through the one parser (lib/procstat.h). */
int gv_parse_stat(char *text, struct gv_reading *r, char *err, size_t n)
{
	struct procstat ps = { 0 };
	int rc = procstat_parse(text, &ps, err, n);
	r->ncpu = 0;
	if (!rc && !ps.have_total)
		rc = fail(err, n, "/proc/stat: no 'cpu' total line");
	if (!rc && ps.ncpu) {
		void *p = realloc(r->cpu, (size_t)ps.ncpu * sizeof *r->cpu);
		if (!p)
			rc = -ENOMEM;
		else
			r->cpu = p;
	}
	if (!rc) {
		cpu_ticks(&ps.total, &r->total);
		for (int i = 0; i < ps.ncpu; i++)
			cpu_ticks(&ps.cpu[i], &r->cpu[i]);
		r->ncpu = ps.ncpu;
	}
	procstat_free(&ps);
	return rc;
}

/* The catalogue's counters of one file (its C rows, metrics.h), sorted by
 * section, then column name, built once: a column is found by binary
 * search, and a counter with two rows (its rate and its total) fills both. */
struct want {
	const char *section, *field;
	size_t slen, flen;
	int slot;
};

struct wants {
	struct want w[MC_COUNT];
	int n;
	const char *path;
};

static int want_cmp(const void *x, const void *y)
{
	const struct want *a = x, *b = y;
	int c = strcmp(a->section, b->section);
	return c ? c : strcmp(a->field, b->field);
}

static const struct wants *wants_of(enum metric_src file)
{
	static struct wants t[2];
	static int built;
	if (!built) {
		t[0].path = "/proc/net/snmp";
		t[1].path = "/proc/net/netstat";
		for (int c = 0; c < MC_COUNT; c++) {
			const struct metric_def *d = &metric_defs[metric_of_counter[c]];
			struct wants *ws = &t[d->src == MS_NETSTAT];
			ws->w[ws->n++] = (struct want){ d->section, d->field, strlen(d->section),
							strlen(d->field), c };
		}
		for (int i = 0; i < 2; i++)
			qsort(t[i].w, (size_t)t[i].n, sizeof *t[i].w, want_cmp);
		built = 1;
	}
	return &t[file == MS_NETSTAT];
}

static int is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Whitespace-separated tokens of a line (as parse_split counts them). */
static int count_tokens(const char *p)
{
	int n = 0;
	for (;;) {
		while (is_space(*p))
			p++;
		if (!*p)
			return n;
		n++;
		while (*p && !is_space(*p))
			p++;
	}
}

/* The next token at *p, NUL-terminated in place, and its length (0 at the
 * end of the line); *p moves past it. */
static char *next_token(char **p, size_t *len)
{
	char *s = *p;
	while (is_space(*s))
		s++;
	char *e = s;
	while (*e && !is_space(*e))
		e++;
	*len = (size_t)(e - s);
	*p = *e ? e + 1 : e;
	*e = '\0';
	return s;
}

static uint64_t nonneg(int64_t v)
{
	return v < 0 ? 0 : (uint64_t)v;
}

static int cmp_n(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

/* Store value text val of column name[0..ln) among wants w[lo, hi) (one
 * section's); an unwanted column is not looked at. */
static int store(const struct want *w, int lo, int hi, const char *name, size_t ln,
		 const char *val, struct gv_counters *c)
{
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		int k = cmp_n(name, ln, w[mid].field, w[mid].flen);
		if (k > 0) {
			lo = mid + 1;
			continue;
		}
		if (k < 0) {
			hi = mid;
			continue;
		}
		int64_t v;
		if (parse_i64(val, &v))
			return -EINVAL;
		while (mid > lo && !cmp_n(name, ln, w[mid - 1].field, w[mid - 1].flen))
			mid--;
		for (; mid < hi && !cmp_n(name, ln, w[mid].field, w[mid].flen); mid++) {
			c->v[w[mid].slot] = nonneg(v);
			c->seen[w[mid].slot / 64] |= 1ULL << (w[mid].slot % 64);
		}
		return 0;
	}
	return 0;
}

/* The wants of section name[0..ln) (without its colon): [*lo, *hi). */
static int section_of(const struct wants *ws, const char *name, size_t ln, int *lo, int *hi)
{
	int i = 0;
	while (i < ws->n && cmp_n(ws->w[i].section, ws->w[i].slen, name, ln) < 0)
		i++;
	*lo = i;
	while (i < ws->n && !cmp_n(ws->w[i].section, ws->w[i].slen, name, ln))
		i++;
	*hi = i;
	return *hi > *lo;
}

/* The "Section:" header/value line pairs of /proc/net/snmp or netstat:
 * the counters the catalogue wants are stored (negative ones as 0, a
 * wanted value must be a number); a section the catalogue names must be
 * there. The two lines of a pair are walked in step, once. */
int gv_parse_nstat(char *text, enum metric_src file, struct gv_counters *c, char *err,
		   size_t n)
{
	const struct wants *ws = wants_of(file);
	char *cur = text, *line, *hdr = NULL;
	int hlo = 0, hhi = 0;
	char found[MC_COUNT + 1] = { 0 }; /* by the index of a section's first want */
	for (int i = 0; i < ws->n; i++) {
		c->v[ws->w[i].slot] = 0;
		c->seen[ws->w[i].slot / 64] &= ~(1ULL << (ws->w[i].slot % 64));
	}
	while ((line = parse_next_line(&cur))) {
		char *colon = strchr(line, ':');
		int lo, hi;
		if (!colon || colon == line || (colon[1] != ' ' && colon[1]) ||
		    !section_of(ws, line, (size_t)(colon - line), &lo, &hi))
			continue;
		if (!hdr) {
			hdr = line;
			hlo = lo;
			hhi = hi;
			continue;
		}
		if (lo != hlo)
			return fail(err, n, "%s: '%.*s' header without values", ws->path,
				    (int)strcspn(hdr, ":") + 1, hdr);
		/* line holds the values for hdr's names */
		const char *bad = NULL;
		int nn = 0, nv = 0;
		for (;;) {
			size_t ln, lv;
			char *name = next_token(&hdr, &ln), *val = next_token(&line, &lv);
			if (!ln || !lv) {
				nn += ln ? 1 + count_tokens(hdr) : 0;
				nv += lv ? 1 + count_tokens(line) : 0;
				break;
			}
			nn++;
			nv++;
			if (nn == 1 || bad)
				continue; /* the section, or past a bad value */
			if (store(ws->w, hlo, hhi, name, ln, val, c))
				bad = name;
		}
		if (nn != nv || nn > MAX_TOK)
			return fail(err, n, "%s: '%s' has %d names but %d values", ws->path,
				    ws->w[hlo].section, nn - 1, nv - 1);
		if (bad)
			return fail(err, n, "%s: %s %s: not a number", ws->path,
				    ws->w[hlo].section, bad);
		found[hlo] = 1;
		hdr = NULL;
	}
	if (hdr)
		return fail(err, n, "%s: '%.*s' header without values", ws->path,
			    (int)strcspn(hdr, ":") + 1, hdr);
	for (int i = 0; i < ws->n; i++)
		if ((!i || strcmp(ws->w[i].section, ws->w[i - 1].section)) && !found[i])
			return fail(err, n, "%s: no '%s:' lines", ws->path, ws->w[i].section);
	return 0;
}

int gv_counter_seen(const struct gv_counters *c, int slot)
{
	return (int)(c->seen[slot / 64] >> (slot % 64) & 1);
}

/* "TCP: inuse 1 orphan 0 tw 1 alloc 1 mem 407" / "TCP6: inuse 0" */
int gv_parse_sockstat(char *text, int v6, struct gv_sockstat *s, char *err, size_t n)
{
	const char *want = v6 ? "TCP6:" : "TCP:";
	const char *file = v6 ? "/proc/net/sockstat6" : "/proc/net/sockstat";
	char *cur = text, *line, *tok[16];
	while ((line = parse_next_line(&cur))) {
		int nt = parse_split(line, tok, 16);
		if (nt < 1 || strcmp(tok[0], want))
			continue;
		if (nt % 2 == 0 || nt > 16)
			return fail(err, n, "%s: odd '%s' line", file, want);
		for (int i = 1; i + 1 < nt; i += 2) {
			uint64_t v;
			if (parse_u64(tok[i + 1], &v))
				return fail(err, n, "%s: %s %s: not a number", file,
					    want, tok[i]);
			if (v6) {
				if (!strcmp(tok[i], "inuse"))
					s->tcp6_inuse = v;
			} else if (!strcmp(tok[i], "inuse")) {
				s->tcp_inuse = v;
			} else if (!strcmp(tok[i], "orphan")) {
				s->tcp_orphan = v;
			} else if (!strcmp(tok[i], "tw")) {
				s->tcp_tw = v;
			} else if (!strcmp(tok[i], "alloc")) {
				s->tcp_alloc = v;
			} else if (!strcmp(tok[i], "mem")) {
				s->tcp_mem = v;
				s->has_mem = 1;
			}
		}
		return 0;
	}
	return fail(err, n, "%s: no '%s' line", file, want);
}

/* One row per CPU, hex columns: processed dropped time_squeeze, then
 * kernel-dependent ones. Since Linux 5.10 column 13 is the CPU number;
 * before that rows are only for online CPUs and their number is the row. */
int gv_parse_softnet(char *text, struct gv_reading *r, char *err, size_t n)
{
	char *cur = text, *line, *tok[32];
	int row = 0;
	size_t cap = 0;
	r->nsoftnet = 0;
	while ((line = parse_next_line(&cur))) {
		int nt = parse_split(line, tok, 32);
		if (nt == 0)
			continue;
		if (nt < 3)
			return fail(err, n, "/proc/net/softnet_stat: row %d has %d columns",
				    row, nt);
		uint64_t v[13] = { 0 };
		for (int i = 0; i < nt && i < 13; i++) {
			if (!*tok[i] || strlen(tok[i]) > 16)
				return fail(err, n, "/proc/net/softnet_stat: row %d: bad value", row);
			if (parse_x64(tok[i], &v[i]))
				return fail(err, n, "/proc/net/softnet_stat: row %d: '%s' is not hex",
					    row, tok[i]);
		}
		if (r->nsoftnet >= GV_MAX_CPUS)
			return fail(err, n, "/proc/net/softnet_stat: too many rows");
		if (VEC_RESERVE(r->softnet, cap, (size_t)r->nsoftnet + 1))
			return -ENOMEM;
		struct gv_softnet_row *s = &r->softnet[r->nsoftnet++];
		s->cpu = nt >= 13 && v[12] < GV_MAX_CPUS ? (int)v[12] : row;
		s->processed = v[0];
		s->dropped = v[1];
		s->squeezed = v[2];
		row++;
	}
	if (r->nsoftnet == 0)
		return fail(err, n, "/proc/net/softnet_stat: empty");
	return 0;
}

/* Header "CPU0 CPU1 ..." then "NET_RX: n n ...". CPU numbers come from the
 * header (offline CPUs are absent). */
int gv_parse_softirqs(char *text, struct gv_reading *r, char *err, size_t n)
{
	char *cur = text, *line;
	char *hdr[GV_MAX_CPUS + 1], *tok[GV_MAX_CPUS + 2];
	int ncol = -1;
	while ((line = parse_next_line(&cur))) {
		if (ncol < 0) {
			ncol = parse_split(line, hdr, GV_MAX_CPUS + 1);
			if (ncol < 1 || ncol > GV_MAX_CPUS || strncmp(hdr[0], "CPU", 3))
				return fail(err, n, "/proc/softirqs: bad header");
			continue;
		}
		int nt = parse_split(line, tok, GV_MAX_CPUS + 2);
		if (nt < 1 || strcmp(tok[0], "NET_RX:"))
			continue;
		if (nt - 1 != ncol)
			return fail(err, n, "/proc/softirqs: NET_RX has %d values for %d CPUs",
				    nt - 1, ncol);
		r->netrx = calloc((size_t)ncol, sizeof *r->netrx);
		if (!r->netrx)
			return -ENOMEM;
		for (int i = 0; i < ncol; i++)
			if (parse_u64(tok[i + 1], &r->netrx[i])) {
				free(r->netrx);
				r->netrx = NULL;
				return fail(err, n, "/proc/softirqs: NET_RX: bad number");
			}
		r->nnetrx = ncol;
		return 0;
	}
	return fail(err, n, "/proc/softirqs: no NET_RX line");
}

/* "allocated  unused  max" */
int gv_parse_file_nr(char *text, uint64_t *nr, char *err, size_t n)
{
	char *tok[4];
	uint64_t v;
	if (parse_split(text, tok, 4) != 3 || parse_u64(tok[0], &v))
		return fail(err, n, "/proc/sys/fs/file-nr: expected 3 numbers");
	*nr = v;
	return 0;
}

int gv_parse_port_range(char *text, uint32_t *lo, uint32_t *hi, char *err, size_t n)
{
	char *tok[3];
	uint64_t a, b;
	if (parse_split(text, tok, 3) != 2 || parse_u64(tok[0], &a) ||
	    parse_u64(tok[1], &b) || a > 65535 || b > 65535 || a > b)
		return fail(err, n, "ip_local_port_range: expected 'LOW HIGH'");
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return 0;
}

int gv_parse_triple(char *text, int64_t v[3], char *err, size_t n)
{
	char *tok[4];
	uint64_t x[3];
	if (parse_split(text, tok, 4) != 3 || parse_u64(tok[0], &x[0]) ||
	    parse_u64(tok[1], &x[1]) || parse_u64(tok[2], &x[2]) ||
	    x[0] > INT64_MAX || x[1] > INT64_MAX || x[2] > INT64_MAX)
		return fail(err, n, "expected three numbers 'MIN DEFAULT MAX'");
	for (int i = 0; i < 3; i++)
		v[i] = (int64_t)x[i];
	return 0;
}

/* "12345.67 2345.67": the first number, seconds since boot. */
int gv_parse_uptime(char *text, double *up, char *err, size_t n)
{
	char *tok[3];
	double v;
	if (parse_split(text, tok, 3) != 2 || parse_double(tok[0], &v) || !(v >= 0) || v > 1e12)
		return fail(err, n, "/proc/uptime: expected 'SECONDS IDLE'");
	*up = v;
	return 0;
}
