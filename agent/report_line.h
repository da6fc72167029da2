/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report_line: the `report` message line, written by hand around a sample's
 * JSON text: byte for byte what wire_encode makes of the same message
 * (tests/unit/test_agent_report.c), without a json-c tree built, printed
 * and parsed back for every report. */
#ifndef VTUNE_REPORT_LINE_H
#define VTUNE_REPORT_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "gv_emit.h"

/* Write into t (replacing its text) the line, newline included, of a
 * report of protocol version v (0: WIRE_VERSION) carrying sample (len
 * bytes of one JSON object, as gv_emit_sample writes it). Returns 0,
 * -EINVAL (seq, mono_ns or interval_s out of the protocol's range, sample
 * not an object), -EMSGSIZE (longer than WIRE_MAX_LINE) or -ENOMEM. */
int report_line(struct gv_text *t, unsigned v, uint64_t seq, uint64_t mono_ns,
		double interval_s, const char *sample, size_t len);

#endif
