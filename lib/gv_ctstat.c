/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_ctstat: /proc/net/stat/nf_conntrack — conntrack's per-CPU statistics
 * (hex columns named by a header line that differs between kernels),
 * summed over CPUs by name. The guest view and hostd's view of a bridge's
 * namespace both read it. */
#include "gview.h"
#include "parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 32

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A hex column of at most 16 digits. */
static int hex64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;
	for (; *s; s++, n++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			*s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
			*s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
		if (d < 0 || n >= 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	if (!n)
		return -EINVAL;
	*out = v;
	return 0;
}

int gv_parse_ctstat(char *text, struct gv_ctstat *st, char *err, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} want[] = {
		{ "found", offsetof(struct gv_ctstat, found) },
		{ "new", offsetof(struct gv_ctstat, new_) },
		{ "invalid", offsetof(struct gv_ctstat, invalid) },
		{ "insert", offsetof(struct gv_ctstat, insert) },
		{ "insert_failed", offsetof(struct gv_ctstat, insert_failed) },
		{ "drop", offsetof(struct gv_ctstat, drop) },
		{ "early_drop", offsetof(struct gv_ctstat, early_drop) },
		{ "search_restart", offsetof(struct gv_ctstat, search_restart) },
	};
	char *cur = text, *line, *hdr[MAX_COLS + 1], *tok[MAX_COLS + 1];
	int ncol = -1, rows = 0, col_of[sizeof want / sizeof *want];
	struct gv_ctstat s;
	memset(&s, 0, sizeof s);
	while ((line = parse_next_line(&cur))) {
		if (ncol < 0) {
			ncol = parse_split(line, hdr, MAX_COLS + 1);
			if (ncol < 2 || ncol > MAX_COLS || strcmp(hdr[0], "entries"))
				return fail(err, n, "/proc/net/stat/nf_conntrack: bad header");
			for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
				col_of[k] = -1;
				for (int i = 0; i < ncol; i++)
					if (!strcmp(hdr[i], want[k].name))
						col_of[k] = i;
			}
			continue;
		}
		int nt = parse_split(line, tok, MAX_COLS + 1);
		if (nt == 0)
			continue;
		if (nt != ncol)
			return fail(err, n, "/proc/net/stat/nf_conntrack: row %d has %d columns for %d names",
				    rows, nt, ncol);
		uint64_t v[MAX_COLS];
		for (int i = 0; i < nt; i++)
			if (hex64(tok[i], &v[i]))
				return fail(err, n, "/proc/net/stat/nf_conntrack: row %d: '%.20s' is not hex",
					    rows, tok[i]);
		for (size_t k = 0; k < sizeof want / sizeof *want; k++)
			if (col_of[k] >= 0)
				*(uint64_t *)((char *)&s + want[k].off) += v[col_of[k]];
		if (++rows > GV_MAX_CPUS)
			return fail(err, n, "/proc/net/stat/nf_conntrack: more than %d rows", GV_MAX_CPUS);
	}
	if (ncol < 0 || !rows)
		return fail(err, n, "/proc/net/stat/nf_conntrack: no rows");
	s.present = 1;
	*st = s;
	return 0;
}
