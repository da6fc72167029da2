/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen_parts: a guest's report as hostd reads it from xenstore — one value
 * (data/vtune/report) or the parts the agent split it into (report-0 ..
 * report-(N-1), N in report-parts; docs/protocol.md), joined and bounded.
 * Pure: the reads go through a callback, so it is tested without Xen. */
#ifndef VTUNE_XEN_PARTS_H
#define VTUNE_XEN_PARTS_H

#include <stddef.h>

#include "wire.h"

#define XEN_PARTS_MAX WIRE_XS_PARTS_MAX /* parts read at most */
#define XEN_JOIN_MAX (WIRE_MAX_LINE - 1) /* bytes of a joined report (the line limit) */

/* Read key (under the guest's data/vtune/): 0 with *val (malloc'd, *len
 * bytes), -ENOENT, or -errno. */
typedef int (*xen_parts_read_fn)(void *arg, const char *key, char **val, size_t *len);

/* The guest's report into buf (n bytes, NUL-terminated): report when there
 * is one (an agent that writes one value; it wins over parts an older
 * write left), else report-0 .. report-(N-1) joined, N read from
 * report-parts, only those N read (parts past N are another report's). At
 * most XEN_PARTS_MAX parts, each checked as xen_value_check (at most
 * XEN_VALUE_MAX bytes, no control bytes, UTF-8), the join at most
 * XEN_JOIN_MAX bytes. Returns its length, or -ENOENT (no report), -EBADMSG
 * (report-parts is no count from 1 to XEN_PARTS_MAX, or a part is missing),
 * -EINVAL / -EMSGSIZE (a value refused, or the join over XEN_JOIN_MAX),
 * -EOVERFLOW (it does not fit n), or read's -errno. why (whyn bytes, may be
 * NULL) says what was wrong. */
int xen_report_join(xen_parts_read_fn read, void *arg, char *buf, size_t n, char *why,
		    size_t whyn);

#endif
