/* SPDX-License-Identifier: GPL-2.0-or-later */
/* parse: strict number parsing and in-place tokenising. */
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
