/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verdict: the records of a firing told to the engine, and its verdicts
 * carried out through the journal (see verdict.h). */
#include "verdict.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int for_guest(const struct jrec *r, const char *guest)
{
	return !guest || !strcmp(r->guest, guest) || !strcmp(r->domain, guest);
}

int verdict_tell_records(struct pol_engine *e, const char *subject, const struct pol_plan *plan,
			 const struct journal *j, size_t from, const char *guest)
{
	size_t total = j ? journal_count(j) : 0;
	int64_t *seq = malloc((total > from ? total - from : 1) * sizeof *seq);
	if (!seq)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < plan->n; i++) {
		const char *rule = plan->v[i].rule;
		size_t k, n = 0;
		for (k = 0; k < i && strcmp(plan->v[k].rule, rule); k++)
			;
		if (k < i) /* told already */
			continue;
		for (size_t x = from; x < total; x++) {
			const struct jrec *r = journal_record(j, x);
			if (!strcmp(r->op, "set") && !strcmp(r->rule, rule) && for_guest(r, guest))
				seq[n++] = r->seq;
		}
		if (pol_engine_records(e, subject, rule, seq, n) == -ENOMEM)
			rc = -ENOMEM;
	}
	free(seq);
	return rc;
}

int verdict_carry_out(struct pol_engine *e, const char *subject, const struct verdict_ctx *c)
{
	struct pol_verdict v;
	int n = 0, err = 0;
	/* the standalone agent's subject is itself */
	char who[160] = "";
	if (strcmp(subject, "local"))
		snprintf(who, sizeof who, "guest %s: ", subject);
	while (pol_engine_take_verdict(e, subject, &v) == 1) {
		int left = 0;
		n++;
		if (!v.revert) {
			log_change(LOG_NOTICE, "%srule %s: %s", who, v.rule, v.text);
		} else {
			log_change(LOG_WARNING, "%srule %s: %s; undoing its %zu change(s), the rule is "
				"quarantined", who, v.rule, v.text, v.nseq);
			struct revert_sel sel = { .by = REVERT_SEQ, .refs = v.seq, .nrefs = v.nseq,
						  .why = v.text };
			if (c->begin)
				c->begin(c->arg, &v);
			left = c->journal ? journal_revert(c->journal, c->root, &sel, 0, 0, c->out,
							   c->remote, c->remote_arg) : -EINVAL;
			if (left < 0) {
				log_err("journal: %s: cannot undo the changes of rule %s", strerror(-left),
					v.rule);
				if (left != -EINVAL && !err)
					err = left;
			} else if (left > 0) {
				log_warn("rule %s: %d of its %zu change(s) could not be undone (see the journal)",
					 v.rule, left, v.nseq);
			}
		}
		if (c->done)
			c->done(c->arg, &v, left);
		pol_verdict_free(&v);
	}
	return err ? err : n;
}
