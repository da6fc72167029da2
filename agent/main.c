/* vtune-agent: the guest side of vtune (entry point and sub-command dispatch). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("vtune-agent %s\n", VTUNE_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: vtune-agent sample [--json] [--interval S] [--root DIR]\n");
	return 2;
}
