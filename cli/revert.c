/* SPDX-License-Identifier: GPL-2.0-or-later */
/* revert: `vtune revert` undoes changes recorded in the journal, newest
 * first, and never overwrites a knob someone else changed (unless --force). */
#include "commands.h"
#include "ctl_client.h"
#include "backend_table.h"
#include "journal.h"
#include "log.h"
#include "textwrap.h"
#include "parse.h"
#include "vclock.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_JOURNAL VTUNE_JOURNAL_DEFAULT

static const char usage[] =
	"usage: vtune revert (--all | --rule NAME | --since TIME) [--journal PATH]\n"
	"                    [--control PATH] [--root DIR] [--dry-run] [--force]\n"
	"\n"
	"Undo changes recorded in the journal, newest first.\n"
	"  --all           every change not yet reverted\n"
	"  --rule NAME     the changes made by policy rule NAME\n"
	"  --since TIME    changes made at or after TIME: epoch seconds, -10m / -2h\n"
	"                  / -1d relative to now, or YYYY-MM-DDTHH:MM:SS (UTC)\n"
	"  --journal PATH  journal file (default $VTUNE_JOURNAL, else "
	DEFAULT_JOURNAL ")\n"
	"  --control PATH  ask the running vtune-hostd at PATH to revert (it holds the\n"
	"                  journal and is the only one that can reach the guests);\n"
	"                  done by itself when the journal is in use\n"
	"                  (default $VTUNE_CONTROL, else /run/vtune/hostd.sock)\n"
	"  --root DIR      root prefix for /proc and /sys (default /)\n"
	"  --dry-run       show what would be reverted; change nothing\n"
	"  --force         also overwrite knobs someone else changed since\n"
	"  --wait S        through vtune-hostd: wait up to S seconds (default 10)\n"
	"                  for each guest to confirm its reverts\n"
	"\n"
	"A knob changed by someone else since vtune set it is left alone and\n"
	"reported. A change in a guest counts as reverted only when the guest\n"
	"confirms the original value; one it has not confirmed is listed as\n"
	"pending on stderr and asked again when the guest reconnects. Damaged\n"
	"journal records are listed on stderr: nothing is restored from them.\n"
	"Exit status: 0 all selected changes restored, 1 some were skipped,\n"
	"failed, pending or damaged, 2 usage error.\n";

static int bad_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* The guests' reverts the daemon asked for: wait up to wait_s for their
 * acks, then say which are confirmed and which are still pending. Returns
 * the number still pending (or unknown). */
static int wait_guests(const char *control, json_object *asked, double wait_s)
{
	size_t n = json_object_array_length(asked);
	json_object *reply = NULL, *items = NULL, *v;
	char err[256];
	int pending = (int)n;
	for (int round = 0; n; round++) {
		json_object *req = json_object_new_object();
		json_object_object_add(req, "cmd", json_object_new_string("revert-wait"));
		json_object_object_add(req, "seqs", json_object_get(asked));
		json_object_put(reply);
		reply = NULL;
		int r = ctl_request(control, req, &reply, err, sizeof err);
		json_object_put(req);
		if (r) {
			fprintf(stderr, "vtune revert: %s\n", err);
			return pending;
		}
		items = json_object_object_get_ex(reply, "items", &v) ? v : NULL;
		pending = 0;
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			json_object *it = json_object_array_get_idx(items, i), *st;
			pending += json_object_object_get_ex(it, "state", &st) &&
				   !strcmp(json_object_get_string(st), "asked");
		}
		if (!pending || round * 0.2 >= wait_s)
			break;
		usleep(200000);
	}
	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		json_object *it = json_object_array_get_idx(items, i), *st, *what, *det;
		json_object_object_get_ex(it, "state", &st);
		json_object_object_get_ex(it, "what", &what);
		json_object_object_get_ex(it, "detail", &det);
		const char *s = st ? json_object_get_string(st) : "?";
		if (!strcmp(s, "reverted"))
			printf("confirmed: %s reverted (%s)\n", json_object_get_string(what),
			       json_object_get_string(det));
		else
			fprintf(stderr, "vtune revert: pending: %s: the guest has not confirmed the revert%s%s"
				" (vtune-hostd asks again when it reconnects)\n",
				json_object_get_string(what), det && *json_object_get_string(det) ? ": " : "",
				det ? json_object_get_string(det) : "");
	}
	json_object_put(reply);
	return pending;
}

/* Revert through the daemon: it holds the journal lock and the guests'
 * channels. Prints its lines; returns the exit status. */
static int revert_via_daemon(const char *control, const struct revert_sel *sel,
			     int dry, int force, double wait_s)
{
	json_object *req = json_object_new_object(), *reply = NULL, *v;
	char err[256];
	json_object_object_add(req, "cmd", json_object_new_string("revert"));
	if (sel->by == REVERT_RULE)
		json_object_object_add(req, "rule", json_object_new_string(sel->rule));
	else if (sel->by == REVERT_SINCE)
		json_object_object_add(req, "since_ns", json_object_new_int64((int64_t)sel->since_ns));
	else
		json_object_object_add(req, "all", json_object_new_boolean(1));
	if (dry)
		json_object_object_add(req, "dry_run", json_object_new_boolean(1));
	if (force)
		json_object_object_add(req, "force", json_object_new_boolean(1));
	int r = ctl_request(control, req, &reply, err, sizeof err);
	json_object_put(req);
	if (r) {
		fprintf(stderr, "vtune revert: %s\n", err);
		return 1;
	}
	int status = 0;
	if (json_object_object_get_ex(reply, "lines", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			text_wrap(stdout, 4, NULL,
				  json_object_get_string(json_object_array_get_idx(v, i)));
	if (!json_object_object_get_ex(reply, "ok", &v) || !json_object_get_boolean(v)) {
		fprintf(stderr, "vtune revert: vtune-hostd: %s\n",
			json_object_object_get_ex(reply, "error", &v) ? json_object_get_string(v)
								      : "refused");
		status = 1;
	} else if (json_object_object_get_ex(reply, "not_restored", &v) && json_object_get_int(v)) {
		status = 1;
	}
	/* guests' reverts: done only when each guest confirms */
	if (!dry && json_object_object_get_ex(reply, "asked", &v) &&
	    json_object_is_type(v, json_type_array) && json_object_array_length(v) &&
	    wait_guests(control, v, wait_s))
		status = 1;
	/* damage the daemon found in its journal: never restorable */
	if (json_object_object_get_ex(reply, "damaged", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			fprintf(stderr, "vtune revert: journal: %s\n",
				json_object_get_string(json_object_array_get_idx(v, i)));
	if (json_object_object_get_ex(reply, "damaged_count", &v) && json_object_get_int(v) > 0) {
		fprintf(stderr, "vtune revert: the journal has %d damaged record(s): what they recorded "
			"cannot be restored by vtune; check those knobs by hand\n", json_object_get_int(v));
		status = 1;
	}
	json_object_put(reply);
	return status;
}

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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct revert_sel sel = { .by = REVERT_ALL };
	const char *path = getenv("VTUNE_JOURNAL"), *root = "/", *control = NULL;
	int nsel = 0, dry = 0, force = 0, c, err = 0;
	double wait_s = 10;

	if (!path || !*path)
		path = DEFAULT_JOURNAL;
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

	if (control)
		return revert_via_daemon(control, &sel, dry, force, wait_s);
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		printf("nothing to revert (no journal at %s)\n", path);
		return 0;
	}
	struct journal *j = dry ? journal_open_ro(path, &err) : journal_open(path, &err);
	if (!j && (err == -EWOULDBLOCK || err == -EAGAIN)) {
		/* A daemon holds the journal: it does the revert. */
		const char *ctl = ctl_default_path();
		if (access(ctl, F_OK) == 0)
			return revert_via_daemon(ctl, &sel, dry, force, wait_s);
	}
	if (!j) {
		fprintf(stderr, "vtune revert: %s: %s%s\n", path,
			err == -EBADMSG ? "not a vtune journal (no header), or an old one with "
					  "damage: left untouched"
			: err == -ELOOP ? "a symbolic link: refused" : strerror(-err),
			err == -EWOULDBLOCK ? " (is vtune-hostd or vtune-agent "
			"running? stop it first)" : "");
		return 1;
	}
	int r = journal_revert(j, root, &sel, dry, force, stdout, NULL, NULL);
	fflush(stdout);
	/* a torn last record is a crash while writing it (no change followed
	 * it): said, not an error; any other damage is */
	size_t bad = journal_damage_count(j);
	for (size_t i = 0; journal_damage(j, i); i++)
		fprintf(stderr, "vtune revert: journal %s: %s\n", path, journal_damage(j, i));
	if (bad)
		fprintf(stderr, "vtune revert: journal %s: %zu damaged record(s): what they recorded "
			"cannot be restored by vtune; check those knobs by hand\n", path, bad);
	journal_close(j);
	if (r < 0) {
		fprintf(stderr, "vtune revert: journal %s: %s\n", path, strerror(-r));
		return 1;
	}
	return r || bad ? 1 : 0;
}
