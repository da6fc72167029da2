/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_json_ref: the json-c tree builder that made the sample JSON before
 * lib/gv_emit.c, kept as the reference the hand-written text must equal
 * (test_gv_emit.c), and emit-and-parse for tests that inspect a sample as
 * a json-c object. */
#include "gv_json_ref.h"
#include "gv_emit.h"
#include "gv_kmsg.h"

#include <math.h>
#include <stdio.h>
#include <sys/socket.h>

/* A double rounded to 3 decimals, formatted by hand: json-c's own "%.17g"
 * through snprintf was half the CPU time of a whole sample. */
static struct json_object *new_d(double v)
{
	double r = round(v * 1000);
	if (!isfinite(r) || fabs(r) >= 9e15)
		return json_object_new_double(v);
	long long m = (long long)r;
	char buf[32], *p = buf + sizeof buf;
	int neg = m < 0, frac = (int)((neg ? -m : m) % 1000);
	unsigned long long whole = (unsigned long long)(neg ? -m : m) / 1000;
	*--p = '\0';
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
	return json_object_new_double_s(r / 1000, p);
}

/* Every key here is a string constant, and new in its object: json-c then
 * neither copies it nor looks for an old entry. */
static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add_ex(o, k, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |
					     JSON_C_OBJECT_ADD_CONSTANT_KEY);
}

static void put_d(struct json_object *o, const char *k, double v)
{
	add(o, k, new_d(v));
}

static void put_u(struct json_object *o, const char *k, uint64_t v)
{
	add(o, k, json_object_new_uint64(v));
}

static void put_i(struct json_object *o, const char *k, int64_t v)
{
	add(o, k, json_object_new_int64(v));
}

static struct json_object *cpu_obj(const struct gv_cpu_pct *c, int with_id)
{
	struct json_object *o = json_object_new_object();
	if (with_id)
		put_i(o, "cpu", c->id);
	put_d(o, "user", c->user);
	put_d(o, "system", c->system);
	put_d(o, "softirq", c->softirq);
	put_d(o, "steal", c->steal);
	put_d(o, "busy", c->busy);
	return o;
}

static int ok(const struct gv_sample *s, enum gv_group g)
{
	return s->status[g] == 0;
}

struct json_object *gv_ref_sample_to_json(const struct gv_sample *s)
{
	struct json_object *root = json_object_new_object(), *o, *a;
	if (!root)
		return NULL;
	put_d(root, "interval_s", s->interval_s);

	struct json_object *errs = json_object_new_object();
	for (int g = 0; g < GV_NGROUPS; g++)
		if (s->status[g])
			add(errs, gv_group_name(g),
					       json_object_new_string(s->error[g]));
	add(root, "errors", errs);

	if (ok(s, GV_CPU)) {
		o = json_object_new_object();
		add(o, "total", cpu_obj(&s->total, 0));
		a = json_object_new_array();
		for (int i = 0; i < s->ncpu; i++)
			json_object_array_add(a, cpu_obj(&s->cpu[i], 1));
		add(o, "per_cpu", a);
		add(root, "cpu", o);
	}

	o = json_object_new_object();
	if (ok(s, GV_SNMP)) {
		put_d(o, "passive_opens_per_s", s->tcp.passive_opens);
		put_d(o, "active_opens_per_s", s->tcp.active_opens);
	}
	if (ok(s, GV_NETSTAT)) {
		put_d(o, "listen_overflows_per_s", s->tcp.listen_overflows);
		put_d(o, "listen_drops_per_s", s->tcp.listen_drops);
		put_d(o, "backlog_drops_per_s", s->tcp.backlog_drop);
		put_d(o, "syncookies_sent_per_s", s->tcp.syncookies_sent);
		put_d(o, "reqq_full_drops_per_s", s->tcp.reqq_full_drop);
		put_d(o, "reqq_full_do_cookies_per_s", s->tcp.reqq_full_do_cookies);
	}
	if (ok(s, GV_SOCKSTAT)) {
		put_u(o, "inuse", s->sock.tcp_inuse);
		put_u(o, "inuse6", s->sock.tcp6_inuse);
		put_u(o, "orphans", s->sock.tcp_orphan);
		put_u(o, "time_wait", s->sock.tcp_tw);
		put_u(o, "alloc", s->sock.tcp_alloc);
	}
	add(root, "tcp", o);

	if (ok(s, GV_LISTENERS)) {
		a = json_object_new_array();
		for (int i = 0; i < s->nlisteners; i++) {
			const struct gv_listener *l = &s->listeners[i];
			o = json_object_new_object();
			add(o, "family", json_object_new_string(
				l->family == AF_INET6 ? "ipv6" : "ipv4"));
			add(o, "addr", json_object_new_string(l->addr));
			put_u(o, "port", l->port);
			put_u(o, "queue", l->queue);
			put_u(o, "backlog", l->backlog);
			put_d(o, "fill", l->backlog ? fmin(1.0, (double)l->queue / l->backlog)
						    : (l->queue ? 1.0 : 0.0));
			if (l->pid > 0)
				put_i(o, "pid", l->pid);
			json_object_array_add(a, o);
		}
		add(root, "listeners", a);
	}

	o = json_object_new_object();
	if (ok(s, GV_SOFTNET)) {
		a = json_object_new_array();
		for (int i = 0; i < s->nsoftnet; i++) {
			struct json_object *r = json_object_new_object();
			put_i(r, "cpu", s->softnet[i].cpu);
			put_d(r, "processed_per_s", s->softnet[i].processed);
			put_d(r, "dropped_per_s", s->softnet[i].dropped);
			put_d(r, "time_squeeze_per_s", s->softnet[i].squeezed);
			json_object_array_add(a, r);
		}
		add(o, "per_cpu", a);
	}
	if (ok(s, GV_SOFTIRQS)) {
		a = json_object_new_array();
		for (int i = 0; i < s->nnetrx; i++)
			json_object_array_add(a, new_d(s->netrx[i]));
		add(o, "net_rx_per_cpu", a);
		put_d(o, "net_rx_imbalance", s->netrx_imbalance);
		put_i(o, "net_rx_hot_cpu", s->netrx_hot_cpu);
		put_d(o, "net_rx_hot_share", s->netrx_hot_share);
	}
	add(root, "softnet", o);

	o = json_object_new_object();
	add(o, "present", json_object_new_boolean(s->ct.present));
	if (s->ct.present) {
		put_u(o, "count", s->ct.count);
		put_u(o, "max", s->ct.max);
		put_d(o, "fill", s->ct.max ? (double)s->ct.count / s->ct.max : 0);
		put_u(o, "established_timeout", s->ct.est_timeout);
		put_u(o, "time_wait_timeout", s->ct.tw_timeout);
		if (s->ct.st.present) {
			struct json_object *st = json_object_new_object();
			put_d(st, "invalid_per_s", s->ctr.invalid);
			put_d(st, "insert_failed_per_s", s->ctr.insert_failed);
			put_d(st, "drop_per_s", s->ctr.drop);
			put_d(st, "early_drop_per_s", s->ctr.early_drop);
			put_d(st, "search_restart_per_s", s->ctr.search_restart);
			add(o, "stats", st);
		}
	}
	add(root, "conntrack", o);

	if (ok(s, GV_PORTS)) {
		o = json_object_new_object();
		put_u(o, "range_low", s->ports.lo);
		put_u(o, "range_high", s->ports.hi);
		put_u(o, "range_size", (uint64_t)s->ports.hi - s->ports.lo + 1);
		if (s->ports.in_use_known) {
			put_u(o, "in_use", s->ports.in_use);
			add(o, "in_use_is_bound",
					       json_object_new_boolean(s->ports.in_use_bound));
			put_d(o, "fill", (double)s->ports.in_use / ((double)s->ports.hi - s->ports.lo + 1));
			put_d(o, "in_use_age_s", s->ports.in_use_age_s);
		}
		put_i(o, "tcp_tw_reuse", s->knobs.tw_reuse);
		put_u(o, "exact_counts", s->ports.exact_counts);
		put_d(o, "exact_cpu_ms", (double)s->ports.exact_cpu_ns / 1e6);
		add(root, "ports", o);
	}

	if (ok(s, GV_FILES)) {
		o = json_object_new_object();
		put_u(o, "nr", s->files_nr);
		put_u(o, "max", s->files_max);
		put_d(o, "fill", s->files_max ? (double)s->files_nr / s->files_max : 0);
		add(root, "files", o);
	}

	a = json_object_new_array();
	for (int i = 0; i < s->nifaces; i++) {
		const struct gv_iface_rate *f = &s->ifaces[i];
		o = json_object_new_object();
		add(o, "name", json_object_new_string(f->name));
		put_d(o, "rx_packets_per_s", f->rx_packets);
		put_d(o, "tx_packets_per_s", f->tx_packets);
		put_d(o, "rx_dropped_per_s", f->rx_dropped);
		put_d(o, "tx_dropped_per_s", f->tx_dropped);
		put_d(o, "rx_errors_per_s", f->rx_errors);
		put_d(o, "tx_errors_per_s", f->tx_errors);
		put_i(o, "rx_queues", f->nrxq);
		put_i(o, "rps_off", f->rps_off);
		add(o, "rps_cpus", json_object_new_string(f->rps));
		if (f->has_ch) {
			struct json_object *ch = json_object_new_object();
			put_u(ch, "combined", f->ch_combined);
			put_u(ch, "combined_max", f->ch_combined_max);
			put_u(ch, "rx", f->ch_rx);
			put_u(ch, "rx_max", f->ch_rx_max);
			add(o, "channels", ch);
		}
		json_object_array_add(a, o);
	}
	add(root, "interfaces", a);

	static const struct {
		const char *key;
		size_t off;
	} knobs[] = {
		{ "net.core.somaxconn", offsetof(struct gv_knobs, somaxconn) },
		{ "net.ipv4.tcp_max_syn_backlog", offsetof(struct gv_knobs, tcp_max_syn_backlog) },
		{ "net.core.netdev_max_backlog", offsetof(struct gv_knobs, netdev_max_backlog) },
		{ "net.core.netdev_budget", offsetof(struct gv_knobs, netdev_budget) },
		{ "net.ipv4.tcp_fin_timeout", offsetof(struct gv_knobs, tcp_fin_timeout) },
		{ "net.ipv4.tcp_slow_start_after_idle", offsetof(struct gv_knobs, slow_start_after_idle) },
		{ "net.ipv4.tcp_syncookies", offsetof(struct gv_knobs, syncookies) },
		{ "net.ipv4.tcp_tw_reuse", offsetof(struct gv_knobs, tw_reuse) },
		{ "net.netfilter.nf_conntrack_max", offsetof(struct gv_knobs, nf_conntrack_max) },
		{ "net.core.rps_sock_flow_entries", offsetof(struct gv_knobs, rps_sock_flow_entries) },
		{ "net.ipv4.tcp_max_tw_buckets", offsetof(struct gv_knobs, tcp_max_tw_buckets) },
		{ "net.ipv4.tcp_max_orphans", offsetof(struct gv_knobs, tcp_max_orphans) },
		{ "net.core.rmem_max", offsetof(struct gv_knobs, rmem_max) },
		{ "net.core.wmem_max", offsetof(struct gv_knobs, wmem_max) },
		{ "vm.min_free_kbytes", offsetof(struct gv_knobs, min_free_kbytes) },
	};
	static const struct {
		const char *key;
		size_t off;
	} triples[] = {
		{ "net.ipv4.tcp_mem", offsetof(struct gv_knobs, tcp_mem) },
		{ "net.ipv4.tcp_rmem", offsetof(struct gv_knobs, tcp_rmem) },
		{ "net.ipv4.tcp_wmem", offsetof(struct gv_knobs, tcp_wmem) },
	};
	o = json_object_new_object();
	for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++) {
		int64_t v = *(const int64_t *)((const char *)&s->knobs + knobs[i].off);
		if (v >= 0)
			put_i(o, knobs[i].key, v);
	}
	for (size_t i = 0; i < sizeof triples / sizeof *triples; i++) {
		const int64_t *v = (const int64_t *)((const char *)&s->knobs + triples[i].off);
		char b[72];
		if (v[0] < 0)
			continue;
		snprintf(b, sizeof b, "%lld %lld %lld", (long long)v[0], (long long)v[1],
			 (long long)v[2]);
		add(o, triples[i].key, json_object_new_string(b));
	}
	add(root, "knobs", o);

	if (ok(s, GV_IRQS) && (s->irq.present || s->irq.irqbalance >= 0)) {
		o = json_object_new_object();
		add(o, "present", json_object_new_boolean(s->irq.present));
		if (s->irq.present) {
			put_i(o, "nic_lines", s->irq.nlines);
			a = json_object_new_array();
			for (int i = 0; i < s->irq_ncpu; i++) {
				struct json_object *c = json_object_new_object();
				put_i(c, "cpu", s->irq_cpu_id[i]);
				put_d(c, "nic_per_s", s->irq_cpu_rate[i]);
				json_object_array_add(a, c);
			}
			add(o, "per_cpu", a);
			put_d(o, "nic_per_s", s->irq_rate);
			put_i(o, "hot_cpu", s->irq_hot_cpu >= 0 ? s->irq_cpu_id[s->irq_hot_cpu] : -1);
			put_d(o, "hot_share", s->irq_hot_share);
			add(o, "one_cpu", json_object_new_boolean(gv_sample_irq_one_cpu(s)));
			a = json_object_new_array();
			for (int i = 0; i < s->irq.nlist; i++) {
				struct json_object *l = json_object_new_object();
				put_i(l, "irq", s->irq.lines[i].irq);
				add(l, "name", json_object_new_string(s->irq.lines[i].name));
				put_u(l, "total", s->irq.lines[i].total);
				json_object_array_add(a, l);
			}
			add(o, "lines", a);
		}
		put_i(o, "irqbalance", s->irq.irqbalance);
		add(root, "irqs", o);
	}
	if (ok(s, GV_KMSG) && s->kmsg.present) {
		o = json_object_new_object();
		add(o, "present", json_object_new_boolean(s->kmsg.present));
		if (s->kmsg.present) {
			for (int i = 0; i < GV_KM_N; i++)
				put_u(o, gv_kmsg_kind_name((enum gv_kmsg_kind)i), s->kmsg.n[i]);
			put_u(o, "lines", s->kmsg.lines);
			put_u(o, "skipped", s->kmsg.skipped);
			add(o, "latest", json_object_new_string(s->kmsg.latest));
			if (s->kmsg_latest_age_s >= 0)
				put_d(o, "latest_age_s", s->kmsg_latest_age_s);
		}
		add(root, "kmsg", o);
	}
	if (ok(s, GV_PROCS)) {
		a = json_object_new_array();
		for (int i = 0; i < s->procs.nproc; i++) {
			const struct gv_proc *p = &s->procs.p[i];
			o = json_object_new_object();
			put_i(o, "pid", p->pid);
			add(o, "comm", json_object_new_string(p->comm));
			put_u(o, "fds", p->fds);
			add(o, "fds_is_bound", json_object_new_boolean(p->fds_bound));
			put_d(o, "fds_age_s", p->fds_age_s);
			put_i(o, "nofile_soft", p->soft == UINT64_MAX ? -1 : (int64_t)p->soft);
			put_i(o, "nofile_hard", p->hard == UINT64_MAX ? -1 : (int64_t)p->hard);
			put_d(o, "fill", p->soft == UINT64_MAX || !p->soft ? 0
				  : fmin(1.0, (double)p->fds / (double)p->soft));
			put_i(o, "listeners", p->listeners);
			json_object_array_add(a, o);
		}
		add(root, "processes", a);
	}

	struct mvec m;
	gv_sample_metrics(s, &m);
	o = json_object_new_object();
	for (int i = 0; i < M_COUNT; i++)
		if (mvec_has(&m, i))
			put_d(o, metric_defs[i].name, m.v[i]);
	add(root, "metrics", o);
	return root;
}

struct json_object *gv_sample_obj(const struct gv_sample *s)
{
	struct gv_text t = { 0 };
	struct json_object *o = NULL;
	if (gv_emit_sample(s, &t) == 0)
		o = json_tokener_parse(t.p);
	gv_text_free(&t);
	return o;
}
