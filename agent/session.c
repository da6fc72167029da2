/* SPDX-License-Identifier: GPL-2.0-or-later */
/* session: the agent's side of the wire protocol (docs/protocol.md) on one
 * channel: resync + hello on each (re)connect, negotiation, reports, and the
 * host's apply / revert requests carried out through the agent's journal. */
#include "session.h"
#include "action.h"
#include "agent.h"
#include "apply.h"
#include "knob.h"
#include "linebuf.h"
#include "log.h"
#include "report_line.h"
#include "vclock.h"
#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_MIN_MS 20
#define BACKOFF_MAX_MS 500
#define HELLO_RETRY_NS (10 * 1000000000ull) /* re-send hello to a silent host */
#define READ_CHUNK 16384
#define READ_ROUNDS 8 /* chunks per step, so a flood cannot starve reports */

struct session {
	struct session_cfg cfg;
	struct linebuf *lb;
	enum session_state state;
	unsigned version;      /* agreed protocol version, 0 before */
	uint64_t seq;	       /* next report's seq, per connection */
	uint64_t next_report;  /* mono ns */
	uint64_t hello_sent;   /* mono ns of our last hello */
	uint64_t resyncs_seen; /* linebuf resync count at the last host hello */
	uint64_t interval_ns;
	int backoff_ms;
	int open_err;	       /* last vport_open error logged, to say it once */
	struct gv_text line;   /* the report being sent, reused */
	struct session_stats st;
};

const char *session_state_name(enum session_state st)
{
	switch (st) {
	case SESSION_DOWN: return "down";
	case SESSION_HELLO: return "hello";
	case SESSION_UP: return "up";
	}
	return "?";
}

/* ---- the vport as a transport ---- */

static int tv_open(void *c) { return vport_open(c); }
static int tv_fd(const void *c) { return vport_fd(c); }
static int tv_is_port(const void *c) { return vport_is_port(c); }
static int tv_wait(void *c, int ms, int *rd) { return vport_wait(c, ms, rd); }
static long tv_read(void *c, void *b, size_t n) { return vport_read(c, b, n); }
static int tv_send(void *c, const char *d, size_t n, int dr) { return vport_send(c, d, n, dr); }
static int tv_flush(void *c) { return vport_flush(c); }
static void tv_clear(void *c) { vport_clear(c); }
static void tv_hangup(void *c) { vport_hangup(c); }

const struct transport_ops transport_vport_ops = {
	.name = "vport", .open = tv_open, .fd = tv_fd, .is_port = tv_is_port,
	.wait = tv_wait, .read = tv_read, .send = tv_send, .flush = tv_flush,
	.clear = tv_clear, .hangup = tv_hangup,
};

struct session *session_new(const struct session_cfg *cfg, int *err)
{
	if ((cfg->ops ? !cfg->chan : !cfg->port) || !cfg->sample || !cfg->root || !(cfg->interval_s > 0) ||
	    cfg->interval_s > WIRE_MAX_INTERVAL_S) {
		*err = -EINVAL;
		return NULL;
	}
	struct session *s = calloc(1, sizeof *s);
	if (!s || !(s->lb = linebuf_new(WIRE_MAX_LINE))) {
		free(s);
		*err = -ENOMEM;
		return NULL;
	}
	s->cfg = *cfg;
	if (!s->cfg.ops) {
		s->cfg.ops = &transport_vport_ops;
		s->cfg.chan = cfg->port;
	}
	s->state = SESSION_DOWN;
	s->interval_ns = (uint64_t)(cfg->interval_s * 1e9);
	s->backoff_ms = BACKOFF_MIN_MS;
	return s;
}

void session_free(struct session *s)
{
	if (!s)
		return;
	linebuf_free(s->lb);
	gv_text_free(&s->line);
	free(s);
}

enum session_state session_state(const struct session *s)
{
	return s->state;
}

unsigned session_version(const struct session *s)
{
	return s->version;
}

void session_get_stats(const struct session *s, struct session_stats *out)
{
	*out = s->st;
}

/* ---- sending ---- */

/* Encode and queue msg. Reports and our error replies may be dropped when
 * the host does not read; hellos and acks may not. */
static int send_msg(struct session *s, const struct wire_msg *m, int droppable)
{
	char *line = NULL, err[160];
	size_t len;
	int r = wire_encode(m, &line, &len, err, sizeof err);
	if (r) {
		log_warn("session: cannot encode %s: %s", wire_type_name(m->type),
			 r == -EINVAL ? err : strerror(-r));
		return r;
	}
	r = s->cfg.ops->send(s->cfg.chan, line, len, droppable);
	free(line);
	if (r)
		log_warn("session: %s not queued: %s (the host is not reading)",
			 wire_type_name(m->type), strerror(-r));
	return r;
}

static void send_resync(struct session *s)
{
	s->cfg.ops->send(s->cfg.chan, LINEBUF_RESYNC, LINEBUF_RESYNC_LEN, 0);
}

/* The newest protocol version this session offers. */
static unsigned max_version(const struct session *s)
{
	unsigned v = s->cfg.max_v ? s->cfg.max_v : WIRE_V_MAX;
	return v < WIRE_V_MIN ? WIRE_V_MIN : v > WIRE_V_MAX ? WIRE_V_MAX : v;
}

static void send_hello(struct session *s)
{
	struct wire_msg m;
	wire_msg_init(&m, WIRE_HELLO);
	m.v = WIRE_VERSION;
	m.u.hello.role = WIRE_ROLE_AGENT;
	snprintf(m.u.hello.version, sizeof m.u.hello.version, "%s", VTUNE_VERSION);
	m.u.hello.min_v = WIRE_V_MIN;
	m.u.hello.max_v = max_version(s);
	/* the guest actions this agent carries out: the action table's */
	size_t nrows;
	const struct act_def *rows = act_table(&nrows);
	for (size_t i = 0; i < nrows && m.u.hello.ncaps < WIRE_MAX_CAPS; i++)
		if (rows[i].run[POL_GUEST][ACT_HOSTD] == ACT_WIRE &&
		    (rows[i].wire_v <= m.u.hello.max_v || rows[i].wire_old_ok))
			snprintf(m.u.hello.caps[m.u.hello.ncaps++], WIRE_MAX_CAP + 1, "%s",
				 rows[i].name);
	send_resync(s);
	send_msg(s, &m, 0);
	wire_msg_free(&m);
	s->hello_sent = vclock_mono_ns();
}

/* Copy text to what an error / reason field takes: control characters
 * become spaces, at most WIRE_MAX_REASON bytes, valid UTF-8 (a character
 * cut at the end is dropped). */
static void reason_text(char *out, size_t n, const char *in)
{
	size_t max = n - 1 < WIRE_MAX_REASON ? n - 1 : WIRE_MAX_REASON, len = 0;
	for (; in[len] && len < max; len++)
		out[len] = (unsigned char)in[len] < 0x20 || in[len] == 0x7f ? ' ' : in[len];
	out[len] = '\0';
	while (len > 0 && !wire_utf8_valid(out, len))
		out[--len] = '\0';
	if (!len && *in)
		snprintf(out, n, "(unprintable)");
}

static void send_error(struct session *s, const char *reason)
{
	struct wire_msg m;
	wire_msg_init(&m, WIRE_ERROR);
	m.v = s->version ? s->version : WIRE_VERSION;
	reason_text(m.u.error.reason, sizeof m.u.error.reason, reason);
	send_msg(s, &m, 1);
	wire_msg_free(&m);
}

/* ---- connection state ---- */

static void go_down(struct session *s, const char *why)
{
	/* counts in the text: the log suppresses identical repeats */
	if (s->state != SESSION_DOWN)
		log_info("session: host gone (%s) after %" PRIu64 " report(s) on connection %" PRIu64
			 "; waiting for it to come back", why, s->seq, s->st.connects);
	s->state = SESSION_DOWN;
	s->version = 0;
	linebuf_reset(s->lb);
	s->cfg.ops->clear(s->cfg.chan);
	s->cfg.ops->hangup(s->cfg.chan);
}

static void on_connect(struct session *s)
{
	s->st.connects++;
	s->open_err = 0;
	s->version = 0;
	s->seq = 0;
	linebuf_reset(s->lb);
	s->cfg.ops->clear(s->cfg.chan);
	send_hello(s);
	s->state = SESSION_HELLO;
	log_info("session: host there (connection %" PRIu64 "), hello sent", s->st.connects);
}

/* Sleep while the host is absent, longer each time (no spinning: a port
 * without its host polls POLLHUP at once). */
static void nap(struct session *s, int max_ms)
{
	int ms = s->backoff_ms < max_ms ? s->backoff_ms : max_ms;
	if (ms > 0)
		poll(NULL, 0, ms);
	if (s->backoff_ms < BACKOFF_MAX_MS)
		s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
								   : s->backoff_ms * 2;
}

/* ---- requests ---- */

/* Add a result, falling back to an error when a value cannot go on the
 * wire (too long). ref, kind and knobs (< 0: absent) only in version 2. */
static void add_result2(struct wire_msg *ack, uint64_t ref, const char *kind, const char *key,
			const char *old, const char *new, const char *error, long knobs)
{
	char why[WIRE_MAX_REASON + 1];
	if (old && !*old && error)
		old = NULL;
	if (error)
		reason_text(why, sizeof why, error);
	if (ack->v < 2) {
		ref = 0;
		kind = "";
		knobs = -1;
	}
	int r = wire_ack_add_v2(ack, ref, kind, key, old, new, error ? why : NULL, knobs);
	if (r == -EINVAL)
		r = wire_ack_add_v2(ack, ref, kind, key, NULL, NULL,
				    "done, but a value is too long to report", knobs);
	if (r)
		log_warn("session: ack result for %s left out: %s", key, strerror(-r));
}

static void add_result(struct wire_msg *ack, const char *key, const char *old,
		       const char *new, const char *error)
{
	add_result2(ack, 0, "", key, old, new, error, -1);
}

/* The oldest and newest values of the "set" records appended since index
 * from ("applied" marks give the value read back): what a request changed
 * from and to. n counts the knobs. */
static void applied_values(struct journal *j, size_t from, const char **old,
			   const char **new, long *n)
{
	*old = *new = NULL;
	*n = 0;
	for (size_t i = from; i < journal_count(j); i++) {
		const struct jrec *r = journal_record(j, i);
		if (!strcmp(r->op, "set")) {
			if (!*old)
				*old = r->old;
			*new = r->new;
			(*n)++;
		} else if (!strcmp(r->op, "applied") && *r->new) {
			*new = r->new;
		}
	}
}

static void send_ack(struct session *s, struct wire_msg *ack)
{
	ack->v = s->version;
	if (send_msg(s, ack, 0) == 0) {
		s->st.acks++;
		return;
	}
	char reason[96];
	snprintf(reason, sizeof reason, "ack of request %" PRIu64 " could not be sent",
		 ack->u.ack.id);
	send_error(s, reason);
}

/* Is the change seq still open (not reverted, not failed)? */
static int still_open(const struct journal *j, int64_t seq)
{
	const char *st = journal_state(j, seq);
	return st && strcmp(st, "reverted") && strcmp(st, "failed");
}

/* Version 1 has no revert by record: a host reverts a change by asking for
 * its original value as an apply. When value is the original value of an
 * open change of this sysctl in our journal, that change (and the open
 * ones after it on the knob) is undone and marked reverted, not recorded
 * as a new change: a host's revert is never replayed as a change. 1 with
 * the ack's result added, 0 when value undoes nothing here. */
static int undo_v1(struct session *s, const struct wire_change *c, struct wire_msg *ack)
{
	struct journal *j = s->cfg.journal;
	size_t n = journal_count(j), ns = 0;
	int64_t first = 0;
	const char *old, *new;
	for (size_t i = 0; i < n && !first; i++) {
		const struct jrec *r = journal_record(j, i);
		if (!strcmp(r->op, "set") && !strcmp(r->kind, "sysctl") && !*r->domain &&
		    !strcmp(r->key, c->key) && still_open(j, r->seq) &&
		    !journal_values(j, r->seq, &old, &new) && knob_value_equal(old, c->value))
			first = r->seq;
	}
	if (!first)
		return 0;
	int64_t *seqs = calloc(n, sizeof *seqs);
	if (!seqs)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct jrec *r = journal_record(j, i);
		if (r->seq >= first && !strcmp(r->op, "set") && !strcmp(r->kind, "sysctl") &&
		    !*r->domain && !strcmp(r->key, c->key) && still_open(j, r->seq))
			seqs[ns++] = r->seq;
	}
	struct revert_sel sel = { .by = REVERT_SEQ, .refs = seqs, .nrefs = ns };
	size_t before = journal_count(j);
	int r = journal_revert(j, s->cfg.root, &sel, 0, 0, NULL, NULL, NULL);
	free(seqs);
	const char *found = NULL, *error = NULL;
	for (size_t i = before; i < journal_count(j); i++) {
		const struct jrec *m = journal_record(j, i);
		if (!strcmp(m->op, "reverted") && !found)
			found = m->old;
		else if (!strcmp(m->op, "skipped") && !error)
			error = *m->detail ? m->detail : "not reverted";
	}
	if (r < 0)
		error = strerror(-r);
	if (error)
		add_result(ack, c->key, found ? found : "", NULL, error);
	else
		add_result(ack, c->key, found ? found : c->value, c->value, NULL);
	log_info("session: host request: %s %s: its original value, %s", c->key, c->value,
		 error ? "not restored" : "restored by reverting vtune's change (not a new one)");
	return 1;
}

/* Version 1: a sysctl value, exactly as the host computed it. */
static void apply_v1(struct session *s, const struct wire_apply *a,
		     const struct wire_change *c, struct wire_msg *ack)
{
	char msg[512], why[64], cur[KNOB_VALUE_MAX];
	const struct knob *k = knob_find("sysctl");
	const char *old, *new;
	long n;

	if (undo_v1(s, c, ack))
		return;
	snprintf(why, sizeof why, "host request %" PRIu64, a->id);
	struct jrec rec = {
		.side = "guest", .domain = "", .kind = "sysctl", .target = "",
		.key = c->key, .new = c->value, .rule = a->rule, .why = why,
	};
	size_t before = journal_count(s->cfg.journal);
	msg[0] = '\0';
	int r = journal_apply(s->cfg.journal, s->cfg.root, &rec, 0, msg, sizeof msg);
	if (r == 0) {
		applied_values(s->cfg.journal, before, &old, &new, &n);
		add_result(ack, c->key, old ? old : "", new ? new : c->value, NULL);
		s->st.changes++;
		return;
	}
	int rr = knob_read(k, s->cfg.root, "", c->key, cur, sizeof cur);
	if (r == JOURNAL_UNCHANGED) {
		add_result(ack, c->key, rr ? c->value : cur, rr ? c->value : cur, NULL);
		return;
	}
	if (!msg[0])
		snprintf(msg, sizeof msg, "%s", strerror(r < 0 ? -r : EINVAL));
	log_warn("session: host request %" PRIu64 ": %s", a->id, msg);
	add_result(ack, c->key, rr ? NULL : cur, NULL, msg);
	s->st.refused++;
}

/* Version 2: a guest action of the action table, planned here from the
 * value this guest has, within this agent's own allow-list, journaled with
 * the host's record number so that the host can name it in a revert. */
static void apply_v2(struct session *s, const struct wire_apply *a,
		     const struct wire_change *c, struct wire_msg *ack)
{
	struct act_spec spec = {
		.target = c->target, .key = c->key, .op = c->op[0] ? c->op : NULL,
		.value = c->has_value ? c->value : NULL, .min = c->has_min ? c->min : NULL,
		.max = c->has_max ? c->max : NULL,
	};
	struct pol_action act;
	struct pol_rule rule;
	struct pol_plan plan;
	char why[256], req[64];
	int failed = 0;

	if (act_from_spec(c->kind, &spec, &act, why, sizeof why)) {
		log_warn("session: host request %" PRIu64 ": %s %s refused: %s", a->id, c->kind,
			 c->key, why);
		add_result2(ack, c->ref, c->kind, c->key, NULL, NULL, why, 0);
		s->st.refused++;
		return;
	}
	memset(&rule, 0, sizeof rule);
	snprintf(rule.name, sizeof rule.name, "%.*s", (int)sizeof rule.name - 1, a->rule);
	snprintf(req, sizeof req, "host request %" PRIu64, a->id);
	pol_plan_init(&plan);
	struct act_plan_in in = { &rule, &act, req, agent_current_knob, (void *)s->cfg.root,
				  NULL, NULL };
	if (act_plan(&in, &plan) || plan.n != 1) {
		add_result2(ack, c->ref, c->kind, c->key, NULL, NULL, "out of memory", 0);
		pol_plan_free(&plan);
		return;
	}
	const struct pol_change *ch = &plan.v[0];
	if (!strcmp(ch->kind, "note")) {
		/* nothing to change: at a bound, or already there */
		log_info("session: host request %" PRIu64 ": %s", a->id, ch->note);
		add_result2(ack, c->ref, c->kind, c->key, ch->old, ch->old, NULL, 0);
		pol_plan_free(&plan);
		return;
	}
	struct apply_ctx ac = {
		.journal = s->cfg.journal, .root = s->cfg.root, .subject = "local",
		.host_ref = (int64_t)c->ref, .why_prefix = req, .failed = &failed,
	};
	struct act_ctx x = { &ac, NULL };
	size_t before = journal_count(s->cfg.journal);
	int r = apply_change(&x, ch, ACT_AGENT);
	const char *old, *new;
	long n;
	applied_values(s->cfg.journal, before, &old, &new, &n);
	if (r < 0 || failed) {
		snprintf(why, sizeof why, "%s", r < 0 ? strerror(-r)
			 : "refused or failed in the guest (see its log)");
		add_result2(ack, c->ref, c->kind, c->key, old, NULL, why, n);
		s->st.refused++;
	} else {
		char cur[KNOB_VALUE_MAX] = "";
		if (!n && !agent_current_knob((void *)s->cfg.root, POL_GUEST, ch->kind, ch->key,
					      cur, sizeof cur))
			old = new = cur; /* already there */
		add_result2(ack, c->ref, c->kind, c->key, old ? old : "", new ? new : ch->new,
			    NULL, n);
		s->st.changes += (uint64_t)n;
	}
	pol_plan_free(&plan);
}

static void handle_apply(struct session *s, const struct wire_apply *a, unsigned v)
{
	struct wire_msg ack;
	wire_msg_init(&ack, WIRE_ACK);
	ack.v = s->version;
	ack.u.ack.id = a->id;
	for (unsigned i = 0; i < a->nchanges; i++) {
		const struct wire_change *c = &a->changes[i];
		if (!s->cfg.journal) {
			add_result2(&ack, c->ref, c->kind, c->key, NULL, NULL,
				    "no change journal: changes refused", 0);
			s->st.refused++;
		} else if (v >= 2) {
			apply_v2(s, a, c, &ack);
		} else {
			apply_v1(s, a, c, &ack);
		}
	}
	send_ack(s, &ack);
	wire_msg_free(&ack);
}

/* Version 2 revert by the host's record numbers: one result per ref, the
 * knobs of that change undone from this agent's own journal (marked
 * "reverted" there: not a new change). */
static void revert_refs(struct session *s, const struct wire_revert *rv, struct wire_msg *ack)
{
	struct journal *j = s->cfg.journal;
	for (unsigned i = 0; i < rv->nrefs; i++) {
		int64_t ref = (int64_t)rv->refs[i];
		struct revert_sel sel = { .by = REVERT_HOST_REF, .refs = &ref, .nrefs = 1 };
		const char *key = NULL, *kind = "", *found = NULL, *restored = NULL,
			   *error = NULL;
		long knobs = 0;
		size_t before = journal_count(j);
		int r = journal_revert(j, s->cfg.root, &sel, 0, 0, NULL, NULL, NULL);
		for (size_t k = before; k < journal_count(j); k++) {
			const struct jrec *m = journal_record(j, k);
			const struct jrec *set = journal_find(j, m->ref);
			if (!key && set) {
				key = set->key;
				kind = set->kind;
			}
			if (!strcmp(m->op, "reverted")) {
				knobs++;
				if (!found) {
					found = m->old;
					restored = m->new;
				}
			} else if (!strcmp(m->op, "skipped") && !error) {
				error = *m->detail ? m->detail : "not reverted";
			}
		}
		if (r < 0)
			error = strerror(-r);
		if (!key) {
			/* nothing open for it: never made, or undone already */
			add_result2(ack, rv->refs[i], "", "none", "", "", NULL, 0);
			continue;
		}
		add_result2(ack, rv->refs[i], kind, key, found ? found : "",
			    error ? NULL : restored ? restored : "", error, knobs);
		s->st.changes += (uint64_t)knobs;
	}
}

static void handle_revert(struct session *s, const struct wire_revert *rv)
{
	struct wire_msg ack;
	struct revert_sel sel = { .by = rv->all ? REVERT_ALL : REVERT_RULE,
				  .rule = rv->all ? NULL : rv->rule };
	struct journal *j = s->cfg.journal;
	size_t skipped = 0;

	wire_msg_init(&ack, WIRE_ACK);
	ack.v = s->version;
	ack.u.ack.id = rv->id;
	if (!j) {
		send_ack(s, &ack);
		wire_msg_free(&ack);
		return;
	}
	if (rv->nrefs) {
		revert_refs(s, rv, &ack);
		log_info("session: host request %" PRIu64 ": revert of %u change(s): %u result(s)",
			 rv->id, rv->nrefs, ack.u.ack.nresults);
		send_ack(s, &ack);
		wire_msg_free(&ack);
		return;
	}
	size_t before = journal_count(j);
	int r = journal_revert(j, s->cfg.root, &sel, 0, 0, NULL, NULL, NULL);
	for (size_t i = before; i < journal_count(j); i++) {
		const struct jrec *m = journal_record(j, i);
		s->st.changes += !strcmp(m->op, "reverted");
		if (ack.u.ack.nresults >= WIRE_MAX_RESULTS) {
			skipped++;
			continue;
		}
		if (!strcmp(m->op, "reverted"))
			add_result(&ack, m->key, m->old, m->new, NULL);
		else if (!strcmp(m->op, "skipped"))
			add_result(&ack, m->key, m->old, NULL, *m->detail ? m->detail : "not reverted");
	}
	log_info("session: host request %" PRIu64 ": revert %s%s: %u result(s)%s", rv->id,
		 rv->all ? "all" : "rule ", rv->all ? "" : rv->rule, ack.u.ack.nresults,
		 r > 0 ? ", some left alone" : "");
	if (skipped)
		log_warn("session: revert %" PRIu64 ": %zu result(s) past the ack's limit left out",
			 rv->id, skipped);
	send_ack(s, &ack);
	wire_msg_free(&ack);
	if (r < 0) {
		char reason[128];
		snprintf(reason, sizeof reason, "revert %" PRIu64 ": journal: %s", rv->id,
			 strerror(-r));
		send_error(s, reason);
	}
}

static void handle_hello(struct session *s, const struct wire_hello *h)
{
	char err[WIRE_MAX_REASON + 1];
	unsigned v;
	struct linebuf_stats ls;

	if (h->role != WIRE_ROLE_HOST) {
		send_error(s, "hello: role must be \"host\"");
		return;
	}
	if (wire_negotiate(WIRE_V_MIN, max_version(s), h->min_v, h->max_v, &v, err, sizeof err)) {
		log_warn("session: host %s: %s", h->version, err);
		send_error(s, err);
		s->state = SESSION_HELLO; /* wait for a host we can talk to */
		s->version = 0;
		return;
	}
	linebuf_get_stats(s->lb, &ls);
	if (s->state == SESSION_UP && ls.resyncs != s->resyncs_seen) {
		/* a host that resynced and said hello again has reconnected
		 * without our noticing: it needs our hello too */
		send_hello(s);
		s->seq = 0;
	}
	s->resyncs_seen = ls.resyncs;
	if (s->state != SESSION_UP)
		log_info("session: host %s, protocol version %u (connection %" PRIu64 ")",
			 h->version, v, s->st.connects);
	s->st.hellos++;
	s->backoff_ms = BACKOFF_MIN_MS; /* a real host: reconnect fast next time */
	s->version = v;
	s->state = SESSION_UP;
	s->next_report = vclock_mono_ns() + s->interval_ns;
}

static void bad_line(struct session *s, const char *reason)
{
	s->st.bad_lines++;
	log_warn("session: line from the host refused: %s", reason);
	/* resync the host's framer, then say why */
	send_resync(s);
	send_error(s, reason);
}

static int on_line(void *arg, int status, const char *line, size_t len)
{
	struct session *s = arg;
	char err[WIRE_MAX_REASON + 1];
	struct wire_msg m;

	if (status == -EMSGSIZE) {
		bad_line(s, "line longer than 65536 bytes");
		return 0;
	}
	if (status) {
		bad_line(s, "line with a NUL byte");
		return 0;
	}
	int r = wire_decode(line, len, &m, err, sizeof err);
	if (r) {
		bad_line(s, r == -ENOMEM ? "out of memory" : err);
		return 0;
	}
	switch (m.type) {
	case WIRE_HELLO:
		handle_hello(s, &m.u.hello);
		break;
	case WIRE_APPLY:
	case WIRE_REVERT:
		if (s->state != SESSION_UP) {
			send_error(s, "request before hello: refused");
			break;
		}
		if (m.type == WIRE_APPLY)
			handle_apply(s, &m.u.apply, m.v);
		else
			handle_revert(s, &m.u.revert);
		break;
	case WIRE_ERROR:
		s->st.errors_rx++;
		log_warn("session: the host says: %s", m.u.error.reason);
		break;
	default:
		send_error(s, "unexpected message type from a host");
		break;
	}
	wire_msg_free(&m);
	return 0;
}

/* ---- reports ---- */

static void send_report(struct session *s, uint64_t now)
{
	const char *sample;
	size_t len;
	double iv = s->cfg.interval_s;
	if (s->cfg.sample(s->cfg.sample_arg, &sample, &len, &iv))
		return;
	if (!(iv > 0))
		iv = s->cfg.interval_s;
	if (iv > WIRE_MAX_INTERVAL_S)
		iv = WIRE_MAX_INTERVAL_S;
	int r = report_line(&s->line, s->version, s->seq,
			    now > INT64_MAX ? INT64_MAX : now, iv, sample, len);
	if (r) {
		log_warn("session: cannot encode report: %s", strerror(-r));
		return;
	}
	r = s->cfg.ops->send(s->cfg.chan, s->line.p, s->line.len, 1);
	if (r) {
		log_warn("session: report not queued: %s (the host is not reading)",
			 strerror(-r));
		return;
	}
	s->st.reports++;
	s->seq = s->seq < WIRE_MAX_ID ? s->seq + 1 : 0;
}

/* ---- the step ---- */

static int read_input(struct session *s)
{
	char buf[READ_CHUNK];
	for (int i = 0; i < READ_ROUNDS; i++) {
		long n = s->cfg.ops->read(s->cfg.chan, buf, sizeof buf);
		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			go_down(s, n == -ENOTCONN ? "hung up" : strerror((int)-n));
			return -1;
		}
		linebuf_feed(s->lb, buf, (size_t)n, vclock_mono_ns(), on_line, s);
		if (s->state == SESSION_DOWN)
			return -1;
	}
	return 0;
}

static int flush_output(struct session *s)
{
	int r = s->cfg.ops->flush(s->cfg.chan);
	if (r == 0 || r == -EAGAIN)
		return 0;
	go_down(s, strerror(-r));
	return -1;
}

int session_step(struct session *s, int max_ms)
{
	int readable, r;

	if (max_ms < 0)
		max_ms = 0;
	if (s->cfg.ops->fd(s->cfg.chan) < 0) {
		if (s->state != SESSION_DOWN)
			go_down(s, "channel closed");
		r = s->cfg.ops->open(s->cfg.chan);
		if (r) {
			if (r != s->open_err)
				log_info("session: channel not open: %s%s; retrying", strerror(-r),
					 r == -EBUSY ? " (another process has the port)" : "");
			s->open_err = r;
			nap(s, max_ms);
			return 0;
		}
		s->open_err = 0;
		if (!s->cfg.ops->is_port(s->cfg.chan))
			on_connect(s); /* a socket: connected is the host there */
	}
	if (s->state == SESSION_DOWN) {
		/* a port: is the host end connected? (POLLHUP while not) */
		r = s->cfg.ops->wait(s->cfg.chan, 0, &readable);
		if (r <= 0) {
			nap(s, max_ms);
			return 0;
		}
		on_connect(s);
	}
	if (flush_output(s))
		return 0;

	uint64_t now = vclock_mono_ns();
	int timeout = max_ms;
	if (s->state == SESSION_UP) {
		uint64_t left = s->next_report > now ? s->next_report - now : 0;
		uint64_t ms = (left + 999999) / 1000000;
		if (ms < (uint64_t)timeout)
			timeout = (int)ms;
	}
	r = s->cfg.ops->wait(s->cfg.chan, timeout, &readable);
	if (r < 0) {
		go_down(s, strerror(-r));
		nap(s, max_ms);
		return 0;
	}
	/* after a loss, nap before looking again: the backoff grows until
	 * a host says hello, so a channel that flaps cannot make us spin */
	if (r == 0) {
		go_down(s, "hung up");
		nap(s, max_ms);
		return 0;
	}
	if (readable && read_input(s)) {
		nap(s, max_ms);
		return 0;
	}

	now = vclock_mono_ns();
	if (s->state == SESSION_UP && now >= s->next_report) {
		send_report(s, now);
		s->next_report += s->interval_ns;
		if (s->next_report <= now)
			s->next_report = now + s->interval_ns;
	} else if (s->state == SESSION_HELLO && now - s->hello_sent >= HELLO_RETRY_NS) {
		send_hello(s); /* a host that missed it (it restarted, say) */
	}
	flush_output(s);
	return 0;
}
