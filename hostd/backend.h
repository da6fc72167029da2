/* backend: how vtune-hostd finds guests and their agent channels, reads the
 * hypervisor's view of each guest and places vCPUs. One ops table per
 * hypervisor (kvm/ on libvirt, xen/ on libxenctrl) and a "sim" backend that
 * serves tests and dry runs: guests are unix sockets in a directory. */
#ifndef VTUNE_BACKEND_H
#define VTUNE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "knob.h"
#include "metrics.h"

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

struct backend_ops {
	const char *name; /* "kvm", "xen", "sim" */
	/* Connect (uri: libvirt URI, sim directory, NULL = default). Returns a
	 * handle or NULL with -errno in *err and a reason in why. */
	struct backend *(*open)(const char *uri, int *err, char *why, size_t n);
	void (*close)(struct backend *b);
	/* Every running guest, through fn(arg, BK_GUEST_UP, g). 0 or -errno. */
	int (*list)(struct backend *b, bk_event_fn fn, void *arg);
	/* A file descriptor to watch (readable = events to dispatch), or -1. */
	int (*event_fd)(struct backend *b);
	/* Handle pending events without blocking; fn gets each. 0 or -errno. */
	int (*dispatch)(struct backend *b, bk_event_fn fn, void *arg);
	/* The host.* metrics of one guest (vCPU delay, host CPU, tap counters
	 * as rates since the previous call for this guest, ...). Unknown ones
	 * stay unset. 0 or -errno. */
	int (*host_view)(struct backend *b, const struct bk_guest *g, uint64_t now_ns,
			 struct mvec *host);
	/* Knob kinds this backend adds for pinning (e.g. "kvm-vcpupin");
	 * registered with knob_register when the backend opens. May be NULL. */
	const struct knob_ops *const *knobs;
};

/* The backends built in; NULL when the name is unknown. */
const struct backend_ops *backend_find(const char *name);

extern const struct backend_ops backend_sim_ops;
extern const struct backend_ops backend_kvm_ops;
extern const struct backend_ops backend_xen_ops;

#endif
