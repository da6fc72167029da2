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

#include "parse.h"
#include "strmap.h"

#define PORT_RANGE_KEY "net.ipv4.ip_local_port_range"
#define PORT_RANGE_FLOOR 1024
#define ADMIN_NOTE "changed by the administrator, no longer managed"

struct rstate {
	int when_on;		/* when has held since when_since */
	uint64_t when_since;
	int active;		/* fired, clear not yet held for `for` */
	int clear_on;
	uint64_t clear_since;
	int fired;		/* last_fire is valid */
	uint64_t last_fire;
};

struct subject {
	char *name;
	struct rstate *rs;	/* one per rule */
	char **unmanaged;
	size_t n_unmanaged;
	struct subject *next;
};

struct pol_engine {
	const struct pol_set *set;
	struct subject *subjects;
	struct strmap *by_name; /* subjects by name */
};

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

static struct pol_change *plan_add(struct pol_plan *p, const struct pol_rule *r,
				   const struct pol_action *a, const char *kind,
				   const char *why)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct pol_change *v = realloc(p->v, cap * sizeof *v);
		if (!v)
			return NULL;
		p->v = v;
		p->cap = cap;
	}
	struct pol_change *c = &p->v[p->n++];
	memset(c, 0, sizeof *c);
	snprintf(c->rule, sizeof c->rule, "%s", r->name);
	c->side = a->side;
	snprintf(c->kind, sizeof c->kind, "%s", kind);
	snprintf(c->key, sizeof c->key, "%s", a->key);
	snprintf(c->why, sizeof c->why, "%s", why);
	return c;
}

static int add_note(struct pol_plan *p, const struct pol_rule *r,
		    const struct pol_action *a, const char *why, const char *old,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int add_note(struct pol_plan *p, const struct pol_rule *r,
		    const struct pol_action *a, const char *why, const char *old,
		    const char *fmt, ...)
{
	struct pol_change *c = plan_add(p, r, a, "note", why);
	va_list ap;
	if (!c)
		return -ENOMEM;
	if (a->kind == PA_NOTE)
		c->key[0] = '\0';
	snprintf(c->old, sizeof c->old, "%s", old ? old : "");
	va_start(ap, fmt);
	vsnprintf(c->note, sizeof c->note, fmt, ap);
	va_end(ap);
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
	if (!(e->by_name = strmap_new())) {
		free(e);
		return NULL;
	}
	return e;
}

static void subject_free(struct subject *s)
{
	for (size_t i = 0; i < s->n_unmanaged; i++)
		free(s->unmanaged[i]);
	free(s->unmanaged);
	free(s->rs);
	free(s->name);
	free(s);
}

void pol_engine_free(struct pol_engine *e)
{
	if (!e)
		return;
	while (e->subjects) {
		struct subject *s = e->subjects;
		e->subjects = s->next;
		subject_free(s);
	}
	strmap_free(e->by_name);
	free(e);
}

static struct subject *find_subject(const struct pol_engine *e, const char *name)
{
	return strmap_get(e->by_name, name);
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
	if (!s->name || !s->rs || strmap_put(e->by_name, s->name, s)) {
		subject_free(s);
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
		subject_free(s);
		return 0;
	}
	return -ENOENT;
}

static int is_unmanaged(const struct subject *s, const char *key)
{
	for (size_t i = 0; i < s->n_unmanaged; i++)
		if (!strcmp(s->unmanaged[i], key))
			return 1;
	return 0;
}

int pol_engine_admin_changed(struct pol_engine *e, const char *subject,
			     const char *key)
{
	if (!e || !subject || !key || !*key)
		return -EINVAL;
	struct subject *s = get_subject(e, subject);
	if (!s)
		return -ENOMEM;
	if (is_unmanaged(s, key))
		return 0;
	char **v = realloc(s->unmanaged, (s->n_unmanaged + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	s->unmanaged = v;
	if (!(v[s->n_unmanaged] = strdup(key)))
		return -ENOMEM;
	s->n_unmanaged++;
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

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	size_t i = 0;
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

static int plan_port_range(struct pol_plan *p, const struct pol_rule *r,
			   const struct pol_action *a, const char *why,
			   const char *cur)
{
	unsigned lo, hi;
	char tail, nv[48];
	if (sscanf(cur, "%u %u %c", &lo, &hi, &tail) != 2)
		return add_note(p, r, a, why, cur, "%s: cannot read the current value '%.40s', not changed",
				a->key, cur);
	if (a->op == POL_OP_SET) {
		snprintf(nv, sizeof nv, "%s", a->set_str);
	} else {
		double floor_lo = a->has_min ? a->min : PORT_RANGE_FLOOR;
		double nlo = (double)lo - a->value;
		if (nlo < floor_lo)
			nlo = floor_lo;
		if (nlo >= lo)
			return add_note(p, r, a, why, cur, "%s at min (%.0f %u), not changed",
					a->key, floor_lo, hi);
		snprintf(nv, sizeof nv, "%.0f %u", nlo, hi);
	}
	char ncur[48];
	snprintf(ncur, sizeof ncur, "%u %u", lo, hi);
	if (!strcmp(nv, ncur))
		return add_note(p, r, a, why, ncur, "%s already %s, not changed", a->key, nv);
	char whyno[160];
	if (pol_sysctl_value_ok(a->key, nv, whyno, sizeof whyno))
		return add_note(p, r, a, why, ncur, "%s, not changed", whyno);
	struct pol_change *c = plan_add(p, r, a, "sysctl", why);
	if (!c)
		return -ENOMEM;
	snprintf(c->old, sizeof c->old, "%s", ncur);
	snprintf(c->new, sizeof c->new, "%s", nv);
	return 0;
}

static int plan_sysctl(struct pol_plan *p, const struct pol_rule *r,
		       const struct pol_action *a, const char *why,
		       pol_current_fn current, void *arg)
{
	char cur[64] = "";
	int rc;

	if (!current)
		return add_note(p, r, a, why, NULL, "%s: current value unknown, not changed", a->key);
	rc = current(arg, a->side, "sysctl", a->key, cur, sizeof cur);
	cur[sizeof cur - 1] = '\0';
	if (rc)
		return add_note(p, r, a, why, NULL, "%s: current value unknown (%s), not changed",
				a->key, strerror(rc < 0 ? -rc : rc));
	trim(cur);
	if (!strcmp(a->key, PORT_RANGE_KEY))
		return plan_port_range(p, r, a, why, cur);

	double c, lo = -INFINITY, hi = INFINITY, raw, nv;
	if (parse_double(cur, &c) || c != floor(c))
		return add_note(p, r, a, why, cur, "%s: cannot read the current value '%.40s', not changed",
				a->key, cur);
	pol_sysctl_allowed(a->key, &lo, &hi, NULL, 0);
	if (a->has_max && a->max < hi)
		hi = a->max;
	if (a->has_min && a->min > lo)
		lo = a->min;
	switch (a->op) {
	case POL_OP_SCALE: raw = round(c * a->value); break;
	case POL_OP_STEP: raw = c + a->value; break;
	default: raw = a->value; break;
	}
	nv = raw;
	if (nv > hi)
		nv = hi;
	if (nv < lo)
		nv = lo;
	if (raw == c || nv == c)
		goto same;
	/* A bound never turns a raise into a cut, nor a cut into a raise. */
	if (raw > c && nv < c)
		return add_note(p, r, a, why, cur, "%s at max (%.0f), not changed", a->key, hi);
	if (raw < c && nv > c)
		return add_note(p, r, a, why, cur, "%s at min (%.0f), not changed", a->key, lo);

	char nvs[48], whyno[160];
	snprintf(nvs, sizeof nvs, "%.0f", nv);
	if (pol_sysctl_value_ok(a->key, nvs, whyno, sizeof whyno))
		return add_note(p, r, a, why, cur, "%s, not changed", whyno);
	struct pol_change *ch = plan_add(p, r, a, "sysctl", why);
	if (!ch)
		return -ENOMEM;
	snprintf(ch->old, sizeof ch->old, "%s", cur);
	snprintf(ch->new, sizeof ch->new, "%s", nvs);
	return 0;
same:
	if (raw > c)
		return add_note(p, r, a, why, cur, "%s at max (%.0f), not changed", a->key, hi);
	if (raw < c)
		return add_note(p, r, a, why, cur, "%s at min (%.0f), not changed", a->key, lo);
	return add_note(p, r, a, why, cur, "%s already %s, not changed", a->key, cur);
}

static void offload_value(const struct pol_action *a, char *buf, size_t n)
{
	static const char *const names[] = { "tso", "gso", "gro", "sg" };
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (a->features & (1u << i))
			len += (size_t)snprintf(buf + len, n - len, "%s%s",
						len ? "," : "", names[i]);
	snprintf(buf + len, n - len, "=%s", a->state ? "on" : "off");
}

static int plan_action(struct pol_plan *p, const struct subject *s,
		       const struct pol_rule *r, const struct pol_action *a,
		       const char *why, pol_current_fn current, void *arg)
{
	char nv[POL_KEY_MAX], key[POL_KEY_MAX];

	if (a->kind == PA_NOTE)
		return add_note(p, r, a, why, NULL, "%s", a->text ? a->text : "");
	snprintf(key, sizeof key, "%s", a->kind == PA_BRIDGE_NF ? "bridge_nf" : a->key);
	if (is_unmanaged(s, key))
		return add_note(p, r, a, why, NULL, "%s: " ADMIN_NOTE, key);
	if (a->kind == PA_SYSCTL)
		return plan_sysctl(p, r, a, why, current, arg);

	switch (a->kind) {
	case PA_OFFLOAD:
		offload_value(a, nv, sizeof nv);
		break;
	default:
		snprintf(nv, sizeof nv, "%s", a->key);
		break;
	}
	const char *kind = pol_kind_name(a->kind);
	char cur[64] = "";
	if (current && current(arg, a->side, kind, key, cur, sizeof cur) == 0) {
		cur[sizeof cur - 1] = '\0';
		trim(cur);
		if (!strcmp(cur, nv))
			return add_note(p, r, a, why, cur, "%s%s%s already %s, nothing to do",
					kind, strcmp(kind, key) ? " " : "",
					strcmp(kind, key) ? key : "", nv);
	} else {
		cur[0] = '\0';
	}
	struct pol_change *c = plan_add(p, r, a, kind, why);
	if (!c)
		return -ENOMEM;
	snprintf(c->key, sizeof c->key, "%s", key);
	snprintf(c->old, sizeof c->old, "%s", cur);
	snprintf(c->new, sizeof c->new, "%s", nv);
	return 0;
}

int pol_plan_rule(const struct pol_rule *r, const char *why,
		  pol_current_fn current, void *arg, struct pol_plan *out)
{
	static const struct subject none = { 0 };
	for (size_t i = 0; i < r->n_actions; i++) {
		int rc = plan_action(out, &none, r, &r->actions[i], why, current, arg);
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
	int fired = 0;
	for (size_t i = 0; i < e->set->n_rules; i++) {
		const struct pol_rule *r = &e->set->rules[i];
		struct rstate *st = &s->rs[i];
		if (!r->enabled)
			continue;
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
			    since(now_ns, st->last_fire) < r->cooldown_ns)
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
		if (st->fired && since(now_ns, st->last_fire) < r->cooldown_ns)
			continue;
fire:
		st->active = 1;
		st->fired = 1;
		st->last_fire = now_ns;
		st->when_on = 0;
		st->clear_on = 0;
		fired++;
		char why[512];
		build_why(r, guest, host, why, sizeof why);
		for (size_t j = 0; j < r->n_actions; j++) {
			int rc = plan_action(out, s, r, &r->actions[j], why, current, arg);
			if (rc)
				return rc;
		}
	}
	return fired;
}
