/* SPDX-License-Identifier: GPL-2.0-or-later */
/* journal: the change journal's records in memory (open changes and their
 * marks), appending (fsync'd before every change), journaled apply and
 * exact revert. The file itself: journal_file.c. */
#include "journal.h"
#include "journal_int.h"
#include "knob.h"
#include "log.h"
#include "parse.h"
#include "sanitize.h"
#include "vclock.h"
#include "vec.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void (*apply_hook)(enum journal_point, const struct jrec *);

void journal_set_hook(void (*hook)(enum journal_point, const struct jrec *))
{
	apply_hook = hook;
}

static void hook(enum journal_point pt, const struct jrec *rec)
{
	if (apply_hook)
		apply_hook(pt, rec);
}

/* ---- records in memory ---- */

static const char *const op_names[] = {
	"set", "applied", "failed", "reverted", "skipped", "asked",
};

/* The static name for op, or NULL when it is no known op. */
static const char *op_static(const char *op)
{
	for (size_t i = 0; op && i < sizeof op_names / sizeof *op_names; i++)
		if (!strcmp(op, op_names[i]))
			return op_names[i];
	return NULL;
}

#define NSTR 12
static const char *const str_names[NSTR] = {
	"op", "side", "domain", "kind", "target", "key", "old", "new",
	"rule", "why", "detail", "guest",
};

static const char **str_field(struct jrec *r, int i)
{
	const char **f[NSTR] = {
		&r->op, &r->side, &r->domain, &r->kind, &r->target, &r->key,
		&r->old, &r->new, &r->rule, &r->why, &r->detail, &r->guest,
	};
	return f[i];
}

/* Deep copy of r (NULL strings become "") in one allocation. */
struct jent *jrn_ent_new(const struct jrec *src)
{
	struct jrec tmp = *src;
	size_t len[NSTR], total = sizeof(struct jent);

	for (int i = 0; i < NSTR; i++) {
		const char *s = *str_field(&tmp, i);
		len[i] = s ? strlen(s) : 0;
		total += len[i] + 1;
	}
	struct jent *e = calloc(1, total);
	if (!e)
		return NULL;
	e->r = tmp;
	char *p = (char *)(e + 1);
	for (int i = 0; i < NSTR; i++) {
		const char *s = *str_field(&tmp, i);
		memcpy(p, s ? s : "", len[i]);
		p[len[i]] = '\0';
		*str_field(&e->r, i) = p;
		p += len[i] + 1;
	}
	if (!strcmp(e->r.op, "set")) {
		e->state = "set";
		e->eff_new = e->r.new;
		e->eff_old = e->r.old;
	}
	return e;
}

struct jent *jrn_find(const struct journal *j, int64_t seq)
{
	size_t lo = 0, hi = j->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (j->ents[mid]->r.seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < j->n && j->ents[lo]->r.seq == seq ? j->ents[lo] : NULL;
}

/* Add e (seq already checked to be increasing); marks update their set. */
int jrn_add(struct journal *j, struct jent *e)
{
	int r = VEC_RESERVE(j->ents, j->cap, j->n + 1);
	if (r)
		return r;
	if (strcmp(e->r.op, "set")) {
		struct jent *set = jrn_find(j, e->r.ref);
		set->state = op_static(e->r.op);
		if (!strcmp(e->r.op, "applied") && *e->r.new)
			set->eff_new = e->r.new;
		/* an applied mark's old is the value found where the change was
		 * made (a guest's ack): the original, over the value the record
		 * was planned from, which may be a report's older reading */
		if (!strcmp(e->r.op, "applied") && *e->r.old)
			set->eff_old = e->r.old;
	}
	j->ents[j->n++] = e;
	j->last_seq = e->r.seq;
	return 0;
}

int jrn_closed(const struct jent *e)
{
	return e->state && (!strcmp(e->state, "reverted") || !strcmp(e->state, "failed"));
}

/* Is rec a valid record that can follow the journal's records? Returns 0
 * or -EINVAL with a reason (-ENOENT: see journal_int.h). */
int jrn_validate(const struct journal *j, const struct jrec *r, int loading,
		 const char **reason)
{
	if (r->seq <= 0 || r->seq <= j->last_seq)
		return *reason = "seq missing or not increasing", -EINVAL;
	if (!op_static(r->op))
		return *reason = "unknown op", -EINVAL;
	for (int i = 0; i < NSTR; i++) {
		const char *s = *str_field((struct jrec *)r, i);
		if (s && strlen(s) >= JOURNAL_FIELD_MAX)
			return *reason = "field too long", -E2BIG;
	}
	if (!strcmp(r->op, "set")) {
		if (!r->side || (strcmp(r->side, "guest") && strcmp(r->side, "host")))
			return *reason = "side must be guest or host", -EINVAL;
		if (!r->kind || !*r->kind || !r->key || !*r->key)
			return *reason = "kind and key are required", -EINVAL;
		if (!r->old || !r->new)
			return *reason = "old and new are required", -EINVAL;
		if (r->ref)
			return *reason = "a set record has no ref", -EINVAL;
	} else {
		struct jent *set = r->ref > 0 ? jrn_find(j, r->ref) : NULL;
		if (!set && loading && r->ref > 0)
			return *reason = "its change was compacted away", -ENOENT;
		if (!set || strcmp(set->r.op, "set"))
			return *reason = "ref names no set record", -EINVAL;
	}
	return 0;
}

/* ---- JSON ---- */

json_object *jrn_to_json(const struct jrec *r)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "seq", json_object_new_int64(r->seq));
	json_object_object_add(o, "time", json_object_new_int64((int64_t)r->time_ns));
	if (r->ref)
		json_object_object_add(o, "ref", json_object_new_int64(r->ref));
	if (r->host_ref)
		json_object_object_add(o, "host_ref", json_object_new_int64(r->host_ref));
	for (int i = 0; i < NSTR; i++) {
		const char *s = *str_field((struct jrec *)r, i);
		if (!s || (!*s && i >= 8)) /* detail, rule, why only when set */
			continue;
		size_t n = strlen(s);
		char *t = san_needed(s, n) ? malloc(n * 8 + 1) : NULL;
		if (t) /* no raw control or bidi bytes into the journal either */
			san_text(s, n, t, n * 8 + 1);
		json_object_object_add(o, str_names[i], json_object_new_string(t ? t : s));
		free(t);
	}
	return o;
}

struct jent *jrn_parse(const struct journal *j, const char *line, size_t len,
		       const char **reason, int *stale)
{
	struct jent *e = NULL;
	struct jrec r = { 0 };
	json_object *o = NULL, *v;

	if (len == 0)
		return *reason = "empty line", NULL;
	if (len >= JOURNAL_LINE_MAX)
		return *reason = "line too long", NULL;
	if (memchr(line, '\0', len))
		return *reason = "NUL byte", NULL;
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return *reason = "out of memory", NULL;
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		*reason = "bad JSON";
		goto out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		*reason = "not a JSON object";
		goto out;
	}
	if (!json_object_object_get_ex(o, "seq", &v) || !json_object_is_type(v, json_type_int) ||
	    (r.seq = json_object_get_int64(v)) <= 0) {
		*reason = "seq missing or not a positive integer";
		goto out;
	}
	if (!json_object_object_get_ex(o, "time", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0) {
		*reason = "time missing or negative";
		goto out;
	}
	r.time_ns = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "ref", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    (r.ref = json_object_get_int64(v)) <= 0) {
			*reason = "ref not a positive integer";
			goto out;
		}
	}
	if (json_object_object_get_ex(o, "host_ref", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    (r.host_ref = json_object_get_int64(v)) <= 0) {
			*reason = "host_ref not a positive integer";
			goto out;
		}
	}
	for (int i = 0; i < NSTR; i++) {
		if (!json_object_object_get_ex(o, str_names[i], &v))
			continue;
		if (!json_object_is_type(v, json_type_string) ||
		    (size_t)json_object_get_string_len(v) != strlen(json_object_get_string(v))) {
			*reason = "string field of the wrong type";
			goto out;
		}
		*str_field(&r, i) = json_object_get_string(v);
	}
	*stale = 0;
	int vr = jrn_validate(j, &r, 1, reason);
	if (vr == -ENOENT)
		*stale = 1;
	if (vr)
		goto out;
	e = jrn_ent_new(&r);
	if (!e)
		*reason = "out of memory";
out:
	json_object_put(o);
	json_tokener_free(tok);
	return e;
}

struct journal *journal_open(const char *path, int *err)
{
	return jrn_open(path, 0, err);
}

struct journal *journal_open_ro(const char *path, int *err)
{
	return jrn_open(path, 1, err);
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0) {
		journal_sync(j);
		close(j->fd);
	}
	for (size_t i = 0; i < j->n; i++)
		free(j->ents[i]);
	for (size_t i = 0; i < j->ndamage; i++)
		free(j->damage[i]);
	free(j->ents);
	free(j->path);
	free(j);
}

size_t journal_count(const struct journal *j)
{
	return j->n;
}

const struct jrec *journal_record(const struct journal *j, size_t i)
{
	return i < j->n ? &j->ents[i]->r : NULL;
}

const struct jrec *journal_find(const struct journal *j, int64_t seq)
{
	struct jent *e = jrn_find(j, seq);
	return e ? &e->r : NULL;
}

size_t journal_corrupt_count(const struct journal *j)
{
	return j->corrupt;
}

const char *journal_state(const struct journal *j, int64_t seq)
{
	struct jent *e = jrn_find(j, seq);
	return e && e->state ? e->state : NULL;
}

/* Write r (seq and time filled in here) as one line, fdatasync it when
 * sync (which makes every record before it durable too), keep it. */
static int64_t append(struct journal *j, struct jrec *r, int sync)
{
	const char *reason = "";
	int err;

	if (!jrn_writable(j))
		return -EROFS;
	r->seq = j->last_seq + 1;
	r->time_ns = vclock_wall_ns();
	err = jrn_validate(j, r, 0, &reason);
	if (err) {
		log_err("journal %s: refusing a record: %s", j->path, reason);
		return err;
	}
	if (j->fwd) {
		/* the writing process numbers and stamps it: the same numbers, as
		 * it is the only writer */
		int64_t seq = 0;
		uint64_t t = 0;
		err = j->fwd(j->fwd_arg, JOURNAL_FWD_APPEND, r, sync, &seq, &t);
		if (!err && seq != r->seq) {
			log_err("journal %s: the writer gave record %lld, expected %lld", j->path,
				(long long)seq, (long long)r->seq);
			err = -EPROTO;
		}
		if (err)
			return err;
		r->time_ns = t;
	}
	struct jent *e = jrn_ent_new(r);
	if (!e)
		return -ENOMEM;
	err = j->fwd ? 0 : jrn_write(j, r, sync);
	if (!err)
		err = jrn_add(j, e);
	if (err)
		free(e);
	return err ? err : r->seq;
}

static int64_t intent(struct journal *j, const struct jrec *rec, int sync)
{
	struct jrec r = *rec;
	r.op = "set";
	r.ref = 0;
	r.detail = NULL;
	return append(j, &r, sync);
}

int64_t journal_intent(struct journal *j, const struct jrec *rec)
{
	return intent(j, rec, !j->batch);
}

int journal_sync(struct journal *j)
{
	if (j && j->fwd)
		return j->fwd(j->fwd_arg, JOURNAL_FWD_SYNC, NULL, 0, NULL, NULL);
	if (!j || j->fd < 0 || !j->unsynced)
		return 0;
	if (fdatasync(j->fd) < 0) {
		int err = -errno;
		log_err("journal %s: sync failed: %s", j->path, strerror(-err));
		return err;
	}
	j->unsynced = 0;
	j->syncs++;
	return 0;
}

size_t journal_sync_count(const struct journal *j)
{
	return j ? j->syncs : 0;
}

void journal_batch_begin(struct journal *j)
{
	if (j)
		j->batch = 1;
}

int journal_batch_end(struct journal *j)
{
	if (!j)
		return 0;
	j->batch = 0;
	return journal_sync(j);
}

static int mark(struct journal *j, int64_t seq, const char *op,
		const char *detail, const char *old, const char *new)
{
	struct jent *set = jrn_find(j, seq);
	if (!op_static(op) || !strcmp(op, "set"))
		return -EINVAL;
	if (!set || strcmp(set->r.op, "set"))
		return -ENOENT;
	struct jrec r = {
		.ref = seq, .op = op, .side = set->r.side,
		.domain = set->r.domain, .kind = set->r.kind,
		.target = set->r.target, .key = set->r.key, .rule = set->r.rule,
		.old = old, .new = new, .detail = detail, .guest = set->r.guest,
	};
	int64_t s = append(j, &r, 0); /* an outcome: see journal.h */
	return s < 0 ? (int)s : 0;
}

int journal_mark(struct journal *j, int64_t seq, const char *op,
		 const char *detail)
{
	return mark(j, seq, op, detail, NULL, NULL);
}

int journal_mark_values(struct journal *j, int64_t seq, const char *op,
			const char *detail, const char *old, const char *new)
{
	return mark(j, seq, op, detail, old, new);
}

int64_t journal_last_seq(const struct journal *j)
{
	return j ? j->last_seq : 0;
}

int journal_values(const struct journal *j, int64_t seq, const char **old,
		   const char **new)
{
	const struct jent *e = jrn_find(j, seq);
	if (!e || strcmp(e->r.op, "set"))
		return -ENOENT;
	*old = e->eff_old;
	*new = e->eff_new;
	return 0;
}

/* ---- apply and revert ---- */

static int is_remote(const struct jrec *r)
{
	return r->side && !strcmp(r->side, "guest") && r->domain && *r->domain;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

void journal_label(const struct jrec *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s %s%s%s", is_remote(r) ? "guest " : "",
		 is_remote(r) ? r->domain : "", is_remote(r) ? " " : "",
		 r->kind, nz(r->target), *nz(r->target) ? " " : "", r->key);
}

/* "RULE" or "RULE, for guest G": what a message says in its "(rule ...)". */
static const char *rule_label(const struct jrec *r, char *buf, size_t n)
{
	if (r->guest && *r->guest && !is_remote(r))
		snprintf(buf, n, "%s, for guest %s", nz(r->rule), r->guest);
	else
		snprintf(buf, n, "%s", nz(r->rule));
	return buf;
}

/* Value for printing: one space between tokens. */
static const char *show(const char *v, char *buf, size_t n)
{
	knob_value_normalize(nz(v), buf, n);
	return buf;
}

int journal_apply(struct journal *j, const char *root, const struct jrec *change,
		  int dry_run, char *msg, size_t n)
{
	char cur[KNOB_VALUE_MAX], back[KNOB_VALUE_MAX], lb[512], why[256];
	char s1[KNOB_VALUE_MAX], s2[KNOB_VALUE_MAX], own[512];
	const struct knob *k;
	struct jrec rec = *change;
	int r;

	if (!msg || !n) {
		msg = own; /* callers may pass no buffer */
		n = sizeof own;
	}
	msg[0] = '\0';
	if (!rec.kind || !rec.key || !rec.new || !rec.side ||
	    (strcmp(rec.side, "guest") && strcmp(rec.side, "host"))) {
		snprintf(msg, n, "bad change: side, kind, key and new are required");
		return -EINVAL;
	}
	journal_label(&rec, lb, sizeof lb);
	char rl[300];
	rule_label(&rec, rl, sizeof rl);
	if (is_remote(&rec)) {
		snprintf(msg, n, "%s: a change in a guest goes through the host daemon", lb);
		return -EINVAL;
	}
	k = knob_find(rec.kind);
	if (!k) {
		snprintf(msg, n, "%s: unknown knob kind", lb);
		return -ENOENT;
	}
	r = knob_read(k, root, rec.target, rec.key, cur, sizeof cur);
	if (r) {
		snprintf(msg, n, "%s: cannot read: %s", lb, strerror(-r));
		return r;
	}
	why[0] = '\0';
	r = knob_check(k, rec.target, rec.key, rec.new, why, sizeof why);
	if (r) {
		snprintf(msg, n, "refused %s %s: %s", lb,
			 show(rec.new, s2, sizeof s2), why[0] ? why : strerror(-r));
		return r;
	}
	if (knob_equal(k, rec.key, cur, rec.new)) {
		snprintf(msg, n, "unchanged %s already %s (rule %s)", lb,
			 show(cur, s1, sizeof s1), rl);
		return JOURNAL_UNCHANGED;
	}
	show(cur, s1, sizeof s1);
	show(rec.new, s2, sizeof s2);
	if (dry_run) {
		snprintf(msg, n, "would set %s %s -> %s (rule %s)", lb, s1, s2,
			 rl);
		return 0;
	}
	rec.old = cur;
	hook(JOURNAL_BEFORE_INTENT, &rec);
	int64_t seq = intent(j, &rec, 1); /* the change follows at once */
	if (seq < 0) {
		snprintf(msg, n, "%s: journal write failed, nothing changed: %s",
			 lb, strerror((int)-seq));
		return (int)seq;
	}
	hook(JOURNAL_AFTER_INTENT, &rec);
	r = knob_write(k, root, rec.target, rec.key, rec.new);
	hook(JOURNAL_AFTER_WRITE, &rec);
	if (r) {
		char detail[512];
		int rr = knob_read(k, root, rec.target, rec.key, back, sizeof back);
		if (rr || !knob_equal(k, rec.key, back, cur)) {
			rr = knob_restore(k, root, rec.target, rec.key, cur);
			if (rr)
				log_err("%s: could not put back %s: %s", lb, s1, strerror(-rr));
		}
		snprintf(detail, sizeof detail, "%s", strerror(-r));
		if (mark(j, seq, "failed", detail, NULL, NULL))
			log_err("%s: could not journal the failure", lb);
		hook(JOURNAL_AFTER_MARK, &rec);
		snprintf(msg, n, "failed %s %s -> %s (rule %s): %s", lb, s1, s2,
			 rl, detail);
		log_warn("%s", msg);
		return r;
	}
	/* What the kernel kept is what revert must expect to find. */
	const char *kept = rec.new, *detail = NULL;
	if (!knob_read(k, root, rec.target, rec.key, back, sizeof back) &&
	    !knob_equal(k, rec.key, back, rec.new)) {
		kept = back;
		detail = "the kernel stored a different value";
	}
	if (mark(j, seq, "applied", detail, NULL, kept))
		log_err("%s: applied but the \"applied\" mark could not be "
			"journaled (revert still works from the intent)", lb);
	hook(JOURNAL_AFTER_MARK, &rec);
	snprintf(msg, n, "set %s %s -> %s (rule %s)", lb, s1, show(kept, s2, sizeof s2),
		 rl);
	log_change(LOG_INFO, "%s%s%s", msg, rec.why && *rec.why ? ": " : "", nz(rec.why));
	return 0;
}

static int same_knob(const struct jrec *a, const struct jrec *b)
{
	return !strcmp(a->side, b->side) && !strcmp(a->domain, b->domain) &&
	       !strcmp(a->kind, b->kind) && !strcmp(a->target, b->target) &&
	       !strcmp(a->key, b->key);
}

static int selected(const struct jrec *r, const struct revert_sel *sel)
{
	switch (sel->by) {
	case REVERT_ALL:
		return 1;
	case REVERT_RULE:
		return sel->rule && !strcmp(r->rule, sel->rule);
	case REVERT_SINCE:
		return r->time_ns >= sel->since_ns;
	case REVERT_HOST_REF:
		for (size_t i = 0; i < sel->nrefs; i++)
			if (r->host_ref && r->host_ref == sel->refs[i])
				return 1;
		return 0;
	case REVERT_SEQ:
		for (size_t i = 0; i < sel->nrefs; i++)
			if (r->seq == sel->refs[i])
				return 1;
		return 0;
	case REVERT_AFTER:
		return r->seq > sel->after_seq;
	case REVERT_GUEST:
		if (!sel->guest || strcmp(r->guest, sel->guest))
			return 0;
		for (size_t i = 0; sel->kinds && sel->kinds[i]; i++)
			if (!strcmp(r->kind, sel->kinds[i]))
				return 1;
		return !sel->kinds;
	}
	return 0;
}

static int open_set(const struct jent *e)
{
	return e->state && !jrn_closed(e);
}

struct revert_run {
	struct journal *j;
	size_t n; /* records when the run started; marks come after */
	const char *root;
	int dry, force;
	const char *why; /* added to marks and lines, or NULL */
	FILE *out;
	/* Per entry index: 1 processed this run, 2 restored this run. */
	unsigned char *seen;
	/* Dry run: the value each knob would have, by entry index of a set. */
	const char **would;
};

static void say(struct revert_run *rr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct revert_run *rr, const char *fmt, ...)
{
	char raw[8192], line[16384];
	va_list ap;
	if (!rr->out)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	san_text(raw, strlen(raw), line, sizeof line); /* a terminal reads it */
	fputs(line, rr->out);
	if (rr->why)
		fprintf(rr->out, ": %s", rr->why);
	fputc('\n', rr->out);
}

/* A mark of this run: its detail with the run's why, if any. */
static int rmark(struct revert_run *rr, int64_t seq, const char *op, const char *detail,
		 const char *old, const char *new)
{
	char d[JOURNAL_FIELD_MAX];
	if (!rr->why)
		return mark(rr->j, seq, op, detail, old, new);
	snprintf(d, sizeof d, "%s%s%s", detail ? detail : "", detail ? "; " : "", rr->why);
	return mark(rr->j, seq, op, d, old, new);
}

/* Current value of e's knob, as this (possibly dry) run has left it. */
static int current(struct revert_run *rr, const struct knob *k,
		   size_t idx, char *buf, size_t n)
{
	const struct jrec *r = &rr->j->ents[idx]->r;
	if (rr->dry) {
		/* newest first: the oldest restore this run is the latest write */
		for (size_t i = idx + 1; i < rr->n; i++) {
			if (rr->would[i] && same_knob(&rr->j->ents[i]->r, r)) {
				snprintf(buf, n, "%s", rr->would[i]);
				return 0;
			}
		}
	}
	return knob_read(k, rr->root, r->target, r->key, buf, n);
}

/* Newest open vtune change of the same knob made after idx and left alone
 * by this run because it was not selected, or NULL. */
static const struct jent *later_change(struct revert_run *rr, size_t idx)
{
	for (size_t i = rr->n; i-- > idx + 1;) {
		const struct jent *e = rr->j->ents[i];
		if (e->state && open_set(e) && !rr->seen[i] &&
		    same_knob(&e->r, &rr->j->ents[idx]->r))
			return e;
	}
	return NULL;
}

/* Returns 0 restored, 1 not restored, -errno journal failure. */
static int revert_one(struct revert_run *rr, size_t idx, journal_remote_fn remote,
		      void *arg)
{
	struct jent *e = rr->j->ents[idx];
	const struct jrec *r = &e->r;
	char lb[512], cur[KNOB_VALUE_MAX], sc[KNOB_VALUE_MAX], so[KNOB_VALUE_MAX],
	     sn[KNOB_VALUE_MAX], detail[4 * KNOB_VALUE_MAX];
	const char *pre = rr->dry ? "would revert" : "reverted";
	int err;

	journal_label(r, lb, sizeof lb);
	char rl[300];
	rule_label(r, rl, sizeof rl);
	show(e->eff_old, so, sizeof so);
	show(e->eff_new, sn, sizeof sn);
	if (is_remote(r)) {
		/* no host daemon (remote NULL), or its guest not connected: the
		 * revert is queued ("asked"), and vtune-hostd asks it when the
		 * guest's agent says hello; a dry run asks remote what it would do */
		err = remote ? remote(arg, r, rr->dry) : -ENOTCONN;
		if (err == -ENOTCONN) {
			say(rr, "%s: %s %s -> %s (rule %s): asked when the guest's agent reconnects",
			    rr->dry ? "would queue" : "queued", lb, sn, so, rl);
			if (rr->dry || !strcmp(e->state, "asked"))
				return 1;
			err = rmark(rr, r->seq, "asked", remote ? "queued: the guest's agent is not "
				    "connected" : "queued while vtune-hostd was not running", NULL, NULL);
			return err ? err : 1;
		}
		if (err < 0) {
			say(rr, "failed %s: cannot ask the guest: %s (rule %s)", lb, strerror(-err), rl);
			return 1;
		}
		if (rr->dry && err == 1) {
			say(rr, "skipped %s: changed by someone else in the guest (rule %s)", lb, rl);
			return 1;
		}
		if (rr->dry) {
			say(rr, "%s %s %s -> %s (rule %s)", err == JOURNAL_ASKED ?
			    "would ask the guest to revert" : "would revert", lb, sn, so, rl);
			return 0;
		}
		if (err == 0) {
			err = rmark(rr, r->seq, "reverted", "restored by the guest agent",
				   NULL, e->eff_old);
			say(rr, "reverted %s %s -> %s (rule %s)", lb, sn, so, rl);
			return err;
		}
		if (err == JOURNAL_ASKED) {
			/* only the guest's ack with the original value marks it
			 * reverted: until then it stays open ("asked"), is asked
			 * again when the guest reconnects, and by a later revert */
			say(rr, "asked the guest to revert %s %s -> %s (rule %s)", lb, sn, so, rl);
			if (strcmp(e->state, "asked"))
				return rmark(rr, r->seq, "asked", "revert asked of the guest", NULL, NULL);
			return 0;
		}
		err = rmark(rr, r->seq, "skipped",
			   "the guest reports it was changed by someone else", NULL, NULL);
		say(rr, "skipped %s: changed by someone else in the guest (rule %s)",
		    lb, rl);
		return err ? err : 1;
	}
	const struct knob *k = knob_find(r->kind);
	if (!k) {
		say(rr, "failed %s: unknown knob kind (rule %s)", lb, rl);
		return 1;
	}
	err = current(rr, k, idx, cur, sizeof cur);
	if (err) {
		say(rr, "failed %s: cannot read: %s (rule %s)", lb, strerror(-err),
		    rl);
		return 1;
	}
	show(cur, sc, sizeof sc);
	if (knob_equal(k, r->key, cur, e->eff_old)) {
		say(rr, "%s %s already %s (rule %s; the change was never made)",
		    pre, lb, so, rl);
		rr->seen[idx] = 2;
		if (rr->dry)
			return 0;
		return rmark(rr, r->seq, "reverted", "already at the original value",
			    cur, e->eff_old);
	}
	const char *how = NULL;
	if (knob_equal(k, r->key, cur, e->eff_new) || knob_equal(k, r->key, cur, r->new)) {
		how = "restored";
	} else {
		const struct jent *later = later_change(rr, idx);
		if (later)
			snprintf(detail, sizeof detail,
				 "changed later by vtune (rule %s, seq %lld), not reverted",
				 later->r.rule, (long long)later->r.seq);
		else
			snprintf(detail, sizeof detail,
				 "changed by someone else (now %s; vtune set %s, was %s)",
				 sc, sn, so);
		if (!rr->force) {
			say(rr, "skipped %s: %s (rule %s)", lb, detail, rl);
			if (rr->dry)
				return 1;
			err = rmark(rr, r->seq, "skipped", detail, cur, NULL);
			return err ? err : 1;
		}
		how = "forced over a change by someone else";
	}
	if (rr->dry) {
		rr->would[idx] = e->eff_old;
		rr->seen[idx] = 2;
		say(rr, "would revert %s %s -> %s (rule %s%s%s)", lb, sc, so, rl,
		    strcmp(how, "restored") ? "; " : "", strcmp(how, "restored") ? how : "");
		return 0;
	}
	err = knob_restore(k, rr->root, r->target, r->key, e->eff_old);
	if (err) {
		snprintf(detail, sizeof detail, "revert failed: cannot write %s: %s",
			 so, strerror(-err));
		say(rr, "failed %s: %s (rule %s)", lb, detail, rl);
		err = rmark(rr, r->seq, "skipped", detail, cur, NULL);
		return err ? err : 1;
	}
	rr->seen[idx] = 2;
	say(rr, "reverted %s %s -> %s (rule %s%s%s)", lb, sc, so, rl,
	    strcmp(how, "restored") ? "; " : "", strcmp(how, "restored") ? how : "");
	log_change(LOG_INFO, "reverted %s %s -> %s (rule %s)", lb, sc, so, rl);
	return rmark(rr, r->seq, "reverted", how, cur, e->eff_old);
}

int journal_revert(struct journal *j, const char *root,
		   const struct revert_sel *sel, int dry_run, int force,
		   FILE *report, journal_remote_fn remote, void *arg)
{
	struct revert_run rr = {
		.j = j, .n = j->n, .root = root, .dry = dry_run, .force = force,
		.why = sel->why, .out = report,
	};
	size_t n = j->n, nsel = 0;
	int left = 0, err = 0;

	if (!dry_run && !jrn_writable(j))
		return -EROFS;
	rr.seen = calloc(n + 1, 1);
	rr.would = calloc(n + 1, sizeof *rr.would);
	if (!rr.seen || !rr.would) {
		err = -ENOMEM;
		goto out;
	}
	/* Newest first; marks appended meanwhile lie past n. */
	for (size_t i = n; i-- > 0;) {
		struct jent *e = j->ents[i];
		if (!e->state || !open_set(e) || !selected(&e->r, sel))
			continue;
		nsel++;
		rr.seen[i] = 1;
		int r = revert_one(&rr, i, remote, arg);
		if (r < 0) {
			err = r;
			goto out;
		}
		left += r;
	}
	if (!nsel)
		say(&rr, "nothing to revert");
out:
	free(rr.seen);
	free(rr.would);
	return err ? err : left;
}

int journal_managed_changed(const struct journal *j, const char *root,
			    const char *side, const char *kind,
			    const char *target, const char *key,
			    char *now, size_t n)
{
	struct jrec want = {
		.side = side, .domain = "", .kind = kind, .target = nz(target),
		.key = key,
	};
	for (size_t i = j->n; i-- > 0;) {
		const struct jent *e = j->ents[i];
		if (!e->state || !same_knob(&e->r, &want))
			continue;
		if (strcmp(e->state, "applied"))
			return -ENOENT; /* newest change undone, failed or unsure */
		return knob_changed(root, kind, target, key, e->eff_new, now, n);
	}
	return -ENOENT;
}

/* ---- time ---- */

int journal_parse_time(const char *s, uint64_t now_ns, uint64_t *out_ns)
{
	uint64_t v;
	const uint64_t NS = 1000000000ull;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '-') {
		char num[32];
		size_t len = strlen(s + 1);
		uint64_t unit = 1;
		if (len == 0 || len >= sizeof num)
			return -EINVAL;
		memcpy(num, s + 1, len + 1);
		switch (num[len - 1]) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: unit = 0; break;
		}
		if (unit)
			num[--len] = '\0';
		else
			unit = 1;
		int r = parse_u64(num, &v);
		if (r)
			return r;
		if (v > UINT64_MAX / NS / unit || v * unit * NS > now_ns)
			return -ERANGE;
		*out_ns = now_ns - v * unit * NS;
		return 0;
	}
	if (strchr(s, 'T')) {
		struct tm tm = { 0 }, back;
		const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
		if (!end || (*end && strcmp(end, "Z")))
			return -EINVAL;
		struct tm want = tm;
		time_t t = timegm(&tm);
		if (t == (time_t)-1 || t < 0 || !gmtime_r(&t, &back) ||
		    back.tm_year != want.tm_year || back.tm_mon != want.tm_mon ||
		    back.tm_mday != want.tm_mday || back.tm_hour != want.tm_hour ||
		    back.tm_min != want.tm_min || back.tm_sec != want.tm_sec)
			return -EINVAL;
		*out_ns = (uint64_t)t * NS;
		return 0;
	}
	int r = parse_u64(s, &v);
	if (r)
		return r;
	if (v > UINT64_MAX / NS)
		return -ERANGE;
	*out_ns = v * NS;
	return 0;
}

/* ---- privilege separation ---- */

void journal_forward(struct journal *j, journal_fwd_fn fwd, void *arg)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->fwd = fwd;
	j->fwd_arg = arg;
}

int journal_fd(const struct journal *j)
{
	return j ? j->fd : -1;
}

int journal_append_checked(struct journal *j, const struct jrec *src, int sync, int64_t *seq,
			   uint64_t *time_ns)
{
	struct jrec r = *src;
	int64_t s;
	if (!r.op || !op_static(r.op))
		return -EINVAL;
	if (!strcmp(r.op, "set")) {
		r.ref = 0;
		r.detail = NULL;
	} else {
		struct jent *set = jrn_find(j, r.ref);
		if (!set || strcmp(set->r.op, "set"))
			return -EINVAL;
		/* a mark copies its change's fields: none of them is the asker's */
		r.side = set->r.side;
		r.domain = set->r.domain;
		r.kind = set->r.kind;
		r.target = set->r.target;
		r.key = set->r.key;
		r.rule = set->r.rule;
		r.guest = set->r.guest;
		r.why = NULL;
		r.host_ref = 0;
	}
	s = append(j, &r, sync);
	if (s < 0)
		return (int)s;
	*seq = s;
	*time_ns = r.time_ns;
	return 0;
}

int journal_is_original(const struct journal *j, const char *kind, const char *target,
			const char *key, const char *value)
{
	for (size_t i = 0; j && i < j->n; i++) {
		const struct jent *e = j->ents[i];
		/* a guest's change is no original of a knob here: its values
		 * come from the guest (its report, its ack) */
		if (!e->state || jrn_closed(e) || is_remote(&e->r) || strcmp(e->r.kind, kind) ||
		    strcmp(e->r.target, target ? target : "") || strcmp(e->r.key, key))
			continue;
		if (*e->eff_old && knob_value_equal(e->eff_old, value))
			return 1;
	}
	return 0;
}
