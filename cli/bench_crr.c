/* bench_crr: placeholder until the command is written. */
#include "commands.h"

#include <stdio.h>

int bench_crr_main(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "vtune: %s: not built yet\n", argv[0]);
	return 2;
}
