/* revert: placeholder until the command is written. */
#include "commands.h"

#include <stdio.h>

int cmd_revert_main(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "vtune: %s: not built yet\n", argv[0]);
	return 2;
}
