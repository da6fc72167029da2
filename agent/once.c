/* SPDX-License-Identifier: GPL-2.0-or-later */
/* once: `vtune-agent once` — the cloud-image bootstrap: apply the guest
 * baseline of the policy file, journaled, and exit. Idempotent: a second
 * run finds every knob at its baseline and changes nothing. */
#include "agent.h"
#include "apply.h"
#include "engine.h"
#include "journal.h"
#include "kfs.h"
#include "knob.h"
#include "log.h"
#include "policy.h"
#include "sockdiag.h"

#include <errno.h>
#include <json-c/json.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: vtune-agent once [--policy FILE] [--journal PATH] [--root DIR] [--dry-run]\n"
	"                        [--json]\n"
	"\n"
	"Apply the guest baseline (the `baseline:` section of the policy file) once,\n"
	"journaled so `vtune revert` undoes it, and exit: 0 when every knob is at\n"
	"its baseline, 1 when a change failed, 2 on usage errors. For cloud-init\n"
	"and the vtune-agent-once.service oneshot.\n"
	"\n"
	"  -p, --policy FILE   policy file (default " VTUNE_POLICY_DEFAULT ")\n"
	"  -J, --journal PATH  change journal (default " VTUNE_JOURNAL_DEFAULT ")\n"
	"  -r, --root DIR      /proc and /sys under DIR (default /)\n"
	"  -n, --dry-run       print what would change, change nothing\n"
	"  -j, --json          one JSON object: the lines and the counts\n";

/* "ports": the ports listeners use ("listening", "22 80 8080") and the
 * ports the kernel keeps out of the ephemeral range ("reserved", the
 * ip_local_reserved_ports list), for the port range's planner. */
static int ports_of(const char *root, const char *key, char *buf, size_t n)
{
	if (!strcmp(key, "reserved"))
		return kfs_read_str(root, "proc/sys/net/ipv4/ip_local_reserved_ports", buf, n);
	if (strcmp(key, "listening"))
		return -ENOENT;
	struct gv_listener *ls = NULL;
	int nl = 0, r = sockdiag_listeners(root, &ls, &nl);
	if (r)
		return r;
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < nl && used + 8 < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%u", used ? " " : "", ls[i].port);
	free(ls);
	return 0;
}

int agent_current_knob(void *arg, enum pol_side side, const char *kind,
		       const char *key, char *buf, size_t n)
{
	const char *root = arg;
	if (side == POL_GUEST && !strcmp(kind, "ports"))
		return ports_of(root, key, buf, n);
	if (side != POL_GUEST || strcmp(kind, "sysctl"))
		return -ENOENT;
	return knob_read(knob_find("sysctl"), root, "", key, buf, n);
}

int agent_once_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "journal", required_argument, NULL, 'J' },
		{ "root", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *policy = VTUNE_POLICY_DEFAULT, *jpath = VTUNE_JOURNAL_DEFAULT, *root = "/";
	int dry = 0, json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:J:r:njh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break;
		case 'J': jpath = optarg; break;
		case 'r': root = optarg; break;
		case 'n': dry = 1; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return 2; /* getopt said what, on one line */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtune-agent once: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	/* The report goes to stdout; the change log to syslog/journald only. */
	log_init("vtune-agent", LOG_TO_SYSLOG, LOG_INFO);

	struct pol_diag diag;
	pol_diag_init(&diag);
	struct act_where where = { .mode = ACT_ONCE };
	struct pol_set *set = act_load_policy(policy, &where, &diag);
	if (!set) {
		pol_diag_print(&diag, stderr);
		fprintf(stderr, "vtune-agent once: %s: policy refused\n", policy);
		pol_diag_free(&diag);
		return 1;
	}
	pol_diag_free(&diag);
	/* the lines go to out: stdout, or the JSON object's "lines" */
	char *buf = NULL;
	size_t blen = 0;
	FILE *out = json ? open_memstream(&buf, &blen) : stdout;
	if (!out) {
		fprintf(stderr, "vtune-agent once: out of memory\n");
		pol_set_free(set);
		return 1;
	}
	int changed = 0, err = 0, failed = 0, rc = 0;
	const char *state = "already in place";
	struct journal *j = NULL;
	struct pol_plan plan;
	pol_plan_init(&plan);
	if (!set->baseline.n_actions) {
		fprintf(out, "vtune-agent once: %s has no baseline: nothing to do\n", policy);
		state = "none";
		goto out;
	}

	j = dry ? journal_open_ro(jpath, &err) : journal_open(jpath, &err);
	if (!j && !(dry && err == -ENOENT)) {
		fprintf(stderr, "vtune-agent once: journal %s: %s\n", jpath, strerror(-err));
		state = "not applied";
		rc = 1;
		goto out;
	}
	if (pol_plan_rule(&set->baseline, "guest baseline (vtune-agent once)",
			  agent_current_knob, (void *)root, &plan)) {
		fprintf(stderr, "vtune-agent once: out of memory\n");
		rc = 1;
		goto out;
	}
	struct apply_ctx ac = { .journal = j, .root = root, .dry_run = dry,
				.subject = "local", .out = out, .failed = &failed };
	changed = apply_plan(&ac, NULL, &plan, POL_GUEST, ACT_ONCE);
	if (changed < 0) {
		fprintf(stderr, "vtune-agent once: journal %s: %s: nothing more changed\n",
			jpath, strerror(-changed));
		state = "not fully applied";
		changed = 0;
		rc = 1;
		goto out;
	}
	if (failed) {
		fprintf(stderr, "vtune-agent once: %d change(s) failed, see above\n", failed);
		rc = 1;
	}
	state = failed ? "not fully applied" : !changed ? "already in place"
		: dry ? "would be applied" : "applied";
	fprintf(out, "vtune-agent once: %d knob(s) %s, baseline %s\n", changed,
		dry ? "would change" : "changed", failed ? "not fully applied"
		: changed ? "applied" : "already in place");
out:
	if (json) {
		fclose(out);
		json_object *o = json_object_new_object(), *lines = json_object_new_array();
		for (char *cur = buf, *line; cur && (line = strsep(&cur, "\n"));)
			if (*line)
				json_object_array_add(lines, json_object_new_string(line));
		json_object_object_add(o, "ok", json_object_new_boolean(!rc));
		json_object_object_add(o, "dry_run", json_object_new_boolean(dry));
		json_object_object_add(o, "policy", json_object_new_string(policy));
		json_object_object_add(o, "journal", json_object_new_string(jpath));
		json_object_object_add(o, "baseline", json_object_new_string(state));
		json_object_object_add(o, "lines", lines);
		json_object *cnt = json_object_new_object();
		json_object_object_add(cnt, "lines", json_object_new_int(
					       (int)json_object_array_length(lines)));
		json_object_object_add(cnt, "changed", json_object_new_int(changed));
		json_object_object_add(cnt, "failed", json_object_new_int(failed));
		json_object_object_add(o, "counts", cnt);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		free(buf);
	}
	pol_plan_free(&plan);
	journal_close(j);
	pol_set_free(set);
	return rc;
}
