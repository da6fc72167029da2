/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_ports: ports in use, bounded by sockstat, counted exactly at a bounded
 * rate under a CPU budget. */
#include "gv_ports.h"
#include "budget.h"
#include "log.h"
#include "sockdiag.h"
#include "vclock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gv_ports_sched {
	struct gv_ports_cfg cfg;
	struct budget budget;
	gv_ports_count_fn count;
	int have;	     /* an exact count was taken: */
	uint32_t lo, hi;     /* ... for this range, */
	uint64_t value;      /* ... found this many, */
	uint64_t at_ns;	     /* ... started then, */
	uint64_t cost_ns;    /* ... and took this much CPU */
	int tried;	     /* a count was started (even one that failed): */
	uint32_t try_lo, try_hi; /* ... for this range, */
	uint64_t tried_ns;   /* ... then */
	uint64_t counts, cpu_ns; /* exact counts started, and their CPU */
	/* the dump of half-open connections */
	int syn_seen;	     /* syn_total holds the last reading's */
	uint64_t syn_total;  /* SYN overflow counters, summed */
	int syn_tried;
	uint64_t syn_tried_ns;
	int syn_have;
	struct gv_synq syn;  /* the last dump's answer, */
	uint64_t syn_at_ns;  /* ... taken then */
};

struct gv_ports_sched *gv_ports_sched_new(const struct gv_ports_cfg *cfg)
{
	struct gv_ports_sched *ps = calloc(1, sizeof *ps);
	if (!ps)
		return NULL;
	ps->cfg.budget_pct = cfg ? cfg->budget_pct : GV_PORTS_BUDGET_PCT;
	ps->cfg.period_s = cfg ? cfg->period_s : GV_PORTS_PERIOD_S;
	budget_init(&ps->budget, ps->cfg.budget_pct / 100.0,
		    (uint64_t)GV_PORTS_WINDOW_S * 1000000000ull);
	ps->count = sockdiag_count_ports;
	return ps;
}

void gv_ports_sched_free(struct gv_ports_sched *ps)
{
	free(ps);
}

void gv_ports_sched_set_counter(struct gv_ports_sched *ps, gv_ports_count_fn fn)
{
	ps->count = fn ? fn : sockdiag_count_ports;
}

/* May an exact count start now? Not within the period of the last one
 * (unless the range changed since), and within the budget. */
static int may_count(const struct gv_ports_sched *ps, uint64_t now, uint32_t lo, uint32_t hi)
{
	if (ps->tried && ps->try_lo == lo && ps->try_hi == hi &&
	    (double)(now - ps->tried_ns) < ps->cfg.period_s * 1e9)
		return 0;
	return budget_may_run(&ps->budget, now, ps->cost_ns);
}

static void set(struct gv_ports *p, uint64_t v, int bound, double age_s)
{
	p->in_use = v;
	p->in_use_known = 1;
	p->in_use_bound = bound;
	p->in_use_age_s = age_s;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* The listeners' ports inside [lo, hi], sorted, without repeats. */
static size_t listen_ports(const struct gv_reading *r, uint32_t lo, uint32_t hi, uint16_t *out)
{
	size_t n = 0;
	for (int i = 0; i < r->nlisteners && n < GV_MAX_LISTENERS; i++)
		if (r->listeners[i].port >= lo && r->listeners[i].port <= hi)
			out[n++] = (uint16_t)r->listeners[i].port;
	qsort(out, n, sizeof *out, cmp_u16);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || out[k - 1] != out[i])
			out[k++] = out[i];
	return k;
}

void gv_ports_fill(struct gv_ports_sched *ps, const char *root, struct gv_reading *r)
{
	struct gv_ports *p = &r->ports;
	uint64_t range = (uint64_t)p->hi - p->lo + 1;
	int have_bound = !r->status[GV_SOCKSTAT];
	uint64_t bound = r->sock.tcp_inuse + r->sock.tcp6_inuse + r->sock.tcp_tw;
	uint64_t now = vclock_mono_ns();

	p->in_use_known = 0;
	if (ps) {
		p->exact_counts = ps->counts;
		p->exact_cpu_ns = ps->cpu_ns;
	}
	/* every TCP socket is under 1/16 of the range: ports cannot be short */
	if (have_bound && bound < range / GV_PORTS_SIGNAL_DIV) {
		set(p, bound, 1, 0);
		return;
	}
	if (!ps || may_count(ps, now, p->lo, p->hi)) {
		gv_ports_count_fn count = ps ? ps->count : sockdiag_count_ports;
		uint16_t skip[GV_MAX_LISTENERS];
		size_t nskip = listen_ports(r, p->lo, p->hi, skip);
		uint64_t n = 0, c0 = vclock_cpu_ns();
		int e = count(root, p->lo, p->hi, skip, nskip, &n);
		uint64_t cost = vclock_cpu_ns() - c0;
		if (!ps) {
			p->exact_counts = 1;
			p->exact_cpu_ns = cost;
			if (!e)
				set(p, n, 0, 0);
			return;
		}
		budget_charge(&ps->budget, now, cost);
		ps->tried = 1;
		ps->try_lo = p->lo;
		ps->try_hi = p->hi;
		ps->tried_ns = now;
		ps->counts++;
		ps->cpu_ns += cost;
		p->exact_counts = ps->counts;
		p->exact_cpu_ns = ps->cpu_ns;
		if (!e) {
			ps->have = 1;
			ps->lo = p->lo;
			ps->hi = p->hi;
			ps->value = n;
			ps->at_ns = now;
			ps->cost_ns = cost;
		}
		log_debug("ports: %s %llu sockets on ports %u-%u, %.2f ms of CPU "
			  "(%llu exact counts, %.1f ms in all)",
			  e ? "exact count failed at" : "counted", (unsigned long long)n,
			  p->lo, p->hi, (double)cost / 1e6, (unsigned long long)ps->counts,
			  (double)ps->cpu_ns / 1e6);
		if (!e) {
			set(p, n, 0, 0);
			return;
		}
	}
	if (!ps || !ps->have || ps->lo != p->lo || ps->hi != p->hi)
		return; /* nothing known for this range */
	if (have_bound && bound < ps->value)
		set(p, bound, 1, 0); /* fewer sockets in all than the last count */
	else
		set(p, ps->value, 0, (double)(now - ps->at_ns) / 1e9);
}

/* The listener with the most half-open connections, from one dump. */
static int synq_dump(const char *root, const struct gv_reading *r, struct gv_synq *q)
{
	uint64_t counts[GV_MAX_LISTENERS];
	int n = r->nlisteners < GV_MAX_LISTENERS ? r->nlisteners : GV_MAX_LISTENERS;
	int e = sockdiag_synrecv(root, r->listeners, n, counts);
	if (e)
		return e;
	memset(q, 0, sizeof *q);
	q->known = 1;
	for (int i = 0; i < n; i++)
		if (counts[i] > q->count) {
			q->count = counts[i];
			q->port = r->listeners[i].port;
		}
	return 0;
}

void gv_synq_fill(struct gv_ports_sched *ps, const char *root, struct gv_reading *r)
{
	const uint64_t *t = r->nstat.v;
	uint64_t total = t[MC_GUEST_TCP_SYNCOOKIES_SENT_TOTAL] + t[MC_GUEST_TCP_REQQ_FULL_DROPS_TOTAL] +
			 t[MC_GUEST_TCP_REQQ_FULL_COOKIES_TOTAL];
	uint64_t now = vclock_mono_ns();
	memset(&r->synq, 0, sizeof r->synq);
	if (r->status[GV_NETSTAT] || r->status[GV_LISTENERS] || !r->nlisteners)
		return;
	if (!ps) {
		if (total)
			synq_dump(root, r, &r->synq);
		return;
	}
	int moved = ps->syn_seen && total != ps->syn_total;
	ps->syn_seen = 1;
	ps->syn_total = total;
	if (!moved)
		return; /* no overflow since the last reading: nothing to say */
	if ((!ps->syn_tried || (double)(now - ps->syn_tried_ns) >= ps->cfg.period_s * 1e9) &&
	    budget_may_run(&ps->budget, now, ps->cost_ns)) {
		uint64_t c0 = vclock_cpu_ns();
		struct gv_synq q;
		int e = synq_dump(root, r, &q);
		uint64_t cost = vclock_cpu_ns() - c0;
		budget_charge(&ps->budget, now, cost);
		ps->syn_tried = 1;
		ps->syn_tried_ns = now;
		if (!e) {
			ps->syn_have = 1;
			ps->syn = q;
			ps->syn_at_ns = now;
		}
		log_debug("ports: half-open connections %s, %.2f ms of CPU",
			  e ? "not counted" : "counted", (double)cost / 1e6);
	}
	if (ps->syn_have) {
		r->synq = ps->syn;
		r->synq.age_s = (double)(now - ps->syn_at_ns) / 1e9;
	}
}
