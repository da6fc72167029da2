/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen: the Xen backend on libxenctrl and libxenstore (backend_xen_ops): domains
 * and their vifs, xenstore watches for lifecycle and agent reports, the host
 * view from dom0's /proc/stat and the hypervisor, dom0 / guest vCPU pinning and
 * PCI assignment as knob kinds. */
#ifndef VTUNE_XEN_H
#define VTUNE_XEN_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "knob.h"

#define XEN_MAX_TRACKED 128 /* guests the backend follows */
#define XEN_MAX_VCPUS 128   /* vCPUs per domain the host view and plans follow */
#define XEN_MAX_CPUS 1024   /* physical CPUs */

/* xenstore key layout (docs/protocol.md, "Xen: the same messages on
 * xenstore"): guest -> host under /local/domain/<domid>/data/vtune/ with keys
 * "hello", "report" (or "report-0".. with their count in "report-parts",
 * xen_parts.h), "ack" and "seq" (written last); host -> guest under
 * /local/domain/<domid>/control/vtune/ with keys "hello", "apply", "revert",
 * "error" and "seq" (written last). Values are single JSON messages without
 * the newline. */
#define XEN_VALUE_MAX 4096  /* bytes in one value (xenstore's own limit) */
#define XEN_SEQ_MAX 20	    /* digits in a seq value */

extern const struct backend_ops backend_xen_ops;

/* Knob kinds (in backend_xen_ops.knobs; or register with xen_knobs_register):
 *  "xen-vcpupin":        target = "<domid>" (decimal, "0" for dom0), key =
 *                        "vcpu<N>", value = CPU list ("0", "1-3", "0,2");
 *                        read via xc_vcpu_getaffinity (hard affinity, in
 *                        canonical form), written via xc_vcpu_setaffinity
 *                        (XEN_VCPUAFFINITY_HARD). Uses the hypervisor handle
 *                        of the most recently opened Xen backend (-ENOTCONN
 *                        when there is none); ignores the root prefix; CPUs
 *                        the machine does not have are -ERANGE, an empty list
 *                        -EINVAL. */
extern const struct knob_ops xen_knob_vcpupin_ops;

/* Register every kind in backend_xen_ops.knobs; kinds already registered are
 * fine. 0 or the first other -errno. */
int xen_knobs_register(void);

/* Where dom0's /proc/stat is read from (default "/"). root is copied.
 * 0 or -ENAMETOOLONG. */
int xen_set_root(struct backend *b, const char *root);

/* Called from dispatch when a guest's data/vtune/seq changed to a value not
 * seen before; read the messages with xen_read_msg then. The domain is always
 * the one whose path fired the watch, never anything the guest wrote. */
typedef void (*xen_report_fn)(void *arg, const struct bk_guest *g, uint64_t seq);
void xen_set_report_fn(struct backend *b, xen_report_fn fn, void *arg);

/* Read the guest's message key ("hello", "report" or "ack") under
 * /local/domain/<domid>/data/vtune/ into buf (n bytes, NUL-terminated).
 * Returns its length, or -EINVAL (bad key or domid, or the value is not a
 * plausible message: NUL, 0xFF, control bytes other than tab, or invalid
 * UTF-8), -EMSGSIZE (value over XEN_VALUE_MAX), -EOVERFLOW (does not fit n),
 * -ENOENT (no such key), -ENOTCONN, -EIO. Strict JSON checks are the
 * caller's (wire_decode). "report" is xen_read_report's. */
int xen_read_msg(struct backend *b, int domid, const char *key, char *buf, size_t n);
/* The guest's report, one value or its parts joined (xen_report_join: up
 * to XEN_JOIN_MAX bytes; -EBADMSG when the parts do not match their count),
 * all read in one xenstore transaction, again when it conflicts with a
 * write of the guest's (-EAGAIN after 8 tries). why as xen_report_join's. */
int xen_read_report(struct backend *b, int domid, char *buf, size_t n, char *why, size_t whyn);
/* The guest's data/vtune/seq. 0, -ENOENT, -EINVAL (not a decimal <= 2^53-1),
 * -ENOTCONN, -EIO. */
int xen_read_seq(struct backend *b, int domid, uint64_t *seq);

/* Send one host message (a wire_encode line; the trailing newline is
 * dropped) to a guest: its type picks the key under
 * /local/domain/<domid>/control/vtune/ (hello, apply, revert, error), then
 * control/vtune/seq is incremented, both in one transaction (retried on
 * EAGAIN). 0, -EINVAL (not a host message), -EMSGSIZE (over XEN_VALUE_MAX),
 * -ENOTCONN, -EIO. */
int xen_send(struct backend *b, int domid, const char *line);

/* One vCPU of a domain as the hypervisor sees it. */
struct xen_vcpu {
	int cpu;	 /* physical CPU it runs / last ran on, -1 unknown */
	int online;
	uint64_t cpu_ns; /* cumulative CPU time */
};

/* The vCPUs of a domain, up to max (*n gets the count). 0 or -errno. */
int xen_vcpus(struct backend *b, int domid, struct xen_vcpu *out, size_t max, size_t *n);

/* The rate of a guest's vCPU time (xc_vcpu_getinfo cpu_time) between the
 * last two host_view calls, in % of its online vCPUs. 0, -ENOENT, -EAGAIN
 * (fewer than two samples yet). */
int xen_guest_busy(struct backend *b, int domid, double *pct);

/* Contention on the physical CPUs under a guest's vCPUs: for each online
 * vCPU, its pCPU's busy % (pcpu_busy, npcpu of them) less the vCPU's own
 * time there (vbusy[i], %), clamped to 0..100, mean over those vCPUs: what
 * else ran where the guest wanted to (the steal it can see). 0, or
 * -ENODATA when no vCPU sits on a known pCPU. */
int xen_contention(const double *pcpu_busy, int npcpu, const struct xen_vcpu *v,
		   const double *vbusy, size_t n, double *pct);

/* Called with each change a plan makes (knob kind, target, key, value); a
 * non-zero return stops the plan and is returned by it. */
typedef int (*xen_change_fn)(void *arg, const char *kind, const char *target,
			     const char *key, const char *value);

/* Plan "dom0-away" for every guest of the host at once (gs, ng of them),
 * a run-time dom0_max_vcpus + dom0_vcpus_pin: dom0 gets the pCPUs its
 * measured load needs (pinplan.h: its busiest vCPUs' pCPUs first), every
 * dom0 vCPU is pinned to them, and every guest's vCPUs to the other pCPUs:
 * one "xen-vcpupin" change each. 0, -ENOSPC (dom0 needs every pCPU: why
 * says so), -EAGAIN (dom0's load not measured yet), -ENOENT, -ENOTCONN or
 * fn's rc. */
int xen_plan_dom0_dedicated(struct backend *b, const struct bk_guest *const *gs, size_t ng,
			    xen_change_fn fn, void *arg, char *why, size_t n);

/* Plan "net-threads" for every guest (gs, ng): their vifs' netback
 * kthreads spread over dom0's vCPUs by measured load, the busiest first
 * (pin_spread), one "task_affinity" change each. 0, -ENOENT (none found) or
 * fn's rc. */
int xen_plan_net_threads(struct backend *b, const struct bk_guest *const *gs, size_t ng,
			 xen_change_fn fn, void *arg, char *why, size_t n);

/* The backend's xenstore handle (struct xs_handle *) and hypervisor
 * handle (xc_interface *), borrowed, for the SR-IOV kinds (xen_sriov.h);
 * NULL for NULL. */
void *xen_xs_handle(struct backend *b);
void *xen_xc_handle(struct backend *b);

/* Check a value read from a guest's xenstore key (len bytes): at most
 * XEN_VALUE_MAX, no NUL, no 0xFF, no control bytes but tab, valid UTF-8.
 * 0, -EMSGSIZE or -EINVAL. */
int xen_value_check(const char *v, size_t len);
/* Parse a seq value: decimal digits only, at most 2^53-1. 0 or -EINVAL. */
int xen_seq_parse(const char *v, size_t len, uint64_t *seq);
/* The domid in a watched path "/local/domain/<id>/<suffix>" (suffix must
 * match exactly). 0 or -EINVAL. */
int xen_path_domid(const char *path, const char *suffix, int *domid);

/* dom0 CPU load from two /proc/stat texts: mean busy % over the per-CPU
 * lines and the busiest one's. 0 or -EINVAL (no per-CPU lines, or the CPU
 * sets differ). */
/* Each CPU's busy % into pct[id] (max entries, -1 for CPUs not listed):
 * the number of CPU lines, or -EINVAL. */
int xen_stat_each(const char *prev, const char *cur, double *pct, int max);
int xen_stat_busy(const char *prev, const char *cur, double *mean, double *max);

/* ---- dom0 sizing (xen_dom0.c): what `xl info` shows of it ---- */
struct xen_dom0_size {
	unsigned nr_cpus;	/* physical CPUs (xl info nr_cpus) */
	unsigned dom0_vcpus;	/* dom0's vCPUs */
	uint64_t dom0_mem_mb;	/* dom0's memory */
	int pinned;		/* dom0_vcpus_pin on the Xen command line */
	int mem_fixed;		/* dom0_mem=... on it (no ballooning to size) */
	unsigned advised;	/* dom0_max_vcpus vtune advises under saturation:
				 * twice today's, at most half the CPUs, at least
				 * today's */
};

/* Fill s from the Xen command line and the counts (mem in KiB). */
void xen_dom0_sizing(const char *cmdline, unsigned nr_cpus, unsigned dom0_vcpus,
		     uint64_t dom0_mem_kb, struct xen_dom0_size *s);

/* The same from `xl info` text (nr_cpus, xen_commandline) and dom0's line
 * of `xl list` ("Domain-0 0 MEM VCPUS ..."), either may be NULL. 0, or
 * -EINVAL when nr_cpus or the command line is missing. */
int xen_dom0_from_xl(const char *xl_info, const char *xl_list, struct xen_dom0_size *s);

/* The host.dom0.* and host.cpus metrics of s. */
void xen_dom0_metrics(const struct xen_dom0_size *s, struct mvec *host);

#endif
