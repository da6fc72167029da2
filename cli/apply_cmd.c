/* SPDX-License-Identifier: GPL-2.0-or-later */
/* apply_cmd: `vtune apply --dry-run`: ask vtune-hostd which changes its
 * policy would make now on the latest views, and print them. */
#include "commands.h"
#include "textwrap.h"
#include "ctl_client.h"
#include "offstate.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_apply_main(int argc, char **argv);

static const char usage[] =
	"usage: vtune apply --dry-run [--control PATH] [--json]\n"
	"\n"
	"Show the changes vtune-hostd's policy would make now, on each guest's\n"
	"latest report and host view, as if every rule's condition had held for\n"
	"its whole `for`. Nothing is applied and the daemon's rule timers do not move.\n"
	"  --dry-run       required: the daemon applies changes on its own\n"
	"  --control PATH  hostd's control socket (default $VTUNE_CONTROL, else "
	CTL_CLIENT_DEFAULT_PATH ")\n"
	"  --json          print the daemon's JSON reply\n";

static const char *str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "";
}

int cmd_apply_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "control", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = ctl_default_path();
	int json = 0, dry = 0, c;
	char err[512];
	json_object *rep = NULL, *req, *v, *plan = NULL;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+nc:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': dry = 1; break;
		case 'c': path = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return 2; /* getopt said what, on one line */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtune apply: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!dry) {
		fprintf(stderr, "vtune apply: only --dry-run exists: vtune-hostd applies changes itself\n");
		return 2;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("apply"));
	json_object_object_add(req, "dry_run", json_object_new_boolean(1));
	int r = ctl_request(path, req, &rep, err, sizeof err);
	json_object_put(req);
	if (r < 0) {
		fprintf(stderr, "vtune apply: %s\n", err);
		return 1;
	}
	if (!json_object_object_get_ex(rep, "ok", &v) || !json_object_get_boolean(v)) {
		fprintf(stderr, "vtune apply: vtune-hostd says: %s\n", str(rep, "error"));
		json_object_put(rep);
		return 1;
	}
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(rep);
		return 0;
	}
	json_object *t;
	if (json_object_object_get_ex(rep, "tuning", &t) && json_object_object_get_ex(t, "off", &v) &&
	    json_object_get_boolean(v)) {
		/* `vtune off`: the rules are evaluated here, never acted on */
		char line[160];
		json_object_object_get_ex(t, "since_s", &v);
		text_wrap(stdout, 4, NULL, offstate_describe(v ? (uint64_t)json_object_get_int64(v) : 0,
							    line, sizeof line));
		printf("(while it is off, nothing below is applied)\n");
	}
	json_object_object_get_ex(rep, "plan", &plan);
	size_t n = plan ? json_object_array_length(plan) : 0;
	if (!n)
		printf("no changes: no rule would fire on the current views\n");
	for (size_t i = 0; i < n; i++) {
		json_object *ch = json_object_array_get_idx(plan, i);
		const char *kind = str(ch, "kind");
		char line[2048];
		if (!strcmp(kind, "note"))
			snprintf(line, sizeof line, "guest %s: note (rule %s): %s", str(ch, "guest"),
				 str(ch, "rule"), str(ch, "note"));
		else
			snprintf(line, sizeof line, "guest %s: would set %s %s %s %s -> %s (rule %s; %s)",
				 str(ch, "guest"), str(ch, "side"), kind, str(ch, "key"),
				 *str(ch, "old") ? str(ch, "old") : "n/a (not read)", str(ch, "new"),
				 str(ch, "rule"), str(ch, "why"));
		text_wrap(stdout, 4, NULL, line); /* at most 100 columns */
		if (*str(ch, "expect")) {
			snprintf(line, sizeof line, "expected: %s", str(ch, "expect"));
			text_wrap(stdout, 4, "    ", line);
		}
	}
	json_object_put(rep);
	return 0;
}
