/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_cmd: `vtune policy check | list | show` — a policy file with its
 * drop-ins: check every action against where it will run (vtune-hostd on a
 * backend, the standalone agent, `vtune-agent once`, an agent protocol
 * version) and print every problem as file:line:col; list the effective
 * rules; show one rule key by key with the file and line that set it. */
#include "commands.h"
#include "action.h"
#include "backend_table.h"
#include "parse.h"
#include "policy.h"
#include "textwrap.h"
#include "wire.h"

#include <getopt.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: vtune policy check [--mode hostd|agent|once] [--backend kvm|xen|sim]\n"
	"                          [--protocol N] [--json] FILE...\n"
	"       vtune policy list [--json] [FILE]\n"
	"       vtune policy show [--json] RULE [FILE]\n"
	"\n"
	"A policy file is read with its drop-ins: every *.yaml file of the folder\n"
	"policy.d beside it, in name order, each changing rules key by key\n"
	"(enabled: false turns one off) or adding rules (vtune-policies(5)).\n"
	"FILE defaults to " VTUNE_POLICY_DEFAULT ".\n"
	"\n"
	"check: syntax, metrics, units, bounds, the sysctl allow-list, and that\n"
	"every action can run where the policy is used; every problem is printed\n"
	"as file:line:col: message.\n"
	"  --mode M       where the policy runs: hostd (vtune-hostd, the default),\n"
	"                 agent (the standalone agent: host actions become advice)\n"
	"                 or once (vtune-agent once: the baseline only)\n"
	"  --backend B    hostd: the hypervisor backend (pinning and PCI passthrough\n"
	"                 depend on it; default: every backend, each rule checked on\n"
	"                 the backends its backends: list names)\n"
	"  --protocol N   hostd: check what agents speaking protocol N can be asked\n"
	"                 (1: older agents; default: the newest, 2)\n"
	"list: the effective rules, whether each is enabled, and the files that\n"
	"set it. show: one effective rule, each key with the file:line that set it.\n"
	"  --json         JSON instead of text\n"
	"\n"
	"Exit status: 0 OK, 1 a file has problems (or no such rule), 2 usage error.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("vtune policy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (vtune policy --help)\n", stderr);
	return 2;
}

/* Check one file; problems into d. 0 OK, 1 not. */
static int check_file(const char *path, enum act_mode mode, const char *backend,
		      unsigned protocol, struct pol_diag *d)
{
	static const char *const all[] = { "kvm", "xen", "sim" };
	struct pol_set *s = pol_load_with_dropins(path, NULL, d);
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

static int cmd_check(int argc, char **argv, int json)
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
	int c, bad = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (act_mode_parse(optarg) < 0)
				return usage_error("check: --mode: want hostd, agent or once, not '%s'",
						   optarg);
			mode = (enum act_mode)act_mode_parse(optarg);
			break;
		case 'b':
			if (!backend_find(optarg))
				return usage_error("check: --backend: want kvm, xen or sim, not '%s'", optarg);
			backend = optarg;
			break;
		case 'p': {
			uint64_t v;
			if (parse_u64(optarg, &v) || v < WIRE_V_MIN || v > WIRE_V_MAX)
				return usage_error("check: --protocol: want 1 or 2, not '%s'", optarg);
			protocol = (unsigned)v;
			break;
		}
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return usage_error("check: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("check: %s", "no file given");
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

/* ---- list and show ---- */

static void duration(uint64_t ns, char *buf, size_t n)
{
	uint64_t s = ns / 1000000000ull;
	if (ns % 1000000000ull)
		snprintf(buf, n, "%llums", (unsigned long long)(ns / 1000000ull));
	else if (s && s % 3600 == 0)
		snprintf(buf, n, "%lluh", (unsigned long long)(s / 3600));
	else if (s && s % 60 == 0)
		snprintf(buf, n, "%llum", (unsigned long long)(s / 60));
	else
		snprintf(buf, n, "%llus", (unsigned long long)s);
}

/* "file:line" that set key i of r, or "(default)". */
static void origin(const struct pol_set *s, const struct pol_rule *r, size_t i, char *buf,
		   size_t n)
{
	if (!r->key_line[i])
		snprintf(buf, n, "(default)");
	else
		snprintf(buf, n, "%s:%d", s->files[r->key_file[i] < s->nfiles ? r->key_file[i] : 0],
			 r->key_line[i]);
}

/* One action as text: "sysctl net.core.somaxconn: scale 2, max 65535". */
static void action_text(const struct pol_action *a, char *buf, size_t n)
{
	char d[160];
	if (a->act->tells) {
		snprintf(buf, n, "note: %s", a->text ? a->text : "");
		return;
	}
	act_describe(a, d, sizeof d);
	if (a->features)
		snprintf(buf, n, "%s on %s: features 0x%x %s", a->act->name, a->key, a->features,
			 a->state ? "on" : "off");
	else if (!strcmp(d, a->key))
		snprintf(buf, n, "%s: %s", a->act->name, a->key);
	else
		snprintf(buf, n, "%s %s: %s", a->act->name, a->key, d);
}

/* The set's files that set keys of r, joined. */
static void files_of(const struct pol_set *s, const struct pol_rule *r, char *buf, size_t n)
{
	size_t nk, len = 0;
	pol_rule_keys(&nk);
	buf[0] = '\0';
	for (size_t f = 0; f < s->nfiles; f++)
		for (size_t i = 0; i < nk; i++)
			if (r->key_line[i] && r->key_file[i] == f) {
				int w = snprintf(buf + len, n - len, "%s%s", len ? ", " : "", s->files[f]);
				if (w > 0 && (size_t)w < n - len)
					len += (size_t)w;
				break;
			}
}

static struct pol_set *load(const char *path)
{
	struct pol_diag d;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_with_dropins(path, NULL, &d);
	if (!s) {
		pol_diag_print(&d, stderr);
		if (!d.n)
			fprintf(stderr, "vtune policy: %s: cannot load\n", path);
	}
	pol_diag_free(&d);
	return s;
}

static json_object *rule_json(const struct pol_set *s, const struct pol_rule *r, int full)
{
	json_object *o = json_object_new_object(), *b = json_object_new_array();
	char buf[512];
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "enabled", json_object_new_boolean(r->enabled));
	for (size_t i = 0; i < r->n_backends; i++)
		json_object_array_add(b, json_object_new_string(r->backends[i]));
	json_object_object_add(o, "backends", b);
	files_of(s, r, buf, sizeof buf);
	json_object_object_add(o, "from", json_object_new_string(buf));
	if (!full)
		return o;
	size_t nk;
	const char *const *keys = pol_rule_keys(&nk);
	json_object *set_at = json_object_new_object(), *acts = json_object_new_array();
	for (size_t i = 0; i < nk; i++) {
		origin(s, r, i, buf, sizeof buf);
		json_object_object_add(set_at, keys[i], json_object_new_string(buf));
	}
	json_object_object_add(o, "description", r->description
				? json_object_new_string(r->description) : NULL);
	json_object_object_add(o, "when", json_object_new_string(r->when_src ? r->when_src : ""));
	json_object_object_add(o, "clear", r->clear_src ? json_object_new_string(r->clear_src) : NULL);
	duration(r->for_ns, buf, sizeof buf);
	json_object_object_add(o, "for", json_object_new_string(buf));
	duration(r->cooldown_ns, buf, sizeof buf);
	json_object_object_add(o, "cooldown", json_object_new_string(buf));
	for (size_t i = 0; i < r->n_actions; i++) {
		json_object *a = json_object_new_object();
		action_text(&r->actions[i], buf, sizeof buf);
		json_object_object_add(a, "side", json_object_new_string(pol_side_name(r->actions[i].side)));
		json_object_object_add(a, "action", json_object_new_string(buf));
		snprintf(buf, sizeof buf, "%s:%d", s->files[r->actions[i].file < s->nfiles
							     ? r->actions[i].file : 0],
			 r->actions[i].line);
		json_object_object_add(a, "at", json_object_new_string(buf));
		json_object_array_add(acts, a);
	}
	json_object_object_add(o, "actions", acts);
	json_object_object_add(o, "set_at", set_at);
	return o;
}

static int cmd_list(const char *path, int json)
{
	struct pol_set *s = load(path);
	if (!s)
		return 1;
	if (json) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < s->n_rules; i++)
			json_object_array_add(a, rule_json(s, &s->rules[i], 0));
		puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(a);
	} else {
		printf("%-24s %-8s %-9s %s\n", "RULE", "ENABLED", "BACKENDS", "FROM");
		for (size_t i = 0; i < s->n_rules; i++) {
			const struct pol_rule *r = &s->rules[i];
			char b[40] = "all", from[512];
			for (size_t k = 0, len = 0; k < r->n_backends; k++)
				len += (size_t)snprintf(b + len, sizeof b - len, "%s%s", k ? "," : "",
							r->backends[k]);
			files_of(s, r, from, sizeof from);
			printf("%-24s %-8s %-9s %s\n", r->name, r->enabled ? "yes" : "no", b, from);
		}
	}
	pol_set_free(s);
	return 0;
}

/* "KEY          VALUE (wrapped)" then where it was set. */
static void show_line(const char *key, const char *val, const char *at)
{
	char first[16], where[320];
	snprintf(first, sizeof first, "%s", key);
	text_wrap(stdout, 13, first, val);
	snprintf(where, sizeof where, "set at %s", at);
	text_wrap(stdout, 15, "", where);
}

static int cmd_show(const char *rule, const char *path, int json)
{
	struct pol_set *s = load(path);
	if (!s)
		return 1;
	const struct pol_rule *r = pol_set_rule(s, rule);
	if (!r) {
		fprintf(stderr, "vtune policy show: no rule '%s' in %s and its drop-ins\n", rule, path);
		pol_set_free(s);
		return 1;
	}
	if (json) {
		json_object *o = rule_json(s, r, 1);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		pol_set_free(s);
		return 0;
	}
	size_t nk;
	const char *const *keys = pol_rule_keys(&nk);
	char at[300], val[512];
	for (size_t i = 0; i < nk; i++) {
		const char *k = keys[i];
		val[0] = '\0';
		if (!strcmp(k, "name"))
			snprintf(val, sizeof val, "%s", r->name);
		else if (!strcmp(k, "description"))
			snprintf(val, sizeof val, "%s", r->description ? r->description : "");
		else if (!strcmp(k, "enabled"))
			snprintf(val, sizeof val, "%s", r->enabled ? "true" : "false");
		else if (!strcmp(k, "when"))
			snprintf(val, sizeof val, "%s", r->when_src ? r->when_src : "");
		else if (!strcmp(k, "clear"))
			snprintf(val, sizeof val, "%s", r->clear_src ? r->clear_src : "not when");
		else if (!strcmp(k, "for"))
			duration(r->for_ns, val, sizeof val);
		else if (!strcmp(k, "cooldown"))
			duration(r->cooldown_ns, val, sizeof val);
		else if (!strcmp(k, "backends"))
			for (size_t b = 0, len = 0; b < r->n_backends || (!b && !len); b++)
				len += (size_t)snprintf(val + len, sizeof val - len, "%s%s", b ? ", " : "",
							r->n_backends ? r->backends[b] : "all");
		else
			continue; /* guest, host: below, with each action's own place */
		origin(s, r, i, at, sizeof at);
		show_line(k, val, at);
	}
	for (size_t i = 0; i < r->n_actions; i++) {
		const struct pol_action *a = &r->actions[i];
		action_text(a, val, sizeof val);
		snprintf(at, sizeof at, "%s:%d", s->files[a->file < s->nfiles ? a->file : 0], a->line);
		show_line(pol_side_name(a->side), val, at);
	}
	pol_set_free(s);
	return 0;
}

int cmd_policy_main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc < 2)
		return usage_error("%s", "say check, list or show");
	const char *sub = argv[1];
	argc--;
	argv++;
	if (!strcmp(sub, "check"))
		return cmd_check(argc, argv, 0);
	if (strcmp(sub, "list") && strcmp(sub, "show"))
		return usage_error("unknown command '%s' (check, list, show)", sub);
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int json = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	int left = argc - optind, show = !strcmp(sub, "show");
	if (left > 1 + show || (show && left < 1))
		return usage_error("%s", show ? "show takes RULE [FILE]" : "list takes [FILE]");
	const char *file = left > show ? argv[optind + show] : VTUNE_POLICY_DEFAULT;
	return show ? cmd_show(argv[optind], file, json) : cmd_list(file, json);
}
