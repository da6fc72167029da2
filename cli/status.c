/* SPDX-License-Identifier: GPL-2.0-or-later */
/* status: `vtune status`: what vtune-hostd sees, from its control socket:
 * each guest's channel, report counts, latest metrics and active rules;
 * whether tuning is off and which guests' reverts are pending (read from
 * the journal itself when vtune-hostd is not running). */
#include "commands.h"
#include "fmtnum.h"
#include "ctl_client.h"
#include "journal.h"
#include "journal_path.h"
#include "offstate.h"
#include "textwrap.h"
#include "tuning.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_status_main(int argc, char **argv);

static const char usage[] =
	"usage: vtune status [--control PATH] [--journal PATH] [--json]\n"
	"\n"
	"Show what vtune-hostd sees: each guest's agent channel, its reports\n"
	"(taken / refused / dropped), the latest guest and host metrics and the\n"
	"rules active for it; whether tuning is off (vtune off) and the guests'\n"
	"reverts still pending. With vtune-hostd not running (exit 1) the last two\n"
	"are read from the journal and its state file.\n"
	"  --control PATH  hostd's control socket (default $VTUNE_CONTROL, else "
	CTL_CLIENT_DEFAULT_PATH ")\n"
	"  --journal PATH  the journal, when vtune-hostd is not running (default\n"
	"                  " CLI_JOURNAL_HELP ")\n"
	"  --json          print the daemon's JSON reply\n";

static const char *str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "";
}

static long long num(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && v ? (long long)json_object_get_int64(v) : 0;
}

/* Print "name=value" pairs of a metrics object, wrapped. */
static void print_metrics(const char *label, json_object *m)
{
	int col = 0;
	if (!m || !json_object_is_type(m, json_type_object))
		return;
	json_object_object_foreach(m, k, v) {
		char item[128];
		char val[32];
		int l = snprintf(item, sizeof item, "%s=%s", k,
				 fmt_metric(k, json_object_get_double(v), val, sizeof val));
		if (col == 0 || col + l > 100) {
			printf("%s    %s:", col ? "\n" : "", label);
			col = 6 + (int)strlen(label);
		}
		printf(" %s", item);
		col += l + 1;
	}
	if (col)
		printf("\n");
}

/* The tuning state and the pending reverts, as text. */
static void print_undo(json_object *rep)
{
	json_object *t = NULL, *p = NULL, *v;
	char line[1024];
	if (json_object_object_get_ex(rep, "tuning", &t) && json_object_object_get_ex(t, "off", &v) &&
	    json_object_get_boolean(v))
		printf("%s\n", offstate_describe((uint64_t)num(t, "since_s"), line, sizeof line));
	json_object_object_get_ex(rep, "pending_reverts", &p);
	size_t np = p ? json_object_array_length(p) : 0;
	if (np)
		printf("pending reverts in guests (%zu): asked when the guest's agent says hello\n", np);
	for (size_t i = 0; i < np; i++) {
		json_object *x = json_object_array_get_idx(p, i);
		snprintf(line, sizeof line, "%s (rule %s): %s%s", str(x, "what"),
			 *str(x, "rule") ? str(x, "rule") : "none", str(x, "detail"),
			 num(x, "connected") ? "; its agent is connected, not confirmed yet" : "");
		text_wrap(stdout, 4, "    ", line);
	}
}

/* vtune-hostd is not running: what the journal and its state file say. */
static json_object *local_state(const char *journal)
{
	json_object *o = json_object_new_object(), *t = json_object_new_object();
	char state[PATH_MAX];
	uint64_t since = 0;
	int off = offstate_path(journal, state, sizeof state) ? 0 : offstate_read(state, &since);
	json_object_object_add(t, "off", json_object_new_boolean(off != 0));
	json_object_object_add(t, "since_s", json_object_new_int64((int64_t)since));
	json_object_object_add(o, "tuning", t);
	int err = 0;
	struct journal *j = journal_open_ro(journal, &err);
	json_object *jj = json_object_new_object();
	json_object_object_add(jj, "path", json_object_new_string(journal));
	json_object_object_add(jj, "records", json_object_new_int64(j ? (int64_t)journal_count(j)
									     : 0));
	json_object_object_add(o, "journal", jj);
	json_object_object_add(o, "pending_reverts", tuning_pending_json(j, NULL, 0));
	journal_close(j);
	return o;
}

int cmd_status_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "journal", required_argument, NULL, 'J' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = ctl_default_path(), *journal = cli_journal();
	int json = 0, c;
	char err[512];
	json_object *rep = NULL, *req, *v;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'J': journal = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return 2; /* getopt said what, on one line */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtune status: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	int r = ctl_request(path, req, &rep, err, sizeof err);
	json_object_put(req);
	if (r < 0) {
		fprintf(stderr, "vtune status: %s\n", err);
		/* what can be told without it: vtune off, reverts queued */
		json_object *loc = local_state(journal);
		if (json) {
			json_object_object_add(loc, "ok", json_object_new_boolean(0));
			json_object_object_add(loc, "error", json_object_new_string(err));
			printf("%s\n", json_object_to_json_string_ext(loc, JSON_C_TO_STRING_PRETTY |
								      JSON_C_TO_STRING_NOSLASHESCAPE));
		} else {
			print_undo(loc);
		}
		json_object_put(loc);
		return 1;
	}
	if (!json_object_object_get_ex(rep, "ok", &v) || !json_object_get_boolean(v)) {
		fprintf(stderr, "vtune status: vtune-hostd says: %s\n", str(rep, "error"));
		json_object_put(rep);
		return 1;
	}
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(rep);
		return 0;
	}
	json_object *jr = NULL, *guests = NULL;
	json_object_object_get_ex(rep, "journal", &jr);
	json_object_object_get_ex(rep, "guests", &guests);
	json_object_object_get_ex(rep, "interval_s", &v);
	printf("vtune-hostd %s: backend %s, interval %g s%s\n", str(rep, "version"),
	       str(rep, "backend"), v ? json_object_get_double(v) : 0.0,
	       num(rep, "dry_run") ? ", dry run" : "");
	printf("policy %s: %lld rules\n", str(rep, "policy"), num(rep, "rules"));
	printf("journal %s: %lld records\n", str(jr, "path"), num(jr, "records"));
	print_undo(rep);
	printf("\n");
	size_t ng = guests ? json_object_array_length(guests) : 0;
	if (!ng) {
		printf("no guests\n");
		json_object_put(rep);
		return 0;
	}
	printf("%-20s %-9s %-5s %-9s %8s %5s %8s %8s  %s\n", "GUEST", "CHANNEL", "PROTO",
	       "REPORT", "REPORTS", "BAD", "DROPPED", "INVALID", "ACTIVE RULES");
	for (size_t i = 0; i < ng; i++) {
		json_object *g = json_object_array_get_idx(guests, i), *age, *rules, *gm, *hm;
		char agebuf[32] = "none yet", proto[16] = "n/a", rl[256] = "";
		if (json_object_object_get_ex(g, "report_age_s", &age) && age)
			snprintf(agebuf, sizeof agebuf, "%.1f s ago", json_object_get_double(age));
		if (num(g, "protocol"))
			snprintf(proto, sizeof proto, "v%lld", num(g, "protocol"));
		if (json_object_object_get_ex(g, "active_rules", &rules) && rules)
			for (size_t k = 0; k < json_object_array_length(rules); k++) {
				size_t l = strlen(rl);
				snprintf(rl + l, sizeof rl - l, "%s%s", l ? "," : "",
					 json_object_get_string(json_object_array_get_idx(rules, k)));
			}
		const char *ch = !num(g, "connected") ? "down" : num(g, "agent") ? "up" : "no agent";
		printf("%-20s %-9s %-5s %-9s %8lld %5lld %8lld %8lld  %s\n", str(g, "name"), ch,
		       proto, agebuf, num(g, "reports"), num(g, "bad_reports"), num(g, "dropped"),
		       num(g, "invalid"), rl[0] ? rl : "none");
		if (num(g, "implausible")) {
			char line[1024];
			snprintf(line, sizeof line, "implausible reports: %lld (host rules held%s): %s",
				 num(g, "implausible"), num(g, "implausible_now") ? ", now" : "",
				 str(g, "implausible_why"));
			text_wrap(stdout, 4, "    ", line); /* at most 100 columns */
		}
		if (num(g, "unknown_acks"))
			printf("    acks refused: %lld (no such request or item)\n", num(g, "unknown_acks"));
		if (!num(g, "connected") && *str(g, "last_close"))
			printf("    last closed: %s\n", str(g, "last_close"));
		gm = hm = NULL;
		json_object_object_get_ex(g, "guest_metrics", &gm);
		json_object_object_get_ex(g, "host_metrics", &hm);
		print_metrics("guest", gm);
		print_metrics("host", hm);
		json_object *vf = NULL;
		json_object_object_get_ex(g, "verified", &vf);
		for (size_t k = 0; vf && k < json_object_array_length(vf); k++) {
			json_object *x = json_object_array_get_idx(vf, k), *q;
			double left = json_object_object_get_ex(x, "quarantine_left_s", &q) && q
					      ? json_object_get_double(q) : 0;
			char ql[64] = "";
			if (left > 0)
				snprintf(ql, sizeof ql, "; quarantined for %.0f s more", left);
			printf("    rule %s: %s%s\n", str(x, "rule"), str(x, "text"), ql);
		}
	}
	json_object_put(rep);
	return 0;
}
