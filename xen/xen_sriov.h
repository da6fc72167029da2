/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen_sriov: SR-IOV passthrough on Xen: the "xen-pci" knob kind (assign a
 * VF that pciback holds to a PV domain the way `xl pci-attach` does, through
 * libxl), the host view with the assignable VFs and each domain's PCI
 * devices, host.sriov.* metrics, and the Xen plan (sriov_plan.h). */
#ifndef VTUNE_XEN_SRIOV_H
#define VTUNE_XEN_SRIOV_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "knob.h"
#include "pci_conf.h"
#include "sriov_plan.h"
#include "sriov_view.h"

/* Knob kind "xen-pci" (context: the Xen backend, bound with knob_bind;
 * -ENOTCONN without one):
 *   target = domid (decimal, 1..32751), key = PCI address "DDDD:BB:SS.F",
 *   value  = "assigned" or "" (not assigned).
 * read:  "assigned" when the domain's PCI backend in xenstore
 *        (/local/domain/0/backend/pci/<domid>/0/dev-N) lists the device in
 *        a state other than closing/closed, else "".
 * write: "assigned": libxl_device_pci_add (what `xl pci-attach` calls): for
 *        a PV guest it checks the device is assignable (bound to pciback),
 *        grants the domain the device's I/O memory, ports and IRQ, assigns
 *        it in the IOMMU (xc_assign_device) and writes the pcifront/pciback
 *        xenstore entries; "": libxl_device_pci_remove (xl pci-detach).
 *        libxl's own error text is logged and kept for xen_pci_last_error;
 *        the return is -ENODEV (not assignable, no such device), -EPERM
 *        (the domain was created without passthrough, or no IOMMU), -ENOENT
 *        (no such domain), -ETIMEDOUT, or -EIO. */
extern const struct knob_ops xen_knob_pci_attach_ops;

/* libxl's last error message from a "xen-pci" write ("" when none). */
const char *xen_pci_last_error(void);

/* The host view of a Xen dom0: sriov_view_read under root (in dom0 a VF
 * shows no iommu_group: the hypervisor owns the IOMMU), then each domain's
 * PCI backend devices as holders (named by the domain's name), finished.
 * 0 or -errno. */
int xen_sriov_view(struct backend *b, const char *root, struct sriov_view *v);

/* Does the hypervisor do device passthrough (its IOMMU is on:
 * XEN_SYSCTL_PHYSCAP_directio, "directio" in `xl info` virt_caps)? 1, 0,
 * or -errno. */
int xen_sriov_iommu(struct backend *b);

/* host.sriov.* for guest g (one scan a second per backend). 0 or -errno. */
int xen_sriov_metrics(struct backend *b, const char *root, const struct bk_guest *g,
		      uint64_t now_ns, struct mvec *host);

/* Plan one VF for guest g (g->domid > 0): sriov_plan with the view of
 * xen_sriov_view, stub driver pciback, kind "xen-pci" with "assigned", the
 * IOMMU from xen_sriov_iommu; migrating when the domain's name ends in
 * "--incoming" or "--migratedaway" (xl migrate's names while it runs).
 * Xen has no per-domain "must stay migratable" mark here. */
int xen_sriov_plan(struct backend *b, const char *root, const struct bk_guest *g,
		   const struct sriov_conf *conf, const char *want_vf, sriov_change_fn fn,
		   void *arg, char *why, size_t n);

#endif
