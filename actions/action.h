/* SPDX-License-Identifier: GPL-2.0-or-later */
/* action: what the executors of the action table get (the table itself,
 * which the policy loader, the engine and both programs read, is
 * policies/act_table.h): the host side of a host action, the context of
 * one local run, and the knob kinds the executors write. */
#ifndef VTUNE_ACTION_H
#define VTUNE_ACTION_H

#include "act_table.h"
#include "knob.h"

struct sriov_conf; /* pci_conf.h */

/* ---- what executors get ---- */

/* act_change_fn, a plan's callback per knob change: knob.h. */

/* The host side of the subject a host action is for, filled by hostd from
 * its backend: the guest's name and network path, and the backend slots
 * that plan hypervisor changes (opaque here: the backend's own handle and
 * guest record). */
struct act_host {
	const char *guest;
	const char *tap, *bridge, *netns;
	void *bk;	     /* the backend's handle */
	const void *bk_guest; /* the backend's record of the guest */
	/* Plan a pin mode for the guest: fn per knob change. 0, -EOPNOTSUPP
	 * (not this backend's mode) or -errno; why gets a reason. NULL: the
	 * backend cannot pin. */
	int (*plan_pin)(void *bk, const void *bk_guest, const char *mode,
			act_change_fn fn, void *arg, char *why, size_t n);
	/* Plan a host-wide pin mode for every guest of the host (the backend
	 * gets them all from hostd). -EOPNOTSUPP: not a host-wide mode of this
	 * backend. NULL: none. */
	int (*plan_pin_host)(void *bk, const char *mode, act_change_fn fn, void *arg, char *why,
			     size_t n);
	/* Filters the hypervisor binds to the guest's traffic (libvirt
	 * nwfilter): > 0 with their names in buf (n bytes), 0 none, -errno.
	 * NULL: the backend has none. */
	int (*filters)(void *bk, const void *bk_guest, char *buf, size_t n);
	/* Plan giving the guest one SR-IOV VF within conf (want_vf or NULL):
	 * the backend's plan_pci_attach (backend/backend.h). NULL: it cannot. */
	int (*plan_pci_attach)(void *bk, const void *bk_guest, const struct sriov_conf *conf,
			       const char *want_vf, act_change_fn fn, void *arg, char *why,
			       size_t n);
	/* A change refused to keep the host safe (a firewall needs what it
	 * would turn off): kind and reason ("firewall") for counters, text for
	 * people. Nothing was changed or journaled. NULL: said in the log. */
	void (*refuse)(void *arg, const struct pol_change *ch, const char *kind,
		       const char *reason, const char *text);
	void *refuse_arg;
};

struct apply_ctx;

/* One local run of an action: the journaled change helper's context (see
 * apply.h) and, for host actions under hostd, the host side. */
struct act_ctx {
	const struct apply_ctx *ac;
	const struct act_host *host; /* NULL outside hostd */
};

/* Register every knob kind the table's executors write (idempotent), so
 * that revert can read and restore any of them. */
void act_register_knobs(void);

/* The knob kinds the table's executors write (on a host they need root:
 * privsep's parent serves them): NULL-terminated, static. */
const char *const *act_privileged_kinds(void);

#endif
