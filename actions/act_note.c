/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_note: the "note" action — a line for the operator, logged (and
 * printed) when its rule fires; it changes nothing. */
#include "act_kinds.h"
#include "apply.h"
#include "expr.h"
#include "log.h"
#include "metrics.h"
#include "policy_ld.h"

#include <math.h>
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

/* The note's text with each "{metric}" replaced by its value in the views
 * the rule fired on ("SYN flood on port {guest.tcp.syn_recv_port}"); "?"
 * when unknown. Anything else in braces stays as written. */
static void expand(const struct act_plan_in *in, const char *t, char *out, size_t n)
{
	size_t len = 0;
	while (*t && len + 1 < n) {
		const char *close = *t == '{' ? strchr(t, '}') : NULL;
		int id = close ? metric_lookup_n(t + 1, (size_t)(close - t - 1)) : -1;
		if (id < 0) {
			out[len++] = *t++;
			continue;
		}
		const struct mvec *m = !strncmp(metric_defs[id].name, "host.", 5) ? in->host : in->guest;
		double v = m ? mvec_get(m, id) : NAN;
		char val[48];
		if (isnan(v))
			snprintf(val, sizeof val, "?");
		else if (metric_defs[id].unit == MU_COUNT || metric_defs[id].unit == MU_VALUE)
			snprintf(val, sizeof val, "%.0f", v);
		else
			expr_format_value(id, v, val, sizeof val);
		int w = snprintf(out + len, n - len, "%s", val);
		len += w > 0 ? (size_t)w : 0;
		if (len >= n)
			len = n - 1;
		t = close + 1;
	}
	out[len] = '\0';
}

int act_note_plan(const struct act_plan_in *in, struct pol_plan *out)
{
	char text[256];
	expand(in, in->a->text ? in->a->text : "", text, sizeof text);
	return pol_plan_note(out, in->rule, in->a, in->why, NULL, "%s", text);
}

int act_note_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	char line[512];
	snprintf(line, sizeof line, "rule %s: %s", ch->rule, ch->note);
	apply_say_why(c->ac, LOG_NOTICE, line, ch->why);
	return 0;
}
