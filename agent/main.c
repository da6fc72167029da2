/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vtune-agent: the guest side of vtune (entry point and sub-command dispatch). */
#include "agent.h"
#include "log.h"
#include "safefile.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: vtune-agent COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  sample   read the guest view twice and print one sample (table or --json)\n"
	"  run      report to vtune-hostd over virtio-serial and apply what it asks;\n"
	"           --standalone: sample, evaluate the guest rules and apply them\n"
	"  once     apply the guest baseline once (cloud-image bootstrap) and exit\n"
	"  report   what the policy's rules find in this VM; host-side causes marked\n"
	"           \"outside this VM — ask your provider\" with their evidence\n"
	"  revert   undo the journal's changes (asks vtune-agent run when it holds it)\n"
	"  verify   is every knob vtune changed here still at its value? (exit 1: no)\n"
	"\n"
	"  vtune-agent COMMAND --help   shows a command's options; see vtune-agent(8).\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "sample", agent_sample_main },
	{ "run", agent_run_main },
	{ "once", agent_once_main },
	{ "report", agent_report_main },
	{ "revert", agent_revert_main },
	{ "verify", agent_verify_main },
};

static int dispatch(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: vtune-agent COMMAND [ARGS] (vtune-agent --help lists the commands)\n", stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vtune-agent %s\n", VTUNE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		/* getopt's one-line messages name the command; -h is --help */
		static char name[64];
		snprintf(name, sizeof name, "vtune-agent %s", commands[i].name);
		argv[1] = name;
		for (int a = 2; a < argc && strcmp(argv[a], "--"); a++)
			if (!strcmp(argv[a], "-h"))
				argv[a] = (char *)"--help";
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "vtune-agent: unknown command '%s' (try vtune-agent --help)\n", argv[1]);
	return 2;
}

/* Every command's output checked at the end: lost output (a full disk,
 * /dev/full) is an error, whatever the command returned. */
int main(int argc, char **argv)
{
	log_init("vtune-agent", LOG_TO_STDERR, LOG_INFO);
	int r = dispatch(argc, argv);
	if (safefile_close_stdout("vtune-agent") < 0 && r == 0)
		r = 1;
	return r;
}
