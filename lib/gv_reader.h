/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_reader: what a sampler keeps from one reading of the guest view to
 * the next (struct gv_keep, gview.h): the files read every time, open (kfs
 * cache), the schedule of the costly counts (gv_ports.h), and the list of
 * interfaces while no link changes, the settings between their reads
 * (gview.h gv_slow_new), so that a reading costs the same
 * whatever the number of sockets and interfaces. */
#ifndef VTUNE_GV_READER_H
#define VTUNE_GV_READER_H

#include "gv_ports.h"
#include "gview.h"

struct gv_reader;

/* A reader for one sampler (ports NULL: the default schedule), or NULL on
 * no memory. */
struct gv_reader *gv_reader_new(const struct gv_ports_cfg *ports);
void gv_reader_free(struct gv_reader *rd);

/* gv_read through the reader. Returns 0 or -ENOMEM. */
int gv_reader_read(struct gv_reader *rd, const char *root, int flags, struct gv_reading *r);

/* Readings come every interval_s seconds: the settings (gv_slow_new,
 * gview.h) are read again every 10 s / interval_s readings, not at every
 * one (the default). */
void gv_reader_set_interval(struct gv_reader *rd, double interval_s);

/* Its port scheduler (tests: to set a counter). */
struct gv_ports_sched *gv_reader_ports(struct gv_reader *rd);

/* vtune changed something here: what a reading keeps from the last one
 * (each interface's channels, the NIC IRQ lines) is read again at the next
 * reading, so that a change's effect shows in the next sample. */
void gv_reader_changed(struct gv_reader *rd);

#endif
