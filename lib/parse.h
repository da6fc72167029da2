/* SPDX-License-Identifier: GPL-2.0-or-later */
/* parse: strict number parsing, shared by every reader of text from the
 * kernel, a policy file or a guest. Rejects empty input, trailing junk,
 * signs where none belong and out-of-range values. */
#ifndef VTUNE_PARSE_H
#define VTUNE_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parse a whole NUL-terminated string. Returns 0, -EINVAL or -ERANGE. */
int parse_u64(const char *s, uint64_t *out);
int parse_i64(const char *s, int64_t *out);
int parse_double(const char *s, double *out); /* finite values only */

/* Parse exactly n bytes (not NUL-terminated). Same errors. */
int parse_u64_n(const char *s, size_t n, uint64_t *out);

/* Split text into whitespace-separated tokens in place: writes up to max
 * pointers into tok and NUL-terminates each. Returns the token count (which
 * may exceed max: the rest are not stored). */
int parse_split(char *line, char **tok, int max);

/* Next line of a mutable buffer: returns the line (NUL-terminated, without
 * its newline) and advances *cursor, or NULL at the end. */
char *parse_next_line(char **cursor);

#endif
