/* SPDX-License-Identifier: GPL-2.0-or-later */
/* journal_path: which journal the commands of `vtune` mean when given
 * none: $VTUNE_JOURNAL, else vtune-hostd's on a host (where it exists),
 * else the agent's. */
#ifndef VTUNE_CLI_JOURNAL_PATH_H
#define VTUNE_CLI_JOURNAL_PATH_H

#include "hostd.h"

/* For --help: how the default is chosen. */
#define CLI_JOURNAL_HELP                                                        \
	"$VTUNE_JOURNAL, else\n"                                                \
	"                  " HOSTD_JOURNAL_DEFAULT " where it exists (a host),\n" \
	"                  else " VTUNE_JOURNAL_DEFAULT

/* $VTUNE_JOURNAL when set, else HOSTD_JOURNAL_DEFAULT when that exists,
 * else VTUNE_JOURNAL_DEFAULT. */
const char *cli_journal(void);

#endif
