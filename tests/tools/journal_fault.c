/* SPDX-License-Identifier: GPL-2.0-or-later */
/* journal_fault: fault injection for the test builds of vtune-hostd and
 * vtune-agent only (BUILD/tests/fault/, mk/testtools.mk); never linked into
 * the programs that are installed or packaged. Inert unless VTUNE_FAULT is
 * set: VTUNE_FAULT=POINT:N (POINT before_intent, after_intent, after_write
 * or after_mark; N >= 1) kills the process with SIGKILL the Nth time
 * journal_apply reaches POINT, as a crash there would
 * (tests/integration/test-crash-revert.sh, tests/e2e/test-sriov-*.sh). */
#include "journal.h"
#include "log.h"
#include "parse.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fault_from_env(enum journal_point pt, const struct jrec *rec)
{
	static const char *const names[] = {
		"before_intent", "after_intent", "after_write", "after_mark",
	};
	static int armed = -1; /* -1: not read yet, 0: off, 1: armed */
	static enum journal_point fault_pt;
	static unsigned long left;

	(void)rec;
	if (armed < 0) {
		const char *s = getenv("VTUNE_FAULT"), *colon;
		armed = 0;
		if (!s || !*s)
			return;
		colon = strchr(s, ':');
		for (size_t i = 0; colon && i < sizeof names / sizeof *names; i++) {
			uint64_t nth;
			if (strlen(names[i]) == (size_t)(colon - s) &&
			    !strncmp(s, names[i], (size_t)(colon - s)) &&
			    !parse_u64(colon + 1, &nth) && nth >= 1) {
				fault_pt = (enum journal_point)i;
				left = nth;
				armed = 1;
			}
		}
		if (armed)
			log_warn("VTUNE_FAULT=%s: test fault injection armed", s);
		else
			log_err("VTUNE_FAULT=%s: not POINT:N (before_intent, after_intent, after_write, after_mark): ignored", s);
	}
	if (armed == 1 && pt == fault_pt && --left == 0)
		raise(SIGKILL);
}

/* Before main: the programs never set a journal hook of their own. The
 * environment is read at the first journal step, after logging is set up. */
__attribute__((constructor)) static void journal_fault_install(void)
{
	journal_set_hook(fault_from_env);
}
