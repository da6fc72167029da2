/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_kmsg: the kernel log lines operators look for ("nf_conntrack: table
 * full, dropping packet", "Possible SYN flooding on port", "TIME wait
 * bucket table overflow", "too many orphaned sockets", "out of memory --
 * consider tuning tcp_mem", "dst cache overflow", "neighbor table
 * overflow", "page allocation failure"), counted per reading from
 * /dev/kmsg. Only what the kernel
 * logs after the reader opened it counts (no flood of history); each
 * reading reads at most GV_KMSG_MAX_RECORDS records (the rest is skipped
 * and counted as such) in one fixed buffer. */
#ifndef VTUNE_GV_KMSG_H
#define VTUNE_GV_KMSG_H

#include <stddef.h>

#include "gview.h"

#define GV_KMSG_MAX_RECORDS 512

/* The name of a kind ("conntrack_full", ...), as in guest.kmsg.NAME. */
const char *gv_kmsg_kind_name(enum gv_kmsg_kind k);

/* Which known message a kernel log text is, or -1. */
int gv_kmsg_classify(const char *text);

/* One /dev/kmsg record ("PRI,SEQ,USEC,FLAGS;TEXT\n KEY=VALUE..."): counted
 * into c when its facility is the kernel's (user-space writes are not),
 * the latest known one kept (control and non-ASCII bytes become '?').
 * 0, or -EINVAL for a record of another shape (counted as skipped). */
int gv_kmsg_record(const char *rec, size_t len, struct gv_kmsg_counts *c);

/* A fixture's log: <root>/dev/kmsg as text, one record a line (dict lines,
 * which start with a space, are part of the record before them). Counts
 * every record; absent file: present 0. 0 or -errno. */
int gv_kmsg_read_file(const char *root, struct gv_kmsg_counts *c, char *err, size_t n);

/* A live reader of root's dev/kmsg. */
struct gv_kmsg;
struct gv_kmsg *gv_kmsg_new(void);
void gv_kmsg_free(struct gv_kmsg *k);

/* What was logged since the last call (the first call opens the log at
 * its end and counts nothing); c->latest is the latest known line since
 * the reader opened the log, this reading's or an earlier one's. Absent
 * or unreadable log: present 0 and -errno (-ENOENT is not an error: 0). */
int gv_kmsg_read(struct gv_kmsg *k, const char *root, struct gv_kmsg_counts *c,
		 char *err, size_t n);

#endif
