/* SPDX-License-Identifier: GPL-2.0-or-later */
/* detect: which hypervisor the guest runs on, as far as the agent's choice of
 * transport needs it, read through the root prefix (lib/kfs.h). */
#ifndef VTUNE_DETECT_H
#define VTUNE_DETECT_H

#include <stddef.h>

/* 1 when the guest runs on Xen: <root>/sys/hypervisor/type holds "xen", or
 * <root>/proc/xen exists (a kernel without the sysfs hypervisor node);
 * otherwise 0. */
int detect_is_xen(const char *root);

/* The hypervisor's type as <root>/sys/hypervisor/type names it ("xen") into
 * buf (n bytes). 0, -ENOENT (no such file: not a guest of a hypervisor the
 * kernel reports there) or -errno. */
int detect_hypervisor_type(const char *root, char *buf, size_t n);

#endif
