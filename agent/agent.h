/* agent: the sub-commands of vtune-agent. Each takes the arguments after
 * its own name (argv[0] is the sub-command) and returns the exit status. */
#ifndef VTUNE_AGENT_H
#define VTUNE_AGENT_H

#include "gview.h"

int agent_sample_main(int argc, char **argv);
int agent_standalone_main(int argc, char **argv); /* run --standalone */

/* Log that a listener is full at the backlog its application chose. */
void log_notice_listener(const struct gv_listener *l, long long somaxconn);

#endif
