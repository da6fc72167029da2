/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fmtnum: numbers for people (see fmtnum.h). */
#include "fmtnum.h"

#include <math.h>
#include <stdio.h>

const char *fmt_num(double v, char *buf, size_t n)
{
	double a = fabs(v);
	if (isnan(v) || isinf(v))
		snprintf(buf, n, "n/a");
	else if (a >= 1e12)
		snprintf(buf, n, "%.2fT", v / 1e12);
	else if (a >= 1e9)
		snprintf(buf, n, "%.2fG", v / 1e9);
	else if (a >= 1e6)
		snprintf(buf, n, "%.2fM", v / 1e6);
	else if (a >= 10 || v == floor(v))
		snprintf(buf, n, "%.0f", v);
	else if (a >= 0.1)
		snprintf(buf, n, "%.1f", v);
	else
		snprintf(buf, n, "%.2f", v);
	return buf;
}

const char *fmt_unit(double v, enum metric_unit u, char *buf, size_t n)
{
	char t[32];
	if (isnan(v)) {
		snprintf(buf, n, "n/a");
		return buf;
	}
	switch (u) {
	case MU_PCT: snprintf(buf, n, "%.1f %%", v); break;
	case MU_RATE: snprintf(buf, n, "%s/s", fmt_num(v, t, sizeof t)); break;
	case MU_SECONDS: snprintf(buf, n, "%s s", fmt_num(v, t, sizeof t)); break;
	case MU_BOOL: snprintf(buf, n, "%s", v != 0 ? "yes" : "no"); break;
	case MU_RATIO: snprintf(buf, n, "%.2fx", v); break;
	default: fmt_num(v, buf, n); break;
	}
	return buf;
}

const char *fmt_metric(const char *name, double v, char *buf, size_t n)
{
	int id = metric_lookup(name);
	return id < 0 ? fmt_num(v, buf, n) : fmt_unit(v, metric_defs[id].unit, buf, n);
}
