/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pci_driver: the "pci-driver" knob kind: which kernel driver a PCI device
 * (an SR-IOV VF) is bound to, changed through root-prefixed sysfs the way
 * vfio-pci and pciback binding is done by hand (driver_override, unbind,
 * drivers_probe) and put back exactly on revert. */
#ifndef VTUNE_PCI_DRIVER_H
#define VTUNE_PCI_DRIVER_H

#include "knob.h"

/* Knob kind "pci-driver" (no context; registered with the KVM and the Xen
 * backends' kinds):
 *   target = PCI address "DDDD:BB:SS.F", key = "driver",
 *   value  = the driver's name ("vfio-pci", "pciback", "iavf" ...) or ""
 *            for no driver.
 * read:    the driver bound now (sys/bus/pci/devices/<a>/driver), "" when
 *          none; -ENOENT when the device does not exist.
 * write:   checks first, changes nothing on a refusal: the device exists
 *          (-ENOENT), the new driver is loaded (sys/bus/pci/drivers/<v>:
 *          -ENODEV, e.g. `modprobe vfio-pci` / `modprobe xen-pciback`), the
 *          device is not held open through vfio (-EBUSY: unbinding would
 *          wait for QEMU to let go). Then driver_override := value, unbind
 *          from the current driver (pciback: also remove_slot), write the
 *          address to drivers_probe. To value "": unbind and clear
 *          driver_override. The driver_override stays set (so a later
 *          probe keeps the device on vfio-pci / pciback). journal_apply
 *          reads the driver back and records what the kernel kept.
 * restore: puts back an old value: unbind from the current driver, clear
 *          driver_override, bind the old driver through its own bind file
 *          (exactly that driver, not whichever matches first); when that
 *          driver refuses a plain bind, through driver_override and
 *          drivers_probe, then clears driver_override again.
 * A kill between the unbind and the probe leaves the device unbound with
 * driver_override set: read gives "", which a revert reports as changed by
 * someone else (vtune revert --force restores it). */
extern const struct knob_ops pci_driver_knob_ops;

/* The driver of a PCI device: is name a plausible driver name (letters,
 * digits, '_', '-', at most 31)? 1 or 0. */
int pci_driver_name_ok(const char *name);

#endif
