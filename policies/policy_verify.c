/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_verify: the rule keys of effect verification (improve, guard,
 * window, bound, quarantine; vtune-policies(5)) read into a rule's struct
 * pol_verify, with their defaults. */
#include "policy.h"
#include "policy_ld.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static void load_improve(struct pol_ld *ld, yaml_node_t *n, struct pol_verify *v)
{
	if (n->type == YAML_SCALAR_NODE && !strcmp((const char *)n->data.scalar.value, "none")) {
		v->improve_none = 1;
		return;
	}
	v->improve = pol_ld_cond(ld, n, "improve", &v->improve_src);
}

static void add_guard(struct pol_ld *ld, yaml_node_t *n, struct pol_verify *v)
{
	const char *s = pol_ld_scalar(ld, n, "guard");
	if (!s)
		return;
	int id = metric_lookup(s);
	if (id < 0) {
		pol_ld_err(ld, n, "guard: '%.60s' is not a metric (see vtune-policies(5))", s);
		return;
	}
	if (id == M_GUEST_TCP_PASSIVE_OPENS)
		return; /* always guarded */
	for (size_t i = 0; i < v->n_guards; i++)
		if (v->guards[i] == id) {
			pol_ld_err(ld, n, "guard: '%s' twice", s);
			return;
		}
	if (v->n_guards == POL_MAX_GUARDS) {
		pol_ld_err(ld, n, "guard: at most %d metrics besides guest.tcp.passive_opens",
			   POL_MAX_GUARDS);
		return;
	}
	v->guards[v->n_guards++] = id;
}

static void load_guards(struct pol_ld *ld, yaml_node_t *n, struct pol_verify *v)
{
	if (n->type == YAML_SCALAR_NODE) {
		add_guard(ld, n, v);
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		pol_ld_err(ld, n, "guard must be a metric or a list of metrics, not %s",
			   pol_ld_type_name(n));
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *g = pol_ld_node(ld, *it);
		if (g)
			add_guard(ld, g, v);
	}
}

static void load_window(struct pol_ld *ld, yaml_node_t *n, struct pol_verify *v)
{
	const char *s = pol_ld_scalar(ld, n, "window");
	uint64_t w;
	if (!s)
		return;
	if (parse_u64(s, &w) || w < 1 || w > POL_WINDOW_MAX) {
		pol_ld_err(ld, n, "window: '%.40s' is not a number of intervals in 1..%d", s,
			   POL_WINDOW_MAX);
		return;
	}
	v->window = (unsigned)w;
}

static void load_bound(struct pol_ld *ld, yaml_node_t *n, struct pol_verify *v)
{
	const char *s = pol_ld_scalar(ld, n, "bound");
	char buf[32];
	double pct;
	if (!s)
		return;
	size_t len = strlen(s);
	if (len < 2 || len >= sizeof buf || s[len - 1] != '%') {
		pol_ld_err(ld, n, "bound: '%.40s' is not a percentage like 10%%", s);
		return;
	}
	memcpy(buf, s, len - 1);
	buf[len - 1] = '\0';
	if (parse_double(buf, &pct) || !(pct > 0) || pct >= 100) {
		pol_ld_err(ld, n, "bound: %s is out of range (more than 0%%, less than 100%%)", s);
		return;
	}
	v->bound = pct / 100.0;
}

void pol_ld_verify(struct pol_ld *ld, struct pol_rule *r, yaml_node_t *improve,
		   yaml_node_t *guard, yaml_node_t *window, yaml_node_t *bound,
		   yaml_node_t *quarantine)
{
	struct pol_verify *v = &r->verify;
	v->window = POL_WINDOW_DEFAULT;
	v->bound = POL_BOUND_DEFAULT;
	v->quarantine_ns = r->cooldown_ns > POL_QUARANTINE_MIN_NS ? r->cooldown_ns
								  : POL_QUARANTINE_MIN_NS;
	if (improve)
		load_improve(ld, improve, v);
	if (guard)
		load_guards(ld, guard, v);
	if (window)
		load_window(ld, window, v);
	if (bound)
		load_bound(ld, bound, v);
	if (quarantine && pol_ld_duration(ld, quarantine, "quarantine", &v->quarantine_ns) == 0 &&
	    v->quarantine_ns < r->cooldown_ns)
		pol_ld_err(ld, quarantine, "quarantine: shorter than the rule's cooldown (%.0fs): "
			   "it is a longer cooldown", (double)r->cooldown_ns / 1e9);
}
