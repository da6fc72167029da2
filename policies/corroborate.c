/* SPDX-License-Identifier: GPL-2.0-or-later */
/* corroborate: the table of host evidence behind each guest metric a host
 * rule may read, and the check of one report against the host view. */
#include "corroborate.h"
#include "act_table.h"
#include "expr.h"

#include <math.h>
#include <stdio.h>

/* evidence: the largest of one or two host metrics, or the sum of two */
#define E1(a) { M_##a, -1, -1 }, 0
#define E2(a, b) { M_##a, M_##b, -1 }, 0
#define SUM2(a, b) { M_##a, M_##b, -1 }, 1

/* Rates are per second over slightly different windows on both sides (the
 * agent's sample interval, hostd's step), so factors leave room for that;
 * the slack is far below any useful threshold. Traffic a guest sends to
 * itself (loopback) never crosses its tap: a host change could not help
 * it, and the host cannot see it, so it does not count. */
static const struct corr_row rows[] = {
	/* connections: each takes packets to (and from) the guest on its tap/vif */
	{ M_GUEST_TCP_PASSIVE_OPENS, E1(HOST_TAP_TX_PACKETS), 1.0, 5,
	  "each accepted connection takes a SYN and an ACK sent to the guest" },
	{ M_GUEST_TCP_ACTIVE_OPENS, E1(HOST_TAP_RX_PACKETS), 1.0, 5,
	  "each outgoing connection sends a SYN and an ACK from the guest" },
	/* drops and cookies: each is one packet (a SYN or an ACK) to the guest */
	{ M_GUEST_TCP_LISTEN_OVERFLOWS, E1(HOST_TAP_TX_PACKETS), 2.0, 2,
	  "each accept-queue overflow is a SYN or ACK sent to the guest" },
	{ M_GUEST_TCP_LISTEN_DROPS, E1(HOST_TAP_TX_PACKETS), 2.0, 2,
	  "each listener drop is a SYN or ACK sent to the guest" },
	{ M_GUEST_TCP_BACKLOG_DROPS, E1(HOST_TAP_TX_PACKETS), 2.0, 2,
	  "each backlog drop is a packet sent to the guest" },
	{ M_GUEST_TCP_SYNCOOKIES_SENT, E1(HOST_TAP_TX_PACKETS), 2.0, 2,
	  "each SYN cookie answers a SYN sent to the guest" },
	{ M_GUEST_TCP_REQQ_FULL_DROPS, E1(HOST_TAP_TX_PACKETS), 2.0, 2,
	  "each SYN-queue drop is a SYN sent to the guest" },
	{ M_GUEST_TCP_REQQ_FULL_COOKIES, E1(HOST_TAP_TX_PACKETS), 2.0, 2,
	  "each SYN-queue cookie answers a SYN sent to the guest" },
	{ M_GUEST_TCP_CSUM_ERRORS, E1(HOST_TAP_TX_PACKETS), 1.0, 2,
	  "each segment with a bad checksum was a packet sent to the guest" },
	/* the guest's own interface counters against its tap's */
	{ M_GUEST_NET_RX_PACKETS, E1(HOST_TAP_TX_PACKETS), 2.0, 10,
	  "what the guest receives, the host sent on its tap/vif" },
	{ M_GUEST_NET_TX_PACKETS, E1(HOST_TAP_RX_PACKETS), 2.0, 10,
	  "what the guest sends, the host received on its tap/vif" },
	/* CPU: steal is time a runnable vCPU waited, which the host sees as
	 * run delay (KVM schedstat) or as others running on its physical CPUs
	 * (Xen); busy needs the vCPU's thread / vCPU to have run */
	{ M_GUEST_CPU_STEAL, E2(HOST_VCPU_DELAY, HOST_VCPU_CONTENTION), 2.0, 2,
	  "steal is run delay the host sees on the guest's vCPUs" },
	{ M_GUEST_CPU_STEAL_MAX, E2(HOST_VCPU_DELAY_MAX, HOST_VCPU_CONTENTION), 2.0, 2,
	  "steal is run delay the host sees on the guest's vCPUs" },
	/* without steal accounting (QEMU TCG, or a KVM guest whose kernel
	 * does not read steal time) a vCPU the host did not run while the
	 * guest was busy counts as busy in the guest: the thread's CPU time
	 * and its run delay together are the wall time it wanted */
	{ M_GUEST_CPU_BUSY_MAX, SUM2(HOST_VCPU_BUSY_MAX, HOST_VCPU_DELAY_MAX), 1.5, 10,
	  "a busy vCPU is CPU time of its thread on the host, or time it waited to run" },
};

#define NROWS (sizeof rows / sizeof rows[0])

const struct corr_row *corr_table(size_t *n)
{
	*n = NROWS;
	return rows;
}

const struct corr_row *corr_find(int guest_metric)
{
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].guest == guest_metric)
			return &rows[i];
	return NULL;
}

int corr_check(int id, const struct mvec *guest, const struct mvec *host, char *why, size_t n)
{
	char gv[48], ev[48], bv[48];
	if (id < 0 || id >= M_COUNT || !guest || !mvec_has(guest, id))
		return 1;
	double v = mvec_get(guest, id);
	const struct corr_row *r = corr_find(id);
	expr_format_value(id, v, gv, sizeof gv);
	if (!r) {
		snprintf(why, n, "%s=%s: the host has no evidence for this metric",
			 metric_defs[id].name, gv);
		return 0;
	}
	int best = -1;
	double e = NAN;
	for (int k = 0; k < CORR_MAX_EVIDENCE && r->host[k] >= 0; k++) {
		if (!host || !mvec_has(host, r->host[k]))
			continue;
		double h = mvec_get(host, r->host[k]);
		if (!isfinite(h))
			continue;
		if (r->sum) {
			e = best < 0 ? h : e + h;
			if (best < 0)
				best = r->host[k];
		} else if (best < 0 || h > e) {
			best = r->host[k];
			e = h;
		}
	}
	if (best < 0) {
		snprintf(why, n, "%s=%s: no host evidence (%s unknown)", metric_defs[id].name, gv,
			 metric_defs[r->host[0]].name);
		return 0;
	}
	double bound = r->factor * e + r->slack;
	if (isfinite(v) && v <= bound)
		return 1;
	expr_format_value(best, e, ev, sizeof ev);
	expr_format_value(id, bound, bv, sizeof bv);
	char names[160] = "";
	size_t at = 0;
	for (int k = 0; k < CORR_MAX_EVIDENCE && r->host[k] >= 0 && at < sizeof names; k++)
		if (k == 0 || r->sum)
			at += (size_t)snprintf(names + at, sizeof names - at, "%s%s", k ? " + " : "",
					       metric_defs[r->host[k]].name);
	if (!r->sum)
		snprintf(names, sizeof names, "%s", metric_defs[best].name);
	snprintf(why, n, "%s=%s exceeds %s allowed by %s=%s (%s)", metric_defs[id].name, gv, bv,
		 names, ev, r->reason);
	return 0;
}

int corr_rule_on_host(const struct pol_rule *r)
{
	for (size_t i = 0; i < r->n_actions; i++)
		if (r->actions[i].side == POL_HOST && !r->actions[i].act->tells)
			return 1;
	return 0;
}

/* The distinct guest metrics of rule r's when and clear (ids holds
 * M_COUNT): how many. */
static int guest_inputs(const struct pol_rule *r, int *ids)
{
	int all[2 * M_COUNT], n = 0;
	int a = expr_metrics(r->when, all, M_COUNT);
	int b = r->clear ? expr_metrics(r->clear, all + a, M_COUNT) : 0;
	for (int i = 0; i < a + b; i++) {
		int k;
		if (metric_defs[all[i]].name[0] != 'g')
			continue; /* host.* */
		for (k = 0; k < n && ids[k] != all[i]; k++)
			;
		if (k == n)
			ids[n++] = all[i];
	}
	return n;
}

int corr_rule_unbacked(const struct pol_rule *r)
{
	int ids[M_COUNT], n = guest_inputs(r, ids);
	for (int i = 0; i < n; i++)
		if (!corr_find(ids[i]))
			return ids[i];
	return -1;
}

int corr_rule_check(const struct pol_rule *r, const struct mvec *guest, const struct mvec *host,
		    char *why, size_t n)
{
	int ids[M_COUNT], cnt = guest_inputs(r, ids);
	for (int i = 0; i < cnt; i++)
		if (!corr_check(ids[i], guest, host, why, n))
			return 0;
	return 1;
}
