/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fmtnum: numbers for people: never 2.46625e+06, never "?" or -1 for an
 * unknown value ("n/a"), and a metric's unit from the catalogue. */
#ifndef VTUNE_FMTNUM_H
#define VTUNE_FMTNUM_H

#include <stddef.h>

#include "metrics.h"

/* v as text: NAN -> "n/a"; under 10 with one decimal ("2.5"), under a
 * million whole ("246625"), above with a suffix ("2.47M", "1.20G").
 * Returns buf. */
const char *fmt_num(double v, char *buf, size_t n);

/* v with the unit u: "12.5 %", "2.47M/s", "120 s", "yes"/"no", "1.01x";
 * NAN -> "n/a". Returns buf. */
const char *fmt_unit(double v, enum metric_unit u, char *buf, size_t n);

/* The same for a catalogue metric by name (unknown names: fmt_num). */
const char *fmt_metric(const char *name, double v, char *buf, size_t n);

#endif
