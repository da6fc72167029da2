/* SPDX-License-Identifier: GPL-2.0-or-later */
/* undo: the one undo behind `vtune revert` and `vtune off`: through the
 * running vtune-hostd whenever the journal is in use (dry runs included,
 * so a dry run says what the real run does), else in the journal itself
 * (host changes reverted, guest changes queued for their agent's next
 * hello); the outcome as text or as one JSON object. */
#ifndef VTUNE_CLI_UNDO_H
#define VTUNE_CLI_UNDO_H

#include <json-c/json.h>

#include "journal.h"

struct undo_opts {
	const char *prog;      /* "vtune revert": how messages start */
	const char *journal;   /* the journal file */
	const char *control;   /* --control PATH, or NULL: when the journal is
				* in use, the holder's socket: by_default,
				* else alt where by_default is not there */
	const char *by_default, *alt; /* NULL: ctl_default_path(), none */
	const char *root;      /* /proc and /sys under it (local runs) */
	int dry, force;
	double wait_s;         /* through vtune-hostd: wait for the guests' acks */
	const char *hostd_cmd; /* the daemon's command: "revert" or "off" */
	json_object *extra;    /* more members of that request (borrowed), or NULL */
};

/* Undo sel. Returns the outcome (caller puts it):
 *   {"ok":bool, "via":"vtune-hostd"|"vtune-agent"|"journal", "dry_run":bool,
 *    "lines":[...], "confirmed":[...], "pending":[...], "damaged":[...],
 *    "counts":{"lines","not_restored","confirmed","pending","damaged"},
 *    "error":"..." (when not ok), "tuning":{...} (from the daemon)}
 * NULL only when out of memory. */
json_object *undo_run(const struct undo_opts *o, const struct revert_sel *sel);

/* Print an outcome: one JSON document (json), or its lines on stdout and
 * what is pending, damaged or failed on stderr, each "PROG: ...". Returns
 * the exit status: 0 everything selected restored, else 1. */
int undo_print(const char *prog, json_object *res, int json);

#endif
