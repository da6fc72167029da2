/* vtune: the operator's command (sub-command dispatch and help). */
#include "commands.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: vtune COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  bench crr      connect/request/response/close benchmark (client or --serve)\n"
	"  policy check   check a policy file and say \"configuration OK\"\n"
	"  revert         undo changes recorded in the journal\n"
	"  status         what vtune-hostd sees: guests, both views, active rules\n"
	"  report         guest and host view side by side, diagnosis (--json, --html)\n"
	"  apply          --dry-run: what the policies would change right now\n"
	"  kvm channel-xml  print the libvirt <channel> element for the agent channel\n"
	"  fleet          guests of every host ranked by accepts lost to host causes (Prometheus)\n"
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
	{ "status", NULL, cmd_status_main },
	{ "report", NULL, cmd_report_main },
	{ "apply", NULL, cmd_apply_main },
	{ "kvm", NULL, cmd_kvm_main },
	{ "fleet", NULL, cmd_fleet_main },
};

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
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
			return c->fn(argc - 1, argv + 1);
		if (argc > 2 && !strcmp(argv[2], c->sub))
			return c->fn(argc - 2, argv + 2);
		fprintf(stderr, "vtune: usage: vtune %s %s ...\n", c->name, c->sub);
		return 2;
	}
	fprintf(stderr, "vtune: unknown command '%s' (try vtune --help)\n", argv[1]);
	return 2;
}
