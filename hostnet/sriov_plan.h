/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sriov_plan: give a guest one SR-IOV VF, as an ordered list of knob changes
 * (create VFs, configure a network VF, bind it to the hypervisor's stub
 * driver, attach it), decided from a host view, the guest's migration state
 * and a struct sriov_conf. Pure: it reads nothing and changes nothing; the
 * backends (kvm_sriov.h, xen_sriov.h) gather its inputs, and the caller
 * journals and applies each change it emits, in order. */
#ifndef VTUNE_SRIOV_PLAN_H
#define VTUNE_SRIOV_PLAN_H

#include <stddef.h>

#include "pci_conf.h"
#include "sriov_view.h"

#define SRIOV_PLAN_HOLDS 1 /* sriov_plan: the guest holds a VF already */

/* Called with each change in order (knob kind, target, key, value), the
 * shape of xen_change_fn; a non-zero return stops the plan and is its
 * result. */
typedef int (*sriov_change_fn)(void *arg, const char *kind, const char *target,
			       const char *key, const char *value);

/* What the hypervisor side contributes. */
struct sriov_hv {
	const char *name;	  /* "KVM", "Xen": for messages */
	const char *stub_driver;  /* "vfio-pci", "pciback" */
	const char *attach_kind;  /* "kvm-hostdev", "xen-pci" */
	const char *attach_value; /* "attached", "attached-persistent", "assigned" */
	/* -1: the host kernel's IOMMU decides, per VF (its iommu_group, KVM);
	 * 0 / 1: the hypervisor says for the whole machine (Xen's directio). */
	int iommu;
	const char *iommu_hint;	  /* how to turn the IOMMU on, for the message */
};

/* The guest, as the backend found it. */
struct sriov_guest {
	const char *name;	   /* as holders appear in the view */
	const char *attach_target; /* attach_kind's target: domain name / domid */
	int migrating;		   /* a live migration of it is running */
	int must_migrate;	   /* marked as one that must stay migratable */
	const char *migration_why; /* what showed either, for the message */
};

/* Plan one VF for g. The VF: want_vf when given (an existing VF, or one an
 * allowed PF would create), else the first free VF of the first allowed PF
 * (conf order) that has one, preferring VFs already on the stub driver,
 * then unbound ones; else VF 0 of the first allowed PF without VFs, which
 * gets conf->create_vfs of them (1 when 0, at most sriov_totalvfs). A PF
 * that has VFs is never re-sized (that would remove VFs that may be in
 * use). Changes, in order:
 *   "sriov-numvfs" PF-address "sriov_drivers_autoprobe" 0  (only when
 *        creating VFs, and autoprobe is not 0 already: no host driver
 *        races the stub driver for the new VFs)
 *   "sriov-numvfs" PF-address "sriov_numvfs" N          (only when creating)
 *   "sriov-vf" PF-interface "vf<i>.<mac|vlan|spoofchk|trust|link_state"> V
 *                                    (network PFs, the conf's vf_* settings)
 *   "pci-driver" VF-address "driver" conf->driver or hv->stub_driver
 *   hv->attach_kind g->attach_target VF-address hv->attach_value
 * Refusals change nothing (fn is not called) and put one line into why:
 *   SRIOV_PLAN_HOLDS  the guest holds a VF already (why names it)
 *   -EPERM   the guest migrates or must stay migratable and the conf does
 *            not accept losing that; the PF carries the host's own traffic
 *            and the conf does not allow it; no PF allowed; want_vf is on a
 *            PF the conf does not allow
 *   -ENODEV  no IOMMU for the VF (why says how to turn it on)
 *   -EBUSY   the VF (or every VF of the allowed PFs) is in use: held by a
 *            guest, its group open through vfio, its interface up
 *   -ENOENT  no such VF or PF
 * Returns 0 when the changes were emitted, or fn's non-zero return. */
int sriov_plan(const struct sriov_view *v, const struct sriov_conf *c, const struct sriov_hv *hv,
	       const struct sriov_guest *g, const char *want_vf, sriov_change_fn fn, void *arg,
	       char *why, size_t n);

/* Is PF pf allowed by c (its address or its interface name listed)? */
int sriov_conf_allows(const struct sriov_conf *c, const struct sriov_pf *pf);

#endif
