/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_reader: a sampler's kept state for gv_read. */
#include "gv_reader.h"
#include "gv_irq.h"
#include "gv_kmsg.h"
#include "gv_procs.h"
#include "kfs.h"

#include <stdlib.h>

struct gv_reader {
	struct gv_keep k;
};

struct gv_reader *gv_reader_new(const struct gv_ports_cfg *ports)
{
	struct gv_reader *rd = calloc(1, sizeof *rd);
	if (!rd)
		return NULL;
	rd->k.c = kfs_cache_new();
	rd->k.ports = gv_ports_sched_new(ports);
	rd->k.ifaces = gv_iflist_new();
	rd->k.kmsg = gv_kmsg_new();
	rd->k.procs = gv_procs_sched_new();
	rd->k.irqs = gv_irqkeep_new();
	rd->k.slow = gv_slow_new();
	if (!rd->k.c || !rd->k.ports || !rd->k.ifaces || !rd->k.kmsg || !rd->k.procs ||
	    !rd->k.irqs || !rd->k.slow) {
		gv_reader_free(rd);
		return NULL;
	}
	return rd;
}

void gv_reader_free(struct gv_reader *rd)
{
	if (!rd)
		return;
	kfs_cache_free(rd->k.c);
	gv_ports_sched_free(rd->k.ports);
	gv_iflist_free(rd->k.ifaces);
	gv_kmsg_free(rd->k.kmsg);
	gv_procs_sched_free(rd->k.procs);
	gv_irqkeep_free(rd->k.irqs);
	gv_slow_free(rd->k.slow);
	free(rd);
}

int gv_reader_read(struct gv_reader *rd, const char *root, int flags, struct gv_reading *r)
{
	return gv_read_keep(&rd->k, root, flags, r);
}

void gv_reader_set_interval(struct gv_reader *rd, double interval_s)
{
	gv_slow_set_interval(rd->k.slow, interval_s);
}

struct gv_ports_sched *gv_reader_ports(struct gv_reader *rd)
{
	return rd->k.ports;
}

void gv_reader_changed(struct gv_reader *rd)
{
	if (!rd)
		return;
	gv_channels_forget(rd->k.ifaces);
	gv_irqkeep_forget(rd->k.irqs);
	gv_slow_forget(rd->k.slow);
}
