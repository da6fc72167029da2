/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run: `vtune-agent run` — talk to the host daemon over the virtio-serial
 * port (or --device PATH: a character device or a unix socket) or, on Xen,
 * over xenstore (agent/xs.h), reporting
 * the guest view every interval and applying what the host asks for;
 * `run --standalone` goes to standalone.c instead. */
#include "agent.h"
#include "actl.h"
#include "detect.h"
#include "gv_emit.h"
#include "gv_reader.h"
#include "gview.h"
#include "journal.h"
#include "log.h"
#include "parse.h"
#include "session.h"
#include "vclock.h"
#include "vport.h"
#include "wire.h"
#include "xs.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Without a host daemon answering, the standalone fallback after this long,
 * and a new look for the host after this long standalone. */
#define RUN_FALLBACK_S 60.0
#define RUN_RECHECK_S 600.0

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The sampler: the previous reading, and the next one turned into a sample
 * and its JSON text; the reader keeps the files read every time open and
 * schedules the costly counts, and the text's buffer is reused, between
 * readings. */
struct sampler {
	const char *root;
	int flags;
	struct gv_ports_cfg ports;
	struct gv_reader *rd;
	double interval; /* s: the settings are read again every 10 s of it */
	int have_prev;
	struct gv_reading prev;
	struct gv_text text;
	int whole; /* --whole-reports: the whole document, not the report's */
};

static int sample_text(void *arg, const char **out, size_t *len, double *interval_s)
{
	struct sampler *sm = arg;
	struct gv_reading cur;
	struct gv_sample s;
	int r;

	if (!sm->rd) {
		if (!(sm->rd = gv_reader_new(&sm->ports)))
			return -ENOMEM;
		/* the settings (knobs) are read every 10 s, not every sample: a
		 * report's knob may be that old, and hostd plans from it, but what
		 * is written is planned here from the live value (protocol 2:
		 * session.c apply_v2) and the original hostd journals is the one
		 * this agent's ack gives (journal_mark_values), not the report's;
		 * a change made here is read again at once (the loop below) */
		gv_reader_set_interval(sm->rd, sm->interval);
	}
	if (gv_reader_read(sm->rd, sm->root, sm->flags, &cur))
		return -ENOMEM;
	if (!sm->have_prev || cur.mono_ns <= sm->prev.mono_ns ||
	    cur.mono_ns - sm->prev.mono_ns > (uint64_t)86400 * 1000000000ull) {
		/* first reading, or a gap too long for one report: start over */
		if (sm->have_prev)
			gv_reading_free(&sm->prev);
		sm->prev = cur;
		sm->have_prev = 1;
		return -EAGAIN;
	}
	r = gv_sample_compute(&sm->prev, &cur, &s);
	gv_reading_free(&sm->prev);
	sm->prev = cur;
	if (r)
		return r;
	r = sm->whole ? gv_emit_sample(&s, &sm->text) : gv_emit_report(&s, &sm->text);
	*interval_s = s.interval_s;
	gv_sample_free(&s);
	if (r == -EINVAL)
		log_warn("run: sample not sent: a number that is not finite or a "
			 "string that is not UTF-8");
	*out = sm->text.p;
	*len = sm->text.len;
	return r;
}

enum { PHASE_NO_HOST = 100 };

/* One stretch of talking to the host: the transport, the session, the
 * journal (released at the end, for a standalone stretch to take). */
struct host_phase {
	const char *jpath, *root, *port, *device;
	const char *control; /* the control socket (agent_ctl_open) */
	int use_xs, flags, whole;
	unsigned max_v;
	struct gv_ports_cfg ports;
	double interval;
	uint64_t deadline; /* no host hello by then: PHASE_NO_HOST (0: never) */
	uint64_t end;	   /* --duration: stop then (0: never) */
};

/* Wait up to ms, less at the deadlines, serving the control socket. */
static void nap(const struct host_phase *hp, struct actl *ctl, uint64_t ms)
{
	uint64_t now = vclock_mono_ns(), until = now + ms * 1000000ull;
	if (hp->deadline && hp->deadline < until)
		until = hp->deadline;
	if (hp->end && hp->end < until)
		until = hp->end;
	actl_serve_until(ctl, until, &stop);
}

/* Talk to the host until stopped (exit status 0 or 1), or, when no host
 * daemon said hello by hp->deadline, PHASE_NO_HOST. A channel that is not
 * there is looked for again until then; with no deadline it is an error,
 * as it always was. */
static int host_phase(const struct host_phase *hp)
{
	int err = 0, rc = 1, said = 0;
	struct journal *j = journal_open(hp->jpath, &err);
	if (!j) {
		fprintf(stderr, "vtune-agent run: journal %s: %s%s\n", hp->jpath, strerror(-err),
			err == -EWOULDBLOCK ? " (another vtune-agent holds it)" : "");
		return 1;
	}
	/* while it holds the journal, `vtune-agent revert` asks it */
	struct agent_ctl_ctx cctx = { j, hp->jpath, hp->root };
	struct actl *ctl = agent_ctl_open(hp->control, &cctx);
	struct vport *vp = NULL;
	struct xst *xs = NULL;
	struct session *s = NULL;
	struct sampler sm = { .root = hp->root, .flags = hp->flags, .interval = hp->interval,
			      .ports = hp->ports, .whole = hp->whole };
	for (;;) {
		if (hp->use_xs) {
			xs = xst_new();
			err = -ENOMEM;
		} else {
			vp = vport_new(hp->root, hp->port, hp->device, &err);
		}
		if (vp || xs)
			break;
		if (!hp->deadline) {
			fprintf(stderr, "vtune-agent run: %s\n", strerror(-err));
			goto out;
		}
		if (!said++)
			log_info("run: no channel to the host (%s %s: %s): looking again until the "
				 "fallback", hp->device ? "device" : "port",
				 hp->device ? hp->device : hp->port, strerror(-err));
		for (int i = 0; i < 20 && !stop; i++) {
			uint64_t now = vclock_mono_ns();
			if (now >= hp->deadline) {
				rc = PHASE_NO_HOST;
				goto out;
			}
			if (hp->end && now >= hp->end) {
				rc = 0;
				goto out;
			}
			nap(hp, ctl, 250);
		}
		if (stop) {
			rc = 0;
			goto out;
		}
	}
	struct session_cfg cfg = {
		.port = vp, .journal = j, .root = hp->root, .interval_s = hp->interval,
		.sample = sample_text, .sample_arg = &sm, .max_v = hp->max_v,
	};
	if (xs) {
		cfg.ops = &xst_ops;
		cfg.chan = xs;
	}
	s = session_new(&cfg, &err);
	if (!s) {
		fprintf(stderr, "vtune-agent run: %s\n", strerror(-err));
		goto out;
	}
	log_info("run: %s %s, interval %.1fs, journal %s",
		 xs ? "xenstore" : hp->device ? "device" : "port",
		 xs ? XST_DATA_DIR "/" : hp->device ? hp->device : hp->port, hp->interval, hp->jpath);

	/* the first reading, so the first report has an interval behind it */
	const char *none;
	size_t nlen;
	double iv;
	sample_text(&sm, &none, &nlen, &iv);
	rc = 0;
	int host_seen = 0;
	int64_t jseq = journal_last_seq(j);
	while (!stop && (!hp->end || vclock_mono_ns() < hp->end)) {
		int r = session_step(s, 250);
		actl_serve_until(ctl, 0, &stop); /* a revert asked meanwhile */
		if (r) {
			log_err("run: %s: stopping", strerror(-r));
			rc = 1;
			break;
		}
		/* a record appended: a change or a revert made here (asked by the
		 * host, or by `vtune-agent revert` over the control socket): the
		 * next report reads the knobs again and shows it */
		if (journal_last_seq(j) != jseq) {
			jseq = journal_last_seq(j);
			gv_reader_changed(sm.rd);
		}
		if (!host_seen) {
			struct session_stats st;
			session_get_stats(s, &st);
			host_seen = st.hellos > 0;
			if (!host_seen && hp->deadline && vclock_mono_ns() >= hp->deadline) {
				rc = PHASE_NO_HOST;
				break;
			}
		}
	}
	struct session_stats st;
	session_get_stats(s, &st);
	log_info("run: stopped: %llu connect(s), %llu report(s), %llu ack(s), %llu change(s), "
		 "%llu refused, %llu bad line(s)",
		 (unsigned long long)st.connects, (unsigned long long)st.reports,
		 (unsigned long long)st.acks, (unsigned long long)st.changes,
		 (unsigned long long)st.refused, (unsigned long long)st.bad_lines);
out:
	if (xs) {
		struct xst_stats xst;
		xst_get_stats(xs, &xst);
		log_info("run: xenstore: %llu write(s), %llu conflict(s), %llu report(s) in parts, "
			 "%llu report(s) trimmed, %llu domain change(s)",
			 (unsigned long long)xst.commits, (unsigned long long)xst.conflicts,
			 (unsigned long long)xst.split, (unsigned long long)xst.truncated,
			 (unsigned long long)xst.resets);
	}
	session_free(s);
	vport_free(vp);
	xst_free(xs);
	actl_close(ctl);
	if (sm.have_prev)
		gv_reading_free(&sm.prev);
	gv_reader_free(sm.rd);
	gv_text_free(&sm.text);
	journal_close(j);
	return rc;
}

static const char usage[] =
	"usage: vtune-agent run [--transport auto|vport|xenstore] [--port NAME | --device PATH]\n"
	"                       [--interval S] [--ports-budget PCT] [--ports-period S]\n"
	"                       [--journal PATH] [--root DIR] [--duration S] [--no-netlink]\n"
	"                       [--protocol-max N] [--fallback S|off] [--recheck S] [--policy FILE]\n"
	"                       [--control PATH|off] [--whole-reports]\n"
	"       vtune-agent run --standalone [OPTIONS]   (see run --standalone --help)\n"
	"\n"
	"Report the guest view to the host daemon every interval over the\n"
	"virtio-serial port (xenstore on Xen), and apply (journaled) the changes it\n"
	"asks for.\n"
	"\n"
	"  -T, --transport T   auto (default: xenstore when ROOT/sys/hypervisor/type is\n"
	"                      \"xen\" or ROOT/proc/xen exists and neither --port nor\n"
	"                      --device is given, else vport), vport or xenstore\n"
	"  -P, --port NAME     virtio-serial port name (default " VPORT_NAME_DEFAULT ")\n"
	"  -D, --device PATH   use this character device or unix socket instead\n"
	"  -i, --interval S    report interval in seconds (default 5; 0.1 .. 3600)\n"
	"  -J, --journal PATH  change journal (default " VTUNE_JOURNAL_DEFAULT ")\n"
	"  -r, --root DIR      /proc, /sys and /dev under DIR (default /)\n"
	"      --duration S    stop after S seconds (default: run until SIGTERM)\n"
	"      --no-netlink    skip sock_diag (listeners, ports in use)\n"
	"      --whole-reports send the whole sample, every group, as sample --json\n"
	"                      prints it (default: the metrics and what the host\n"
	"                      keeps; a larger report, for diagnosis)\n"
	"      --protocol-max N\n"
	"                      offer the host protocol versions up to N only (1: what\n"
	"                      older host daemons speak; default: the newest, 2)\n"
	"      --fallback S|off  when no host daemon has answered S seconds after the\n"
	"                      start (no channel, or nobody on it), run the guest rules\n"
	"                      standalone, as run --standalone (default 60; off: wait\n"
	"                      for the host for ever). A host seen once is waited for.\n"
	"      --recheck S     while standalone after a fallback, look for the host\n"
	"                      again every S seconds (default 600)\n"
	"  -p, --policy FILE   the policy of the standalone fallback (default\n"
	"                      " VTUNE_POLICY_DEFAULT ")\n"
	AGENT_PORTS_HELP
	AGENT_CONTROL_HELP
	"  -v, --verbose       log at debug level\n";

int agent_run_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "transport", required_argument, NULL, 'T' },
		{ "port", required_argument, NULL, 'P' },
		{ "device", required_argument, NULL, 'D' },
		{ "interval", required_argument, NULL, 'i' },
		{ "journal", required_argument, NULL, 'J' },
		{ "root", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "no-netlink", no_argument, NULL, 'n' },
		{ "whole-reports", no_argument, NULL, 'W' },
		{ "protocol-max", required_argument, NULL, 'M' },
		{ "ports-budget", required_argument, NULL, AGENT_OPT_PORTS_BUDGET },
		{ "ports-period", required_argument, NULL, AGENT_OPT_PORTS_PERIOD },
		{ "verbose", no_argument, NULL, 'v' },
		{ "fallback", required_argument, NULL, 'F' },
		{ "recheck", required_argument, NULL, 'R' },
		{ "policy", required_argument, NULL, 'p' },
		{ "control", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *port = NULL, *device = NULL, *transport = "auto", *jpath = VTUNE_JOURNAL_DEFAULT, *root = "/";
	struct gv_ports_cfg pcfg = { GV_PORTS_BUDGET_PCT, GV_PORTS_PERIOD_S };
	const char *policy = VTUNE_POLICY_DEFAULT, *control = ctl_agent_path();
	double interval = 5, duration = 0, fallback = RUN_FALLBACK_S, recheck = RUN_RECHECK_S;
	int flags = GV_READ_NETLINK, c, verbose = 0, whole = 0;
	unsigned max_v = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--standalone"))
			return agent_standalone_main(argc, argv);
	optind = 1;
	while ((c = getopt_long(argc, argv, "T:P:D:i:J:r:p:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'T': transport = optarg; break;
		case 'P': port = optarg; break;
		case 'D': device = optarg; break;
		case 'W': whole = 1; break;
		case 'J': jpath = optarg; break;
		case 'r': root = optarg; break;
		case 'n': flags &= ~GV_READ_NETLINK; break;
		case 'M': {
			uint64_t v;
			if (parse_u64(optarg, &v) || v < WIRE_V_MIN || v > WIRE_V_MAX) {
				fprintf(stderr, "vtune-agent run: --protocol-max: want %d..%d, not '%s'\n",
					WIRE_V_MIN, WIRE_V_MAX, optarg);
				return 2;
			}
			max_v = (unsigned)v;
			break;
		}
		case AGENT_OPT_PORTS_BUDGET:
		case AGENT_OPT_PORTS_PERIOD:
			if (agent_ports_opt("run", c, optarg, &pcfg))
				return 2;
			break;
		case 'v': log_init("vtune-agent", LOG_TO_STDERR, LOG_DEBUG); verbose = 1; break;
		case 'p': policy = optarg; break;
		case 'c': control = optarg; break;
		case 'F':
			if (!strcmp(optarg, "off")) {
				fallback = 0;
			} else if (parse_double(optarg, &fallback) || fallback < 0.1 || fallback > 86400) {
				fprintf(stderr, "vtune-agent run: --fallback: want seconds in 0.1..86400 or off, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'R':
			if (parse_double(optarg, &recheck) || recheck < 1 || recheck > 86400) {
				fprintf(stderr, "vtune-agent run: --recheck: want seconds in 1..86400, not '%s'\n",
					optarg);
				return 2;
			}
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
	if (optind < argc) {
		fprintf(stderr, "vtune-agent run: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (port && device) {
		fprintf(stderr, "vtune-agent run: --port and --device exclude each other\n");
		return 2;
	}
	if (strcmp(transport, "auto") && strcmp(transport, "vport") && strcmp(transport, "xenstore")) {
		fprintf(stderr, "vtune-agent run: --transport: want auto, vport or xenstore, not '%s'\n",
			transport);
		return 2;
	}
	int use_xs = !strcmp(transport, "xenstore");
	if (use_xs && (port || device)) {
		fprintf(stderr, "vtune-agent run: --port and --device are for --transport vport\n");
		return 2;
	}
	if (!strcmp(transport, "auto") && !port && !device && detect_is_xen(root)) {
		use_xs = 1;
		log_info("run: Xen guest (%s): using xenstore", root);
	}
	if (!use_xs && !device && !port)
		port = VPORT_NAME_DEFAULT;

	struct host_phase hp = { .jpath = jpath, .root = root, .port = port, .device = device,
				 .use_xs = use_xs, .interval = interval, .flags = flags, .whole = whole,
				 .max_v = max_v, .ports = pcfg, .control = control };
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	uint64_t end = duration > 0 ? vclock_mono_ns() + (uint64_t)(duration * 1e9) : 0;
	for (;;) {
		uint64_t now = vclock_mono_ns();
		hp.deadline = fallback > 0 ? now + (uint64_t)(fallback * 1e9) : 0;
		hp.end = end;
		int r = host_phase(&hp);
		if (r != PHASE_NO_HOST)
			return r;
		/* no host daemon: the guest rules alone, for a while */
		now = vclock_mono_ns();
		double left = end ? (end > now ? (double)(end - now) / 1e9 : 0) : 0;
		if (end && left <= 0)
			return 0;
		double span = end && left < recheck ? left : recheck;
		log_info("run: no host daemon answered within %.0f s: running the guest rules "
			 "standalone (policy %s) for %.0f s, then looking for the host again",
			 fallback, policy, span);
		struct standalone_cfg sc = { .policy = policy, .journal = jpath, .root = root,
					     .control = control,
					     .interval_s = interval, .duration_s = span,
					     .verbose = verbose, .ports = pcfg };
		if (agent_standalone_loop(&sc, &stop))
			return 1;
		if (stop || (end && vclock_mono_ns() >= end))
			return 0;
		log_info("run: looking for the host daemon again");
	}
}
