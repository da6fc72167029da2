/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crr_serve: `vtune bench crr --serve` as a program of its own, linked
 * statically (no libvirt) so that it runs inside a busybox guest image: the
 * server side of the demo (scripts/demo). Usage: vtune-crr-serve [OPTIONS]
 * [ADDR:]PORT, the options of `vtune bench crr --serve` (vtune(8)). */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	char **av = calloc((size_t)argc + 2, sizeof *av);
	if (!av) {
		perror("vtune-crr-serve");
		return 1;
	}
	av[0] = argv[0];
	av[1] = "--serve";
	for (int i = 1; i < argc; i++)
		av[i + 1] = argv[i];
	return bench_crr_main(argc + 1, av);
}
