/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_words: planning of the one-word actions (rps, bridge_nf, pin, sriov):
 * the word is the value to reach; nothing is planned when the knob already
 * has it. */
#include "act_kinds.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int act_word_plan(const struct act_plan_in *in, struct pol_plan *out)
{
	const struct pol_action *a = in->a;
	const char *kind = a->act->name;
	char cur[64] = "";
	int rc = in->current ? in->current(in->arg, a->side, kind, a->key, cur, sizeof cur)
			     : -ENOENT;
	if (rc == -EREMOTE)
		return pol_plan_deferred(out, in->rule, a, kind, in->why);
	if (rc == 0) {
		cur[sizeof cur - 1] = '\0';
		size_t n = strlen(cur);
		while (n && isspace((unsigned char)cur[n - 1]))
			cur[--n] = '\0';
		if (!strcmp(cur, a->key))
			return pol_plan_note(out, in->rule, a, in->why, cur,
					     "%s already %s, nothing to do", kind, a->key);
	} else {
		cur[0] = '\0';
	}
	struct pol_change *c = pol_plan_add(out, in->rule, a, kind, in->why);
	if (!c)
		return -ENOMEM;
	snprintf(c->old, sizeof c->old, "%s", cur);
	snprintf(c->new, sizeof c->new, "%s", a->key);
	return 0;
}
