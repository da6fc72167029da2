/* policy_cmd: `vtune policy check FILE...` — load each policy file, print
 * every problem as file:line:col: message, or "FILE: configuration OK". */
#include "commands.h"

#include <stdio.h>
#include <string.h>

#include "policy.h"

static const char policy_usage[] =
	"usage: vtune policy check FILE...\n"
	"\n"
	"Check policy files (see vtune-policies(5)). Every problem is printed as\n"
	"file:line:col: message on stderr and the exit status is 1; a good file\n"
	"prints \"FILE: configuration OK\" and the exit status is 0.\n";

int cmd_policy_main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(policy_usage, stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "check")) {
		fputs(policy_usage, stderr);
		return 2;
	}
	if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		fputs(policy_usage, stdout);
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "vtune policy check: no file given\n");
		fputs(policy_usage, stderr);
		return 2;
	}
	int status = 0;
	for (int i = 2; i < argc; i++) {
		struct pol_diag d;
		pol_diag_init(&d);
		struct pol_set *s = pol_load_file(argv[i], &d);
		if (s && d.n == 0) {
			printf("%s: configuration OK\n", argv[i]);
		} else {
			pol_diag_print(&d, stderr);
			status = 1;
		}
		pol_set_free(s);
		pol_diag_free(&d);
	}
	return status;
}
