/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for strmap: put, get, replace, delete (also from the middle of
 * a chain) and growth to thousands of keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "strmap.h"

static void test_basic(void **state)
{
	(void)state;
	struct strmap *m = strmap_new();
	int a, b;
	assert_non_null(m);
	assert_null(strmap_get(m, "x"));
	assert_int_equal(strmap_put(m, "x", &a), 0);
	assert_ptr_equal(strmap_get(m, "x"), &a);
	assert_int_equal(strmap_put(m, "x", &b), 0);
	assert_ptr_equal(strmap_get(m, "x"), &b);
	assert_null(strmap_get(m, "x "));
	assert_null(strmap_get(m, ""));
	strmap_del(m, "x");
	assert_null(strmap_get(m, "x"));
	strmap_del(m, "x"); /* absent: fine */
	strmap_free(m);
	strmap_free(NULL);
}

static void test_many(void **state)
{
	(void)state;
	enum { N = 20000 };
	static char names[N][16];
	struct strmap *m = strmap_new();
	assert_non_null(m);
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "guest-%d", i);
		assert_int_equal(strmap_put(m, names[i], names[i]), 0);
	}
	for (int i = 0; i < N; i++)
		assert_ptr_equal(strmap_get(m, names[i]), names[i]);
	/* every third gone; the others (chain neighbours among them) stay */
	for (int i = 0; i < N; i += 3)
		strmap_del(m, names[i]);
	for (int i = 0; i < N; i++) {
		char k[16];
		snprintf(k, sizeof k, "guest-%d", i); /* an equal key, another pointer */
		if (i % 3)
			assert_ptr_equal(strmap_get(m, k), names[i]);
		else
			assert_null(strmap_get(m, k));
	}
	strmap_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
