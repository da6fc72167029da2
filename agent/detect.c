/* SPDX-License-Identifier: GPL-2.0-or-later */
/* detect: Xen or not, from /sys/hypervisor/type and /proc/xen under the root
 * prefix, for `vtune-agent run` to pick xenstore or the virtio-serial port. */
#include "detect.h"
#include "kfs.h"

#include <string.h>

int detect_hypervisor_type(const char *root, char *buf, size_t n)
{
	return kfs_read_str(root, "sys/hypervisor/type", buf, n);
}

int detect_is_xen(const char *root)
{
	char type[32];
	if (!detect_hypervisor_type(root, type, sizeof type))
		return !strcmp(type, "xen");
	return kfs_exists(root, "proc/xen") ? 1 : 0;
}
