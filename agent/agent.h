/* SPDX-License-Identifier: GPL-2.0-or-later */
/* agent: the sub-commands of vtune-agent. Each takes the arguments after
 * its own name (argv[0] is the sub-command) and returns the exit status. */
#ifndef VTUNE_AGENT_H
#define VTUNE_AGENT_H

#include "gview.h"
#include "gv_ports.h"
#include "ctl_client.h"

int agent_sample_main(int argc, char **argv);
int agent_standalone_main(int argc, char **argv); /* run --standalone */
int agent_run_main(int argc, char **argv);        /* run: talk to vtune-hostd */
int agent_once_main(int argc, char **argv);       /* once: apply the baseline */
int agent_report_main(int argc, char **argv);     /* report: what the rules find here */
int agent_verify_main(int argc, char **argv);     /* verify: knobs as vtune set them? */
int agent_revert_main(int argc, char **argv);     /* revert: undo (asks a running agent) */

/* What the control socket of `vtune-agent run` serves (actl.c): reverts
 * of the journal the agent holds. Strings borrowed. */
#include <json-c/json.h>
struct journal;
struct agent_ctl_ctx {
	struct journal *journal;
	const char *jpath, *root;
};
json_object *agent_revert_serve(void *arg, json_object *req);
/* The control socket at path serving ctx (NULL path or "off": none, and
 * NULL; a socket that cannot be made is said in the log, NULL). */
struct actl;
struct actl *agent_ctl_open(const char *path, struct agent_ctl_ctx *ctx);
#define AGENT_CONTROL_HELP                                                      \
	"      --control PATH|off\n"                                             \
	"                      the control socket vtune-agent revert asks while this\n" \
	"                      agent holds the journal (default $VTUNE_AGENT_CONTROL,\n" \
	"                      else " CTL_AGENT_DEFAULT_PATH ")\n"

/* One sample: two readings of root interval seconds apart (a reader, so
 * the kernel log between them counts), or of root then the capture then,
 * with rates over the captures' /proc/uptime difference (interval when
 * either has none: said on stderr). 0, or 1 after saying why on stderr
 * (cmd names the sub-command). Free s with gv_sample_free. */
int agent_take_sample(const char *cmd, const char *root, const char *then, double interval,
		      int flags, struct gv_sample *s);

#include <signal.h>

/* The standalone loop (run --standalone, and run's fallback when no host
 * daemon answers): sample every interval, evaluate the guest rules, apply
 * them journaled. Strings are borrowed. */
struct standalone_cfg {
	const char *policy, *journal, *root;
	const char *control; /* the control socket (agent_ctl_open), NULL none */
	double interval_s;
	double duration_s; /* stop after this long; 0: until *stop */
	int dry_run, verbose;
	struct gv_ports_cfg ports; /* the costly port counts' budget */
};

/* Run until *stop is set (by the caller's signal handler) or duration_s
 * has passed. 0, or 1 after an error (said on stderr / in the log). */
int agent_standalone_loop(const struct standalone_cfg *cfg, volatile sig_atomic_t *stop);

/* pol_current_fn for the guest: sysctls read through the knob module under
 * the root prefix passed as arg. */
#include "engine.h"
int agent_current_knob(void *arg, enum pol_side side, const char *kind,
		       const char *key, char *buf, size_t n);

/* --ports-budget PCT and --ports-period S (long options only; their getopt
 * values below) into cfg. 0, or -1 after saying why on stderr. */
#include "gv_ports.h"
enum { AGENT_OPT_PORTS_BUDGET = 0x100, AGENT_OPT_PORTS_PERIOD };
int agent_ports_opt(const char *cmd, int opt, const char *arg, struct gv_ports_cfg *cfg);
#define AGENT_PORTS_HELP                                                       \
	"      --ports-budget PCT\n"                                             \
	"                      CPU for exact counts of ports in use: % of one CPU\n" \
	"                      averaged over a minute (default 0.5; 0: never)\n"  \
	"      --ports-period S\n"                                               \
	"                      at most one exact count of ports in use per S\n"   \
	"                      seconds (default 10)\n"

/* Log that a listener is full at the backlog its application chose. */
void log_notice_listener(const struct gv_listener *l, long long somaxconn);

#endif
