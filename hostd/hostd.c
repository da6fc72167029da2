/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostd: the vtune-hostd daemon (see hostd.h): guests from the backend,
 * their reports through guest.c, the engine every interval, guest changes
 * journaled then sent, host changes applied, a control socket. */
#include "hostd.h"
#include "action.h"
#include "host_view.h"
#include "hostnet.h"
#include "notify.h"
#include "apply.h"
#include "ctl.h"
#include "guest.h"
#include "history.h"
#include "knob.h"
#include "log.h"
#include "loop.h"
#include "metrics_http.h"
#include "policy.h"
#include "policy_async.h"
#include "sriov_ctl.h"
#include "tuning.h"
#include "undo_serve.h"
#include "vclock.h"
#include "verdict.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define SEC 1000000000ull
#define HOSTD_TICK_NS (SEC / 2)

/* ---- the daemon ---- */

struct hostd {
	struct hostd_opts o;
	uint64_t wd_usec, wd_next_ns; /* systemd watchdog period, next ping */
	struct loop *loop;
	const struct backend_ops *ops;
	struct backend *bk;
	struct pol_set *set;
	struct pol_engine *engine;
	struct journal *journal;
	struct ctl *ctl;
	struct mh_server *mh;   /* --metrics listener, or NULL */
	struct mh_counters *mhc; /* rule firings and changes, for it */
	int sigfd;
	struct guest **guests;
	size_t nguests;
	uint64_t next_id;
	uint64_t interval_ns, next_step_ns;
	struct pol_plan plan;
	struct hist_store *hist; /* key metrics for `vtune report` (NULL: none) */
	struct host_view *hv;	 /* host rows needing no hypervisor (NULL: not read) */
	void *chans;		 /* agent channels the backend carries (channels_open) */
	/* a step's guest applies, sent once their intents are synced together */
	struct held_apply *held;
	size_t nheld, capheld;
	json_object *asked; /* a control revert: the records asked of guests */
	struct pol_async *reload; /* SIGHUP: the policy loading in a thread */
	const char *revert_why; /* the verdict whose records are being undone */
	struct tuning tuning; /* `vtune off`: reports taken, no rule fires */
};

struct held_apply {
	struct guest *g;
	struct wire_msg m;
	struct guest_pending p;
};

static struct guest *find_guest(struct hostd *h, const char *name)
{
	for (size_t i = 0; i < h->nguests; i++)
		if (!strcmp(h->guests[i]->bk.name, name))
			return h->guests[i];
	return NULL;
}

/* bk_find_fn: the guest a backend's channel attaches to. */
static struct guest *chan_find(void *arg, const struct bk_guest *bg)
{
	return find_guest(arg, bg->name);
}

/* ---- acks ---- */

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

static void on_hello(void *arg, struct guest *g);

static const struct guest_hooks hooks = { on_ack, on_lost, on_hello };

/* on_hello: what the policy asks that this agent cannot be asked (an
 * older protocol, a kind it does not carry out), said once per hello. */
static int revert_remote(void *arg, const struct jrec *rec, int dry_run);

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
		if (revert_remote(h, r, 0) == JOURNAL_ASKED)
			sent++;
	}
	if (sent)
		log_info("guest %s: %zu revert(s) it had not confirmed asked again", g->bk.name, sent);
}

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
			if (act_run_of(a->kind, a->side, ACT_HOSTD) != ACT_WIRE)
				continue;
			if (!act_can_run(a, &w, why, sizeof why))
				fprintf(f, "rule %s: %s\n", r->name, why);
			else if (g->agreed_v >= act_find(a->kind)->wire_v && !((g->caps >> a->kind) & 1))
				fprintf(f, "rule %s: its agent does not carry out '%s'\n", r->name,
					pol_kind_name(a->kind));
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

/* ---- backend events ---- */

static void remove_guest(struct hostd *h, size_t i)
{
	struct guest *g = h->guests[i];
	log_src(LOG_INFO, g->bk.name, "channel", "guest %s: gone", g->bk.name);
	if (h->engine)
		pol_engine_forget(h->engine, g->bk.name);
	hist_forget(h->hist, g->bk.name);
	guest_free(g);
	h->guests[i] = h->guests[--h->nguests];
}

static void on_backend(void *arg, enum bk_event_type t, const struct bk_guest *bg)
{
	struct hostd *h = arg;
	uint64_t now = vclock_mono_ns();
	struct guest *g = find_guest(h, bg->name);

	switch (t) {
	case BK_GUEST_UP:
	case BK_CHANNEL_UP:
		if (!g) {
			if (h->nguests >= HOSTD_MAX_GUESTS) {
				log_warn("guest %s: ignored, %d guests already", bg->name, HOSTD_MAX_GUESTS);
				return;
			}
			struct guest **v = realloc(h->guests, (h->nguests + 1) * sizeof *v);
			if (!v)
				return;
			h->guests = v;
			g = guest_new(bg, h->loop, &hooks, h);
			if (!g)
				return;
			g->max_v = h->o.protocol_max;
			h->guests[h->nguests++] = g;
			log_src(LOG_INFO, bg->name, "channel", "guest %s: found (channel %s)", bg->name,
				bg->channel[0] ? bg->channel : "none");
		} else {
			char ch[sizeof g->bk.channel];
			snprintf(ch, sizeof ch, "%s", g->bk.channel);
			g->bk = *bg;
			if (strcmp(ch, bg->channel) && g->fd >= 0)
				guest_disconnect(g, now, "channel changed");
			g->backoff_ns = GUEST_BACKOFF_MIN_NS;
		}
		g->gone = 0;
		if (g->fd < 0 && g->bk.channel[0])
			guest_connect(g, now);
		break;
	case BK_CHANNEL_DOWN:
		if (g) {
			if (g->fd >= 0)
				guest_disconnect(g, now, "channel gone");
			g->bk.channel[0] = 0;
		}
		break;
	case BK_GUEST_DOWN:
		if (h->chans && h->ops->channels_guest_down)
			h->ops->channels_guest_down(h->chans, bg->domid);
		for (size_t i = 0; i < h->nguests; i++)
			if (h->guests[i] == g)
				remove_guest(h, i);
		break;
	}
}

static void backend_cb(void *arg, int fd, uint32_t events)
{
	struct hostd *h = arg;
	(void)fd;
	(void)events;
	int r = h->ops->dispatch(h->bk, on_backend, h);
	if (r < 0)
		log_warn("backend %s: %s", h->ops->name, strerror(-r));
}

/* ---- evaluation ---- */

struct cur_ctx {
	struct hostd *h;
	struct guest *g;
};

/* Can the guest's agent plan an action of kind itself (protocol 2 and the
 * kind among those its hello names)? */
static int guest_plans(const struct guest *g, const char *kind)
{
	const struct act_def *d = act_by_name(kind);
	return g->hello_seen && d && g->agreed_v >= d->wire_v && (g->caps >> d->kind) & 1;
}

/* "on" while netfilter runs for the guest's bridge (key "bridge": the
 * namespace sysctl or the bridge's own option) or any of the namespace's
 * sysctls is on (key "namespace"). */
static int bridge_nf_current(struct cur_ctx *c, const char *key, char *buf, size_t n)
{
	struct hostnet_brnf_ns *s = calloc(1, sizeof *s);
	int r = s ? hostnet_brnf_ns_read(c->h->o.root, c->g->bk.netns, s) : -ENOMEM;
	if (!r)
		snprintf(buf, n, "%s", hostnet_brnf_effective(s, strcmp(key, "namespace") ?
							c->g->bk.bridge : "") ? "on" : "off");
	free(s);
	return r ? -ENOENT : 0;
}

static int current_knob(void *arg, enum pol_side side, const char *kind, const char *key,
			char *buf, size_t n)
{
	struct cur_ctx *c = arg;
	if (side == POL_GUEST) {
		if (!strcmp(kind, "sysctl") && guest_sysctl_value(c->g, key, buf, n) == 0)
			return 0;
		return guest_plans(c->g, kind) ? -EREMOTE : -ENOENT;
	}
	if (!strcmp(kind, "bridge_nf"))
		return bridge_nf_current(c, key, buf, n);
	if (strcmp(kind, "sysctl"))
		return -ENOENT;
	return knob_read(knob_find("sysctl"), c->h->o.root, "", key, buf, n);
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
	if (h->nheld == h->capheld) {
		size_t cap = h->capheld ? 2 * h->capheld : 16;
		struct held_apply *v = realloc(h->held, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		h->held = v;
		h->capheld = cap;
	}
	h->held[h->nheld++] = (struct held_apply){ g, *m, *p };
	return 0;
}

/* The end of a step: one sync for all its intents, then their applies. */
static void send_held(struct hostd *h)
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
	if (guest_plans(g, c->kind)) {
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
	snprintf(why, n, "its agent (protocol %u%s) cannot carry %s %s", g->agreed_v,
		 (g->caps >> PA_RPS) & 1 ? "" : ", no such kind in its hello", c->kind, c->key);
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
		    act_run_of(c->act ? c->act->kind : PA_NOTE, POL_GUEST, ACT_HOSTD) != ACT_WIRE)
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

/* The journaled helper's context and the host side for a host change made
 * for guest g (cc: { h, g }, kept alive by the caller). */
static void host_ctx(struct hostd *h, struct guest *g, struct cur_ctx *cc, struct apply_ctx *ac,
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

/* Carry out a step's plan for one guest: guest changes go to its agent
 * (one apply per rule), host changes and notes run here, each as the
 * action table says for vtune-hostd. */
static void act_on_plan(struct hostd *h, struct guest *g, const struct pol_plan *plan)
{
	struct cur_ctx cc = { h, g };
	struct apply_ctx ac;
	struct act_host host;
	host_ctx(h, g, &cc, &ac, &host);
	struct act_ctx x = { &ac, &host };
	for (size_t i = 0; i < plan->n; i++) {
		const struct pol_change *c = &plan->v[i];
		enum act_run run = act_run_of(c->act ? c->act->kind : PA_NOTE, c->side, ACT_HOSTD);
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

/* The engine held g's host rules: its report claims what the host does
 * not see. Said when it starts, then at most once a minute. */
static void implausible_said(struct guest *g, const struct pol_engine *e, uint64_t now)
{
	uint64_t count = 0;
	const char *why = "";
	int ok = pol_engine_plausibility(e, g->bk.name, &count, &why);
	if (ok != 0) {
		g->implausible_logged = 0;
		return;
	}
	if (g->implausible_logged && now - g->implausible_log_ns < GUEST_LOG_EVERY_NS)
		return;
	g->implausible_logged = 1;
	g->implausible_log_ns = now;
	log_warn("guest %s: implausible report (%llu so far), its host rules held: %s", g->bk.name,
		 (unsigned long long)count, why);
}

static int revert_remote(void *arg, const struct jrec *rec, int dry_run);

/* verdict_ctx.begin: the verdict's text goes with the guest's reverts. */
static void verdict_begin(void *arg, const struct pol_verdict *v)
{
	struct cur_ctx *c = arg;
	c->h->revert_why = v->text;
}

/* verdict_ctx.done: counted for Prometheus. */
static void verdict_done(void *arg, const struct pol_verdict *v, int not_restored)
{
	struct cur_ctx *c = arg;
	(void)not_restored;
	c->h->revert_why = NULL;
	if (v->revert)
		mh_count_rollback(c->h->mhc, c->g->bk.name, v->rule, v->reason);
}

static void step_guest(struct hostd *h, struct guest *g, uint64_t now)
{
	if (guest_report_age_ns(g, now) > HOSTD_REPORT_MAX_AGE * h->interval_ns)
		return;
	mvec_clear(&g->hm);
	/* the host view: the rows that need no hypervisor, then the backend's */
	struct host_view_guest hg = { g->bk.name, g->bk.domid, g->bk.tap, g->bk.bridge,
				      g->bk.netns };
	if (h->hv)
		host_view_guest(h->hv, &g->hn, h->o.root, h->journal, &hg, now, h->interval_ns,
				&g->hm);
	if (h->bk && h->ops->host_view) {
		int r = h->ops->host_view(h->bk, &g->bk, now, &g->hm);
		if (r < 0)
			log_debug("guest %s: host view: %s", g->bk.name, strerror(-r));
	}
	g->have_host = 1;
	hist_record(h->hist, g->bk.name, vclock_wall_ns(), &g->gm, &g->hm);
	if (h->tuning.off)
		return; /* `vtune off`: seen and kept for `vtune report`, never acted on */
	struct cur_ctx cc = { h, g };
	pol_plan_clear(&h->plan);
	int r = pol_engine_step(h->engine, g->bk.name, now, &g->gm, &g->hm, current_knob, &cc,
				&h->plan);
	if (r < 0) {
		log_warn("guest %s: engine: %s", g->bk.name, strerror(-r));
		return;
	}
	implausible_said(g, h->engine, now);
	/* changes whose window is over: kept, or undone on both sides (guest
	 * records by number through its agent) and the rule quarantined */
	struct verdict_ctx vc = {
		.journal = h->o.dry_run ? NULL : h->journal, .root = h->o.root,
		.remote = revert_remote, .remote_arg = h, .begin = verdict_begin,
		.done = verdict_done, .arg = &cc,
	};
	if (verdict_carry_out(h->engine, g->bk.name, &vc) < 0)
		mh_count_journal_error(h->mhc);
	for (size_t i = 0; i < h->plan.n; i++) { /* one firing per rule with changes */
		size_t k = 0;
		while (k < i && strcmp(h->plan.v[k].rule, h->plan.v[i].rule))
			k++;
		if (k == i)
			mh_count_firing(h->mhc, g->bk.name, h->plan.v[i].rule);
	}
	size_t from = h->journal ? journal_count(h->journal) : 0;
	if (h->plan.n)
		act_on_plan(h, g, &h->plan);
	/* what each firing changed, on both sides, is watched over its window */
	if (h->plan.n && !h->o.dry_run &&
	    verdict_tell_records(h->engine, g->bk.name, &h->plan, h->journal, from,
				 g->bk.name) < 0)
		log_warn("guest %s: out of memory: this step's changes are not verified", g->bk.name);
}

void hostd_step(struct hostd *h, uint64_t now_ns)
{
	/* group commit: one journal sync for every guest's intents, not one each */
	journal_batch_begin(h->journal);
	for (size_t i = 0; i < h->nguests; i++)
		step_guest(h, h->guests[i], now_ns);
	send_held(h);
}

static void tick_cb(void *arg)
{
	struct hostd *h = arg;
	uint64_t now = vclock_mono_ns();
	/* systemd's watchdog: ping at half its period */
	if (h->wd_usec && now >= h->wd_next_ns) {
		notify_watchdog();
		h->wd_next_ns = now + h->wd_usec * 500;
	}
	for (size_t i = 0; i < h->nguests; i++)
		guest_tick(h->guests[i], now);
	journal_sync(h->journal); /* the acks' marks of the last tick, in one sync */
	journal_maintain(h->journal); /* closed history compacted away when large */
	if (now >= h->next_step_ns) {
		hostd_step(h, now);
		h->next_step_ns += h->interval_ns;
		if (h->next_step_ns <= now)
			h->next_step_ns = now + h->interval_ns;
	}
	uint64_t next = now + HOSTD_TICK_NS;
	if (h->next_step_ns < next)
		next = h->next_step_ns;
	if (loop_timer_add(h->loop, next, tick_cb, h) < 0)
		log_err("no memory for the timer");
}

/* ---- policy ---- */

/* Load and check the policy for backend: every action must run under
 * vtune-hostd there (the action table and the backend's slots). */
static struct pol_set *load_policy(const char *path, const char *backend, FILE *err)
{
	struct pol_diag d;
	struct act_where w = { ACT_HOSTD, backend, backend_can, 0 };
	pol_diag_init(&d);
	struct pol_set *s = act_load_policy(path, &w, &d);
	if (!s) {
		if (err) {
			pol_diag_print(&d, err);
		} else {
			for (size_t i = 0; i < d.n; i++)
				log_err("%s", d.msgs[i]);
		}
		if (!d.n) {
			if (err)
				fprintf(err, "%s: cannot load the policy\n", path);
			else
				log_err("%s: cannot load the policy", path);
		}
	}
	pol_diag_free(&d);
	return s;
}

/* A new policy set in place of the old one (the engine starts afresh). */
static int install_policy(struct hostd *h, struct pol_set *s)
{
	struct pol_engine *e = pol_engine_new(s);
	if (!e) {
		pol_set_free(s);
		return -ENOMEM;
	}
	pol_engine_set_backend(e, h->ops->name);
	pol_engine_free(h->engine);
	pol_set_free(h->set);
	h->set = s;
	h->engine = e;
	log_info("policy %s reloaded: %zu rules", h->o.policy, s->n_rules);
	notify_ready();
	notify_status("%zu guests, %zu rules", h->nguests, s->n_rules);
	return 0;
}

int hostd_reload(struct hostd *h)
{
	notify_reloading();
	struct pol_set *s = load_policy(h->o.policy, h->ops->name, NULL);
	if (!s) {
		log_err("policy %s refused: keeping the old one (%zu rules)", h->o.policy,
			h->set->n_rules);
		notify_ready();
		return -EINVAL;
	}
	return install_policy(h, s);
}

/* The loader thread's result, on the loop. */
static void reloaded(void *arg, struct pol_set *s, struct pol_diag *d)
{
	struct hostd *h = arg;
	if (!s) {
		for (size_t i = 0; i < d->n; i++)
			log_err("%s", d->msgs[i]);
		if (!d->n)
			log_err("%s: cannot load the policy", h->o.policy);
		log_err("policy %s refused: keeping the old one (%zu rules)", h->o.policy,
			h->set->n_rules);
		notify_ready();
		return;
	}
	install_policy(h, s);
}

int hostd_reload_async(struct hostd *h)
{
	struct act_where w = { ACT_HOSTD, h->ops->name, backend_can, 0 };
	notify_reloading();
	int r = pol_async_start(&h->reload, h->loop, h->o.policy, &w, reloaded, h);
	if (r == -EBUSY)
		log_warn("policy %s: a reload is already running", h->o.policy);
	else if (r < 0)
		log_err("policy %s: cannot start the reload: %s", h->o.policy, strerror(-r));
	return r;
}

int hostd_check_config(const struct hostd_opts *o, FILE *err)
{
	int bad = 0;
	if (!backend_find(o->backend)) {
		fprintf(err, "unknown backend '%s' (built in: kvm, xen, sim)\n", o->backend);
		bad = 1;
	}
	if (!(o->interval_s >= 0.1 && o->interval_s <= 3600)) {
		fprintf(err, "--interval: want seconds in 0.1..3600\n");
		bad = 1;
	}
	int off;
	if (o->metrics && mh_parse_addr(o->metrics, &off) < 0) {
		fprintf(err, "--metrics: want off, HOST:PORT, [V6]:PORT or unix:/PATH, not '%s'\n",
			o->metrics);
		bad = 1;
	}
	struct pol_set *s = load_policy(o->policy, backend_find(o->backend) ? o->backend : NULL,
					err);
	if (!s)
		bad = 1;
	pol_set_free(s);
	return bad ? -EINVAL : 0;
}

/* ---- signals ---- */

static void signal_cb(void *arg, int fd, uint32_t events)
{
	struct hostd *h = arg;
	struct signalfd_siginfo si;
	(void)events;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			hostd_reload_async(h); /* parsed away from the loop */
		} else {
			log_info("signal %u: stopping", si.ssi_signo);
			notify_stopping();
			loop_stop(h->loop);
		}
	}
}

/* ---- metrics for Prometheus ---- */

/* mh_render_fn: the current guests, both views, the rules active for each
 * and the counters. A guest whose report is older than the engine reads
 * (HOSTD_REPORT_MAX_AGE intervals) is shown down, without its views. */
static int metrics_render(void *arg, int om, char **out, size_t *len)
{
	struct hostd *h = arg;
	size_t nr = h->set ? h->set->n_rules : 0, ng = h->nguests;
	struct mh_guest *v = calloc(ng ? ng : 1, sizeof *v);
	const char **rules = calloc(ng * nr + 1, sizeof *rules);
	uint64_t mono = vclock_mono_ns(), wall = vclock_wall_ns();
	char hostname[256] = "";
	int r = -ENOMEM;
	if (!v || !rules)
		goto out;
	gethostname(hostname, sizeof hostname - 1);
	for (size_t i = 0; i < ng; i++) {
		const struct guest *g = h->guests[i];
		uint64_t age = guest_report_age_ns(g, mono);
		v[i] = (struct mh_guest){
			.name = g->bk.name, .bk = &g->bk, .connected = g->fd >= 0,
			.up = age <= HOSTD_REPORT_MAX_AGE * h->interval_ns,
			.last_report_s = age == UINT64_MAX || age > wall ? 0 : (double)(wall - age) / 1e9,
			.reports = g->st.reports, .bad_reports = g->st.bad_reports,
			.dropped = g->st.dropped, .invalid = g->st.invalid,
			.gm = g->have_report ? &g->gm : NULL, .hm = g->have_host ? &g->hm : NULL,
			.rules = rules + i * nr,
		};
		for (size_t k = 0; k < nr; k++)
			if (pol_engine_rule_active(h->engine, g->bk.name, h->set->rules[k].name) == 1)
				rules[i * nr + v[i].nrules++] = h->set->rules[k].name;
	}
	struct mh_host host = { hostname, h->ops ? h->ops->name : NULL };
	/* guest names and their views only where configured (--metrics-guests) */
	mh_counters_hide_guests(h->mhc, !h->o.metrics_guests);
	r = mh_render(&host, v, h->o.metrics_guests ? ng : 0, h->mhc, om, out, len);
out:
	free(rules);
	free(v);
	return r;
}

/* ---- life cycle ---- */

struct hostd *hostd_new(const struct hostd_opts *o, int *err, char *why, size_t n)
{
	struct hostd *h = calloc(1, sizeof *h);
	int r = 0;
	if (!h) {
		*err = -ENOMEM;
		snprintf(why, n, "out of memory");
		return NULL;
	}
	h->o = *o;
	h->sigfd = -1;
	h->interval_ns = (uint64_t)(o->interval_s * 1e9);
	pol_plan_init(&h->plan);
	h->hist = hist_store_new(o->interval_s, 0);
	h->hv = host_view_new();
	backend_register_knobs();
	h->ops = backend_find(o->backend);
	if (!h->ops) {
		r = -ENOENT;
		snprintf(why, n, "unknown backend '%s'", o->backend);
		goto fail;
	}
	h->set = load_policy(o->policy, h->ops->name, NULL);
	if (!h->set) {
		r = -EINVAL;
		snprintf(why, n, "policy %s refused", o->policy);
		goto fail;
	}
	h->engine = pol_engine_new(h->set);
	if (h->engine)
		pol_engine_set_backend(h->engine, h->ops->name);
	h->loop = loop_new(&r);
	if (!h->engine || !h->loop) {
		r = r ? r : -ENOMEM;
		snprintf(why, n, "cannot start: %s", strerror(-r));
		goto fail;
	}
	loop_set_batch(h->loop, HOSTD_BATCH_MS * 1000000ull);
	h->journal = o->dry_run ? journal_open_ro(o->journal, &r) : journal_open(o->journal, &r);
	if (!h->journal && !(o->dry_run && r == -ENOENT)) {
		snprintf(why, n, "journal %s: %s", o->journal,
			 r == -EWOULDBLOCK ? "in use by another process" : strerror(-r));
		goto fail;
	}
	tuning_load(&h->tuning, o->journal); /* as root: the file is beside the journal */
	h->ctl = ctl_open(h->loop, o->control, hostd_handle_request, h, &r);
	if (!h->ctl) {
		snprintf(why, n, "control socket %s: %s", o->control,
			 r == -EADDRINUSE ? "another vtune-hostd is running" : strerror(-r));
		goto fail;
	}
	h->mhc = mh_counters_new();
	if (!h->mhc) {
		r = -ENOMEM;
		snprintf(why, n, "out of memory");
		goto fail;
	}
	int mh_off = 0;
	if (o->metrics && mh_parse_addr(o->metrics, &mh_off) == 0 && !mh_off) {
		h->mh = mh_server_open(h->loop, o->metrics, metrics_render, h, &r);
		if (!h->mh && !o->metrics_optional) {
			snprintf(why, n, "--metrics %s: %s", o->metrics, strerror(-r));
			goto fail;
		}
		if (h->mh)
			log_info("metrics for Prometheus: GET /metrics on %s", o->metrics);
		else
			log_warn("metrics: cannot listen on %s: %s (no Prometheus endpoint)",
				 o->metrics, strerror(-r));
		r = 0;
	}
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	h->sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (h->sigfd < 0 || loop_add_fd(h->loop, h->sigfd, EPOLLIN, signal_cb, h) < 0) {
		r = -errno;
		snprintf(why, n, "signalfd: %s", strerror(errno));
		goto fail;
	}
	h->bk = h->ops->open(o->uri, o->root, &r, why, n);
	if (!h->bk)
		goto fail;
	if (h->ops->knobs)
		for (const struct knob_ops *const *k = h->ops->knobs; *k; k++)
			knob_bind(*k, h->bk);
	int efd = h->ops->event_fd ? h->ops->event_fd(h->bk) : -1;
	if (efd >= 0 && (r = loop_add_fd(h->loop, efd, EPOLLIN, backend_cb, h)) < 0) {
		snprintf(why, n, "backend events: %s", strerror(-r));
		goto fail;
	}
	if (h->ops->channels_open && !(h->chans = h->ops->channels_open(h->bk, h->loop, chan_find,
									 h, &r))) {
		snprintf(why, n, "agent channels: %s", strerror(-r));
		goto fail;
	}
	r = h->ops->list(h->bk, on_backend, h);
	if (r < 0)
		log_warn("backend %s: listing guests: %s", h->ops->name, strerror(-r));
	uint64_t now = vclock_mono_ns();
	h->next_step_ns = now + h->interval_ns;
	if ((r = loop_timer_add(h->loop, now + HOSTD_TICK_NS, tick_cb, h)) < 0) {
		snprintf(why, n, "timer: %s", strerror(-r));
		goto fail;
	}
	log_info("vtune-hostd %s: backend %s, policy %s (%zu rules), interval %.1fs, %zu guests%s",
		 VTUNE_VERSION, h->ops->name, o->policy, h->set->n_rules, o->interval_s,
		 h->nguests, o->dry_run ? ", dry run: nothing is sent or written" : "");
	notify_ready();
	notify_status("%zu guests, %zu rules", h->nguests, h->set->n_rules);
	if (notify_watchdog_usec(&h->wd_usec) < 0)
		h->wd_usec = 0;
	return h;
fail:
	*err = r ? r : -EINVAL;
	hostd_free(h);
	return NULL;
}

int hostd_renew_signalfd(struct hostd *h)
{
	/* A signalfd's readiness is tied to the process that made it: after
	 * a fork, epoll in the child would never see the child's signals. */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	if (h->sigfd >= 0) {
		loop_del_fd(h->loop, h->sigfd);
		close(h->sigfd);
	}
	h->sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (h->sigfd < 0)
		return -errno;
	return loop_add_fd(h->loop, h->sigfd, EPOLLIN, signal_cb, h);
}

struct journal *hostd_journal(struct hostd *h)
{
	return h ? h->journal : NULL;
}

int hostd_run(struct hostd *h)
{
	return loop_run(h->loop);
}

void hostd_free(struct hostd *h)
{
	if (!h)
		return;
	while (h->nguests)
		remove_guest(h, h->nguests - 1);
	free(h->guests);
	if (h->chans && h->ops->channels_close)
		h->ops->channels_close(h->chans);
	if (h->bk) {
		int efd = h->ops->event_fd ? h->ops->event_fd(h->bk) : -1;
		if (efd >= 0 && h->loop)
			loop_del_fd(h->loop, efd);
		if (h->ops->knobs) /* the kinds outlive the connection */
			for (const struct knob_ops *const *k = h->ops->knobs; *k; k++)
				knob_bind(*k, NULL);
		h->ops->close(h->bk);
	}
	pol_async_free(h->reload);
	ctl_close(h->ctl);
	mh_server_close(h->mh);
	mh_counters_free(h->mhc);
	if (h->sigfd >= 0)
		close(h->sigfd);
	journal_close(h->journal);
	free(h->held);
	pol_engine_free(h->engine);
	pol_set_free(h->set);
	pol_plan_free(&h->plan);
	hist_store_free(h->hist);
	host_view_free(h->hv);
	loop_free(h->loop);
	free(h);
}

/* ---- control requests ---- */

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
					g->have_host ? &g->hm : NULL, current_knob, &cc, &w, ev,
					h->set->n_rules) : 0;
	for (int i = 0; i < n; i++) {
		const struct pol_rule_eval *x = &ev[i];
		if (x->state == POL_RS_QUIET || x->state == POL_RS_OFF || x->state == POL_RS_UNKNOWN)
			continue;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "rule", json_object_new_string(x->rule->name));
		json_object_object_add(o, "state", json_object_new_string(pol_rstate_name(x->state)));
		json_object_object_add(o, "side", json_object_new_string(pol_rule_side(x->rule)));
		json_object_object_add(o, "description", json_object_new_string(
					       x->rule->description ? x->rule->description : ""));
		json_object_object_add(o, "why", json_object_new_string(x->why));
		json_object_object_add(o, "detail", json_object_new_string(x->detail));
		json_object_object_add(o, "fix", json_object_new_string(x->fix));
		json_object_array_add(a, o);
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
		pol_engine_step(e, g->bk.name, now_ns, &g->gm, hm, current_knob, &cc, &plan);
		pol_engine_step(e, g->bk.name, now_ns + span, &g->gm, hm, current_knob, &cc, &plan);
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

/* journal_revert's remote callback: ask the guest to undo one change. A
 * protocol 2 agent undoes it from its own journal by the record number
 * (JOURNAL_ASKED: its ack marks the record); a protocol 1 agent is sent the
 * old value as an apply (JOURNAL_ASKED too: its ack with that value marks
 * it). -ENOTCONN when the guest is not connected (journal_revert queues
 * it), -EINVAL when its agent cannot be asked this kind. dry_run: the
 * same answer, nothing sent. */
static int revert_remote(void *arg, const struct jrec *rec, int dry_run)
{
	struct hostd *h = arg;
	struct guest *g = find_guest(h, rec->domain);
	struct wire_msg m;
	struct guest_pending p;
	int r;
	if (!g || g->fd < 0 || !g->hello_seen)
		return -ENOTCONN;
	const char *old = rec->old, *cur = NULL;
	journal_values(h->journal, rec->seq, &old, &cur);
	int by_ref = guest_plans(g, rec->kind);
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

static json_object *revert_json(struct hostd *h, json_object *req)
{
	json_object *asked = json_object_new_array();
	h->asked = asked; /* revert_remote lists the guests asked */
	json_object *o = undo_serve(h->journal, h->o.root, h->o.journal, req, h->o.dry_run,
				    revert_remote, h);
	h->asked = NULL;
	json_object_object_add(o, "asked", asked);
	json_object_object_add(o, "by", json_object_new_string("vtune-hostd"));
	return o;
}

/* Where the guest reverts a `vtune revert` asked for stand: for each
 * record number of "seqs", its state ("asked" while the guest has not
 * confirmed) and what was last said about it. */
static json_object *revert_wait_json(struct hostd *h, json_object *req)
{
	json_object *o = json_object_new_object(), *items = json_object_new_array(), *seqs;
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
static json_object *off_json(struct hostd *h, json_object *req)
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
	json_object *o = revert_json(h, all);
	json_object_put(all);
	json_object_object_add(o, "tuning", tuning_json(&h->tuning));
	return o;
}

/* {"cmd":"on"}: `vtune on` (which removed the state file): the rules start
 * afresh. {"ok":true,"tuning":{...as it was}}. */
static json_object *on_json(struct hostd *h)
{
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
static json_object *sriov_json(struct hostd *h, json_object *req)
{
	json_object *v;
	const char *name = json_object_object_get_ex(req, "guest", &v) &&
				   json_object_is_type(v, json_type_string)
			   ? json_object_get_string(v) : NULL;
	struct guest *g = name ? find_guest(h, name) : NULL;
	struct cur_ctx cc = { h, g };
	struct apply_ctx ac;
	struct act_host host;
	struct act_ctx x = { &ac, &host };
	if (g)
		host_ctx(h, g, &cc, &ac, &host);
	struct sriov_ctl_in in = {
		.ops = h->ops, .bk = h->bk, .set = h->set, .journal = h->journal,
		.root = h->o.root, .dry_run = h->o.dry_run, .ac = g ? &ac : NULL,
		.x = g ? &x : NULL,
	};
	return sriov_ctl_json(&in, req);
}

json_object *hostd_handle_request(void *arg, json_object *req)
{
	struct hostd *h = arg;
	json_object *v;
	const char *cmd = json_object_object_get_ex(req, "cmd", &v) &&
				  json_object_is_type(v, json_type_string)
			  ? json_object_get_string(v) : "";
	uint64_t now = vclock_mono_ns();
	if (!strcmp(cmd, "status"))
		return hostd_status_json(h, now);
	if (!strcmp(cmd, "apply")) {
		if (!json_object_object_get_ex(req, "dry_run", &v) || !json_object_get_boolean(v)) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "ok", json_object_new_boolean(0));
			json_object_object_add(o, "error", json_object_new_string(
				"only \"dry_run\":true: the daemon applies on its own every interval"));
			return o;
		}
		return hostd_dry_plan_json(h, now);
	}
	if (!strcmp(cmd, "revert"))
		return revert_json(h, req);
	if (!strcmp(cmd, "revert-wait"))
		return revert_wait_json(h, req);
	if (!strcmp(cmd, "off"))
		return off_json(h, req);
	if (!strcmp(cmd, "on"))
		return on_json(h);
	if (!strcmp(cmd, "verify"))
		return tuning_verify_json(h->journal, h->o.root, h->guests, h->nguests, now);
	if (!strcmp(cmd, "sriov"))
		return sriov_json(h, req);
	if (!strcmp(cmd, "report")) {
		struct hist_report_in in = {
			hostd_status_json(h, now), hostd_dry_plan_json(h, now), h->journal,
			h->guests, h->nguests, h->hist, h->ops->name, vclock_wall_ns(),
		};
		return hist_report_json(&in, req);
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(
		"unknown cmd (status, apply, revert, off, on, verify, report, sriov)"));
	return o;
}
