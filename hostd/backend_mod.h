/* backend_mod: the hypervisor backends as modules loaded on demand (the way
 * libvirt loads its drivers), so that a KVM host's vtune-hostd links no Xen
 * library and a Xen dom0's no libvirt. Each module (backend-kvm.so,
 * backend-xen.so) exports one table, below; the programs link proxies of
 * backend_kvm_ops / backend_xen_ops and of the few backend functions hostd
 * calls directly, which load the module at first use. Unit tests link the
 * backends themselves instead. */
#ifndef VTUNE_BACKEND_MOD_H
#define VTUNE_BACKEND_MOD_H

#include <stddef.h>

#include "backend.h"
#include "kvm.h"
#include "xen.h"

/* Bumped when a table below changes; a module of another ABI or another
 * vtune version is refused. */
#define BACKEND_MOD_ABI 1

struct backend_mod_kvm {
	unsigned abi;
	const char *version; /* VTUNE_VERSION of the build */
	const struct backend_ops *ops;
	int (*knobs_register)(void);
	int (*set_root)(struct backend *b, const char *root);
	int (*plan_pin)(struct backend *b, const struct bk_guest *g, const char *mode,
			struct kvm_pin_change *out, size_t max, size_t *n);
};

struct backend_mod_xen {
	unsigned abi;
	const char *version;
	const struct backend_ops *ops;
	int (*knobs_register)(void);
	void (*set_report_fn)(struct backend *b, xen_report_fn fn, void *arg);
	int (*read_msg)(struct backend *b, int domid, const char *key, char *buf, size_t n);
	int (*send)(struct backend *b, int domid, const char *line);
	int (*plan_dom0_away)(struct backend *b, const struct bk_guest *g, xen_change_fn fn,
			      void *arg);
};

/* The symbols each module exports (and nothing else). */
#define BACKEND_MOD_KVM_SYM "vtune_backend_kvm"
#define BACKEND_MOD_XEN_SYM "vtune_backend_xen"

/* Load backend NAME ("kvm", "xen") if it is not loaded yet, from, in order:
 * $VTUNE_BACKEND_DIR; the folder "backends" beside the running program
 * (a build tree); VTUNE_BACKEND_DIR_DEFAULT. The file must be owned by root
 * or the caller and writable by nobody else. Returns the module's table, or
 * NULL with a reason in why (n bytes) saying which package to install. */
const void *backend_mod_load(const char *name, char *why, size_t n);

#endif
