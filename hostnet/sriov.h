/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sriov: SR-IOV physical and virtual functions through sysfs (root-prefixed,
 * so every call runs on a fixture tree too): VF counts, vfio-pci binding, the
 * <hostdev> XML that gives a VF to a guest, and the "sriov-numvfs" knob. */
#ifndef VTUNE_SRIOV_H
#define VTUNE_SRIOV_H

#include <stddef.h>

#include "knob.h"

#define SRIOV_NAME_MAX 16 /* interface name or PCI address "DDDD:BB:SS.F" */

/* Names of the network interfaces that are SR-IOV PFs (those with
 * sys/class/net/<if>/device/sriov_totalvfs), sorted, up to max; *n gets how
 * many there are (may exceed max). 0 or -errno. */
int sriov_list_pfs(const char *root, char (*pf)[SRIOV_NAME_MAX], size_t max, size_t *n);

/* A PF is named by its PCI address ("0000:03:00.0": any device class, e.g.
 * an NVMe controller) or by the name of its network interface ("eth0"). */

/* The path (relative to the root) of file in a PF's PCI device directory:
 * sys/bus/pci/devices/<addr>/<file> or sys/class/net/<if>/device/<file>.
 * 0, -EINVAL (neither form), -ENAMETOOLONG. */
int sriov_pf_file(const char *pf, const char *file, char *rel, size_t n);

/* sriov_totalvfs / sriov_numvfs of a PF. 0 or -errno (-ENOENT: not a PF). */
int sriov_total_vfs(const char *root, const char *pf, unsigned *out);
int sriov_num_vfs(const char *root, const char *pf, unsigned *out);

/* Set sriov_numvfs to n (<= sriov_totalvfs, else -ERANGE and nothing is
 * written). The kernel refuses to change a non-zero count directly, so 0 is
 * written first when the count is non-zero and differs from n. A VF that
 * would go away while bound to vfio-pci or pciback makes it -EBUSY, nothing
 * written (unbind it first: the kernel would wait for vfio's user, or pull
 * the device from a Xen guest). 0 or -errno. */
int sriov_set_num_vfs(const char *root, const char *pf, unsigned n);

/* PCI address of VF idx of a PF from device/virtfn<idx>: a symlink in sysfs
 * (its last path element), or a plain file holding the address (fixtures).
 * 0 or -errno (-ENOENT: no such VF). */
int sriov_vf_addr(const char *root, const char *pf, unsigned idx, char addr[SRIOV_NAME_MAX]);

/* The last path element of the symlink rel under root (what sysfs links
 * such as driver, iommu_group or virtfn0 point to), or the content of rel
 * when it is a plain file (fixtures). 0, -ENOENT, -EOVERFLOW, -errno. */
int sriov_link_name(const char *root, const char *rel, char *out, size_t n);

/* Driver a PCI device is bound to (sys/bus/pci/devices/<addr>/driver: a
 * symlink, or a plain file naming it in fixtures), "" when unbound. 0/-errno. */
int sriov_vf_driver(const char *root, const char *addr, char *drv, size_t n);

/* Check a PCI address "DDDD:BB:SS.F" (hex, lower or upper case) and split
 * it. 0 or -EINVAL. */
int sriov_parse_addr(const char *addr, unsigned *dom, unsigned *bus, unsigned *slot,
		     unsigned *fn);

/* The libvirt <hostdev> element (managed='yes') for a VF into buf (n bytes).
 * 0, -EINVAL (bad address), -ENAMETOOLONG. */
int sriov_hostdev_xml(const char *addr, char *buf, size_t n);

/* Knob kind "sriov-numvfs": target = PF (PCI address or interface name),
 * key = "sriov_numvfs", value a decimal count, or key =
 * "sriov_drivers_autoprobe", value "0" / "1" (0: new VFs are bound to no
 * host driver, only to the one their driver_override names). With
 * "sriov_numvfs", write and restore go
 * through sriov_set_num_vfs (through 0, within sriov_totalvfs, -EBUSY while
 * a VF to remove is held by vfio-pci or pciback). A kill between its two
 * writes leaves 0, which a revert reports as changed by someone else
 * unless the original count was 0 (the usual case: VFs created by vtune). */
extern const struct knob_ops sriov_knob_numvfs_ops;

#endif
