/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine: per-subject rule timers (for / cooldown / clear hysteresis) and the
 * planning of each fired rule's actions against the knobs' current values. */
#include "engine.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act_table.h"
#include "corroborate.h"
#include "engine_int.h"
#include "strmap.h"
#include "vec.h"

#define ADMIN_NOTE "changed by the administrator, no longer managed"

/* ---- plans ---- */

void pol_plan_init(struct pol_plan *p)
{
	memset(p, 0, sizeof *p);
}

void pol_plan_clear(struct pol_plan *p)
{
	p->n = 0;
}

void pol_plan_free(struct pol_plan *p)
{
	free(p->v);
	memset(p, 0, sizeof *p);
}

struct pol_change *pol_plan_add(struct pol_plan *p, const struct pol_rule *r,
				const struct pol_action *a, const char *kind,
				const char *why)
{
	if (VEC_RESERVE(p->v, p->cap, p->n + 1))
		return NULL;
	struct pol_change *c = &p->v[p->n++];
	memset(c, 0, sizeof *c);
	snprintf(c->rule, sizeof c->rule, "%s", r->name);
	c->side = a->side;
	snprintf(c->kind, sizeof c->kind, "%s", kind);
	snprintf(c->key, sizeof c->key, "%s", a->key);
	snprintf(c->why, sizeof c->why, "%s", why);
	c->act = a;
	return c;
}

int pol_plan_note(struct pol_plan *p, const struct pol_rule *r,
		  const struct pol_action *a, const char *why, const char *old,
		  const char *fmt, ...)
{
	struct pol_change *c = pol_plan_add(p, r, a, "note", why);
	va_list ap;
	if (!c)
		return -ENOMEM;
	if (a->act->tells)
		c->key[0] = '\0';
	snprintf(c->old, sizeof c->old, "%s", old ? old : "");
	va_start(ap, fmt);
	vsnprintf(c->note, sizeof c->note, fmt, ap);
	va_end(ap);
	return 0;
}

int pol_plan_deferred(struct pol_plan *p, const struct pol_rule *r,
		      const struct pol_action *a, const char *kind, const char *why)
{
	struct pol_change *c = pol_plan_add(p, r, a, kind, why);
	if (!c)
		return -ENOMEM;
	c->deferred = 1;
	return 0;
}

/* ---- subjects ---- */

struct pol_engine *pol_engine_new(const struct pol_set *set)
{
	if (!set)
		return NULL;
	struct pol_engine *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->set = set;
	e->corroborate = 1;
	if (!(e->by_name = strmap_new()) || vf_engine_init(e)) {
		strmap_free(e->by_name);
		free(e->vf);
		free(e);
		return NULL;
	}
	return e;
}

static void subject_free(const struct pol_engine *e, struct subject *s)
{
	vf_subject_free(e, s);
	for (size_t i = 0; i < s->n_unmanaged; i++) {
		free(s->unmanaged[i].ident);
		free(s->unmanaged[i].now);
	}
	free(s->unmanaged);
	free(s->rs);
	free(s->name);
	free(s);
}

void pol_engine_set_backend(struct pol_engine *e, const char *name)
{
	e->backend = name;
}

void pol_engine_set_corroborate(struct pol_engine *e, int on)
{
	e->corroborate = on;
}

void pol_engine_free(struct pol_engine *e)
{
	if (!e)
		return;
	while (e->subjects) {
		struct subject *s = e->subjects;
		e->subjects = s->next;
		subject_free(e, s);
	}
	strmap_free(e->by_name);
	vf_engine_free(e);
	free(e);
}

static struct subject *find_subject(const struct pol_engine *e, const char *name)
{
	return strmap_get(e->by_name, name);
}

int pol_engine_plausibility(const struct pol_engine *e, const char *subject,
			    uint64_t *count, const char **why)
{
	const struct subject *s = e && subject ? find_subject(e, subject) : NULL;
	if (!s)
		return -ENOENT;
	if (count)
		*count = s->implausible;
	if (why)
		*why = s->implausible_why;
	return !s->implausible_now;
}

static struct subject *get_subject(struct pol_engine *e, const char *name)
{
	struct subject *s = find_subject(e, name);
	if (s)
		return s;
	s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->name = strdup(name);
	s->rs = calloc(e->set->n_rules + 1, sizeof *s->rs);
	if (!s->name || !s->rs || vf_subject_init(e, s) ||
	    strmap_put(e->by_name, s->name, s)) {
		subject_free(e, s);
		return NULL;
	}
	s->next = e->subjects;
	e->subjects = s;
	return s;
}

int pol_engine_forget(struct pol_engine *e, const char *subject)
{
	if (!e || !subject)
		return -EINVAL;
	for (struct subject **pp = &e->subjects; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->name, subject))
			continue;
		struct subject *s = *pp;
		*pp = s->next;
		strmap_del(e->by_name, s->name);
		subject_free(e, s);
		return 0;
	}
	return -ENOENT;
}

static int is_unmanaged(const struct subject *s, const char *ident)
{
	for (size_t i = 0; i < s->n_unmanaged; i++)
		if (!strcmp(s->unmanaged[i].ident, ident))
			return 1;
	return 0;
}

int pol_engine_admin_changed(struct pol_engine *e, const char *subject,
			     const char *ident, const char *now)
{
	if (!e || !subject || !ident || !*ident)
		return -EINVAL;
	struct subject *s = get_subject(e, subject);
	if (!s)
		return -ENOMEM;
	if (is_unmanaged(s, ident))
		return 0;
	int r = VEC_RESERVE(s->unmanaged, s->cap_unmanaged, s->n_unmanaged + 1);
	if (r)
		return r;
	struct unmanaged *u = &s->unmanaged[s->n_unmanaged];
	u->ident = strdup(ident);
	u->now = strdup(now ? now : "");
	if (!u->ident || !u->now) {
		free(u->ident);
		free(u->now);
		return -ENOMEM;
	}
	s->n_unmanaged++;
	return 0;
}

int pol_engine_unmanaged(const struct pol_engine *e, const char *subject, size_t i,
			 const char **ident, const char **now)
{
	const struct subject *s = e && subject ? find_subject(e, subject) : NULL;
	if (!s || i >= s->n_unmanaged)
		return -ENOENT;
	*ident = s->unmanaged[i].ident;
	*now = s->unmanaged[i].now;
	return 0;
}

int pol_engine_rule_active(const struct pol_engine *e, const char *subject,
			   const char *rule)
{
	if (!e || !subject || !rule)
		return -EINVAL;
	const struct subject *s = find_subject(e, subject);
	if (!s)
		return -ENOENT;
	for (size_t i = 0; i < e->set->n_rules; i++)
		if (!strcmp(e->set->rules[i].name, rule))
			return s->rs[i].active;
	return -ENOENT;
}

/* ---- planning ---- */

static void build_why(const struct pol_rule *r, const struct mvec *guest,
		      const struct mvec *host, char *buf, size_t n)
{
	int ids[16];
	int cnt = expr_metrics(r->when, ids, 16);
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < cnt && i < 16; i++) {
		const char *name = metric_defs[ids[i]].name;
		const struct mvec *m = !strncmp(name, "host.", 5) ? host : guest;
		char val[48];
		double v = m ? mvec_get(m, ids[i]) : NAN;
		expr_format_value(ids[i], v, val, sizeof val);
		int w = snprintf(buf + len, n - len, "%s%s=%s", i ? " " : "", name, val);
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
}

static int plan_action(struct pol_plan *p, const struct subject *s,
		       const struct pol_rule *r, const struct pol_action *a,
		       const char *why, pol_current_fn current, void *arg,
		       const struct mvec *guest, const struct mvec *host)
{
	char ident[POL_KEY_MAX + 24];
	if (!a->act->tells) {
		act_ident(a->act, a->key, ident, sizeof ident);
		if (is_unmanaged(s, ident))
			return pol_plan_note(p, r, a, why, NULL, "%s: " ADMIN_NOTE, ident);
	}
	struct act_plan_in in = { r, a, why, current, arg, guest, host };
	return act_plan(&in, p);
}

int pol_plan_rule(const struct pol_rule *r, const char *why,
		  pol_current_fn current, void *arg, struct pol_plan *out)
{
	static const struct subject none = { 0 };
	for (size_t i = 0; i < r->n_actions; i++) {
		int rc = plan_action(out, &none, r, &r->actions[i], why, current, arg, NULL, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- stepping ---- */

static int holds(const struct expr *x, const struct mvec *g, const struct mvec *h)
{
	double v;
	return expr_eval(x, g, h, &v) == 0 && v != 0;
}

/* Do rules a and b change a knob in common (the same kind on the same
 * side; for sysctls the same key)? Notes change nothing. */
static int same_knob(const struct pol_rule *a, const struct pol_rule *b)
{
	for (size_t i = 0; i < a->n_actions; i++)
		for (size_t j = 0; j < b->n_actions; j++) {
			const struct pol_action *x = &a->actions[i], *y = &b->actions[j];
			if (x->act->tells || x->side != y->side || x->act != y->act)
				continue;
			if (!x->act->ident_key || !strcmp(x->key, y->key))
				return 1;
		}
	return 0;
}

/* Is a knob rule i changes being watched for another rule's verdict? One
 * change per knob at a time: each verdict then judges its own change, and
 * undoing it never meets a later change of the same knob. */
static int knob_watched(const struct pol_engine *e, const struct subject *s, size_t i)
{
	for (size_t q = 0; q < e->set->n_rules; q++)
		if (q != i && vf_open(s, q) && same_knob(&e->set->rules[i], &e->set->rules[q]))
			return 1;
	return 0;
}

static uint64_t since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

int pol_engine_step(struct pol_engine *e, const char *subject, uint64_t now_ns,
		    const struct mvec *guest, const struct mvec *host,
		    pol_current_fn current, void *arg, struct pol_plan *out)
{
	if (!e || !subject || !out)
		return -EINVAL;
	struct subject *s = get_subject(e, subject);
	if (!s)
		return -ENOMEM;
	/* judge the changes whose window is over first: a reverted rule is
	 * quarantined before it could fire again */
	if (vf_sample(e, s, now_ns, guest, host))
		return -ENOMEM;
	int fired = 0;
	/* The guest's claims that host rules read must agree with what the
	 * host sees: a report that does not is implausible, and every rule
	 * that would change the host is held (its sample counts as unknown);
	 * rules acting on the guest alone go on. */
	s->implausible_now = 0;
	for (size_t i = 0; e->corroborate && i < e->set->n_rules; i++) {
		const struct pol_rule *r = &e->set->rules[i];
		if (r->enabled && pol_rule_for_backend(r, e->backend) && corr_rule_on_host(r) &&
		    !corr_rule_check(r, guest, host, s->implausible_why,
				     sizeof s->implausible_why)) {
			s->implausible_now = 1;
			s->implausible++;
			break;
		}
	}
	for (size_t i = 0; i < e->set->n_rules; i++) {
		const struct pol_rule *r = &e->set->rules[i];
		struct rstate *st = &s->rs[i];
		if (!r->enabled || !pol_rule_for_backend(r, e->backend))
			continue;
		if (s->implausible_now && corr_rule_on_host(r)) {
			st->when_on = 0;
			st->clear_on = 0;
			continue;
		}
		/* no new change while the last one is watched, nor in quarantine */
		int held_back = vf_open(s, i) || now_ns < st->quarantine_until ||
				knob_watched(e, s, i);
		if (st->active) {
			int c;
			if (r->clear) {
				c = holds(r->clear, guest, host);
			} else {
				double v;
				c = expr_eval(r->when, guest, host, &v) == 0 && v == 0;
			}
			if (c) {
				if (!st->clear_on) {
					st->clear_on = 1;
					st->clear_since = now_ns;
				}
				if (since(now_ns, st->clear_since) >= r->for_ns) {
					st->active = 0;
					st->clear_on = 0;
					st->when_on = 0;
				}
				continue;
			}
			st->clear_on = 0;
			/* Escalation: a problem that persists through the whole
			 * cooldown after a firing (not one that comes and goes
			 * around the threshold) fires the rule again, so ratchet
			 * actions keep moving toward their bound. */
			if (!holds(r->when, guest, host)) {
				st->when_on = 0;
				continue;
			}
			if (!st->when_on) {
				st->when_on = 1;
				st->when_since = now_ns;
			}
			uint64_t need = r->cooldown_ns > r->for_ns ? r->cooldown_ns : r->for_ns;
			if (since(now_ns, st->when_since) < need ||
			    since(now_ns, st->last_fire) < r->cooldown_ns || held_back)
				continue;
			goto fire;
		}
		if (!holds(r->when, guest, host)) {
			st->when_on = 0;
			continue;
		}
		if (!st->when_on) {
			st->when_on = 1;
			st->when_since = now_ns;
		}
		if (since(now_ns, st->when_since) < r->for_ns)
			continue;
		if ((st->fired && since(now_ns, st->last_fire) < r->cooldown_ns) || held_back)
			continue;
fire:
		st->active = 1;
		st->fired = 1;
		st->last_fire = now_ns;
		st->when_on = 0;
		st->clear_on = 0;
		fired++;
		if (vf_fired(e, s, i, now_ns))
			return -ENOMEM;
		char why[512];
		build_why(r, guest, host, why, sizeof why);
		for (size_t j = 0; j < r->n_actions; j++) {
			int rc = plan_action(out, s, r, &r->actions[j], why, current, arg, guest,
					     host);
			if (rc)
				return rc;
		}
	}
	return fired;
}
