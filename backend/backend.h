/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backend: the backend contract — everything vtune-hostd needs from a
 * hypervisor is a slot here: opening it (URI and root prefix), the guests
 * and their agent channels, the host view of a guest, planning vCPU
 * placement and PCI passthrough, the knob kinds it adds and what privilege
 * separation must allow for it. One ops table per hypervisor (kvm/ on
 * libvirt, xen/ on libxenctrl) and a "sim" backend that serves tests and
 * dry runs: guests are unix sockets in a directory. hostd never asks which
 * backend it has. A backend sees lib/, hostnet/ and this folder only (the
 * Makefile's layers); hostd's side is hostd/backend_table.h. */
#ifndef VTUNE_BACKEND_H
#define VTUNE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "knob.h"
#include "loop.h"
#include "metrics.h"

struct sriov_conf;
struct sriov_view;

#define BK_NAME_MAX 64

/* A running guest as a backend sees it. */
struct bk_guest {
	char name[BK_NAME_MAX];	  /* libvirt domain name / xl domain name */
	char uuid[40];		  /* "" when unknown */
	int domid;		  /* Xen domain id, libvirt id, -1 when none */
	char channel[108];	  /* unix socket of the agent channel (KVM, sim); "" for xenstore */
	char tap[16];		  /* the guest's tap / vif on the host, "" when unknown */
	char bridge[16];	  /* the bridge that tap is on, "" when none */
	char netns[108];	  /* netns of that bridge: /proc/PID/ns/net or /run/netns/NAME; "" = hostd's */
	int nvcpus;
	/* fleet labels from the domain's <metadata> (kvm_xml_labels), "" when absent */
	char nova_instance[40];	    /* OpenStack Nova instance UUID */
	char nova_project[40];	    /* Nova project UUID */
	char nova_project_name[64]; /* Nova project name */
	char kubevirt_namespace[64]; /* KubeVirt VMI namespace */
	char kubevirt_vmi[64];	    /* KubeVirt VMI name */
};

enum bk_event_type { BK_GUEST_UP, BK_GUEST_DOWN, BK_CHANNEL_UP, BK_CHANNEL_DOWN };

/* Called by a backend for each lifecycle event it has seen. */
typedef void (*bk_event_fn)(void *arg, enum bk_event_type t, const struct bk_guest *g);

struct backend;
struct guest;

/* hostd's guest for a backend guest (by name), or NULL (not followed). */
typedef struct guest *(*bk_find_fn)(void *arg, const struct bk_guest *g);

struct backend_ops {
	const char *name; /* "kvm", "xen", "sim" */
	/* Connect (uri: libvirt URI, sim directory, NULL = default); the
	 * host's own /proc and /sys are read under root ("/"). Returns a
	 * handle or NULL with -errno in *err and a reason in why. */
	struct backend *(*open)(const char *uri, const char *root, int *err, char *why,
				size_t n);
	void (*close)(struct backend *b);
	/* Every running guest, through fn(arg, BK_GUEST_UP, g). 0 or -errno. */
	int (*list)(struct backend *b, bk_event_fn fn, void *arg);
	/* A file descriptor to watch (readable = events to dispatch), or -1. */
	int (*event_fd)(struct backend *b);
	/* Handle pending events without blocking; fn gets each. 0 or -errno. */
	int (*dispatch)(struct backend *b, bk_event_fn fn, void *arg);
	/* The host.* metrics of one guest that only the hypervisor knows
	 * (vCPU delay, time and contention, dom0 sizing, its network threads,
	 * the SR-IOV view), rates since the previous call for this guest.
	 * hostd runs the common host view first (hostnet/host_view.h: host
	 * CPU, tap counters, the network path, host.pinned); a backend never
	 * sets those rows (sim's file may, to inject them in tests). Unknown
	 * ones stay unset. 0 or -errno. */
	int (*host_view)(struct backend *b, const struct bk_guest *g, uint64_t now_ns,
			 struct mvec *host);
	/* Agent channels the backend carries itself (Xen: xenstore): start
	 * them on loop, each attached to the guest find returns (guest.c's
	 * guest_attach_fd). NULL slot: each guest's channel is the unix socket
	 * bk_guest.channel that hostd connects to. NULL return: -errno in *err. */
	void *(*channels_open)(struct backend *b, struct loop *loop, bk_find_fn find,
			       void *arg, int *err);
	void (*channels_guest_down)(void *ch, int domid); /* the domain is gone */
	void (*channels_close)(void *ch);		   /* NULL is fine */
	/* Plan pin mode (one of pin_modes) for guest g: fn once per knob
	 * change (a kind of knobs). 0, or -errno with a reason in why. NULL:
	 * this backend cannot pin. */
	int (*plan_pin)(struct backend *b, const struct bk_guest *g, const char *mode,
			act_change_fn fn, void *arg, char *why, size_t n);
	const char *const *pin_modes; /* NULL-terminated; NULL: none */
	/* Plan a host-wide pin mode (one of pin_host_modes) for every guest of
	 * the host at once (gs: hostd's guests, ng of them): housekeeping CPUs
	 * from measured load, every guest's vCPUs off them, threads spread.
	 * A rule firing for any guest gets the same plan: no guest's plan
	 * undoes another's. fn once per knob change; 0 or -errno with why. */
	int (*plan_pin_host)(struct backend *b, const struct bk_guest *const *gs, size_t ng,
			     const char *mode, act_change_fn fn, void *arg, char *why, size_t n);
	const char *const *pin_host_modes; /* NULL-terminated; NULL: none */
	/* The filters the hypervisor binds to guest g's traffic (libvirt
	 * nwfilter: its bindings for the guest's tap, <filterref> in its XML):
	 * > 0 with their names in buf (n bytes), 0 none, -errno. A guest with
	 * any keeps bridge netfilter on. NULL: the backend binds none. */
	int (*guest_filters)(struct backend *b, const struct bk_guest *g, char *buf, size_t n);
	/* PCI passthrough of an SR-IOV VF (hostnet/sriov_plan.h): plan giving
	 * guest g one VF within conf (want_vf: that VF; NULL: the planner
	 * picks), fn once per knob change in order (VFs created, a network
	 * VF configured, the stub driver, the attachment). 0, SRIOV_PLAN_HOLDS
	 * (1: g has a VF already, why names it), or -errno with one line in
	 * why; a refusal calls fn never. Taking the VF back is reverting those
	 * changes (journal records of the guest). NULL: this backend cannot. */
	int (*plan_pci_attach)(struct backend *b, const struct bk_guest *g,
			       const struct sriov_conf *conf, const char *want_vf,
			       act_change_fn fn, void *arg, char *why, size_t n);
	/* The host's SR-IOV view: PFs, VFs, their drivers and the guests that
	 * hold them, into v. 0 or -errno. NULL: none. */
	int (*pci_view)(struct backend *b, struct sriov_view *v);
	/* Knob kinds this backend adds (e.g. "kvm-vcpupin"), bound to the
	 * handle when it opens (knob_bind). May be NULL. */
	const struct knob_ops *const *knobs;
	/* Those of them the privileged parent performs (root-only sysfs). */
	const char *const *privileged_knobs;
	/* Privilege separation for uri: the directories the guests' channel
	 * sockets may be in (up to max, NULL-terminated; buf of bufn bytes
	 * holds any text they need). The count, or -EOPNOTSUPP with a reason
	 * in why when this backend cannot run unprivileged. */
	int (*privsep_dirs)(const char *uri, const char **dirs, size_t max, char *buf,
			    size_t bufn, char *why, size_t n);
};

/* What hostd gives a backend that carries the agent channels itself
 * (channels_open; hostd/guest.c): take fd (a connected stream socket) as
 * the channel of g, a guest bk_find_fn returned: made non-blocking, watched
 * by the loop when there is one, then resync + hello are sent. 0 or -errno
 * (fd is then closed). */
int guest_attach_fd(struct guest *g, int fd, uint64_t now_ns);
/* A message of g's that such a channel refused before it became a line (a
 * Xen report whose parts do not match their count): counted with g's
 * invalid messages and logged as they are, with why. */
void guest_input_refused(struct guest *g, uint64_t now_ns, const char *why);

/* The backends built in (hostd/backend_table.h finds them by name). */
extern const struct backend_ops backend_sim_ops;
extern const struct backend_ops backend_kvm_ops;
extern const struct backend_ops backend_xen_ops;

#endif
