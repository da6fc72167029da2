/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jscan: a strict one-pass JSON scanner (RFC 8259, plus the protocol's
 * limits on depth and containers, no duplicate keys, no \u0000, no
 * non-finite numbers). It builds no tree: it calls back once per token, so a
 * reader can pick out what it needs while the text is checked. */
#ifndef VTUNE_JSCAN_H
#define VTUNE_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jscan_type {
	JS_OBJECT, /* an object begins: text points at '{' */
	JS_ARRAY,  /* an array begins: text points at '[' */
	JS_END,	   /* the container of this depth ends: text..text+len is all of it */
	JS_KEY,	   /* an object key: text..text+len between the quotes, raw */
	JS_STRING, /* a string value: as JS_KEY */
	JS_NUMBER, /* text..text+len is the number; num and integer are set */
	JS_TRUE,
	JS_FALSE,
	JS_NULL,
};

struct jscan_tok {
	enum jscan_type type;
	unsigned depth;	  /* of the value (the outer value is 1); a key has its object's + 1 */
	const char *text;
	size_t len;
	bool escaped;	  /* strings: holds backslash escapes (see jscan_unescape) */
	bool integer;	  /* numbers: no fraction or exponent (json-c: an int) */
	bool neg;	  /* integers: a minus sign */
	uint64_t mag;	  /* integers: the magnitude, exact */
	double num;	  /* numbers: the value, always finite */
};

/* Return 0 to go on, anything else to stop the scan with that value. */
typedef int (*jscan_cb)(void *arg, const struct jscan_tok *t);

enum jscan_err {
	JSCAN_OK,
	JSCAN_SYNTAX,	 /* not valid JSON or over a limit: why, at byte pos */
	JSCAN_DUPLICATE, /* a repeated key: path names the object */
	JSCAN_RANGE,	 /* a number that overflows: path names it */
	JSCAN_NOMEM,
	JSCAN_STOPPED,	 /* the callback returned non-zero: see stopped */
};

struct jscan_result {
	enum jscan_err err;
	const char *why; /* JSCAN_SYNTAX: static text or msg */
	char msg[64];
	size_t pos;	 /* byte offset of the error */
	char path[160];	 /* "sample.a[1]", "" for the outer value */
	int stopped;	 /* the callback's value for JSCAN_STOPPED */
};

/* Scan one JSON value filling all of s[0..len) (white space around it is
 * fine), nested at most max_depth deep with at most max_containers objects
 * and arrays, calling cb (may be NULL) for each token in text order.
 * Integers must fit in 64 bits (signed, or unsigned when positive).
 * Returns res->err (JSCAN_OK is 0). */
int jscan(const char *s, size_t len, unsigned max_depth, unsigned max_containers,
	  jscan_cb cb, void *arg, struct jscan_result *res);

/* Decode a raw string body (from a JS_KEY or JS_STRING token) into out,
 * which needs len + 1 bytes (decoding never lengthens). Returns the decoded
 * length; out is NUL-terminated. The scanner has validated the escapes. */
size_t jscan_unescape(const char *raw, size_t len, char *out);

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool jscan_utf8_valid(const char *s, size_t len);

#endif
