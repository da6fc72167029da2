/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verify_cmd: `vtune-agent verify`: in a guest, is every knob with a change
 * open in the agent's journal still at the value vtune set? The journal is
 * read, never locked: it works while `vtune-agent run` holds it. */
#include "agent.h"
#include "action.h"
#include "journal.h"
#include "jverify.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: vtune-agent verify [--journal PATH] [--root DIR] [--json]\n"
	"\n"
	"Check that every knob with a change open in this guest's journal still\n"
	"has the value vtune set (like tuned-adm verify): one line each, ok,\n"
	"differs (now X, vtune set Y) or gone. Works while vtune-agent run holds\n"
	"the journal.\n"
	"  -J, --journal PATH  change journal (default " VTUNE_JOURNAL_DEFAULT ")\n"
	"  -r, --root DIR      /proc and /sys under DIR (default /)\n"
	"  -j, --json          one JSON object: every knob's state, and the counts\n"
	"\n"
	"Exit status: 0 every knob as vtune set it, 1 some differ, are gone or\n"
	"cannot be read (or the journal cannot be read), 2 usage error.\n";

int agent_verify_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "journal", required_argument, NULL, 'J' },
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *jpath = VTUNE_JOURNAL_DEFAULT, *root = "/";
	int json = 0, c, err = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "J:r:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'J': jpath = optarg; break;
		case 'r': root = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return 2; /* getopt said what, on one line */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtune-agent verify: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	log_init("vtune-agent", LOG_TO_SYSLOG, LOG_INFO);
	act_register_knobs(); /* the knob kinds its journal may name (rps...) */
	struct journal *j = journal_open_ro(jpath, &err);
	if (!j && err != -ENOENT) {
		fprintf(stderr, "vtune-agent verify: journal %s: %s\n", jpath, strerror(-err));
		return 1;
	}
	struct jv_item *it = NULL;
	size_t n = 0;
	int status = jv_check(j, root, NULL, NULL, &it, &n) ? 1 : 0;
	status |= jv_report(jpath, it, n, json, NULL);
	if (j && journal_damage_count(j)) {
		fprintf(stderr, "vtune-agent verify: journal %s: %zu damaged record(s): their knobs "
			"are not checked\n", jpath, journal_damage_count(j));
		status = 1;
	}
	free(it);
	journal_close(j);
	return status;
}
