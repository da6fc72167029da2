/* SPDX-License-Identifier: GPL-2.0-or-later */
/* standalone: `vtune-agent run --standalone` — sample the guest view every
 * interval, evaluate the guest rules locally and apply them, for guests
 * without a host daemon. */
#include "agent.h"
#include "actl.h"
#include "apply.h"
#include "engine.h"
#include "gv_reader.h"
#include "gview.h"
#include "journal.h"
#include "knob.h"
#include "log.h"
#include "parse.h"
#include "policy.h"
#include "vclock.h"
#include "verdict.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t *stopp = &stop_flag; /* the caller's, while a loop runs */
#define stop (*stopp)

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* The kernel fixes a listener's backlog when listen() is called, as
 * min(backlog asked, somaxconn): raising somaxconn later helps no listener
 * that is already listening. Name the full ones and say what would. */
static void name_capped_listeners(const struct gv_sample *s)
{
	for (int i = 0; i < s->nlisteners; i++) {
		const struct gv_listener *l = &s->listeners[i];
		if (l->queue > 0 && l->queue >= l->backlog)
			log_notice_listener(l, s->knobs.v[MK_GUEST_SOMAXCONN]);
	}
}

void log_notice_listener(const struct gv_listener *l, long long somaxconn)
{
	const char *o = l->family == AF_INET6 ? "[" : "", *c = l->family == AF_INET6 ? "]" : "";
	if (somaxconn > 0 && l->backlog >= somaxconn)
		log_msg(LOG_NOTICE,
			"listener %s%s%s:%u is full at backlog %u, the somaxconn cap it got at listen(): "
			"it gets a new cap only when it calls listen() again (restart it)",
			o, l->addr, c, l->port, l->backlog);
	else
		log_msg(LOG_NOTICE,
			"listener %s%s%s:%u is full with its own backlog of %u (somaxconn %lld): "
			"the application chose it at listen(), no sysctl raises it; "
			"restart it with a bigger backlog",
			o, l->addr, c, l->port, l->backlog, somaxconn);
}

static int plan_touches(const struct pol_plan *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].key, key))
			return 1;
	return 0;
}

/* A dry run says what each firing's changes are expected to do (checked
 * after the change when it is made for real). */
static void say_expected(const struct pol_set *set, const struct pol_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		if (!strcmp(p->v[i].kind, "note"))
			continue;
		size_t k = 0; /* the rule's first change: said once */
		while (k < i && (strcmp(p->v[k].rule, p->v[i].rule) || !strcmp(p->v[k].kind, "note")))
			k++;
		const struct pol_rule *r = pol_set_rule(set, p->v[i].rule);
		if (k < i || !r)
			continue;
		char e[768];
		pol_verify_describe(r, e, sizeof e);
		printf("rule %s: %s\n", r->name, e);
	}
	fflush(stdout);
}

static const char usage[] =
	"usage: vtune-agent run --standalone [--policy FILE] [--interval S] [--journal PATH]\n"
	"                       [--root DIR] [--dry-run] [--duration S]\n"
	"                       [--ports-budget PCT] [--ports-period S] [--control PATH|off]\n"
	"                       [-v]\n"
	"\n"
	"Sample the guest view every interval, evaluate the guest side of the\n"
	"policy rules locally and apply them (journaled; `vtune revert` undoes).\n"
	"\n"
	"  -p, --policy FILE   policy file (default " VTUNE_POLICY_DEFAULT ")\n"
	"  -i, --interval S    sampling interval in seconds (default 5; 0.1 .. 3600)\n"
	"  -J, --journal PATH  change journal (default " VTUNE_JOURNAL_DEFAULT ")\n"
	"  -r, --root DIR      /proc and /sys under DIR (default /)\n"
	"  -n, --dry-run       show what would change, change nothing\n"
	"      --duration S    stop after S seconds (default: run until SIGTERM)\n"
	AGENT_PORTS_HELP
	AGENT_CONTROL_HELP
	"  -v, --verbose       log every sample's key figures, and at debug level\n";

int agent_standalone_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "standalone", no_argument, NULL, 's' },
		{ "policy", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{ "journal", required_argument, NULL, 'J' },
		{ "root", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ports-budget", required_argument, NULL, AGENT_OPT_PORTS_BUDGET },
		{ "ports-period", required_argument, NULL, AGENT_OPT_PORTS_PERIOD },
		{ "verbose", no_argument, NULL, 'v' },
		{ "control", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *policy = VTUNE_POLICY_DEFAULT, *jpath = VTUNE_JOURNAL_DEFAULT, *root = "/";
	const char *control = ctl_agent_path();
	struct gv_ports_cfg pcfg = { GV_PORTS_BUDGET_PCT, GV_PORTS_PERIOD_S };
	double interval = 5, duration = 0;
	int dry = 0, verbose = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:i:J:r:nvh", opts, NULL)) != -1) {
		switch (c) {
		case 's': break; /* agent_run_main sends only --standalone here */
		case 'c': control = optarg; break;
		case 'p': policy = optarg; break;
		case 'J': jpath = optarg; break;
		case 'r': root = optarg; break;
		case 'n': dry = 1; break;
		case 'v':
			verbose = 1;
			log_init("vtune-agent", LOG_TO_STDERR, LOG_DEBUG);
			break;
		case AGENT_OPT_PORTS_BUDGET:
		case AGENT_OPT_PORTS_PERIOD:
			if (agent_ports_opt("run", c, optarg, &pcfg))
				return 2;
			break;
		case 'i':
			if (parse_double(optarg, &interval) || interval < 0.1 || interval > 3600) {
				fprintf(stderr, "vtune-agent run: --interval: want seconds in 0.1..3600, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			if (parse_double(optarg, &duration) || duration <= 0) {
				fprintf(stderr, "vtune-agent run: --duration: want a positive number of seconds, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: return 2; /* getopt said what, on one line */
		}
	}

	struct standalone_cfg cfg = { .policy = policy, .journal = jpath, .root = root,
				      .control = dry ? NULL : control,
				      .interval_s = interval, .duration_s = duration, .dry_run = dry,
				      .verbose = verbose, .ports = pcfg };
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return agent_standalone_loop(&cfg, &stop_flag);
}

int agent_standalone_loop(const struct standalone_cfg *cfg, volatile sig_atomic_t *stopped)
{
	const char *policy = cfg->policy, *jpath = cfg->journal, *root = cfg->root;
	double interval = cfg->interval_s, duration = cfg->duration_s;
	int dry = cfg->dry_run, verbose = cfg->verbose;
	struct gv_ports_cfg pcfg = cfg->ports;
	stopp = stopped;
	struct pol_diag diag;
	pol_diag_init(&diag);
	struct act_where where = { .mode = ACT_AGENT };
	struct pol_set *set = act_load_policy(policy, &where, &diag);
	if (!set) {
		pol_diag_print(&diag, stderr);
		fprintf(stderr, "vtune-agent run: %s: policy refused\n", policy);
		pol_diag_free(&diag);
		stopp = &stop_flag;
		return 1;
	}
	pol_diag_free(&diag);

	struct journal *j = NULL;
	int err = 0;
	j = dry ? journal_open_ro(jpath, &err) : journal_open(jpath, &err);
	if (!j && !(dry && err == -ENOENT)) {
		fprintf(stderr, "vtune-agent run: journal %s: %s\n", jpath, strerror(-err));
		pol_set_free(set);
		stopp = &stop_flag;
		return 1;
	}
	/* while it holds the journal, `vtune-agent revert` asks it */
	struct agent_ctl_ctx cctx = { j, jpath, root };
	struct actl *ctl = j && !dry ? agent_ctl_open(cfg->control, &cctx) : NULL;
	struct pol_engine *eng = pol_engine_new(set);
	if (eng) /* host actions are advice here, and there is no host view */
		pol_engine_set_corroborate(eng, 0);
	struct apply_ctx ac = { .journal = j, .root = root, .dry_run = dry,
				.engine = eng, .subject = "local", .out = dry ? stdout : NULL };
	log_info("standalone: policy %s (%zu rules), interval %.1fs%s", policy, set->n_rules,
		 interval, dry ? ", dry run" : "");

	/* the files read every interval stay open between readings, and the
	 * costly counts are scheduled */
	struct gv_reader *rd = gv_reader_new(&pcfg);
	struct gv_reading prev, cur;
	if (rd)
		gv_reader_set_interval(rd, interval);
	if (!rd || gv_reader_read(rd, root, GV_READ_NETLINK, &prev)) {
		fprintf(stderr, "vtune-agent run: out of memory\n");
		gv_reader_free(rd);
		pol_engine_free(eng);
		pol_set_free(set);
		actl_close(ctl);
		journal_close(j);
		stopp = &stop_flag;
		return 1;
	}
	uint64_t start = vclock_mono_ns(), step = (uint64_t)(interval * 1e9);
	uint64_t next = start + step;
	int rc = 0;
	struct pol_plan plan;
	pol_plan_init(&plan);
	while (!stop) {
		if (duration > 0 && next > start + (uint64_t)(duration * 1e9))
			break;
		actl_serve_until(ctl, next, stopp); /* revert requests meanwhile */
		if (stop)
			break;
		next += step;
		if (gv_reader_read(rd, root, GV_READ_NETLINK, &cur)) {
			rc = 1;
			break;
		}
		struct gv_sample s;
		if (gv_sample_compute(&prev, &cur, &s) == 0) {
			struct mvec m;
			gv_sample_metrics(&s, &m);
			if (verbose)
				log_info("sample: accepts %.1f/s overflows %.1f/s steal %.1f%% softnet drops %.1f/s",
					 s.nstat[MC_GUEST_TCP_PASSIVE_OPENS], s.nstat[MC_GUEST_TCP_LISTEN_OVERFLOWS], s.total.steal,
					 mvec_get(&m, M_GUEST_SOFTNET_DROPPED));
			pol_plan_clear(&plan);
			pol_engine_step(eng, "local", cur.mono_ns, &m, NULL, agent_current_knob,
					(void *)root, &plan);
			/* changes whose window is over: kept, or undone and quarantined */
			struct verdict_ctx vc = { .journal = j, .root = root };
			if (!dry && verdict_carry_out(eng, "local", &vc) < 0) {
				log_err("journal: cannot undo a change that did not help: stopping");
				rc = 1;
				stop = 1;
			}
			size_t from = j ? journal_count(j) : 0;
			if (plan.n) {
				if (plan_touches(&plan, "net.core.somaxconn"))
					name_capped_listeners(&s);
				/* host actions: told as advice, this VM cannot make them */
				int r = apply_plan(&ac, NULL, &plan, POL_GUEST, ACT_AGENT);
				if (dry)
					say_expected(set, &plan);
				if (r >= 0)
					r = apply_plan(&ac, NULL, &plan, POL_HOST, ACT_AGENT);
				if (r < 0) {
					log_err("journal: %s: stopping, nothing changes without a record",
						strerror(-r));
					rc = 1;
					stop = 1;
				}
				/* what each firing changed is watched over its window */
				if (!dry && verdict_tell_records(eng, "local", &plan, j, from, NULL) < 0)
					log_err("out of memory: changes of this step are not verified");
				if (j && journal_count(j) != from)
					gv_reader_changed(rd); /* the next sample shows them */
			}
			gv_sample_free(&s);
		}
		gv_reading_free(&prev);
		prev = cur;
	}
	gv_reading_free(&prev);
	gv_reader_free(rd);
	pol_plan_free(&plan);
	pol_engine_free(eng);
	pol_set_free(set);
	actl_close(ctl);
	journal_close(j);
	stopp = &stop_flag;
	return rc;
}
