/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jscan: strict one-pass JSON scanning with a callback per token (see
 * jscan.h). Duplicate keys are found with one hash table per scan, keyed by
 * (object, key), so a hostile object of thousands of keys stays linear. */
#include "jscan.h"
#include "hash.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define JSCAN_MAX_DEPTH 64

/* ---------------------------------------------------------------- utf-8 */

/* Length of the valid UTF-8 sequence at p (p < end), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c == 0xe0) {
		n = 3;
		lo = 0xa0; /* no overlongs */
	} else if (c == 0xed) {
		n = 3;
		hi = 0x9f; /* no surrogates */
	} else if (c >= 0xe1 && c <= 0xef)
		n = 3;
	else if (c == 0xf0) {
		n = 4;
		lo = 0x90;
	} else if (c >= 0xf1 && c <= 0xf3)
		n = 4;
	else if (c == 0xf4) {
		n = 4;
		hi = 0x8f; /* nothing above U+10FFFF */
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

bool jscan_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		size_t n = utf8_seq(p, end);
		if (!n)
			return false;
		p += n;
	}
	return true;
}

static int hex4(const unsigned char *p, unsigned *out)
{
	unsigned x = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		x = x << 4 | d;
	}
	*out = x;
	return 0;
}

static size_t put_utf8(unsigned cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t jscan_unescape(const char *raw, size_t len, char *out)
{
	const unsigned char *p = (const unsigned char *)raw, *end = p + len;
	size_t n = 0;

	while (p < end) {
		if (*p != '\\') {
			out[n++] = (char)*p++;
			continue;
		}
		unsigned char c = p[1];
		p += 2;
		switch (c) {
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			unsigned u = 0, u2 = 0;
			hex4(p, &u);
			p += 4;
			if (u >= 0xd800 && u <= 0xdbff) {
				hex4(p + 2, &u2);
				p += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
			}
			n += put_utf8(u, out + n);
			break;
		}
		default: out[n++] = (char)c; break; /* " \ / */
		}
	}
	out[n] = 0;
	return n;
}

/* --------------------------------------------------------- duplicate keys */

struct key_ent {
	uint32_t obj; /* object serial; 0 = empty slot */
	uint32_t hash;
	uint32_t off;
	uint32_t len : 31, escaped : 1;
};

struct frame {
	bool in_object;
	const char *key; /* current key, raw */
	size_t klen;
	bool kesc;
	size_t index;    /* current array index */
};

struct scan {
	const unsigned char *start, *p, *end;
	unsigned max_depth, max_containers, ncontainers;
	jscan_cb cb;
	void *arg;
	struct jscan_result *res;
	struct frame fr[JSCAN_MAX_DEPTH + 2];
	uint32_t nobj;
	struct key_ent *keys, local[512]; /* a report has about 200 keys */
	size_t cap, used;
};

/* A per-process seed, so a guest cannot choose keys that all collide. */
static uint64_t hash_seed(void)
{
	static uint64_t seed;
	if (!seed) {
		const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
		if (r)
			memcpy(&seed, r + 8, sizeof seed);
		seed |= 1;
	}
	return seed;
}

/* The key's decoded bytes: the raw text itself when unescaped, else
 * decoded into *heap (freed by the caller). NULL on no memory. */
static const char *key_bytes(const char *raw, size_t len, bool esc, size_t *n, char **heap)
{
	*heap = NULL;
	if (!esc) {
		*n = len;
		return raw;
	}
	if (!(*heap = malloc(len + 1)))
		return NULL;
	*n = jscan_unescape(raw, len, *heap);
	return *heap;
}

static bool same_key(const char *a, size_t alen, bool aesc, const char *b, size_t blen, bool besc)
{
	if (!aesc && !besc)
		return alen == blen && !memcmp(a, b, alen);
	char *ha, *hb;
	size_t na = 0, nb = 0;
	const char *da = key_bytes(a, alen, aesc, &na, &ha), *db = key_bytes(b, blen, besc, &nb, &hb);
	bool same = da && db && na == nb && !memcmp(da, db, na);
	free(ha);
	free(hb);
	return same;
}

static int fail(struct scan *s, enum jscan_err e, const char *why)
{
	if (s->res->err == JSCAN_OK) {
		s->res->err = e;
		s->res->why = why;
		s->res->pos = (size_t)(s->p - s->start);
	}
	return -1;
}

static int grow_keys(struct scan *s)
{
	size_t cap = s->cap * 2;
	struct key_ent *k = calloc(cap, sizeof *k);
	if (!k)
		return fail(s, JSCAN_NOMEM, "out of memory");
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->keys[i].obj)
			continue;
		size_t j = (s->keys[i].hash ^ s->keys[i].obj * 2654435761u) & (cap - 1);
		while (k[j].obj)
			j = (j + 1) & (cap - 1);
		k[j] = s->keys[i];
	}
	if (s->keys != s->local)
		free(s->keys);
	s->keys = k;
	s->cap = cap;
	return 0;
}

/* 0, or -1 (failed) when obj already has the key raw[0..len). */
static int add_key(struct scan *s, uint32_t obj, const char *raw, size_t len, bool esc)
{
	if ((s->used + 1) * 2 > s->cap && grow_keys(s))
		return -1;
	char *heap;
	size_t n;
	const char *b = key_bytes(raw, len, esc, &n, &heap);
	if (!b)
		return fail(s, JSCAN_NOMEM, "out of memory");
	uint32_t h = hash_bytes(b, n, hash_seed());
	free(heap);
	size_t j = (h ^ obj * 2654435761u) & (s->cap - 1);
	for (; s->keys[j].obj; j = (j + 1) & (s->cap - 1)) {
		struct key_ent *e = &s->keys[j];
		if (e->obj == obj && e->hash == h &&
		    same_key((const char *)s->start + e->off, e->len, e->escaped, raw, len, esc))
			return fail(s, JSCAN_DUPLICATE, "duplicate key");
	}
	s->keys[j] = (struct key_ent){ obj, h, (uint32_t)((const unsigned char *)raw - s->start),
				       (uint32_t)len, esc };
	s->used++;
	return 0;
}

/* The path of the value at depth (frames 1 .. depth-1) into res->path. */
static void set_path(struct scan *s, unsigned depth)
{
	char *o = s->res->path;
	size_t cap = sizeof s->res->path, n = 0;

	o[0] = 0;
	for (unsigned d = 1; d < depth && n + 1 < cap; d++) {
		const struct frame *f = &s->fr[d];
		int w;
		if (f->in_object) {
			char buf[64];
			size_t kl = f->klen < sizeof buf - 1 ? f->klen : sizeof buf - 1;
			char *k = malloc(f->klen + 1);
			if (k) {
				jscan_unescape(f->key, f->klen, k);
				snprintf(buf, sizeof buf, "%s", k);
				free(k);
			} else {
				memcpy(buf, f->key, kl);
				buf[kl] = 0;
			}
			w = snprintf(o + n, cap - n, "%s%s", n ? "." : "", buf);
		} else {
			w = snprintf(o + n, cap - n, "[%zu]", f->index);
		}
		if (w < 0)
			break;
		n += (size_t)w < cap - n ? (size_t)w : cap - n - 1;
	}
}

/* ------------------------------------------------------------- scanning */

static int emit(struct scan *s, const struct jscan_tok *t)
{
	if (!s->cb)
		return 0;
	int r = s->cb(s->arg, t);
	if (r) {
		s->res->stopped = r;
		return fail(s, JSCAN_STOPPED, "stopped");
	}
	return 0;
}

static inline __attribute__((always_inline)) void ws(struct scan *s)
{
	/* agents send none: one test in the common case */
	while (s->p < s->end && *s->p <= ' ' &&
	       (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int literal(struct scan *s, const char *lit, enum jscan_type type, unsigned depth)
{
	size_t n = strlen(lit);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n))
		return fail(s, JSCAN_SYNTAX, "invalid literal");
	struct jscan_tok t = { .type = type, .depth = depth, .text = (const char *)s->p, .len = n };
	s->p += n;
	return emit(s, &t);
}

/* Bytes a string body cannot simply pass over: '"', '\\', control bytes
 * and the start of multi-byte UTF-8. */
static const unsigned char plain[256] = {
	[0x20] = 1, 1, 0 /* " */, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* \\ */, 1, 1, 1, /* 0x50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x70 */
};

/* Past the plain bytes from p: 16 at a time where SSE2 is there (one
 * signed compare finds control bytes and bytes >= 0x80 together). */
static const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
		      space = _mm_set1_epi8(0x20);
	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
					   _mm_cmplt_epi8(x, space));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < end && plain[*p])
		p++;
	return p;
}

/* At the opening quote; on success t holds the body and s->p is past it. */
static int string(struct scan *s, struct jscan_tok *t)
{
	bool esc = false;
	const unsigned char *body = ++s->p;

	for (;;) {
		s->p = skip_plain(s->p, s->end);
		if (s->p >= s->end)
			return fail(s, JSCAN_SYNTAX, "unterminated string");
		unsigned char c = *s->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(s, JSCAN_SYNTAX, "control byte in string");
		if (c == '\\') {
			esc = true;
			if (s->end - s->p < 2)
				return fail(s, JSCAN_SYNTAX, "unterminated string");
			c = s->p[1];
			if (c && strchr("\"\\/bfnrt", c)) {
				s->p += 2;
				continue;
			}
			if (c != 'u')
				return fail(s, JSCAN_SYNTAX, "invalid escape");
			unsigned u, u2;
			if (s->end - s->p < 6 || hex4(s->p + 2, &u))
				return fail(s, JSCAN_SYNTAX, "invalid \\u escape");
			s->p += 6;
			if (u == 0)
				return fail(s, JSCAN_SYNTAX, "\\u0000 in string");
			if (u >= 0xdc00 && u <= 0xdfff)
				return fail(s, JSCAN_SYNTAX, "lone surrogate in string");
			if (u >= 0xd800 && u <= 0xdbff) {
				if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
				    hex4(s->p + 2, &u2) || u2 < 0xdc00 || u2 > 0xdfff)
					return fail(s, JSCAN_SYNTAX, "lone surrogate in string");
				s->p += 6;
			}
			continue;
		}
		size_t n = utf8_seq(s->p, s->end);
		if (!n)
			return fail(s, JSCAN_SYNTAX, "invalid UTF-8");
		s->p += n;
	}
	t->text = (const char *)body;
	t->len = (size_t)(s->p - body);
	t->escaped = esc;
	s->p++; /* closing quote */
	return 0;
}

/* Exact when the decimal mantissa fits in 53 bits and the power of ten is
 * at most 22 (both exact doubles, one rounding: Clinger's fast path), which
 * covers the numbers agents send; the rest go to strtod. */
static const double pow10_exact[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int number(struct scan *s, unsigned depth)
{
	const unsigned char *p0 = s->p;
	bool neg = false, integer = true, big = false;
	uint64_t mag = 0, mant = 0;
	int ndig = 0, exp10 = 0; /* significant digits in mant; value = mant * 10^exp10 */
	long e = 0;

	if (*s->p == '-') {
		neg = true;
		s->p++;
	}
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return fail(s, JSCAN_SYNTAX, "invalid number");
	if (*s->p == '0') {
		s->p++;
	} else {
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			unsigned d = *s->p++ - '0';
			if (mag > (UINT64_MAX - d) / 10)
				big = true;
			else
				mag = mag * 10 + d;
			if (ndig < 19) {
				mant = mant * 10 + d;
				ndig++;
			} else {
				exp10++;
			}
		}
	}
	if (s->p < s->end && *s->p == '.') {
		integer = false;
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return fail(s, JSCAN_SYNTAX, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			unsigned d = *s->p++ - '0';
			if (ndig < 19) {
				mant = mant * 10 + d;
				exp10--;
				if (mant)
					ndig++;
			}
		}
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		bool eneg = false;
		integer = false;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			eneg = *s->p++ == '-';
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return fail(s, JSCAN_SYNTAX, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			if (e < 100000)
				e = e * 10 + (*s->p - '0');
			s->p++;
		}
		exp10 += (int)(eneg ? -e : e);
	}
	/* json-c would silently saturate these. */
	if (integer && (big || (neg && mag > (uint64_t)INT64_MAX + 1)))
		return fail(s, JSCAN_SYNTAX, "integer out of 64-bit range");

	struct jscan_tok t = { .type = JS_NUMBER, .depth = depth, .text = (const char *)p0,
			       .len = (size_t)(s->p - p0), .integer = integer, .neg = neg,
			       .mag = mag };
	if (integer) {
		t.num = neg ? -(double)mag : (double)mag;
	} else if (ndig < 19 && mant <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
		double m = (double)mant;
		t.num = exp10 < 0 ? m / pow10_exact[-exp10] : m * pow10_exact[exp10];
		if (neg)
			t.num = -t.num;
	} else {
		/* strtod needs a terminator the line may not have */
		char local[64], *buf = t.len < sizeof local ? local : malloc(t.len + 1);
		if (!buf)
			return fail(s, JSCAN_NOMEM, "out of memory");
		memcpy(buf, p0, t.len);
		buf[t.len] = 0;
		t.num = strtod(buf, NULL);
		if (buf != local)
			free(buf);
		if (!isfinite(t.num)) {
			set_path(s, depth);
			return fail(s, JSCAN_RANGE, "number out of range");
		}
	}
	return emit(s, &t);
}

static int value(struct scan *s, unsigned depth);

static int object(struct scan *s, unsigned depth)
{
	const unsigned char *open = s->p;
	uint32_t obj = ++s->nobj;
	struct frame *f = &s->fr[depth];
	struct jscan_tok t = { .type = JS_OBJECT, .depth = depth, .text = (const char *)open, .len = 1 };

	if (emit(s, &t))
		return -1;
	f->in_object = true;
	f->key = NULL;
	f->klen = 0;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == '}')
		goto end;
	for (;;) {
		if (s->p >= s->end || *s->p != '"')
			return fail(s, JSCAN_SYNTAX, "expected a string key");
		struct jscan_tok k = { .type = JS_KEY, .depth = depth + 1 };
		const unsigned char *kp = s->p;
		if (string(s, &k))
			return -1;
		if (add_key(s, obj, k.text, k.len, k.escaped)) {
			if (s->res->err == JSCAN_DUPLICATE) {
				s->p = kp;
				s->res->pos = (size_t)(kp - s->start);
				set_path(s, depth);
			}
			return -1;
		}
		f->key = k.text;
		f->klen = k.len;
		f->kesc = k.escaped;
		if (emit(s, &k))
			return -1;
		ws(s);
		if (s->p >= s->end || *s->p != ':')
			return fail(s, JSCAN_SYNTAX, "expected ':'");
		s->p++;
		if (value(s, depth + 1))
			return -1;
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}')
			break;
		return fail(s, JSCAN_SYNTAX, "expected ',' or '}'");
	}
end:
	s->p++;
	t = (struct jscan_tok){ .type = JS_END, .depth = depth, .text = (const char *)open,
				.len = (size_t)(s->p - open) };
	return emit(s, &t);
}

static int array(struct scan *s, unsigned depth)
{
	const unsigned char *open = s->p;
	struct frame *f = &s->fr[depth];
	struct jscan_tok t = { .type = JS_ARRAY, .depth = depth, .text = (const char *)open, .len = 1 };

	if (emit(s, &t))
		return -1;
	f->in_object = false;
	f->index = 0;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == ']')
		goto end;
	for (;;) {
		if (value(s, depth + 1))
			return -1;
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			f->index++;
			continue;
		}
		if (s->p < s->end && *s->p == ']')
			break;
		return fail(s, JSCAN_SYNTAX, "expected ',' or ']'");
	}
end:
	s->p++;
	t = (struct jscan_tok){ .type = JS_END, .depth = depth, .text = (const char *)open,
				.len = (size_t)(s->p - open) };
	return emit(s, &t);
}

static int value(struct scan *s, unsigned depth)
{
	ws(s);
	if (s->p >= s->end)
		return fail(s, JSCAN_SYNTAX, "unexpected end");
	switch (*s->p) {
	case '{':
	case '[':
		if (++s->ncontainers > s->max_containers) {
			snprintf(s->res->msg, sizeof s->res->msg, "more than %u objects and arrays",
				 s->max_containers);
			return fail(s, JSCAN_SYNTAX, s->res->msg);
		}
		if (depth > s->max_depth)
			return fail(s, JSCAN_SYNTAX, "nested too deep");
		return *s->p == '{' ? object(s, depth) : array(s, depth);
	case '"': {
		struct jscan_tok t = { .type = JS_STRING, .depth = depth };
		if (string(s, &t))
			return -1;
		return emit(s, &t);
	}
	case 't':
		return literal(s, "true", JS_TRUE, depth);
	case 'f':
		return literal(s, "false", JS_FALSE, depth);
	case 'n':
		return literal(s, "null", JS_NULL, depth);
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return number(s, depth);
		return fail(s, JSCAN_SYNTAX, "unexpected character");
	}
}

int jscan(const char *text, size_t len, unsigned max_depth, unsigned max_containers,
	  jscan_cb cb, void *arg, struct jscan_result *res)
{
	struct scan s;

	memset(res, 0, sizeof *res);
	s.start = s.p = (const unsigned char *)text;
	s.end = s.p + len;
	s.max_depth = max_depth < JSCAN_MAX_DEPTH ? max_depth : JSCAN_MAX_DEPTH;
	s.max_containers = max_containers;
	s.ncontainers = 0;
	s.cb = cb;
	s.arg = arg;
	s.res = res;
	s.nobj = 0;
	s.keys = s.local;
	s.cap = sizeof s.local / sizeof s.local[0];
	s.used = 0;
	memset(s.local, 0, sizeof s.local);
	if (value(&s, 1) == 0) {
		ws(&s);
		if (s.p != s.end)
			fail(&s, JSCAN_SYNTAX, "trailing data after the value");
	}
	if (s.keys != s.local)
		free(s.keys);
	return res->err;
}
