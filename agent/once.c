/* SPDX-License-Identifier: GPL-2.0-or-later */
/* once: `vtune-agent once` — the cloud-image bootstrap: apply the guest
 * baseline of the policy file, journaled, and exit. Idempotent: a second
 * run finds every knob at its baseline and changes nothing. */
#include "agent.h"
#include "apply.h"
#include "engine.h"
#include "journal.h"
#include "knob.h"
#include "log.h"
#include "policy.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: vtune-agent once [--policy FILE] [--journal PATH] [--root DIR] [--dry-run]\n"
	"\n"
	"Apply the guest baseline (the `baseline:` section of the policy file) once,\n"
	"journaled so `vtune revert` undoes it, and exit: 0 when every knob is at\n"
	"its baseline, 1 when a change failed, 2 on usage errors. For cloud-init\n"
	"and the vtune-agent-once.service oneshot.\n"
	"\n"
	"  -p, --policy FILE   policy file (default " VTUNE_POLICY_DEFAULT ")\n"
	"  -J, --journal PATH  change journal (default " VTUNE_JOURNAL_DEFAULT ")\n"
	"  -r, --root DIR      /proc and /sys under DIR (default /)\n"
	"  -n, --dry-run       print what would change, change nothing\n";

int agent_current_knob(void *arg, enum pol_side side, const char *kind,
		       const char *key, char *buf, size_t n)
{
	const char *root = arg;
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *policy = VTUNE_POLICY_DEFAULT, *jpath = VTUNE_JOURNAL_DEFAULT, *root = "/";
	int dry = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:J:r:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break;
		case 'J': jpath = optarg; break;
		case 'r': root = optarg; break;
		case 'n': dry = 1; break;
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
	if (!set->baseline.n_actions) {
		printf("vtune-agent once: %s has no baseline: nothing to do\n", policy);
		pol_set_free(set);
		return 0;
	}

	int err = 0, failed = 0, rc = 0;
	struct journal *j = dry ? journal_open_ro(jpath, &err) : journal_open(jpath, &err);
	if (!j && !(dry && err == -ENOENT)) {
		fprintf(stderr, "vtune-agent once: journal %s: %s\n", jpath, strerror(-err));
		pol_set_free(set);
		return 1;
	}
	struct pol_plan plan;
	pol_plan_init(&plan);
	if (pol_plan_rule(&set->baseline, "guest baseline (vtune-agent once)",
			  agent_current_knob, (void *)root, &plan)) {
		fprintf(stderr, "vtune-agent once: out of memory\n");
		rc = 1;
		goto out;
	}
	struct apply_ctx ac = { .journal = j, .root = root, .dry_run = dry,
				.subject = "local", .out = stdout, .failed = &failed };
	int changed = apply_plan(&ac, NULL, &plan, POL_GUEST, ACT_ONCE);
	if (changed < 0) {
		fprintf(stderr, "vtune-agent once: journal %s: %s: nothing more changed\n",
			jpath, strerror(-changed));
		rc = 1;
		goto out;
	}
	if (failed) {
		fprintf(stderr, "vtune-agent once: %d change(s) failed, see above\n", failed);
		rc = 1;
	}
	printf("vtune-agent once: %d knob(s) %s, baseline %s\n", changed,
	       dry ? "would change" : "changed",
	       failed ? "not fully applied" : changed ? "applied" : "already in place");
out:
	pol_plan_free(&plan);
	journal_close(j);
	pol_set_free(set);
	return rc;
}
