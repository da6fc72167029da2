/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tuning: what vtune-hostd answers about the one undo: whether tuning is
 * off (`vtune off`, remembered beside the journal across restarts), the
 * guests' reverts still pending, and the guests' knobs as their reports
 * give them (for `vtune verify`). */
#ifndef VTUNE_HOSTD_TUNING_H
#define VTUNE_HOSTD_TUNING_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "guest.h"
#include "journal.h"

struct tuning {
	int off;	  /* no rule fires (reports are still taken) */
	uint64_t since_s; /* wall clock of `vtune off`; 0 unknown */
};

/* Read the state file beside the journal at journal (at start, before
 * privileges are dropped): off when it says so, and when it cannot be
 * read (said in the log): a tuner that cannot tell stays still. */
void tuning_load(struct tuning *t, const char *journal);

/* {"off":bool,"since_s":N}. */
json_object *tuning_json(const struct tuning *t);

/* The guests' reverts not confirmed yet (records in state "asked"): one
 * object each with seq, guest, what, rule, detail and connected (its agent
 * is there to be asked). j may be NULL. */
json_object *tuning_pending_json(const struct journal *j, struct guest *const *gs, size_t ng);

/* `vtune verify`'s guest part: jv_check's items for the open changes of
 * j, the guests' knobs read from their latest reports (host ones under
 * root). {"ok":true,"items":[...]}. */
json_object *tuning_verify_json(const struct journal *j, const char *root,
				struct guest *const *gs, size_t ng, uint64_t now_ns);

/* `vtune on`: every guest's rules start afresh (cooldowns, `for` and the
 * effect windows of the changes `vtune off` undid are dropped), keeping
 * what the administrator took over. */
void tuning_resume(struct pol_engine *e, struct guest *const *gs, size_t ng);

#endif
