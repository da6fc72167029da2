/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backend_mod: the hypervisor backends as modules loaded on demand (the way
 * libvirt loads its drivers), so that a KVM host's vtune-hostd links no Xen
 * library and a Xen dom0's no libvirt. Each module (backend-kvm.so,
 * backend-xen.so) exports one table, below, holding its backend_ops; the
 * programs link proxies named backend_kvm_ops / backend_xen_ops (and
 * kvm_xml_labels) that forward to the module (hostd/backend_mod.c). Unit
 * tests link the backends themselves instead. */
#ifndef VTUNE_BACKEND_MOD_H
#define VTUNE_BACKEND_MOD_H

#include <stddef.h>

#include "backend.h"

/* Bumped when struct backend_ops or this table changes; a module of
 * another ABI or another vtune version is refused. */
#define BACKEND_MOD_ABI 3

struct backend_mod {
	unsigned abi;
	const char *version; /* VTUNE_VERSION of the build */
	const struct backend_ops *ops;
	/* kvm: kvm_xml_labels (kvm/kvm_xml.h), so that the sim backend reads
	 * a libvirt domain XML with the module's libxml2; xen: NULL. */
	int (*xml_labels)(const char *xml, struct bk_guest *g);
};

/* The domain XML reader of the kvm module, for the fleet labels of a
 * libvirt domain XML (kvm/kvm_xml.c has its contract): the sim backend
 * reads its guests' NAME.xml with it. In vtune-hostd and vtune it is a
 * proxy to the module (-ENOENT when the kvm module is not installed); the
 * unit tests link the reader itself. */
int kvm_xml_labels(const char *xml, struct bk_guest *g);

/* The symbols the modules export (and nothing else). */
#define BACKEND_MOD_KVM_SYM "vtune_backend_kvm"
#define BACKEND_MOD_XEN_SYM "vtune_backend_xen"

/* Load backend NAME ("kvm", "xen") if it is not loaded yet, from, in order:
 * $VTUNE_BACKEND_DIR (else the folder "backends" beside the running
 * program, a build tree), then VTUNE_BACKEND_DIR_DEFAULT. The file must be
 * owned by root or the caller and writable by nobody else, and its table
 * must have the slots the proxy has. The programs load what is installed
 * at start (so that the policy check knows each backend's pin modes); this
 * says why one is missing. Returns the module's table, or NULL with a
 * reason in why (n bytes) that names the package to install. */
const struct backend_mod *backend_mod_load(const char *name, char *why, size_t n);

#endif
