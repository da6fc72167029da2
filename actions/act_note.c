/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_note: the "note" action — a line for the operator, logged (and
 * printed) when its rule fires; it changes nothing. */
#include "act_kinds.h"
#include "apply.h"
#include "log.h"
#include "policy_ld.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void act_note_parse(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *node,
		    yaml_node_t *const *mods, yaml_node_t *const *modkeys,
		    struct pol_action *a)
{
	(void)an, (void)mods, (void)modkeys;
	const char *s = pol_ld_scalar(ld, node, "note");
	if (s && !*s)
		pol_ld_err(ld, node, "note: empty");
	else if (s && !(a->text = strdup(s)))
		pol_ld_err(ld, node, "out of memory");
}

int act_note_plan(const struct act_plan_in *in, struct pol_plan *out)
{
	return pol_plan_note(out, in->rule, in->a, in->why, NULL, "%s",
			     in->a->text ? in->a->text : "");
}

int act_note_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	char line[512];
	snprintf(line, sizeof line, "rule %s: %s", ch->rule, ch->note);
	apply_say_why(c->ac, LOG_NOTICE, line, ch->why);
	return 0;
}
