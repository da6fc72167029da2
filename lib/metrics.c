/* metrics: the metric catalogue and metric vectors. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const struct metric_def metric_defs[M_COUNT] = {
#define X(id, name, unit, help) [M_##id] = { name, unit, help },
	METRIC_LIST(X)
#undef X
};

/* Ids sorted by name, built once: hostd looks up every metric of every
 * report, so a linear scan of the catalogue per name is too slow. */
static int by_name[M_COUNT];
static int sorted;

static int cmp_ids(const void *a, const void *b)
{
	return strcmp(metric_defs[*(const int *)a].name, metric_defs[*(const int *)b].name);
}

int metric_lookup(const char *name)
{
	if (!sorted) {
		for (int i = 0; i < M_COUNT; i++)
			by_name[i] = i;
		qsort(by_name, M_COUNT, sizeof *by_name, cmp_ids);
		sorted = 1;
	}
	int lo = 0, hi = M_COUNT - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2, c = strcmp(name, metric_defs[by_name[mid]].name);
		if (!c)
			return by_name[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

const char *metric_unit_str(enum metric_unit u)
{
	switch (u) {
	case MU_PCT: return "%";
	case MU_RATE: return "/s";
	case MU_COUNT: return "";
	case MU_RATIO: return "x";
	case MU_SECONDS: return "s";
	case MU_BOOL: return "bool";
	case MU_VALUE: return "";
	}
	return "";
}

void metric_range(enum metric_unit u, double *min, double *max)
{
	*min = 0;
	switch (u) {
	case MU_PCT: *max = 100; break;
	case MU_BOOL: *max = 1; break;
	case MU_RATIO: *max = 1e6; break;
	case MU_SECONDS: *max = 1e9; break;
	case MU_VALUE: *min = -1e12; *max = 1e15; break;
	default: *max = 1e15; break;
	}
}

void mvec_clear(struct mvec *m)
{
	memset(m, 0, sizeof *m);
}

void mvec_set(struct mvec *m, int id, double v)
{
	if (id < 0 || id >= M_COUNT)
		return;
	m->v[id] = v;
	m->known[id / 64] |= 1ull << (id % 64);
}

int mvec_has(const struct mvec *m, int id)
{
	return id >= 0 && id < M_COUNT && (m->known[id / 64] >> (id % 64)) & 1;
}

double mvec_get(const struct mvec *m, int id)
{
	return mvec_has(m, id) ? m->v[id] : NAN;
}
