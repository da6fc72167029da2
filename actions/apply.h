/* SPDX-License-Identifier: GPL-2.0-or-later */
/* apply: the one journaled change helper every executor goes through, on
 * both sides (record first, apply, mark; leave alone a knob an
 * administrator changed since vtune set it, and tell the engine), and the
 * carrying out of a plan's changes through the action table. */
#ifndef VTUNE_APPLY_H
#define VTUNE_APPLY_H

#include <stdint.h>
#include <stdio.h>

#include "action.h"
#include "engine.h"
#include "journal.h"
#include "log.h"

/* Outcomes of one knob, for counters: "applied", "dry_run", "unchanged",
 * "failed", "left_alone". */
typedef void (*apply_count_fn)(void *arg, const char *outcome);

struct apply_ctx {
	struct journal *journal;  /* required unless dry_run */
	const char *root;	  /* root prefix for the kernel ("/") */
	int dry_run;		  /* compute and print, change nothing */
	struct pol_engine *engine; /* told about administrator changes; may be NULL */
	const char *subject;	  /* the engine's subject name */
	const char *guest;	  /* hostd: the guest a host change is for (journaled,
				   * logged); NULL or "": none */
	int64_t host_ref;	  /* the agent on the host's request: the host's
				   * journal record it serves (journaled); else 0 */
	const char *why_prefix;	  /* journaled instead of the rule's why (e.g.
				   * "host request 12"); NULL: the change's why */
	FILE *out;		  /* one line per change also goes here; may be NULL */
	int *failed;		  /* counts changes refused or failed; may be NULL */
	apply_count_fn count;	  /* per knob outcome; may be NULL */
	void *count_arg;
};

/* The one journaled change helper: set knob (kind, target, key) to value
 * for planned change ch. A knob vtune set before and an administrator has
 * changed since is left alone (said once in the log and the output; the
 * engine stops managing ch's action for the subject). Otherwise: journal,
 * write, mark (journal_apply), logged with old -> new and ch's rule and
 * why. Returns 1 changed (or would be, dry run), 0 not (already there,
 * left alone, refused or failed: counted in *failed), -errno when the
 * journal cannot be written (nothing may change then). */
int apply_knob(const struct apply_ctx *c, const struct pol_change *ch, const char *kind,
	       const char *target, const char *key, const char *value);

/* An expanding action's plan: calls fn once per knob; why (n bytes) gets a
 * reason on failure. */
typedef int (*apply_expand_fn)(const struct act_ctx *c, const struct pol_change *ch,
			       act_change_fn fn, void *arg, char *why, size_t n);

/* Run plan, every knob it names through apply_knob. Knobs changed, or a
 * planning error (logged with its reason) / journal error as -errno. */
int apply_expand(const struct act_ctx *c, const struct pol_change *ch, apply_expand_fn plan);

/* Carry out one planned change on its side as the action table says for
 * mode: ACT_LOCAL runs the kind's executor, ACT_ADVICE tells it as advice.
 * ACT_WIRE and ACT_NO are the caller's (-EINVAL here). Knobs changed, or
 * -errno when the journal cannot be written. */
int apply_change(const struct act_ctx *c, const struct pol_change *ch, enum act_mode mode);

/* apply_change for every change of plan on side; host is the act_host of
 * host changes (NULL outside hostd). Stops at a journal error. Knobs
 * changed, or that -errno. */
int apply_plan(const struct apply_ctx *c, const struct act_host *host,
	       const struct pol_plan *plan, enum pol_side side, enum act_mode mode);

/* The root prefix of c ("/" when unset). */
const char *apply_root(const struct apply_ctx *c);

/* A line to the log (at level) and to c->out; apply_say_why adds
 * "; because WHY" in the log. */
void apply_say(const struct apply_ctx *c, int level, const char *line);
void apply_say_why(const struct apply_ctx *c, int level, const char *line, const char *why);

/* Register the knob kinds the actions use. Idempotent. */
void apply_init(void);

#endif
