/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_offload: the "offload" host action — TSO / GSO / GRO / SG on or off
 * on the guest's tap or bridge, each feature a journaled knob change
 * through the ethtool netlink family. */
#include "act_kinds.h"
#include "apply.h"
#include "hostnet.h"
#include "policy_ld.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const feat_names[] = { "tso", "gso", "gro", "sg", "txcsum", NULL };

void act_offload_parse(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *n,
		       yaml_node_t *const *mods, yaml_node_t *const *modkeys,
		       struct pol_action *a)
{
	static const char *const keys[] = { "features", "state", "on" };
	static const char *const states[] = { "off", "on", NULL };
	/* the uplink is not refused by name only: vtune cannot tell which
	 * port of a bridge is the host's uplink */
	static const char *const where[] = { "tap", "bridge", NULL };
	yaml_node_t *v[3], *k[3];
	char tmp[16];

	(void)an, (void)mods, (void)modkeys;
	if (pol_ld_map(ld, n, "an offload action", keys, 3, v, k))
		return;
	snprintf(a->key, sizeof a->key, "tap");
	if (!v[0])
		pol_ld_err(ld, n, "offload needs 'features' (a list of tso, gso, gro, sg, txcsum)");
	else if (v[0]->type != YAML_SEQUENCE_NODE)
		pol_ld_err(ld, v[0], "features must be a list like [tso, gso, gro, sg, txcsum], not %s",
			   pol_ld_type_name(v[0]));
	else {
		int count = 0;
		for (yaml_node_item_t *it = v[0]->data.sequence.items.start;
		     it < v[0]->data.sequence.items.top && count < 16; it++, count++) {
			yaml_node_t *f = pol_ld_node(ld, *it);
			int i;
			if (f && (i = pol_ld_word(ld, f, "features", feat_names, tmp, sizeof tmp)) >= 0)
				a->features |= 1u << i;
		}
		if (count == 0)
			pol_ld_err(ld, v[0], "features: the list is empty");
	}
	if (!v[1])
		pol_ld_err(ld, n, "offload needs 'state' (on or off)");
	else
		a->state = pol_ld_word(ld, v[1], "state", states, tmp, sizeof tmp) == 1;
	if (v[2]) {
		const char *s = pol_ld_scalar(ld, v[2], "on");
		if (s && !strcmp(s, "uplink"))
			pol_ld_err(ld, v[2], "on: 'uplink' is not supported: vtune cannot tell which "
				   "port of the bridge carries the host's own traffic (use tap or bridge)");
		else if (s)
			pol_ld_word(ld, v[2], "on", where, a->key, sizeof a->key);
	}
}

/* "tso,gso=off" */
static void offload_value(const struct pol_action *a, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; feat_names[i]; i++)
		if (a->features & (1u << i))
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "",
						feat_names[i]);
	snprintf(buf + len, n - len, "=%s", a->state ? "on" : "off");
}

int act_offload_plan(const struct act_plan_in *in, struct pol_plan *out)
{
	const struct pol_action *a = in->a;
	char nv[POL_KEY_MAX], cur[64] = "";
	offload_value(a, nv, sizeof nv);
	if (in->current && in->current(in->arg, a->side, "offload", a->key, cur, sizeof cur) == 0 &&
	    !strcmp(cur, nv))
		return pol_plan_note(out, in->rule, a, in->why, cur,
				     "offload %s already %s, nothing to do", a->key, nv);
	struct pol_change *c = pol_plan_add(out, in->rule, a, "offload", in->why);
	if (!c)
		return -ENOMEM;
	snprintf(c->new, sizeof c->new, "%s", nv);
	return 0;
}

/* ch->key: where ("tap", "bridge"); ch->new: "tso,gso=off". */
static int plan(const struct act_ctx *c, const struct pol_change *ch, act_change_fn fn,
		void *arg, char *why, size_t n)
{
	char feats[POL_KEY_MAX];
	const char *iface = !strcmp(ch->key, "tap") ? c->host->tap
			    : !strcmp(ch->key, "bridge") ? c->host->bridge : "";
	if (!iface || !iface[0]) {
		snprintf(why, n, "offload on %s: the guest's %s is not known", ch->key, ch->key);
		return -ENOENT;
	}
	snprintf(feats, sizeof feats, "%s", ch->new);
	char *eq = strchr(feats, '=');
	if (!eq)
		return -EINVAL;
	*eq = '\0';
	unsigned mask = 0;
	char *save = NULL;
	for (char *t = strtok_r(feats, ",", &save); t; t = strtok_r(NULL, ",", &save))
		mask |= hostnet_offload_bit(t);
	if (!mask)
		return -EINVAL;
	return hostnet_plan_offload(iface, c->host->netns, mask, eq + 1, fn, arg);
}

int act_offload_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	return c->host ? apply_expand(c, ch, plan) : -EINVAL;
}
