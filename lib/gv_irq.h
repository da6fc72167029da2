/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_irq: NIC queue interrupts from /proc/interrupts — which lines belong
 * to a network device's receive queues (virtio-net inputs, Xen netfront,
 * the common PCI NIC drivers), their counts per CPU, and whether
 * irqbalance owns IRQ affinity. Used by the guest view, the host view of
 * the physical NICs and the "irq" action. */
#ifndef VTUNE_GV_IRQ_H
#define VTUNE_GV_IRQ_H

#include <stddef.h>
#include <stdint.h>

#include "gview.h"

/* Is an interrupt's action name a NIC receive (or combined) queue? ifnames
 * (n of them) are the interface names of the machine: netfront and most
 * PCI drivers name their lines after the interface ("eth0-q0-rx",
 * "eth0-TxRx-3", "i40e-eth0-TxRx-0"); virtio-net's are "virtioN-input.M";
 * mlx4/mlx5/gve's are named after the driver. Transmit-only lines
 * ("eth0-tx", "virtio0-output.0") and control lines are not. 1 or 0. */
int gv_irq_is_nic(const char *name, const char *const *ifnames, int n);

/* Parse /proc/interrupts: the CPU columns of its header, and every
 * numbered line whose name gv_irq_is_nic accepts, into irq (present set,
 * cpu_id and per_cpu allocated: gv_irqs_free). 0, -EINVAL with a reason in
 * err (no header, a short or non-numeric line), or -ENOMEM. */
int gv_parse_interrupts(char *text, const char *const *ifnames, int nif,
			struct gv_irqs *irq, char *err, size_t n);

void gv_irqs_free(struct gv_irqs *irq);

/* Read root's proc/interrupts with the interface names of its
 * sys/class/net (lo left out) into irq. 0 (absent file: present 0), or as
 * gv_parse_interrupts, or -errno. */
int gv_irq_read(const char *root, struct gv_irqs *irq, char *err, size_t n);

/* Is irqbalance running under root? Its socket run/irqbalance/irqbalanceN.sock
 * with proc/N/comm "irqbalance". 1 or 0. */
int gv_irqbalance_running(const char *root);

/* ---- a sampler's kept list of NIC lines ----
 * /proc/interrupts costs in proportion to every interrupt of the machine
 * and its CPUs (about 80 us on a 2-CPU VM): a sampler reads it whole only
 * every GV_IRQ_RESCAN_S seconds, and in between the NIC lines it found
 * through /sys/kernel/irq/N/per_cpu_count (a couple of microseconds each,
 * kept open in the caller's cache). */
#define GV_IRQ_RESCAN_S 60.0
struct gv_irqkeep;
struct kfs_cache;
struct gv_irqkeep *gv_irqkeep_new(void);
void gv_irqkeep_free(struct gv_irqkeep *k);
/* Read /proc/interrupts whole at the next reading (after vtune changed
 * IRQ affinity or queues). NULL is fine. */
void gv_irqkeep_forget(struct gv_irqkeep *k);
/* The NIC lines as the last whole reading found them (after a successful
 * gv_parse_interrupts at now_ns). */
void gv_irqkeep_set(struct gv_irqkeep *k, const struct gv_irqs *irq, uint64_t now_ns);
/* Fill irq from the kept lines' per-CPU counts when the last whole reading
 * is younger than GV_IRQ_RESCAN_S: 0; -EAGAIN (time for a whole reading,
 * or none yet), or -errno (a line's file unreadable: read the whole file). */
int gv_irqkeep_read(struct gv_irqkeep *k, struct kfs_cache *c, const char *root,
		    uint64_t now_ns, struct gv_irqs *irq);

/* Per-interval figures of NIC queue interrupts from a to b (b later, secs
 * apart): per CPU column rates into rate[] (b->ncpu entries), the sum, the
 * hottest column (-1: none) and its share in %, and how many columns took
 * any. Columns are matched by CPU number. */
void gv_irq_rates(const struct gv_irqs *a, const struct gv_irqs *b, double secs,
		  double *rate, double *sum, int *hot, double *hot_share, int *cpus);

#endif
