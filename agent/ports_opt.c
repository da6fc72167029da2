/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ports_opt: the options of `vtune-agent run` (and run --standalone) that
 * set how often ports in use may be counted exactly (lib/gv_ports.h). */
#include "agent.h"
#include "parse.h"

#include <stdio.h>

int agent_ports_opt(const char *cmd, int opt, const char *arg, struct gv_ports_cfg *cfg)
{
	double v;
	if (opt == AGENT_OPT_PORTS_BUDGET) {
		if (parse_double(arg, &v) || v < 0 || v > 100) {
			fprintf(stderr, "vtune-agent %s: --ports-budget: want a percentage of one CPU "
				"in 0..100, not '%s'\n", cmd, arg);
			return -1;
		}
		cfg->budget_pct = v;
		return 0;
	}
	if (parse_double(arg, &v) || v < 0 || v > 86400) {
		fprintf(stderr, "vtune-agent %s: --ports-period: want seconds in 0..86400, not '%s'\n",
			cmd, arg);
		return -1;
	}
	cfg->period_s = v;
	return 0;
}
