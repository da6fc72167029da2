/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_sriov: SR-IOV passthrough on libvirt: the "kvm-hostdev" knob kind
 * (attach / detach a VF as <hostdev managed='yes'>), the host view with each
 * domain's hostdevs, host.sriov.* metrics, a guest's migration state and the
 * KVM plan that gives a guest one VF (sriov_plan.h). */
#ifndef VTUNE_KVM_SRIOV_H
#define VTUNE_KVM_SRIOV_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "knob.h"
#include "pci_conf.h"
#include "sriov_plan.h"
#include "sriov_view.h"

/* How long a live detach may take before the kind gives up: QEMU removes
 * the device only once the guest OS has acknowledged the unplug (ACPI or
 * PCIe hotplug), and a VF still in QEMU's hands cannot be unbound. */
#define KVM_HOSTDEV_DETACH_WAIT_MS 30000

/* Knob kind "kvm-hostdev" (context: the KVM backend, bound with knob_bind;
 * -ENOTCONN without one):
 *   target = domain name, key = the VF's PCI address "DDDD:BB:SS.F",
 *   value  = "detached"            in neither the live nor the persistent XML
 *            "attached"            in the live XML only (gone at restart)
 *            "attached-persistent" in both
 *            "persistent"          in the persistent XML only (read only
 *                                  shows it; a write may restore it)
 * read:  looks for <hostdev type='pci'> with that source address in the
 *        live XML (a running domain) and the persistent one (a persistent
 *        domain). -ENOENT: no such domain.
 * write / restore: virDomainAttachDeviceFlags / DetachDeviceFlags with
 *        <hostdev mode='subsystem' type='pci' managed='yes'>, the live and
 *        the persistent side separately (VIR_DOMAIN_AFFECT_LIVE, _CONFIG),
 *        only the sides that differ. A live detach waits until the device
 *        has left the live XML (the guest acknowledged the unplug), at most
 *        KVM_HOSTDEV_DETACH_WAIT_MS: -ETIMEDOUT after that, the device
 *        still attached. libvirt's errors: -EINVAL, -ENOENT, -ENOTSUP,
 *        -EBUSY (operation invalid: e.g. the device is in use), -EIO; the
 *        message is logged. */
extern const struct knob_ops kvm_knob_hostdev_ops;

/* The host view of a KVM host: sriov_view_read under root, then every
 * domain's PCI hostdevs as holders (running domains: live XML; inactive
 * persistent ones: their definition, named "NAME (inactive)"), finished.
 * 0 or -errno (a libvirt error is -EIO / -ECONNREFUSED). */
int kvm_sriov_view(struct backend *b, const char *root, struct sriov_view *v);

/* host.sriov.{total,free,assigned,guest}_vfs for guest g into host. The
 * view is read at most once a second per backend (host_view runs once per
 * guest), so 100 guests cost one scan, not 100. 0 or -errno. */
int kvm_sriov_metrics(struct backend *b, const char *root, const struct bk_guest *g,
		      uint64_t now_ns, struct mvec *host);

/* A domain's migration state for sriov_plan: migrating when libvirt runs a
 * migration job on it (virDomainGetJobStats "operation" migration in/out)
 * or it is paused for a migration; must_migrate when its XML carries
 * <metadata><vtune:migratable xmlns:vtune="urn:vtune:libvirt:1"/></metadata>
 * (how an operator marks a domain that must stay migratable: docs/sriov.md).
 * why (n bytes) says which. 0 or -errno (-ENOENT: no such domain). */
#define KVM_SRIOV_META_NS "urn:vtune:libvirt:1"
int kvm_sriov_migration(struct backend *b, const char *domain, int *migrating,
			int *must_migrate, char *why, size_t n);

/* Plan one VF for guest g on this KVM host (sriov_plan with the view of
 * kvm_sriov_view, the guest's migration state, stub driver vfio-pci, kind
 * "kvm-hostdev" with "attached", or "attached-persistent" when
 * conf->persistent, the IOMMU per VF). want_vf may be NULL. Returns as
 * sriov_plan, or the -errno of reading the view. */
int kvm_sriov_plan(struct backend *b, const char *root, const struct bk_guest *g,
		   const struct sriov_conf *conf, const char *want_vf, sriov_change_fn fn,
		   void *arg, char *why, size_t n);

#endif
