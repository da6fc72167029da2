/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_metrics: the metric catalogue: every name is found by lookup, unknown
 * names are not, names are unique and well formed, ranges by unit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "metrics.h"

static void test_lookup_every_name(void **state)
{
	(void)state;
	for (int i = 0; i < M_COUNT; i++)
		assert_int_equal(metric_lookup(metric_defs[i].name), i);
	assert_int_equal(metric_lookup("guest.cpu.stea"), -1);
	assert_int_equal(metric_lookup("guest.cpu.steal "), -1);
	assert_int_equal(metric_lookup(""), -1);
	assert_int_equal(metric_lookup("zzz"), -1);
	assert_int_equal(metric_lookup("a"), -1);
}

static void test_names_unique_and_prefixed(void **state)
{
	(void)state;
	for (int i = 0; i < M_COUNT; i++) {
		const char *n = metric_defs[i].name;
		assert_true(!strncmp(n, "guest.", 6) || !strncmp(n, "host.", 5));
		for (int j = i + 1; j < M_COUNT; j++)
			assert_string_not_equal(n, metric_defs[j].name);
	}
}

static void test_mvec_and_ranges(void **state)
{
	(void)state;
	struct mvec m;
	double lo, hi;
	mvec_clear(&m);
	assert_false(mvec_has(&m, M_GUEST_CPU_STEAL));
	assert_true(isnan(mvec_get(&m, M_GUEST_CPU_STEAL)));
	mvec_set(&m, M_GUEST_CPU_STEAL, 12.5);
	assert_true(mvec_has(&m, M_GUEST_CPU_STEAL));
	assert_true(mvec_get(&m, M_GUEST_CPU_STEAL) == 12.5);
	mvec_set(&m, M_COUNT, 1); /* out of range: ignored */
	assert_false(mvec_has(&m, -1));
	metric_range(MU_PCT, &lo, &hi);
	assert_true(lo == 0 && hi == 100);
	metric_range(MU_BOOL, &lo, &hi);
	assert_true(lo == 0 && hi == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_every_name),
		cmocka_unit_test(test_names_unique_and_prefixed),
		cmocka_unit_test(test_mvec_and_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
