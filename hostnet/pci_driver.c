/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pci_driver: the "pci-driver" knob kind: bind a PCI device to a driver with
 * driver_override + drivers_probe, unbind it, and restore the old driver
 * through that driver's own bind file; root-prefixed sysfs throughout. */
#include "pci_driver.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "kfs.h"
#include "log.h"
#include "sriov.h"
#include "sriov_view.h"

#define KEY "driver"
#define PCIBACK "pciback"

int pci_driver_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n >= SRIOV_DRV_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int check(void *ctx, const char *target, const char *key, const char *value, char *why,
		 size_t n)
{
	(void)ctx;
	if (!target || sriov_parse_addr(target, NULL, NULL, NULL, NULL)) {
		snprintf(why, n, "target '%s' is not a PCI address DDDD:BB:SS.F", target ? target : "");
		return -EINVAL;
	}
	if (!key || strcmp(key, KEY)) {
		snprintf(why, n, "key must be \"" KEY "\"");
		return -EINVAL;
	}
	if (!value || (value[0] && !pci_driver_name_ok(value))) {
		snprintf(why, n, "'%s' is not a driver name", value ? value : "");
		return -EINVAL;
	}
	return 0;
}

static int dev_write(const char *root, const char *addr, const char *file, const char *val)
{
	char rel[PATH_MAX];
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s/%s", addr, file);
	return kfs_write_str(root, rel, val);
}

static int drv_write(const char *root, const char *drv, const char *file, const char *addr)
{
	char rel[PATH_MAX];
	snprintf(rel, sizeof rel, "sys/bus/pci/drivers/%s/%s", drv, file);
	return kfs_write_str(root, rel, addr);
}

static int drv_loaded(const char *root, const char *drv)
{
	char rel[PATH_MAX];
	snprintf(rel, sizeof rel, "sys/bus/pci/drivers/%s", drv);
	return kfs_exists(root, rel);
}

/* The device exists and is not held through vfio; its driver into cur. */
static int current(const char *root, const char *addr, char *cur, size_t n)
{
	char rel[PATH_MAX];
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s", addr);
	if (!kfs_exists(root, rel))
		return -ENOENT;
	int rc = sriov_vf_driver(root, addr, cur, n);
	if (rc)
		return rc;
	if (!strcmp(cur, "vfio-pci") && sriov_vfio_group_open(root, sriov_iommu_group(root, addr)))
		return -EBUSY;
	return 0;
}

static int unbind(const char *root, const char *addr, const char *cur)
{
	if (!cur[0])
		return 0;
	int rc = drv_write(root, cur, "unbind", addr);
	if (rc)
		return rc;
	if (!strcmp(cur, PCIBACK)) /* pciback keeps a slot per device it took */
		(void)drv_write(root, PCIBACK, "remove_slot", addr);
	return 0;
}

static int rd(void *ctx, const char *root, const char *target, const char *key, char *buf,
	      size_t n)
{
	char why[128], rel[PATH_MAX], drv[SRIOV_DRV_MAX];
	int rc = check(ctx, target, key, "", why, sizeof why);
	if (rc)
		return rc;
	snprintf(rel, sizeof rel, "sys/bus/pci/devices/%s", target);
	if (!kfs_exists(root, rel))
		return -ENOENT;
	rc = sriov_vf_driver(root, target, drv, sizeof drv);
	if (rc)
		return rc;
	if (strlen(drv) >= n)
		return -EOVERFLOW;
	strcpy(buf, drv);
	return 0;
}

static int wr(void *ctx, const char *root, const char *target, const char *key, const char *value)
{
	char why[128], cur[SRIOV_DRV_MAX];
	int rc = check(ctx, target, key, value, why, sizeof why);
	if (rc)
		return rc;
	if ((rc = current(root, target, cur, sizeof cur)))
		return rc;
	if (!strcmp(cur, value))
		return 0;
	if (value[0] && !drv_loaded(root, value))
		return -ENODEV;
	if (!value[0]) {
		if ((rc = unbind(root, target, cur)))
			return rc;
		return dev_write(root, target, "driver_override", "");
	}
	if ((rc = dev_write(root, target, "driver_override", value)))
		return rc;
	if ((rc = unbind(root, target, cur))) {
		(void)dev_write(root, target, "driver_override", "");
		return rc;
	}
	rc = kfs_write_str(root, "sys/bus/pci/drivers_probe", target);
	if (rc) {
		/* leave it as it was, as far as that goes */
		(void)dev_write(root, target, "driver_override", "");
		if (cur[0] && drv_write(root, cur, "bind", target))
			log_warn("pci-driver: %s: probe failed and %s would not take it back",
				 target, cur);
		return rc;
	}
	log_info("pci-driver: %s: %s -> %s", target, cur[0] ? cur : "(none)", value);
	return 0;
}

static int restore(void *ctx, const char *root, const char *target, const char *key,
		   const char *value)
{
	char why[128], cur[SRIOV_DRV_MAX];
	int rc = check(ctx, target, key, value, why, sizeof why);
	if (rc)
		return rc;
	if ((rc = current(root, target, cur, sizeof cur)))
		return rc;
	if (value[0] && !drv_loaded(root, value))
		return -ENODEV;
	if (strcmp(cur, value) && (rc = unbind(root, target, cur)))
		return rc;
	if ((rc = dev_write(root, target, "driver_override", "")))
		return rc;
	if (!value[0] || !strcmp(cur, value))
		goto done;
	if (drv_write(root, value, "bind", target)) {
		/* a driver that matches the device only through an override
		 * (vfio-pci, pciback) takes it back that way */
		if ((rc = dev_write(root, target, "driver_override", value)) ||
		    (rc = kfs_write_str(root, "sys/bus/pci/drivers_probe", target)))
			return rc;
		(void)dev_write(root, target, "driver_override", "");
	}
done:
	log_info("pci-driver: %s: %s -> %s (restored)", target, cur[0] ? cur : "(none)",
		 value[0] ? value : "(none)");
	return 0;
}

const struct knob_ops pci_driver_knob_ops = {
	.kind = "pci-driver",
	.read = rd,
	.write = wr,
	.check = check,
	.restore = restore,
};
