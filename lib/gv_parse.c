/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_parse: parsers for the /proc files of the guest view. Each works on a
 * mutable copy of the file's text and never trusts its shape. */
#include "gview.h"
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

/* A counter wanted from a header/value line pair, and where it goes in a
 * struct gv_tcp_counters. */
struct want {
	const char *name;
	size_t len, off;
};

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

/* Find the "Prefix:" header/value line pairs; every value must be a
 * number, and the wanted ones are stored (negative ones as 0). The two
 * lines are walked in step, once. */
static int parse_pairs(char *text, const char *prefix, const char *file,
		       const struct want *w, size_t nw, struct gv_tcp_counters *t,
		       char *err, size_t n)
{
	char *cur = text, *line, *hdr = NULL;
	size_t pl = strlen(prefix);
	int found = 0;
	while ((line = parse_next_line(&cur))) {
		if (strncmp(line, prefix, pl) || line[pl] != ' ')
			continue;
		if (!hdr) {
			hdr = line;
			continue;
		}
		/* line holds the values for hdr's names */
		struct gv_tcp_counters got = *t;
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
				continue; /* the prefix, or past a bad value */
			int64_t v;
			if (parse_i64(val, &v)) {
				bad = name;
				continue;
			}
			for (size_t k = 0; k < nw; k++)
				if (ln == w[k].len && !memcmp(name, w[k].name, ln)) {
					*(uint64_t *)((char *)&got + w[k].off) = nonneg(v);
					break;
				}
		}
		if (nn != nv || nn > MAX_TOK)
			return fail(err, n, "%s: '%s' has %d names but %d values",
				    file, prefix, nn - 1, nv - 1);
		if (bad)
			return fail(err, n, "%s: %s %s: not a number", file, prefix, bad);
		*t = got;
		found = 1;
		hdr = NULL;
	}
	if (hdr)
		return fail(err, n, "%s: '%s' header without values", file, prefix);
	if (!found)
		return fail(err, n, "%s: no '%s' lines", file, prefix);
	return 0;
}

#define WANT(name, field) { name, sizeof name - 1, offsetof(struct gv_tcp_counters, field) }

int gv_parse_snmp(char *text, struct gv_tcp_counters *t, char *err, size_t n)
{
	static const struct want w[] = {
		WANT("PassiveOpens", passive_opens),
		WANT("ActiveOpens", active_opens),
		WANT("OutSegs", out_segs),
		WANT("RetransSegs", retrans_segs),
		WANT("CurrEstab", curr_estab),
		WANT("InCsumErrors", in_csum_errors),
	};
	return parse_pairs(text, "Tcp:", "/proc/net/snmp", w, sizeof w / sizeof *w, t, err, n);
}

int gv_parse_netstat(char *text, struct gv_tcp_counters *t, char *err, size_t n)
{
	static const struct want w[] = {
		WANT("ListenOverflows", listen_overflows),
		WANT("ListenDrops", listen_drops),
		WANT("TCPBacklogDrop", backlog_drop),
		WANT("SyncookiesSent", syncookies_sent),
		WANT("TCPReqQFullDrop", reqq_full_drop),
		WANT("TCPReqQFullDoCookies", reqq_full_do_cookies),
		WANT("SyncookiesRecv", syncookies_recv),
		WANT("SyncookiesFailed", syncookies_failed),
		WANT("TCPSynRetrans", syn_retrans),
		WANT("TCPMemoryPressures", mem_pressures),
		WANT("TCPAbortOnMemory", abort_on_memory),
		WANT("RcvPruned", rcv_pruned),
		WANT("TCPRcvQDrop", rcvq_drop),
		WANT("TCPTimeWaitOverflow", tw_overflow),
	};
	return parse_pairs(text, "TcpExt:", "/proc/net/netstat", w, sizeof w / sizeof *w,
			   t, err, n);
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
	int row = 0, cap = 0;
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
		if (r->nsoftnet == cap) {
			cap = cap ? cap * 2 : 8;
			void *p = realloc(r->softnet, (size_t)cap * sizeof *r->softnet);
			if (!p)
				return -ENOMEM;
			r->softnet = p;
		}
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
