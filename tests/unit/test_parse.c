/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_parse: the one number parser every reader of kernel, policy and
 * guest text goes through — what it takes, what it refuses and why — and
 * the in-place tokeniser and line splitter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "parse.h"

#include <errno.h>
#include <string.h>

static void test_u64(void **state)
{
	(void)state;
	uint64_t v = 7;
	assert_int_equal(parse_u64("0", &v), 0);
	assert_true(v == 0);
	assert_int_equal(parse_u64("4096", &v), 0);
	assert_true(v == 4096);
	assert_int_equal(parse_u64("007", &v), 0); /* leading zeros: the kernel prints none, but harmless */
	assert_true(v == 7);
	/* the 19-digit fast path and strtoull's beyond it */
	assert_int_equal(parse_u64("9999999999999999999", &v), 0);
	assert_true(v == 9999999999999999999ull);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	v = 5;
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	assert_true(v == 5); /* untouched on error */
	static const char *const bad[] = { "", " 1", "1 ", "+1", "-1", "0x10", "1.0", "1e3",
					   "12a", "a12", "1\n" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(parse_u64(bad[i], &v), -EINVAL);
	assert_int_equal(parse_u64(NULL, &v), -EINVAL);
}

static void test_i64(void **state)
{
	(void)state;
	int64_t v = 0;
	assert_int_equal(parse_i64("-1", &v), 0);
	assert_true(v == -1);
	assert_int_equal(parse_i64("123456789012345678", &v), 0);
	assert_true(v == 123456789012345678ll);
	assert_int_equal(parse_i64("9223372036854775807", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse_i64("-9223372036854775808", &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(parse_i64("9223372036854775808", &v), -ERANGE);
	assert_int_equal(parse_i64("-9223372036854775809", &v), -ERANGE);
	static const char *const bad[] = { "", "-", "--1", "+1", " -1", "-1 ", "1-", "0x1" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(parse_i64(bad[i], &v), -EINVAL);
}

static void test_double(void **state)
{
	(void)state;
	double v = 0;
	assert_int_equal(parse_double("1.5", &v), 0);
	assert_true(v == 1.5);
	assert_int_equal(parse_double("-2", &v), 0);
	assert_true(v == -2);
	assert_int_equal(parse_double("1e3", &v), 0);
	assert_true(v == 1000);
	assert_int_equal(parse_double(".25", &v), 0);
	assert_true(v == 0.25);
	/* strtod would take all of these: none is a number here */
	static const char *const bad[] = { "", " 1", "1 ", "nan", "inf", "-inf", "0x1p3", "1,5",
					   "1.5x", "e3", "." };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(parse_double(bad[i], &v), -EINVAL);
	assert_int_equal(parse_double("1e400", &v), -ERANGE);
	assert_int_equal(parse_double("-1e400", &v), -ERANGE);
}

static void test_u64_n(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_int_equal(parse_u64_n("123abc", 3, &v), 0);
	assert_true(v == 123);
	assert_int_equal(parse_u64_n("123abc", 4, &v), -EINVAL);
	assert_int_equal(parse_u64_n("1", 0, &v), -EINVAL);
	assert_int_equal(parse_u64_n("00000000000000000000000000000000001", 35, &v), -ERANGE);
}

static void test_split(void **state)
{
	(void)state;
	char line[] = "  cpu0  10 \t20 30\n";
	char *tok[3];
	assert_int_equal(parse_split(line, tok, 3), 4); /* counts all, stores max */
	assert_string_equal(tok[0], "cpu0");
	assert_string_equal(tok[1], "10");
	assert_string_equal(tok[2], "20");
	char empty[] = " \t ";
	assert_int_equal(parse_split(empty, tok, 3), 0);
	char one[] = "x";
	assert_int_equal(parse_split(one, tok, 3), 1);
	assert_string_equal(tok[0], "x");
}

static void test_lines(void **state)
{
	(void)state;
	char text[] = "a b\n\nlast";
	char *cur = text, *l;
	assert_non_null(l = parse_next_line(&cur));
	assert_string_equal(l, "a b");
	assert_non_null(l = parse_next_line(&cur));
	assert_string_equal(l, ""); /* an empty line is a line */
	assert_non_null(l = parse_next_line(&cur));
	assert_string_equal(l, "last"); /* no newline at the end */
	assert_null(parse_next_line(&cur));
	assert_null(parse_next_line(&cur));
	char *none = NULL;
	assert_null(parse_next_line(&none));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_i64),
		cmocka_unit_test(test_double),
		cmocka_unit_test(test_u64_n),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
