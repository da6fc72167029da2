/* SPDX-License-Identifier: GPL-2.0-or-later */
/* explain: what each rule of the engine is doing for a subject, for
 * `vtune report` and `vtune status`: quiet, waiting for its `for`, firing,
 * active, in cooldown or quarantine, held by its bounds, refused where it
 * runs — the engine's own evaluation, with the figures and the fix. */
#include "engine_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "act_table.h"
#include "expr.h"
#include "strmap.h"

const char *pol_rstate_name(enum pol_rstate s)
{
	static const char *const names[] = {
		[POL_RS_QUIET] = "quiet", [POL_RS_UNKNOWN] = "unknown",
		[POL_RS_WAITING] = "waiting", [POL_RS_FIRING] = "firing",
		[POL_RS_ACTIVE] = "active", [POL_RS_COOLDOWN] = "cooldown",
		[POL_RS_QUARANTINED] = "quarantined", [POL_RS_HELD] = "held",
		[POL_RS_REFUSED] = "refused", [POL_RS_OFF] = "off",
	};
	return (unsigned)s < sizeof names / sizeof *names ? names[s] : "?";
}

static void secs(uint64_t ns, char *b, size_t n)
{
	double s = (double)ns / 1e9;
	if (s >= 3600)
		snprintf(b, n, "%.0fh%02.0fm", floor(s / 3600), fmod(floor(s / 60), 60));
	else if (s >= 60)
		snprintf(b, n, "%.0fm%02.0fs", floor(s / 60), fmod(floor(s), 60));
	else
		snprintf(b, n, "%.0fs", ceil(s));
}

/* The metric values of the rule's `when`: "name=value ...". */
static void when_values(const struct pol_rule *r, const struct mvec *g, const struct mvec *h,
			char *buf, size_t n)
{
	int ids[16];
	int cnt = expr_metrics(r->when, ids, 16);
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < cnt && i < 16; i++) {
		const char *name = metric_defs[ids[i]].name;
		const struct mvec *m = !strncmp(name, "host.", 5) ? h : g;
		char val[48];
		expr_format_value(ids[i], m ? mvec_get(m, ids[i]) : NAN, val, sizeof val);
		int w = snprintf(buf + len, n - len, "%s%s=%s", i ? " " : "", name, val);
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
}

void pol_rule_fix(const struct pol_rule *r, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->n_actions && len + 1 < n; i++) {
		const struct pol_action *a = &r->actions[i];
		char d[200];
		if (a->act->tells)
			continue;
		act_describe(a, d, sizeof d);
		int sys = a->act->ident_key && strcmp(d, a->key); /* the knob d is for */
		int w = snprintf(buf + len, n - len, "%s%s %s %s%s%s", len ? "; " : "",
				 pol_side_name(a->side), a->act->name, sys ? a->key : "",
				 sys ? " " : "", d);
		if (w > 0)
			len += (size_t)w < n - len ? (size_t)w : n - len - 1;
	}
	if (!len)
		snprintf(buf, n, "nothing to change (a note)");
}

/* pol_rule_fix, or the notes of a rule that has nothing else, with the
 * figures they name. */
static void fix_of(const struct pol_rule *r, const struct mvec *g, const struct mvec *h,
		   char *buf, size_t n)
{
	struct pol_plan p;
	size_t len = 0;
	for (size_t i = 0; i < r->n_actions; i++)
		if (!r->actions[i].act->tells) {
			pol_rule_fix(r, buf, n);
			return;
		}
	buf[0] = '\0';
	pol_plan_init(&p);
	for (size_t i = 0; i < r->n_actions; i++) {
		struct act_plan_in in = { r, &r->actions[i], "", NULL, NULL, g, h };
		pol_plan_clear(&p);
		if (act_plan(&in, &p) || !p.n)
			continue;
		int w = snprintf(buf + len, n - len, "%s%s", len ? "; " : "", p.v[0].note);
		if (w > 0)
			len += (size_t)w < n - len ? (size_t)w : n - len - 1;
	}
	pol_plan_free(&p);
}

const char *pol_rule_side(const struct pol_rule *r)
{
	int g = 0, h = 0;
	for (size_t i = 0; i < r->n_actions; i++)
		*(r->actions[i].side == POL_HOST ? &h : &g) += 1;
	return g && h ? "both" : h ? "host" : "guest";
}

/* Would the rule's changes all stop at a bound (or be there already)?
 * 1 with the reasons in detail, 0 when something would change. */
static int held_by_bounds(const struct pol_rule *r, const struct mvec *g, const struct mvec *h,
			  pol_current_fn current, void *arg, char *detail, size_t n)
{
	struct pol_plan p;
	int changes = 0, notes = 0;
	size_t len = 0;
	pol_plan_init(&p);
	for (size_t i = 0; i < r->n_actions; i++) {
		const struct pol_action *a = &r->actions[i];
		if (a->act->tells)
			continue;
		struct act_plan_in in = { r, a, "", current, arg, g, h };
		pol_plan_clear(&p);
		if (act_plan(&in, &p))
			break;
		for (size_t k = 0; k < p.n; k++) {
			/* a note with the knob's value: at a bound or already
			 * there; without one (value unknown here): it would try */
			if (strcmp(p.v[k].kind, "note") || !p.v[k].old[0]) {
				changes++;
				continue;
			}
			notes++;
			int w = snprintf(detail + len, n - len, "%s%s", len ? "; " : "", p.v[k].note);
			if (w > 0)
				len += (size_t)w < n - len ? (size_t)w : n - len - 1;
		}
	}
	pol_plan_free(&p);
	return notes && !changes;
}

/* Can none of the rule's actions run where? 1 with the reasons. */
static int refused(const struct pol_rule *r, const struct act_where *where, char *detail,
		   size_t n)
{
	int ok = 0, any = 0;
	size_t len = 0;
	if (!where)
		return 0;
	for (size_t i = 0; i < r->n_actions; i++) {
		char why[256];
		if (r->actions[i].act->tells)
			continue;
		any = 1;
		if (act_can_run(&r->actions[i], where, why, sizeof why)) {
			ok = 1;
			continue;
		}
		int w = snprintf(detail + len, n - len, "%s%s", len ? "; " : "", why);
		if (w > 0)
			len += (size_t)w < n - len ? (size_t)w : n - len - 1;
	}
	return any && !ok;
}

int pol_engine_explain(const struct pol_engine *e, const char *subject, uint64_t now,
		       const struct mvec *g, const struct mvec *h, pol_current_fn current,
		       void *arg, const struct act_where *where, struct pol_rule_eval *out,
		       size_t max)
{
	if (!e || !out)
		return -EINVAL;
	const struct subject *s = subject ? strmap_get(e->by_name, subject) : NULL;
	size_t n = 0;
	for (size_t i = 0; i < e->set->n_rules && n < max; i++) {
		const struct pol_rule *r = &e->set->rules[i];
		const struct rstate *st = s ? &s->rs[i] : NULL;
		struct pol_rule_eval *x = &out[n++];
		char t1[32], t2[32];
		memset(x, 0, sizeof *x);
		x->rule = r;
		when_values(r, g, h, x->why, sizeof x->why);
		fix_of(r, g, h, x->fix, sizeof x->fix);
		if (!r->enabled || !pol_rule_for_backend(r, e->backend)) {
			x->state = POL_RS_OFF;
			snprintf(x->detail, sizeof x->detail, "%s",
				 r->enabled ? "not for this backend" : "disabled");
			continue;
		}
		double v;
		int known = expr_eval(r->when, g, h, &v) == 0, holds = known && v != 0;
		if (refused(r, where, x->detail, sizeof x->detail)) {
			x->state = holds ? POL_RS_REFUSED : POL_RS_QUIET;
			if (!holds)
				x->detail[0] = '\0';
			continue;
		}
		if (st && now < st->quarantine_until) {
			x->state = POL_RS_QUARANTINED;
			secs(st->quarantine_until - now, t1, sizeof t1);
			snprintf(x->detail, sizeof x->detail, "%s left; %s", t1,
				 s->last[i].text ? s->last[i].text : "its change was undone");
			continue;
		}
		if (st && vf_open(s, i)) {
			x->state = POL_RS_ACTIVE;
			snprintf(x->detail, sizeof x->detail, "its change is being verified");
			continue;
		}
		if (!holds) {
			x->state = st && st->active ? POL_RS_ACTIVE : known ? POL_RS_QUIET : POL_RS_UNKNOWN;
			if (x->state == POL_RS_ACTIVE)
				snprintf(x->detail, sizeof x->detail, "fired; waiting for its clear condition");
			else if (!known)
				snprintf(x->detail, sizeof x->detail, "a metric it reads is not reported");
			continue;
		}
		/* holds: how long, and what holds it back */
		uint64_t held_for = st && st->when_on ? now - st->when_since : 0;
		if (st && st->fired && now - st->last_fire < r->cooldown_ns) {
			x->state = POL_RS_COOLDOWN;
			secs(r->cooldown_ns - (now - st->last_fire), t1, sizeof t1);
			snprintf(x->detail, sizeof x->detail, "fired %s ago; %s of cooldown left",
				 (secs(now - st->last_fire, t2, sizeof t2), t2), t1);
			continue;
		}
		if (st && held_for < r->for_ns) {
			x->state = POL_RS_WAITING;
			secs(held_for, t1, sizeof t1);
			secs(r->for_ns, t2, sizeof t2);
			snprintf(x->detail, sizeof x->detail, "held %s of %s", t1, t2);
			continue;
		}
		if (held_by_bounds(r, g, h, current, arg, x->detail, sizeof x->detail)) {
			x->state = POL_RS_HELD;
			continue;
		}
		x->state = st && st->active ? POL_RS_ACTIVE : POL_RS_FIRING;
		snprintf(x->detail, sizeof x->detail, "%s",
			 x->state == POL_RS_ACTIVE ? "fired; it goes on holding" : "its condition holds");
	}
	return (int)n;
}

json_object *pol_rule_eval_json(const struct pol_rule_eval *x)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "rule", json_object_new_string(x->rule->name));
	json_object_object_add(o, "state", json_object_new_string(pol_rstate_name(x->state)));
	json_object_object_add(o, "side", json_object_new_string(pol_rule_side(x->rule)));
	json_object_object_add(o, "description", json_object_new_string(
				       x->rule->description ? x->rule->description : ""));
	json_object_object_add(o, "why", json_object_new_string(x->why));
	json_object_object_add(o, "detail", json_object_new_string(x->detail));
	json_object_object_add(o, "fix", json_object_new_string(x->fix));
	return o;
}
