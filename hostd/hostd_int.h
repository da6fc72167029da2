/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostd_int: what the files of vtune-hostd share and nothing outside
 * hostd/ sees (hostd.h is the daemon's API): the daemon's state and the
 * calls between its life cycle (hostd.c), its step (tick.c), its plan
 * execution (plan_exec.c) and its control commands (ctl_cmds.c). */
#ifndef VTUNE_HOSTD_INT_H
#define VTUNE_HOSTD_INT_H

#include "hostd.h"
#include "apply.h"
#include "guest.h"
#include "history.h"
#include "hostnet.h"
#include "metrics_http.h"
#include "policy_async.h"
#include "tuning.h"

#define SEC 1000000000ull
#define HOSTD_TICK_NS (SEC / 2)

struct held_apply;

/* The daemon: made by hostd_new, freed by hostd_free. */
struct hostd {
	struct hostd_opts o;
	uint64_t wd_usec, wd_next_ns; /* systemd watchdog period, next ping */
	struct loop *loop;
	const struct backend_ops *ops;
	struct backend *bk;
	struct pol_set *set;
	struct pol_engine *engine;
	struct journal *journal;
	struct ctl *ctl;
	struct mh_server *mh;   /* --metrics listener, or NULL */
	struct mh_counters *mhc; /* rule firings and changes, for it */
	int sigfd;
	struct guest **guests;
	size_t nguests, capguests;
	uint64_t next_id;
	uint64_t interval_ns, next_step_ns;
	struct pol_plan plan;
	struct hist_store *hist; /* key metrics for `vtune report` (NULL: none) */
	struct host_view *hv;	 /* host rows needing no hypervisor (NULL: not read) */
	void *chans;		 /* agent channels the backend carries (channels_open) */
	/* a step's guest applies, sent once their intents are synced together */
	struct held_apply *held;
	size_t nheld, capheld;
	json_object *asked; /* a control revert: the records asked of guests */
	struct pol_async *reload; /* SIGHUP: the policy loading in a thread */
	const char *revert_why; /* the verdict whose records are being undone */
	struct tuning tuning; /* `vtune off`: reports taken, no rule fires */
};

/* A guest apply held until the step's intents are synced (plan_exec.c). */
struct held_apply {
	struct guest *g;
	struct wire_msg m;
	struct guest_pending p;
};

/* The daemon and the guest a knob is read or a host change is made for. */
struct cur_ctx {
	struct hostd *h;
	struct guest *g;
};

/* ---- hostd.c: the life cycle ---- */

/* The guest named name, or NULL. */
struct guest *hostd_find_guest(struct hostd *h, const char *name);

/* ---- tick.c: the timer and the step ---- */

/* pol_current_fn (arg: struct cur_ctx): a knob's current value, the
 * guest's from its report, the host's read under the root prefix.
 * -EREMOTE when the guest's agent plans the kind itself, -ENOENT unknown. */
int hostd_current_knob(void *arg, enum pol_side side, const char *kind, const char *key,
		       char *buf, size_t n);
/* The loop's timer (arg: the daemon): the guests' ticks, the journal's
 * sync, the step when it is due; it sets itself again. */
void hostd_tick(void *arg);

/* ---- plan_exec.c: plans carried out, acks and reverts ---- */

/* What a guest's channel says back: acks, lost requests, hellos. */
extern const struct guest_hooks hostd_guest_hooks;
/* Can g's agent plan an action of kind itself (protocol 2 and the kind
 * among those its hello names)? */
int hostd_guest_plans(const struct guest *g, const char *kind);
/* Carry out a step's plan for g: guest changes journaled and held for
 * hostd_send_held, host changes and notes made here. */
void hostd_act_on_plan(struct hostd *h, struct guest *g, const struct pol_plan *plan);
/* The end of a step: one journal sync for all its intents, then the held
 * applies are sent (or marked failed). */
void hostd_send_held(struct hostd *h);
/* The journaled helper's context and the host side for a host change made
 * for guest g (cc: { h, g }, kept alive by the caller). */
void hostd_host_ctx(struct hostd *h, struct guest *g, struct cur_ctx *cc, struct apply_ctx *ac,
		    struct act_host *host);
/* journal_revert's remote callback (arg: the daemon): ask the guest to
 * undo record rec. JOURNAL_ASKED, -ENOTCONN, -EINVAL or -errno. */
int hostd_revert_remote(void *arg, const struct jrec *rec, int dry_run);

#endif
