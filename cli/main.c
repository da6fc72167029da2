/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vtune: the operator's command (sub-command dispatch and help). */
#include "commands.h"
#include "safefile.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: vtune COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  bench crr      connect/request/response/close benchmark (client or --serve)\n"
	"  policy check   check a policy file and say \"configuration OK\"\n"
	"  revert         undo changes recorded in the journal\n"
	"  off            revert every change and stop tuning until vtune on\n"
	"  on             resume tuning after vtune off\n"
	"  verify         is every knob vtune changed still at its value? (exit 1: no)\n"
	"  status         what vtune-hostd sees: guests, both views, active rules\n"
	"  report         guest and host view side by side, diagnosis (--json, --html)\n"
	"  apply          --dry-run: what the policies would change right now\n"
	"  kvm channel-xml  print the libvirt <channel> element for the agent channel\n"
	"  fleet          guests of every host ranked by accepts lost to host causes (Prometheus)\n"
	"  sriov list     SR-IOV physical functions, their VFs and the guests holding them\n"
	"  sriov attach   give a running guest a VF (through vtune-hostd, journaled)\n"
	"  sriov detach   take a guest's VF back (revert its SR-IOV changes)\n"
	"\n"
	"  vtune COMMAND --help   shows a command's options; see vtune(8).\n";

struct command {
	const char *name, *sub;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "bench", "crr", bench_crr_main },
	{ "policy", NULL, cmd_policy_main },
	{ "revert", NULL, cmd_revert_main },
	{ "off", NULL, cmd_off_main },
	{ "on", NULL, cmd_on_main },
	{ "verify", NULL, cmd_verify_main },
	{ "status", NULL, cmd_status_main },
	{ "report", NULL, cmd_report_main },
	{ "apply", NULL, cmd_apply_main },
	{ "kvm", NULL, cmd_kvm_main },
	{ "fleet", NULL, cmd_fleet_main },
	{ "sriov", NULL, cmd_sriov_main },
};

/* Run a command the same way for all: getopt's one-line messages name it
 * ("vtune report: unrecognized option '--x'"), and -h is --help for every
 * command (up to a "--"). */
static int run(const struct command *c, int argc, char **argv)
{
	static char name[64];
	snprintf(name, sizeof name, "vtune %s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
	argv[0] = name;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h"))
			argv[i] = (char *)"--help";
	return c->fn(argc, argv);
}

static int dispatch(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: vtune COMMAND [ARGS] (vtune --help lists the commands)\n", stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vtune %s\n", VTUNE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		const struct command *c = &commands[i];
		if (strcmp(argv[1], c->name))
			continue;
		if (!c->sub)
			return run(c, argc - 1, argv + 1);
		if (argc > 2 && !strcmp(argv[2], c->sub))
			return run(c, argc - 2, argv + 2);
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")))
			return run(c, argc - 1, argv + 1); /* vtune kvm --help */
		fprintf(stderr, "vtune %s: want '%s' (try vtune %s --help)\n", c->name, c->sub, c->name);
		return 2;
	}
	fprintf(stderr, "vtune: unknown command '%s' (try vtune --help)\n", argv[1]);
	return 2;
}

/* Every command's output checked at the end: lost output (a full disk,
 * /dev/full) is an error, whatever the command returned. */
int main(int argc, char **argv)
{
	int r = dispatch(argc, argv);
	if (safefile_close_stdout("vtune") < 0 && r == 0)
		r = 1;
	return r;
}
