/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report_diag: the diagnosis rules of `vtune report`: which side of the
 * hypervisor each bottleneck is on, and why, from one guest's capture. */
#include "report.h"
#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct views {
	struct mvec g, h;
	int xen;
	json_object *out;
	int n, host_findings;
};

static void load(struct mvec *m, json_object *o)
{
	mvec_clear(m);
	if (!o || !json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		int id = metric_lookup(k);
		if (id >= 0 && (json_object_is_type(v, json_type_double) ||
				json_object_is_type(v, json_type_int)))
			mvec_set(m, id, json_object_get_double(v));
	}
}

__attribute__((format(printf, 4, 5)))
static void add(struct views *w, const char *side, const char *rule, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "side", json_object_new_string(side));
	json_object_object_add(o, "rule", json_object_new_string(rule));
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_array_add(w->out, o);
	w->n++;
	if (!strcmp(side, "host"))
		w->host_findings++;
}

#define G(id) mvec_get(&w->g, M_##id)
#define H(id) mvec_get(&w->h, M_##id)

static const char *num(double v, char *b, size_t n)
{
	if (isnan(v))
		return "n/a";
	snprintf(b, n, "%.0f", v);
	return b;
}

static void rule_accept_queue(struct views *w, json_object *g)
{
	char r[32], b1[32], b2[32], b3[32];
	double ovf = G(GUEST_TCP_LISTEN_OVERFLOWS), drops = G(GUEST_TCP_LISTEN_DROPS);
	if (isnan(ovf) || (!isnan(drops) && drops > ovf))
		ovf = drops;
	int full = G(GUEST_LISTEN_FULL) >= 1;
	if (!(ovf >= REP_OVERFLOW_MIN) && !full)
		return;
	double delay = H(HOST_VCPU_DELAY), dmax = H(HOST_VCPU_DELAY_MAX), steal = G(GUEST_CPU_STEAL);
	const char *what = ovf >= REP_OVERFLOW_MIN ? "listen overflows" : "full accept queues";
	rep_fmt_rate(ovf >= REP_OVERFLOW_MIN ? ovf : G(GUEST_LISTEN_FULL), r, sizeof r);
	const char *unit = ovf >= REP_OVERFLOW_MIN ? "/s" : " listeners";
	if (w->xen) {
		if (steal >= REP_STEAL_HIGH)
			add(w, "host", "host-contention",
			    "%s (%s%s) with guest steal high (%.1f %%) → host contention: the guest cannot run to accept() (dom0 cannot see run delay; the guest's steal is the signal)",
			    what, r, unit, steal);
		else
			add(w, "guest", "guest-backlog",
			    "%s (%s%s) without steal (%.1f %%) → guest backlog: raise somaxconn (now %s) / the app's backlog (smallest %s)",
			    what, r, unit, isnan(steal) ? 0.0 : steal,
			    num(G(GUEST_SOMAXCONN), b1, sizeof b1),
			    num(G(GUEST_LISTEN_BACKLOG_MIN), b2, sizeof b2));
		return;
	}
	if (delay >= REP_DELAY_HIGH || dmax >= REP_DELAY_MAX_HIGH)
		add(w, "host", "host-contention",
		    "%s (%s%s) with host vCPU delay high (%.1f %%, worst vCPU %.1f %%) → host contention: the guest cannot run to accept()",
		    what, r, unit, isnan(delay) ? 0.0 : delay, isnan(dmax) ? 0.0 : dmax);
	else if (isnan(delay) && steal >= REP_STEAL_HIGH)
		add(w, "host", "host-contention",
		    "%s (%s%s) with guest steal high (%.1f %%, no host delay known) → host contention: the guest cannot run to accept()",
		    what, r, unit, steal);
	else
		add(w, "guest", "guest-backlog",
		    "%s (%s%s) without vCPU delay (%s %%) → guest backlog: raise somaxconn (now %s) / the app's backlog (smallest %s)",
		    what, r, unit, isnan(delay) ? "n/a" : (snprintf(b1, sizeof b1, "%.1f", delay), b1),
		    num(G(GUEST_SOMAXCONN), b2, sizeof b2),
		    num(G(GUEST_LISTEN_BACKLOG_MIN), b3, sizeof b3));
	(void)g;
}

static void rule_softnet(struct views *w, json_object *g)
{
	char r[32], b[32];
	double d = G(GUEST_SOFTNET_DROPPED);
	if (!(d >= REP_DROPS_MIN))
		return;
	double share = G(GUEST_NETRX_HOT_SHARE), imb = G(GUEST_NETRX_IMBALANCE);
	double ncpu = G(GUEST_NCPU);
	int one = (isnan(ncpu) || ncpu >= 2) && (share >= REP_HOT_SHARE || imb >= REP_HOT_IMBALANCE);
	rep_fmt_rate(d, r, sizeof r);
	if (one) {
		json_object *hc = rep_get(g, "net_rx_hot_cpu");
		int cpu = hc ? json_object_get_int(hc) : -1;
		if (cpu >= 0)
			snprintf(b, sizeof b, "CPU %d, ", cpu);
		else
			b[0] = 0;
		add(w, "guest", "rps",
		    "softnet drops in the guest (%s/s) with NET_RX on one core (%s%.0f %% of NET_RX) → RPS: spread receive processing over the guest's CPUs (rps_cpus)",
		    r, b, isnan(share) ? 0.0 : share);
	} else {
		add(w, "guest", "netdev-backlog",
		    "softnet drops in the guest (%s/s), NET_RX spread over CPUs → raise net.core.netdev_max_backlog (now %s) / netdev_budget",
		    r, num(G(GUEST_NETDEV_MAX_BACKLOG), b, sizeof b));
	}
}

static void rule_drops(struct views *w)
{
	char r[32];
	double tx = H(HOST_TAP_TX_DROPS), rx = G(GUEST_NET_RX_DROPS), busy = G(GUEST_CPU_BUSY_MAX);
	if (tx >= REP_DROPS_MIN)
		add(w, "guest", "guest-rx-ring",
		    "tap tx drops on the host (%s/s) → the guest does not drain its rx ring (guest CPU: busiest %.0f %%)",
		    rep_fmt_rate(tx, r, sizeof r), isnan(busy) ? 0.0 : busy);
	else if (rx >= REP_DROPS_MIN)
		add(w, "guest", "guest-rx-drops",
		    "rx drops in the guest (%s/s) → the guest's driver drops what it receives (guest CPU, ring size)",
		    rep_fmt_rate(rx, r, sizeof r));
	double hs = H(HOST_SOFTNET_DROPPED);
	if (hs >= REP_DROPS_MIN)
		add(w, "host", "host-softnet",
		    "softnet drops on the host (%s/s) → the host's receive path is overloaded (netdev_max_backlog, IRQ and vhost spread)",
		    rep_fmt_rate(hs, r, sizeof r));
}

/* The advice matches the default rules: bridge-nf-busy, offloads-hurt /
 * offloads-help, netthreads-delayed, steal-host-busy. */
static void rule_host_path(struct views *w)
{
	char r[32], e1[32], e2[32];
	double acc = G(GUEST_TCP_PASSIVE_OPENS);
	if (H(HOST_BRIDGE_NF) >= 1 && acc >= REP_NEWCONN_MANY)
		add(w, "host", "bridge-nf",
		    "bridge-nf on with many new connections (%s/s) → host firewall path: every bridged frame goes through iptables; exempt the guest's bridge (its nf_call_* options; other bridges stay filtered) unless a firewall rule needs its frames (rule bridge-nf-busy checks first)",
		    rep_fmt_rate(acc, r, sizeof r));
	double csum = G(GUEST_TCP_CSUM_ERRORS), hwf = H(HOST_CSUM_FAILURES), terr = H(HOST_TAP_ERRORS),
	       rtx = G(GUEST_TCP_RETRANS_PCT), off = H(HOST_OFFLOADS_OFF);
	int hurt = csum > 1 || hwf > 0 || terr > 1 || rtx > 5;
	if (hurt && off == 0)
		add(w, "host", "offloads-hurt",
		    "offloads on with corrupt or lost packets (TCP checksum errors in the guest %s/s, hw csum failures %s/s, tap errors %s, retransmits %.1f %%) → turn TSO/GSO/GRO/SG and tx checksumming off on the guest's tap/vif and bridge (rule offloads-hurt)",
		    rep_fmt_rate(isnan(csum) ? 0 : csum, r, sizeof r), rep_fmt_rate(isnan(hwf) ? 0 : hwf, e1, sizeof e1),
		    rep_fmt_rate(isnan(terr) ? 0 : terr, e2, sizeof e2), isnan(rtx) ? 0.0 : rtx);
	else if (off >= 1 && H(HOST_TAP_TX_DROPS) >= REP_DROPS_MIN && !hurt)
		add(w, "host", "offloads-help",
		    "%.0f offloads off on the guest's tap/vif with packets to it dropped and no sign of corruption → turn TSO/GSO/GRO/SG and tx checksumming back on (rule offloads-help)",
		    off);
	if (H(HOST_NETTHREAD_DELAY) >= 10)
		add(w, "host", "net-threads",
		    "the %s that move the guest's packets wait to run (run delay %.0f %%, busiest %.0f %% CPU) → spread them over housekeeping cores (pin: net-threads)",
		    w->xen ? "netback kthreads" : "vhost workers", H(HOST_NETTHREAD_DELAY),
		    isnan(H(HOST_NETTHREAD_CPU)) ? 0.0 : H(HOST_NETTHREAD_CPU));
	if (w->xen && (H(HOST_DOM0_BUSY) >= REP_DOM0_SATURATED || H(HOST_DOM0_BUSY_MAX) >= REP_DOM0_SATURATED))
		add(w, "host", "dom0-cpu",
		    "dom0's busiest vCPU at %.0f %% (mean %.0f %%) → dom0 runs the guests' netback and is saturated: give dom0 pCPUs of its own and move the guests off them (pin: dom0-away, rule steal-host-busy)",
		    isnan(H(HOST_DOM0_BUSY_MAX)) ? H(HOST_DOM0_BUSY) : H(HOST_DOM0_BUSY_MAX), H(HOST_DOM0_BUSY));
	else if (H(HOST_CPU_BUSY_MAX) >= REP_CPU_SATURATED)
		add(w, "host", "host-cpu",
		    "a host CPU at %.0f %% → host CPU saturated (vhost, softirq): spread IRQs and vhost threads, pin vCPUs away from it",
		    H(HOST_CPU_BUSY_MAX));
	if (H(HOST_CONNTRACK_FILL) >= REP_FILL_HIGH)
		add(w, "host", "host-conntrack",
		    "host conntrack table %.0f %% full → new connections are dropped on the host: raise its nf_conntrack_max",
		    H(HOST_CONNTRACK_FILL));
}

static void rule_guest_cpu(struct views *w, json_object *g)
{
	double busy = G(GUEST_CPU_BUSY_MAX);
	if (busy >= REP_CPU_SATURATED) {
		json_object *hc = rep_get(g, "guest_hot_cpu");
		double cpu = rep_num(hc, "cpu");
		char b[32] = "";
		if (!isnan(cpu))
			snprintf(b, sizeof b, " (CPU %.0f)", cpu);
		add(w, "guest", "guest-cpu",
		    "a guest CPU at %.0f %%%s → guest CPU bound: the accepting threads or NET_RX need more CPUs",
		    busy, b);
	}
	if (G(GUEST_CONNTRACK_FILL) >= REP_FILL_HIGH)
		add(w, "guest", "guest-conntrack",
		    "guest conntrack table %.0f %% full → raise nf_conntrack_max / shorten its timeouts in the guest",
		    G(GUEST_CONNTRACK_FILL));
}

/* The policy engine's own words: each note a rule would give now (the
 * dry-run plan), as a line on its side; and the kernel's latest known
 * line when it logged one in the last interval. */
static void rule_policy_notes(struct views *w, json_object *g)
{
	json_object *plan = rep_get(g, "plan");
	size_t n = plan && json_object_is_type(plan, json_type_array) ? json_object_array_length(plan) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(plan, i);
		if (strcmp(rep_str(c, "kind"), "note") || *rep_str(c, "key"))
			continue; /* a change, or a bound's remark */
		add(w, !strcmp(rep_str(c, "side"), "host") ? "host" : "guest", rep_str(c, "rule"), "%s",
		    rep_str(c, "note"));
	}
	json_object *k = rep_get(g, "kmsg");
	static const char *const kinds[] = { "conntrack_full", "syn_flood", "tw_overflow", "orphans",
					     "tcp_oom", "dst_overflow", "neigh_overflow", "alloc_fail" };
	double lines = 0;
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		double v = rep_num(k, kinds[i]);
		lines += isnan(v) ? 0 : v;
	}
	if (lines > 0 && *rep_str(k, "latest")) {
		char safe[240];
		size_t j = 0;
		for (const char *p = rep_str(k, "latest"); *p && j + 1 < sizeof safe; p++)
			safe[j++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
		safe[j] = '\0';
		add(w, "guest", "kernel-log", "the kernel logged %.0f known line%s in the last interval, the latest: %s",
		    lines, lines == 1 ? "" : "s", safe);
	}
}

int rep_diagnose(json_object *g, json_object *out)
{
	struct views w;
	memset(&w, 0, sizeof w);
	load(&w.g, rep_get(g, "guest_metrics"));
	load(&w.h, rep_get(g, "host_metrics"));
	w.xen = !strcmp(rep_str(g, "hypervisor"), "xen");
	w.out = out;
	rule_accept_queue(&w, g);
	rule_softnet(&w, g);
	rule_drops(&w);
	rule_guest_cpu(&w, g);
	rule_host_path(&w);
	rule_policy_notes(&w, g);
	double vfs = mvec_get(&w.h, M_HOST_SRIOV_FREE_VFS);
	if (w.host_findings && vfs >= 1)
		add(&w, "host", "sriov-available",
		    "%.0f SR-IOV VF%s free → a VF would take the guest off the bridge and tap entirely",
		    vfs, vfs >= 2 ? "s" : "");
	if (!w.n) {
		if (!rep_get(g, "guest_metrics") || !json_object_is_type(rep_get(g, "guest_metrics"), json_type_object))
			add(&w, "none", "no-report", "no report from the guest's agent yet → nothing to diagnose");
		else
			add(&w, "none", "healthy",
			    "no bottleneck found: no accept-queue overflows, drops or contention on either side");
	}
	return w.n;
}
