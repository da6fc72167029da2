/* agent: the sub-commands of vtune-agent. Each takes the arguments after
 * its own name (argv[0] is the sub-command) and returns the exit status. */
#ifndef VTUNE_AGENT_H
#define VTUNE_AGENT_H

int agent_sample_main(int argc, char **argv);

#endif
