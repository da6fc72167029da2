/* kvm_module: what backend-kvm.so exports to vtune-hostd and vtune (see
 * hostd/backend_mod.h): the libvirt backend's table and functions. */
#include "backend_mod.h"

const struct backend_mod_kvm vtune_backend_kvm = {
	.abi = BACKEND_MOD_ABI,
	.version = VTUNE_VERSION,
	.ops = &backend_kvm_ops,
	.knobs_register = kvm_knobs_register,
	.set_root = kvm_set_root,
	.plan_pin = kvm_plan_pin,
};
