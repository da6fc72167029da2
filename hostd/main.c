/* vtune-hostd: the host side of vtune (entry point and sub-command dispatch). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("vtune-hostd %s\n", VTUNE_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: vtune-hostd sample [--json] [--interval S] [--root DIR]\n");
	return 2;
}
