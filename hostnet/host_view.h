/* SPDX-License-Identifier: GPL-2.0-or-later */
/* host_view: the host.* rows of one guest that need no hypervisor,
 * assembled once for every backend: the host's (dom0's) CPU load from the
 * one /proc/stat parser, the tap's counters, bridge-nf, offloads, softnet,
 * conntrack and the kernel log (hostnet_view), the host NICs' interrupts
 * (hostnet_irq_view) and whether vtune pinned the guest (its journal). A
 * backend's host_view slot adds only what the hypervisor alone knows. */
#ifndef VTUNE_HOST_VIEW_H
#define VTUNE_HOST_VIEW_H

#include <stdint.h>

#include "hostnet.h"
#include "metrics.h"

struct journal;

/* What the host view needs to know of a guest. */
struct host_view_guest {
	const char *name;   /* the guest's name (journal records name it) */
	int domid;	    /* its domain id (Xen pin targets), -1 when none */
	const char *tap;    /* its tap / vif, "" or NULL when unknown */
	const char *bridge; /* the bridge of that tap, "" when none */
	const char *netns;  /* the namespace of the bridge, "" = our own */
};

/* The host-wide part (one per daemon): the last /proc/stat reading and
 * the host NICs' interrupts. NULL on no memory. */
struct host_view;
struct host_view *host_view_new(void);
void host_view_free(struct host_view *hv); /* NULL is fine */

/* Fill host with the rows of guest g that need no hypervisor (st: g's own
 * previous counters, zeroed before the first call; root "/" or a fixture
 * tree):
 *  - host.cpu.busy_max and host.dom0.busy_max (the busiest CPU of
 *    /proc/stat) and host.dom0.busy (the mean over its CPUs), over the
 *    time since the reading before; a reading younger than min_gap_ns / 2 is reused,
 *    so every guest of one step sees the same figures;
 *  - with a tap: hostnet_view's rows (host.tap.*, host.bridge_nf,
 *    host.offloads_off, host.softnet.dropped, host.conntrack.*,
 *    host.csum_failures);
 *  - host.irq.* and host.irqbalance (hostnet_irq_view);
 *  - host.pinned: 1 when j holds an applied change of a vCPU pin kind
 *    ("...-vcpupin") made for g or aimed at it (target its name or domid),
 *    else 0; unset without a journal.
 * Rows that cannot be read stay unset (rates from the second call on).
 * 0 or -EINVAL (bad arguments). */
int host_view_guest(struct host_view *hv, struct hostnet_state *st, const char *root,
		    const struct journal *j, const struct host_view_guest *g, uint64_t now_ns,
		    uint64_t min_gap_ns, struct mvec *host);

/* host.pinned alone, as host_view_guest sets it: 1, 0, or -EINVAL (no
 * journal or guest). */
int host_view_pinned(const struct journal *j, const struct host_view_guest *g);

#endif
