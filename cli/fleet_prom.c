/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fleet_prom: the fleet model behind `vtune fleet` (see fleet_prom.h): the
 * PromQL, the strict reading of Prometheus' instant-vector answers, the join
 * per (instance, guest), the ranking and the output. */
#include "fleet_prom.h"
#include "parse.h"
#include "vec.h"

#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The PromQL of each query; %1$s is the window. The rates prefer the raw
 * counters and fall back to an old agent's own rates, as
 * contrib/prometheus/vtune-recording.yml does. */
static const char *const queries[FQ_COUNT] = {
	[FQ_UP] = "vtune_guest_up",
	[FQ_INFO] = "vtune_guest_info",
	[FQ_HOST] = "vtune_host_info",
	[FQ_ACCEPTS] = "rate(vtune_guest_tcp_passive_opens_total[%1$s])"
		       " or avg_over_time(vtune_guest_tcp_passive_opens_per_second[%1$s])",
	[FQ_LOST] = "(rate(vtune_guest_tcp_listen_drops_total[%1$s])"
		    " or avg_over_time(vtune_guest_tcp_listen_drops_per_second[%1$s]))"
		    " + on (instance, job, guest)"
		    " (rate(vtune_guest_tcp_reqq_full_drops_total[%1$s])"
		    " or avg_over_time(vtune_guest_tcp_reqq_full_drops_per_second[%1$s])"
		    " or 0 * rate(vtune_guest_tcp_listen_drops_total[%1$s])"
		    " or 0 * avg_over_time(vtune_guest_tcp_listen_drops_per_second[%1$s]))",
	[FQ_WAIT] = "max by (instance, job, guest) ("
		    "label_replace(avg_over_time(vtune_guest_cpu_steal_ratio[%1$s]), \"of\", \"steal\", \"\", \"\")"
		    " or label_replace(avg_over_time(vtune_host_vcpu_delay_ratio[%1$s]), \"of\", \"delay\", \"\", \"\"))",
	[FQ_RULES] = "vtune_rule_active == 1",
	[FQ_FIRINGS] = "vtune_rule_firings_total",
	[FQ_LAST] = "vtune_rule_last_fired_timestamp_seconds",
	[FQ_CHANGES] = "sum by (instance, job, guest, result) (vtune_changes_total)",
	[FQ_ROLLBACK] = "sum by (instance, job, guest) (vtune_changes_rolled_back_total)",
	[FQ_DOWN] = "up == 0 and on (job) count by (job) (last_over_time(vtune_build_info[1h]))",
};

int fleet_parse_duration(const char *s, double *secs)
{
	static const struct { char u; double s; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	size_t n = s ? strspn(s, "0123456789") : 0;
	if (!n || n > 6 || strlen(s) != n + 1)
		return -EINVAL;
	uint64_t v;
	if (parse_u64_n(s, n, &v))
		return -EINVAL;
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (s[n] == units[i].u) {
			*secs = (double)v * units[i].s;
			return *secs >= 10 ? 0 : -EINVAL;
		}
	return -EINVAL;
}

void fleet_query(enum fleet_q q, const char *since, char *buf, size_t n)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(buf, n, queries[q], since);
#pragma GCC diagnostic pop
}

void fleet_init(struct fleet *f, const char *since)
{
	memset(f, 0, sizeof *f);
	snprintf(f->since, sizeof f->since, "%s", since);
}

void fleet_free(struct fleet *f)
{
	free(f->g);
	memset(f, 0, sizeof *f);
}

static struct fleet_guest *find(struct fleet *f, const char *inst, const char *guest, int add)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->g[i].instance, inst) && !strcmp(f->g[i].guest, guest))
			return &f->g[i];
	if (!add)
		return NULL;
	if (VEC_RESERVE(f->g, f->cap, f->n + 1))
		return NULL;
	struct fleet_guest *g = &f->g[f->n++];
	memset(g, 0, sizeof *g);
	snprintf(g->instance, sizeof g->instance, "%s", inst);
	snprintf(g->guest, sizeof g->guest, "%s", guest);
	g->accepts = g->lost = g->wait = g->lost_host = NAN;
	return g;
}

static const char *label(json_object *metric, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(metric, k, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

/* One element of a vector answer for query q. */
static int take_one(struct fleet *f, enum fleet_q q, json_object *metric, double v)
{
	const char *inst = label(metric, "instance"), *name = label(metric, "guest");
	if (q == FQ_DOWN) {
		if (f->ndown < (int)(sizeof f->down / sizeof *f->down))
			copy(f->down[f->ndown++], sizeof f->down[0], inst);
		return 0;
	}
	if (q == FQ_HOST) { /* the host name of every guest of that instance */
		for (size_t i = 0; i < f->n; i++)
			if (!strcmp(f->g[i].instance, inst))
				copy(f->g[i].hostname, sizeof f->g[i].hostname, label(metric, "hostname"));
		return 0;
	}
	/* only guests hostd lists (FQ_UP comes first) are rows */
	struct fleet_guest *g = find(f, inst, name, q == FQ_UP);
	if (!g)
		return q == FQ_UP ? -ENOMEM : 0;
	switch (q) {
	case FQ_UP: g->up = v == 1; break;
	case FQ_INFO:
		copy(g->uuid, sizeof g->uuid, label(metric, "uuid"));
		copy(g->hypervisor, sizeof g->hypervisor, label(metric, "hypervisor"));
		copy(g->nova_instance, sizeof g->nova_instance, label(metric, "nova_instance_uuid"));
		copy(g->nova_project, sizeof g->nova_project, label(metric, "nova_project_id"));
		copy(g->nova_project_name, sizeof g->nova_project_name, label(metric, "nova_project_name"));
		copy(g->kubevirt_namespace, sizeof g->kubevirt_namespace, label(metric, "kubevirt_namespace"));
		copy(g->kubevirt_vmi, sizeof g->kubevirt_vmi, label(metric, "kubevirt_vmi"));
		break;
	case FQ_ACCEPTS: g->accepts = v; break;
	case FQ_LOST: g->lost = v; break;
	case FQ_WAIT: g->wait = v; break;
	case FQ_RULES:
		if (g->ncauses < FLEET_MAX_CAUSES)
			copy(g->causes[g->ncauses++], sizeof g->causes[0], label(metric, "rule"));
		break;
	case FQ_FIRINGS:
	case FQ_LAST: {
		const char *rule = label(metric, "rule");
		int i;
		for (i = 0; i < g->nactions && strcmp(g->actions[i].rule, rule); i++)
			;
		if (i == g->nactions) {
			if (i == FLEET_MAX_ACTIONS)
				break;
			memset(&g->actions[i], 0, sizeof g->actions[i]);
			copy(g->actions[i].rule, sizeof g->actions[i].rule, rule);
			g->nactions++;
		}
		if (q == FQ_FIRINGS)
			g->actions[i].firings = v;
		else
			g->actions[i].last_s = v;
		break;
	}
	case FQ_CHANGES: {
		const char *r = label(metric, "result");
		if (!strcmp(r, "applied"))
			g->applied += v;
		else if (!strcmp(r, "failed"))
			g->failed += v;
		else
			g->other_changes += v;
		break;
	}
	case FQ_ROLLBACK: g->rollbacks = v; break;
	default: break;
	}
	return 0;
}

/* A sample value: [time, "value"]. */
static int sample(json_object *val, double *t, double *v)
{
	json_object *a, *b;
	if (!json_object_is_type(val, json_type_array) || json_object_array_length(val) != 2)
		return -EPROTO;
	a = json_object_array_get_idx(val, 0);
	b = json_object_array_get_idx(val, 1);
	if (!(json_object_is_type(a, json_type_double) || json_object_is_type(a, json_type_int)) ||
	    !json_object_is_type(b, json_type_string))
		return -EPROTO;
	const char *s = json_object_get_string(b);
	char *end;
	*t = json_object_get_double(a);
	*v = strtod(s, &end);
	return *s && !*end ? 0 : -EPROTO;
}

int fleet_take(struct fleet *f, enum fleet_q q, const char *body, size_t len,
	       char *why, size_t n)
{
	json_tokener *tok = json_tokener_new();
	json_object *root = NULL, *st, *data, *type, *res;
	int r = -EPROTO;
	if (!tok)
		return -ENOMEM;
	if (len > INT32_MAX)
		goto out;
	root = json_tokener_parse_ex(tok, body, (int)len);
	size_t end = root ? json_tokener_get_parse_end(tok) : 0;
	while (end < len && memchr(" \t\r\n", body[end], 4))
		end++;
	if (!root || json_tokener_get_error(tok) != json_tokener_success || end != len ||
	    !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "status", &st) || !json_object_is_type(st, json_type_string))
		goto out;
	if (!strcmp(json_object_get_string(st), "error")) {
		json_object *et, *e;
		snprintf(why, n, "%s: %s",
			 json_object_object_get_ex(root, "errorType", &et) ? json_object_get_string(et) : "error",
			 json_object_object_get_ex(root, "error", &e) ? json_object_get_string(e) : "?");
		r = -EINVAL;
		goto out;
	}
	if (strcmp(json_object_get_string(st), "success") ||
	    !json_object_object_get_ex(root, "data", &data) ||
	    !json_object_object_get_ex(data, "resultType", &type) ||
	    !json_object_is_type(type, json_type_string) ||
	    strcmp(json_object_get_string(type), "vector") ||
	    !json_object_object_get_ex(data, "result", &res) || !json_object_is_type(res, json_type_array))
		goto out;
	size_t k = json_object_array_length(res);
	for (size_t i = 0; i < k; i++) {
		json_object *e = json_object_array_get_idx(res, i), *metric, *val;
		double t, v;
		if (!json_object_object_get_ex(e, "metric", &metric) ||
		    !json_object_is_type(metric, json_type_object) ||
		    !json_object_object_get_ex(e, "value", &val) || sample(val, &t, &v))
			goto out;
		if (t > f->now_s)
			f->now_s = t;
		if (take_one(f, q, metric, v) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}

#define HOST_WAIT_CAP 0.9

static int cmp(const void *pa, const void *pb)
{
	const struct fleet_guest *a = pa, *b = pb;
	const double ka[3] = { a->lost_host, a->lost, a->accepts };
	const double kb[3] = { b->lost_host, b->lost, b->accepts };
	if (a->up != b->up)
		return a->up ? -1 : 1;
	for (int i = 0; i < 3; i++) {
		double x = isnan(ka[i]) ? -1 : ka[i], y = isnan(kb[i]) ? -1 : kb[i];
		if (x != y)
			return x > y ? -1 : 1;
	}
	int c = strcmp(a->instance, b->instance);
	return c ? c : strcmp(a->guest, b->guest);
}

static int cmp_cause(const void *a, const void *b)
{
	return strcmp(a, b);
}

void fleet_rank(struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct fleet_guest *g = &f->g[i];
		qsort(g->causes, (size_t)g->ncauses, sizeof g->causes[0], cmp_cause);
		if (isnan(g->lost) || isnan(g->accepts) || isnan(g->wait))
			continue;
		double h = fmin(fmax(g->wait, 0), HOST_WAIT_CAP);
		g->lost_host = fmin(g->lost, g->accepts * h / (1 - h));
	}
	if (f->n > 1)
		qsort(f->g, f->n, sizeof *f->g, cmp);
}

/* A rate for the table: "n/a" when unknown. */
static const char *rate(double v, char *b, size_t n)
{
	if (isnan(v))
		snprintf(b, n, "n/a");
	else if (v >= 99999.5)
		snprintf(b, n, "%.0fk", v / 1000);
	else
		snprintf(b, n, "%.1f", v);
	return b;
}

static void ago(double now, double t, char *b, size_t n)
{
	double d = now - t;
	if (!(t > 0) || !(now > 0))
		snprintf(b, n, "at an unknown time");
	else if (d < 120)
		snprintf(b, n, "%.0f s ago", d < 0 ? 0 : d);
	else if (d < 7200)
		snprintf(b, n, "%.0f min ago", d / 60);
	else
		snprintf(b, n, "%.0f h ago", d / 3600);
}

/* Append s to line (at most 100 columns, then "..."). */
static void put(char *line, size_t n, const char *s)
{
	size_t l = strlen(line);
	if (l >= 100)
		return;
	snprintf(line + l, n - l, "%s", s);
	if (strlen(line) > 100)
		strcpy(line + 97, "...");
}

void fleet_print(const struct fleet *f, size_t top, FILE *out)
{
	size_t hosts = 0, shown = top && top < f->n ? top : f->n;
	for (size_t i = 0; i < f->n; i++) {
		size_t k;
		for (k = 0; k < i && strcmp(f->g[k].instance, f->g[i].instance); k++)
			;
		hosts += k == i;
	}
	fprintf(out, "%zu guests on %zu hosts, window %s; ranked by accepts lost to host causes\n",
		f->n, hosts, f->since);
	for (int i = 0; i < f->ndown; i++)
		fprintf(out, "hostd down (not scraped): %s\n", f->down[i]);
	if (shown < f->n)
		fprintf(out, "showing the top %zu\n", shown);
	fprintf(out, "%3s  %-20s %-24s %8s %8s %9s %7s\n", "#", "GUEST", "HOST", "LOST/s",
		"HOST/s", "ACCEPT/s", "WAIT");
	for (size_t i = 0; i < shown; i++) {
		const struct fleet_guest *g = &f->g[i];
		char line[400] = "", a[16], b[16], c[16], w[16], cause[256] = "";
		for (int k = 0; k < g->ncauses; k++) {
			put(cause, sizeof cause, k ? ", " : "");
			put(cause, sizeof cause, g->causes[k]);
		}
		if (!g->up)
			snprintf(cause, sizeof cause, "n/a (no fresh report from its agent)");
		else if (!g->ncauses)
			snprintf(cause, sizeof cause, "none");
		if (isnan(g->wait))
			snprintf(w, sizeof w, "n/a");
		else
			snprintf(w, sizeof w, "%.1f%%", 100 * g->wait);
		snprintf(line, sizeof line, "%3zu  %-20.20s %-24.24s %8s %8s %9s %7s", i + 1, g->guest,
			 g->instance, rate(g->lost, a, sizeof a), rate(g->lost_host, b, sizeof b),
			 rate(g->accepts, c, sizeof c), w);
		fprintf(out, "%s\n", line);
		snprintf(line, sizeof line, "     cause: ");
		put(line, sizeof line, cause);
		fprintf(out, "%s\n", line);
		if (g->nactions || g->applied || g->failed || g->rollbacks) {
			const struct fleet_action *last = NULL;
			for (int k = 0; k < g->nactions; k++)
				if (!last || g->actions[k].last_s > last->last_s)
					last = &g->actions[k];
			char when[32] = "", s2[200];
			line[0] = 0;
			put(line, sizeof line, "     vtune: ");
			if (last) {
				ago(f->now_s, last->last_s, when, sizeof when);
				snprintf(s2, sizeof s2, "last rule %s %s; ", last->rule, when);
				put(line, sizeof line, s2);
			}
			snprintf(s2, sizeof s2, "changes %.0f applied, %.0f failed, %.0f rolled back",
				 g->applied, g->failed, g->rollbacks);
			put(line, sizeof line, s2);
			fprintf(out, "%s\n", line);
		}
		char ids[256] = "";
		if (g->nova_instance[0]) {
			snprintf(line, sizeof line, "     nova: instance %s, project %s", g->nova_instance,
				 g->nova_project_name[0] ? g->nova_project_name
				 : g->nova_project[0] ? g->nova_project : "n/a");
			put(ids, sizeof ids, line);
		} else if (g->kubevirt_vmi[0]) {
			snprintf(line, sizeof line, "     kubevirt: vmi %s/%s", g->kubevirt_namespace,
				 g->kubevirt_vmi);
			put(ids, sizeof ids, line);
		}
		if (ids[0])
			fprintf(out, "%s\n", ids);
	}
}

static void add_num(json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, isnan(v) ? NULL : json_object_new_double(v));
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v[0] ? json_object_new_string(v) : NULL);
}

json_object *fleet_json(const struct fleet *f, size_t top)
{
	json_object *o = json_object_new_object(), *gs = json_object_new_array(),
		    *down = json_object_new_array();
	size_t shown = top && top < f->n ? top : f->n;
	json_object_object_add(o, "since", json_object_new_string(f->since));
	json_object_object_add(o, "time", json_object_new_double(f->now_s));
	for (int i = 0; i < f->ndown; i++)
		json_object_array_add(down, json_object_new_string(f->down[i]));
	json_object_object_add(o, "hostd_down", down);
	json_object_object_add(o, "guests_total", json_object_new_int64((int64_t)f->n));
	for (size_t i = 0; i < shown; i++) {
		const struct fleet_guest *g = &f->g[i];
		json_object *x = json_object_new_object(), *c = json_object_new_array(),
			    *acts = json_object_new_array();
		json_object_object_add(x, "rank", json_object_new_int((int)i + 1));
		add_str(x, "guest", g->guest);
		add_str(x, "instance", g->instance);
		add_str(x, "hostname", g->hostname);
		add_str(x, "uuid", g->uuid);
		add_str(x, "hypervisor", g->hypervisor);
		add_str(x, "nova_instance_uuid", g->nova_instance);
		add_str(x, "nova_project_id", g->nova_project);
		add_str(x, "nova_project_name", g->nova_project_name);
		add_str(x, "kubevirt_namespace", g->kubevirt_namespace);
		add_str(x, "kubevirt_vmi", g->kubevirt_vmi);
		json_object_object_add(x, "up", json_object_new_boolean(g->up));
		add_num(x, "accepts_per_second", g->accepts);
		add_num(x, "lost_per_second", g->lost);
		add_num(x, "lost_host_per_second", g->lost_host);
		add_num(x, "host_wait_ratio", g->wait);
		for (int k = 0; k < g->ncauses; k++)
			json_object_array_add(c, json_object_new_string(g->causes[k]));
		json_object_object_add(x, "causes", c);
		for (int k = 0; k < g->nactions; k++) {
			json_object *a = json_object_new_object();
			json_object_object_add(a, "rule", json_object_new_string(g->actions[k].rule));
			json_object_object_add(a, "firings", json_object_new_double(g->actions[k].firings));
			add_num(a, "last_fired", g->actions[k].last_s > 0 ? g->actions[k].last_s : NAN);
			json_object_array_add(acts, a);
		}
		json_object_object_add(x, "actions", acts);
		json_object_object_add(x, "changes_applied", json_object_new_double(g->applied));
		json_object_object_add(x, "changes_failed", json_object_new_double(g->failed));
		json_object_object_add(x, "rollbacks", json_object_new_double(g->rollbacks));
		json_object_array_add(gs, x);
	}
	json_object_object_add(o, "guests", gs);
	return o;
}
