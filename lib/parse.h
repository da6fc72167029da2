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

/* Hexadecimal digits, an optional "0x" / "0X" first (sysfs prints "0x8086",
 * /proc "000001ff"), the whole string. 0, -EINVAL or -ERANGE. */
int parse_x64(const char *s, uint64_t *out);

/* The decimal digits at the start of s (at least one; no sign, no space),
 * for numbers inside a longer text ("0-3,6", "vcpu.2.time"): *end is set
 * past the digits, also on -ERANGE, and what follows is the caller's to
 * check. 0, -EINVAL (s does not start with a digit) or -ERANGE. */
int parse_u64_prefix(const char *s, const char **end, uint64_t *out);

/* Exactly n (1..16) unsigned decimal numbers separated by whitespace
 * (leading and trailing whitespace allowed), as the kernel prints a sysctl
 * vector ("32768\t60999"). out gets n values, or nothing on error. 0,
 * -EINVAL (fewer or more fields, or one is not a number) or -ERANGE. */
int parse_u64_fields(const char *s, uint64_t *out, size_t n);

/* Split text into whitespace-separated tokens in place: writes up to max
 * pointers into tok and NUL-terminates each. Returns the token count (which
 * may exceed max: the rest are not stored). */
int parse_split(char *line, char **tok, int max);

/* Next line of a mutable buffer: returns the line (NUL-terminated, without
 * its newline) and advances *cursor, or NULL at the end. */
char *parse_next_line(char **cursor);

#endif
