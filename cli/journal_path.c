/* SPDX-License-Identifier: GPL-2.0-or-later */
/* journal_path: the journal `vtune revert`, `off`, `on`, `verify` and
 * `status` use when given none (see journal_path.h). */
#include "journal_path.h"

#include <stdlib.h>
#include <sys/stat.h>

const char *cli_journal(void)
{
	const char *p = getenv("VTUNE_JOURNAL");
	struct stat st;
	if (p && *p)
		return p;
	/* on a host vtune-hostd's journal is the one to undo, off or verify */
	if (lstat(HOSTD_JOURNAL_DEFAULT, &st) == 0)
		return HOSTD_JOURNAL_DEFAULT;
	return VTUNE_JOURNAL_DEFAULT;
}
