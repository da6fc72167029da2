/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_emit: serialise a guest-view sample to JSON text by hand. */
#include "gv_emit.h"
#include "report_scan.h"
#include "gv_kmsg.h"
#include "wire.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* One serialisation in progress: the text, and whether a value in it is
 * one the wire refuses (kept going: the text is still written whole). */
struct em {
	struct gv_text *t;
	int nomem, bad;
	int first; /* nothing written yet in the current object / array */
};

/* Room for n more bytes and a NUL after t->len. 0 or -ENOMEM. */
static int grow(struct gv_text *t, size_t n)
{
	size_t cap = t->cap ? t->cap : 4096;
	while (cap < t->len + n + 1)
		cap *= 2;
	char *p = realloc(t->p, cap);
	if (!p)
		return -ENOMEM;
	t->p = p;
	t->cap = cap;
	return 0;
}

int gv_text_add(struct gv_text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap && grow(t, n))
		return -ENOMEM;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
	return 0;
}

void gv_text_free(struct gv_text *t)
{
	free(t->p);
	memset(t, 0, sizeof *t);
}

int gv_text_double(struct gv_text *t, double v)
{
	char buf[40];
	int n, bad = !isfinite(v);
	if (isnan(v))
		n = snprintf(buf, sizeof buf, "NaN");
	else if (isinf(v))
		n = snprintf(buf, sizeof buf, v > 0 ? "Infinity" : "-Infinity");
	else
		n = snprintf(buf, sizeof buf, "%.17g", v);
	if (!bad && !strpbrk(buf, ".e")) {
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	int r = gv_text_add(t, buf, (size_t)n);
	return r ? r : bad ? -EINVAL : 0;
}

/* Append without the NUL (gv_emit_sample puts it at the end); inline, so
 * the many short constant pieces become a few stores. */
static inline void add(struct em *e, const char *s, size_t n)
{
	struct gv_text *t = e->t;
	if (t->len + n + 1 > t->cap && grow(t, n)) {
		e->nomem = 1;
		return;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

#define ADD(e, lit) add(e, lit, sizeof lit - 1)

/* "key": with the comma before it when needed. Keys are constants here,
 * plain ASCII that JSON needs no escape for. */
static void key(struct em *e, const char *k)
{
	if (!e->first)
		ADD(e, ",");
	e->first = 0;
	ADD(e, "\"");
	add(e, k, strlen(k));
	ADD(e, "\":");
}

/* The comma before an array element. */
static void elem(struct em *e)
{
	if (!e->first)
		ADD(e, ",");
	e->first = 0;
}

static void open_(struct em *e, const char *k, const char *brace)
{
	if (k)
		key(e, k);
	else
		elem(e);
	add(e, brace, 1);
	e->first = 1;
}

static void close_(struct em *e, const char *brace)
{
	add(e, brace, 1);
	e->first = 0;
}

static void u64(struct em *e, uint64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	add(e, p, (size_t)(buf + sizeof buf - p));
}

static void i64(struct em *e, int64_t v)
{
	if (v < 0) {
		ADD(e, "-");
		u64(e, (uint64_t)0 - (uint64_t)v);
	} else {
		u64(e, (uint64_t)v);
	}
}

/* A double rounded to 3 decimals, formatted by hand ("%.17g" through
 * snprintf was half the CPU time of a whole sample); one too big for that
 * is written as json-c writes any double. */
static void dbl(struct em *e, double v)
{
	double r = round(v * 1000);
	if (!isfinite(r) || fabs(r) >= 9e15) {
		int x = gv_text_double(e->t, v);
		e->nomem |= x == -ENOMEM;
		e->bad |= x == -EINVAL;
		return;
	}
	long long m = (long long)r;
	char buf[32], *p = buf + sizeof buf;
	int neg = m < 0, frac = (int)((neg ? -m : m) % 1000);
	unsigned long long whole = (unsigned long long)(neg ? -m : m) / 1000;
	if (frac) {
		int digits = 3;
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		for (int i = 0; i < digits; i++, frac /= 10)
			*--p = (char)('0' + frac % 10);
		*--p = '.';
	} else {
		*--p = '0';
		*--p = '.';
	}
	do
		*--p = (char)('0' + whole % 10);
	while (whole /= 10);
	if (neg)
		*--p = '-';
	add(e, p, (size_t)(buf + sizeof buf - p));
}

/* A string as json-c escapes it (without escaping '/', as on the wire). */
static void str(struct em *e, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s), from = 0;
	if (!wire_utf8_valid(s, n))
		e->bad = 1;
	ADD(e, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = "\\";
		size_t el = 2;
		switch (c) {
		case '\b': esc[1] = 'b'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\f': esc[1] = 'f'; break;
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		default:
			if (c >= ' ')
				continue;
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		}
		add(e, s + from, i - from);
		add(e, esc, el);
		from = i + 1;
	}
	add(e, s + from, n - from);
	ADD(e, "\"");
}

static void put_d(struct em *e, const char *k, double v)
{
	key(e, k);
	dbl(e, v);
}

static void put_u(struct em *e, const char *k, uint64_t v)
{
	key(e, k);
	u64(e, v);
}

static void put_i(struct em *e, const char *k, int64_t v)
{
	key(e, k);
	i64(e, v);
}

static void put_s(struct em *e, const char *k, const char *v)
{
	key(e, k);
	str(e, v);
}

static void put_b(struct em *e, const char *k, int v)
{
	key(e, k);
	if (v)
		ADD(e, "true");
	else
		ADD(e, "false");
}

static void cpu_obj(struct em *e, const char *k, const struct gv_cpu_pct *c, int with_id)
{
	open_(e, k, "{");
	if (with_id)
		put_i(e, "cpu", c->id);
	put_d(e, "user", c->user);
	put_d(e, "system", c->system);
	put_d(e, "softirq", c->softirq);
	put_d(e, "steal", c->steal);
	put_d(e, "busy", c->busy);
	close_(e, "}");
}

static int ok(const struct gv_sample *s, enum gv_group g)
{
	return s->status[g] == 0;
}

static void tcp(struct em *e, const struct gv_sample *s)
{
	open_(e, "tcp", "{");
	if (ok(s, GV_SNMP)) {
		put_d(e, "passive_opens_per_s", s->nstat[MC_GUEST_TCP_PASSIVE_OPENS]);
		put_d(e, "active_opens_per_s", s->nstat[MC_GUEST_TCP_ACTIVE_OPENS]);
	}
	if (ok(s, GV_NETSTAT)) {
		put_d(e, "listen_overflows_per_s", s->nstat[MC_GUEST_TCP_LISTEN_OVERFLOWS]);
		put_d(e, "listen_drops_per_s", s->nstat[MC_GUEST_TCP_LISTEN_DROPS]);
		put_d(e, "backlog_drops_per_s", s->nstat[MC_GUEST_TCP_BACKLOG_DROPS]);
		put_d(e, "syncookies_sent_per_s", s->nstat[MC_GUEST_TCP_SYNCOOKIES_SENT]);
		put_d(e, "reqq_full_drops_per_s", s->nstat[MC_GUEST_TCP_REQQ_FULL_DROPS]);
		put_d(e, "reqq_full_do_cookies_per_s", s->nstat[MC_GUEST_TCP_REQQ_FULL_COOKIES]);
	}
	if (ok(s, GV_SOCKSTAT)) {
		put_u(e, "inuse", s->sock.tcp_inuse);
		put_u(e, "inuse6", s->sock.tcp6_inuse);
		put_u(e, "orphans", s->sock.tcp_orphan);
		put_u(e, "time_wait", s->sock.tcp_tw);
		put_u(e, "alloc", s->sock.tcp_alloc);
	}
	close_(e, "}");
}

static void listeners(struct em *e, const struct gv_sample *s, int max)
{
	open_(e, "listeners", "[");
	for (int i = 0; i < s->nlisteners && i < max; i++) {
		const struct gv_listener *l = &s->listeners[i];
		open_(e, NULL, "{");
		put_s(e, "family", l->family == AF_INET6 ? "ipv6" : "ipv4");
		put_s(e, "addr", l->addr);
		put_u(e, "port", l->port);
		put_u(e, "queue", l->queue);
		put_u(e, "backlog", l->backlog);
		put_d(e, "fill", l->backlog ? fmin(1.0, (double)l->queue / l->backlog)
					    : (l->queue ? 1.0 : 0.0));
		if (l->pid > 0)
			put_i(e, "pid", l->pid);
		close_(e, "}");
	}
	close_(e, "]");
}

static void softnet(struct em *e, const struct gv_sample *s, int wire)
{
	open_(e, "softnet", "{");
	if (wire) {
		if (ok(s, GV_SOFTIRQS))
			put_i(e, "net_rx_hot_cpu", s->netrx_hot_cpu);
		close_(e, "}");
		return;
	}
	if (ok(s, GV_SOFTNET)) {
		open_(e, "per_cpu", "[");
		for (int i = 0; i < s->nsoftnet; i++) {
			open_(e, NULL, "{");
			put_i(e, "cpu", s->softnet[i].cpu);
			put_d(e, "processed_per_s", s->softnet[i].processed);
			put_d(e, "dropped_per_s", s->softnet[i].dropped);
			put_d(e, "time_squeeze_per_s", s->softnet[i].squeezed);
			close_(e, "}");
		}
		close_(e, "]");
	}
	if (ok(s, GV_SOFTIRQS)) {
		open_(e, "net_rx_per_cpu", "[");
		for (int i = 0; i < s->nnetrx; i++) {
			elem(e);
			dbl(e, s->netrx[i]);
		}
		close_(e, "]");
		put_d(e, "net_rx_imbalance", s->netrx_imbalance);
		put_i(e, "net_rx_hot_cpu", s->netrx_hot_cpu);
		put_d(e, "net_rx_hot_share", s->netrx_hot_share);
	}
	close_(e, "}");
}

static void conntrack_ports_files(struct em *e, const struct gv_sample *s)
{
	open_(e, "conntrack", "{");
	put_b(e, "present", s->ct.present);
	if (s->ct.present) {
		put_u(e, "count", s->ct.count);
		put_u(e, "max", s->ct.max);
		put_d(e, "fill", s->ct.max ? (double)s->ct.count / s->ct.max : 0);
		put_u(e, "established_timeout", s->ct.est_timeout);
		put_u(e, "time_wait_timeout", s->ct.tw_timeout);
		if (s->ct.st.present) {
			open_(e, "stats", "{");
			put_d(e, "invalid_per_s", s->ctr.invalid);
			put_d(e, "insert_failed_per_s", s->ctr.insert_failed);
			put_d(e, "drop_per_s", s->ctr.drop);
			put_d(e, "early_drop_per_s", s->ctr.early_drop);
			put_d(e, "search_restart_per_s", s->ctr.search_restart);
			close_(e, "}");
		}
	}
	close_(e, "}");

	if (ok(s, GV_PORTS)) {
		double range = (double)s->ports.hi - s->ports.lo + 1;
		open_(e, "ports", "{");
		put_u(e, "range_low", s->ports.lo);
		put_u(e, "range_high", s->ports.hi);
		put_u(e, "range_size", (uint64_t)s->ports.hi - s->ports.lo + 1);
		if (s->ports.in_use_known) {
			put_u(e, "in_use", s->ports.in_use);
			put_b(e, "in_use_is_bound", s->ports.in_use_bound);
			put_d(e, "fill", (double)s->ports.in_use / range);
			put_d(e, "in_use_age_s", s->ports.in_use_age_s);
		}
		put_i(e, "tcp_tw_reuse", s->knobs.v[MK_GUEST_TCP_TW_REUSE]);
		put_u(e, "exact_counts", s->ports.exact_counts);
		put_d(e, "exact_cpu_ms", (double)s->ports.exact_cpu_ns / 1e6);
		close_(e, "}");
	}

	if (ok(s, GV_FILES)) {
		open_(e, "files", "{");
		put_u(e, "nr", s->files_nr);
		put_u(e, "max", s->files_max);
		put_d(e, "fill", s->files_max ? (double)s->files_nr / s->files_max : 0);
		close_(e, "}");
	}
}

static void interfaces(struct em *e, const struct gv_sample *s)
{
	open_(e, "interfaces", "[");
	for (int i = 0; i < s->nifaces; i++) {
		const struct gv_iface_rate *f = &s->ifaces[i];
		open_(e, NULL, "{");
		put_s(e, "name", f->name);
		put_d(e, "rx_packets_per_s", f->rx_packets);
		put_d(e, "tx_packets_per_s", f->tx_packets);
		put_d(e, "rx_dropped_per_s", f->rx_dropped);
		put_d(e, "tx_dropped_per_s", f->tx_dropped);
		put_d(e, "rx_errors_per_s", f->rx_errors);
		put_d(e, "tx_errors_per_s", f->tx_errors);
		put_i(e, "rx_queues", f->nrxq);
		put_i(e, "rps_off", f->rps_off);
		put_s(e, "rps_cpus", f->rps);
		if (f->has_ch) {
			open_(e, "channels", "{");
			put_u(e, "combined", f->ch_combined);
			put_u(e, "combined_max", f->ch_combined_max);
			put_u(e, "rx", f->ch_rx);
			put_u(e, "rx_max", f->ch_rx_max);
			close_(e, "}");
		}
		close_(e, "}");
	}
	close_(e, "]");
}

static void knobs(struct em *e, const struct gv_sample *s)
{
	static const struct {
		const char *key;
		size_t off;
	} t[] = {
		{ "net.ipv4.tcp_mem", offsetof(struct gv_knobs, tcp_mem) },
		{ "net.ipv4.tcp_rmem", offsetof(struct gv_knobs, tcp_rmem) },
		{ "net.ipv4.tcp_wmem", offsetof(struct gv_knobs, tcp_wmem) },
	};
	open_(e, "knobs", "{");
	for (int i = 0; i < MK_COUNT; i++) {
		int64_t v = s->knobs.v[i];
		if (v >= 0)
			put_i(e, metric_defs[metric_of_knob[i]].sysctl, v);
	}
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		const int64_t *v = (const int64_t *)((const char *)&s->knobs + t[i].off);
		char b[72];
		if (v[0] < 0)
			continue;
		snprintf(b, sizeof b, "%lld %lld %lld", (long long)v[0], (long long)v[1],
			 (long long)v[2]);
		put_s(e, t[i].key, b);
	}
	close_(e, "}");
}

/* NIC queue interrupts, the kernel log's known lines, the listeners'
 * processes. */
static void seeds(struct em *e, const struct gv_sample *s, int wire)
{
	if (!wire && ok(s, GV_IRQS) && (s->irq.present || s->irq.irqbalance >= 0)) {
		open_(e, "irqs", "{");
		put_b(e, "present", s->irq.present);
		if (s->irq.present) {
			put_i(e, "nic_lines", s->irq.nlines);
			open_(e, "per_cpu", "[");
			for (int i = 0; i < s->irq_ncpu; i++) {
				open_(e, NULL, "{");
				put_i(e, "cpu", s->irq_cpu_id[i]);
				put_d(e, "nic_per_s", s->irq_cpu_rate[i]);
				close_(e, "}");
			}
			close_(e, "]");
			put_d(e, "nic_per_s", s->irq_rate);
			put_i(e, "hot_cpu", s->irq_hot_cpu >= 0 ? s->irq_cpu_id[s->irq_hot_cpu] : -1);
			put_d(e, "hot_share", s->irq_hot_share);
			put_b(e, "one_cpu", gv_sample_irq_one_cpu(s));
			open_(e, "lines", "[");
			for (int i = 0; i < s->irq.nlist; i++) {
				open_(e, NULL, "{");
				put_i(e, "irq", s->irq.lines[i].irq);
				put_s(e, "name", s->irq.lines[i].name);
				put_u(e, "total", s->irq.lines[i].total);
				close_(e, "}");
			}
			close_(e, "]");
		}
		put_i(e, "irqbalance", s->irq.irqbalance);
		close_(e, "}");
	}
	if (ok(s, GV_KMSG) && s->kmsg.present) {
		open_(e, "kmsg", "{");
		put_b(e, "present", s->kmsg.present);
		if (s->kmsg.present) {
			for (int i = 0; i < GV_KM_N; i++)
				put_u(e, gv_kmsg_kind_name((enum gv_kmsg_kind)i), s->kmsg.n[i]);
			put_u(e, "lines", s->kmsg.lines);
			put_u(e, "skipped", s->kmsg.skipped);
			put_s(e, "latest", s->kmsg.latest);
			if (s->kmsg_latest_age_s >= 0)
				put_d(e, "latest_age_s", s->kmsg_latest_age_s);
		}
		close_(e, "}");
	}
	if (ok(s, GV_PROCS)) {
		open_(e, "processes", "[");
		for (int i = 0; i < s->procs.nproc; i++) {
			const struct gv_proc *p = &s->procs.p[i];
			open_(e, NULL, "{");
			put_i(e, "pid", p->pid);
			put_s(e, "comm", p->comm);
			put_u(e, "fds", p->fds);
			put_b(e, "fds_is_bound", p->fds_bound);
			put_d(e, "fds_age_s", p->fds_age_s);
			put_i(e, "nofile_soft", p->soft == UINT64_MAX ? -1 : (int64_t)p->soft);
			put_i(e, "nofile_hard", p->hard == UINT64_MAX ? -1 : (int64_t)p->hard);
			put_d(e, "fill", p->soft == UINT64_MAX || !p->soft ? 0
				  : fmin(1.0, (double)p->fds / (double)p->soft));
			put_i(e, "listeners", p->listeners);
			close_(e, "}");
		}
		close_(e, "]");
	}
}

/* The busiest CPU of the sample (the first of equals), or -1. */
static int busiest_cpu(const struct gv_sample *s)
{
	int best = -1;
	for (int i = 0; i < s->ncpu; i++)
		if (best < 0 || s->cpu[i].busy > s->cpu[best].busy)
			best = i;
	return best;
}

static int emit(const struct gv_sample *s, int wire, struct gv_text *t)
{
	struct em e = { .t = t, .first = 1 };
	t->len = 0;
	open_(&e, NULL, "{");
	put_d(&e, "interval_s", s->interval_s);

	open_(&e, "errors", "{");
	for (int g = 0; g < GV_NGROUPS; g++)
		if (s->status[g])
			put_s(&e, gv_group_name(g), s->error[g]);
	close_(&e, "}");

	if (ok(s, GV_CPU)) {
		open_(&e, "cpu", "{");
		if (!wire)
			cpu_obj(&e, "total", &s->total, 0);
		open_(&e, "per_cpu", "[");
		int hot = busiest_cpu(s);
		for (int i = 0; i < s->ncpu; i++)
			if (!wire || i == hot)
				cpu_obj(&e, NULL, &s->cpu[i], 1);
		close_(&e, "]");
		close_(&e, "}");
	}
	if (!wire)
		tcp(&e, s);
	if (ok(s, GV_LISTENERS))
		listeners(&e, s, wire ? RSCAN_KEEP_LISTENERS : s->nlisteners);
	softnet(&e, s, wire);
	if (!wire) {
		conntrack_ports_files(&e, s);
		interfaces(&e, s);
		knobs(&e, s);
	}
	seeds(&e, s, wire);

	struct mvec m;
	gv_sample_metrics(s, &m);
	open_(&e, "metrics", "{");
	for (int i = 0; i < M_COUNT; i++)
		if (mvec_has(&m, i))
			put_d(&e, metric_defs[i].name, m.v[i]);
	close_(&e, "}");
	close_(&e, "}");
	if (e.nomem)
		return -ENOMEM;
	t->p[t->len] = '\0';
	return e.bad ? -EINVAL : 0;
}

int gv_emit_sample(const struct gv_sample *s, struct gv_text *t)
{
	return emit(s, 0, t);
}

int gv_emit_report(const struct gv_sample *s, struct gv_text *t)
{
	return emit(s, 1, t);
}
