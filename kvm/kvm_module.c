/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_module: what backend-kvm.so exports to vtune-hostd and vtune (see
 * backend/backend_mod.h): the libvirt backend's table and its domain XML
 * reader for the fleet labels. */
#include "backend_mod.h"
#include "kvm_xml.h"

const struct backend_mod vtune_backend_kvm = {
	.abi = BACKEND_MOD_ABI,
	.version = VTUNE_VERSION,
	.ops = &backend_kvm_ops,
	.xml_labels = kvm_xml_labels,
};
