/* parse: strict number parsing and in-place tokenising. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int parse_u64(const char *s, uint64_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
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
