/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_sample: rates and gauges from two readings, and the guest.* metric
 * vector that policies read. */
#include "gview.h"
#include "gv_irq.h"

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

/* The C rows: a rate, or the later reading's value, when the group was
 * read both times and the kernel has the column. */
static void counters(const struct gv_reading *a, const struct gv_reading *b, double secs,
		     struct gv_sample *s)
{
	for (int c = 0; c < MC_COUNT; c++) {
		const struct metric_def *d = &metric_defs[metric_of_counter[c]];
		if (s->status[d->src] || !gv_counter_seen(&b->nstat, c))
			continue;
		if (d->unit == MU_RATE) {
			if (!gv_counter_seen(&a->nstat, c))
				continue;
			s->nstat[c] = rate(a->nstat.v[c], b->nstat.v[c], secs);
		} else {
			s->nstat[c] = (double)b->nstat.v[c];
		}
		s->nstat_known[c / 64] |= 1ULL << (c % 64);
	}
}

int gv_sample_has_counter(const struct gv_sample *s, int slot)
{
	return (int)(s->nstat_known[slot / 64] >> (slot % 64) & 1) &&
	       !s->status[metric_defs[metric_of_counter[slot]].src];
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

	counters(a, b, secs, s);
	s->retrans_pct = -1;
	const struct gv_counters *ca = &a->nstat, *cb = &b->nstat;
	if (!s->status[GV_SNMP] && cb->v[MC_GUEST_TCP_OUT_SEGS] > ca->v[MC_GUEST_TCP_OUT_SEGS] &&
	    cb->v[MC_GUEST_TCP_RETRANS_SEGS] >= ca->v[MC_GUEST_TCP_RETRANS_SEGS])
		s->retrans_pct = fmin(100.0, 100.0 * (double)(cb->v[MC_GUEST_TCP_RETRANS_SEGS] -
							      ca->v[MC_GUEST_TCP_RETRANS_SEGS]) /
					     (double)(cb->v[MC_GUEST_TCP_OUT_SEGS] -
						      ca->v[MC_GUEST_TCP_OUT_SEGS]));
	s->synq = b->synq;
	s->sock = b->sock;

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
	if (a->ct.st.present && b->ct.st.present) {
		const struct gv_ctstat *x = &a->ct.st, *y = &b->ct.st;
		s->ctr.new_ = rate(x->new_, y->new_, secs);
		s->ctr.invalid = rate(x->invalid, y->invalid, secs);
		s->ctr.insert_failed = rate(x->insert_failed, y->insert_failed, secs);
		s->ctr.drop = rate(x->drop, y->drop, secs);
		s->ctr.early_drop = rate(x->early_drop, y->early_drop, secs);
		s->ctr.search_restart = rate(x->search_restart, y->search_restart, secs);
	} else {
		s->ct.st.present = 0;
	}

	s->irq = b->irq;
	s->irq.cpu_id = NULL;
	s->irq.per_cpu = NULL;
	s->irq_hot_cpu = -1;
	if (!s->status[GV_IRQS] && a->irq.present && b->irq.present) {
		s->irq_cpu_rate = calloc((size_t)b->irq.ncpu + 1, sizeof *s->irq_cpu_rate);
		s->irq_cpu_id = calloc((size_t)b->irq.ncpu + 1, sizeof *s->irq_cpu_id);
		if (!s->irq_cpu_rate || !s->irq_cpu_id)
			goto nomem;
		gv_irq_rates(&a->irq, &b->irq, secs, s->irq_cpu_rate, &s->irq_rate, &s->irq_hot_cpu,
			     &s->irq_hot_share, &s->irq_cpus);
		memcpy(s->irq_cpu_id, b->irq.cpu_id, (size_t)b->irq.ncpu * sizeof *s->irq_cpu_id);
		s->irq_ncpu = b->irq.ncpu;
	} else {
		s->irq.present = 0;
	}
	s->kmsg = b->kmsg;
	s->kmsg_latest_age_s = b->kmsg.latest[0] && b->has_uptime && b->kmsg.latest_ts_s >= 0 &&
				       b->uptime_s >= b->kmsg.latest_ts_s
				       ? b->uptime_s - b->kmsg.latest_ts_s : -1;
	s->procs = b->procs;
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
		o->has_ch = y->has_ch;
		o->ch_combined = y->ch_combined;
		o->ch_combined_max = y->ch_combined_max;
		o->ch_rx = y->ch_rx;
		o->ch_rx_max = y->ch_rx_max;
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
	free(s->irq_cpu_rate);
	free(s->irq_cpu_id);
	memset(s, 0, sizeof *s);
}

static int loopback(const char *addr)
{
	return !strncmp(addr, "127.", 4) || !strcmp(addr, "::1") || !strncmp(addr, "::ffff:127.", 11);
}

int gv_sample_busy_listener(const struct gv_sample *s)
{
	int best = -1;
	for (int i = 0; i < s->nlisteners; i++) {
		const struct gv_listener *l = &s->listeners[i], *b;
		if (loopback(l->addr))
			continue;
		if (best < 0) {
			best = i;
			continue;
		}
		b = &s->listeners[best];
		if (l->queue > b->queue ||
		    (l->queue == b->queue && (l->backlog > b->backlog ||
					      (l->backlog == b->backlog && l->port < b->port))))
			best = i;
	}
	return best;
}

int gv_sample_busy_iface(const struct gv_sample *s)
{
	int best = -1;
	for (int i = 0; i < s->nifaces; i++) {
		const struct gv_iface_rate *f = &s->ifaces[i];
		if (!f->has_ch || !f->ch_combined_max || !strcmp(f->name, "lo"))
			continue;
		if (best < 0 || f->rx_packets > s->ifaces[best].rx_packets)
			best = i;
	}
	return best;
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
	for (int c = 0; c < MC_COUNT; c++)
		if (gv_sample_has_counter(s, c))
			mvec_set(m, metric_of_counter[c], s->nstat[c]);
	if (s->retrans_pct >= 0 && !s->status[GV_SNMP])
		mvec_set(m, M_GUEST_TCP_RETRANS_PCT, s->retrans_pct);
	if (!s->status[GV_LISTENERS] && s->synq.known) {
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
	gv_sample_seed_metrics(s, m);
	const struct gv_knobs *k = &s->knobs;
	if (s->status[GV_KNOBS])
		return;
	for (int i = 0; i < MK_COUNT; i++)
		set_knob(m, metric_of_knob[i], k->v[i]);
	set_knob(m, M_GUEST_TCP_MEM_MAX, k->tcp_mem[2]);
	set_knob(m, M_GUEST_TCP_RMEM_MAX, k->tcp_rmem[2]);
	set_knob(m, M_GUEST_TCP_WMEM_MAX, k->tcp_wmem[2]);
}


/* The catalogue rows of the seeds' sources: IRQs, channels, processes,
 * socket memory, TIME_WAIT and orphans, retransmits, the kernel log,
 * conntrack statistics. */
void gv_sample_seed_metrics(const struct gv_sample *s, struct mvec *m)
{
	const struct gv_knobs *k = &s->knobs;
	if (!s->status[GV_IRQS] && s->irq.present) {
		mvec_set(m, M_GUEST_IRQ_NIC_RATE, s->irq_rate);
		mvec_set(m, M_GUEST_IRQ_NIC_QUEUES, s->irq.nlines);
		mvec_set(m, M_GUEST_IRQ_NIC_CPUS, s->irq_cpus);
		mvec_set(m, M_GUEST_IRQ_NIC_HOT_SHARE, s->irq_hot_share);
		mvec_set(m, M_GUEST_IRQ_ONE_CPU, gv_sample_irq_one_cpu(s));
	}
	if (!s->status[GV_PROCS] && s->irq.irqbalance >= 0)
		mvec_set(m, M_GUEST_IRQBALANCE, s->irq.irqbalance);
	if (!s->status[GV_IFACES]) {
		int i = gv_sample_busy_iface(s);
		if (i >= 0) {
			mvec_set(m, M_GUEST_NET_CHANNELS, s->ifaces[i].ch_combined);
			mvec_set(m, M_GUEST_NET_CHANNELS_MAX, s->ifaces[i].ch_combined_max);
		}
	}
	if (!s->status[GV_PROCS] && s->procs.nproc) {
		double fill = 0, soft_min = -1, at = 0, age = 0;
		for (int i = 0; i < s->procs.nproc; i++) {
			const struct gv_proc *p = &s->procs.p[i];
			double f = p->soft == UINT64_MAX || !p->soft ? 0
				   : fmin(100, pct((double)p->fds, (double)p->soft));
			if (f > fill || i == 0) {
				fill = f;
				age = p->fds_age_s;
			}
			if (p->soft != UINT64_MAX && (soft_min < 0 || (double)p->soft < soft_min))
				soft_min = (double)p->soft;
			at += !p->fds_bound && p->soft != UINT64_MAX && p->fds >= p->soft;
		}
		mvec_set(m, M_GUEST_PROC_NOFILE_FILL_MAX, fill);
		if (soft_min >= 0)
			mvec_set(m, M_GUEST_PROC_NOFILE_MIN, soft_min);
		mvec_set(m, M_GUEST_PROC_AT_NOFILE, at);
		mvec_set(m, M_GUEST_PROC_FDS_AGE, age);
	}
	if (!s->status[GV_SOCKSTAT] && s->sock.has_mem) {
		mvec_set(m, M_GUEST_TCP_MEM, (double)s->sock.tcp_mem);
		if (k->tcp_mem[0] >= 0) {
			mvec_set(m, M_GUEST_TCP_MEM_FILL,
				 fmin(100, pct((double)s->sock.tcp_mem, (double)k->tcp_mem[2])));
			mvec_set(m, M_GUEST_TCP_MEM_PRESSURE, (int64_t)s->sock.tcp_mem >= k->tcp_mem[1]);
		}
	}
	if (!s->status[GV_SOCKSTAT]) {
		if (k->v[MK_GUEST_TCP_MAX_TW_BUCKETS] > 0)
			mvec_set(m, M_GUEST_TCP_TIME_WAIT_FILL,
				 fmin(100, pct((double)s->sock.tcp_tw, (double)k->v[MK_GUEST_TCP_MAX_TW_BUCKETS])));
		if (k->v[MK_GUEST_TCP_MAX_ORPHANS] > 0)
			mvec_set(m, M_GUEST_TCP_ORPHANS_FILL,
				 fmin(100, pct((double)s->sock.tcp_orphan, (double)k->v[MK_GUEST_TCP_MAX_ORPHANS])));
	}
	if (gv_sample_has_counter(s, MC_GUEST_TCP_ESTABLISHED) &&
	    gv_sample_has_counter(s, MC_GUEST_TCP_PASSIVE_OPENS) &&
	    gv_sample_has_counter(s, MC_GUEST_TCP_ACTIVE_OPENS)) {
		double opens = s->nstat[MC_GUEST_TCP_PASSIVE_OPENS] +
			       s->nstat[MC_GUEST_TCP_ACTIVE_OPENS];
		if (opens > 0)
			mvec_set(m, M_GUEST_TCP_CONN_LIFE,
				 fmin(1e9, s->nstat[MC_GUEST_TCP_ESTABLISHED] / opens));
	}
	if (!s->status[GV_KMSG] && s->kmsg.present) {
		static const int ids[GV_KM_N] = {
			[GV_KM_CONNTRACK_FULL] = M_GUEST_KMSG_CONNTRACK_FULL,
			[GV_KM_SYN_FLOOD] = M_GUEST_KMSG_SYN_FLOOD,
			[GV_KM_TW_OVERFLOW] = M_GUEST_KMSG_TW_OVERFLOW,
			[GV_KM_ORPHANS] = M_GUEST_KMSG_ORPHANS,
			[GV_KM_TCP_OOM] = M_GUEST_KMSG_TCP_OOM,
			[GV_KM_DST_OVERFLOW] = M_GUEST_KMSG_DST_OVERFLOW,
			[GV_KM_NEIGH_OVERFLOW] = M_GUEST_KMSG_NEIGH_OVERFLOW,
			[GV_KM_ALLOC_FAIL] = M_GUEST_KMSG_ALLOC_FAIL,
		};
		for (int i = 0; i < GV_KM_N; i++)
			mvec_set(m, ids[i], (double)s->kmsg.n[i]);
	}
	if (!s->status[GV_CONNTRACK] && s->ct.present && s->ct.st.present) {
		mvec_set(m, M_GUEST_CONNTRACK_DROPS, s->ctr.drop);
		mvec_set(m, M_GUEST_CONNTRACK_EARLY_DROPS, s->ctr.early_drop);
		mvec_set(m, M_GUEST_CONNTRACK_INSERT_FAILED, s->ctr.insert_failed);
		mvec_set(m, M_GUEST_CONNTRACK_INVALID, s->ctr.invalid);
	}
	if (!s->status[GV_CONNTRACK] && s->ct.present && s->ct.tw_timeout > 0 &&
	    gv_sample_has_counter(s, MC_GUEST_TCP_PASSIVE_OPENS) &&
	    s->nstat[MC_GUEST_TCP_PASSIVE_OPENS] > 0)
		mvec_set(m, M_GUEST_CONNTRACK_ACCEPTS_TRACKED,
			 fmin(100, pct((double)s->ct.count, s->nstat[MC_GUEST_TCP_PASSIVE_OPENS] *
							   (double)s->ct.tw_timeout)));
	if (!s->status[GV_LISTENERS]) {
		int i = gv_sample_busy_listener(s);
		if (i >= 0)
			mvec_set(m, M_GUEST_LISTEN_PORT, s->listeners[i].port);
	}
}

int gv_sample_irq_one_cpu(const struct gv_sample *s)
{
	return s->irq.present && s->irq_ncpu >= 2 && s->irq_rate > 0 && s->irq_cpus == 1;
}
