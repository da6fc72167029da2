/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_bridge_nf: the "bridge_nf" host action — bridge netfilter off / on
 * for the guest's bridge alone (its nf_call_* options, the namespace
 * sysctls only as far as that takes, every other bridge left filtered), or
 * with `scope: namespace` the namespace-wide sysctls. Before turning it off
 * it checks what needs the bridged frames to pass netfilter (firewall rules,
 * platform chains, the guest's libvirt nwfilter bindings): if anything does,
 * nothing is changed or journaled and the refusal is said (unless the rule
 * says `allow_unfiltered: true`). Turning it on ends only vtune's own
 * exemption: what was off before vtune stays as the administrator left it. */
#include "act_kinds.h"
#include "apply.h"
#include "hostnet.h"
#include "knob.h"
#include "policy_ld.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing: `bridge_nf: off` or a mapping ---- */

void act_bridge_nf_parse(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *n,
			 yaml_node_t *const *mods, yaml_node_t *const *modkeys,
			 struct pol_action *a)
{
	static const char *const keys[] = { "state", "scope", "allow_unfiltered" };
	static const char *const states[] = { "off", "on", NULL };
	static const char *const scopes[] = { "bridge", "namespace", NULL };
	static const char *const bools[] = { "false", "true", NULL };
	yaml_node_t *v[3], *k[3];
	char tmp[16];

	(void)an, (void)mods, (void)modkeys;
	if (n && n->type == YAML_SCALAR_NODE) {
		pol_ld_word(ld, n, "bridge_nf", states, a->key, sizeof a->key);
		return;
	}
	if (pol_ld_map(ld, n, "a bridge_nf action (off, on, or a mapping with state, scope, allow_unfiltered)",
		       keys, 3, v, k))
		return;
	if (!v[0])
		pol_ld_err(ld, n, "bridge_nf needs 'state' (off or on)");
	else
		pol_ld_word(ld, v[0], "state", states, a->key, sizeof a->key);
	if (v[1] && pol_ld_word(ld, v[1], "scope", scopes, tmp, sizeof tmp) == 1)
		a->flags |= POL_F_SCOPE_NS;
	if (v[2] && pol_ld_word(ld, v[2], "allow_unfiltered", bools, tmp, sizeof tmp) == 1)
		a->flags |= POL_F_ALLOW_UNFILTERED;
}

void act_bridge_nf_to_spec(const struct pol_action *a, struct act_spec_buf *b)
{
	if (!(a->flags & (POL_F_SCOPE_NS | POL_F_ALLOW_UNFILTERED)))
		return;
	snprintf(b->op, sizeof b->op, "%.3s", a->key);
	b->s.op = b->op;
	snprintf(b->value, sizeof b->value, "%s%s%s",
		 a->flags & POL_F_SCOPE_NS ? "scope namespace" : "scope bridge",
		 a->flags & POL_F_ALLOW_UNFILTERED ? ", " : "",
		 a->flags & POL_F_ALLOW_UNFILTERED ? "allow_unfiltered" : "");
	b->s.value = b->value;
}

/* ---- planning: is it so already? ---- */

int act_bridge_nf_plan(const struct act_plan_in *in, struct pol_plan *out)
{
	const struct pol_action *a = in->a;
	const char *scope = a->flags & POL_F_SCOPE_NS ? "namespace" : "bridge";
	char cur[16] = "";
	if (!in->current || in->current(in->arg, a->side, "bridge_nf", scope, cur, sizeof cur))
		cur[0] = '\0';
	cur[strcspn(cur, " \t\r\n")] = '\0';
	if (!strcmp(cur, a->key))
		return pol_plan_note(out, in->rule, a, in->why, cur, "bridge_nf already %s%s, nothing to do",
				     a->key, a->flags & POL_F_SCOPE_NS ? " in the namespace" : "");
	struct pol_change *c = pol_plan_add(out, in->rule, a, "bridge_nf", in->why);
	if (!c)
		return -ENOMEM;
	snprintf(c->old, sizeof c->old, "%s", cur);
	snprintf(c->new, sizeof c->new, "%s", a->key);
	return 0;
}

/* ---- the values before vtune, from its journal ---- */

/* The original value of a knob vtune changed and has not put back: the old
 * value of its earliest open record. 1 with the value in *v, 0 none. */
static int original(const struct journal *j, const char *kind, const char *target,
		    const char *key, int *v)
{
	size_t n = j ? journal_count(j) : 0;
	for (size_t i = 0; i < n; i++) {
		const struct jrec *r = journal_record(j, i);
		const char *st, *old, *nw;
		if (strcmp(r->op, "set") || strcmp(r->side, "host") || strcmp(r->kind, kind) ||
		    strcmp(r->target, target) || strcmp(r->key, key))
			continue;
		st = journal_state(j, r->seq);
		if (!st || strcmp(st, "applied") || journal_values(j, r->seq, &old, &nw) ||
		    (strcmp(old, "0") && strcmp(old, "1")))
			continue;
		*v = old[0] == '1';
		return 1;
	}
	return 0;
}

static void originals(const struct journal *j, const char *netns, struct hostnet_brnf_ns *s)
{
	char target[300];
	for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++)
		original(j, "bridge_nf", netns ? netns : "", hostnet_brnf_keys[k], &s->sys_orig[k]);
	for (size_t i = 0; i < s->nbr; i++) {
		if (netns && *netns)
			snprintf(target, sizeof target, "%s@%s", s->br[i].name, netns);
		else
			snprintf(target, sizeof target, "%s", s->br[i].name);
		for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++)
			original(j, "bridge_nf_br", target, hostnet_brbr_keys[k], &s->br[i].orig[k]);
	}
}

/* ---- refusing ---- */

static int refuse(const struct act_ctx *c, const struct pol_change *ch, const char *reason,
		  const char *what)
{
	char text[768];
	const char *br = c->host->bridge && *c->host->bridge ? c->host->bridge : "?";
	int ns = ch->act && (ch->act->flags & POL_F_SCOPE_NS);
	snprintf(text, sizeof text,
		 "bridge_nf off for %s%s refused (rule %s): %s needs its bridged frames to pass netfilter; nothing changed (allow_unfiltered: true overrides)",
		 ns ? "the namespace of bridge " : "bridge ", br, ch->rule, what);
	if (c->host->refuse)
		c->host->refuse(c->host->refuse_arg, ch, "bridge_nf", reason, text);
	else
		apply_say(c->ac, LOG_WARNING, text);
	return 0;
}

/* Anything that needs the frames filtered? 1 (refused, said), 0 go on. */
static int firewall_refuses(const struct act_ctx *c, const struct pol_change *ch, int ns_scope)
{
	const struct act_host *h = c->host;
	const struct knob *fw = knob_find("firewall");
	char key[40], found[KNOB_VALUE_MAX] = "", what[KNOB_VALUE_MAX + 64];
	/* a bridge's exemption covers every port on it: check the whole bridge */
	snprintf(key, sizeof key, "%s:", ns_scope || !h->bridge ? "" : h->bridge);
	int r = fw ? knob_read(fw, apply_root(c->ac), h->netns ? h->netns : "", key, found,
			       sizeof found) : -ENOENT;
	if (r < 0) {
		snprintf(what, sizeof what, "the firewall could not be checked (%s): vtune assumes it", strerror(-r));
		return refuse(c, ch, "firewall", what), 1;
	}
	if (found[0]) {
		snprintf(what, sizeof what, "%s", found);
		return refuse(c, ch, "firewall", what), 1;
	}
	if (h->filters) {
		r = h->filters(h->bk, h->bk_guest, found, sizeof found);
		if (r > 0) {
			snprintf(what, sizeof what, "the guest's libvirt nwfilter %s", found);
			return refuse(c, ch, "firewall", what), 1;
		}
		if (r < 0) { /* as with the firewall: what cannot be checked is assumed */
			snprintf(what, sizeof what,
				 "the guest's libvirt nwfilter bindings could not be read (%s): vtune assumes one",
				 strerror(-r));
			return refuse(c, ch, "firewall", what), 1;
		}
	}
	return 0;
}

/* ---- carrying it out ---- */

static int plan(const struct act_ctx *c, const struct pol_change *ch, act_change_fn fn,
		void *arg, char *why, size_t n)
{
	const struct act_host *h = c->host;
	int off = !strcmp(ch->new, "off");
	if (ch->act && (ch->act->flags & POL_F_SCOPE_NS))
		return hostnet_plan_bridge_nf(h->netns, ch->new, fn, arg);
	if (!h->bridge || !h->bridge[0]) {
		snprintf(why, n, "the guest's bridge is not known (use scope: namespace for the namespace's sysctls)");
		return -ENOENT;
	}
	struct hostnet_brnf_ns *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	int r = hostnet_brnf_ns_read(apply_root(c->ac), h->netns, s);
	if (r) {
		snprintf(why, n, "reading bridge netfilter in %s: %s", h->netns && *h->netns ? h->netns : "hostd's namespace",
			 strerror(-r));
		goto out;
	}
	originals(c->ac->journal, h->netns, s);
	if (!off && !hostnet_brnf_effective(s, h->bridge)) {
		/* on: only what vtune exempted goes back on */
		size_t i = 0;
		while (i < s->nbr && strcmp(s->br[i].name, h->bridge))
			i++;
		int before = 0;
		for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++)
			before |= s->sys_orig[k] | (i < s->nbr ? s->br[i].orig[k] : 0);
		if (!before) {
			char line[300];
			snprintf(line, sizeof line,
				 "bridge_nf on (rule %s): bridge netfilter on %s was off before vtune: left as it is",
				 ch->rule, h->bridge);
			apply_say(c->ac, LOG_INFO, line);
			r = 0;
			goto out;
		}
	}
	r = hostnet_plan_bridge_exempt(s, h->netns, h->bridge, off, fn, arg);
	if (r == -ENODEV)
		snprintf(why, n, "no bridge %s in %s", h->bridge, h->netns && *h->netns ? h->netns : "hostd's namespace");
out:
	free(s);
	return r < 0 ? r : 0;
}

int act_bridge_nf_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	if (!c->host)
		return -EINVAL;
	int ns_scope = ch->act && (ch->act->flags & POL_F_SCOPE_NS);
	if (!strcmp(ch->new, "off") && !(ch->act && (ch->act->flags & POL_F_ALLOW_UNFILTERED)) &&
	    firewall_refuses(c, ch, ns_scope))
		return 0;
	return apply_expand(c, ch, plan);
}
