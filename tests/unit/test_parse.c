/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_parse: the one number parser every reader of kernel, policy and
 * guest text goes through — what it takes, what it refuses and why:
 * decimal, hexadecimal, numbers inside a text and sysctl vectors, at
 * their limits — and the in-place tokeniser and line splitter. */
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

/* More edges: NULL everywhere, signs and zeros, the fast path's limit. */
static void test_edges(void **state)
{
	(void)state;
	uint64_t u = 9;
	int64_t i = 9;
	double d = 9;
	assert_int_equal(parse_i64(NULL, &i), -EINVAL);
	assert_int_equal(parse_double(NULL, &d), -EINVAL);
	assert_int_equal(parse_i64("-0", &i), 0);
	assert_true(i == 0);
	assert_int_equal(parse_i64("0", &i), 0);
	assert_true(i == 0);
	/* 18 digits take the fast path, 19 strtoll's; both exact */
	assert_int_equal(parse_i64("999999999999999999", &i), 0);
	assert_true(i == 999999999999999999ll);
	assert_int_equal(parse_i64("-999999999999999999", &i), 0);
	assert_true(i == -999999999999999999ll);
	assert_int_equal(parse_i64("1000000000000000000", &i), 0);
	assert_true(i == 1000000000000000000ll);
	/* a 20-digit u64 with leading zeros is still in range */
	assert_int_equal(parse_u64("00000000000000000042", &u), 0);
	assert_true(u == 42);
	assert_int_equal(parse_u64("99999999999999999999", &u), -ERANGE);
	assert_int_equal(parse_double("+1", &d), 0);
	assert_true(d == 1);
	assert_int_equal(parse_double("1e-5", &d), 0);
	assert_true(d == 1e-5);
	assert_int_equal(parse_double("-", &d), -EINVAL);
	assert_int_equal(parse_double("1e", &d), -EINVAL);
	assert_int_equal(parse_double("1..2", &d), -EINVAL);
	/* parse_u64_n: the bytes after n are not looked at; over the limit */
	assert_int_equal(parse_u64_n("18446744073709551616", 20, &u), -ERANGE);
	assert_int_equal(parse_u64_n("18446744073709551615x", 20, &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(parse_u64_n("-1", 2, &u), -EINVAL);
	assert_int_equal(parse_u64_n(" 1", 2, &u), -EINVAL);
	/* the tokeniser with room for none, and a line with a newline at the end */
	char line[] = "a b";
	assert_int_equal(parse_split(line, NULL, 0), 2);
	char text[] = "one\n";
	char *cur = text, *l;
	assert_non_null(l = parse_next_line(&cur));
	assert_string_equal(l, "one");
	assert_null(parse_next_line(&cur));
}

static void test_x64(void **state)
{
	(void)state;
	uint64_t v = 7;
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "f", 15 }, { "F", 15 }, { "0x8086", 0x8086 }, { "0X1b36", 0x1b36 },
		{ "000001ffffffffff", 0x1ffffffffffull }, { "ffffffffffffffff", UINT64_MAX },
		{ "0000000000000000000000001", 1 }, { "0x0", 0 },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		assert_int_equal(parse_x64(ok[i].s, &v), 0);
		assert_true(v == ok[i].v);
	}
	v = 5;
	assert_int_equal(parse_x64("10000000000000000", &v), -ERANGE);
	assert_int_equal(parse_x64("0x1ffffffffffffffff", &v), -ERANGE);
	assert_true(v == 5); /* untouched on error */
	static const char *const bad[] = { "", "0x", "x1", "0xg", "g", " 1", "1 ", "-1", "+1",
					   "1\n", "0x0x1", "12345678901234567z", "1.0" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(parse_x64(bad[i], &v), -EINVAL);
	assert_int_equal(parse_x64(NULL, &v), -EINVAL);
	assert_true(v == 5);
}

static void test_prefix(void **state)
{
	(void)state;
	uint64_t v = 7;
	const char *e = NULL;
	const char *s = "12-34,5";
	assert_int_equal(parse_u64_prefix(s, &e, &v), 0);
	assert_true(v == 12);
	assert_ptr_equal(e, s + 2);
	assert_int_equal(parse_u64_prefix(e + 1, &e, &v), 0);
	assert_true(v == 34);
	assert_string_equal(e, ",5");
	assert_int_equal(parse_u64_prefix("7", &e, &v), 0);
	assert_true(v == 7);
	assert_string_equal(e, "");
	assert_int_equal(parse_u64_prefix("18446744073709551615.", &e, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_string_equal(e, ".");
	/* overflow: refused, and the end is still past the digits */
	v = 3;
	assert_int_equal(parse_u64_prefix("18446744073709551616,1", &e, &v), -ERANGE);
	assert_true(v == 3);
	assert_string_equal(e, ",1");
	e = NULL;
	static const char *const bad[] = { "", "-1", "+1", " 1", "x", ",1" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(parse_u64_prefix(bad[i], &e, &v), -EINVAL);
	assert_int_equal(parse_u64_prefix(NULL, &e, &v), -EINVAL);
	assert_null(e); /* not set when there is no number */
}

static void test_fields(void **state)
{
	(void)state;
	uint64_t v[3] = { 9, 9, 9 };
	/* as the kernel prints ip_local_port_range and tcp_mem */
	assert_int_equal(parse_u64_fields("32768\t60999", v, 2), 0);
	assert_true(v[0] == 32768 && v[1] == 60999);
	assert_int_equal(parse_u64_fields("188049\t250733\t376098\n", v, 3), 0);
	assert_true(v[0] == 188049 && v[1] == 250733 && v[2] == 376098);
	assert_int_equal(parse_u64_fields("  1 2  ", v, 2), 0);
	assert_true(v[0] == 1 && v[1] == 2);
	assert_int_equal(parse_u64_fields("5", v, 1), 0);
	assert_true(v[0] == 5);
	v[0] = v[1] = v[2] = 9;
	static const char *const bad[] = { "", " ", "1", "1 2 3", "1,2", "1 -2", "1 +2", "1 2x",
					   "1 0x2", "a b", "1 2 ;" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(parse_u64_fields(bad[i], v, 2), -EINVAL);
	assert_int_equal(parse_u64_fields("1 18446744073709551616", v, 2), -ERANGE);
	assert_true(v[0] == 9 && v[1] == 9); /* nothing written on error */
	assert_int_equal(parse_u64_fields(NULL, v, 2), -EINVAL);
	assert_int_equal(parse_u64_fields("1", v, 0), -EINVAL);
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
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_x64),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
