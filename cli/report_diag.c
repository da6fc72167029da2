/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report_diag: the diagnosis of `vtune report` is the policy engine's own
 * evaluation of every rule for the guest — what vtune-hostd said in its
 * capture ("evaluation"), or for a capture without one, the same engine run
 * here on the capture's views with the policy file. There is no other set
 * of thresholds: a bottleneck is whatever a rule's condition says. */
#include "report.h"
#include "action.h"
#include "engine.h"
#include "metrics.h"
#include "policy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct pol_set *diag_set;
static char diag_policy[512];

void rep_set_policy(const struct pol_set *set, const char *path)
{
	diag_set = set;
	snprintf(diag_policy, sizeof diag_policy, "%s", path ? path : "");
}

static void load(struct mvec *m, json_object *o)
{
	mvec_clear(m);
	if (!o || !json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		int id = metric_lookup(k);
		if (id >= 0 && (json_object_is_type(v, json_type_double) ||
				json_object_is_type(v, json_type_int)))
			mvec_set(m, id, json_object_get_double(v));
	}
}

/* current() for a capture: the knobs its guest view reports (guest.sysctl.*). */
static int capture_knob(void *arg, enum pol_side side, const char *kind, const char *key,
			char *buf, size_t n)
{
	const struct mvec *g = arg;
	int id = side == POL_GUEST && !strcmp(kind, "sysctl") ? metric_by_sysctl(key) : -1;
	if (id < 0 || !mvec_has(g, id))
		return -ENOENT;
	snprintf(buf, n, "%.0f", mvec_get(g, id));
	return 0;
}

/* The states worth a finding, most pressing first. */
static const char *const shown[] = {
	"firing", "active", "waiting", "held", "cooldown", "quarantined", "refused",
};

static int rank(const char *state)
{
	for (size_t i = 0; i < sizeof shown / sizeof *shown; i++)
		if (!strcmp(state, shown[i]))
			return (int)i;
	return -1;
}

static void add(json_object *out, const char *side, const char *rule, const char *state,
		const char *text)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "side", json_object_new_string(side));
	json_object_object_add(o, "rule", json_object_new_string(rule));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_array_add(out, o);
}

/* One finding from one rule's evaluation:
 * "DESCRIPTION (STATE): WHY → FIX[; DETAIL]". */
static void finding(json_object *out, json_object *ev)
{
	char text[2048];
	const char *state = rep_str(ev, "state"), *detail = rep_str(ev, "detail");
	const char *d = rep_str(ev, "description");
	int quiet_detail = !strcmp(state, "firing") && !strcmp(detail, "its condition holds");
	snprintf(text, sizeof text, "%s (%s): %s → %s%s%s", *d ? d : rep_str(ev, "rule"), state,
		 rep_str(ev, "why"), rep_str(ev, "fix"), *detail && !quiet_detail ? "; " : "",
		 quiet_detail ? "" : detail);
	add(out, rep_str(ev, "side"), rep_str(ev, "rule"), state, text);
}

/* The evaluation of one guest of a capture by the policy set here. */
static json_object *evaluate(json_object *g)
{
	struct mvec gm, hm;
	load(&gm, rep_get(g, "guest_metrics"));
	load(&hm, rep_get(g, "host_metrics"));
	struct pol_engine *e = pol_engine_new(diag_set);
	struct pol_rule_eval *ev = calloc(diag_set->n_rules + 1, sizeof *ev);
	json_object *a = json_object_new_array();
	const char *hv = rep_str(g, "hypervisor");
	if (*hv && e)
		pol_engine_set_backend(e, hv);
	struct act_where w = { ACT_HOSTD, *hv ? hv : NULL, NULL, 0 };
	int n = e && ev ? pol_engine_explain(e, NULL, 0, &gm, rep_get(g, "host_metrics") ? &hm : NULL,
					     capture_knob, &gm, &w, ev, diag_set->n_rules) : 0;
	for (int i = 0; i < n; i++) {
		const struct pol_rule_eval *x = &ev[i];
		json_object_array_add(a, pol_rule_eval_json(x));
	}
	free(ev);
	pol_engine_free(e);
	return a;
}

/* The kernel's latest known line, when it logged one in the last
 * interval (the agent's kmsg reader: guest.kmsg.* counts). */
static void kernel_log(json_object *g, json_object *out)
{
	json_object *k = rep_get(g, "kmsg");
	static const char *const kinds[] = { "conntrack_full", "syn_flood", "tw_overflow", "orphans",
					     "tcp_oom", "dst_overflow", "neigh_overflow", "alloc_fail" };
	double lines = 0;
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		double v = rep_num(k, kinds[i]);
		lines += isnan(v) ? 0 : v;
	}
	if (lines > 0 && *rep_str(k, "latest")) {
		char safe[240], text[400];
		size_t j = 0;
		for (const char *p = rep_str(k, "latest"); *p && j + 1 < sizeof safe; p++)
			safe[j++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
		safe[j] = '\0';
		snprintf(text, sizeof text,
			 "the kernel logged %.0f known line%s in the last interval, the latest: %s", lines,
			 lines == 1 ? "" : "s", safe);
		add(out, "guest", "kernel-log", "logged", text);
	}
}

int rep_diagnose(json_object *g, json_object *out)
{
	json_object *gm = rep_get(g, "guest_metrics");
	size_t before = json_object_array_length(out);
	if (!gm || !json_object_is_type(gm, json_type_object)) {
		add(out, "none", "no-report", "none",
		    "no report from the guest's agent yet → nothing to diagnose");
		return 1;
	}
	json_object *ev = rep_get(g, "evaluation"), *own = NULL;
	const char *by = "vtune-hostd's engine";
	if (!ev || !json_object_is_type(ev, json_type_array)) {
		if (!diag_set) {
			add(out, "none", "no-policy", "none",
			    "the capture holds no evaluation and no policy could be read to evaluate "
			    "it (vtune report --policy FILE)");
			kernel_log(g, out);
			return (int)(json_object_array_length(out) - before);
		}
		ev = own = evaluate(g);
		by = diag_policy[0] ? diag_policy : "the policy";
	}
	size_t n = json_object_array_length(ev);
	for (int r = 0; r < (int)(sizeof shown / sizeof *shown); r++)
		for (size_t i = 0; i < n; i++) {
			json_object *x = json_object_array_get_idx(ev, i);
			if (rank(rep_str(x, "state")) == r)
				finding(out, x);
		}
	kernel_log(g, out);
	if (json_object_array_length(out) == before) {
		char text[640];
		snprintf(text, sizeof text, "no rule's condition holds (evaluated by %s)", by);
		add(out, "none", "healthy", "quiet", text);
	}
	json_object_put(own);
	return (int)(json_object_array_length(out) - before);
}
