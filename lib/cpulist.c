/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cpulist: CPU list text to and from byte bitmaps. */
#include "cpulist.h"
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cpulist_parse(const char *s, uint8_t *map, size_t maplen, int ncpus)
{
	if (!s || !map || ncpus < 1)
		return -EINVAL;
	memset(map, 0, maplen);
	const char *p = s;
	int any = 0;
	for (;;) {
		uint64_t lo, hi;
		int r = parse_u64_prefix(p, &p, &lo);
		if (r)
			return r;
		hi = lo;
		if (*p == '-') {
			p++;
			r = parse_u64_prefix(p, &p, &hi);
			if (r)
				return r;
			if (hi < lo)
				return -EINVAL;
		}
		if (hi >= (uint64_t)ncpus || hi / 8 >= maplen)
			return -ERANGE;
		for (uint64_t c = lo; c <= hi; c++)
			map[c / 8] |= (uint8_t)(1u << (c % 8));
		any = 1;
		if (*p == '\0')
			break;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
	return any ? 0 : -EINVAL;
}

static int bit(const uint8_t *map, int c)
{
	return (map[c / 8] >> (c % 8)) & 1;
}

int cpulist_format(const uint8_t *map, int ncpus, char *out, size_t n)
{
	size_t len = 0;
	if (!out || n == 0)
		return -EOVERFLOW;
	out[0] = '\0';
	for (int c = 0; c < ncpus; c++) {
		if (!bit(map, c))
			continue;
		int e = c;
		while (e + 1 < ncpus && bit(map, e + 1))
			e++;
		int w = e == c ? snprintf(out + len, n - len, "%s%d", len ? "," : "", c)
			       : snprintf(out + len, n - len, "%s%d-%d", len ? "," : "", c, e);
		if (w < 0 || (size_t)w >= n - len) {
			out[0] = '\0';
			return -EOVERFLOW;
		}
		len += (size_t)w;
		c = e;
	}
	return 0;
}
