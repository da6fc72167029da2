/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_bridge_nf: the "bridge_nf" host action — bridge netfilter off / on
 * for the guest's bridge namespace, each of the three hooks a journaled
 * knob change. */
#include "act_kinds.h"
#include "apply.h"
#include "hostnet.h"

#include <errno.h>

static int plan(const struct act_ctx *c, const struct pol_change *ch, act_change_fn fn,
		void *arg, char *why, size_t n)
{
	(void)why, (void)n;
	return hostnet_plan_bridge_nf(c->host->netns, ch->new, fn, arg);
}

int act_bridge_nf_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	return c->host ? apply_expand(c, ch, plan) : -EINVAL;
}
