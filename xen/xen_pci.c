/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen_pci: the "xen-pci-assignable" knob kind: bind a PCI device (an SR-IOV
 * VF) to pciback the way `xl pci-assignable-add` does, and back to its old
 * driver on revert, through sysfs under a root prefix. */
#include "xen.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "kfs.h"
#include "sriov.h"

#define PCIBACK "pciback"

static int driver_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int drv_write(const char *root, const char *drv, const char *file, const char *addr)
{
	char rel[PATH_MAX];
	snprintf(rel, sizeof rel, "sys/bus/pci/drivers/%s/%s", drv, file);
	return kfs_write_str(root, rel, addr);
}

static int drv_present(const char *root, const char *drv)
{
	char rel[PATH_MAX];
	snprintf(rel, sizeof rel, "sys/bus/pci/drivers/%s/bind", drv);
	return kfs_exists(root, rel);
}

static int pci_check(void *ctx, const char *target, const char *key, const char *value, char *why,
		     size_t n)
{
	(void)ctx;
	if (!target || sriov_parse_addr(target, NULL, NULL, NULL, NULL)) {
		snprintf(why, n, "target '%s' is not a PCI address DDDD:BB:SS.F", target ? target : "");
		return -EINVAL;
	}
	if (!key || strcmp(key, "driver")) {
		snprintf(why, n, "key must be \"driver\"");
		return -EINVAL;
	}
	if (!value || (value[0] && !driver_name_ok(value))) {
		snprintf(why, n, "'%s' is not a driver name", value ? value : "");
		return -EINVAL;
	}
	return 0;
}

static int pci_read(void *ctx, const char *root, const char *target, const char *key, char *buf, size_t n)
{
	(void)ctx;
	char why[128];
	int rc = pci_check(ctx, target, key, "", why, sizeof why);
	if (rc)
		return rc;
	char drv[64];
	rc = sriov_vf_driver(root, target, drv, sizeof drv);
	if (rc)
		return rc;
	if (strlen(drv) >= n)
		return -EOVERFLOW;
	strcpy(buf, drv);
	return 0;
}

static int pci_write(void *ctx, const char *root, const char *target, const char *key, const char *value)
{
	(void)ctx;
	char why[128], cur[64], rel[PATH_MAX];
	int rc = pci_check(ctx, target, key, value, why, sizeof why);
	if (rc)
		return rc;
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s", target);
	if (!kfs_exists(root, rel))
		return -ENOENT;
	rc = sriov_vf_driver(root, target, cur, sizeof cur);
	if (rc)
		return rc;
	if (!strcmp(cur, value))
		return 0;
	/* every driver involved must be there before anything changes */
	if (value[0] && !drv_present(root, value))
		return -ENODEV; /* e.g. xen-pciback not loaded */
	if (cur[0] && !drv_present(root, cur))
		return -ENODEV;
	if (cur[0]) {
		rc = drv_write(root, cur, "unbind", target);
		if (rc)
			return rc;
		if (!strcmp(cur, PCIBACK))
			(void)drv_write(root, PCIBACK, "remove_slot", target);
	}
	if (value[0]) {
		if (!strcmp(value, PCIBACK)) {
			rc = drv_write(root, PCIBACK, "new_slot", target);
			if (rc && rc != -EEXIST)
				goto undo;
		}
		rc = drv_write(root, value, "bind", target);
		if (rc)
			goto undo;
	}
	return 0;
undo:
	/* a failed change leaves the old binding in place, as far as it can */
	if (!strcmp(value, PCIBACK))
		(void)drv_write(root, PCIBACK, "remove_slot", target);
	if (cur[0]) {
		if (!strcmp(cur, PCIBACK))
			(void)drv_write(root, PCIBACK, "new_slot", target);
		(void)drv_write(root, cur, "bind", target);
	}
	return rc;
}

const struct knob_ops xen_knob_pci_ops = {
	.kind = "xen-pci-assignable",
	.read = pci_read,
	.write = pci_write,
	.check = pci_check,
};
