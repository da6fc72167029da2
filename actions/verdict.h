/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verdict: the two ends of effect verification that touch the journal, for
 * both programs that run rules (vtune-hostd, the standalone agent): tell
 * the engine which records a firing made, and carry out its verdicts
 * (revert those records through the journal, with the figures in each
 * mark, and say so). */
#ifndef VTUNE_VERDICT_H
#define VTUNE_VERDICT_H

#include <stddef.h>
#include <stdio.h>

#include "engine.h"
#include "journal.h"

/* After carrying out plan for subject: tell the engine, for every rule of
 * the plan, the "set" records it appended to j from record index from on
 * (made for guest when guest is not NULL: the guest field, or the domain
 * of a change sent to it). A rule with none ends its trial. 0 or -ENOMEM. */
int verdict_tell_records(struct pol_engine *e, const char *subject, const struct pol_plan *plan,
			 const struct journal *j, size_t from, const char *guest);

/* How verdicts are carried out. */
struct verdict_ctx {
	struct journal *journal;
	const char *root;
	/* changes in a guest (hostd): journal_revert's remote callback, NULL
	 * outside hostd */
	journal_remote_fn remote;
	void *remote_arg;
	FILE *out;	/* the revert's lines; may be NULL */
	/* before a verdict's records are undone (may be NULL) */
	void (*begin)(void *arg, const struct pol_verdict *v);
	/* each verdict, after: not_restored as journal_revert returned (0 for
	 * a verdict that keeps); may be NULL */
	void (*done)(void *arg, const struct pol_verdict *v, int not_restored);
	void *arg;
};

/* Take every verdict judged for subject: log it; one that says revert has
 * its records undone through journal_revert (REVERT_SEQ, the verdict's
 * text in each mark). Returns the number of verdicts, or -errno when the
 * journal could not be written. */
int verdict_carry_out(struct pol_engine *e, const char *subject, const struct verdict_ctx *c);

#endif
