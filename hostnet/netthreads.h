/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netthreads: the host threads that move a guest's packets — its vhost
 * workers (KVM: "vhost-<qemu pid>", threads of QEMU since Linux 6.4,
 * kthreads before) and its vif's netback kthreads (Xen dom0:
 * "vif<domid>.<n>-q<q>-guest-rx" / "-dealloc", comm cut to 15 bytes) —
 * found and measured from root-prefixed /proc (stat, schedstat), their CPU
 * time and run delay as rates, and the "task_affinity" knob kind that
 * places them (sched_setaffinity). */
#ifndef VTUNE_NETTHREADS_H
#define VTUNE_NETTHREADS_H

#include <stddef.h>
#include <stdint.h>

#include "knob.h"

#define NT_MAX 64 /* threads followed per guest */

enum nt_kind {
	NT_VHOST,   /* owner: the QEMU process id */
	NT_NETBACK, /* owner: the Xen domain id */
	NT_QEMU_HK, /* owner: the QEMU process id: its threads but the vCPUs
		     * ("CPU n/KVM"): main loop, I/O threads, vhost workers */
};

struct nt_thread {
	int pid;
	char comm[16];
	uint64_t start;	  /* start time (clock ticks since boot: /proc/PID/stat field 22) */
	uint64_t run_ns;  /* on a CPU (schedstat field 1) */
	uint64_t wait_ns; /* runnable, waiting for a CPU (schedstat field 2) */
	int cpu;	  /* the CPU it last ran on (stat field 39), -1 unknown */
};

/* The threads of one guest under root ("/" live, else a fixture tree with
 * proc/PID/{comm,stat,schedstat} and proc/PID/task/TID/...): up to max into
 * v, *n the count. 0 or -errno (-ENOENT: no such QEMU process). */
int nt_find(const char *root, enum nt_kind kind, int owner, struct nt_thread *v, size_t max,
	    size_t *n);

/* Rates between two samples dt_ns apart (threads matched by pid and start
 * time; new ones are skipped): the busiest thread's CPU % and the worst
 * one's run delay %, each of one CPU / of wall time. 0, or -EAGAIN when no
 * thread is in both samples. */
int nt_rates(const struct nt_thread *prev, size_t np, const struct nt_thread *cur, size_t nc,
	     uint64_t dt_ns, double *cpu_max, double *delay_max, double *cpu_each);

/* The QEMU process of a libvirt domain: its pid file (run/libvirt/qemu/
 * NAME.pid under root), else the process whose command line holds
 * "guest=NAME,". 0 with *pid, -ENOENT or -errno. */
int nt_qemu_pid(const char *root, const char *name, int *pid);

/* "task_affinity": a thread's CPU affinity. target "PID:START" (START its
 * start time, so that a reused pid is never touched: -ESRCH), key its comm
 * (checked too), value a CPU list. Live: sched_getaffinity /
 * sched_setaffinity; another root reads proc/PID/status (Cpus_allowed_list)
 * and refuses writes (-EROFS). */
extern const struct knob_ops nt_affinity_ops;

/* The target of thread t: "PID:START" into buf (n bytes). */
void nt_target(const struct nt_thread *t, char *buf, size_t n);

#endif
