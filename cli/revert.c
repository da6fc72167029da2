/* SPDX-License-Identifier: GPL-2.0-or-later */
/* revert: `vtune revert` undoes changes recorded in the journal, newest
 * first, and never overwrites a knob someone else changed (unless --force);
 * through vtune-hostd whenever it holds the journal (cli/undo.c). */
#include "commands.h"
#include "ctl_client.h"
#include "backend_table.h"
#include "journal.h"
#include "journal_path.h"
#include "log.h"
#include "parse.h"
#include "undo.h"
#include "vclock.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: vtune revert (--all | --rule NAME | --since TIME) [--journal PATH]\n"
	"                    [--control PATH] [--root DIR] [--dry-run] [--force]\n"
	"                    [--wait S] [--json]\n"
	"\n"
	"Undo changes recorded in the journal, newest first.\n"
	"  --all           every change not yet reverted\n"
	"  --rule NAME     the changes made by policy rule NAME\n"
	"  --since TIME    changes made at or after TIME: epoch seconds, -10m / -2h\n"
	"                  / -1d relative to now, or YYYY-MM-DDTHH:MM:SS (UTC)\n"
	"  --journal PATH  journal file (default " CLI_JOURNAL_HELP ")\n"
	"  --control PATH  ask the running vtune-hostd at PATH to revert (it holds the\n"
	"                  journal and is the only one that can reach the guests);\n"
	"                  done by itself, dry runs too, when the journal is in use\n"
	"                  (default $VTUNE_CONTROL, else /run/vtune/hostd.sock; in a\n"
	"                  guest, vtune-agent run's: $VTUNE_AGENT_CONTROL, else\n"
	"                  " CTL_AGENT_DEFAULT_PATH ")\n"
	"  --root DIR      root prefix for /proc and /sys (default /)\n"
	"  --dry-run       show what a revert would do, line for line; change nothing\n"
	"  --force         also overwrite knobs someone else changed since\n"
	"  --wait S        through vtune-hostd: wait up to S seconds (default 10)\n"
	"                  for each guest to confirm its reverts\n"
	"  --json          one JSON object: the lines, what guests confirmed, what\n"
	"                  is pending or damaged, and their counts\n"
	"\n"
	"A knob changed by someone else since vtune set it is left alone and\n"
	"reported. A change in a guest counts as reverted only when the guest\n"
	"confirms the original value; one it has not confirmed is listed as\n"
	"pending on stderr and asked again when the guest reconnects. With\n"
	"vtune-hostd stopped, changes in guests are queued: vtune-hostd asks each\n"
	"guest when its agent next says hello (vtune status lists them). Damaged\n"
	"journal records are listed on stderr: nothing is restored from them.\n"
	"Exit status: 0 all selected changes restored, 1 some were skipped,\n"
	"failed, queued, pending or damaged, 2 usage error.\n";

static int bad_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Print one usage error and return 2. */
static int bad_usage(const char *fmt, ...)
{
	va_list ap;
	fputs("vtune revert: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try vtune revert --help)\n", stderr);
	return 2;
}

int cmd_revert_main(int argc, char **argv)
{
	/* Lines for people go to stdout; the change log to syslog/journald. */
	log_init("vtune", LOG_TO_SYSLOG, LOG_INFO);
	backend_register_knobs(); /* the knob kinds a journal may name */
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "rule", required_argument, NULL, 'r' },
		{ "since", required_argument, NULL, 's' },
		{ "journal", required_argument, NULL, 'j' },
		{ "control", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'R' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "wait", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct revert_sel sel = { .by = REVERT_ALL };
	const char *path = cli_journal(), *root = "/", *control = NULL;
	int nsel = 0, dry = 0, force = 0, json = 0, c;
	double wait_s = 10;

	optind = 0; /* full getopt reset: callers (tests) may run us twice */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			sel.by = REVERT_ALL;
			nsel++;
			break;
		case 'r':
			if (!*optarg)
				return bad_usage("--rule needs a rule name");
			sel.by = REVERT_RULE;
			sel.rule = optarg;
			nsel++;
			break;
		case 's':
			if (journal_parse_time(optarg, vclock_wall_ns(), &sel.since_ns))
				return bad_usage("--since: cannot read time '%s' (epoch "
						 "seconds, -10m, -2h or YYYY-MM-DDTHH:MM:SS)",
						 optarg);
			sel.by = REVERT_SINCE;
			nsel++;
			break;
		case 'j':
			path = optarg;
			break;
		case 'c':
			control = optarg;
			break;
		case 'R':
			root = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'f':
			force = 1;
			break;
		case 'w':
			if (parse_double(optarg, &wait_s) || wait_s < 0 || wait_s > 3600)
				return bad_usage("--wait: want seconds in 0..3600, not '%s'", optarg);
			break;
		case 'J':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return bad_usage("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (nsel != 1)
		return bad_usage("give exactly one of --all, --rule NAME, --since TIME");

	struct undo_opts uo = {
		.prog = "vtune revert", .journal = path, .control = control, .root = root,
		.dry = dry, .force = force, .wait_s = wait_s, .hostd_cmd = "revert",
		.alt = ctl_agent_path(), /* in a guest: the agent holds it */
	};
	json_object *res = undo_run(&uo, &sel);
	if (!res) {
		fprintf(stderr, "vtune revert: out of memory\n");
		return 1;
	}
	int r = undo_print("vtune revert", res, json);
	json_object_put(res);
	return r;
}
