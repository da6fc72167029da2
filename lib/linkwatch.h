/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linkwatch: has the set of network interfaces changed? An rtnetlink socket
 * subscribed to link events (RTNLGRP_LINK) in the caller's network
 * namespace: a check drains what arrived, without blocking, so a reader can
 * keep its list of interfaces until the kernel says a link was added,
 * removed, renamed or changed, instead of listing them every time. */
#ifndef VTUNE_LINKWATCH_H
#define VTUNE_LINKWATCH_H

struct linkwatch;

/* A watch, or NULL when rtnetlink cannot be opened (then list every time). */
struct linkwatch *linkwatch_new(void);
void linkwatch_free(struct linkwatch *w);

/* 1 when a link event arrived since the last call (or events were lost:
 * the socket overflowed), 0 when none did, -errno on a failed read. Reads
 * at most a bounded number of datagrams per call; more waiting counts as
 * a change, and the rest is read by the next call. */
int linkwatch_changed(struct linkwatch *w);

#endif
