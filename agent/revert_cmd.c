/* SPDX-License-Identifier: GPL-2.0-or-later */
/* revert_cmd: `vtune-agent revert` undoes the changes of this guest's
 * journal; while `vtune-agent run` holds the journal it asks the agent
 * (its control socket, actl.c), which answers with agent_revert_serve. */
#include "agent.h"
#include "action.h"
#include "actl.h"
#include "ctl_client.h"
#include "journal.h"
#include "log.h"
#include "parse.h"
#include "undo.h"
#include "undo_serve.h"
#include "vclock.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: vtune-agent revert (--all | --rule NAME | --since TIME) [--journal PATH]\n"
	"                          [--control PATH] [--root DIR] [--dry-run] [--force]\n"
	"                          [--json]\n"
	"\n"
	"Undo changes of this guest's journal, newest first, as vtune revert does.\n"
	"While vtune-agent run holds the journal, the agent is asked (dry runs too).\n"
	"  -a, --all           every change not yet reverted\n"
	"      --rule NAME     the changes made by policy rule NAME\n"
	"      --since TIME    changes made at or after TIME: epoch seconds, -10m /\n"
	"                      -2h / -1d, or YYYY-MM-DDTHH:MM:SS (UTC)\n"
	"  -J, --journal PATH  change journal (default " VTUNE_JOURNAL_DEFAULT ")\n"
	"  -c, --control PATH  the running agent's control socket (default\n"
	"                      $VTUNE_AGENT_CONTROL, else " CTL_AGENT_DEFAULT_PATH ")\n"
	"  -r, --root DIR      /proc and /sys under DIR (default /)\n"
	"  -n, --dry-run       show what a revert would do, line for line\n"
	"      --force         also overwrite knobs someone else changed since\n"
	"  -j, --json          one JSON object: the lines and the counts\n"
	"\n"
	"A knob changed by someone else since vtune set it is left alone and\n"
	"reported. Exit status: 0 all selected changes restored, 1 some were\n"
	"skipped, failed or damaged, 2 usage error.\n";

json_object *agent_revert_serve(void *arg, json_object *req)
{
	const struct agent_ctl_ctx *c = arg;
	json_object *v;
	const char *cmd = json_object_object_get_ex(req, "cmd", &v) &&
				  json_object_is_type(v, json_type_string)
			  ? json_object_get_string(v) : "";
	if (strcmp(cmd, "revert")) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "error", json_object_new_string("unknown cmd (revert)"));
		return o;
	}
	json_object *o = undo_serve(c->journal, c->root, c->jpath, req, 0, NULL, NULL);
	json_object_object_add(o, "asked", json_object_new_array());
	json_object_object_add(o, "by", json_object_new_string("vtune-agent"));
	json_object_object_get_ex(o, "not_restored", &v);
	log_info("control: revert %s: %d not restored", json_object_object_get_ex(req, "dry_run", &v)
		 && json_object_get_boolean(v) ? "(dry run)" : "done", v ? json_object_get_int(v) : 0);
	return o;
}

struct actl *agent_ctl_open(const char *path, struct agent_ctl_ctx *ctx)
{
	int err = 0;
	if (!path || !strcmp(path, "off"))
		return NULL;
	struct actl *c = actl_open(path, agent_revert_serve, ctx, &err);
	if (!c)
		log_warn("control socket %s: %s: vtune-agent revert cannot ask this agent", path,
			 err == -EADDRINUSE ? "another agent answers there" : strerror(-err));
	else
		log_info("control socket %s: vtune-agent revert asks here", path);
	return c;
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...)
{
	va_list ap;
	fputs("vtune-agent revert: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try vtune-agent revert --help)\n", stderr);
	return 2;
}

int agent_revert_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "rule", required_argument, NULL, 'R' },
		{ "since", required_argument, NULL, 's' },
		{ "journal", required_argument, NULL, 'J' },
		{ "control", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct revert_sel sel = { .by = REVERT_ALL };
	struct undo_opts uo = {
		.prog = "vtune-agent revert", .journal = VTUNE_JOURNAL_DEFAULT, .root = "/",
		.hostd_cmd = "revert", .by_default = ctl_agent_path(), .wait_s = 0,
	};
	int nsel = 0, json = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+aJ:c:r:njh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': sel.by = REVERT_ALL; nsel++; break;
		case 'R':
			if (!*optarg)
				return bad_usage("--rule needs a rule name");
			sel.by = REVERT_RULE;
			sel.rule = optarg;
			nsel++;
			break;
		case 's':
			if (journal_parse_time(optarg, vclock_wall_ns(), &sel.since_ns))
				return bad_usage("--since: cannot read time '%s'", optarg);
			sel.by = REVERT_SINCE;
			nsel++;
			break;
		case 'J': uo.journal = optarg; break;
		case 'c': uo.control = optarg; break;
		case 'r': uo.root = optarg; break;
		case 'n': uo.dry = 1; break;
		case 'f': uo.force = 1; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return bad_usage("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (nsel != 1)
		return bad_usage("give exactly one of --all, --rule NAME, --since TIME");
	log_init("vtune-agent", LOG_TO_SYSLOG, LOG_INFO);
	act_register_knobs(); /* the knob kinds its journal may name (rps...) */
	json_object *res = undo_run(&uo, &sel);
	if (!res) {
		fprintf(stderr, "vtune-agent revert: out of memory\n");
		return 1;
	}
	int r = undo_print("vtune-agent revert", res, json);
	json_object_put(res);
	return r;
}
