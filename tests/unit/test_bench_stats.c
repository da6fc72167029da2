/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_bench_stats: the log-linear latency histogram of the benchmarks:
 * bucket arithmetic, percentiles of known distributions, empty and merged
 * histograms. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "bench_stats.h"

/* |got - want| within the bucket error: 1/128 relative (half a bucket of
 * width 1/64), or exact below 64. */
static void assert_close(uint64_t got, uint64_t want)
{
	double tol = want < BSTAT_SUB ? 0.0 : (double)want / 128.0 + 1.0;
	double d = fabs((double)got - (double)want);
	if (d > tol)
		fail_msg("got %llu, want %llu (+/- %.1f)",
			 (unsigned long long)got, (unsigned long long)want, tol);
}

static void test_buckets_contiguous(void **state)
{
	(void)state;
	assert_int_equal(bstat_bucket_low(0), 0);
	for (unsigned i = 1; i < BSTAT_NBUCKETS; i++) {
		assert_true(bstat_bucket_low(i) == bstat_bucket_high(i - 1) + 1);
		assert_true(bstat_bucket_high(i) >= bstat_bucket_low(i));
	}
	assert_true(bstat_bucket_high(BSTAT_NBUCKETS - 1) == UINT64_MAX);
}

static void test_bucket_of_bounds(void **state)
{
	(void)state;
	static const uint64_t vs[] = { 0, 1, 63, 64, 65, 127, 128, 1000, 123456789,
				       (uint64_t)1 << 40, UINT64_MAX - 1, UINT64_MAX };
	for (size_t k = 0; k < sizeof vs / sizeof *vs; k++) {
		unsigned i = bstat_bucket_of(vs[k]);
		assert_true(i < BSTAT_NBUCKETS);
		assert_true(bstat_bucket_low(i) <= vs[k]);
		assert_true(vs[k] <= bstat_bucket_high(i));
		/* width within 1/64 of the low edge above the linear range */
		uint64_t lo = bstat_bucket_low(i), w = bstat_bucket_high(i) - lo + 1;
		if (lo >= BSTAT_SUB)
			assert_true(w * 64 <= lo);
		else
			assert_int_equal(w, 1);
	}
}

static void test_empty(void **state)
{
	(void)state;
	struct bstat_hist *h = bstat_hist_new();
	uint64_t v = 42;
	assert_non_null(h);
	assert_int_equal(bstat_hist_percentile(h, 50, &v), -ENODATA);
	assert_int_equal(v, 42);
	assert_int_equal(bstat_hist_count(h), 0);
	assert_int_equal(bstat_hist_min(h), 0);
	assert_int_equal(bstat_hist_max(h), 0);
	assert_true(bstat_hist_mean(h) == 0.0);
	bstat_hist_free(h);
	bstat_hist_free(NULL);
}

static void test_bad_percentile(void **state)
{
	(void)state;
	struct bstat_hist *h = bstat_hist_new();
	uint64_t v;
	bstat_hist_add(h, 5);
	assert_int_equal(bstat_hist_percentile(h, -1, &v), -EINVAL);
	assert_int_equal(bstat_hist_percentile(h, 100.5, &v), -EINVAL);
	assert_int_equal(bstat_hist_percentile(h, NAN, &v), -EINVAL);
	bstat_hist_free(h);
}

static void test_single_value(void **state)
{
	(void)state;
	struct bstat_hist *h = bstat_hist_new();
	uint64_t v;
	bstat_hist_add(h, 123457);
	/* clamped to [min, max]: one sample is reported exactly */
	assert_int_equal(bstat_hist_percentile(h, 0, &v), 0);
	assert_int_equal(v, 123457);
	assert_int_equal(bstat_hist_percentile(h, 99.9, &v), 0);
	assert_int_equal(v, 123457);
	bstat_hist_free(h);
}

static void test_small_values_exact(void **state)
{
	(void)state;
	struct bstat_hist *h = bstat_hist_new();
	uint64_t v;
	for (uint64_t i = 1; i <= 50; i++)
		bstat_hist_add(h, i);
	assert_int_equal(bstat_hist_percentile(h, 50, &v), 0);
	assert_int_equal(v, 25);
	assert_int_equal(bstat_hist_percentile(h, 2, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(bstat_hist_percentile(h, 100, &v), 0);
	assert_int_equal(v, 50);
	bstat_hist_free(h);
}

static void test_uniform(void **state)
{
	(void)state;
	struct bstat_hist *h = bstat_hist_new();
	uint64_t v;
	/* 1..1,000,000 ns: the p-th percentile is p * 10,000 */
	for (uint64_t i = 1; i <= 1000000; i++)
		bstat_hist_add(h, i);
	assert_int_equal(bstat_hist_count(h), 1000000);
	assert_int_equal(bstat_hist_min(h), 1);
	assert_int_equal(bstat_hist_max(h), 1000000);
	assert_true(fabs(bstat_hist_mean(h) - 500000.5) < 1e-6);
	static const double ps[] = { 1, 10, 50, 90, 99, 99.9, 99.99 };
	for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
		assert_int_equal(bstat_hist_percentile(h, ps[k], &v), 0);
		assert_close(v, (uint64_t)llround(ps[k] * 10000));
	}
	assert_int_equal(bstat_hist_percentile(h, 100, &v), 0);
	assert_int_equal(v, 1000000);
	bstat_hist_free(h);
}

static void test_bimodal_tail(void **state)
{
	(void)state;
	struct bstat_hist *h = bstat_hist_new();
	uint64_t v;
	/* 990 fast samples at 20 us, 10 slow at 1 s: p99 fast, p99.9 slow */
	for (int i = 0; i < 990; i++)
		bstat_hist_add(h, 20000);
	for (int i = 0; i < 10; i++)
		bstat_hist_add(h, 1000000000);
	assert_int_equal(bstat_hist_percentile(h, 50, &v), 0);
	assert_close(v, 20000);
	assert_int_equal(bstat_hist_percentile(h, 99, &v), 0);
	assert_close(v, 20000);
	assert_int_equal(bstat_hist_percentile(h, 99.1, &v), 0);
	assert_close(v, 1000000000);
	assert_int_equal(bstat_hist_percentile(h, 99.9, &v), 0);
	assert_close(v, 1000000000);
	bstat_hist_free(h);
}

static void test_merge(void **state)
{
	(void)state;
	struct bstat_hist *a = bstat_hist_new(), *b = bstat_hist_new();
	struct bstat_hist *all = bstat_hist_new(), *empty = bstat_hist_new();
	uint64_t va, vall;
	/* two "threads" with different ranges, and one that saw nothing */
	srand(7);
	for (int i = 0; i < 100000; i++) {
		uint64_t x = 1000 + (uint64_t)(rand() % 50000);
		uint64_t y = 200000 + (uint64_t)(rand() % 800000);
		bstat_hist_add(a, x);
		bstat_hist_add(b, y);
		bstat_hist_add(all, x);
		bstat_hist_add(all, y);
	}
	bstat_hist_merge(a, b);
	bstat_hist_merge(a, empty);
	assert_int_equal(bstat_hist_count(a), 200000);
	assert_int_equal(bstat_hist_min(a), bstat_hist_min(all));
	assert_int_equal(bstat_hist_max(a), bstat_hist_max(all));
	assert_true(bstat_hist_mean(a) == bstat_hist_mean(all));
	static const double ps[] = { 0, 25, 50, 75, 99, 99.9, 100 };
	for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
		assert_int_equal(bstat_hist_percentile(a, ps[k], &va), 0);
		assert_int_equal(bstat_hist_percentile(all, ps[k], &vall), 0);
		assert_int_equal(va, vall);
	}
	/* the median of the merge lies between the two ranges */
	assert_int_equal(bstat_hist_percentile(a, 50, &va), 0);
	assert_true(va >= 50000 && va <= 201000);
	/* merging into an empty histogram copies min as well */
	bstat_hist_merge(empty, b);
	assert_int_equal(bstat_hist_min(empty), bstat_hist_min(b));
	bstat_hist_reset(a);
	assert_int_equal(bstat_hist_count(a), 0);
	assert_int_equal(bstat_hist_percentile(a, 50, &va), -ENODATA);
	bstat_hist_free(a);
	bstat_hist_free(b);
	bstat_hist_free(all);
	bstat_hist_free(empty);
}

static void test_huge_values(void **state)
{
	(void)state;
	struct bstat_hist *h = bstat_hist_new();
	uint64_t v;
	bstat_hist_add(h, UINT64_MAX);
	bstat_hist_add(h, 0);
	assert_int_equal(bstat_hist_percentile(h, 100, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(bstat_hist_percentile(h, 50, &v), 0);
	assert_int_equal(v, 0);
	bstat_hist_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_contiguous),
		cmocka_unit_test(test_bucket_of_bounds),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bad_percentile),
		cmocka_unit_test(test_single_value),
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_bimodal_tail),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_huge_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
