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

/* What happened to one verdict, for the caller's counters and log. */
typedef void (*verdict_fn)(void *arg, const struct pol_verdict *v, int not_restored);

/* Take every verdict judged for subject: log it; one that says revert has
 * its records undone through journal_revert (REVERT_SEQ, the verdict's
 * text in each mark; remote as journal_revert's, NULL outside hostd), the
 * lines of the revert going to out (may be NULL). fn (may be NULL) hears
 * of each. Returns the number of verdicts, or -errno when the journal
 * could not be written. */
int verdict_carry_out(struct pol_engine *e, const char *subject, struct journal *j,
		      const char *root, journal_remote_fn remote, void *remote_arg, FILE *out,
		      verdict_fn fn, void *arg);

#endif
