/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sanitize: no raw guest bytes reach a terminal, a log, the journal, HTML
 * or the metrics: text from outside is made printable by escaping C0
 * controls (but tab), DEL, C1 controls, Unicode bidi controls and invalid
 * UTF-8 as visible \xNN / \u{XXXX} sequences. Valid printable UTF-8 stays. */
#ifndef VTUNE_SANITIZE_H
#define VTUNE_SANITIZE_H

#include <stddef.h>

#include <json-c/json.h>

/* Escape in[0..n) into out (outn bytes, always NUL-terminated, cut at a
 * whole escape). Returns the length written. */
size_t san_text(const char *in, size_t n, char *out, size_t outn);

/* The same in place on a NUL-terminated string in a buffer of cap bytes
 * (escapes grow it; the tail is cut to fit). Returns 1 when it changed. */
int san_inplace(char *s, size_t cap);

/* Does s need escaping? 1 or 0. */
int san_needed(const char *s, size_t n);

/* Every string (values and member names) of a JSON tree escaped in place.
 * Returns the number of strings changed. */
int san_json(json_object *o);

#endif
