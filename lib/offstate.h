/* SPDX-License-Identifier: GPL-2.0-or-later */
/* offstate: `vtune off` is remembered in a small file beside the journal
 * (JOURNAL.off, "off since EPOCH-SECONDS"): while it is there no rule of
 * vtune-hostd fires, across restarts, until `vtune on` removes it. */
#ifndef VTUNE_OFFSTATE_H
#define VTUNE_OFFSTATE_H

#include <stddef.h>
#include <stdint.h>

#define OFFSTATE_SUFFIX ".off"

/* The state file of the journal at journal: JOURNAL.off into buf (n
 * bytes). 0 or -ENAMETOOLONG. */
int offstate_path(const char *journal, char *buf, size_t n);

/* Is tuning off? 1 off (*since_s the time of `vtune off`, 0 when the file
 * is damaged: it is off all the same, the safe reading), 0 on (no file),
 * -errno when it cannot be told (unreadable; a symlink is -ELOOP, a file
 * that is not regular -EINVAL): the caller decides, and vtune-hostd stays
 * off then. */
int offstate_read(const char *path, uint64_t *since_s);

/* Tuning off since since_s: the file written whole or not at all (a new
 * file made O_EXCL|O_NOFOLLOW beside it, fsync'd, renamed over it:
 * safefile), mode 0600; its directory made (mode 0700) when missing. 0 or
 * -errno with a reason in why (n bytes). */
int offstate_write(const char *path, uint64_t since_s, char *why, size_t n);

/* since_s as "2024-05-01T12:00:00Z" (UTC), "a time not recorded" when 0;
 * returns buf. */
const char *offstate_when(uint64_t since_s, char *buf, size_t n);

/* "tuning off since 2024-05-01T12:00:00Z (vtune off); vtune on resumes"
 * ("since a time not recorded" when since_s is 0) into buf; returns buf. */
const char *offstate_describe(uint64_t since_s, char *buf, size_t n);

/* Tuning on: the file removed (the directory synced). 1 removed, 0 there
 * was none, -errno. */
int offstate_clear(const char *path);

#endif
