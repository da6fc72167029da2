/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_sysctl: the "sysctl" action — one allow-listed sysctl set, scaled,
 * stepped or (ip_local_port_range) widened within bounds: its parsing from
 * a policy file or a wire request, its planning against the knob's current
 * value, and its execution through the journal. */
#include "act_kinds.h"
#include "allow.h"
#include "apply.h"
#include "metrics.h"
#include "parse.h"
#include "policy_ld.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PORT_RANGE_KEY "net.ipv4.ip_local_port_range"
#define PORT_RANGE_FLOOR 1024

/* ---- building: one set of checks for a policy file and a wire request ---- */

struct berr {
	act_err_fn fn;
	void *arg;
	int n;
};

static void bad(struct berr *e, enum act_field f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad(struct berr *e, enum act_field f, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	e->n++;
	if (e->fn)
		e->fn(e->arg, f, msg);
}

/* A whole number (k/M/G allowed) for key. */
static int whole(struct berr *e, enum act_field f, const char *s, const char *key,
		 const char *what, double *v)
{
	if (pol_parse_num(s, v)) {
		bad(e, f, "%s: '%.40s' is not a number", what, s);
		return -EINVAL;
	}
	if (*v != floor(*v)) {
		bad(e, f, "%s: %s for %s must be a whole number", what, s, key);
		return -EINVAL;
	}
	return 0;
}

/* "LO HI" with 1 <= LO < HI <= 65535. 0, -EINVAL or -ERANGE. */
static int port_range_str(const char *s, unsigned *lo, unsigned *hi)
{
	uint64_t v[2];
	int r = parse_u64_fields(s, v, 2);
	if (r)
		return r;
	if (v[0] < 1 || v[1] > 65535 || v[0] >= v[1])
		return -ERANGE;
	*lo = (unsigned)v[0];
	*hi = (unsigned)v[1];
	return 0;
}

static const char *op_word(enum pol_op op)
{
	switch (op) {
	case POL_OP_SCALE: return "scale";
	case POL_OP_STEP: return "step";
	case POL_OP_WIDEN: return "widen";
	default: return "set";
	}
}

/* A three-number sysctl (tcp_mem, tcp_rmem, tcp_wmem): set "A B C", or
 * scale / step, with min and max bounding the largest of the three. */
static void build_triple(const struct act_spec *s, enum pol_op op, struct pol_action *a,
			 struct berr *e, double lo, double hi)
{
	const char *key = s->key;
	if (op == POL_OP_WIDEN)
		bad(e, ACT_F_OP, "'widen' only applies to %s", PORT_RANGE_KEY);
	if (op == POL_OP_SET && s->value) {
		uint64_t v[3];
		char vs[64], why[160];
		if (parse_u64_fields(s->value, v, 3))
			bad(e, ACT_F_VALUE, "set: %s needs \"A B C\" (three numbers), not '%.40s'", key,
			    s->value);
		else if (snprintf(vs, sizeof vs, "%" PRIu64 " %" PRIu64 " %" PRIu64, v[0], v[1],
				  v[2]) >= (int)sizeof vs ||
			 pol_sysctl_value_ok(key, vs, why, sizeof why))
			bad(e, ACT_F_VALUE, "set: %s", why);
		else
			snprintf(a->set_str, sizeof a->set_str, "%s", vs);
	}
	if (op == POL_OP_SCALE && s->value) {
		if (pol_parse_num(s->value, &a->value))
			bad(e, ACT_F_VALUE, "scale: '%.40s' is not a number", s->value);
		else if (!(a->value > 0 && a->value <= 16))
			bad(e, ACT_F_VALUE, "scale: %s is out of range (above 0, at most 16)", s->value);
	}
	if (op == POL_OP_STEP && s->value &&
	    !whole(e, ACT_F_VALUE, s->value, key, "step", &a->value) && a->value == 0)
		bad(e, ACT_F_VALUE, "step: 0 changes nothing");
	if (s->min && !whole(e, ACT_F_MIN, s->min, key, "min", &a->min)) {
		if (a->min < lo || a->min > hi)
			bad(e, ACT_F_MIN, "min: %.15g is outside the allowed range %.0f..%.0f for %s",
			    a->min, lo, hi, key);
		a->has_min = 1;
	}
	if (s->max && !whole(e, ACT_F_MAX, s->max, key, "max", &a->max)) {
		if (a->max < lo || a->max > hi)
			bad(e, ACT_F_MAX, "max: %.15g is outside the allowed range %.0f..%.0f for %s",
			    a->max, lo, hi, key);
		a->has_max = 1;
	}
	if (a->has_min && a->has_max && a->min > a->max)
		bad(e, ACT_F_MIN, "min %.15g is above max %.15g", a->min, a->max);
}

/* Check s (its op already chosen) and fill a. */
static void build_core(const struct act_spec *s, enum pol_op op, struct pol_action *a,
		       struct berr *e)
{
	const char *key = s->key;
	char why[160];
	double lo = 0, hi = 0;

	if (!key || strlen(key) >= sizeof a->key) {
		bad(e, ACT_F_KEY, "sysctl key too long");
		return;
	}
	snprintf(a->key, sizeof a->key, "%s", key);
	if (pol_sysctl_allowed(key, &lo, &hi, why, sizeof why)) {
		bad(e, ACT_F_KEY, "%s", why);
		return;
	}
	a->op = op;
	if (!strcmp(key, PORT_RANGE_KEY)) {
		if (op == POL_OP_SCALE || op == POL_OP_STEP)
			bad(e, ACT_F_OP, "'%s' does not apply to %s (use set: \"LO HI\" or widen: N)",
			    op_word(op), key);
		if (s->max)
			bad(e, ACT_F_MAX, "'max' does not apply to %s (min bounds its low end)", key);
		if (op == POL_OP_SET && s->value) {
			unsigned plo, phi;
			if (port_range_str(s->value, &plo, &phi))
				bad(e, ACT_F_VALUE, "set: %s needs \"LO HI\" with 1 <= LO < HI <= 65535, not '%.40s'",
				    key, s->value);
			else if (plo < lo || phi > hi)
				bad(e, ACT_F_VALUE, "set: '%s' is outside the allowed range %.0f..%.0f",
				    s->value, lo, hi);
			else
				snprintf(a->set_str, sizeof a->set_str, "%u %u", plo, phi);
		}
		if (op == POL_OP_WIDEN && s->value &&
		    !whole(e, ACT_F_VALUE, s->value, key, "widen", &a->value) &&
		    (a->value <= 0 || a->value > 64511))
			bad(e, ACT_F_VALUE, "widen: %.15g is out of range (1 to 64511)", a->value);
		if (s->min && !whole(e, ACT_F_MIN, s->min, key, "min", &a->min)) {
			if (a->min < lo || a->min > hi)
				bad(e, ACT_F_MIN, "min: %.15g is outside the allowed range %.0f..%.0f for %s",
				    a->min, lo, hi, key);
			a->has_min = 1;
		}
		return;
	}
	if (allow_is_triple(allow_find(key))) {
		build_triple(s, op, a, e, lo, hi);
		return;
	}
	if (op == POL_OP_WIDEN)
		bad(e, ACT_F_OP, "'widen' only applies to %s", PORT_RANGE_KEY);
	if (op == POL_OP_SET && s->value &&
	    !whole(e, ACT_F_VALUE, s->value, key, "set", &a->value)) {
		char vs[48];
		snprintf(vs, sizeof vs, "%.0f", a->value);
		if (a->value < lo || a->value > hi)
			bad(e, ACT_F_VALUE, "set: %.15g is outside the allowed range %.0f..%.0f for %s",
			    a->value, lo, hi, key);
		else if (pol_sysctl_value_ok(key, vs, why, sizeof why))
			bad(e, ACT_F_VALUE, "set: %s", why);
	}
	if (op == POL_OP_SCALE && s->value) {
		if (pol_parse_num(s->value, &a->value))
			bad(e, ACT_F_VALUE, "scale: '%.40s' is not a number", s->value);
		else if (!(a->value > 0 && a->value <= 16))
			bad(e, ACT_F_VALUE, "scale: %s is out of range (above 0, at most 16)", s->value);
	}
	if (op == POL_OP_STEP && s->value &&
	    !whole(e, ACT_F_VALUE, s->value, key, "step", &a->value)) {
		if (a->value == 0)
			bad(e, ACT_F_VALUE, "step: 0 changes nothing");
		else if (fabs(a->value) > hi - lo)
			bad(e, ACT_F_VALUE, "step: %.15g is larger than the whole allowed range %.0f..%.0f for %s",
			    a->value, lo, hi, key);
	}
	int broken = 0;
	if (s->min) {
		if (whole(e, ACT_F_MIN, s->min, key, "min", &a->min)) {
			broken = 1;
		} else if (a->min < lo || a->min > hi) {
			bad(e, ACT_F_MIN, "min: %.15g is outside the allowed range %.0f..%.0f for %s",
			    a->min, lo, hi, key);
			broken = 1;
		}
		a->has_min = 1;
	}
	if (s->max) {
		if (whole(e, ACT_F_MAX, s->max, key, "max", &a->max)) {
			broken = 1;
		} else if (a->max < lo || a->max > hi) {
			bad(e, ACT_F_MAX, "max: %.15g is outside the allowed range %.0f..%.0f for %s",
			    a->max, lo, hi, key);
			broken = 1;
		}
		a->has_max = 1;
	}
	if (!broken && a->has_min && a->has_max && a->min > a->max)
		bad(e, ACT_F_MIN, "min %.15g is above max %.15g", a->min, a->max);
}

int act_sysctl_build(const struct act_spec *s, struct pol_action *a, act_err_fn err, void *arg)
{
	static const char *const ops[] = { "set", "scale", "step", "widen", NULL };
	struct berr e = { err, arg, 0 };
	int op = 0;

	if (s->op) {
		for (op = 0; ops[op] && strcmp(ops[op], s->op); op++)
			;
		if (!ops[op]) {
			bad(&e, ACT_F_OP, "op '%.20s' is not one of set, scale, step, widen", s->op);
			return -EINVAL;
		}
	}
	if (!s->value) {
		bad(&e, ACT_F_VALUE, "%s needs a value", ops[op]);
		return -EINVAL;
	}
	build_core(s, (enum pol_op)op, a, &e);
	return e.n ? -EINVAL : 0;
}

/* ---- a policy file: the op is whichever of set/scale/step/widen is there ---- */

enum { M_SET, M_SCALE, M_STEP, M_WIDEN, M_MIN, M_MAX };

struct yerr {
	struct pol_ld *ld;
	yaml_node_t *key, *op_key, *value, *min, *max;
};

static void yaml_bad(void *arg, enum act_field f, const char *msg)
{
	struct yerr *y = arg;
	yaml_node_t *n = f == ACT_F_KEY ? y->key : f == ACT_F_OP ? y->op_key
			 : f == ACT_F_VALUE ? y->value : f == ACT_F_MIN ? y->min : y->max;
	pol_ld_err(y->ld, n ? n : y->key, "%s", msg);
}

void act_sysctl_parse(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *node,
		      yaml_node_t *const *v, yaml_node_t *const *k, struct pol_action *a)
{
	static const char *const names[] = { "set", "scale", "step", "widen" };
	const char *key = pol_ld_scalar(ld, node, "sysctl");
	int nops = 0, first = -1;

	if (!key)
		return;
	int port = !strcmp(key, PORT_RANGE_KEY) && allow_find(key);
	for (int i = M_SET; i <= M_WIDEN; i++) {
		if (!v[i])
			continue;
		if (nops++ == 0) {
			first = i;
			continue;
		}
		pol_ld_err(ld, k[i], "'%s' and '%s' in one action: use exactly one of set, scale, step%s",
			   names[first], names[i], port ? ", widen" : "");
	}
	if (!nops) {
		if (strlen(key) < sizeof a->key && allow_find(key)) {
			pol_ld_err(ld, an, "sysctl %s needs one of set, scale, step%s", key,
				   port ? ", widen" : "");
		} else {
			struct yerr y = { ld, node, NULL, NULL, NULL, NULL };
			struct berr e = { yaml_bad, &y, 0 };
			build_core(&(struct act_spec){ .key = key }, POL_OP_SET, a, &e);
		}
		return;
	}
	/* A port range with scale/step: the op is wrong, its value is not
	 * read (as a number it would say something else). */
	const char *val = pol_ld_scalar(ld, v[first], names[first]);
	const char *min = v[M_MIN] ? pol_ld_scalar(ld, v[M_MIN], "min") : NULL;
	const char *max = v[M_MAX] ? pol_ld_scalar(ld, v[M_MAX], "max") : NULL;
	if (!val || (v[M_MIN] && !min) || (v[M_MAX] && !max))
		return;
	struct yerr y = { ld, node, k[first], v[first], v[M_MIN], k[M_MAX] };
	if (!port)
		y.max = v[M_MAX];
	struct berr e = { yaml_bad, &y, 0 };
	struct act_spec s = { .key = key, .value = val, .min = min, .max = max };
	build_core(&s, (enum pol_op)first, a, &e);
}

/* ---- planning ---- */

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

/* The ports of "a,b-c" (ip_local_reserved_ports) or "a b c" (listening
 * ports) below lo: the highest one at or above *nlo moves *nlo just past
 * it, so a widened range never takes a port a listener uses or the kernel
 * keeps reserved. *which gets the port that stopped it. */
static void keep_clear(const char *list, unsigned lo, double *nlo, unsigned *which)
{
	const char *p = list;
	while (p && *p) {
		const char *end;
		uint64_t a, b;
		int r = parse_u64_prefix(p, &end, &a);
		if (r == -EINVAL) {
			p++;
			continue;
		}
		if (r)
			a = UINT64_MAX; /* no port */
		b = a;
		if (*end == '-') {
			const char *q = end + 1;
			r = parse_u64_prefix(q, &end, &b);
			if (r == -EINVAL) {
				b = a;
				end = q;
			} else if (r) {
				b = UINT64_MAX;
			}
		}
		if (b >= lo)
			b = lo - 1;
		if (a < lo && b >= *nlo && b + 1 > *nlo) {
			*nlo = (double)b + 1;
			*which = (unsigned)b;
		}
		p = end;
	}
}

static int plan_port_range(const struct act_plan_in *in, struct pol_plan *p, const char *cur)
{
	const struct pol_action *a = in->a;
	uint64_t v[2];
	char nv[64];
	if (parse_u64_fields(cur, v, 2) || v[0] > UINT_MAX || v[1] > UINT_MAX)
		return pol_plan_note(p, in->rule, a, in->why, cur,
				     "%s: cannot read the current value '%.40s', not changed",
				     a->key, cur);
	unsigned lo = (unsigned)v[0], hi = (unsigned)v[1], slo, shi;
	if (a->op == POL_OP_SET && !parse_u64_fields(a->set_str, v, 2)) {
		/* set_str is ours: "%u %u" of a checked range (port_range_str) */
		slo = (unsigned)v[0];
		shi = (unsigned)v[1];
		snprintf(nv, sizeof nv, "%s", a->set_str);
	} else {
		double floor_lo = a->has_min ? a->min : PORT_RANGE_FLOOR;
		double nlo = (double)lo - a->value;
		if (nlo < floor_lo)
			nlo = floor_lo;
		if (nlo >= lo)
			return pol_plan_note(p, in->rule, a, in->why, cur,
					     "%s at min (%.0f %u), not changed", a->key, floor_lo, hi);
		slo = (unsigned)nlo;
		shi = hi;
	}
	/* a new low end below the old one stops above every port a listener
	 * uses or ip_local_reserved_ports keeps */
	if (slo < lo && in->current) {
		char ports[4096];
		double nlo = slo;
		unsigned which = 0;
		if (in->current(in->arg, a->side, "ports", "listening", ports, sizeof ports) == 0)
			keep_clear(ports, lo, &nlo, &which);
		unsigned wl = which;
		if (in->current(in->arg, a->side, "ports", "reserved", ports, sizeof ports) == 0)
			keep_clear(ports, lo, &nlo, &which);
		if (nlo >= lo)
			return pol_plan_note(p, in->rule, a, in->why, cur,
					     "%s: port %u just below it is %s, not widened over it",
					     a->key, which, which == wl ? "a listener's" : "reserved");
		slo = (unsigned)nlo;
		snprintf(nv, sizeof nv, "%u %u", slo, shi);
	}
	char ncur[48];
	snprintf(ncur, sizeof ncur, "%u %u", lo, hi);
	if (!strcmp(nv, ncur))
		return pol_plan_note(p, in->rule, a, in->why, ncur, "%s already %s, not changed",
				     a->key, nv);
	char whyno[160];
	if (pol_sysctl_value_ok(a->key, nv, whyno, sizeof whyno))
		return pol_plan_note(p, in->rule, a, in->why, ncur, "%s, not changed", whyno);
	struct pol_change *c = pol_plan_add(p, in->rule, a, "sysctl", in->why);
	if (!c)
		return -ENOMEM;
	snprintf(c->old, sizeof c->old, "%s", ncur);
	snprintf(c->new, sizeof c->new, "%s", nv);
	return 0;
}

/* The largest a value may be now: the allow-list's bound on this machine
 * (its memory), and the action's max. */
static double ceiling(const struct pol_action *a)
{
	const struct allow_rule *r = allow_find(a->key);
	double hi = r ? (double)allow_max_now(r) : 0;
	if (a->has_max && a->max < hi)
		hi = a->max;
	return hi;
}

/* tcp_mem (all three move) and tcp_rmem / tcp_wmem (the largest alone);
 * every number stays a whole number within [the allow-list's min, the
 * ceiling] and in order. */
static int plan_triple(const struct act_plan_in *in, struct pol_plan *p, const char *cur)
{
	const struct pol_action *a = in->a;
	const struct allow_rule *r = allow_find(a->key);
	uint64_t c[3];
	char nv[80], ncur[80], whyno[160];
	if (parse_u64_fields(cur, c, 3))
		return pol_plan_note(p, in->rule, a, in->why, cur,
				     "%s: cannot read the current value '%.40s', not changed",
				     a->key, cur);
	snprintf(ncur, sizeof ncur, "%" PRIu64 " %" PRIu64 " %" PRIu64, c[0], c[1], c[2]);
	double hi = ceiling(a), lo = (double)r->min, n[3];
	if (a->op == POL_OP_SET) {
		snprintf(nv, sizeof nv, "%s", a->set_str);
	} else {
		int all = (r->flags & ALLOW_TRIPLE) != 0;
		for (int i = 0; i < 3; i++) {
			double x = (double)c[i];
			if (all || i == 2)
				x = a->op == POL_OP_SCALE ? round(x * a->value) : x + a->value;
			n[i] = x;
		}
		double raw = n[2];
		if (a->has_min && raw < a->min && raw > (double)c[2])
			n[2] = a->min;
		for (int i = 0; i < 3; i++)
			n[i] = fmin(fmax(n[i], lo), hi);
		/* in order: A <= B <= C, the smaller ones giving way */
		n[1] = fmin(n[1], n[2]);
		n[0] = fmin(n[0], n[1]);
		if (raw > (double)c[2] && n[2] <= (double)c[2])
			return pol_plan_note(p, in->rule, a, in->why, ncur,
					     "%s at max (%.0f, this machine's memory allows %.0f), not changed",
					     a->key, (double)c[2], hi);
		if (raw < (double)c[2] && n[2] >= (double)c[2])
			return pol_plan_note(p, in->rule, a, in->why, ncur, "%s at min, not changed",
					     a->key);
		snprintf(nv, sizeof nv, "%.0f %.0f %.0f", n[0], n[1], n[2]);
	}
	if (!strcmp(nv, ncur))
		return pol_plan_note(p, in->rule, a, in->why, ncur, "%s already %s, not changed",
				     a->key, nv);
	if (pol_sysctl_value_ok(a->key, nv, whyno, sizeof whyno))
		return pol_plan_note(p, in->rule, a, in->why, ncur, "%s, not changed", whyno);
	struct pol_change *ch = pol_plan_add(p, in->rule, a, "sysctl", in->why);
	if (!ch)
		return -ENOMEM;
	snprintf(ch->old, sizeof ch->old, "%s", ncur);
	snprintf(ch->new, sizeof ch->new, "%s", nv);
	return 0;
}

int act_sysctl_plan(const struct act_plan_in *in, struct pol_plan *p)
{
	const struct pol_action *a = in->a;
	char cur[64] = "";
	int rc;

	if (!in->current)
		return pol_plan_note(p, in->rule, a, in->why, NULL,
				     "%s: current value unknown, not changed", a->key);
	rc = in->current(in->arg, a->side, "sysctl", a->key, cur, sizeof cur);
	cur[sizeof cur - 1] = '\0';
	if (rc == -EREMOTE)
		return pol_plan_deferred(p, in->rule, a, "sysctl", in->why);
	if (rc)
		return pol_plan_note(p, in->rule, a, in->why, NULL,
				     "%s: current value unknown (%s), not changed", a->key,
				     strerror(rc < 0 ? -rc : rc));
	trim(cur);
	if (!strcmp(a->key, PORT_RANGE_KEY))
		return plan_port_range(in, p, cur);
	if (allow_is_triple(allow_find(a->key)))
		return plan_triple(in, p, cur);

	double c, lo = -INFINITY, hi = INFINITY, raw, nv;
	if (parse_double(cur, &c) || c != floor(c))
		return pol_plan_note(p, in->rule, a, in->why, cur,
				     "%s: cannot read the current value '%.40s', not changed",
				     a->key, cur);
	pol_sysctl_allowed(a->key, &lo, &hi, NULL, 0);
	hi = ceiling(a);
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
	if (raw == c || nv == c) {
		if (raw > c)
			return pol_plan_note(p, in->rule, a, in->why, cur, "%s at max (%.0f), not changed",
					     a->key, hi);
		if (raw < c)
			return pol_plan_note(p, in->rule, a, in->why, cur, "%s at min (%.0f), not changed",
					     a->key, lo);
		return pol_plan_note(p, in->rule, a, in->why, cur, "%s already %s, not changed",
				     a->key, cur);
	}
	/* A bound never turns a raise into a cut, nor a cut into a raise. */
	if (raw > c && nv < c)
		return pol_plan_note(p, in->rule, a, in->why, cur, "%s at max (%.0f), not changed",
				     a->key, hi);
	if (raw < c && nv > c)
		return pol_plan_note(p, in->rule, a, in->why, cur, "%s at min (%.0f), not changed",
				     a->key, lo);

	char nvs[48], whyno[160];
	snprintf(nvs, sizeof nvs, "%.0f", nv);
	if (pol_sysctl_value_ok(a->key, nvs, whyno, sizeof whyno))
		return pol_plan_note(p, in->rule, a, in->why, cur, "%s, not changed", whyno);
	struct pol_change *ch = pol_plan_add(p, in->rule, a, "sysctl", in->why);
	if (!ch)
		return -ENOMEM;
	snprintf(ch->old, sizeof ch->old, "%s", cur);
	snprintf(ch->new, sizeof ch->new, "%s", nvs);
	return 0;
}

/* A v1 agent is sent concrete values: the host can plan only the knobs
 * whose current value the report carries. */
int act_sysctl_wire_old_ok(const struct pol_action *a, unsigned protocol)
{
	return protocol >= 1 && metric_by_sysctl(a->key) >= 0;
}

/* ---- the wire: an action as text ---- */

void act_sysctl_to_spec(const struct pol_action *a, struct act_spec_buf *b)
{
	snprintf(b->op, sizeof b->op, "%s", op_word(a->op));
	if (a->op == POL_OP_SET && a->set_str[0])
		snprintf(b->value, sizeof b->value, "%s", a->set_str);
	else
		snprintf(b->value, sizeof b->value, "%.17g", a->value);
	b->s.op = b->op;
	b->s.value = b->value;
	if (a->has_min)
		snprintf(b->min, sizeof b->min, "%.0f", a->min);
	if (a->has_max)
		snprintf(b->max, sizeof b->max, "%.0f", a->max);
	b->s.min = a->has_min ? b->min : NULL;
	b->s.max = a->has_max ? b->max : NULL;
}

/* ---- execution ---- */

int act_sysctl_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	return apply_knob(c->ac, ch, "sysctl", "", ch->key, ch->new);
}
