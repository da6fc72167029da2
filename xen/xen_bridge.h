/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen_bridge: hostd's per-guest channel (guest.c) over xenstore for the Xen
 * backend: a socketpair per guest, one end in guest_attach_fd, the other fed
 * from data/vtune/{hello,report,ack} (a report in parts joined) and drained
 * into xen_send. */
#ifndef VTUNE_XEN_BRIDGE_H
#define VTUNE_XEN_BRIDGE_H

#include "backend.h"
#include "loop.h"

/* bytes queued towards hostd per guest: a joined report (the line limit)
 * and a hello and an ack */
#define XB_OUT_MAX (65536u + 2u * (4096u + 1u))
#define XB_IN_MAX (2u * (4096u + 1u))	   /* bytes of hostd's lines held per guest */
#define XB_ACK_WAIT_NS (10ull * 1000000000ull) /* an apply's ack, before the next goes */
#define XB_BACKOFF_MIN_NS (1ull * 1000000000ull) /* re-attach after hostd closed */
#define XB_BACKOFF_MAX_NS (30ull * 1000000000ull)

struct xen_bridge;

typedef bk_find_fn xb_find_fn;

/* A bridge on loop for the Xen backend b (takes b's report callback).
 * NULL with -errno in *err. */
struct xen_bridge *xen_bridge_new(struct loop *loop, struct backend *b, xb_find_fn find,
				  void *arg, int *err);
/* The domain went away (BK_GUEST_DOWN): close its pair, forget it. */
void xen_bridge_guest_down(struct xen_bridge *xb, int domid);
/* Close every pair and free (b's report callback is cleared). NULL is fine. */
void xen_bridge_free(struct xen_bridge *xb);

/* Lines delivered to hostd / sent to guests, for tests and logs. */
struct xen_bridge_stats {
	uint64_t to_hostd, to_guest, send_errors, read_errors, dropped, attaches;
	uint64_t bad_reports; /* reports refused (parts not matching their count,
			       * a value refused): hostd counts them invalid */
};
void xen_bridge_get_stats(const struct xen_bridge *xb, struct xen_bridge_stats *st);

#endif
