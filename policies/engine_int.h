/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine_int: the policy engine's state, shared by its parts (engine.c:
 * timers and planning; verify.c: effect verification; explain.c: what each
 * rule is doing, for reports). Not for use outside policies/. */
#ifndef VTUNE_ENGINE_INT_H
#define VTUNE_ENGINE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct strmap;

struct rstate {
	int when_on;		/* when has held since when_since */
	uint64_t when_since;
	int active;		/* fired, clear not yet held for `for` */
	int clear_on;
	uint64_t clear_since;
	int fired;		/* last_fire is valid */
	uint64_t last_fire;
	uint64_t quarantine_until; /* no firing before this (0: none) */
};

struct unmanaged {
	char *ident; /* act_ident */
	char *now;   /* the value found */
};

struct vf_trial;

/* The last verdict on a rule's change for a subject (status, report). */
struct vf_last {
	char *text;		/* "reverted: no effect — accepts 21,363 → 18,589/s" */
	const char *reason;	/* static */
	int reverted;
	uint64_t at_ns;
};

struct subject {
	char *name;
	struct rstate *rs;	/* one per rule */
	struct unmanaged *unmanaged;
	size_t n_unmanaged, cap_unmanaged;
	/* effect verification (verify.c) */
	double *ring;		/* the last e->vf_depth samples of the watched metrics */
	unsigned ring_head, ring_fill;
	struct vf_trial **trials; /* one per rule, NULL when none is open */
	struct vf_last *last;	  /* one per rule */
	struct pol_verdict *verdicts; /* judged, not yet taken */
	size_t n_verdicts, cap_verdicts;
	/* the guest's claims behind host rules, as of the last step */
	int implausible_now;	/* 1: the last report failed corroboration */
	uint64_t implausible;	/* steps whose report failed it */
	char implausible_why[256]; /* the latest failure */
	struct subject *next;
};

/* What verification watches for one rule, worked out once. */
#define VF_MAX_M 16
struct vf_rule {
	int n;			/* metrics: goals first, then guards */
	int ids[VF_MAX_M];
	int dirs[VF_MAX_M];	/* goals: +1 must rise, -1 must fall; guards: +1 */
	int guard[VF_MAX_M];	/* 1: a guard (must not fall), 0: a goal */
	int slot[VF_MAX_M];	/* its column in a subject's ring */
	const struct expr *improve; /* NULL: improve: none */
	int improve_not;	/* improve is `not when` */
};

struct pol_engine {
	const struct pol_set *set;
	const char *backend;
	int corroborate;	/* hold host rules on implausible reports (default on) */
	struct subject *subjects;
	struct strmap *by_name; /* subjects by name */
	struct vf_rule *vf;	/* one per rule */
	int watch[VF_MAX_M * 4]; /* watched metric ids, one ring column each */
	int nwatch;
	unsigned vf_depth;	/* ring depth: the largest window */
};

/* ---- verify.c ---- */

/* Work out what each rule's verification watches. 0 or -ENOMEM. */
int vf_engine_init(struct pol_engine *e);
void vf_engine_free(struct pol_engine *e);
/* A subject's verification state. 0 or -ENOMEM. */
int vf_subject_init(const struct pol_engine *e, struct subject *s);
void vf_subject_free(const struct pol_engine *e, struct subject *s);
/* A new sample for s at now: keep it, move open trials on, judge those
 * whose window is full (verdicts queued, reverted rules quarantined).
 * Returns 0 or -ENOMEM. */
int vf_sample(struct pol_engine *e, struct subject *s, uint64_t now,
	      const struct mvec *guest, const struct mvec *host);
/* Rule i fired at now: open a trial awaiting its records (the samples
 * before the change from the ring). 0 or -ENOMEM. */
int vf_fired(struct pol_engine *e, struct subject *s, size_t i, uint64_t now);
/* Is rule i's trial open for s (it may not fire again meanwhile)? */
int vf_open(const struct subject *s, size_t i);

#endif
