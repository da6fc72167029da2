/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vtune-hostd: the host side of vtune: option parsing, `-n` configuration
 * check, and the daemon's start and stop. */
#include "backend_mod.h"
#include "hostd.h"
#include "action.h"
#include "backend_table.h"
#include "hostnet.h"
#include "log.h"
#include "metrics_http.h"
#include "parse.h"
#include "privops.h"
#include "safefile.h"
#include "wire.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char usage[] =
	"usage: vtune-hostd [--backend kvm|xen|sim] [--uri URI] [--policy FILE] [--journal PATH]\n"
	"                   [--control PATH] [--interval S] [--root DIR] [--metrics ADDR]\n"
	"                   [--metrics-guests yes|no] [--syslog] [--dry-run]\n"
	"                   [--privsep USER | --no-privsep]\n"
	"                   [--protocol-max N]\n"
	"                   [-n] [-f] [-v]\n"
	"\n"
	"The vtune host daemon: reads each guest's reports over its agent channel,\n"
	"adds the host view, runs the policy engine every interval, sends guest\n"
	"changes to the agent and applies host changes, all journaled.\n"
	"\n"
	"  -b, --backend NAME  kvm (libvirt, default), xen (dom0: libxenctrl and\n"
	"                      xenstore) or sim (tests: sockets in a directory)\n"
	"  -u, --uri URI       libvirt URI (default qemu:///system) or the sim directory\n"
	"  -p, --policy FILE   policy file (default " VTUNE_POLICY_DEFAULT ")\n"
	"  -J, --journal PATH  change journal (default " HOSTD_JOURNAL_DEFAULT ")\n"
	"  -c, --control PATH  control socket (default " HOSTD_CONTROL_DEFAULT ")\n"
	"  -i, --interval S    evaluation interval in seconds (default 5; 0.1 .. 3600)\n"
	"  -r, --root DIR      host /proc and /sys under DIR (default /)\n"
	"  -m, --metrics ADDR  Prometheus/OpenMetrics endpoint: HOST:PORT, [V6]:PORT,\n"
	"                      unix:/PATH or off (default " MH_DEFAULT_ADDR ")\n"
	"      --metrics-guests yes|no\n"
	"                      per-guest series (guest names, their views, rule and\n"
	"                      change counters) on it: default yes when --metrics is\n"
	"                      given, no on the default endpoint (host series only)\n"
	"      --syslog        log to syslog (daemon facility) as well as to stderr\n"
	"      --dry-run       compute and log every change, send and write nothing\n"
	"      --privsep USER  run the daemon as USER, without capabilities, under a\n"
	"                      seccomp allow-list; a root process only makes the checked\n"
	"                      kernel changes it asks for (default: user vtune when\n"
	"                      running as root and it exists)\n"
	"      --no-privsep    one process that keeps root\n"
	"      --protocol-max N\n"
	"                      offer agents protocol versions up to N only (1: what\n"
	"                      older agents speak; default: the newest, 2)\n"
	"  -n                  check the policy and arguments, say \"configuration OK\"\n"
	"  -f, --foreground    stay in the foreground (the default, systemd style)\n"
	"  -v, --verbose       log debug messages\n"
	"      --help, --version\n";

/* One descriptor per guest channel: the default soft limit (1024) would stop
 * near a thousand guests, so take the hard limit. Never fatal. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t old = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("cannot raise the open-file limit from %llu: %s", (unsigned long long)old,
			 strerror(errno));
	else
		log_debug("open-file limit raised from %llu to %llu", (unsigned long long)old,
			  (unsigned long long)rl.rlim_cur);
}

/* Privilege separation (docs/privsep.md), once everything that needs root
 * to open is open: user NULL picks "vtune" when running as root and it
 * exists (else off, said once), "" is off. Returns 0 in the process that
 * runs the daemon (the unprivileged child, or the only process), -1 on
 * failure; the privileged parent never returns: it exits with the child's
 * status once the child is gone. */
static int privsep_start(struct hostd *h, const struct hostd_opts *o, const char *user)
{
	/* the knob kinds the actions write, then the backend's root-only ones */
	const char *kinds[48];
	size_t nk = 0;
	const struct backend_ops *ops = backend_find(o->backend);
	for (const char *const *k = act_privileged_kinds(); *k && nk < 40; k++)
		kinds[nk++] = *k;
	for (size_t i = 0; ops && ops->privileged_knobs && ops->privileged_knobs[i] && nk < 47; i++)
		kinds[nk++] = ops->privileged_knobs[i];
	kinds[nk] = NULL;
	const char *dirs[8] = { NULL };
	char dirbuf[PATH_MAX], why[256] = "";
	struct privops_conf pc = { .root = o->root, .kinds = kinds, .dirs = dirs,
				   .view = hostnet_view_privileged, .journal = hostd_journal(h) };
	int automatic = !user, parent = 0;

	if (user && !*user)
		return 0;
	if (!user)
		user = "vtune";
	const char *off = geteuid() != 0 ? "not running as root" : NULL;
	if (!off && ops->privsep_dirs(o->uri, dirs, 8, dirbuf, sizeof dirbuf, why, sizeof why) < 0)
		off = why;
	struct passwd *pw = off ? NULL : getpwnam(user);
	if (!off && !pw)
		off = "no such user";
	if (off) {
		if (!automatic) {
			log_err("--privsep %s: %s", user, off);
			return -1;
		}
		log_info("privilege separation off (user %s): %s", user, off);
		return 0;
	}
	int r = privops_split(&pc, pw->pw_uid, pw->pw_gid, &parent, why, sizeof why);
	if (parent) {
		unlink(o->control); /* the unprivileged process cannot, in a root directory */
		log_info("privops: stopped (the daemon exited %d)", r);
		_exit(r < 0 ? 1 : r); /* nothing else of the daemon is ours to close */
	}
	if (r < 0) {
		log_err("privilege separation: %s", why);
		return -1;
	}
	/* the journal is the parent's to write: every record goes through it */
	journal_forward(hostd_journal(h), privops_journal_fwd, NULL);
	log_info("privilege separation: daemon runs as %s (uid %u), no capabilities, seccomp on",
		 user, (unsigned)pw->pw_uid);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "uri", required_argument, NULL, 'u' },
		{ "policy", required_argument, NULL, 'p' },
		{ "journal", required_argument, NULL, 'J' },
		{ "control", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "root", required_argument, NULL, 'r' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "privsep", required_argument, NULL, 'P' },
		{ "no-privsep", no_argument, NULL, 'N' },
		{ "protocol-max", required_argument, NULL, 'M' },
		{ "metrics-guests", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct hostd_opts o = {
		.backend = "kvm", .uri = NULL, .policy = VTUNE_POLICY_DEFAULT,
		.journal = HOSTD_JOURNAL_DEFAULT, .control = HOSTD_CONTROL_DEFAULT,
		.root = "/", .interval_s = 5, .metrics = MH_DEFAULT_ADDR, .metrics_optional = 1,
	};
	int check = 0, c, err = 0, dest = LOG_TO_STDERR;
	char why[256] = "";
	const char *privsep = NULL; /* NULL: automatic, "": off */
	int metrics_guests = -1;    /* -1: yes when --metrics is given, else no */

	argv[0] = (char *)"vtune-hostd"; /* getopt's one-line messages name it so */

	while ((c = getopt_long(argc, argv, "b:u:p:J:c:i:r:m:nfvh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': o.backend = optarg; break;
		case 'u': o.uri = optarg; break;
		case 'p': o.policy = optarg; break;
		case 'J': o.journal = optarg; break;
		case 'c': o.control = optarg; break;
		case 'r': o.root = optarg; break;
		case 'm': o.metrics = optarg; o.metrics_optional = 0; break;
		case 'S': dest |= LOG_TO_SYSLOG; break;
		case 'D': o.dry_run = 1; break;
		case 'n': check = 1; break;
		case 'f': break;
		case 'v': o.verbose = 1; break;
		case 'P': privsep = optarg; break;
		case 'G':
			if (strcmp(optarg, "yes") && strcmp(optarg, "no")) {
				fprintf(stderr, "vtune-hostd: --metrics-guests: want yes or no, not '%s'\n",
					optarg);
				return 2;
			}
			metrics_guests = !strcmp(optarg, "yes");
			break;
		case 'N': privsep = ""; break;
		case 'M': {
			uint64_t v;
			if (parse_u64(optarg, &v) || v < WIRE_V_MIN || v > WIRE_V_MAX) {
				fprintf(stderr, "vtune-hostd: --protocol-max: want %d..%d, not '%s'\n",
					WIRE_V_MIN, WIRE_V_MAX, optarg);
				return 2;
			}
			o.protocol_max = (unsigned)v;
			break;
		}
		case 'i':
			if (parse_double(optarg, &o.interval_s) || o.interval_s < 0.1 ||
			    o.interval_s > 3600) {
				fprintf(stderr, "vtune-hostd: --interval: want seconds in 0.1..3600, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'h': fputs(usage, stdout); return safefile_close_stdout("vtune-hostd") ? 1 : 0;
		case 'V':
			printf("vtune-hostd %s\n", VTUNE_VERSION);
			return safefile_close_stdout("vtune-hostd") ? 1 : 0;
		default: return 2; /* getopt said what, on one line */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtune-hostd: unexpected argument '%s' (try vtune-hostd --help)\n", argv[optind]);
		return 2;
	}
	/* the backend's module is installed and loads, before its policy is
	 * checked against what it can do (not for sim and unknown names) */
	char mwhy[256];
	if ((!strcmp(o.backend, "kvm") || !strcmp(o.backend, "xen")) &&
	    !backend_mod_load(o.backend, mwhy, sizeof mwhy)) {
		fprintf(stderr, "vtune-hostd: %s\n", mwhy);
		return 1;
	}
	o.metrics_guests = metrics_guests >= 0 ? metrics_guests : !o.metrics_optional;
	if (check) {
		if (hostd_check_config(&o, stderr) < 0)
			return 1;
		printf("configuration OK\n");
		return safefile_close_stdout("vtune-hostd") ? 1 : 0;
	}
	log_init("vtune-hostd", dest, o.verbose ? LOG_DEBUG : LOG_INFO);
	raise_nofile();
	struct hostd *h = hostd_new(&o, &err, why, sizeof why);
	if (!h) {
		log_err("%s", why[0] ? why : strerror(-err));
		return 1;
	}
	if (privsep_start(h, &o, privsep) < 0 || hostd_renew_signalfd(h) < 0) {
		hostd_free(h);
		return 1;
	}
	int r = hostd_run(h);
	hostd_free(h);
	if (r < 0) {
		log_err("event loop: %s", strerror(-r));
		return 1;
	}
	log_info("stopped");
	return 0;
}
