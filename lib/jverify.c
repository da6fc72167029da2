/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jverify: each knob with a change open in the journal, read now and
 * compared with the value vtune set (see jverify.h). */
#include "jverify.h"
#include "sanitize.h"
#include "strmap.h"
#include "textwrap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
	[JV_OK] = "ok", [JV_DIFFERS] = "differs", [JV_GONE] = "gone",
	[JV_UNREADABLE] = "unreadable", [JV_GUEST] = "guest", [JV_PENDING] = "pending",
};

const char *jv_state_name(enum jv_state s)
{
	return (unsigned)s < sizeof state_names / sizeof *state_names ? state_names[s] : "?";
}

int jv_bad(enum jv_state s)
{
	return s == JV_DIFFERS || s == JV_GONE || s == JV_UNREADABLE;
}

static int is_remote(const struct jrec *r)
{
	return !strcmp(r->side, "guest") && *r->domain;
}

/* The detail of the newest mark of seq, or "". */
static const char *last_detail(const struct journal *j, int64_t seq)
{
	for (size_t i = journal_count(j); i-- > 0;) {
		const struct jrec *m = journal_record(j, i);
		if (m->ref == seq)
			return m->detail;
	}
	return "";
}

/* Compare now with what vtune set, through the kind when there is one. */
static int equal(const struct jrec *r, const char *now, const char *set)
{
	const struct knob *k = knob_find(r->kind);
	return k ? knob_equal(k, r->key, now, set) : knob_value_equal(now, set);
}

static void check_one(const struct journal *j, const struct jrec *r, const char *root,
		      jv_guest_fn guest, void *arg, struct jv_item *it)
{
	const char *old = "", *set = "", *st = journal_state(j, r->seq);
	char now[KNOB_VALUE_MAX] = "";
	int err;

	memset(it, 0, sizeof *it);
	it->seq = r->seq;
	journal_label(r, it->what, sizeof it->what);
	snprintf(it->rule, sizeof it->rule, "%s", r->rule);
	journal_values(j, r->seq, &old, &set);
	knob_value_normalize(set, it->set, sizeof it->set);
	if (is_remote(r)) {
		if (!strcmp(st, "asked")) {
			it->state = JV_PENDING;
			snprintf(it->detail, sizeof it->detail, "%s", last_detail(j, r->seq));
			return;
		}
		err = guest ? guest(arg, r, now, sizeof now, it->detail, sizeof it->detail) : -ENOENT;
		if (err == -ENOENT) {
			it->state = JV_GUEST;
			snprintf(it->detail, sizeof it->detail,
				 "checked by the guest's agent (vtune-agent verify)");
			return;
		}
	} else {
		const struct knob *k = knob_find(r->kind);
		err = k ? knob_read(k, root, r->target, r->key, now, sizeof now) : -ENOSYS;
		if (err == -ENOENT) {
			it->state = JV_GONE;
			return;
		}
	}
	if (err) {
		it->state = JV_UNREADABLE;
		snprintf(it->detail, sizeof it->detail, "%s", err == -ENOSYS ? "unknown knob kind"
			 : strerror(-err));
		return;
	}
	knob_value_normalize(now, it->now, sizeof it->now);
	it->state = equal(r, now, set) ? JV_OK : JV_DIFFERS;
}

int jv_check(const struct journal *j, const char *root, jv_guest_fn guest, void *arg,
	     struct jv_item **items, size_t *n)
{
	size_t cnt = j ? journal_count(j) : 0, k = 0;
	const struct jrec **pick = calloc(cnt + 1, sizeof *pick);
	char **keys = calloc(cnt + 1, sizeof *keys);
	struct strmap *seen = strmap_new(); /* knobs picked: thousands of guests */
	int err = !pick || !keys || !seen ? -ENOMEM : 0;
	*items = NULL;
	*n = 0;
	/* newest first: the newest open change of each knob is what it holds */
	for (size_t i = cnt; !err && i-- > 0;) {
		const struct jrec *r = journal_record(j, i);
		const char *st = journal_state(j, r->seq);
		if (strcmp(r->op, "set") || !st ||
		    (strcmp(st, "applied") && strcmp(st, "skipped") && strcmp(st, "asked")))
			continue;
		if (asprintf(&keys[k], "%s|%s|%s|%s|%s", r->side, r->domain, r->kind, r->target,
			     r->key) < 0) {
			keys[k] = NULL;
			err = -ENOMEM;
		} else if (strmap_get(seen, keys[k])) {
			free(keys[k]);
			keys[k] = NULL;
		} else if (strmap_put(seen, keys[k], (void *)r) < 0) {
			err = -ENOMEM;
			k++; /* freed below */
		} else {
			pick[k++] = r;
		}
	}
	struct jv_item *v = !err && k ? calloc(k, sizeof *v) : NULL;
	if (!err && k && !v)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < k; i++) /* oldest knob first */
		check_one(j, pick[k - 1 - i], root, guest, arg, &v[i]);
	strmap_free(seen);
	for (size_t i = 0; keys && i < k; i++)
		free(keys[i]);
	free(keys);
	free(pick);
	if (err) {
		free(v);
		return err;
	}
	*items = v;
	*n = k;
	return 0;
}

void jv_line(const struct jv_item *it, char *buf, size_t n)
{
	char raw[4096], rule[300];
	const char *d = it->detail;
	snprintf(rule, sizeof rule, "%s%s", *it->rule ? "rule " : "", *it->rule ? it->rule : "no rule");
	switch (it->state) {
	case JV_OK:
		snprintf(raw, sizeof raw, "ok: %s %s (%s%s%s)", it->what, it->set, rule, *d ? "; " : "",
			 d);
		break;
	case JV_DIFFERS:
		snprintf(raw, sizeof raw, "differs: %s: now %s, vtune set %s (%s%s%s)", it->what,
			 it->now, it->set, rule, *d ? "; " : "", d);
		break;
	case JV_GONE:
		snprintf(raw, sizeof raw, "gone: %s: no longer there (vtune set %s; %s)", it->what,
			 it->set, rule);
		break;
	case JV_UNREADABLE:
		snprintf(raw, sizeof raw, "cannot read: %s: %s (vtune set %s; %s)", it->what, d,
			 it->set, rule);
		break;
	case JV_GUEST:
		snprintf(raw, sizeof raw, "guest change: %s %s (%s): %s", it->what, it->set, rule, d);
		break;
	case JV_PENDING:
		snprintf(raw, sizeof raw, "pending revert: %s (%s)%s%s", it->what, rule,
			 *d ? ": " : "", d);
		break;
	}
	san_text(raw, strlen(raw), buf, n); /* a terminal reads it */
}

json_object *jv_json(const struct jv_item *it)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "seq", json_object_new_int64(it->seq));
	json_object_object_add(o, "state", json_object_new_string(jv_state_name(it->state)));
	json_object_object_add(o, "what", json_object_new_string(it->what));
	json_object_object_add(o, "rule", json_object_new_string(it->rule));
	json_object_object_add(o, "set", json_object_new_string(it->set));
	json_object_object_add(o, "now", json_object_new_string(it->now));
	json_object_object_add(o, "detail", json_object_new_string(it->detail));
	return o;
}

int jv_report(const char *journal, const struct jv_item *it, size_t n, int json,
	      json_object *extra)
{
	size_t cnt[JV_PENDING + 1] = { 0 };
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		cnt[it[i].state]++;
		bad |= jv_bad(it[i].state);
	}
	if (json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array(),
			    *c = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(!bad));
		json_object_object_add(o, "journal", json_object_new_string(journal));
		for (size_t i = 0; i < n; i++)
			json_object_array_add(a, jv_json(&it[i]));
		json_object_object_add(o, "items", a);
		for (int s = JV_OK; s <= JV_PENDING; s++)
			json_object_object_add(c, jv_state_name(s), json_object_new_int((int)cnt[s]));
		json_object_object_add(o, "counts", c);
		if (extra) {
			json_object_object_foreach(extra, k, v)
				json_object_object_add(o, k, json_object_get(v));
		}
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return bad;
	}
	if (!n) {
		printf("nothing to verify: no change of vtune's is in place (journal %s)\n", journal);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char line[2048];
		jv_line(&it[i], line, sizeof line);
		text_wrap(stdout, 4, NULL, line);
	}
	static const char *const says[][2] = { /* one, more */
		[JV_OK] = { "as vtune set it", "as vtune set them" },
		[JV_DIFFERS] = { "differs", "differ" },
		[JV_GONE] = { "gone", "gone" },
		[JV_UNREADABLE] = { "cannot be read", "cannot be read" },
		[JV_GUEST] = { "in a guest, not checked here", "in guests, not checked here" },
		[JV_PENDING] = { "with a guest's revert pending", "with a guest's revert pending" },
	};
	char sum[512];
	int l = snprintf(sum, sizeof sum, "%zu knob(s):", n);
	for (int s = JV_OK; s <= JV_PENDING; s++)
		if (cnt[s] && l > 0 && (size_t)l < sizeof sum)
			l += snprintf(sum + l, sizeof sum - (size_t)l, "%s %zu %s",
				      sum[l - 1] == ':' ? "" : ",", cnt[s], says[s][cnt[s] > 1]);
	text_wrap(stdout, 4, NULL, sum);
	return bad;
}
