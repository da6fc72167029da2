/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sample_pair: a test helper: the sample of two readings of fixture trees
 * (what the agent computes between two readings of a real guest). */
#ifndef VTUNE_SAMPLE_PAIR_H
#define VTUNE_SAMPLE_PAIR_H

#include "gview.h"

/* gv_read of t0 and t1 (with flags), secs apart, into s (free with
 * gv_sample_free); secs 0: as far apart as the captures' /proc/uptime
 * says. A read or compute that fails fails the test. */
void sample_pair(const char *t0, const char *t1, double secs, int flags, struct gv_sample *s);

#endif
