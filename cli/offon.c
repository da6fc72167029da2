/* SPDX-License-Identifier: GPL-2.0-or-later */
/* offon: `vtune off` reverts every change (as `vtune revert --all`) and
 * keeps vtune-hostd from acting until `vtune on`; the state lives in a
 * file beside the journal (lib/offstate), so a restart keeps it. */
#include "commands.h"
#include "backend_table.h"
#include "ctl_client.h"
#include "journal.h"
#include "journal_path.h"
#include "log.h"
#include "offstate.h"
#include "parse.h"
#include "undo.h"
#include "vclock.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char off_usage[] =
	"usage: vtune off [--journal PATH] [--control PATH] [--root DIR] [--wait S]\n"
	"                 [--json]\n"
	"\n"
	"Stop tuning: revert every change of the journal, as vtune revert --all\n"
	"does (through the running vtune-hostd when it holds the journal), and keep\n"
	"vtune-hostd from acting until vtune on: it still takes the guests' reports,\n"
	"and no rule fires. The state is the file JOURNAL.off, so it holds across a\n"
	"restart of vtune-hostd.\n"
	"  --journal PATH  journal file (default " CLI_JOURNAL_HELP ")\n"
	"  --control PATH  vtune-hostd's control socket (default $VTUNE_CONTROL,\n"
	"                  else /run/vtune/hostd.sock); asked when the journal is\n"
	"                  in use\n"
	"  --root DIR      root prefix for /proc and /sys (default /)\n"
	"  --wait S        wait up to S seconds (default 10) for guests to confirm\n"
	"  --json          one JSON object: the revert's lines and counts, the state\n"
	"\n"
	"Exit status: 0 tuning off and every change reverted, 1 some change was\n"
	"skipped, queued, pending or damaged (tuning is off all the same) or the\n"
	"state could not be written, 2 usage error.\n";

static const char on_usage[] =
	"usage: vtune on [--journal PATH] [--control PATH] [--json]\n"
	"\n"
	"Resume tuning after vtune off: the state file JOURNAL.off is removed and\n"
	"the running vtune-hostd told; its rules start afresh.\n"
	"  --journal PATH  journal file (default " CLI_JOURNAL_HELP ")\n"
	"  --control PATH  vtune-hostd's control socket (default $VTUNE_CONTROL,\n"
	"                  else /run/vtune/hostd.sock); told when the journal is in\n"
	"                  use\n"
	"  --json          one JSON object: whether tuning was off, and since when\n"
	"\n"
	"Exit status: 0 tuning on, 1 the state file could not be removed or a\n"
	"running vtune-hostd not told, 2 usage error.\n";

struct opts {
	const char *journal, *control, *root;
	double wait_s;
	int json;
};

/* Parse the options both share (on takes no --root or --wait). 0, or the
 * exit status (help: 0 after printing it, usage error: 2) plus 1. */
static int parse(int argc, char **argv, const char *prog, const char *usage, int off,
		 struct opts *o)
{
	static const struct option opts[] = {
		{ "journal", required_argument, NULL, 'j' },
		{ "control", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'R' },
		{ "wait", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	o->journal = cli_journal();
	o->root = "/";
	o->wait_s = 10;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if ((c == 'R' || c == 'w') && !off)
			c = '?';
		switch (c) {
		case 'j': o->journal = optarg; break;
		case 'c': o->control = optarg; break;
		case 'R': o->root = optarg; break;
		case 'J': o->json = 1; break;
		case 'w':
			if (parse_double(optarg, &o->wait_s) || o->wait_s < 0 || o->wait_s > 3600) {
				fprintf(stderr, "%s: --wait: want seconds in 0..3600, not '%s'\n", prog,
					optarg);
				return 3;
			}
			break;
		case 'h': fputs(usage, stdout); return 1;
		default:
			fprintf(stderr, "%s: bad option '%s' (try %s --help)\n", prog, argv[optind - 1],
				prog);
			return 3;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (try %s --help)\n", prog, argv[optind],
			prog);
		return 3;
	}
	return 0;
}

int cmd_off_main(int argc, char **argv)
{
	struct opts o = { 0 };
	char state[PATH_MAX], why[256] = "", line[256];
	uint64_t since = 0;
	int r = parse(argc, argv, "vtune off", off_usage, 1, &o);
	if (r)
		return r - 1;
	log_init("vtune", LOG_TO_SYSLOG, LOG_INFO);
	backend_register_knobs(); /* the knob kinds a journal may name */
	if (offstate_path(o.journal, state, sizeof state)) {
		fprintf(stderr, "vtune off: %s: path too long\n", o.journal);
		return 1;
	}
	/* off already: it stays off since then */
	if (offstate_read(state, &since) <= 0 || !since)
		since = vclock_wall_ns() / 1000000000ull;
	/* the state first: no rule fires once it is there, at the next start too */
	r = offstate_write(state, since, why, sizeof why);
	if (r) {
		fprintf(stderr, "vtune off: %s: %s: tuning not turned off, nothing reverted\n", state,
			why[0] ? why : strerror(-r));
		return 1;
	}
	json_object *extra = json_object_new_object();
	json_object_object_add(extra, "since_s", json_object_new_int64((int64_t)since));
	struct undo_opts uo = {
		.prog = "vtune off", .journal = o.journal, .control = o.control, .root = o.root,
		.wait_s = o.wait_s, .hostd_cmd = "off", .extra = extra,
	};
	struct revert_sel all = { .by = REVERT_ALL };
	json_object *res = undo_run(&uo, &all);
	json_object_put(extra);
	if (!res) {
		fprintf(stderr, "vtune off: out of memory\n");
		return 1;
	}
	offstate_describe(since, line, sizeof line);
	json_object *t = json_object_new_object();
	json_object_object_add(t, "off", json_object_new_boolean(1));
	json_object_object_add(t, "since_s", json_object_new_int64((int64_t)since));
	json_object_object_add(t, "state_file", json_object_new_string(state));
	json_object_object_add(t, "text", json_object_new_string(line));
	json_object_object_add(res, "tuning", t);
	r = undo_print("vtune off", res, o.json);
	if (!o.json)
		printf("%s\n", line); /* the last word: what holds from now on */
	json_object_put(res);
	return r;
}

int cmd_on_main(int argc, char **argv)
{
	struct opts o = { 0 };
	char state[PATH_MAX], err[256], line[256];
	uint64_t since = 0;
	int r = parse(argc, argv, "vtune on", on_usage, 0, &o);
	if (r)
		return r - 1;
	if (offstate_path(o.journal, state, sizeof state)) {
		fprintf(stderr, "vtune on: %s: path too long\n", o.journal);
		return 1;
	}
	int was = offstate_read(state, &since);
	r = offstate_clear(state);
	if (r < 0) {
		fprintf(stderr, "vtune on: %s: %s: tuning stays off\n", state, strerror(-r));
		return 1;
	}
	/* a running daemon keeps the state in memory: told */
	const char *ctl = o.control;
	if (!ctl && journal_in_use(o.journal) > 0)
		ctl = ctl_default_path();
	int status = 0;
	const char *told = "not running";
	json_object *reply = NULL, *v;
	if (ctl) {
		json_object *req = json_object_new_object();
		json_object_object_add(req, "cmd", json_object_new_string("on"));
		r = ctl_request(ctl, req, &reply, err, sizeof err);
		json_object_put(req);
		if (!r && (!json_object_object_get_ex(reply, "ok", &v) || !json_object_get_boolean(v)))
			snprintf(err, sizeof err, "vtune-hostd: %s",
				 json_object_object_get_ex(reply, "error", &v) ? json_object_get_string(v)
									   : "refused");
		else if (!r)
			told = "told";
		if (strcmp(told, "told")) {
			told = "not told";
			status = 1;
		}
		json_object *t;
		if (!r && json_object_object_get_ex(reply, "tuning", &t) &&
		    json_object_object_get_ex(t, "off", &v) && json_object_get_boolean(v)) {
			was = 1; /* the daemon was off (a state file removed by hand) */
			if (json_object_object_get_ex(t, "since_s", &v) && !since)
				since = (uint64_t)json_object_get_int64(v);
		}
		json_object_put(reply);
	}
	offstate_when(since, line, sizeof line);
	if (o.json) {
		json_object *out = json_object_new_object();
		json_object_object_add(out, "ok", json_object_new_boolean(!status));
		json_object_object_add(out, "was_off", json_object_new_boolean(was > 0));
		json_object_object_add(out, "off_since_s", json_object_new_int64((int64_t)since));
		json_object_object_add(out, "hostd", json_object_new_string(told));
		if (status)
			json_object_object_add(out, "error", json_object_new_string(err));
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
								JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
		return status;
	}
	if (was > 0)
		printf("tuning on: the rules fire again (it was off since %s)\n", line);
	else
		printf("tuning on: it was not off\n");
	if (status)
		fprintf(stderr, "vtune on: the running vtune-hostd was not told (%s): it resumes "
			"when restarted\n", err);
	return status;
}
