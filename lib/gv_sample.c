/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_sample: rates and gauges from two readings, and the guest.* metric
 * vector that policies read. */
#include "gview.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double rate(uint64_t a, uint64_t b, double secs)
{
	return b >= a ? (double)(b - a) / secs : 0.0;
}

static uint64_t d(uint64_t a, uint64_t b)
{
	return b >= a ? b - a : 0;
}

static void cpu_pct(const struct gv_cpu_ticks *a, const struct gv_cpu_ticks *b,
		    struct gv_cpu_pct *p)
{
	uint64_t user = d(a->user, b->user) + d(a->nice, b->nice);
	uint64_t sys = d(a->system, b->system) + d(a->irq, b->irq);
	uint64_t soft = d(a->softirq, b->softirq), steal = d(a->steal, b->steal);
	uint64_t idle = d(a->idle, b->idle) + d(a->iowait, b->iowait);
	uint64_t all = user + sys + soft + steal + idle;
	p->id = b->id;
	if (!all) {
		p->user = p->system = p->softirq = p->steal = p->busy = 0;
		return;
	}
	p->user = 100.0 * (double)user / (double)all;
	p->system = 100.0 * (double)sys / (double)all;
	p->softirq = 100.0 * (double)soft / (double)all;
	p->steal = 100.0 * (double)steal / (double)all;
	p->busy = p->user + p->system + p->softirq;
}

int gv_sample_compute(const struct gv_reading *a, const struct gv_reading *b,
		      struct gv_sample *s)
{
	memset(s, 0, sizeof *s);
	if (b->mono_ns <= a->mono_ns)
		return -EINVAL;
	double secs = (double)(b->mono_ns - a->mono_ns) / 1e9;
	s->interval_s = secs;
	for (int g = 0; g < GV_NGROUPS; g++) {
		/* A group counts as failed if either reading failed it. */
		const struct gv_reading *bad = b->status[g] ? b : a->status[g] ? a : NULL;
		if (bad) {
			s->status[g] = bad->status[g];
			memcpy(s->error[g], bad->error[g], sizeof s->error[g]);
		}
	}

	if (!s->status[GV_CPU]) {
		cpu_pct(&a->total, &b->total, &s->total);
		s->cpu = calloc((size_t)b->ncpu + 1, sizeof *s->cpu);
		if (!s->cpu)
			goto nomem;
		for (int i = 0; i < b->ncpu; i++)
			for (int j = 0; j < a->ncpu; j++)
				if (a->cpu[j].id == b->cpu[i].id) {
					cpu_pct(&a->cpu[j], &b->cpu[i], &s->cpu[s->ncpu++]);
					break;
				}
	}

	const struct gv_tcp_counters *ta = &a->tcp, *tb = &b->tcp;
	s->tcp.passive_opens = rate(ta->passive_opens, tb->passive_opens, secs);
	s->tcp.active_opens = rate(ta->active_opens, tb->active_opens, secs);
	s->tcp.csum_errors = rate(ta->in_csum_errors, tb->in_csum_errors, secs);
	s->tcp.retrans_pct = -1;
	if (tb->out_segs > ta->out_segs && tb->retrans_segs >= ta->retrans_segs)
		s->tcp.retrans_pct = fmin(100.0, 100.0 * (double)(tb->retrans_segs - ta->retrans_segs) /
						   (double)(tb->out_segs - ta->out_segs));
	s->tcp.listen_overflows = rate(ta->listen_overflows, tb->listen_overflows, secs);
	s->tcp.listen_drops = rate(ta->listen_drops, tb->listen_drops, secs);
	s->tcp.backlog_drop = rate(ta->backlog_drop, tb->backlog_drop, secs);
	s->tcp.syncookies_sent = rate(ta->syncookies_sent, tb->syncookies_sent, secs);
	s->tcp.reqq_full_drop = rate(ta->reqq_full_drop, tb->reqq_full_drop, secs);
	s->tcp.reqq_full_do_cookies =
		rate(ta->reqq_full_do_cookies, tb->reqq_full_do_cookies, secs);
	s->tcp.syncookies_recv = rate(ta->syncookies_recv, tb->syncookies_recv, secs);
	s->tcp.syncookies_failed = rate(ta->syncookies_failed, tb->syncookies_failed, secs);
	s->synq = b->synq;
	s->sock = b->sock;
	s->tcp_total = b->tcp;

	if (b->nlisteners) {
		s->listeners = malloc((size_t)b->nlisteners * sizeof *s->listeners);
		if (!s->listeners)
			goto nomem;
		memcpy(s->listeners, b->listeners, (size_t)b->nlisteners * sizeof *s->listeners);
		s->nlisteners = b->nlisteners;
	}

	for (int i = 0; i < b->nsoftnet; i++) {
		s->softnet_total[0] += b->softnet[i].processed;
		s->softnet_total[1] += b->softnet[i].dropped;
		s->softnet_total[2] += b->softnet[i].squeezed;
	}
	for (int i = 0; i < b->nifaces; i++) {
		const struct gv_iface *y = &b->ifaces[i];
		if (!strcmp(y->name, "lo"))
			continue;
		s->net_total[0] += y->rx_packets;
		s->net_total[1] += y->tx_packets;
		s->net_total[2] += y->rx_dropped;
		s->net_total[3] += y->tx_dropped;
	}
	if (!s->status[GV_SOFTNET]) {
		s->softnet = calloc((size_t)b->nsoftnet + 1, sizeof *s->softnet);
		if (!s->softnet)
			goto nomem;
		for (int i = 0; i < b->nsoftnet; i++)
			for (int j = 0; j < a->nsoftnet; j++) {
				const struct gv_softnet_row *x = &a->softnet[j], *y = &b->softnet[i];
				if (x->cpu != y->cpu)
					continue;
				struct gv_softnet_rate *o = &s->softnet[s->nsoftnet++];
				o->cpu = y->cpu;
				o->processed = rate(x->processed, y->processed, secs);
				o->dropped = rate(x->dropped, y->dropped, secs);
				o->squeezed = rate(x->squeezed, y->squeezed, secs);
				break;
			}
	}

	s->netrx_hot_cpu = -1;
	if (!s->status[GV_SOFTIRQS]) {
		int n = a->nnetrx < b->nnetrx ? a->nnetrx : b->nnetrx;
		s->netrx = calloc((size_t)n + 1, sizeof *s->netrx);
		if (!s->netrx)
			goto nomem;
		double sum = 0, max = 0;
		for (int i = 0; i < n; i++) {
			s->netrx[i] = rate(a->netrx[i], b->netrx[i], secs);
			sum += s->netrx[i];
			if (s->netrx[i] > max) {
				max = s->netrx[i];
				s->netrx_hot_cpu = i;
			}
		}
		s->nnetrx = n;
		s->netrx_imbalance = sum > 0 ? max / (sum / n) : 1.0;
		s->netrx_hot_share = sum > 0 ? 100.0 * max / sum : 0.0;
	}

	s->ct = b->ct;
	s->ports = b->ports;
	s->files_nr = b->files_nr;
	s->files_max = b->files_max;
	s->knobs = b->knobs;

	if (b->nifaces) {
		s->ifaces = calloc((size_t)b->nifaces, sizeof *s->ifaces);
		if (!s->ifaces)
			goto nomem;
	}
	for (int i = 0; i < b->nifaces; i++) {
		const struct gv_iface *y = &b->ifaces[i], *x = NULL;
		for (int j = 0; j < a->nifaces && !x; j++)
			if (!strcmp(a->ifaces[j].name, y->name))
				x = &a->ifaces[j];
		struct gv_iface_rate *o = &s->ifaces[s->nifaces++];
		memcpy(o->name, y->name, sizeof o->name);
		o->nrxq = y->nrxq;
		o->rps_off = y->rps_off;
		memcpy(o->rps, y->rps, sizeof o->rps);
		if (!x)
			continue; /* appeared between the readings: no rates yet */
		o->rx_packets = rate(x->rx_packets, y->rx_packets, secs);
		o->tx_packets = rate(x->tx_packets, y->tx_packets, secs);
		o->rx_dropped = rate(x->rx_dropped, y->rx_dropped, secs);
		o->tx_dropped = rate(x->tx_dropped, y->tx_dropped, secs);
		o->rx_errors = rate(x->rx_errors, y->rx_errors, secs);
		o->tx_errors = rate(x->tx_errors, y->tx_errors, secs);
	}
	return 0;
nomem:
	gv_sample_free(s);
	return -ENOMEM;
}

void gv_sample_free(struct gv_sample *s)
{
	free(s->cpu);
	free(s->listeners);
	free(s->softnet);
	free(s->netrx);
	free(s->ifaces);
	memset(s, 0, sizeof *s);
}

static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0.0;
}

static void set_knob(struct mvec *m, int id, int64_t v)
{
	if (v >= 0)
		mvec_set(m, id, (double)v);
}

void gv_sample_metrics(const struct gv_sample *s, struct mvec *m)
{
	mvec_clear(m);
	if (!s->status[GV_CPU]) {
		double steal_max = 0, busy_max = 0, soft_max = 0;
		for (int i = 0; i < s->ncpu; i++) {
			steal_max = fmax(steal_max, s->cpu[i].steal);
			busy_max = fmax(busy_max, s->cpu[i].busy);
			soft_max = fmax(soft_max, s->cpu[i].softirq);
		}
		mvec_set(m, M_GUEST_CPU_STEAL, s->total.steal);
		mvec_set(m, M_GUEST_CPU_STEAL_MAX, steal_max);
		mvec_set(m, M_GUEST_CPU_BUSY_MAX, busy_max);
		mvec_set(m, M_GUEST_CPU_SOFTIRQ_MAX, soft_max);
		mvec_set(m, M_GUEST_NCPU, s->ncpu);
	}
	if (!s->status[GV_SNMP]) {
		mvec_set(m, M_GUEST_TCP_PASSIVE_OPENS, s->tcp.passive_opens);
		mvec_set(m, M_GUEST_TCP_ACTIVE_OPENS, s->tcp.active_opens);
		mvec_set(m, M_GUEST_TCP_CSUM_ERRORS, s->tcp.csum_errors);
		if (s->tcp.retrans_pct >= 0)
			mvec_set(m, M_GUEST_TCP_RETRANS_PCT, s->tcp.retrans_pct);
		mvec_set(m, M_GUEST_TCP_PASSIVE_OPENS_TOTAL, (double)s->tcp_total.passive_opens);
		mvec_set(m, M_GUEST_TCP_ACTIVE_OPENS_TOTAL, (double)s->tcp_total.active_opens);
	}
	if (!s->status[GV_NETSTAT]) {
		mvec_set(m, M_GUEST_TCP_LISTEN_OVERFLOWS, s->tcp.listen_overflows);
		mvec_set(m, M_GUEST_TCP_LISTEN_DROPS, s->tcp.listen_drops);
		mvec_set(m, M_GUEST_TCP_BACKLOG_DROPS, s->tcp.backlog_drop);
		mvec_set(m, M_GUEST_TCP_SYNCOOKIES_SENT, s->tcp.syncookies_sent);
		mvec_set(m, M_GUEST_TCP_REQQ_FULL_DROPS, s->tcp.reqq_full_drop);
		mvec_set(m, M_GUEST_TCP_REQQ_FULL_COOKIES, s->tcp.reqq_full_do_cookies);
		const struct gv_tcp_counters *t = &s->tcp_total;
		mvec_set(m, M_GUEST_TCP_LISTEN_OVERFLOWS_TOTAL, (double)t->listen_overflows);
		mvec_set(m, M_GUEST_TCP_LISTEN_DROPS_TOTAL, (double)t->listen_drops);
		mvec_set(m, M_GUEST_TCP_BACKLOG_DROPS_TOTAL, (double)t->backlog_drop);
		mvec_set(m, M_GUEST_TCP_SYNCOOKIES_SENT_TOTAL, (double)t->syncookies_sent);
		mvec_set(m, M_GUEST_TCP_REQQ_FULL_DROPS_TOTAL, (double)t->reqq_full_drop);
		mvec_set(m, M_GUEST_TCP_REQQ_FULL_COOKIES_TOTAL, (double)t->reqq_full_do_cookies);
		mvec_set(m, M_GUEST_TCP_SYNCOOKIES_RECV, s->tcp.syncookies_recv);
	}
	if (s->synq.known) {
		mvec_set(m, M_GUEST_TCP_SYN_RECV_MAX, (double)s->synq.count);
		mvec_set(m, M_GUEST_TCP_SYN_RECV_PORT, (double)s->synq.port);
	}
	if (!s->status[GV_SOCKSTAT]) {
		mvec_set(m, M_GUEST_TCP_INUSE, (double)(s->sock.tcp_inuse + s->sock.tcp6_inuse));
		mvec_set(m, M_GUEST_TCP_ORPHANS, (double)s->sock.tcp_orphan);
		mvec_set(m, M_GUEST_TCP_TIME_WAIT, (double)s->sock.tcp_tw);
	}
	if (!s->status[GV_LISTENERS]) {
		double fill_max = 0, full = 0, bl_min = -1;
		for (int i = 0; i < s->nlisteners; i++) {
			const struct gv_listener *l = &s->listeners[i];
			double f = l->backlog ? pct(l->queue, l->backlog) : (l->queue ? 100 : 0);
			fill_max = fmax(fill_max, fmin(f, 100));
			/* the kernel overflows at queue > backlog */
			full += l->queue > 0 && l->queue >= l->backlog;
			if (bl_min < 0 || l->backlog < bl_min)
				bl_min = l->backlog;
		}
		mvec_set(m, M_GUEST_LISTEN_FILL_MAX, fill_max);
		mvec_set(m, M_GUEST_LISTEN_FULL, full);
		if (bl_min >= 0)
			mvec_set(m, M_GUEST_LISTEN_BACKLOG_MIN, bl_min);
	}
	if (!s->status[GV_SOFTNET]) {
		double p = 0, dr = 0, sq = 0;
		for (int i = 0; i < s->nsoftnet; i++) {
			p += s->softnet[i].processed;
			dr += s->softnet[i].dropped;
			sq += s->softnet[i].squeezed;
		}
		mvec_set(m, M_GUEST_SOFTNET_PROCESSED, p);
		mvec_set(m, M_GUEST_SOFTNET_DROPPED, dr);
		mvec_set(m, M_GUEST_SOFTNET_SQUEEZED, sq);
		mvec_set(m, M_GUEST_SOFTNET_PROCESSED_TOTAL, (double)s->softnet_total[0]);
		mvec_set(m, M_GUEST_SOFTNET_DROPPED_TOTAL, (double)s->softnet_total[1]);
		mvec_set(m, M_GUEST_SOFTNET_SQUEEZED_TOTAL, (double)s->softnet_total[2]);
	}
	if (!s->status[GV_SOFTIRQS]) {
		double sum = 0;
		for (int i = 0; i < s->nnetrx; i++)
			sum += s->netrx[i];
		mvec_set(m, M_GUEST_NETRX_RATE, sum);
		mvec_set(m, M_GUEST_NETRX_IMBALANCE, s->netrx_imbalance);
		mvec_set(m, M_GUEST_NETRX_HOT_SHARE, s->netrx_hot_share);
	}
	if (!s->status[GV_CONNTRACK] && s->ct.present) {
		mvec_set(m, M_GUEST_CONNTRACK_COUNT, (double)s->ct.count);
		mvec_set(m, M_GUEST_CONNTRACK_MAX, (double)s->ct.max);
		mvec_set(m, M_GUEST_CONNTRACK_FILL, fmin(100, pct((double)s->ct.count, (double)s->ct.max)));
		mvec_set(m, M_GUEST_CONNTRACK_EST_TIMEOUT, (double)s->ct.est_timeout);
		mvec_set(m, M_GUEST_CONNTRACK_TW_TIMEOUT, (double)s->ct.tw_timeout);
	}
	if (!s->status[GV_PORTS]) {
		double range = (double)s->ports.hi - s->ports.lo + 1;
		mvec_set(m, M_GUEST_PORTS_RANGE, range);
		if (s->ports.in_use_known) {
			mvec_set(m, M_GUEST_PORTS_USED, (double)s->ports.in_use);
			mvec_set(m, M_GUEST_PORTS_FILL, fmin(100, pct((double)s->ports.in_use, range)));
			mvec_set(m, M_GUEST_PORTS_USED_AGE, s->ports.in_use_age_s);
		}
	}
	if (!s->status[GV_FILES]) {
		mvec_set(m, M_GUEST_FILES_NR, (double)s->files_nr);
		mvec_set(m, M_GUEST_FILES_MAX, (double)s->files_max);
		mvec_set(m, M_GUEST_FILES_FILL, fmin(100, pct((double)s->files_nr, (double)s->files_max)));
	}
	if (!s->status[GV_IFACES]) {
		double rx = 0, tx = 0, rxd = 0, txd = 0, er = 0, off = 0;
		for (int i = 0; i < s->nifaces; i++) {
			const struct gv_iface_rate *f = &s->ifaces[i];
			if (!strcmp(f->name, "lo"))
				continue;
			rx += f->rx_packets;
			tx += f->tx_packets;
			rxd += f->rx_dropped;
			txd += f->tx_dropped;
			er += f->rx_errors + f->tx_errors;
			off += f->rps_off;
		}
		mvec_set(m, M_GUEST_NET_RX_PACKETS, rx);
		mvec_set(m, M_GUEST_NET_TX_PACKETS, tx);
		mvec_set(m, M_GUEST_NET_RX_DROPS, rxd);
		mvec_set(m, M_GUEST_NET_TX_DROPS, txd);
		mvec_set(m, M_GUEST_NET_ERRORS, er);
		mvec_set(m, M_GUEST_NET_RPS_OFF, off);
		mvec_set(m, M_GUEST_NET_RX_PACKETS_TOTAL, (double)s->net_total[0]);
		mvec_set(m, M_GUEST_NET_TX_PACKETS_TOTAL, (double)s->net_total[1]);
		mvec_set(m, M_GUEST_NET_RX_DROPS_TOTAL, (double)s->net_total[2]);
		mvec_set(m, M_GUEST_NET_TX_DROPS_TOTAL, (double)s->net_total[3]);
	}
	const struct gv_knobs *k = &s->knobs;
	set_knob(m, M_GUEST_SOMAXCONN, k->somaxconn);
	set_knob(m, M_GUEST_TCP_MAX_SYN_BACKLOG, k->tcp_max_syn_backlog);
	set_knob(m, M_GUEST_NETDEV_MAX_BACKLOG, k->netdev_max_backlog);
	set_knob(m, M_GUEST_NETDEV_BUDGET, k->netdev_budget);
	set_knob(m, M_GUEST_TCP_FIN_TIMEOUT, k->tcp_fin_timeout);
	set_knob(m, M_GUEST_SLOW_START_AFTER_IDLE, k->slow_start_after_idle);
	set_knob(m, M_GUEST_TCP_SYNCOOKIES, k->syncookies);
	set_knob(m, M_GUEST_TCP_TW_REUSE, k->tw_reuse);
	set_knob(m, M_GUEST_NF_CONNTRACK_MAX, k->nf_conntrack_max);
	set_knob(m, M_GUEST_RPS_SOCK_FLOW_ENTRIES, k->rps_sock_flow_entries);
}
