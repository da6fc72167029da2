/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_cmd: `vtune policy check FILE...` — load each policy file and
 * check every action against where it will run (vtune-hostd on a backend,
 * the standalone agent, `vtune-agent once`, an agent protocol version);
 * print every problem as file:line:col, or "configuration OK". */
#include "commands.h"
#include "action.h"
#include "backend.h"
#include "parse.h"
#include "policy.h"
#include "wire.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: vtune policy check [--mode hostd|agent|once] [--backend kvm|xen|sim]\n"
	"                          [--protocol N] [--json] FILE...\n"
	"\n"
	"Load each policy file and check every rule: syntax, metrics, units,\n"
	"bounds, the sysctl allow-list, and that each action can run where the\n"
	"policy is used. Every problem is printed as file:line:col: message.\n"
	"\n"
	"  --mode M       where the policy runs: hostd (vtune-hostd, the default),\n"
	"                 agent (the standalone agent: host actions become advice)\n"
	"                 or once (vtune-agent once: the baseline only)\n"
	"  --backend B    hostd: the hypervisor backend (pinning and PCI passthrough\n"
	"                 depend on it; default: every backend, each rule checked on\n"
	"                 the backends its backends: list names)\n"
	"  --protocol N   hostd: check what agents speaking protocol N can be asked\n"
	"                 (1: older agents; default: the newest, 2)\n"
	"  --json         one JSON object per file: {file, ok, problems}\n"
	"\n"
	"Exit status: 0 all files OK, 1 a file has problems, 2 usage error.\n";

/* Check one file; problems into d. 0 OK, 1 not. */
static int check_file(const char *path, enum act_mode mode, const char *backend,
		      unsigned protocol, struct pol_diag *d)
{
	static const char *const all[] = { "kvm", "xen", "sim" };
	struct pol_set *s = pol_load_file(path, d);
	if (!s)
		return 1;
	int bad = 0;
	if (mode != ACT_HOSTD || backend) {
		struct act_where w = { mode, backend, backend_can, protocol };
		bad = act_check_set(s, &w, d) > 0;
	} else {
		/* no backend named: each rule on each backend it is for */
		for (size_t i = 0; i < 3; i++) {
			struct pol_diag one;
			pol_diag_init(&one);
			struct act_where w = { mode, all[i], backend_can, protocol };
			if (act_check_set(s, &w, &one)) {
				for (size_t k = 0; k < one.n; k++) {
					char line[640];
					snprintf(line, sizeof line, "%s (backend %s)", one.msgs[k], all[i]);
					pol_diag_push(d, line);
				}
				bad = 1;
			}
			pol_diag_free(&one);
		}
	}
	pol_set_free(s);
	return bad;
}

int cmd_policy_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "backend", required_argument, NULL, 'b' },
		{ "protocol", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum act_mode mode = ACT_HOSTD;
	const char *backend = NULL;
	unsigned protocol = 0;
	int json = 0, c, bad = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "check")) {
		fputs(usage, stderr);
		return 2;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (act_mode_parse(optarg) < 0) {
				fprintf(stderr, "vtune policy check: --mode: want hostd, agent or once, not '%s'\n",
					optarg);
				return 2;
			}
			mode = (enum act_mode)act_mode_parse(optarg);
			break;
		case 'b':
			if (!backend_find(optarg)) {
				fprintf(stderr, "vtune policy check: --backend: want kvm, xen or sim, not '%s'\n",
					optarg);
				return 2;
			}
			backend = optarg;
			break;
		case 'p': {
			uint64_t v;
			if (parse_u64(optarg, &v) || v < WIRE_V_MIN || v > WIRE_V_MAX) {
				fprintf(stderr, "vtune policy check: --protocol: want %d..%d, not '%s'\n",
					WIRE_V_MIN, WIRE_V_MAX, optarg);
				return 2;
			}
			protocol = (unsigned)v;
			break;
		}
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vtune policy check: no file given\n");
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		struct pol_diag d;
		pol_diag_init(&d);
		int b = check_file(argv[i], mode, backend, protocol, &d);
		bad |= b;
		if (json) {
			json_object *o = json_object_new_object(), *a = json_object_new_array();
			json_object_object_add(o, "file", json_object_new_string(argv[i]));
			json_object_object_add(o, "ok", json_object_new_boolean(!b));
			for (size_t k = 0; k < d.n; k++)
				json_object_array_add(a, json_object_new_string(d.msgs[k]));
			json_object_object_add(o, "problems", a);
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		} else if (b) {
			pol_diag_print(&d, stderr);
		} else {
			printf("%s: configuration OK\n", argv[i]);
		}
		pol_diag_free(&d);
	}
	return bad ? 1 : 0;
}
