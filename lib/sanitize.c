/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sanitize: escaping of control, C1, bidi and malformed UTF-8 bytes in
 * text from outside (guests above all). See sanitize.h. */
#include "sanitize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (n bytes left) and its code
 * point, or 0 when it is not one (overlong, surrogate, past U+10FFFF). */
static size_t utf8_at(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2, c = p[0] & 0x1f, min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3, c = p[0] & 0x0f, min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4, c = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points never shown as they are: C0 (but tab), DEL, C1, and the
 * bidi controls that reorder what a terminal shows (Trojan Source). */
static int hidden(uint32_t c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x061c ||
	       c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

size_t san_text(const char *in, size_t n, char *out, size_t outn)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, i = 0;
	if (!outn)
		return 0;
	while (i < n) {
		uint32_t c;
		char esc[16];
		size_t len = utf8_at(p + i, n - i, &c), elen;
		if (len && !hidden(c)) {
			if (o + len >= outn)
				break;
			memcpy(out + o, p + i, len);
			o += len;
			i += len;
			continue;
		}
		if (!len) /* not UTF-8: the byte */
			elen = (size_t)snprintf(esc, sizeof esc, "\\x%02x", p[i]), len = 1;
		else if (c < 0x80)
			elen = (size_t)snprintf(esc, sizeof esc, "\\x%02x", (unsigned)c);
		else
			elen = (size_t)snprintf(esc, sizeof esc, "\\u{%04x}", (unsigned)c);
		if (o + elen >= outn)
			break;
		memcpy(out + o, esc, elen);
		o += elen;
		i += len;
	}
	out[o] = '\0';
	return o;
}

int san_needed(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t len = utf8_at(p + i, n - i, &c);
		if (!len || hidden(c))
			return 1;
		i += len;
	}
	return 0;
}

int san_inplace(char *s, size_t cap)
{
	size_t n = strlen(s);
	if (!san_needed(s, n))
		return 0;
	char *tmp = malloc(cap);
	if (!tmp) {
		/* no memory: drop what cannot be shown rather than show it */
		for (char *q = s; *q; q++)
			if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
				*q = '?';
		return 1;
	}
	san_text(s, n, tmp, cap);
	memcpy(s, tmp, strlen(tmp) + 1);
	free(tmp);
	return 1;
}

int san_json(json_object *o)
{
	int changed = 0;
	switch (json_object_get_type(o)) {
	case json_type_string: {
		const char *s = json_object_get_string(o);
		size_t n = (size_t)json_object_get_string_len(o);
		if (san_needed(s, n)) {
			size_t cap = n * 8 + 1;
			char *t = malloc(cap);
			if (t) {
				san_text(s, n, t, cap);
				json_object_set_string(o, t);
				free(t);
			} else {
				json_object_set_string(o, "?");
			}
			changed++;
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			changed += san_json(json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		/* member names too: rebuild the object when one needs it */
		int bad_key = 0;
		json_object_object_foreach(o, k, v) {
			changed += san_json(v);
			bad_key |= san_needed(k, strlen(k));
		}
		if (bad_key) {
			json_object *copy = json_object_new_object();
			json_object_object_foreach(o, k2, v2) {
				size_t cap = strlen(k2) * 8 + 1;
				char *t = malloc(cap);
				if (t) {
					san_text(k2, strlen(k2), t, cap);
					json_object_object_add(copy, t, json_object_get(v2));
					free(t);
				}
			}
			/* o's members replaced by copy's */
			while (json_object_object_length(o)) {
				struct json_object_iterator it = json_object_iter_begin(o);
				json_object_object_del(o, json_object_iter_peek_name(&it));
			}
			json_object_object_foreach(copy, k4, v4)
				json_object_object_add(o, k4, json_object_get(v4));
			json_object_put(copy);
			changed++;
		}
		break;
	}
	default:
		break;
	}
	return changed;
}
