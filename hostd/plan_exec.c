/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plan_exec: vtune-hostd carrying out plans: a step's guest changes
 * journaled then sent to the agent (held for one sync per step), host
 * changes made here, the guests' acks marked in the journal, reverts asked
 * of guests and asked again when their agent says hello. */
#include "hostd_int.h"
#include "vec.h"
#include "action.h"
#include "knob.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- acks and hellos ---- */

/* A guest answered the revert of record seq: marked reverted when it
 * restored the original value (an action over several knobs, such as IRQ
 * spreading, is restored knob by knob from the agent's own record: its
 * count and no error suffice; a sysctl is one knob, its value is
 * compared), or when it holds no open change for it
 * (never made there, or undone already); an error, no result or another
 * value leave it asked (open: asked again at the guest's next hello). */
static void revert_acked(struct hostd *h, struct guest *g, int64_t seq,
			 const struct wire_result *res)
{
	const char *want = NULL, *now = NULL, *why = NULL;
	char detail[WIRE_MAX_VALUE * 2 + 96];
	const char *st = journal_state(h->journal, seq);
	if (!st || strcmp(st, "asked"))
		return; /* not waiting for it (reverted since, or unknown) */
	journal_values(h->journal, seq, &want, &now);
	int none = res && !res->has_error && !strcmp(res->key, "none");
	const struct jrec *rec = journal_find(h->journal, seq);
	int several = res && res->has_knobs && res->knobs > 1 && rec && strcmp(rec->kind, "sysctl");
	if (!res)
		why = "its ack has no result for it";
	else if (res->has_error)
		why = res->error;
	else if (!none && !several && !knob_value_equal(res->new_value, want))
		why = "it did not restore the original value";
	if (why) {
		snprintf(detail, sizeof detail, "guest: %s%s%s", why, res && res->has_new ? ", now " : "",
			 res && res->has_new ? res->new_value : "");
		log_src(LOG_WARNING, g->bk.name, "ack",
			"guest %s: revert of record %lld not confirmed (%s): stays pending, asked "
			"again when it reconnects", g->bk.name, (long long)seq, detail);
		journal_mark(h->journal, seq, "asked", detail);
		return;
	}
	if (none)
		snprintf(detail, sizeof detail, "confirmed by the guest: it holds no open change for "
			 "it (%s)", *want ? "undone already" : "never made there");
	else
		snprintf(detail, sizeof detail, "confirmed by the guest: restored %s",
			 res->has_new && *res->new_value ? res->new_value : "(never made there)");
	int r = journal_mark_values(h->journal, seq, "reverted", detail, res->old_value, want);
	if (r < 0) {
		mh_count_journal_error(h->mhc);
		log_err("journal: cannot mark record %lld reverted: %s", (long long)seq, strerror(-r));
	}
}

static void on_ack(void *arg, struct guest *g, const struct wire_result *const *results,
		   const struct guest_pending *p)
{
	struct hostd *h = arg;
	for (unsigned i = 0; i < p->n; i++) {
		const struct wire_result *res = results[i];
		char detail[WIRE_MAX_VALUE * 2 + 96], knobs[32] = "";
		const char *op = p->revert ? "reverted" : "applied";
		if (res && res->has_knobs)
			snprintf(knobs, sizeof knobs, ", %llu knob(s)", (unsigned long long)res->knobs);
		if (!res) {
			op = p->revert ? "skipped" : "failed";
			snprintf(detail, sizeof detail, "the guest's ack has no result for it");
		} else if (res->has_error) {
			op = p->revert ? "skipped" : "failed";
			snprintf(detail, sizeof detail, "guest: %s", res->error);
		} else {
			snprintf(detail, sizeof detail, "guest: old %s new %s%s", res->old_value,
				 res->new_value, knobs);
		}
		if (p->revert && p->why[0]) {
			size_t l = strlen(detail);
			snprintf(detail + l, sizeof detail - l, "; %s", p->why);
		}
		int ok = !strcmp(op, "applied") || !strcmp(op, "reverted");
		if (p->revert) {
			if (ok)
				log_info("guest %s: revert of %s %s answered (%s)", g->bk.name,
					 p->kind[i], p->key[i], detail);
			else
				log_warn("guest %s: revert of %s %s failed: %s", g->bk.name, p->kind[i],
					 p->key[i], detail);
		} else {
			mh_count_change(h->mhc, g->bk.name, "guest", op);
			if (ok)
				log_msg(LOG_NOTICE, "guest %s: %s %s applied (%s; rule %s)", g->bk.name,
					p->kind[i], p->key[i], detail, p->rule);
			else
				log_warn("guest %s: %s %s failed: %s (rule %s)", g->bk.name, p->kind[i],
					 p->key[i], detail, p->rule);
		}
		if (p->seq[i] <= 0 || !h->journal)
			continue;
		if (p->revert) {
			revert_acked(h, g, p->seq[i], res);
			continue;
		}
		int r = ok ? journal_mark_values(h->journal, p->seq[i], op, detail,
						 res->old_value, res->new_value)
			   : journal_mark(h->journal, p->seq[i], op, detail);
		/* the guest found nothing to change: no effect to judge */
		if (ok && res->has_knobs && !res->knobs && h->engine)
			pol_engine_unrecord(h->engine, g->bk.name, p->rule, p->seq[i]);
		if (r < 0) {
			mh_count_journal_error(h->mhc);
			log_err("journal: cannot mark record %lld %s: %s", (long long)p->seq[i], op,
				strerror(-r));
		}
	}
}

static void on_lost(void *arg, struct guest *g, const struct guest_pending *p)
{
	(void)arg;
	log_src(LOG_WARNING, g->bk.name, "ack",
		"guest %s: no ack for %s id %llu (rule %s): its changes stay unconfirmed in the journal",
		g->bk.name, p->revert ? "revert" : "apply", (unsigned long long)p->id, p->rule);
}


/* Reverts asked of g and not confirmed (an error, no answer, a restart):
 * asked again now that its agent said hello. */
static void retry_reverts(struct hostd *h, struct guest *g)
{
	size_t n = h->journal ? journal_count(h->journal) : 0, sent = 0;
	for (size_t i = 0; i < n && sent < GUEST_MAX_PENDING / 2; i++) {
		const struct jrec *r = journal_record(h->journal, i);
		const char *st = journal_state(h->journal, r->seq);
		if (strcmp(r->op, "set") || strcmp(r->domain, g->bk.name) || !st || strcmp(st, "asked"))
			continue;
		if (hostd_revert_remote(h, r, 0) == JOURNAL_ASKED)
			sent++;
	}
	if (sent)
		log_info("guest %s: %zu revert(s) it had not confirmed asked again", g->bk.name, sent);
}

/* on_hello: what the policy asks that this agent cannot be asked (an
 * older protocol, a kind it does not carry out), said once per hello. */
static void on_hello(void *arg, struct guest *g)
{
	struct hostd *h = arg;
	if (!h->o.dry_run)
		retry_reverts(h, g);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return;
	struct act_where w = { ACT_HOSTD, h->ops->name, backend_can, g->agreed_v };
	for (size_t i = 0; i < h->set->n_rules; i++) {
		const struct pol_rule *r = &h->set->rules[i];
		if (!pol_rule_for_backend(r, h->ops->name))
			continue;
		for (size_t k = 0; k < r->n_actions; k++) {
			const struct pol_action *a = &r->actions[k];
			char why[256];
			if (act_run_of(a->act, a->side, ACT_HOSTD) != ACT_WIRE)
				continue;
			if (!act_can_run(a, &w, why, sizeof why))
				fprintf(f, "rule %s: %s\n", r->name, why);
			else if (g->agreed_v >= a->act->wire_v && !((g->caps >> act_index(a->act)) & 1))
				fprintf(f, "rule %s: its agent does not carry out '%s'\n", r->name,
					a->act->name);
		}
	}
	fclose(f);
	free(g->unserved);
	g->unserved = len ? buf : NULL;
	if (!len) {
		free(buf);
		return;
	}
	for (char *line = g->unserved, *end; *line; line = end + 1) {
		end = strchr(line, '\n');
		log_src(LOG_WARNING, g->bk.name, "hello",
			"guest %s: agent %s (protocol %u) cannot be served %.*s", g->bk.name,
			g->agent_version, g->agreed_v, (int)(end - line), line);
	}
}

const struct guest_hooks hostd_guest_hooks = { on_ack, on_lost, on_hello };

/* ---- guest changes ---- */

int hostd_guest_plans(const struct guest *g, const char *kind)
{
	const struct act_def *d = act_by_name(kind);
	return g->hello_seen && d && g->agreed_v >= d->wire_v && (g->caps >> act_index(d)) & 1;
}

/* Send a guest apply whose intents are on disk (synced == 0), or mark them
 * failed: nothing is changed without a durable record. */
static void send_apply(struct hostd *h, struct guest *g, struct wire_msg *m,
		       const struct guest_pending *p, int synced)
{
	int r = synced < 0 ? synced : guest_send_request(g, m, p);
	if (r < 0) {
		log_warn("guest %s: cannot send apply: %s", g->bk.name,
			 synced < 0 ? "the journal cannot be synced" : strerror(-r));
		for (unsigned i = 0; i < p->n; i++) {
			journal_mark(h->journal, p->seq[i], "failed", synced < 0 ?
				     "journal sync failed" : "could not be sent to the guest");
			mh_count_change(h->mhc, g->bk.name, "guest", "failed");
		}
	}
}

static int hold_apply(struct hostd *h, struct guest *g, struct wire_msg *m,
		      const struct guest_pending *p)
{
	return VEC_PUSH(h->held, h->nheld, h->capheld, (struct held_apply){ g, *m, *p });
}

void hostd_send_held(struct hostd *h)
{
	int synced = journal_batch_end(h->journal);
	for (size_t i = 0; i < h->nheld; i++) {
		send_apply(h, h->held[i].g, &h->held[i].m, &h->held[i].p, synced);
		wire_msg_free(&h->held[i].m);
	}
	h->nheld = 0;
}

/* The wire form of guest change c for g's protocol: version 2 sends the
 * action (the agent plans it from its own value), version 1 the value the
 * host planned. 0, or -EPROTO with a reason in why when g cannot be
 * served it. */
static int wire_item(const struct guest *g, const struct pol_change *c, struct wire_change *w,
		     char *why, size_t n)
{
	memset(w, 0, sizeof *w);
	snprintf(w->kind, sizeof w->kind, "%s", c->kind);
	snprintf(w->key, sizeof w->key, "%s", c->key);
	if (hostd_guest_plans(g, c->kind)) {
		struct act_spec_buf b;
		act_to_spec(c->act, &b);
		if (b.s.op)
			snprintf(w->op, sizeof w->op, "%s", b.s.op);
		if ((w->has_value = b.s.value != NULL))
			snprintf(w->value, sizeof w->value, "%s", b.s.value);
		if ((w->has_min = b.s.min != NULL))
			snprintf(w->min, sizeof w->min, "%s", b.s.min);
		if ((w->has_max = b.s.max != NULL))
			snprintf(w->max, sizeof w->max, "%s", b.s.max);
		return 0;
	}
	if (!strcmp(c->kind, "sysctl") && !c->deferred && c->new[0] && g->agreed_v >= 1) {
		snprintf(w->value, sizeof w->value, "%s", c->new);
		w->has_value = 1;
		return 0;
	}
	const struct act_def *d = act_by_name(c->kind);
	snprintf(why, n, "its agent (protocol %u%s) cannot carry %s %s", g->agreed_v,
		 d && (g->caps >> act_index(d)) & 1 ? "" : ", no such kind in its hello", c->kind,
		 c->key);
	return -EPROTO;
}

/* Send the guest-side changes of one rule as one apply, each journaled
 * first (its record number travels with it). */
static void send_rule_changes(struct hostd *h, struct guest *g, const struct pol_plan *plan,
			      const char *rule)
{
	struct wire_msg m;
	struct guest_pending p;
	memset(&p, 0, sizeof p);
	wire_msg_init(&m, WIRE_APPLY);
	m.v = g->agreed_v ? g->agreed_v : WIRE_VERSION;
	snprintf(m.u.apply.rule, sizeof m.u.apply.rule, "%s", rule);
	snprintf(p.rule, sizeof p.rule, "%s", rule);
	for (size_t i = 0; i < plan->n; i++) {
		const struct pol_change *c = &plan->v[i];
		struct wire_change w;
		char why[256], wanted[POL_KEY_MAX + 48];
		if (c->side != POL_GUEST || strcmp(c->rule, rule) ||
		    act_run_of(act_of(c), POL_GUEST, ACT_HOSTD) != ACT_WIRE)
			continue;
		/* what the host planned, or what it asks the guest to plan */
		if (c->deferred)
			act_describe(c->act, wanted, sizeof wanted);
		else
			snprintf(wanted, sizeof wanted, "%s", c->new);
		if (h->o.dry_run) {
			mh_count_change(h->mhc, g->bk.name, "guest", "dry_run");
			log_msg(LOG_NOTICE, "guest %s: would ask %s %s %s -> %s (rule %s; %s)",
				g->bk.name, c->kind, c->key, c->old[0] ? c->old : "?", wanted, rule,
				c->why);
			continue;
		}
		if (g->fd < 0 || !g->hello_seen) {
			mh_count_change(h->mhc, g->bk.name, "guest", "failed");
			log_warn("guest %s: not connected: cannot ask %s %s -> %s (rule %s)",
				 g->bk.name, c->kind, c->key, wanted, rule);
			continue;
		}
		if (wire_item(g, c, &w, why, sizeof why)) {
			mh_count_change(h->mhc, g->bk.name, "guest", "unserved");
			log_warn("guest %s: rule %s not served: %s", g->bk.name, rule, why);
			continue;
		}
		if (m.u.apply.nchanges >= WIRE_MAX_CHANGES)
			break;
		struct jrec rec = {
			.side = "guest", .domain = g->bk.name, .kind = c->kind, .target = "",
			.key = c->key, .old = c->old, .new = c->deferred ? "" : c->new,
			.rule = rule, .why = c->why, .guest = g->bk.name,
		};
		int64_t seq = journal_intent(h->journal, &rec);
		if (seq < 0) {
			mh_count_journal_error(h->mhc);
			log_err("journal: %s: not sending %s %s to guest %s (nothing changes without a record)",
				strerror((int)-seq), c->kind, c->key, g->bk.name);
			continue;
		}
		w.ref = m.v >= 2 ? (uint64_t)seq : 0;
		if (wire_apply_add_change(&m, &w) < 0) {
			journal_mark(h->journal, seq, "failed", "cannot be sent in a message");
			continue;
		}
		snprintf(p.key[p.n], sizeof p.key[0], "%s", c->key);
		snprintf(p.kind[p.n], sizeof p.kind[0], "%s", c->kind);
		p.seq[p.n++] = seq;
		if (c->deferred)
			log_msg(LOG_NOTICE, "guest %s: ask %s %s%s%s (rule %s; %s)", g->bk.name,
				c->kind, c->key, strcmp(wanted, c->key) ? ": " : "",
				strcmp(wanted, c->key) ? wanted : "", rule, c->why);
		else
			log_msg(LOG_NOTICE, "guest %s: set %s %s %s -> %s (rule %s; %s)", g->bk.name,
				c->kind, c->key, c->old[0] ? c->old : "?", wanted, rule, c->why);
	}
	if (m.u.apply.nchanges) {
		m.u.apply.id = p.id = ++h->next_id;
		if (hold_apply(h, g, &m, &p) == 0)
			return; /* m is the held list's now */
		/* no memory to hold it: sync this one alone */
		send_apply(h, g, &m, &p, journal_sync(h->journal));
	}
	wire_msg_free(&m);
}

/* ---- host changes ---- */

/* apply_count_fn: host knob outcomes for the exporter. */
static void count_host(void *arg, const char *outcome)
{
	struct cur_ctx *c = arg;
	mh_count_change(c->h->mhc, c->g->bk.name, "host", outcome);
}

/* act_host.plan_pin: the backend's slot with its own types. */
static int plan_pin(void *bk, const void *bk_guest, const char *mode, act_change_fn fn,
		    void *arg, char *why, size_t n)
{
	const struct hostd *h = bk;
	return h->ops->plan_pin(h->bk, bk_guest, mode, fn, arg, why, n);
}

/* act_host.plan_pin_host: the backend's slot with every guest hostd follows. */
static int plan_pin_host(void *bk, const char *mode, act_change_fn fn, void *arg, char *why,
			 size_t n)
{
	const struct hostd *h = bk;
	const struct bk_guest **gs = calloc(h->nguests + 1, sizeof *gs);
	if (!gs)
		return -ENOMEM;
	for (size_t i = 0; i < h->nguests; i++)
		gs[i] = &h->guests[i]->bk;
	int r = h->ops->plan_pin_host(h->bk, gs, h->nguests, mode, fn, arg, why, n);
	free(gs);
	return r;
}

/* act_host.filters: the backend's slot with its own types. */
static int guest_filters(void *bk, const void *bk_guest, char *buf, size_t n)
{
	const struct hostd *h = bk;
	return h->ops->guest_filters(h->bk, bk_guest, buf, n);
}

/* act_host.refuse: a host change refused to keep the host safe: counted,
 * said once in the log (again only when the reason changes), and kept for
 * `vtune status` and `vtune report`. */
static void refused(void *arg, const struct pol_change *ch, const char *kind,
		    const char *reason, const char *text)
{
	struct cur_ctx *c = arg;
	(void)ch;
	mh_count_refusal(c->h->mhc, c->g->bk.name, kind, reason);
	if (strcmp(c->g->refused, text))
		log_warn("guest %s: %s", c->g->bk.name, text);
	snprintf(c->g->refused, sizeof c->g->refused, "%s", text);
}

/* act_host.plan_pci_attach: the backend's slot with its own types. */
static int plan_pci_attach(void *bk, const void *bk_guest, const struct sriov_conf *conf,
			   const char *want_vf, act_change_fn fn, void *arg, char *why, size_t n)
{
	const struct hostd *h = bk;
	return h->ops->plan_pci_attach(h->bk, bk_guest, conf, want_vf, fn, arg, why, n);
}

void hostd_host_ctx(struct hostd *h, struct guest *g, struct cur_ctx *cc, struct apply_ctx *ac,
		    struct act_host *host)
{
	*ac = (struct apply_ctx){
		.journal = h->journal, .root = h->o.root, .dry_run = h->o.dry_run,
		.engine = h->engine, .subject = g->bk.name, .guest = g->bk.name,
		.count = count_host, .count_arg = cc,
	};
	*host = (struct act_host){
		.guest = g->bk.name, .tap = g->bk.tap, .bridge = g->bk.bridge, .netns = g->bk.netns,
		.bk = h, .bk_guest = &g->bk, .plan_pin = h->ops->plan_pin ? plan_pin : NULL,
		.plan_pin_host = h->ops->plan_pin_host ? plan_pin_host : NULL,
		.filters = h->ops->guest_filters ? guest_filters : NULL,
		.plan_pci_attach = h->ops->plan_pci_attach && h->bk ? plan_pci_attach : NULL,
		.refuse = refused, .refuse_arg = cc,
	};
}

/* ---- a step's plan ---- */

/* Carry out a step's plan for one guest: guest changes go to its agent
 * (one apply per rule), host changes and notes run here, each as the
 * action table says for vtune-hostd. */
void hostd_act_on_plan(struct hostd *h, struct guest *g, const struct pol_plan *plan)
{
	struct cur_ctx cc = { h, g };
	struct apply_ctx ac;
	struct act_host host;
	hostd_host_ctx(h, g, &cc, &ac, &host);
	struct act_ctx x = { &ac, &host };
	for (size_t i = 0; i < plan->n; i++) {
		const struct pol_change *c = &plan->v[i];
		enum act_run run = act_run_of(act_of(c), c->side, ACT_HOSTD);
		if (!strcmp(c->kind, "note") || run == ACT_LOCAL) {
			int r = apply_change(&x, c, ACT_HOSTD);
			if (r < 0 && r != -EINVAL) {
				mh_count_journal_error(h->mhc);
				log_err("journal: %s: host changes stopped (nothing changes without a record)",
					strerror(-r));
				return;
			}
			continue;
		}
		if (run == ACT_WIRE) {
			size_t k;
			for (k = 0; k < i; k++) /* first change of its rule? */
				if (plan->v[k].side == POL_GUEST && !strcmp(plan->v[k].rule, c->rule) &&
				    strcmp(plan->v[k].kind, "note"))
					break;
			if (k == i)
				send_rule_changes(h, g, plan, c->rule);
			continue;
		}
		/* the policy check refuses these at load: never reached */
		log_err("guest %s: rule %s: %s %s on the %s side cannot run under vtune-hostd",
			g->bk.name, c->rule, c->kind, c->key, pol_side_name(c->side));
	}
}

/* ---- reverts ---- */

/* journal_revert's remote callback: ask the guest to undo one change. A
 * protocol 2 agent undoes it from its own journal by the record number
 * (JOURNAL_ASKED: its ack marks the record); a protocol 1 agent is sent the
 * original value as an apply (JOURNAL_ASKED too: its ack with that value
 * marks it). The original value is the one the guest's ack of the change
 * gave (journal_values), not the report's reading the change was planned
 * from, which may be older. -ENOTCONN when the guest is not connected (journal_revert queues
 * it), -EINVAL when its agent cannot be asked this kind. dry_run: the
 * same answer, nothing sent. */
int hostd_revert_remote(void *arg, const struct jrec *rec, int dry_run)
{
	struct hostd *h = arg;
	struct guest *g = hostd_find_guest(h, rec->domain);
	struct wire_msg m;
	struct guest_pending p;
	int r;
	if (!g || g->fd < 0 || !g->hello_seen)
		return -ENOTCONN;
	const char *old = rec->old, *cur = NULL;
	journal_values(h->journal, rec->seq, &old, &cur);
	int by_ref = hostd_guest_plans(g, rec->kind);
	if (!by_ref && (strcmp(rec->kind, "sysctl") || !old[0]))
		return -EINVAL;
	if (dry_run)
		return JOURNAL_ASKED;
	if (h->asked)
		json_object_array_add(h->asked, json_object_new_int64(rec->seq));
	memset(&p, 0, sizeof p);
	p.revert = 1;
	snprintf(p.rule, sizeof p.rule, "%s", rec->rule[0] ? rec->rule : "revert");
	snprintf(p.key[0], sizeof p.key[0], "%s", rec->key);
	snprintf(p.kind[0], sizeof p.kind[0], "%s", rec->kind);
	p.seq[0] = rec->seq;
	p.n = 1;
	if (h->revert_why)
		snprintf(p.why, sizeof p.why, "%s", h->revert_why);
	if (by_ref) {
		wire_msg_init(&m, WIRE_REVERT);
		m.v = g->agreed_v;
		m.u.revert.id = p.id = ++h->next_id;
		m.u.revert.refs[0] = (uint64_t)rec->seq;
		m.u.revert.nrefs = 1;
		p.by_ref = 1;
		r = guest_send_request(g, &m, &p);
		wire_msg_free(&m);
		return r < 0 ? r : JOURNAL_ASKED;
	}
	/* protocol 1: the original value, sent as an apply; its ack, with
	 * that value, marks the record (revert_acked) */
	wire_msg_init(&m, WIRE_APPLY);
	m.v = g->agreed_v;
	snprintf(m.u.apply.rule, sizeof m.u.apply.rule, "%s", p.rule);
	r = wire_apply_add(&m, rec->key, old);
	if (r == 0) {
		m.u.apply.id = p.id = ++h->next_id;
		r = guest_send_request(g, &m, &p);
	}
	wire_msg_free(&m);
	return r < 0 ? r : JOURNAL_ASKED;
}

