/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_sriov: what the "sriov" host action gives besides its table row: its
 * options (struct sriov_conf) read back from a parsed action, one attach run
 * with its outcome (for vtune-hostd's `vtune sriov attach`), and the knob
 * kinds an attach writes (what `vtune sriov detach` reverts). */
#ifndef VTUNE_ACT_SRIOV_H
#define VTUNE_ACT_SRIOV_H

#include <stddef.h>

#include "action.h"
#include "pci_conf.h"

/* The knob kinds a VF attach journals, in no order: "sriov-numvfs",
 * "sriov-vf", "pci-driver", "kvm-hostdev", "xen-pci". NULL-terminated. */
extern const char *const act_sriov_kinds[];

/* The options of sriov action a (its policy mapping: pfs, vfs, driver,
 * persistent, accept_migration_loss, allow_host_traffic, vf) into c; the
 * one-word form (`sriov: attach`) is the all-zero conf, which allows no PF.
 * 0, or -EINVAL when a's text is not one act_sriov_parse wrote. */
int act_sriov_conf(const struct pol_action *a, struct sriov_conf *c);

/* c as the one-line text the action keeps (act_sriov_conf reads it):
 * "pfs=0000:03:00.0,enp3s0f0 vfs=2 persistent=1 ..." into buf (n bytes);
 * only what differs from the all-zero conf. */
void act_sriov_conf_text(const struct sriov_conf *c, char *buf, size_t n);

/* What one attach run did. */
struct act_sriov_result {
	int refused;	  /* -errno of the planner's refusal (nothing changed), 0 */
	int holds;	  /* the guest holds a VF already: nothing to do */
	int failed;	  /* a change failed; the plan's earlier ones were reverted */
	int not_restored; /* of those, the records the revert could not restore */
	int changed;	  /* knobs changed (dry run: that would be) */
	char vf[16];	  /* the VF the plan chose, "" when none */
	char why[256];	  /* the refusal's, holding's or failure's reason */
};

/* Give the host's guest (c->host, its backend's plan_pci_attach) one VF
 * within conf: want_vf that one, or NULL / "" the planner's pick. Every
 * change goes through apply_knob (journal first, administrator back-off),
 * in the plan's order; the first change that fails stops the plan and the
 * changes it made before are reverted from the journal, newest first (so a
 * half-done attach never stays). A dry run prints the plan's changes
 * ("would set KIND TARGET KEY -> VALUE") and changes nothing. The outcome
 * in *res; returns res->changed, or -errno when the journal cannot be
 * written (nothing more is changed then) or the backend cannot attach. */
int act_sriov_run(const struct act_ctx *c, const struct pol_change *ch,
		  const struct sriov_conf *conf, const char *want_vf, struct act_sriov_result *res);

#endif
