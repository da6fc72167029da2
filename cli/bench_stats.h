/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench_stats: a log-linear latency histogram for the benchmarks. Fixed size
 * (no per-sample storage), exact below 64 and within 1/64 relative above,
 * mergeable so each thread records into its own and the report merges them. */
#ifndef VTUNE_BENCH_STATS_H
#define VTUNE_BENCH_STATS_H

#include <stdint.h>

/* Sub-buckets per power of two: 2^BSTAT_SUB_BITS. */
#define BSTAT_SUB_BITS 6
#define BSTAT_SUB (1u << BSTAT_SUB_BITS)
#define BSTAT_NBUCKETS ((64 - BSTAT_SUB_BITS + 1) * BSTAT_SUB)

struct bstat_hist;

/* A new, empty histogram, or NULL when out of memory. Free with
 * bstat_hist_free (NULL is accepted there). */
struct bstat_hist *bstat_hist_new(void);
void bstat_hist_free(struct bstat_hist *h);

/* Empty h again. */
void bstat_hist_reset(struct bstat_hist *h);

/* Record one value (any unit; the benches use nanoseconds). Never fails. */
void bstat_hist_add(struct bstat_hist *h, uint64_t v);

/* Add every sample of src into dst (counts, min, max, sum). */
void bstat_hist_merge(struct bstat_hist *dst, const struct bstat_hist *src);

/* Number of samples; smallest, largest and mean value (0 when empty). The
 * mean wraps past a total of 2^64 (584 years of nanoseconds). */
uint64_t bstat_hist_count(const struct bstat_hist *h);
uint64_t bstat_hist_min(const struct bstat_hist *h);
uint64_t bstat_hist_max(const struct bstat_hist *h);
double bstat_hist_mean(const struct bstat_hist *h);

/* The p-th percentile (0 <= p <= 100): the middle of the bucket holding the
 * sample of rank ceil(p/100 * count), clamped to [min, max], so the answer
 * is within half a bucket (1/128 relative) of the true sample; the first
 * and last ranks give the exact min and max.
 * Returns 0, -ENODATA when h is empty, -EINVAL when p is out of range. */
int bstat_hist_percentile(const struct bstat_hist *h, double p, uint64_t *out);

/* Bucket arithmetic, exported for tests: the bucket index of v, and the
 * smallest and largest value of bucket i (i < BSTAT_NBUCKETS). */
unsigned bstat_bucket_of(uint64_t v);
uint64_t bstat_bucket_low(unsigned i);
uint64_t bstat_bucket_high(unsigned i);

#endif
