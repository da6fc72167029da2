/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctl_cmds: the control commands of vtune-hostd (the socket is ctl.c's):
 * one table of {name, handler} rows that hostd_handle_request walks, and
 * the replies: status, the dry plan, revert and its wait, off and on,
 * verify, report and sriov. */
#include "hostd_int.h"
#include "action.h"
#include "log.h"
#include "policy.h"
#include "sriov_ctl.h"
#include "undo_serve.h"
#include "vclock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- status and the dry plan ---- */

static json_object *metrics_json(const struct mvec *m)
{
	json_object *o = json_object_new_object();
	for (int id = 0; id < M_COUNT; id++)
		if (mvec_has(m, id))
			json_object_object_add(o, metric_defs[id].name,
					       json_object_new_double(mvec_get(m, id)));
	return o;
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v));
}

/* Effect verification's last verdict on each rule for a guest: kept or
 * reverted with its figures, and the quarantine left. */
static json_object *verified_json(struct hostd *h, const char *guest, uint64_t now_ns)
{
	json_object *a = json_object_new_array();
	for (size_t k = 0; k < h->set->n_rules; k++) {
		const char *text;
		int reverted;
		uint64_t until;
		if (pol_engine_last_verdict(h->engine, guest, h->set->rules[k].name, &text,
					    &reverted, &until))
			continue;
		json_object *v = json_object_new_object();
		json_object_object_add(v, "rule", json_object_new_string(h->set->rules[k].name));
		json_object_object_add(v, "reverted", json_object_new_boolean(reverted));
		json_object_object_add(v, "text", json_object_new_string(text));
		json_object_object_add(v, "quarantine_left_s", until > now_ns
				       ? json_object_new_double((double)(until - now_ns) / 1e9)
				       : json_object_new_double(0));
		json_object_array_add(a, v);
	}
	return a;
}

/* The engine's own evaluation of every rule for a guest that is not
 * quiet: firing, waiting for its `for`, active, in cooldown or quarantine,
 * held by its bounds, refused here — `vtune report`'s diagnosis. */
static json_object *evaluation_json(struct hostd *h, struct guest *g, uint64_t now_ns)
{
	json_object *a = json_object_new_array();
	struct pol_rule_eval *ev = calloc(h->set->n_rules + 1, sizeof *ev);
	struct cur_ctx cc = { h, g };
	struct act_where w = { ACT_HOSTD, h->ops->name, backend_can, g->agreed_v };
	int n = ev ? pol_engine_explain(h->engine, g->bk.name, now_ns, &g->gm,
					g->have_host ? &g->hm : NULL, hostd_current_knob, &cc, &w,
					ev, h->set->n_rules) : 0;
	for (int i = 0; i < n; i++) {
		const struct pol_rule_eval *x = &ev[i];
		if (x->state == POL_RS_QUIET || x->state == POL_RS_OFF || x->state == POL_RS_UNKNOWN)
			continue;
		json_object_array_add(a, pol_rule_eval_json(x));
	}
	free(ev);
	return a;
}

json_object *hostd_status_json(struct hostd *h, uint64_t now_ns)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "version", json_object_new_string(VTUNE_VERSION));
	json_object_object_add(o, "backend", json_object_new_string(h->ops->name));
	json_object_object_add(o, "policy", json_object_new_string(h->o.policy));
	json_object_object_add(o, "rules", json_object_new_int((int)h->set->n_rules));
	json_object_object_add(o, "interval_s", json_object_new_double(h->o.interval_s));
	json_object_object_add(o, "dry_run", json_object_new_boolean(h->o.dry_run));
	json_object *jj = json_object_new_object();
	json_object_object_add(jj, "path", json_object_new_string(h->o.journal));
	add_u64(jj, "records", h->journal ? journal_count(h->journal) : 0);
	json_object_object_add(o, "journal", jj);
	json_object_object_add(o, "tuning", tuning_json(&h->tuning));
	json_object_object_add(o, "pending_reverts",
			       tuning_pending_json(h->journal, h->guests, h->nguests));
	add_u64(o, "mono_ns", now_ns); /* the clock the ages below are taken against */
	for (size_t i = 0; i < h->nguests; i++) {
		const struct guest *g = h->guests[i];
		json_object *go = json_object_new_object(), *rules = json_object_new_array();
		json_object_object_add(go, "name", json_object_new_string(g->bk.name));
		json_object_object_add(go, "connected", json_object_new_boolean(g->fd >= 0));
		json_object_object_add(go, "agent", json_object_new_boolean(g->hello_seen));
		json_object_object_add(go, "protocol", json_object_new_int((int)g->agreed_v));
		json_object_object_add(go, "agent_version", json_object_new_string(g->agent_version));
		uint64_t age = guest_report_age_ns(g, now_ns);
		json_object_object_add(go, "report_age_s", age == UINT64_MAX ? NULL
					: json_object_new_double((double)age / 1e9));
		add_u64(go, "reports", g->st.reports);
		add_u64(go, "bad_reports", g->st.bad_reports);
		add_u64(go, "dropped", g->st.dropped);
		add_u64(go, "invalid", g->st.invalid);
		add_u64(go, "ignored", g->st.ignored);
		add_u64(go, "unknown_metrics", g->st.unknown_metrics);
		add_u64(go, "unknown_fields", g->st.unknown_fields);
		uint64_t impl = 0;
		const char *impl_why = "";
		int plausible = pol_engine_plausibility(h->engine, g->bk.name, &impl, &impl_why);
		add_u64(go, "implausible", impl);
		json_object_object_add(go, "implausible_now", json_object_new_boolean(plausible == 0));
		json_object_object_add(go, "implausible_why", json_object_new_string(impl_why ? impl_why : ""));
		add_u64(go, "acks", g->st.acks);
		add_u64(go, "unknown_acks", g->st.unknown_acks);
		add_u64(go, "refused_results", g->st.refused_results);
		add_u64(go, "hellos_again", g->st.hellos_again);
		add_u64(go, "pending", g->npending);
		add_u64(go, "disconnects", g->st.disconnects);
		json_object_object_add(go, "last_close", json_object_new_string(g->close_reason));
		json_object_object_add(go, "guest_metrics", g->have_report ? metrics_json(&g->gm) : NULL);
		json_object_object_add(go, "host_metrics", g->have_host ? metrics_json(&g->hm) : NULL);
		for (size_t k = 0; k < h->set->n_rules; k++)
			if (pol_engine_rule_active(h->engine, g->bk.name, h->set->rules[k].name) == 1)
				json_object_array_add(rules, json_object_new_string(h->set->rules[k].name));
		json_object_object_add(go, "active_rules", rules);
		/* what its agent cannot be asked, and what an administrator took over */
		json_object *un = json_object_new_array(), *la = json_object_new_array();
		for (const char *l = g->unserved; l && *l;) {
			const char *e = strchr(l, '\n');
			size_t len = e ? (size_t)(e - l) : strlen(l);
			json_object_array_add(un, json_object_new_string_len(l, (int)len));
			l += len + (e != NULL);
		}
		json_object_object_add(go, "unserved", un);
		const char *id, *val;
		for (size_t k = 0; pol_engine_unmanaged(h->engine, g->bk.name, k, &id, &val) == 0; k++) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "what", json_object_new_string(id));
			json_object_object_add(e, "now", json_object_new_string(val));
			json_object_array_add(la, e);
		}
		json_object_object_add(go, "left_alone", la);
		json_object_object_add(go, "verified", verified_json(h, g->bk.name, now_ns));
		json_object_object_add(go, "evaluation", g->have_report
				       ? evaluation_json(h, (struct guest *)g, now_ns) : NULL);
		json_object *rf = json_object_new_array();
		if (g->refused[0])
			json_object_array_add(rf, json_object_new_string(g->refused));
		json_object_object_add(go, "refused", rf);
		json_object_array_add(arr, go);
	}
	json_object_object_add(o, "guests", arr);
	return o;
}

static json_object *change_json(const struct hostd *h, const char *guest,
				const struct pol_change *c)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "guest", json_object_new_string(guest));
	json_object_object_add(o, "rule", json_object_new_string(c->rule));
	json_object_object_add(o, "side", json_object_new_string(pol_side_name(c->side)));
	json_object_object_add(o, "kind", json_object_new_string(c->kind));
	json_object_object_add(o, "key", json_object_new_string(c->key));
	json_object_object_add(o, "old", json_object_new_string(c->old));
	json_object_object_add(o, "new", json_object_new_string(c->new));
	json_object_object_add(o, "note", json_object_new_string(c->note));
	json_object_object_add(o, "why", json_object_new_string(c->why));
	const struct pol_rule *r = pol_set_rule(h->set, c->rule);
	if (r && strcmp(c->kind, "note")) {
		/* what the change is expected to do, checked after it is made */
		char expect[768];
		pol_verify_describe(r, expect, sizeof expect);
		json_object_object_add(o, "expect", json_object_new_string(expect));
	}
	if (c->deferred) {
		/* the guest's agent plans it from the value it has */
		char ask[160];
		act_describe(c->act, ask, sizeof ask);
		json_object_object_add(o, "deferred", json_object_new_boolean(1));
		json_object_object_add(o, "ask", json_object_new_string(ask));
	}
	return o;
}

/* The plan the current views imply, on a throw-away engine: each rule is
 * evaluated as if its condition had held for its whole `for` (two steps,
 * `for` apart, on the same views); the daemon's engine does not move. */
json_object *hostd_dry_plan_json(struct hostd *h, uint64_t now_ns)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	struct pol_engine *e = pol_engine_new(h->set);
	struct pol_plan plan;
	uint64_t span = 1;
	pol_plan_init(&plan);
	for (size_t k = 0; k < h->set->n_rules; k++)
		if (h->set->rules[k].for_ns + 1 > span)
			span = h->set->rules[k].for_ns + 1;
	for (size_t i = 0; e && i < h->nguests; i++) {
		struct guest *g = h->guests[i];
		if (guest_report_age_ns(g, now_ns) > HOSTD_REPORT_MAX_AGE * h->interval_ns)
			continue;
		struct cur_ctx cc = { h, g };
		pol_plan_clear(&plan);
		/* what an administrator took over stays theirs in the dry run too */
		const char *id, *val;
		for (size_t k = 0; pol_engine_unmanaged(h->engine, g->bk.name, k, &id, &val) == 0; k++)
			pol_engine_admin_changed(e, g->bk.name, id, val);
		const struct mvec *hm = g->have_host ? &g->hm : NULL;
		pol_engine_step(e, g->bk.name, now_ns, &g->gm, hm, hostd_current_knob, &cc, &plan);
		pol_engine_step(e, g->bk.name, now_ns + span, &g->gm, hm, hostd_current_knob, &cc,
				&plan);
		for (size_t k = 0; k < plan.n; k++)
			json_object_array_add(arr, change_json(h, g->bk.name, &plan.v[k]));
	}
	pol_plan_free(&plan);
	json_object_object_add(o, "ok", json_object_new_boolean(e != NULL));
	if (!e)
		json_object_object_add(o, "error", json_object_new_string("out of memory"));
	pol_engine_free(e);
	json_object_object_add(o, "plan", arr);
	json_object_object_add(o, "tuning", tuning_json(&h->tuning));
	return o;
}

/* ---- revert, off and on, sriov ---- */

/* {"cmd":"revert",...}: `vtune revert` (undo_serve.c), the guests' records
 * asked of their agents; "asked" lists them, "by" says who answered. */
static json_object *revert_json(struct hostd *h, json_object *req, uint64_t now_ns)
{
	(void)now_ns;
	json_object *asked = json_object_new_array();
	h->asked = asked; /* hostd_revert_remote lists the guests asked */
	json_object *o = undo_serve(h->journal, h->o.root, h->o.journal, req, h->o.dry_run,
				    hostd_revert_remote, h);
	h->asked = NULL;
	json_object_object_add(o, "asked", asked);
	json_object_object_add(o, "by", json_object_new_string("vtune-hostd"));
	return o;
}

/* Where the guest reverts a `vtune revert` asked for stand: for each
 * record number of "seqs", its state ("asked" while the guest has not
 * confirmed) and what was last said about it. */
static json_object *revert_wait_json(struct hostd *h, json_object *req, uint64_t now_ns)
{
	json_object *o = json_object_new_object(), *items = json_object_new_array(), *seqs;
	(void)now_ns;
	size_t n = h->journal ? journal_count(h->journal) : 0;
	if (json_object_object_get_ex(req, "seqs", &seqs) &&
	    json_object_is_type(seqs, json_type_array)) {
		for (size_t k = 0; k < json_object_array_length(seqs) && k < 4096; k++) {
			int64_t seq = json_object_get_int64(json_object_array_get_idx(seqs, k));
			const struct jrec *r = h->journal ? journal_find(h->journal, seq) : NULL;
			const char *st = r ? journal_state(h->journal, seq) : NULL;
			if (!r || !st)
				continue;
			json_object *it = json_object_new_object();
			char what[512];
			snprintf(what, sizeof what, "guest %s %s %s", r->domain, r->kind, r->key);
			const char *detail = "";
			for (size_t i = n; i-- > 0;) { /* its newest mark */
				const struct jrec *m = journal_record(h->journal, i);
				if (m->ref == seq) {
					detail = m->detail;
					break;
				}
			}
			json_object_object_add(it, "seq", json_object_new_int64(seq));
			json_object_object_add(it, "state", json_object_new_string(st));
			json_object_object_add(it, "what", json_object_new_string(what));
			json_object_object_add(it, "detail", json_object_new_string(detail));
			json_object_array_add(items, it);
		}
	}
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "items", items);
	return o;
}

/* {"cmd":"off","since_s":N}: `vtune off` (which wrote the state file
 * beside the journal): no rule fires from now on, and every change is
 * reverted as {"cmd":"revert","all":true} is; the same reply, with the
 * tuning state. */
static json_object *off_json(struct hostd *h, json_object *req, uint64_t now_ns)
{
	json_object *v, *all = json_object_new_object();
	if (!h->tuning.off) {
		h->tuning.off = 1;
		h->tuning.since_s = json_object_object_get_ex(req, "since_s", &v) &&
					    json_object_is_type(v, json_type_int) &&
					    json_object_get_int64(v) > 0
				    ? (uint64_t)json_object_get_int64(v) : vclock_wall_ns() / SEC;
		log_msg(LOG_NOTICE, "tuning off (vtune off): every change reverted, no rule fires "
			"until `vtune on`");
	}
	json_object_object_add(all, "all", json_object_new_boolean(1));
	json_object *o = revert_json(h, all, now_ns);
	json_object_put(all);
	json_object_object_add(o, "tuning", tuning_json(&h->tuning));
	return o;
}

/* {"cmd":"on"}: `vtune on` (which removed the state file): the rules start
 * afresh. {"ok":true,"tuning":{...as it was}}. */
static json_object *on_json(struct hostd *h, json_object *req, uint64_t now_ns)
{
	(void)req;
	(void)now_ns;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "tuning", tuning_json(&h->tuning));
	if (h->tuning.off) {
		h->tuning.off = 0;
		h->tuning.since_s = 0;
		tuning_resume(h->engine, h->guests, h->nguests);
		log_msg(LOG_NOTICE, "tuning on (vtune on): the rules start afresh");
	}
	return o;
}

/* {"cmd":"sriov","op":"list|attach|detach",...}: `vtune sriov` (sriov_ctl.c)
 * with the named guest's host context. */
static json_object *sriov_json(struct hostd *h, json_object *req, uint64_t now_ns)
{
	(void)now_ns;
	json_object *v;
	const char *name = json_object_object_get_ex(req, "guest", &v) &&
				   json_object_is_type(v, json_type_string)
			   ? json_object_get_string(v) : NULL;
	struct guest *g = name ? hostd_find_guest(h, name) : NULL;
	struct cur_ctx cc = { h, g };
	struct apply_ctx ac;
	struct act_host host;
	struct act_ctx x = { &ac, &host };
	if (g)
		hostd_host_ctx(h, g, &cc, &ac, &host);
	struct sriov_ctl_in in = {
		.ops = h->ops, .bk = h->bk, .set = h->set, .journal = h->journal,
		.root = h->o.root, .dry_run = h->o.dry_run, .ac = g ? &ac : NULL,
		.x = g ? &x : NULL,
	};
	return sriov_ctl_json(&in, req);
}

/* ---- the table ---- */

/* {"cmd":"status"}: hostd_status_json. */
static json_object *status_cmd(struct hostd *h, json_object *req, uint64_t now_ns)
{
	(void)req;
	return hostd_status_json(h, now_ns);
}

/* {"cmd":"apply","dry_run":true}: the plan the current views imply
 * (hostd_dry_plan_json); without dry_run refused: the daemon applies on
 * its own every interval. */
static json_object *apply_cmd(struct hostd *h, json_object *req, uint64_t now_ns)
{
	json_object *v;
	if (!json_object_object_get_ex(req, "dry_run", &v) || !json_object_get_boolean(v)) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "error", json_object_new_string(
			"only \"dry_run\":true: the daemon applies on its own every interval"));
		return o;
	}
	return hostd_dry_plan_json(h, now_ns);
}

/* {"cmd":"verify"}: `vtune verify`'s guest part (tuning.c). */
static json_object *verify_cmd(struct hostd *h, json_object *req, uint64_t now_ns)
{
	(void)req;
	return tuning_verify_json(h->journal, h->o.root, h->guests, h->nguests, now_ns);
}

/* {"cmd":"report",...}: `vtune report` (history.c) from the status, the dry
 * plan, the journal and the key metrics kept. */
static json_object *report_cmd(struct hostd *h, json_object *req, uint64_t now_ns)
{
	struct hist_report_in in = {
		hostd_status_json(h, now_ns), hostd_dry_plan_json(h, now_ns), h->journal,
		h->guests, h->nguests, h->hist, h->ops->name, vclock_wall_ns(),
	};
	return hist_report_json(&in, req);
}

/* One control command: the "cmd" it answers, its handler (a new reply
 * object; now_ns: the monotonic clock when the request came), and whether
 * the unknown-command error names it (revert-wait is `vtune revert`'s own
 * follow-up, not a command of its own). */
struct ctl_cmd {
	const char *name;
	json_object *(*fn)(struct hostd *h, json_object *req, uint64_t now_ns);
	int listed;
};

static const struct ctl_cmd cmds[] = {
	{ "status", status_cmd, 1 },
	{ "apply", apply_cmd, 1 },
	{ "revert", revert_json, 1 },
	{ "revert-wait", revert_wait_json, 0 },
	{ "off", off_json, 1 },
	{ "on", on_json, 1 },
	{ "verify", verify_cmd, 1 },
	{ "report", report_cmd, 1 },
	{ "sriov", sriov_json, 1 },
};

/* {"ok":false,"error":"unknown cmd (status, apply, ...)"}: the listed rows. */
static json_object *unknown_cmd(void)
{
	char msg[256] = "unknown cmd (";
	size_t len = strlen(msg);
	const char *sep = "";
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0] && len < sizeof msg; i++) {
		if (!cmds[i].listed)
			continue;
		len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s", sep, cmds[i].name);
		sep = ", ";
	}
	if (len < sizeof msg)
		snprintf(msg + len, sizeof msg - len, ")");
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

json_object *hostd_handle_request(void *arg, json_object *req)
{
	struct hostd *h = arg;
	json_object *v;
	const char *cmd = json_object_object_get_ex(req, "cmd", &v) &&
				  json_object_is_type(v, json_type_string)
			  ? json_object_get_string(v) : "";
	uint64_t now = vclock_mono_ns();
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(h, req, now);
	return unknown_cmd();
}
