/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report_cmd: `vtune-agent report` — what the policy's rules find in this
 * VM, for a guest with no host daemon (a cloud VM): one sample, every rule
 * evaluated as the standalone agent would (as if its condition had held
 * for its whole `for`), guest-side causes with what the standalone agent
 * would change, host-side causes marked "outside this VM — ask your
 * provider" with the evidence. Text or JSON; nothing is changed. */
#include "agent.h"
#include "action.h"
#include "engine.h"
#include "gview.h"
#include "parse.h"
#include "policy.h"
#include "textwrap.h"

#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTSIDE "outside this VM \xe2\x80\x94 ask your provider"

static const char usage[] =
	"usage: vtune-agent report [--policy FILE] [--interval S] [--json] [--root DIR]\n"
	"                          [--then DIR] [--no-netlink]\n"
	"\n"
	"Sample this VM (two readings S seconds apart, or two captured trees), evaluate\n"
	"the policy's rules as `vtune-agent run --standalone` would, and say what they\n"
	"find: causes in this VM with what the standalone agent would change, causes\n"
	"on the host marked \"" OUTSIDE "\" with the evidence\n"
	"(steal, drops ...). Changes nothing.\n"
	"\n"
	"  -p, --policy FILE   policy file (default " VTUNE_POLICY_DEFAULT ")\n"
	"  -i, --interval S    time between the two readings (default 1; 0.01 .. 3600)\n"
	"  -j, --json          one JSON object instead of text\n"
	"  -r, --root DIR      read /proc and /sys under DIR (default /)\n"
	"      --then DIR      the second reading from DIR (two captures)\n"
	"      --no-netlink    skip sock_diag and ethtool (listeners, processes, queues)\n"
	"  -h, --help          this text\n";

/* A finding: the plan's entries of one rule. */
struct finding {
	const struct pol_rule *rule;
	int host;	/* any of its entries is the host's */
	size_t first;	/* its entries in the plan, in order */
};

static void item_text(const struct pol_change *c, char *t, size_t n)
{
	if (!strcmp(c->kind, "note"))
		snprintf(t, n, "%s", c->note);
	else if (c->side == POL_HOST)
		snprintf(t, n, "host %s %s%s%s", c->kind, c->key,
			 c->new[0] && strcmp(c->new, c->key) ? " " : "",
			 c->new[0] && strcmp(c->new, c->key) ? c->new : "");
	else if (c->old[0] || strcmp(c->new, c->key))
		snprintf(t, n, "%s %s %s -> %s", c->kind, c->key, c->old[0] ? c->old : "?", c->new);
	else
		snprintf(t, n, "%s %s", c->kind, c->key);
}

/* A figure for people with 0 (%.0f) or 1 (%.1f) decimals: "n/a" when
 * unknown. */
static const char *fig(double v, int decimals, char *b, size_t n)
{
	if (isnan(v))
		snprintf(b, n, "n/a");
	else if (decimals)
		snprintf(b, n, "%.1f", v);
	else
		snprintf(b, n, "%.0f", v);
	return b;
}

static void print_text(const struct gv_sample *s, const struct mvec *m, const char *policy,
		       const struct pol_set *set, const struct pol_plan *plan,
		       const struct finding *f, size_t nf)
{
	char t[640], line[800], a[6][24];
	printf("vtune-agent report: this VM over %.2f s, %s CPUs\n", s->interval_s,
	       fig(mvec_get(m, M_GUEST_NCPU), 0, a[0], sizeof a[0]));
	snprintf(line, sizeof line,
		 "accepts %s/s, steal %s %%, listen overflows %s/s, softnet drops %s/s, rx drops %s/s, "
		 "NET_RX on the hottest CPU %s %%",
		 fig(mvec_get(m, M_GUEST_TCP_PASSIVE_OPENS), 1, a[0], sizeof a[0]),
		 fig(mvec_get(m, M_GUEST_CPU_STEAL), 1, a[1], sizeof a[1]),
		 fig(mvec_get(m, M_GUEST_TCP_LISTEN_OVERFLOWS), 1, a[2], sizeof a[2]),
		 fig(mvec_get(m, M_GUEST_SOFTNET_DROPPED), 1, a[3], sizeof a[3]),
		 fig(mvec_get(m, M_GUEST_NET_RX_DROPS), 1, a[4], sizeof a[4]),
		 fig(mvec_get(m, M_GUEST_NETRX_HOT_SHARE), 0, a[5], sizeof a[5]));
	text_wrap(stdout, 2, "", line);
	if (s->kmsg.latest[0])
		text_wrap(stdout, 4, "  kernel log: ", s->kmsg.latest);
	printf("findings (policy %s, %zu rules):\n", policy, set->n_rules);
	if (!nf)
		printf("  none: no rule of the policy finds a cause here\n");
	for (size_t i = 0; i < nf; i++) {
		const struct pol_rule *r = f[i].rule;
		snprintf(line, sizeof line, "  [%s] %s: ", f[i].host ? OUTSIDE : "this VM", r->name);
		text_wrap(stdout, 6, line, r->description ? r->description : "");
		text_wrap(stdout, 6, "      evidence: ", plan->v[f[i].first].why);
		for (size_t k = f[i].first; k < plan->n; k++) {
			const struct pol_change *c = &plan->v[k];
			if (strcmp(c->rule, r->name))
				continue;
			item_text(c, t, sizeof t);
			snprintf(line, sizeof line, "      %s: ",
				 c->side == POL_HOST ? "ask" :
				 !strcmp(c->kind, "note") ? "note" : "the standalone agent would set");
			text_wrap(stdout, 8, line, t);
		}
	}
}

static void print_json(const struct gv_sample *s, const struct mvec *m, const char *policy,
		       const struct pol_plan *plan, const struct finding *f, size_t nf)
{
	json_object *o = json_object_new_object(), *mo = json_object_new_object();
	json_object *fa = json_object_new_array();
	json_object_object_add(o, "interval_s", json_object_new_double(s->interval_s));
	json_object_object_add(o, "policy", json_object_new_string(policy));
	for (int i = 0; i < M_COUNT; i++)
		if (mvec_has(m, i))
			json_object_object_add(mo, metric_defs[i].name, json_object_new_double(m->v[i]));
	json_object_object_add(o, "metrics", mo);
	json_object_object_add(o, "kernel_log", json_object_new_string(s->kmsg.latest));
	for (size_t i = 0; i < nf; i++) {
		const struct pol_rule *r = f[i].rule;
		json_object *x = json_object_new_object(), *items = json_object_new_array();
		json_object_object_add(x, "rule", json_object_new_string(r->name));
		json_object_object_add(x, "description",
				       json_object_new_string(r->description ? r->description : ""));
		json_object_object_add(x, "where", json_object_new_string(f[i].host ? "host" : "guest"));
		json_object_object_add(x, "outside_vm", json_object_new_boolean(f[i].host));
		if (f[i].host)
			json_object_object_add(x, "advice", json_object_new_string(OUTSIDE));
		json_object_object_add(x, "evidence", json_object_new_string(plan->v[f[i].first].why));
		for (size_t k = f[i].first; k < plan->n; k++) {
			const struct pol_change *c = &plan->v[k];
			char t[640];
			if (strcmp(c->rule, r->name))
				continue;
			json_object *it = json_object_new_object();
			item_text(c, t, sizeof t);
			json_object_object_add(it, "side", json_object_new_string(pol_side_name(c->side)));
			json_object_object_add(it, "kind", json_object_new_string(c->kind));
			json_object_object_add(it, "key", json_object_new_string(c->key));
			json_object_object_add(it, "old", json_object_new_string(c->old));
			json_object_object_add(it, "new", json_object_new_string(c->new));
			json_object_object_add(it, "text", json_object_new_string(t));
			json_object_array_add(items, it);
		}
		json_object_object_add(x, "items", items);
		json_object_array_add(fa, x);
	}
	json_object_object_add(o, "findings", fa);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int agent_report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "root", required_argument, NULL, 'r' },
		{ "then", required_argument, NULL, 't' },
		{ "no-netlink", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *policy = VTUNE_POLICY_DEFAULT, *root = "/", *then = NULL;
	double interval = 1.0;
	int json = 0, flags = GV_READ_NETLINK, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:i:jr:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break;
		case 'i':
			if (parse_double(optarg, &interval) || interval < 0.01 || interval > 3600) {
				fprintf(stderr, "vtune-agent report: --interval: '%s' is not a number of seconds in 0.01..3600\n", optarg);
				return 2;
			}
			break;
		case 'j': json = 1; break;
		case 'r': root = optarg; break;
		case 't': then = optarg; break;
		case 'n': flags &= ~GV_READ_NETLINK; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return 2; /* getopt said what, on one line */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtune-agent report: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	struct pol_diag diag;
	pol_diag_init(&diag);
	struct act_where where = { .mode = ACT_AGENT };
	struct pol_set *set = act_load_policy(policy, &where, &diag);
	if (!set) {
		pol_diag_print(&diag, stderr);
		fprintf(stderr, "vtune-agent report: %s: policy refused\n", policy);
		pol_diag_free(&diag);
		return 1;
	}
	pol_diag_free(&diag);
	struct gv_sample s;
	if (agent_take_sample("report", root, then, interval, flags, &s)) {
		pol_set_free(set);
		return 1;
	}
	struct mvec m;
	gv_sample_metrics(&s, &m);

	/* every rule as if its condition had held for its whole `for`: two
	 * steps on the same view, `for` apart (as vtune-hostd's dry plan) */
	struct pol_engine *e = pol_engine_new(set);
	struct pol_plan plan;
	pol_plan_init(&plan);
	uint64_t span = 1;
	for (size_t k = 0; k < set->n_rules; k++)
		if (set->rules[k].for_ns + 1 > span)
			span = set->rules[k].for_ns + 1;
	int rc = 0;
	if (!e || pol_engine_step(e, "local", 1, &m, NULL, agent_current_knob, (void *)root, &plan) < 0 ||
	    pol_engine_step(e, "local", 1 + span, &m, NULL, agent_current_knob, (void *)root, &plan) < 0) {
		fprintf(stderr, "vtune-agent report: out of memory\n");
		rc = 1;
		goto out;
	}
	struct finding *f = calloc(plan.n + 1, sizeof *f);
	size_t nf = 0;
	if (!f) {
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < plan.n; i++) {
		size_t k = 0;
		while (k < nf && strcmp(f[k].rule->name, plan.v[i].rule))
			k++;
		if (k == nf) {
			const struct pol_rule *r = pol_set_rule(set, plan.v[i].rule);
			if (!r)
				continue;
			f[nf++] = (struct finding){ r, 0, i };
		}
		f[k].host |= plan.v[i].side == POL_HOST;
	}
	if (json)
		print_json(&s, &m, policy, &plan, f, nf);
	else
		print_text(&s, &m, policy, set, &plan, f, nf);
	free(f);
out:
	pol_plan_free(&plan);
	pol_engine_free(e);
	gv_sample_free(&s);
	pol_set_free(set);
	return rc;
}
