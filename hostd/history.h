/* SPDX-License-Identifier: GPL-2.0-or-later */
/* history: per-guest ring buffers of the key guest and host metrics for
 * `vtune report --html`: one point per evaluation interval (or coarser),
 * over a fixed window, in bounded memory (fixed points x fixed series). */
#ifndef VTUNE_HISTORY_H
#define VTUNE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "metrics.h"

#define HIST_DEFAULT_MINUTES 30
#define HIST_MAX_POINTS 720 /* per guest; a finer interval is thinned to fit */

/* The series kept, in order; each names a catalogue metric. */
#define HIST_SERIES(X)                                 \
	X(M_GUEST_CPU_STEAL)                           \
	X(M_HOST_VCPU_DELAY)                           \
	X(M_HOST_DOM0_BUSY)                            \
	X(M_GUEST_TCP_PASSIVE_OPENS)                   \
	X(M_GUEST_TCP_LISTEN_OVERFLOWS)                \
	X(M_GUEST_NET_RX_DROPS)                        \
	X(M_HOST_TAP_TX_DROPS)                         \
	X(M_GUEST_SOFTNET_DROPPED)                     \
	X(M_HOST_SOFTNET_DROPPED)                      \
	X(M_HOST_TAP_RX_PACKETS)

enum hist_series {
#define X(m) HS_##m,
	HIST_SERIES(X)
#undef X
	HS_COUNT
};

/* The metric id of series i. */
int hist_series_metric(int i);

struct hist_store;

/* A store for guests evaluated every interval_s seconds, keeping the last
 * minutes (0: HIST_DEFAULT_MINUTES). Points per guest: minutes*60 /
 * interval, at most HIST_MAX_POINTS (then one point per window /
 * HIST_MAX_POINTS). Memory is taken per guest on its first point.
 * NULL on no memory or a bad argument. */
struct hist_store *hist_store_new(double interval_s, unsigned minutes);
void hist_store_free(struct hist_store *s);

/* Record one point for guest name at wall time t_ns from its guest view
 * gm and host view hm (either may be NULL; unknown metrics stay gaps). A
 * point closer than the point period to the previous one is skipped.
 * 0, 1 (skipped) or -ENOMEM / -EINVAL. */
int hist_record(struct hist_store *s, const char *name, uint64_t t_ns,
		const struct mvec *gm, const struct mvec *hm);

/* Drop a guest's history (it went away). Unknown names are fine. */
void hist_forget(struct hist_store *s, const char *name);

/* Points held for name (0 when none). */
size_t hist_points(const struct hist_store *s, const char *name);

/* The history of name since wall time since_ns (0: all) as JSON:
 * {"period_s":P,"t":[epoch s...],"series":{"guest.cpu.steal":[v|null...]}}
 * oldest first; a new object (empty arrays when none), NULL on no memory. */
json_object *hist_json(const struct hist_store *s, const char *name, uint64_t since_ns);

/* ---- the control socket's {"cmd":"report"} ---- */

struct guest;
struct journal;

/* What the report reply is made of; status and plan are the replies of
 * hostd_status_json and hostd_dry_plan_json (both taken: put here). */
struct hist_report_in {
	json_object *status, *plan;
	const struct journal *journal; /* may be NULL */
	struct guest *const *guests;	 /* in the order of status "guests" */
	size_t nguests;
	const struct hist_store *hist;	 /* may be NULL: no history */
	const char *hypervisor;		 /* backend name: "kvm", "xen", "sim" */
	uint64_t now_wall_ns;
};

#define HIST_REPORT_CHANGES 20 /* newest journal changes per guest */

/* The reply to {"cmd":"report"} (optional "guest":NAME, "minutes":N,
 * "history":false): the status reply, and per guest its hypervisor, tap,
 * bridge, listeners (queue vs backlog), hottest CPU and NET_RX CPU from its
 * latest sample, its newest journal changes with their state, the dry-run
 * plan's changes for it and its history over the last N minutes (default
 * HIST_DEFAULT_MINUTES). A bad field gives {"ok":false,"error":...}. */
json_object *hist_report_json(const struct hist_report_in *in, json_object *req);

#endif
