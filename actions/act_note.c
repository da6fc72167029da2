/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_note: the "note" action — a line for the operator, logged (and
 * printed) when its rule fires; it changes nothing. "{metric.name}" in its
 * text becomes that metric's value when the rule fires ("queues='{guest.cpus}'"
 * reads queues='4'), or the name's last part in capitals when unknown. */
#include "act_kinds.h"
#include "apply.h"
#include "expr.h"
#include "log.h"
#include "metrics.h"
#include "policy_ld.h"

#include <ctype.h>
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

void act_note_expand(const char *text, const struct mvec *guest, const struct mvec *host,
		     char *out, size_t n)
{
	size_t o = 0;
	if (!n)
		return;
	for (const char *p = text; *p && o + 1 < n;) {
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		int id = end ? metric_lookup_n(p + 1, (size_t)(end - p - 1)) : -1;
		if (id < 0) {
			out[o++] = *p++;
			continue;
		}
		const char *name = metric_defs[id].name;
		const struct mvec *m = !strncmp(name, "host.", 5) ? host : guest;
		double v = m ? mvec_get(m, id) : NAN;
		char val[48];
		if (isnan(v)) {
			/* unknown: its name's last part, in capitals ("PORT") */
			const char *dot = strrchr(name, '.');
			size_t k = 0;
			for (const char *q = dot ? dot + 1 : name; *q && k + 1 < sizeof val; q++)
				val[k++] = (char)toupper((unsigned char)*q);
			val[k] = '\0';
		} else if (v == floor(v) || fabs(v) >= 100) {
			snprintf(val, sizeof val, "%.0f", v);
		} else {
			snprintf(val, sizeof val, "%.2g", v);
		}
		int w = snprintf(out + o, n - o, "%s", val);
		o += w < 0 ? 0 : (size_t)w < n - o ? (size_t)w : n - o - 1;
		p = end + 1;
	}
	out[o < n ? o : n - 1] = '\0';
}

int act_note_plan(const struct act_plan_in *in, struct pol_plan *out)
{
	char text[512];
	act_note_expand(in->a->text ? in->a->text : "", in->guest, in->host, text, sizeof text);
	return pol_plan_note(out, in->rule, in->a, in->why, NULL, "%s", text);
}

int act_note_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	char line[768];
	snprintf(line, sizeof line, "rule %s: %s", ch->rule, ch->note);
	apply_say_why(c->ac, LOG_NOTICE, line, ch->why);
	return 0;
}
