/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verify: `vtune verify`: is every knob with a change open in the journal
 * still at the value vtune set (like `tuned-adm verify`)? Host knobs read
 * here from a read-only journal (vtune-hostd may run); guests' knobs
 * through vtune-hostd, from their latest reports, when it has them. */
#include "commands.h"
#include "backend_table.h"
#include "ctl_client.h"
#include "journal.h"
#include "journal_path.h"
#include "jverify.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: vtune verify [--journal PATH] [--control PATH] [--root DIR] [--json]\n"
	"\n"
	"Check that every knob with a change open in the journal still has the\n"
	"value vtune set, like tuned-adm verify: one line each, ok, differs (now\n"
	"X, vtune set Y) or gone. Host knobs are read here; knobs in guests\n"
	"through the running vtune-hostd, as each guest's latest report gives them,\n"
	"else they are left to the guest's agent (vtune-agent verify).\n"
	"  --journal PATH  journal file (default " CLI_JOURNAL_HELP ")\n"
	"  --control PATH  vtune-hostd's control socket (default $VTUNE_CONTROL,\n"
	"                  else /run/vtune/hostd.sock); asked when the journal is\n"
	"                  in use\n"
	"  --root DIR      root prefix for /proc and /sys (default /)\n"
	"  --json          one JSON object: every knob's state, and the counts\n"
	"\n"
	"Exit status: 0 every knob as vtune set it, 1 some differ, are gone or\n"
	"cannot be read (or the journal cannot be read), 2 usage error.\n";

/* jv_guest_fn: the daemon's reading of a guest's knob (its items by seq). */
static int from_daemon(void *arg, const struct jrec *rec, char *now, size_t n, char *how,
		       size_t hn)
{
	json_object *items = arg, *v;
	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		json_object *it = json_object_array_get_idx(items, i);
		if (!json_object_object_get_ex(it, "seq", &v) || json_object_get_int64(v) != rec->seq)
			continue;
		const char *st = json_object_object_get_ex(it, "state", &v)
					 ? json_object_get_string(v) : "";
		if (strcmp(st, "ok") && strcmp(st, "differs"))
			return -ENOENT;
		snprintf(now, n, "%s", json_object_object_get_ex(it, "now", &v)
				       ? json_object_get_string(v) : "");
		snprintf(how, hn, "%s", json_object_object_get_ex(it, "detail", &v)
					? json_object_get_string(v) : "");
		return 0;
	}
	return -ENOENT;
}

int cmd_verify_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "journal", required_argument, NULL, 'j' },
		{ "control", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = cli_journal(), *root = "/", *control = NULL;
	int json = 0, c, err = 0;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'j': path = optarg; break;
		case 'c': control = optarg; break;
		case 'R': root = optarg; break;
		case 'J': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			fprintf(stderr, "vtune verify: bad option '%s' (try vtune verify --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtune verify: unexpected argument '%s' (try vtune verify --help)\n",
			argv[optind]);
		return 2;
	}
	log_init("vtune", LOG_TO_SYSLOG, LOG_INFO);
	backend_register_knobs(); /* the knob kinds a journal may name */
	struct journal *j = journal_open_ro(path, &err);
	if (!j && err != -ENOENT) {
		fprintf(stderr, "vtune verify: journal %s: %s\n", path, strerror(-err));
		return 1;
	}
	/* the guests' knobs: the running daemon has their reports */
	json_object *reply = NULL, *items = NULL, *extra = json_object_new_object(), *v;
	if (!control && j && journal_in_use(path) > 0)
		control = ctl_default_path();
	if (control) {
		char why[256];
		json_object *req = json_object_new_object();
		json_object_object_add(req, "cmd", json_object_new_string("verify"));
		int r = ctl_request(control, req, &reply, why, sizeof why);
		json_object_put(req);
		if (!r && json_object_object_get_ex(reply, "items", &v))
			items = v;
		else if (!r)
			snprintf(why, sizeof why, "vtune-hostd: %s",
				 json_object_object_get_ex(reply, "error", &v)
				 ? json_object_get_string(v) : "no items");
		if (!items)
			fprintf(stderr, "vtune verify: %s: changes in guests left to their agents\n", why);
		json_object_object_add(extra, "hostd", json_object_new_string(items ? "asked" : why));
	}
	struct jv_item *it = NULL;
	size_t n = 0;
	int status = jv_check(j, root, from_daemon, items, &it, &n) ? 1 : 0;
	status |= jv_report(path, it, n, json, extra);
	if (j && journal_damage_count(j)) {
		fprintf(stderr, "vtune verify: journal %s: %zu damaged record(s): their knobs are not "
			"checked\n", path, journal_damage_count(j));
		status = 1;
	}
	free(it);
	json_object_put(extra);
	json_object_put(reply);
	journal_close(j);
	return status;
}
