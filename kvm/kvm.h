/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm: the KVM backend on libvirt (backend_kvm_ops): guests and their agent
 * channel, libvirt events driven from hostd's own epoll loop, the host view
 * from domain stats and /proc/stat, vCPU / emulator pinning as knob kinds. */
#ifndef VTUNE_KVM_H
#define VTUNE_KVM_H

#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "backend.h"
#include "knob.h"

#define KVM_MAX_VCPUS 256   /* vCPUs per guest the host view follows */
#define KVM_MAX_TRACKED 128 /* guests whose previous counters are kept */

/* Knob kinds (registered by whoever opens the backend, from
 * backend_kvm_ops.knobs, or with kvm_knobs_register()):
 *  "kvm-vcpupin":     target = domain name, key = "vcpu<N>", value = CPU list
 *                     ("0-1,4"); read with virDomainGetVcpuPinInfo, written
 *                     with virDomainPinVcpuFlags(VIR_DOMAIN_AFFECT_LIVE).
 *  "kvm-emulatorpin": target = domain name, key = "emulator", same values;
 *                     virDomainGetEmulatorPinInfo / virDomainPinEmulator.
 * Both read and write through the connection of the most recently opened
 * KVM backend (a module-level pointer set by open, cleared by its close;
 * -ENOTCONN when there is none), ignore the root prefix, refuse CPUs the
 * host does not have online (-ERANGE; restore only refuses CPUs past the
 * host's count, as it puts back what libvirt reported) and report what they read in canonical
 * form (ascending, ranges merged: "0-2,5"). */
extern const struct knob_ops kvm_knob_vcpupin_ops;
extern const struct knob_ops kvm_knob_emulatorpin_ops;
/*  "kvm-iothreadpin": target = domain name, key = "iothread<N>" (libvirt's
 *                     I/O thread id), same values; virDomainGetIOThreadInfo /
 *                     virDomainPinIOThread. */
extern const struct knob_ops kvm_knob_iothreadpin_ops;

/* Register every kind in backend_kvm_ops.knobs; kinds already registered
 * are fine. 0 or the first other -errno. */
int kvm_knobs_register(void);

/* Where /proc/stat is read from for host.cpu.busy_max and host.dom0.busy
 * (default "/"). root is copied. 0 or -ENAMETOOLONG. */
int kvm_set_root(struct backend *b, const char *root);

/* How often the backend re-lists domains to catch what events missed and to
 * see the agent channel's state change (libvirt raises AGENT_LIFECYCLE only
 * for qemu-ga's channel). Default 5000 ms; 0 turns it off. */
void kvm_set_resync_ms(struct backend *b, unsigned ms);

/* The libvirt connection (borrowed; valid until close). */
virConnectPtr kvm_conn(struct backend *b);

/* Fill a bk_guest from a libvirt domain (XML scanned for channel and tap).
 * 0 or -errno. */
int kvm_guest_from_domain(virDomainPtr dom, struct bk_guest *g);

/* The libvirt network filters bound to guest g's traffic (the backend's
 * guest_filters slot): the nwfilter driver's bindings on g->tap and the
 * <filterref> of its interface in the live domain XML. > 0 with their names,
 * comma-separated, in buf (n bytes; cut when it does not fit), 0 none,
 * -ENOENT (no such domain), -ENOTCONN, -EIO (libvirt failed). A libvirt
 * without the nwfilter driver has no bindings: that is not an error. */
int kvm_guest_filters(struct backend *b, const struct bk_guest *g, char *buf, size_t n);

/* The filter names of <filterref> in a domain XML's interfaces: those whose
 * target dev is tap, or every interface when tap is NULL or "" (read with
 * kvm_xml_each_filterref). Count of distinct names (> 0) with them,
 * comma-separated, in buf (n bytes; cut when they do not fit), 0 none, or
 * kvm_xml's -errno (-EINVAL for XML that is not a domain). */
int kvm_filterrefs(const char *xml, const char *tap, char *buf, size_t n);

/* One change for the caller to journal and apply (knob_find(kind)->write). */
struct kvm_pin_change {
	char kind[24];
	char target[BK_NAME_MAX];
	char key[16];
	char value[KNOB_VALUE_MAX];
};

/* Plan pinning for guest g. mode:
 *  "emulator-away": one "kvm-emulatorpin" change putting the emulator
 *     threads on the online host CPUs other than those of its busiest vCPUs
 *     (vCPUs within half of the busiest one's busy time in the last
 *     host_view; before any host_view, all of its vCPUs). A vCPU's CPU is its
 *     pinned CPU when pinned to one, else where it last ran. When that would
 *     leave nothing, only the single busiest vCPU's CPU is avoided; on a
 *     one-CPU host no change is planned.
 *  "vcpus-spread": one "kvm-vcpupin" change per vCPU, vCPU i on the i-th
 *     online host CPU, round-robin.
 * Up to max changes go to out; *n gets the count. 0, -EINVAL (unknown
 * mode), -ENOSPC (max too small), -ENOENT (no such domain) or -errno. */
int kvm_plan_pin(struct backend *b, const struct bk_guest *g, const char *mode,
		 struct kvm_pin_change *out, size_t max, size_t *n);

/* Parse a CPU list ("0-3,6", " 1, 2 ") into a bitmap of maplen bytes:
 * cpulist_parse after dropping blanks around the numbers; CPUs at or
 * beyond ncpus are -ERANGE. 0 or -EINVAL. Format with cpulist_format. */
int kvm_cpulist_parse(const char *s, unsigned char *map, size_t maplen, int ncpus);

#endif
