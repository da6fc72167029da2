/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rps: a queue's steering as a knob kind ("rps": target "IFACE/rx-N", key
 * "rps_cpus" or "rps_flow_cnt"; target "IFACE/tx-N", key "xps_cpus"), CPU
 * masks in the kernel's format, and the queues of every interface. */
#ifndef VTUNE_RPS_H
#define VTUNE_RPS_H

#include <stddef.h>

#include "knob.h"

extern const struct knob_ops knob_rps_ops;

/* The rps_cpus mask for CPUs 0..ncpu-1, in the kernel's format (hex
 * words of 32 bits, comma-separated, most significant first). Returns 0 or
 * -EINVAL (ncpu out of 1..1024) / -EOVERFLOW. */
int rps_all_mask(int ncpu, char *out, size_t n);

/* The rps_cpus mask of the CPUs in a CPU list ("1", "0-1,3"; as
 * cpulist_parse reads it, CPUs below 1024), in the same format. Returns 0,
 * -EINVAL (not a CPU list, or empty) or -EOVERFLOW. */
int rps_list_mask(const char *list, char *out, size_t n);

/* Call fn(target, arg) for every receive queue of every interface but lo
 * under root (target is "IFACE/rx-N"). Returns 0, fn's non-zero value, or
 * -errno. */
int rps_each_queue(const char *root, int (*fn)(const char *target, void *arg), void *arg);

/* The same for every transmit queue (target "IFACE/tx-N"). */
int rps_each_tx_queue(const char *root, int (*fn)(const char *target, void *arg), void *arg);

/* Number of online CPUs as the kernel lists them in
 * sys/devices/system/cpu/online ("0-3,6"). Returns >0 or -errno. */
int rps_online_cpus(const char *root);

#endif
