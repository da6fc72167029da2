/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics: the metric catalogue and metric vectors. */
#include "metrics.h"
#include "hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const struct metric_def metric_defs[M_COUNT] = {
#define X(id, name, unit, src, help) \
	[M_##id] = { name, unit, help, src, NULL, NULL, NULL, -1 },
#define C(id, name, unit, file, section, field, help) \
	[M_##id] = { name, unit, help, MS_##file, NULL, section, field, MC_##id },
#define K(id, name, sysctl, help) \
	[M_##id] = { name, MU_VALUE, help, MS_KNOBS, sysctl, NULL, NULL, MK_##id },
	METRIC_LIST(X, C, K)
#undef X
#undef C
#undef K
};

const short metric_of_counter[MC_COUNT] = {
#define C(id, name, unit, file, section, field, help) [MC_##id] = M_##id,
	METRIC_LIST(METRIC_SKIP_X, C, METRIC_SKIP_K)
#undef C
};

const short metric_of_knob[MK_COUNT] = {
#define K(id, name, sysctl, help) [MK_##id] = M_##id,
	METRIC_LIST(METRIC_SKIP_X, METRIC_SKIP_C, K)
#undef K
};

/* An open-addressed table of ids by name hash, built once: hostd looks up
 * every metric of every report. */
#define BY_NAME_SLOTS 1024 /* a power of two, over 4 x M_COUNT */
_Static_assert(BY_NAME_SLOTS >= 4 * M_COUNT, "grow BY_NAME_SLOTS");
static short by_name[BY_NAME_SLOTS]; /* id + 1; 0 = empty */
static int built;

int metric_lookup_n(const char *name, size_t n)
{
	if (!built) {
		for (int i = 0; i < M_COUNT; i++) {
			const char *m = metric_defs[i].name;
			unsigned j = hash_str(m) & (BY_NAME_SLOTS - 1);
			while (by_name[j])
				j = (j + 1) & (BY_NAME_SLOTS - 1);
			by_name[j] = (short)(i + 1);
		}
		built = 1;
	}
	for (unsigned j = hash_bytes(name, n, 0) & (BY_NAME_SLOTS - 1); by_name[j];
	     j = (j + 1) & (BY_NAME_SLOTS - 1)) {
		const char *m = metric_defs[by_name[j] - 1].name;
		if (!strncmp(name, m, n) && !m[n])
			return by_name[j] - 1;
	}
	return -1;
}

int metric_lookup(const char *name)
{
	return metric_lookup_n(name, strlen(name));
}

int metric_by_sysctl(const char *key)
{
	for (int i = 0; key && i < M_COUNT; i++)
		if (metric_defs[i].sysctl && !strcmp(metric_defs[i].sysctl, key))
			return i;
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
	case MU_TOTAL: return "total";
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
	case MU_TOTAL: *max = 18446744073709551615.0; break; /* a u64 counter */
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
