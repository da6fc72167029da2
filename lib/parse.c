/* SPDX-License-Identifier: GPL-2.0-or-later */
/* parse: strict number parsing (decimal, hexadecimal, inside a text, a
 * vector of fields) and in-place tokenising. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Up to max plain decimal digits and nothing after them: the value
 * without strtoull (most numbers read from the kernel). 0 when s is not
 * that, and the caller takes the general path. */
static int short_digits(const char *s, int max, uint64_t *out)
{
	uint64_t v = 0;
	int i = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i == max)
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || s[i])
		return 0;
	*out = v;
	return 1;
}

int parse_u64(const char *s, uint64_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	if (short_digits(s, 19, out)) /* 19 digits always fit */
		return 0;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_i64(const char *s, int64_t *out)
{
	if (!s || !(isdigit((unsigned char)*s) ||
		    (*s == '-' && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	uint64_t u;
	if (short_digits(s, 18, &u)) { /* 18 digits always fit */
		*out = (int64_t)u;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_double(const char *s, double *out)
{
	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	/* strtod accepts "inf", "nan" and hex: none of those are numbers here. */
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789+-.eE", *p))
			return -EINVAL;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v))
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_u64_n(const char *s, size_t n, uint64_t *out)
{
	char b[32];
	if (n == 0 || n >= sizeof b)
		return n ? -ERANGE : -EINVAL;
	memcpy(b, s, n);
	b[n] = '\0';
	return parse_u64(b, out);
}

int parse_x64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int i = 0;
	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s[i]; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -EINVAL;
		if (v >> 60)
			return s[i + strspn(s + i, "0123456789abcdefABCDEF")] ? -EINVAL : -ERANGE;
		v = v << 4 | (uint64_t)d;
	}
	if (i == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_u64_prefix(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	int over = 0;
	const char *p = s;
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			over = 1;
		else
			v = v * 10 + d;
	}
	*end = p;
	if (over)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_u64_fields(const char *s, uint64_t *out, size_t n)
{
	uint64_t v[16];
	size_t k = 0;
	if (!s || n == 0 || n > sizeof v / sizeof *v)
		return -EINVAL;
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (k == n)
			return -EINVAL;
		const char *e;
		int r = parse_u64_prefix(s, &e, &v[k]);
		if (r == -EINVAL || (*e && !isspace((unsigned char)*e)))
			return -EINVAL;
		if (r)
			return r;
		k++;
		s = e;
	}
	if (k != n)
		return -EINVAL;
	memcpy(out, v, n * sizeof *v);
	return 0;
}

int parse_split(char *line, char **tok, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (n < max)
			tok[n] = p;
		n++;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		*p++ = '\0';
	}
	return n;
}

char *parse_next_line(char **cursor)
{
	char *s = *cursor;
	if (!s || !*s)
		return NULL;
	char *nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = s + strlen(s);
	}
	return s;
}
