/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_print: a table of one guest-view sample. */
#include "gv_print.h"

#include <math.h>
#include <string.h>
#include <sys/socket.h>

static int failed(FILE *f, const struct gv_sample *s, enum gv_group g)
{
	if (!s->status[g])
		return 0;
	fprintf(f, "%-11s unavailable: %s\n", gv_group_name(g), s->error[g]);
	return 1;
}

void gv_sample_print(FILE *f, const struct gv_sample *s)
{
	fprintf(f, "guest view over %.2f s\n\n", s->interval_s);

	if (!failed(f, s, GV_CPU)) {
		fprintf(f, "CPU          steal %5.1f%%   user %5.1f%%  system %5.1f%%  softirq %5.1f%%\n",
			s->total.steal, s->total.user, s->total.system, s->total.softirq);
		fprintf(f, "  %-5s %7s %7s %7s %7s %7s\n", "cpu", "steal%", "user%", "sys%", "soft%", "busy%");
		for (int i = 0; i < s->ncpu; i++) {
			const struct gv_cpu_pct *c = &s->cpu[i];
			fprintf(f, "  %-5d %7.1f %7.1f %7.1f %7.1f %7.1f\n", c->id, c->steal,
				c->user, c->system, c->softirq, c->busy);
		}
	}

	fputc('\n', f);
	if (!failed(f, s, GV_SNMP))
		fprintf(f, "TCP          accepts %.1f/s (PassiveOpens)   connects %.1f/s (ActiveOpens)\n",
			s->nstat[MC_GUEST_TCP_PASSIVE_OPENS], s->nstat[MC_GUEST_TCP_ACTIVE_OPENS]);
	if (!failed(f, s, GV_NETSTAT))
		fprintf(f, "             ListenOverflows %.1f/s  ListenDrops %.1f/s  TCPBacklogDrop %.1f/s\n"
			   "             SyncookiesSent %.1f/s  TCPReqQFullDrop %.1f/s  TCPReqQFullDoCookies %.1f/s\n"
			   "             SyncookiesRecv %.1f/s  SyncookiesFailed %.1f/s\n",
			s->nstat[MC_GUEST_TCP_LISTEN_OVERFLOWS], s->nstat[MC_GUEST_TCP_LISTEN_DROPS], s->nstat[MC_GUEST_TCP_BACKLOG_DROPS],
			s->nstat[MC_GUEST_TCP_SYNCOOKIES_SENT], s->nstat[MC_GUEST_TCP_REQQ_FULL_DROPS], s->nstat[MC_GUEST_TCP_REQQ_FULL_COOKIES],
			s->nstat[MC_GUEST_TCP_SYNCOOKIES_RECV], s->nstat[MC_GUEST_TCP_SYNCOOKIES_FAILED]);
	if (s->synq.known)
		fprintf(f, "             half-open (SYN_RECV) %llu on port %u%s\n",
			(unsigned long long)s->synq.count, s->synq.port,
			s->synq.age_s > 0 ? " (an earlier count)" : "");
	if (!failed(f, s, GV_SOCKSTAT))
		fprintf(f, "Sockets      in use %llu (v6 %llu)  orphans %llu  TIME_WAIT %llu\n",
			(unsigned long long)s->sock.tcp_inuse, (unsigned long long)s->sock.tcp6_inuse,
			(unsigned long long)s->sock.tcp_orphan, (unsigned long long)s->sock.tcp_tw);

	fputc('\n', f);
	if (!failed(f, s, GV_LISTENERS)) {
		fprintf(f, "Listeners    %d\n", s->nlisteners);
		if (s->nlisteners)
			fprintf(f, "  %-40s %7s %7s %6s\n", "address:port", "queue", "backlog", "fill");
		for (int i = 0; i < s->nlisteners; i++) {
			const struct gv_listener *l = &s->listeners[i];
			char ap[64];
			snprintf(ap, sizeof ap, l->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
				 l->addr, l->port);
			double fill = l->backlog ? fmin(100, 100.0 * l->queue / l->backlog) : 0;
			fprintf(f, "  %-40s %7u %7u %5.0f%%%s\n", ap, l->queue, l->backlog, fill,
				l->queue > 0 && l->queue >= l->backlog ? "  FULL" : "");
		}
	}

	fputc('\n', f);
	if (!failed(f, s, GV_SOFTNET)) {
		fprintf(f, "softnet      %-5s %12s %10s %12s\n", "cpu", "processed/s", "dropped/s", "squeezed/s");
		for (int i = 0; i < s->nsoftnet; i++)
			fprintf(f, "             %-5d %12.1f %10.1f %12.1f\n", s->softnet[i].cpu,
				s->softnet[i].processed, s->softnet[i].dropped, s->softnet[i].squeezed);
	}
	if (!failed(f, s, GV_SOFTIRQS)) {
		fprintf(f, "NET_RX/s    ");
		for (int i = 0; i < s->nnetrx; i++)
			fprintf(f, " cpu%d %.1f", i, s->netrx[i]);
		fprintf(f, "\n             imbalance %.2fx (hottest cpu %d, %.0f%%)\n",
			s->netrx_imbalance, s->netrx_hot_cpu, s->netrx_hot_share);
	}

	fputc('\n', f);
	if (!failed(f, s, GV_CONNTRACK)) {
		if (s->ct.present)
			fprintf(f, "conntrack    %llu / %llu (%.1f%%)  established timeout %llus  time_wait timeout %llus\n",
				(unsigned long long)s->ct.count, (unsigned long long)s->ct.max,
				s->ct.max ? 100.0 * s->ct.count / s->ct.max : 0,
				(unsigned long long)s->ct.est_timeout, (unsigned long long)s->ct.tw_timeout);
		else
			fprintf(f, "conntrack    absent (nf_conntrack not loaded)\n");
	}
	if (!failed(f, s, GV_PORTS)) {
		unsigned range = s->ports.hi - s->ports.lo + 1;
		fprintf(f, "ports        range %u-%u (%u)", s->ports.lo, s->ports.hi, range);
		if (s->ports.in_use_known)
			fprintf(f, "  in use %s%llu (%.1f%%)", s->ports.in_use_bound ? "<= " : "",
				(unsigned long long)s->ports.in_use,
				100.0 * s->ports.in_use / range);
		if (s->ports.in_use_known && s->ports.in_use_age_s > 0)
			fprintf(f, ", counted %.1f s ago", s->ports.in_use_age_s);
		fprintf(f, "  tcp_tw_reuse %lld\n", (long long)s->knobs.v[MK_GUEST_TCP_TW_REUSE]);
	}
	if (!failed(f, s, GV_FILES))
		fprintf(f, "files        %llu / %llu (%.2f%%)\n", (unsigned long long)s->files_nr,
			(unsigned long long)s->files_max,
			s->files_max ? 100.0 * s->files_nr / s->files_max : 0);

	fputc('\n', f);
	if (!failed(f, s, GV_IFACES)) {
		fprintf(f, "%-12s %10s %10s %9s %9s %8s %4s %s\n", "interface", "rx pkt/s", "tx pkt/s",
			"rx drop/s", "tx drop/s", "errors/s", "rxq", "rps_cpus (rx-0)");
		for (int i = 0; i < s->nifaces; i++) {
			const struct gv_iface_rate *n = &s->ifaces[i];
			fprintf(f, "%-12s %10.1f %10.1f %9.1f %9.1f %8.1f %4d %s\n", n->name,
				n->rx_packets, n->tx_packets, n->rx_dropped, n->tx_dropped,
				n->rx_errors + n->tx_errors, n->nrxq, n->rps);
		}
	}

	fputc('\n', f);
	/* the knobs, n/a when the kernel has no such sysctl or it cannot be read */
	int col = fprintf(f, "knobs      ");
	for (int i = 0; i < MK_COUNT; i++) {
		/* the sysctl's last part: "somaxconn" */
		const char *name = strrchr(metric_defs[metric_of_knob[i]].sysctl, '.') + 1;
		long long v = s->knobs.v[i];
		char item[96];
		int l = v < 0 ? snprintf(item, sizeof item, "%s n/a (not readable)", name)
			      : snprintf(item, sizeof item, "%s %lld", name, v);
		if (col + 2 + l > 100)
			col = fprintf(f, "\n           ");
		col += fprintf(f, "  %s", item);
	}
	fputc('\n', f);
}
