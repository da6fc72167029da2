/* SPDX-License-Identifier: GPL-2.0-or-later */
/* status: `vtune status`: what vtune-hostd sees, from its control socket:
 * each guest's channel, report counts, latest metrics and active rules. */
#include "commands.h"
#include "fmtnum.h"
#include "ctl_client.h"
#include "textwrap.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_status_main(int argc, char **argv);

static const char usage[] =
	"usage: vtune status [--control PATH] [--json]\n"
	"\n"
	"Show what vtune-hostd sees: each guest's agent channel, its reports\n"
	"(taken / refused / dropped), the latest guest and host metrics and the\n"
	"rules active for it.\n"
	"  --control PATH  hostd's control socket (default $VTUNE_CONTROL, else "
	CTL_CLIENT_DEFAULT_PATH ")\n"
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

int cmd_status_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = ctl_default_path();
	int json = 0, c;
	char err[512];
	json_object *rep = NULL, *req, *v;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
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
	printf("vtune-hostd %s: backend %s, interval %s s%s\n", str(rep, "version"),
	       str(rep, "backend"), str(rep, "interval_s"), num(rep, "dry_run") ? ", dry run" : "");
	printf("policy %s: %lld rules\n", str(rep, "policy"), num(rep, "rules"));
	printf("journal %s: %lld records\n\n", str(jr, "path"), num(jr, "records"));
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
