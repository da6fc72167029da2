/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_emit: one walk over a guest-view sample that writes it as JSON by
 * hand, or as the table people read (gv_print.h): each group is one
 * function that names every field once, with its JSON key and, where the
 * table shows it, its text (iproute2's json_print shape: the JSON-only
 * primitives do nothing in text, tx() nothing in JSON). */
#include "gv_emit.h"
#include "vec.h"
#include "report_scan.h"
#include "gv_kmsg.h"
#include "wire.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
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
	int text;  /* the table for people instead of JSON */
};

/* Room for n more bytes and a NUL after t->len. 0 or -ENOMEM. */
static int grow(struct gv_text *t, size_t n)
{
	/* a sample's text is about 5 KiB: start there */
	return VEC_RESERVE(t->p, t->cap, t->len + n + 1 > 4096 ? t->len + n + 1 : 4096) ? -ENOMEM : 0;
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
	if (e->text)
		return;
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
	if (e->text)
		return;
	if (!e->first)
		ADD(e, ",");
	e->first = 0;
}

static void open_(struct em *e, const char *k, const char *brace)
{
	if (e->text)
		return;
	if (k)
		key(e, k);
	else
		elem(e);
	add(e, brace, 1);
	e->first = 1;
}

static void close_(struct em *e, const char *brace)
{
	if (e->text)
		return;
	add(e, brace, 1);
	e->first = 0;
}

static void u64(struct em *e, uint64_t v)
{
	if (e->text)
		return;
	char buf[24], *p = buf + sizeof buf;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	add(e, p, (size_t)(buf + sizeof buf - p));
}

static void i64(struct em *e, int64_t v)
{
	if (e->text)
		return;
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
	if (e->text)
		return;
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
	if (e->text)
		return;
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
	if (e->text)
		return;
	key(e, k);
	if (v)
		ADD(e, "true");
	else
		ADD(e, "false");
}

/* Text for the table only. */
static void tx(struct em *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tx(struct em *e, const char *fmt, ...)
{
	if (!e->text)
		return;
	char buf[1024]; /* the longest piece, TCP's three lines, is under 500 */
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		add(e, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
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

/* Whether group g was read; in the table, a line saying why not. */
static int shown(struct em *e, const struct gv_sample *s, enum gv_group g)
{
	if (!ok(s, g))
		tx(e, "%-11s unavailable: %s\n", gv_group_name(g), s->error[g]);
	return ok(s, g);
}

static void tcp(struct em *e, const struct gv_sample *s)
{
	const double *c = s->nstat;
	open_(e, "tcp", "{");
	tx(e, "\n");
	if (shown(e, s, GV_SNMP)) {
		put_d(e, "passive_opens_per_s", c[MC_GUEST_TCP_PASSIVE_OPENS]);
		put_d(e, "active_opens_per_s", c[MC_GUEST_TCP_ACTIVE_OPENS]);
		tx(e, "TCP          accepts %.1f/s (PassiveOpens)   connects %.1f/s (ActiveOpens)\n",
		   c[MC_GUEST_TCP_PASSIVE_OPENS], c[MC_GUEST_TCP_ACTIVE_OPENS]);
	}
	if (shown(e, s, GV_NETSTAT)) {
		put_d(e, "listen_overflows_per_s", c[MC_GUEST_TCP_LISTEN_OVERFLOWS]);
		put_d(e, "listen_drops_per_s", c[MC_GUEST_TCP_LISTEN_DROPS]);
		put_d(e, "backlog_drops_per_s", c[MC_GUEST_TCP_BACKLOG_DROPS]);
		put_d(e, "syncookies_sent_per_s", c[MC_GUEST_TCP_SYNCOOKIES_SENT]);
		put_d(e, "reqq_full_drops_per_s", c[MC_GUEST_TCP_REQQ_FULL_DROPS]);
		put_d(e, "reqq_full_do_cookies_per_s", c[MC_GUEST_TCP_REQQ_FULL_COOKIES]);
		tx(e, "             ListenOverflows %.1f/s  ListenDrops %.1f/s  TCPBacklogDrop %.1f/s\n"
		      "             SyncookiesSent %.1f/s  TCPReqQFullDrop %.1f/s  TCPReqQFullDoCookies %.1f/s\n"
		      "             SyncookiesRecv %.1f/s  SyncookiesFailed %.1f/s\n",
		   c[MC_GUEST_TCP_LISTEN_OVERFLOWS], c[MC_GUEST_TCP_LISTEN_DROPS],
		   c[MC_GUEST_TCP_BACKLOG_DROPS], c[MC_GUEST_TCP_SYNCOOKIES_SENT],
		   c[MC_GUEST_TCP_REQQ_FULL_DROPS], c[MC_GUEST_TCP_REQQ_FULL_COOKIES],
		   c[MC_GUEST_TCP_SYNCOOKIES_RECV], c[MC_GUEST_TCP_SYNCOOKIES_FAILED]);
	}
	if (s->synq.known)
		tx(e, "             half-open (SYN_RECV) %llu on port %u%s\n",
		   (unsigned long long)s->synq.count, s->synq.port,
		   s->synq.age_s > 0 ? " (an earlier count)" : "");
	if (shown(e, s, GV_SOCKSTAT)) {
		put_u(e, "inuse", s->sock.tcp_inuse);
		put_u(e, "inuse6", s->sock.tcp6_inuse);
		put_u(e, "orphans", s->sock.tcp_orphan);
		put_u(e, "time_wait", s->sock.tcp_tw);
		put_u(e, "alloc", s->sock.tcp_alloc);
		tx(e, "Sockets      in use %llu (v6 %llu)  orphans %llu  TIME_WAIT %llu\n",
		   (unsigned long long)s->sock.tcp_inuse, (unsigned long long)s->sock.tcp6_inuse,
		   (unsigned long long)s->sock.tcp_orphan, (unsigned long long)s->sock.tcp_tw);
	}
	close_(e, "}");
}

static void listeners(struct em *e, const struct gv_sample *s, int max)
{
	open_(e, "listeners", "[");
	tx(e, "Listeners    %d\n", s->nlisteners);
	if (s->nlisteners)
		tx(e, "  %-40s %7s %7s %6s\n", "address:port", "queue", "backlog", "fill");
	for (int i = 0; i < s->nlisteners && i < max; i++) {
		const struct gv_listener *l = &s->listeners[i];
		if (e->text) {
			char ap[64];
			snprintf(ap, sizeof ap, l->family == AF_INET6 ? "[%s]:%u" : "%s:%u", l->addr,
				 l->port);
			tx(e, "  %-40s %7u %7u %5.0f%%%s\n", ap, l->queue, l->backlog,
			   l->backlog ? fmin(100, 100.0 * l->queue / l->backlog) : 0,
			   l->queue > 0 && l->queue >= l->backlog ? "  FULL" : "");
		}
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
	tx(e, "\n");
	if (shown(e, s, GV_SOFTNET)) {
		open_(e, "per_cpu", "[");
		tx(e, "softnet      %-5s %12s %10s %12s\n", "cpu", "processed/s", "dropped/s",
		   "squeezed/s");
		for (int i = 0; i < s->nsoftnet; i++) {
			tx(e, "             %-5d %12.1f %10.1f %12.1f\n", s->softnet[i].cpu,
			   s->softnet[i].processed, s->softnet[i].dropped, s->softnet[i].squeezed);
			open_(e, NULL, "{");
			put_i(e, "cpu", s->softnet[i].cpu);
			put_d(e, "processed_per_s", s->softnet[i].processed);
			put_d(e, "dropped_per_s", s->softnet[i].dropped);
			put_d(e, "time_squeeze_per_s", s->softnet[i].squeezed);
			close_(e, "}");
		}
		close_(e, "]");
	}
	if (shown(e, s, GV_SOFTIRQS)) {
		open_(e, "net_rx_per_cpu", "[");
		tx(e, "NET_RX/s    ");
		for (int i = 0; i < s->nnetrx; i++) {
			elem(e);
			dbl(e, s->netrx[i]);
			tx(e, " cpu%d %.1f", i, s->netrx[i]);
		}
		close_(e, "]");
		tx(e, "\n             imbalance %.2fx (hottest cpu %d, %.0f%%)\n", s->netrx_imbalance,
		   s->netrx_hot_cpu, s->netrx_hot_share);
		put_d(e, "net_rx_imbalance", s->netrx_imbalance);
		put_i(e, "net_rx_hot_cpu", s->netrx_hot_cpu);
		put_d(e, "net_rx_hot_share", s->netrx_hot_share);
	}
	close_(e, "}");
}

static void conntrack_ports_files(struct em *e, const struct gv_sample *s)
{
	open_(e, "conntrack", "{");
	tx(e, "\n");
	if (shown(e, s, GV_CONNTRACK)) {
		if (s->ct.present)
			tx(e, "conntrack    %llu / %llu (%.1f%%)  established timeout %llus  "
			      "time_wait timeout %llus\n",
			   (unsigned long long)s->ct.count, (unsigned long long)s->ct.max,
			   s->ct.max ? 100.0 * s->ct.count / s->ct.max : 0,
			   (unsigned long long)s->ct.est_timeout, (unsigned long long)s->ct.tw_timeout);
		else
			tx(e, "conntrack    absent (nf_conntrack not loaded)\n");
	}
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

	if (shown(e, s, GV_PORTS)) {
		double range = (double)s->ports.hi - s->ports.lo + 1;
		tx(e, "ports        range %u-%u (%u)", s->ports.lo, s->ports.hi,
		   s->ports.hi - s->ports.lo + 1);
		if (s->ports.in_use_known)
			tx(e, "  in use %s%llu (%.1f%%)", s->ports.in_use_bound ? "<= " : "",
			   (unsigned long long)s->ports.in_use, 100.0 * s->ports.in_use / range);
		if (s->ports.in_use_known && s->ports.in_use_age_s > 0)
			tx(e, ", counted %.1f s ago", s->ports.in_use_age_s);
		tx(e, "  tcp_tw_reuse %lld\n", (long long)s->knobs.v[MK_GUEST_TCP_TW_REUSE]);
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

	if (shown(e, s, GV_FILES)) {
		tx(e, "files        %llu / %llu (%.2f%%)\n", (unsigned long long)s->files_nr,
		   (unsigned long long)s->files_max,
		   s->files_max ? 100.0 * s->files_nr / s->files_max : 0);
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
	tx(e, "\n");
	if (shown(e, s, GV_IFACES))
		tx(e, "%-12s %10s %10s %9s %9s %8s %4s %s\n", "interface", "rx pkt/s", "tx pkt/s",
		   "rx drop/s", "tx drop/s", "errors/s", "rxq", "rps_cpus (rx-0)");
	for (int i = 0; i < s->nifaces; i++) {
		const struct gv_iface_rate *f = &s->ifaces[i];
		tx(e, "%-12s %10.1f %10.1f %9.1f %9.1f %8.1f %4d %s\n", f->name, f->rx_packets,
		   f->tx_packets, f->rx_dropped, f->tx_dropped, f->rx_errors + f->tx_errors, f->nrxq,
		   f->rps);
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
	/* the table: a knob n/a when the kernel has no such sysctl or it cannot
	 * be read, by the sysctl's last part ("somaxconn") */
	size_t col = 11; /* as wide as "knobs      ", then "\n" and 11 spaces */
	tx(e, "\nknobs      ");
	for (int i = 0; i < MK_COUNT; i++) {
		int64_t v = s->knobs.v[i];
		if (v >= 0)
			put_i(e, metric_defs[metric_of_knob[i]].sysctl, v);
		if (!e->text)
			continue;
		const char *name = strrchr(metric_defs[metric_of_knob[i]].sysctl, '.') + 1;
		char item[96];
		int l = v < 0 ? snprintf(item, sizeof item, "%s n/a (not readable)", name)
			      : snprintf(item, sizeof item, "%s %lld", name, (long long)v);
		if (col + 2 + (size_t)l > 100) {
			tx(e, "\n           ");
			col = 12;
		}
		tx(e, "  %s", item);
		col += 2 + (size_t)l;
	}
	tx(e, "\n");
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

static int emit(const struct gv_sample *s, int wire, int text, struct gv_text *t)
{
	struct em e = { .t = t, .first = 1, .text = text };
	t->len = 0;
	open_(&e, NULL, "{");
	put_d(&e, "interval_s", s->interval_s);
	tx(&e, "guest view over %.2f s\n\n", s->interval_s);

	open_(&e, "errors", "{");
	for (int g = 0; g < GV_NGROUPS; g++)
		if (s->status[g])
			put_s(&e, gv_group_name(g), s->error[g]);
	close_(&e, "}");

	if (shown(&e, s, GV_CPU)) {
		open_(&e, "cpu", "{");
		if (!wire)
			cpu_obj(&e, "total", &s->total, 0);
		tx(&e, "CPU          steal %5.1f%%   user %5.1f%%  system %5.1f%%  softirq %5.1f%%\n",
		   s->total.steal, s->total.user, s->total.system, s->total.softirq);
		tx(&e, "  %-5s %7s %7s %7s %7s %7s\n", "cpu", "steal%", "user%", "sys%", "soft%",
		   "busy%");
		open_(&e, "per_cpu", "[");
		int hot = busiest_cpu(s);
		for (int i = 0; i < s->ncpu; i++) {
			const struct gv_cpu_pct *c = &s->cpu[i];
			if (!wire || i == hot)
				cpu_obj(&e, NULL, c, 1);
			tx(&e, "  %-5d %7.1f %7.1f %7.1f %7.1f %7.1f\n", c->id, c->steal, c->user,
			   c->system, c->softirq, c->busy);
		}
		close_(&e, "]");
		close_(&e, "}");
	}
	if (!wire)
		tcp(&e, s);
	tx(&e, "\n");
	if (shown(&e, s, GV_LISTENERS))
		listeners(&e, s, wire ? RSCAN_KEEP_LISTENERS : s->nlisteners);
	softnet(&e, s, wire);
	if (!wire) {
		conntrack_ports_files(&e, s);
		interfaces(&e, s);
		knobs(&e, s);
	}
	if (!text)
		seeds(&e, s, wire);

	struct mvec m;
	if (!text)
		gv_sample_metrics(s, &m);
	else
		mvec_clear(&m);
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
	return emit(s, 0, 0, t);
}

int gv_emit_report(const struct gv_sample *s, struct gv_text *t)
{
	return emit(s, 1, 0, t);
}

int gv_emit_table(const struct gv_sample *s, struct gv_text *t)
{
	return emit(s, 0, 1, t);
}
