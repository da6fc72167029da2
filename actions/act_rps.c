/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_rps: the "rps" action — Receive Packet Steering over every online
 * CPU on every receive queue, with RFS flow tables sized so the kernel
 * keeps exactly what is written (a second run changes nothing). */
#include "act_kinds.h"
#include "apply.h"
#include "log.h"
#include "rps.h"

#include <stdio.h>

/* RFS: the global flow table and its share per receive queue. */
#define RFS_FLOW_ENTRIES "32768"
#define RFS_FLOW_ENTRIES_N 32768

/* The kernel rounds rps_flow_cnt up to a power of two: write one, so
 * that what it keeps is what vtune wrote (3 queues: 8192, not 10922). */
static unsigned pow2_floor(unsigned v)
{
	unsigned p = 1;
	while (p * 2 <= v)
		p *= 2;
	return v ? p : 0;
}

struct rps_ctx {
	const struct act_ctx *c;
	const struct pol_change *ch;
	char mask[320];
	char flow_cnt[16];
	int changed, err;
};

static int rps_queue(const char *target, void *arg)
{
	struct rps_ctx *x = arg;
	int r = apply_knob(x->c->ac, x->ch, "rps", target, "rps_cpus", x->mask);
	if (r > 0)
		x->changed++;
	if (r >= 0) {
		r = apply_knob(x->c->ac, x->ch, "rps", target, "rps_flow_cnt", x->flow_cnt);
		if (r > 0)
			x->changed++;
	}
	if (r < 0)
		x->err = r;
	return r < 0 ? r : 0;
}

static int count_queue(const char *target, void *arg)
{
	(void)target;
	(*(int *)arg)++;
	return 0;
}

int act_rps_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	struct rps_ctx x = { .c = c, .ch = ch };
	const char *root = apply_root(c->ac);
	int ncpu = rps_online_cpus(root), nq = 0;
	if (ncpu < 2) {
		apply_say(c->ac, LOG_INFO, "rps: fewer than 2 CPUs online, nothing to spread");
		return 0;
	}
	rps_each_queue(root, count_queue, &nq);
	if (!nq)
		return 0;
	rps_all_mask(ncpu, x.mask, sizeof x.mask);
	snprintf(x.flow_cnt, sizeof x.flow_cnt, "%u", pow2_floor(RFS_FLOW_ENTRIES_N / (unsigned)nq));
	int r = apply_knob(c->ac, ch, "sysctl", "", "net.core.rps_sock_flow_entries",
			   RFS_FLOW_ENTRIES);
	if (r < 0)
		return r;
	x.changed = r;
	rps_each_queue(root, rps_queue, &x);
	return x.err ? x.err : x.changed;
}
