/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jverify: `vtune verify` and `vtune-agent verify`: is every knob the
 * journal holds a change open on still at the value vtune set? Like
 * `tuned-adm verify`: read each knob now and compare. */
#ifndef VTUNE_JVERIFY_H
#define VTUNE_JVERIFY_H

#include "journal.h"
#include "knob.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

enum jv_state {
	JV_OK,         /* at the value vtune set */
	JV_DIFFERS,    /* another value now */
	JV_GONE,       /* the knob no longer exists (an interface removed) */
	JV_UNREADABLE, /* it cannot be read here (detail says why) */
	JV_GUEST,      /* a change in a guest nobody here can read */
	JV_PENDING,    /* a guest's revert asked, not confirmed yet */
};

struct jv_item {
	int64_t seq;              /* the change's "set" record */
	enum jv_state state;
	char what[512];           /* "[guest DOMAIN ]kind [target ]key" */
	char rule[256];           /* "" when none */
	char set[KNOB_VALUE_MAX]; /* the value vtune left (one space between tokens) */
	char now[KNOB_VALUE_MAX]; /* the value found; "" when not read */
	char detail[256];         /* how it was read, or why not */
};

/* A guest's knob, for a change made in a guest (rec side "guest" with a
 * domain): 0 with its value in now (n bytes) and how it was read in how
 * (hn bytes, may stay ""), -ENOENT when it cannot be read here, another
 * -errno on error. */
typedef int (*jv_guest_fn)(void *arg, const struct jrec *rec, char *now, size_t n, char *how,
			   size_t hn);

/* Check each knob with a change open in j (applied, skipped by a revert,
 * or a guest's revert pending), the newest change of each knob only,
 * oldest knob first: local ones read through their knob kind under root,
 * guest ones through guest (NULL: none can be read; JV_GUEST). *items
 * (malloc'd, caller frees; NULL when none) gets *n items. 0 or -ENOMEM. */
int jv_check(const struct journal *j, const char *root, jv_guest_fn guest, void *arg,
	     struct jv_item **items, size_t *n);

/* "ok", "differs", "gone", "unreadable", "guest", "pending". */
const char *jv_state_name(enum jv_state s);

/* The item as one line of text (no newline), e.g.
 *   ok: sysctl net.core.somaxconn 4096 (rule listen-overflow)
 *   differs: sysctl net.core.somaxconn: now 1024, vtune set 4096 (rule listen-overflow) */
void jv_line(const struct jv_item *it, char *buf, size_t n);

/* The item as a JSON object (seq, state, what, rule, set, now, detail). */
json_object *jv_json(const struct jv_item *it);

/* Print the items on stdout: one line each (wrapped at 100 columns) and
 * a count line, or one JSON object {"ok", "journal", "items", "counts"}
 * with the members of extra (borrowed, may be NULL) added. Returns the
 * exit status: 1 when some knob differs, is gone or cannot be read, else
 * 0. */
int jv_report(const char *journal, const struct jv_item *it, size_t n, int json,
	      json_object *extra);

/* Does the state mean the knob is not what the journal says (exit 1)? */
int jv_bad(enum jv_state s);

#endif
