/* vtune-agent: the guest side of vtune (entry point and sub-command dispatch). */
#include "agent.h"
#include "log.h"

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
};

int main(int argc, char **argv)
{
	log_init("vtune-agent", LOG_TO_STDERR, LOG_INFO);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vtune-agent %s\n", VTUNE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "vtune-agent: unknown command '%s' (try vtune-agent --help)\n", argv[1]);
	return 2;
}
