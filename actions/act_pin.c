/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_pin: the "pin" host action — the backend plans where vCPUs, dom0 or
 * the emulator threads go (backend slots: act_host.plan_pin_host for the
 * host-wide modes, planned for every guest at once, and plan_pin for one
 * guest's), each affinity a journaled knob change. */
#include "act_kinds.h"
#include "apply.h"

#include <errno.h>
#include <stdio.h>

static int plan(const struct act_ctx *c, const struct pol_change *ch, act_change_fn fn,
		void *arg, char *why, size_t n)
{
	const struct act_host *h = c->host;
	if (h->plan_pin_host) {
		int r = h->plan_pin_host(h->bk, ch->new, fn, arg, why, n);
		if (r != -EOPNOTSUPP)
			return r;
		why[0] = '\0';
	}
	if (!h->plan_pin) {
		snprintf(why, n, "pin %s: the backend cannot pin", ch->new);
		return -EOPNOTSUPP;
	}
	return h->plan_pin(h->bk, h->bk_guest, ch->new, fn, arg, why, n);
}

int act_pin_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	return c->host ? apply_expand(c, ch, plan) : -EINVAL;
}
