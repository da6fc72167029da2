/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench_stats: log-linear latency histogram (see bench_stats.h). */
#include "bench_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct bstat_hist {
	uint64_t count, sum, min, max;
	uint64_t b[BSTAT_NBUCKETS];
};

struct bstat_hist *bstat_hist_new(void)
{
	struct bstat_hist *h = malloc(sizeof *h);

	if (h)
		bstat_hist_reset(h);
	return h;
}

void bstat_hist_free(struct bstat_hist *h)
{
	free(h);
}

void bstat_hist_reset(struct bstat_hist *h)
{
	memset(h, 0, sizeof *h);
	h->min = UINT64_MAX;
}

unsigned bstat_bucket_of(uint64_t v)
{
	if (v < BSTAT_SUB)
		return (unsigned)v;
	unsigned e = 63 - (unsigned)__builtin_clzll(v);  /* e >= SUB_BITS */
	unsigned shift = e - BSTAT_SUB_BITS;
	return ((shift + 1) << BSTAT_SUB_BITS) |
	       (unsigned)((v >> shift) & (BSTAT_SUB - 1));
}

uint64_t bstat_bucket_low(unsigned i)
{
	if (i < BSTAT_SUB)
		return i;
	unsigned shift = (i >> BSTAT_SUB_BITS) - 1;
	return (uint64_t)(BSTAT_SUB + (i & (BSTAT_SUB - 1))) << shift;
}

uint64_t bstat_bucket_high(unsigned i)
{
	if (i < BSTAT_SUB)
		return i;
	unsigned shift = (i >> BSTAT_SUB_BITS) - 1;
	return bstat_bucket_low(i) + (((uint64_t)1 << shift) - 1);
}

void bstat_hist_add(struct bstat_hist *h, uint64_t v)
{
	h->b[bstat_bucket_of(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void bstat_hist_merge(struct bstat_hist *dst, const struct bstat_hist *src)
{
	if (!src->count)
		return;
	for (unsigned i = 0; i < BSTAT_NBUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t bstat_hist_count(const struct bstat_hist *h)
{
	return h->count;
}

uint64_t bstat_hist_min(const struct bstat_hist *h)
{
	return h->count ? h->min : 0;
}

uint64_t bstat_hist_max(const struct bstat_hist *h)
{
	return h->max;
}

double bstat_hist_mean(const struct bstat_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

int bstat_hist_percentile(const struct bstat_hist *h, double p, uint64_t *out)
{
	if (!(p >= 0.0 && p <= 100.0))
		return -EINVAL;
	if (!h->count)
		return -ENODATA;
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	if (rank >= h->count)
		rank = h->count;
	if (rank == 1)
		return *out = h->min, 0;
	if (rank == h->count)
		return *out = h->max, 0;
	uint64_t seen = 0;
	unsigned i;
	for (i = 0; i < BSTAT_NBUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	uint64_t lo = bstat_bucket_low(i), hi = bstat_bucket_high(i);
	uint64_t v = lo + (hi - lo) / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	*out = v;
	return 0;
}
