/* apply: carry out the local part of a policy plan — sysctls, RPS and
 * notes — the journaled way, logging each change once with old -> new and
 * why; knobs an administrator changed behind vtune's back are left alone. */
#ifndef VTUNE_APPLY_H
#define VTUNE_APPLY_H

#include <stdio.h>

#include "engine.h"
#include "journal.h"

struct apply_ctx {
	struct journal *journal;  /* required unless dry_run */
	const char *root;	  /* root prefix for the kernel ("/") */
	int dry_run;		  /* compute and print, change nothing */
	struct pol_engine *engine; /* told about administrator changes; may be NULL */
	const char *subject;	  /* the engine's subject name */
	FILE *out;		  /* one line per change also goes here; may be NULL */
	int *failed;		  /* counts changes refused or failed; may be NULL */
};

/* Register the knob kinds apply uses (rps). Idempotent. */
void apply_init(void);

/* Apply every change of plan on the given side that can be made locally
 * (sysctl, rps, note); other kinds are left for the caller and counted in
 * *skipped (may be NULL). Returns the number of knobs changed (or that
 * would be, in a dry run), or -errno when the journal could not be written
 * (then nothing more is tried). */
int apply_plan(const struct apply_ctx *c, const struct pol_plan *plan,
	       enum pol_side side, int *skipped);

#endif
