/* xen_module: what backend-xen.so exports to vtune-hostd and vtune (see
 * hostd/backend_mod.h): the libxenctrl/xenstore backend's table and the
 * functions hostd's xenstore bridge and executors call. */
#include "backend_mod.h"

const struct backend_mod_xen vtune_backend_xen = {
	.abi = BACKEND_MOD_ABI,
	.version = VTUNE_VERSION,
	.ops = &backend_xen_ops,
	.knobs_register = xen_knobs_register,
	.set_report_fn = xen_set_report_fn,
	.read_msg = xen_read_msg,
	.send = xen_send,
	.plan_dom0_away = xen_plan_dom0_away,
};
