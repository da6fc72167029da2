/* SPDX-License-Identifier: GPL-2.0-or-later */
/* corroborate: the one table of what the host itself sees that backs up a
 * guest's claim. For each guest metric a host-side rule may read: the host
 * metrics that are its evidence and the plausibility bound derived from
 * them. A host action never fires on a guest's report alone. */
#ifndef VTUNE_CORROBORATE_H
#define VTUNE_CORROBORATE_H

#include <stddef.h>

#include "metrics.h"
#include "policy.h"

#define CORR_MAX_EVIDENCE 3

/* One row: guest <= factor * evidence + slack, where evidence is the
 * largest of the host metrics listed that the host view holds (each
 * backend fills the ones it can: KVM run delay, Xen pCPU contention), or
 * their sum for a row marked sum (parts of one whole: CPU time and run
 * delay). */
struct corr_row {
	int guest;			 /* enum metric_id, a guest.* metric */
	int host[CORR_MAX_EVIDENCE];	 /* host.* evidence, -1 past the last */
	int sum;			 /* evidence: the sum of those held */
	double factor, slack;		 /* the bound, in the guest metric's unit */
	const char *reason;		 /* why the evidence bounds it */
};

/* The row for guest metric id, or NULL: the host cannot corroborate it (a
 * host-side rule may not read it: act_check_set refuses such a rule). */
const struct corr_row *corr_find(int guest_metric);

/* Every row: *n of them. */
const struct corr_row *corr_table(size_t *n);

/* Check one guest metric of a report against the host view. Returns 1 when
 * it is plausible (or the report does not hold the metric: a condition on
 * it cannot hold either), 0 when it is not, with a one-line reason in why
 * naming the value, the evidence and the bound: a value over the bound,
 * no evidence in the host view, or no row for the metric. */
int corr_check(int guest_metric, const struct mvec *guest, const struct mvec *host,
	       char *why, size_t n);

/* Does rule r change the host (a host action other than a note)? Those
 * are the rules whose guest inputs must be corroborated. */
int corr_rule_on_host(const struct pol_rule *r);

/* The first guest metric rule r reads (in when or clear) that has no row:
 * its metric id, or -1 when every one can be corroborated. */
int corr_rule_unbacked(const struct pol_rule *r);

/* corr_check of every guest metric rule r reads: 1 plausible, or 0 with
 * the first failure in why. */
int corr_rule_check(const struct pol_rule *r, const struct mvec *guest, const struct mvec *host,
		    char *why, size_t n);

#endif
