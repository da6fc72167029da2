/* SPDX-License-Identifier: GPL-2.0-or-later */
/* undo_serve: the serving side of the revert request of lib/undo.c, in the
 * process that holds the journal (vtune-hostd, vtune-agent run). */
#ifndef VTUNE_UNDO_SERVE_H
#define VTUNE_UNDO_SERVE_H

#include <json-c/json.h>

#include "journal.h"

/* The serving side, in the process that holds the journal (vtune-hostd,
 * vtune-agent run): the answer to {"cmd":"revert", "all":true |
 * "rule":NAME | "since_ns":N, "dry_run", "force", "journal":PATH}: the
 * selected changes of j undone (a dry run when dry_default or "dry_run"),
 * guests' through remote (NULL: none). A "journal" naming another file
 * than jpath is refused: that process holds another journal. Returns
 * {"ok", "lines", "not_restored", "damaged", "damaged_count"} or
 * {"ok":false, "error"}. */
json_object *undo_serve(struct journal *j, const char *root, const char *jpath,
			json_object *req, int dry_default, journal_remote_fn remote, void *arg);

#endif
