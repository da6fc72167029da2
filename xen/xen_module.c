/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen_module: what backend-xen.so exports to vtune-hostd and vtune (see
 * backend/backend_mod.h): the libxenctrl/xenstore backend's table. */
#include "backend_mod.h"

const struct backend_mod vtune_backend_xen = {
	.abi = BACKEND_MOD_ABI,
	.version = VTUNE_VERSION,
	.ops = &backend_xen_ops,
};
