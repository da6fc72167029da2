/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_vec: the growing array: the first size, doubling, a jump straight to
 * a larger need, contents kept across growth, pushes of any element type,
 * sizes whose bytes would overflow refused with nothing changed, and the
 * zero cases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct big {
	char name[100];
	int v;
};

/* The first allocation: 4 elements and 256 bytes at least, need if more. */
static void test_first_size(void **state)
{
	(void)state;
	char *b = NULL;
	size_t cap = 0;
	assert_int_equal(VEC_RESERVE(b, cap, 1), 0);
	assert_non_null(b);
	assert_int_equal(cap, 256);
	free(b);

	int *v = NULL;
	cap = 0;
	assert_int_equal(VEC_RESERVE(v, cap, 1), 0);
	assert_int_equal(cap, 64);
	free(v);

	struct big *g = NULL;
	cap = 0;
	assert_int_equal(VEC_RESERVE(g, cap, 1), 0);
	assert_int_equal(cap, 4);
	free(g);

	b = NULL;
	cap = 0;
	assert_int_equal(VEC_RESERVE(b, cap, 5000), 0);
	assert_int_equal(cap, 5000);
	free(b);
}

/* Pushes double the capacity, keep what was there, and do not reallocate
 * while there is room. */
static void test_growth_keeps_contents(void **state)
{
	(void)state;
	int *v = NULL;
	size_t n = 0, cap = 0, grew = 0;
	for (int i = 0; i < 10000; i++) {
		size_t before = cap;
		int *p = v;
		assert_int_equal(VEC_PUSH(v, n, cap, i * 7), 0);
		assert_int_equal(n, (size_t)i + 1);
		assert_true(cap >= n);
		if (cap != before) {
			assert_int_equal(cap, before ? 2 * before : 64);
			grew++;
		} else {
			assert_ptr_equal(v, p);
		}
	}
	assert_int_equal(grew, 9); /* 64, 128 .. 16384 */
	for (int i = 0; i < 10000; i++)
		assert_int_equal(v[i], i * 7);

	/* a need beyond twice the capacity: exactly that */
	assert_int_equal(VEC_RESERVE(v, cap, 100000), 0);
	assert_int_equal(cap, 100000);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(v[i], i * 7);
	/* room enough: nothing moves */
	int *p = v;
	assert_int_equal(VEC_RESERVE(v, cap, 99999), 0);
	assert_int_equal(cap, 100000);
	assert_ptr_equal(v, p);
	free(v);

	/* an array allocated elsewhere, its capacity told: grown from there */
	char *s = malloc(3);
	assert_non_null(s);
	memcpy(s, "ab", 3);
	cap = 3;
	assert_int_equal(vec_grow(&s, &cap, 4, 1), 0);
	assert_int_equal(cap, 256);
	assert_string_equal(s, "ab");
	free(s);
}

/* Elements of any type, compound literals (commas and all) included. */
static void test_push_struct(void **state)
{
	(void)state;
	struct big *g = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < 9; i++)
		assert_int_equal(VEC_PUSH(g, n, cap, (struct big){ .name = "x", .v = i }), 0);
	assert_int_equal(n, 9);
	assert_int_equal(cap, 16); /* 4, 8, 16 */
	for (int i = 0; i < 9; i++) {
		assert_string_equal(g[i].name, "x");
		assert_int_equal(g[i].v, i);
	}
	free(g);

	char **names = NULL;
	unsigned nn = 0; /* any integer type for the count */
	cap = 0;
	assert_int_equal(VEC_PUSH(names, nn, cap, "a"), 0);
	assert_int_equal(VEC_PUSH(names, nn, cap, "b"), 0);
	assert_int_equal(nn, 2);
	assert_string_equal(names[1], "b");
	free(names);
}

/* Sizes whose bytes do not fit are refused before any allocation, and the
 * array is left as it was. */
static void test_overflow(void **state)
{
	(void)state;
	int *v = NULL;
	size_t cap = 0;
	/* need * 2 wraps to 0 in size_t: must not become realloc(p, 0) */
	short *s = NULL;
	assert_int_equal(VEC_RESERVE(s, cap, SIZE_MAX / 2 + 1), -EOVERFLOW);
	assert_null(s);
	assert_int_equal(cap, 0);
	assert_int_equal(VEC_RESERVE(v, cap, SIZE_MAX), -EOVERFLOW);
	assert_int_equal(VEC_RESERVE(v, cap, (size_t)PTRDIFF_MAX / sizeof *v + 1), -EOVERFLOW);
	assert_null(v);
	assert_int_equal(cap, 0);

	/* with contents: kept, capacity unchanged */
	assert_int_equal(VEC_RESERVE(v, cap, 3), 0);
	v[0] = 1, v[1] = 2, v[2] = 3;
	int *p = v;
	assert_int_equal(VEC_RESERVE(v, cap, SIZE_MAX / 4 + 2), -EOVERFLOW);
	assert_ptr_equal(v, p);
	assert_int_equal(cap, 64);
	assert_int_equal(v[2], 3);
	free(v);

	/* a push past the limit: refused, the count not moved */
	struct big *g = NULL;
	volatile size_t last = (size_t)PTRDIFF_MAX / sizeof *g; /* hidden from -Warray-bounds */
	size_t n = last;
	cap = 0;
	assert_int_equal(VEC_PUSH(g, n, cap, (struct big){ .v = 1 }), -EOVERFLOW);
	assert_int_equal(n, (size_t)PTRDIFF_MAX / sizeof *g);
	assert_null(g);
	assert_int_equal(cap, 0);
}

/* need 0 allocates nothing; an element size of 0 is refused. */
static void test_zero(void **state)
{
	(void)state;
	int *v = NULL;
	size_t cap = 0;
	assert_int_equal(VEC_RESERVE(v, cap, 0), 0);
	assert_null(v);
	assert_int_equal(cap, 0);
	assert_int_equal(vec_grow(&v, &cap, 1, 0), -EINVAL);
	assert_null(v);
	assert_int_equal(cap, 0);
	assert_int_equal(vec_grow(NULL, &cap, 1, 4), -EINVAL);
	assert_int_equal(vec_grow(&v, NULL, 1, 4), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_size),
		cmocka_unit_test(test_growth_keeps_contents),
		cmocka_unit_test(test_push_struct),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
