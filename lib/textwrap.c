/* SPDX-License-Identifier: GPL-2.0-or-later */
/* textwrap: wrap text at word boundaries for a terminal (see textwrap.h). */
#include "textwrap.h"

void text_wrap(FILE *f, int indent, const char *first, const char *text)
{
	int col = first ? fprintf(f, "%-*s", indent, first) : 0;
	const char *p = text;
	int line_start = 1;
	while (*p) {
		while (*p == ' ' || *p == '\n')
			p++;
		const char *e = p;
		while (*e && *e != ' ' && *e != '\n')
			e++;
		int w = (int)(e - p);
		if (!w)
			break;
		if (!line_start && col + 1 + w > TEXT_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			line_start = 1;
		}
		col += fprintf(f, "%s%.*s", line_start ? "" : " ", w, p);
		line_start = 0;
		p = e;
	}
	fputc('\n', f);
}
