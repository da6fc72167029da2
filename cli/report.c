/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report: `vtune report`: fetch a capture from vtune-hostd (or a saved one),
 * build the report's data model (side-by-side rows, diagnosis, changes,
 * history) and hand it to the text, JSON or HTML renderer. */
#include "report.h"
#include "sanitize.h"
#include "commands.h"
#include "ctl_client.h"
#include "fmtnum.h"
#include "parse.h"
#include "policy.h"
#include "safefile.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GV_LINE_MAX 220 /* a kernel log line as the agent keeps it, and more */

json_object *rep_get(json_object *o, const char *k)
{
	json_object *v;
	return o && json_object_is_type(o, json_type_object) &&
		       json_object_object_get_ex(o, k, &v) ? v : NULL;
}

double rep_num(json_object *o, const char *k)
{
	json_object *v = rep_get(o, k);
	return v && (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
		       ? json_object_get_double(v) : NAN;
}

const char *rep_str(json_object *o, const char *k)
{
	json_object *v = rep_get(o, k);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

const char *rep_fmt_rate(double v, char *buf, size_t n)
{
	return fmt_num(v, buf, n); /* "n/a" when unknown, never 2.4e+06 */
}

/* ---- the model ---- */

/* A metric of the guest's (g) or host's (h) view, NAN when unknown. */
static double m(json_object *g, const char *name)
{
	return rep_num(rep_get(g, !strncmp(name, "host.", 5) ? "host_metrics" : "guest_metrics"), name);
}

/* "%" values: "12.0 %" or "n/a". */
static const char *pct(double v, char *b, size_t n)
{
	return fmt_unit(v, MU_PCT, b, n);
}

static const char *rate(double v, char *b, size_t n)
{
	char t[24];
	snprintf(b, n, "%s%s", rep_fmt_rate(v, t, sizeof t), isnan(v) ? "" : "/s");
	return b;
}

__attribute__((format(printf, 4, 5)))
static void row(json_object *rows, const char *what, const char *guest, const char *hostfmt, ...)
{
	char host[256];
	va_list ap;
	va_start(ap, hostfmt);
	vsnprintf(host, sizeof host, hostfmt, ap);
	va_end(ap);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "what", json_object_new_string(what));
	json_object_object_add(o, "guest", json_object_new_string(guest));
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_array_add(rows, o);
}

/* A count metric as text ("n/a" when unknown). */
static const char *cnt(double v, char *b, size_t n)
{
	if (isnan(v))
		snprintf(b, n, "n/a");
	else
		snprintf(b, n, "%.0f", v);
	return b;
}

/* A guest's text made safe for a terminal: control bytes become '?'. */
static void safe_text(const char *in, char *out, size_t n)
{
	size_t i = 0;
	for (; in[i] && i + 1 < n; i++)
		out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	out[i] = '\0';
}

/* The seeds' rows: NIC queues and their interrupts, socket memory and
 * limits, the kernel log's latest known line. */
static void seed_rows(json_object *rows, json_object *g)
{
	char gs[256], a[32], b[32], c[32], d[32], e[32];
	snprintf(gs, sizeof gs, "NIC irqs on %s CPU(s), hottest %s; queues %s of %s",
		 cnt(m(g, "guest.irq.nic_cpus"), a, sizeof a),
		 pct(m(g, "guest.irq.nic_hot_share"), b, sizeof b),
		 cnt(m(g, "guest.net.channels"), c, sizeof c),
		 cnt(m(g, "guest.net.channels_max"), d, sizeof d));
	double ib = m(g, "host.irqbalance");
	row(rows, "nic queues", gs, "host NIC irqs %s, hottest CPU %s; irqbalance %s",
	    rate(m(g, "host.irq.nic_rate"), e, sizeof e), pct(m(g, "host.irq.nic_hot_share"), a, sizeof a),
	    isnan(ib) ? "n/a" : ib >= 1 ? "on" : "off");
	snprintf(gs, sizeof gs, "tcp mem %s of max, TIME_WAIT %s, orphans %s, open files %s",
		 pct(m(g, "guest.tcp.mem_fill"), a, sizeof a),
		 pct(m(g, "guest.tcp.time_wait_fill"), b, sizeof b),
		 pct(m(g, "guest.tcp.orphans_fill"), c, sizeof c),
		 pct(m(g, "guest.proc.nofile_fill_max"), d, sizeof d));
	row(rows, "limits", gs, "conntrack drops %s, new %s",
	    rate(m(g, "host.conntrack.drops"), a, sizeof a), rate(m(g, "host.conntrack.new"), b, sizeof b));
	json_object *k = rep_get(g, "kmsg");
	char line[GV_LINE_MAX];
	safe_text(rep_str(k, "latest"), line, sizeof line);
	row(rows, "kernel log", *line ? line : "no known line since the agent started", "-");
}

static json_object *side_by_side(json_object *g)
{
	json_object *rows = json_object_new_array();
	char gs[256], a[32], b[32], c[32], d[32];
	int xen = !strcmp(rep_str(g, "hypervisor"), "xen");
	const char *tap = *rep_str(g, "tap") ? rep_str(g, "tap") : (xen ? "vif" : "tap");

	snprintf(gs, sizeof gs, "steal %s (worst CPU %s)", pct(m(g, "guest.cpu.steal"), a, sizeof a),
		 pct(m(g, "guest.cpu.steal_max"), b, sizeof b));
	if (xen)
		row(rows, "cpu wait", gs, "dom0 load %s (busiest vCPU %s); dom0 cannot see run delay; the guest's steal is the signal",
		    pct(m(g, "host.dom0.busy"), c, sizeof c), pct(m(g, "host.dom0.busy_max"), d, sizeof d));
	else
		row(rows, "cpu wait", gs, "vCPU delay %s (worst vCPU %s)",
		    pct(m(g, "host.vcpu.delay"), c, sizeof c), pct(m(g, "host.vcpu.delay_max"), d, sizeof d));
	/* beside it: the threads that move its packets */
	row(rows, "net threads", "-", "%s: busiest %s CPU, worst run delay %s",
	    xen ? "netback kthreads (dom0)" : "vhost workers", pct(m(g, "host.netthread.cpu"), c, sizeof c),
	    pct(m(g, "host.netthread.delay"), d, sizeof d));

	json_object *hc = rep_get(g, "guest_hot_cpu");
	if (hc)
		snprintf(gs, sizeof gs, "CPU %.0f busy %s, softirq %s", rep_num(hc, "cpu"),
			 pct(rep_num(hc, "busy"), a, sizeof a), pct(rep_num(hc, "softirq"), b, sizeof b));
	else
		snprintf(gs, sizeof gs, "busiest CPU %s, softirq %s", pct(m(g, "guest.cpu.busy_max"), a, sizeof a),
			 pct(m(g, "guest.cpu.softirq_max"), b, sizeof b));
	row(rows, "hot cpu", gs, "busiest %s CPU %s, %s load %s", xen ? "dom0" : "host",
	    pct(m(g, "host.cpu.busy_max"), c, sizeof c), xen ? "dom0" : "host",
	    pct(m(g, "host.dom0.busy"), d, sizeof d));

	snprintf(gs, sizeof gs, "accepts %s, connects %s", rate(m(g, "guest.tcp.passive_opens"), a, sizeof a),
		 rate(m(g, "guest.tcp.active_opens"), b, sizeof b));
	row(rows, "connections", gs, "%s packets to guest %s, from guest %s", tap,
	    rate(m(g, "host.tap.tx_packets"), c, sizeof c), rate(m(g, "host.tap.rx_packets"), d, sizeof d));

	snprintf(gs, sizeof gs, "overflows %s, listen drops %s, full %s, fullest %s",
		 rate(m(g, "guest.tcp.listen_overflows"), a, sizeof a),
		 rate(m(g, "guest.tcp.listen_drops"), b, sizeof b),
		 isnan(m(g, "guest.listen.full")) ? "n/a" : (snprintf(c, sizeof c, "%.0f", m(g, "guest.listen.full")), c),
		 pct(m(g, "guest.listen.fill_max"), d, sizeof d));
	row(rows, "accept queue", gs, "%s", ""); /* no host-side counterpart */

	snprintf(gs, sizeof gs, "rx drops %s, tx drops %s, TCP checksum errors %s, retransmits %s",
		 rate(m(g, "guest.net.rx_drops"), a, sizeof a), rate(m(g, "guest.net.tx_drops"), b, sizeof b),
		 rate(m(g, "guest.tcp.csum_errors"), c, sizeof c), pct(m(g, "guest.tcp.retrans_pct"), d, sizeof d));
	char f2[32], f3[32];
	row(rows, "drops", gs, "%s tx drops %s (to guest), rx drops %s, errors %s, hw csum failures %s", tap,
	    rate(m(g, "host.tap.tx_drops"), c, sizeof c), rate(m(g, "host.tap.rx_drops"), d, sizeof d),
	    rate(m(g, "host.tap.errors"), f2, sizeof f2), rate(m(g, "host.csum_failures"), f3, sizeof f3));

	char e[32];
	snprintf(gs, sizeof gs, "dropped %s, squeezed %s, NET_RX hot CPU share %s",
		 rate(m(g, "guest.softnet.dropped"), a, sizeof a), rate(m(g, "guest.softnet.squeezed"), b, sizeof b),
		 pct(m(g, "guest.netrx.hot_share"), c, sizeof c));
	json_object *nh = rep_get(g, "net_rx_hot_cpu");
	if (nh && json_object_get_int(nh) >= 0) {
		size_t l = strlen(gs);
		snprintf(gs + l, sizeof gs - l, " (CPU %d)", json_object_get_int(nh));
	}
	row(rows, "softnet", gs, "dropped %s", rate(m(g, "host.softnet.dropped"), e, sizeof e));

	double rps = m(g, "guest.net.rps_off"), bnf = m(g, "host.bridge_nf"), off = m(g, "host.offloads_off");
	snprintf(gs, sizeof gs, "rx queues without RPS: %s",
		 isnan(rps) ? "n/a" : (snprintf(a, sizeof a, "%.0f", rps), a));
	row(rows, "net path", gs, "bridge %s, bridge-nf %s, offloads off: %s",
	    *rep_str(g, "bridge") ? rep_str(g, "bridge") : "n/a",
	    isnan(bnf) ? "n/a" : bnf >= 1 ? "on" : "off",
	    isnan(off) ? "n/a" : (snprintf(b, sizeof b, "%.0f", off), b));

	double ncpu = m(g, "guest.cpus"), pin = m(g, "host.pinned"), vfs = m(g, "host.sriov.free_vfs");
	double nv = rep_num(g, "nvcpus");
	snprintf(gs, sizeof gs, "%s online CPUs", isnan(ncpu) ? "n/a" : (snprintf(a, sizeof a, "%.0f", ncpu), a));
	row(rows, "cpus", gs, "%s vCPUs, pinned by vtune: %s",
	    isnan(nv) || nv <= 0 ? "n/a" : (snprintf(b, sizeof b, "%.0f", nv), b),
	    isnan(pin) ? "n/a" : pin >= 1 ? "yes" : "no");

	snprintf(gs, sizeof gs, "conntrack %s full", pct(m(g, "guest.conntrack.fill"), a, sizeof a));
	row(rows, "conntrack", gs, "conntrack %s full; SR-IOV VFs free: %s",
	    pct(m(g, "host.conntrack.fill"), b, sizeof b),
	    isnan(vfs) ? "n/a" : (snprintf(c, sizeof c, "%.0f", vfs), c));
	seed_rows(rows, g);
	return rows;
}

static json_object *listeners(json_object *g)
{
	json_object *out = json_object_new_array(), *ls = rep_get(g, "listeners");
	size_t n = ls && json_object_is_type(ls, json_type_array) ? json_object_array_length(ls) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(ls, i), *o = json_object_new_object();
		double q = rep_num(l, "queue"), bl = rep_num(l, "backlog");
		double fill = bl > 0 ? 100.0 * fmin(1.0, q / bl) : 0;
		char t[160];
		const char *addr = rep_str(l, "addr");
		snprintf(t, sizeof t, "%s%s%s:%.0f queue %.0f/%.0f (%.0f %%)",
			 strchr(addr, ':') ? "[" : "", addr, strchr(addr, ':') ? "]" : "",
			 rep_num(l, "port"), isnan(q) ? 0 : q, isnan(bl) ? 0 : bl, fill);
		json_object_object_add(o, "addr", json_object_new_string(addr));
		json_object_object_add(o, "port", json_object_new_int((int)rep_num(l, "port")));
		json_object_object_add(o, "queue", json_object_new_int64(isnan(q) ? 0 : (int64_t)q));
		json_object_object_add(o, "backlog", json_object_new_int64(isnan(bl) ? 0 : (int64_t)bl));
		json_object_object_add(o, "fill_pct", json_object_new_double(fill));
		json_object_object_add(o, "text", json_object_new_string(t));
		json_object_array_add(out, o);
	}
	return out;
}

static void when(double t, char *b, size_t n)
{
	time_t s = isnan(t) ? 0 : (time_t)t;
	struct tm tm;
	if (!localtime_r(&s, &tm) || !strftime(b, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(b, n, "n/a");
}

/* The journal changes ("did") and the dry-run plan ("would"), each with a
 * "text" line. */
static json_object *changes(json_object *g, const char *k, int did)
{
	json_object *out = json_object_new_array(), *a = rep_get(g, k);
	size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(a, i);
		char t[768], w[32];
		if (!did && !strcmp(rep_str(c, "kind"), "note")) {
			snprintf(t, sizeof t, "%s note (rule %s): %s", rep_str(c, "side"), rep_str(c, "rule"),
				 rep_str(c, "note"));
		} else if (did) {
			when(rep_num(c, "time_s"), w, sizeof w);
			snprintf(t, sizeof t, "%s %s %s %s%s%s %s -> %s (rule %s): %s", w, rep_str(c, "side"),
				 rep_str(c, "kind"), rep_str(c, "target"), *rep_str(c, "target") ? " " : "",
				 rep_str(c, "key"), *rep_str(c, "old") ? rep_str(c, "old") : "n/a",
				 rep_str(c, "new"), rep_str(c, "rule"), rep_str(c, "state"));
		} else if (json_object_get_boolean(rep_get(c, "deferred"))) {
			snprintf(t, sizeof t, "%s %s %s: the guest's agent plans it: %s (rule %s; %s)",
				 rep_str(c, "side"), rep_str(c, "kind"), rep_str(c, "key"),
				 rep_str(c, "ask"), rep_str(c, "rule"), rep_str(c, "why"));
		} else {
			snprintf(t, sizeof t, "%s %s %s %s -> %s (rule %s; %s)", rep_str(c, "side"),
				 rep_str(c, "kind"), rep_str(c, "key"),
				 *rep_str(c, "old") ? rep_str(c, "old") : "n/a", rep_str(c, "new"),
				 rep_str(c, "rule"), rep_str(c, "why"));
		}
		json_object *o = json_object_new_object();
		json_object_object_foreach(c, kk, vv)
			json_object_object_add(o, kk, json_object_get(vv));
		json_object_object_add(o, "text", json_object_new_string(t));
		json_object_array_add(out, o);
	}
	return out;
}

/* What the policies no longer manage for this guest: an administrator
 * changed it by hand ("left alone: changed by someone else"). */
static json_object *left_alone(json_object *g)
{
	json_object *out = json_object_new_array(), *a = rep_get(g, "left_alone");
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *x = json_object_array_get_idx(a, i), *o = json_object_new_object();
		char t[320];
		snprintf(t, sizeof t, "%s: changed by someone else (now %s): left alone",
			 rep_str(x, "what"), rep_str(x, "now"));
		json_object_object_add(o, "what", json_object_new_string(rep_str(x, "what")));
		json_object_object_add(o, "now", json_object_new_string(rep_str(x, "now")));
		json_object_object_add(o, "text", json_object_new_string(t));
		json_object_array_add(out, o);
	}
	return out;
}

/* Effect verification's last verdict per rule: "rule R: reverted: no
 * effect — accepts 21,363 → 18,589/s; quarantined for 3540 s more". */
static json_object *verified(json_object *g)
{
	json_object *out = json_object_new_array(), *a = rep_get(g, "verified");
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *x = json_object_array_get_idx(a, i), *o = json_object_new_object();
		double left = rep_num(x, "quarantine_left_s");
		char t[640], q[64] = "";
		if (!isnan(left) && left > 0)
			snprintf(q, sizeof q, "; quarantined for %.0f s more", left);
		snprintf(t, sizeof t, "rule %s: %s%s", rep_str(x, "rule"), rep_str(x, "text"), q);
		json_object_object_foreach(x, kk, vv)
			json_object_object_add(o, kk, json_object_get(vv));
		json_object_object_add(o, "text", json_object_new_string(t));
		json_object_array_add(out, o);
	}
	return out;
}

/* Host changes refused to keep the host safe, each with the rule that
 * needs what it would turn off. */
static json_object *refused(json_object *g)
{
	json_object *out = json_object_new_array(), *a = rep_get(g, "refused");
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "text", json_object_get(json_object_array_get_idx(a, i)));
		json_object_array_add(out, o);
	}
	return out;
}

/* The guest's reports the host could not corroborate: its host rules
 * were held (corroborate.h). */
static json_object *implausible(json_object *g)
{
	json_object *out = json_object_new_array();
	double n = rep_num(g, "implausible");
	if (!isnan(n) && n > 0) {
		json_object *o = json_object_new_object();
		json_object *now = rep_get(g, "implausible_now");
		char t[512];
		snprintf(t, sizeof t, "%.0f report(s), host rules held%s: %s", n,
			 now && json_object_get_boolean(now) ? " now" : "", rep_str(g, "implausible_why"));
		json_object_object_add(o, "count", json_object_new_int64((int64_t)n));
		json_object_object_add(o, "text", json_object_new_string(t));
		json_object_array_add(out, o);
	}
	return out;
}

/* What the guest's agent cannot be asked (an older protocol). */
static json_object *not_served(json_object *g)
{
	json_object *out = json_object_new_array(), *a = rep_get(g, "unserved");
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "text", json_object_get(json_object_array_get_idx(a, i)));
		json_object_array_add(out, o);
	}
	return out;
}

/* The history cut to the last minutes before its newest point. */
static json_object *history(json_object *g, int minutes)
{
	json_object *h = rep_get(g, "history"), *t = rep_get(h, "t"), *ser = rep_get(h, "series");
	json_object *o = json_object_new_object(), *nt = json_object_new_array(), *ns = json_object_new_object();
	size_t n = t && json_object_is_type(t, json_type_array) ? json_object_array_length(t) : 0;
	size_t first = 0;
	if (n && minutes > 0) {
		double last = json_object_get_double(json_object_array_get_idx(t, n - 1));
		while (first < n &&
		       json_object_get_double(json_object_array_get_idx(t, first)) < last - minutes * 60.0)
			first++;
	}
	double ps = rep_num(h, "period_s");
	json_object_object_add(o, "period_s", json_object_new_double(isnan(ps) ? 0 : ps));
	for (size_t i = first; i < n; i++)
		json_object_array_add(nt, json_object_get(json_object_array_get_idx(t, i)));
	if (ser && json_object_is_type(ser, json_type_object)) {
		json_object_object_foreach(ser, k, v) {
			json_object *a = json_object_new_array();
			size_t vn = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
			for (size_t i = first; i < n; i++)
				json_object_array_add(a, i < vn ? json_object_get(json_object_array_get_idx(v, i)) : NULL);
			json_object_object_add(ns, k, a);
		}
	}
	json_object_object_add(o, "t", nt);
	json_object_object_add(o, "series", ns);
	return o;
}

static void copy(json_object *to, json_object *from, const char *k)
{
	json_object *v = rep_get(from, k);
	json_object_object_add(to, k, json_object_get(v));
}

json_object *rep_model(json_object *cap, const char *only, int minutes, char *err, size_t n)
{
	json_object *guests = rep_get(cap, "guests"), *ok = rep_get(cap, "ok");
	if (ok && !json_object_get_boolean(ok)) {
		snprintf(err, n, "vtune-hostd says: %s", rep_str(cap, "error"));
		return NULL;
	}
	if (!guests || !json_object_is_type(guests, json_type_array)) {
		snprintf(err, n, "not a report capture: no \"guests\" array");
		return NULL;
	}
	json_object *mo = json_object_new_object(), *hd = json_object_new_object();
	json_object *arr = json_object_new_array();
	static const char *const top[] = { "version", "backend", "policy", "rules", "interval_s", "dry_run" };
	for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
		copy(hd, cap, top[i]);
	json_object_object_add(mo, "hostd", hd);
	copy(mo, cap, "captured_at");
	json_object_object_add(mo, "history_minutes", json_object_new_int(minutes));
	for (size_t i = 0; i < json_object_array_length(guests); i++) {
		json_object *g = json_object_array_get_idx(guests, i), *o;
		if (only && strcmp(only, rep_str(g, "name")))
			continue;
		o = json_object_new_object();
		static const char *const keep[] = { "name", "hypervisor", "connected", "agent", "report_age_s",
						    "tap", "bridge", "nvcpus", "active_rules",
						    "guest_metrics", "host_metrics", "kmsg", "processes" };
		for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
			copy(o, g, keep[k]);
		json_object_object_add(o, "side_by_side", side_by_side(g));
		json_object_object_add(o, "listeners", listeners(g));
		json_object *d = json_object_new_array();
		rep_diagnose(g, d);
		json_object_object_add(o, "diagnosis", d);
		json_object_object_add(o, "policies_did", changes(g, "changes", 1));
		json_object_object_add(o, "policies_would", changes(g, "plan", 0));
		json_object_object_add(o, "verified", verified(g));
		json_object_object_add(o, "left_alone", left_alone(g));
		json_object_object_add(o, "refused", refused(g));
		json_object_object_add(o, "implausible", implausible(g));
		json_object_object_add(o, "not_served", not_served(g));
		json_object_object_add(o, "history", history(g, minutes));
		json_object_array_add(arr, o);
	}
	json_object_object_add(mo, "guests", arr);
	if (only && !json_object_array_length(arr)) {
		snprintf(err, n, "no guest named '%s'", only);
		json_object_put(mo);
		return NULL;
	}
	return mo;
}

/* ---- the command ---- */

static const char usage[] =
	"usage: vtune report [--control PATH] [--from FILE] [--save FILE] [--json]\n"
	"                    [--watch [S]] [--html FILE] [--minutes N] [--guest NAME]\n"
	"                    [--policy FILE]\n"
	"\n"
	"Each guest's guest view and host view side by side, the diagnosis (the\n"
	"policy engine's evaluation: each rule firing, waiting for its `for`, held\n"
	"by its bounds, in cooldown or quarantine, or refused, with its figures and\n"
	"its fix), what the policies did (the journal) and would do (the dry-run\n"
	"plan), and the effect of the changes (kept, or undone for no effect).\n"
	"  --control PATH  hostd's control socket (default $VTUNE_CONTROL, else "
	CTL_CLIENT_DEFAULT_PATH ")\n"
	"  --from FILE     read a saved capture instead of asking vtune-hostd\n"
	"  --save FILE     also write the capture to FILE (for --from)\n"
	"  --json          print the report as JSON (same content as the text)\n"
	"  --watch [S]     refresh every S seconds (default 2)\n"
	"  --html FILE     write a self-contained page with charts of the history\n"
	"  --minutes N     history to chart (default 30)\n"
	"  --guest NAME    only this guest\n"
	"  --policy FILE   evaluate a capture that holds no evaluation of vtune-hostd's\n"
	"                  with this policy (default " VTUNE_POLICY_DEFAULT ")\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static json_object *load_file(const char *path, char *err, size_t n)
{
	json_object *o = json_object_from_file(path);
	if (o) /* a saved capture holds guest text too */
		san_json(o);
	if (!o)
		snprintf(err, n, "%s: cannot read a JSON capture: %s", path, json_util_get_last_err());
	return o;
}

static json_object *fetch(const char *path, const char *guest, int minutes, char *err, size_t n)
{
	json_object *req = json_object_new_object(), *rep = NULL;
	json_object_object_add(req, "cmd", json_object_new_string("report"));
	json_object_object_add(req, "minutes", json_object_new_int(minutes));
	if (guest)
		json_object_object_add(req, "guest", json_object_new_string(guest));
	int r = ctl_request(path, req, &rep, err, n);
	json_object_put(req);
	return r < 0 ? NULL : rep;
}

struct out_arg {
	json_object *o;
	int html;
};

static int fill(FILE *f, void *arg)
{
	const struct out_arg *a = arg;
	if (a->html)
		return rep_print_html(a->o, f);
	fprintf(f, "%s\n", json_object_to_json_string_ext(a->o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
}

/* The file written safely (lib/safefile): never through a symlink, never
 * over a device, FIFO or directory; why says what failed. */
static int write_file(const char *path, json_object *o, int html, char *why, size_t n)
{
	struct out_arg a = { o, html };
	return safefile_write(path, 0644, fill, &a, why, n);
}

int cmd_report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "save", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "watch", optional_argument, NULL, 'w' },
		{ "html", required_argument, NULL, 'H' },
		{ "minutes", required_argument, NULL, 'm' },
		{ "guest", required_argument, NULL, 'g' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = ctl_default_path(), *from = NULL, *save = NULL, *html = NULL,
		   *guest = NULL, *policy = NULL;
	int json = 0, c, minutes = REP_DEFAULT_MINUTES, rc = 0;
	double watch = 0;
	char err[512];

	optind = 0;
	while ((c = getopt_long(argc, argv, "+c:f:s:jw::H:m:g:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break; /* checked below */
		case 'c': path = optarg; break;
		case 'f': from = optarg; break;
		case 's': save = optarg; break;
		case 'j': json = 1; break;
		case 'H': html = optarg; break;
		}
		/* a file name that is an option (--from --json) is a usage error */
		if ((c == 'c' || c == 'f' || c == 's' || c == 'H' || c == 'g' || c == 'p') &&
		    optarg[0] == '-') {
			fprintf(stderr, "vtune report: --%s wants a %s, not the option '%s'\n",
				c == 'c' ? "control" : c == 'f' ? "from" : c == 's' ? "save"
				: c == 'H' ? "html" : c == 'p' ? "policy" : "guest",
				c == 'g' ? "guest name" : "file name", optarg);
			return 2;
		}
		switch (c) {
		case 'c': case 'f': case 's': case 'j': case 'H': case 'p': break; /* above */
		case 'g': guest = optarg; break;
		case 'w': {
			/* --watch S or --watch=S; a bare --watch is 2 s */
			const char *a = optarg;
			if (!a && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
				a = argv[optind++];
			watch = 2;
			if (a && (parse_double(a, &watch) || !(watch >= 0.1 && watch <= 3600))) {
				fprintf(stderr, "vtune report: --watch: want seconds in 0.1..3600\n");
				return 2;
			}
			break;
		}
		case 'm': {
			uint64_t v;
			if (parse_u64(optarg, &v) || v < 1 || v > 24 * 60) {
				fprintf(stderr, "vtune report: --minutes: want whole minutes in 1..1440\n");
				return 2;
			}
			minutes = (int)v;
			break;
		}
		case 'h': fputs(usage, stdout); return 0;
		default: return 2; /* getopt said what, on one line */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtune report: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (watch > 0 && (from || html || save)) {
		fprintf(stderr, "vtune report: --watch goes with neither --from, --save nor --html\n");
		return 2;
	}
	/* a capture without vtune-hostd's evaluation is evaluated here by the
	 * same engine, with this policy */
	struct pol_diag pd;
	pol_diag_init(&pd);
	struct pol_set *set = pol_load_file(policy ? policy : VTUNE_POLICY_DEFAULT, &pd);
	if (!set && policy) {
		pol_diag_print(&pd, stderr);
		fprintf(stderr, "vtune report: --policy %s: refused\n", policy);
		pol_diag_free(&pd);
		return 1;
	}
	pol_diag_free(&pd);
	rep_set_policy(set, policy ? policy : VTUNE_POLICY_DEFAULT);
	if (watch > 0) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}
	do {
		json_object *cap = from ? load_file(from, err, sizeof err)
					: fetch(path, guest, minutes, err, sizeof err);
		json_object *model = cap ? rep_model(cap, guest, minutes, err, sizeof err) : NULL;
		if (!model) {
			fprintf(stderr, "vtune report: %s\n", err);
			json_object_put(cap);
			rc = 1;
			if (!watch)
				break;
		} else {
			int r;
			char why[256];
			if (save && (r = write_file(save, cap, 0, why, sizeof why)) < 0) {
				fprintf(stderr, "vtune report: --save %s: %s\n", save, why);
				rc = 1;
			}
			if (html && (r = write_file(html, model, 1, why, sizeof why)) < 0) {
				fprintf(stderr, "vtune report: --html %s: %s\n", html, why);
				rc = 1;
			}
			if (watch)
				fputs("\033[H\033[2J", stdout);
			if (json)
				rep_print_json(model, stdout);
			else if (!html || watch)
				rep_print_text(model, stdout);
			if (fflush(stdout) != 0 || ferror(stdout))
				stop = 1; /* output lost: main says so and exits 1 */
			json_object_put(model);
			json_object_put(cap);
		}
		if (watch && !stop) {
			struct timespec ts = { (time_t)watch, (long)((watch - (time_t)watch) * 1e9) };
			nanosleep(&ts, NULL);
		}
	} while (watch > 0 && !stop);
	rep_set_policy(NULL, NULL);
	pol_set_free(set);
	return rc;
}
