/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for jscan: token order and spans, duplicate keys (also
 * escaped and in big objects), numbers bit-for-bit equal to strtod,
 * unescaping, limits and error positions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

static int scan(const char *s, jscan_cb cb, void *arg, struct jscan_result *r)
{
	return jscan(s, strlen(s), 16, 4096, cb, arg, r);
}

struct rec {
	char log[1024];
	size_t n;
	const char *base;
};

static int record(void *arg, const struct jscan_tok *t)
{
	static const char *const names[] = { "O", "A", "E", "K", "S", "N", "T", "F", "Z" };
	struct rec *r = arg;
	r->n += (size_t)snprintf(r->log + r->n, sizeof r->log - r->n, "%s%u@%zu+%zu ",
				 names[t->type], t->depth, (size_t)(t->text - r->base), t->len);
	return 0;
}

static void test_tokens(void **state)
{
	(void)state;
	const char *doc = "{\"a\":[1,\"x\",true,null],\"b\":{},\"c\":false}";
	struct rec r = { .base = doc };
	struct jscan_result res;
	assert_int_equal(scan(doc, record, &r, &res), JSCAN_OK);
	/* keys carry their object's depth + 1; END spans the whole container */
	assert_string_equal(r.log, "O1@0+1 K2@2+1 A2@5+1 N3@6+1 S3@9+1 T3@12+4 Z3@17+4 E2@5+17 "
				   "K2@24+1 O2@27+1 E2@27+2 K2@31+1 F2@34+5 E1@0+40 ");
}

static int stop_at_number(void *arg, const struct jscan_tok *t)
{
	(void)arg;
	return t->type == JS_NUMBER ? 42 : 0;
}

static void test_errors(void **state)
{
	(void)state;
	struct jscan_result r;
	assert_int_equal(scan("{\"a\":1,}", NULL, NULL, &r), JSCAN_SYNTAX);
	assert_string_equal(r.why, "expected a string key");
	assert_int_equal(r.pos, 7);
	assert_int_equal(scan("[1] x", NULL, NULL, &r), JSCAN_SYNTAX);
	assert_string_equal(r.why, "trailing data after the value");
	assert_int_equal(scan("[\"\\u0000\"]", NULL, NULL, &r), JSCAN_SYNTAX);
	assert_int_equal(scan("[\"\\ud800\"]", NULL, NULL, &r), JSCAN_SYNTAX);
	assert_int_equal(scan("[\"\xc0\xaf\"]", NULL, NULL, &r), JSCAN_SYNTAX);
	assert_string_equal(r.why, "invalid UTF-8");
	assert_int_equal(scan("[01]", NULL, NULL, &r), JSCAN_SYNTAX);
	assert_int_equal(scan("[1.]", NULL, NULL, &r), JSCAN_SYNTAX);
	assert_int_equal(scan("[NaN]", NULL, NULL, &r), JSCAN_SYNTAX);
	assert_int_equal(scan("[18446744073709551616]", NULL, NULL, &r), JSCAN_SYNTAX);
	assert_string_equal(r.why, "integer out of 64-bit range");
	assert_int_equal(scan("[18446744073709551615,-9223372036854775808]", NULL, NULL, &r), JSCAN_OK);
	assert_int_equal(scan("[-9223372036854775809]", NULL, NULL, &r), JSCAN_SYNTAX);
	assert_int_equal(scan("{\"a\":[1,-1e400]}", NULL, NULL, &r), JSCAN_RANGE);
	assert_string_equal(r.path, "a[1]");
	assert_int_equal(scan("{\"a\\u0062\":{\"c\":[{\"d\":1e999}]}}", NULL, NULL, &r), JSCAN_RANGE);
	assert_string_equal(r.path, "ab.c[0].d");
	assert_int_equal(scan("[1,2]", stop_at_number, NULL, &r), JSCAN_STOPPED);
	assert_int_equal(r.stopped, 42);
	assert_int_equal(scan("", NULL, NULL, &r), JSCAN_SYNTAX);
}

static void test_limits(void **state)
{
	(void)state;
	struct jscan_result r;
	char deep[64];
	memset(deep, '[', 16);
	memset(deep + 16, ']', 16);
	deep[32] = 0;
	assert_int_equal(scan(deep, NULL, NULL, &r), JSCAN_OK);
	memset(deep, '[', 17);
	memset(deep + 17, ']', 17);
	deep[34] = 0;
	assert_int_equal(scan(deep, NULL, NULL, &r), JSCAN_SYNTAX);
	assert_string_equal(r.why, "nested too deep");
	assert_int_equal(jscan("[[],[],[]]", 10, 16, 3, NULL, NULL, &r), JSCAN_SYNTAX);
	assert_string_equal(r.why, "more than 3 objects and arrays");
	assert_int_equal(jscan("[[],[]]", 7, 16, 3, NULL, NULL, &r), JSCAN_OK);
}

static void test_duplicates(void **state)
{
	(void)state;
	struct jscan_result r;
	assert_int_equal(scan("{\"a\":1,\"a\":2}", NULL, NULL, &r), JSCAN_DUPLICATE);
	assert_string_equal(r.path, "");
	assert_int_equal(r.pos, 7);
	assert_int_equal(scan("{\"x\":{\"b\":1,\"\\u0062\":2}}", NULL, NULL, &r), JSCAN_DUPLICATE);
	assert_string_equal(r.path, "x");
	assert_int_equal(scan("{\"x\":[{\"\\u00e9\":1,\"\xc3\xa9\":2}]}", NULL, NULL, &r), JSCAN_DUPLICATE);
	assert_string_equal(r.path, "x[0]");
	/* the same key in different objects, and keys that only look alike */
	assert_int_equal(scan("{\"a\":{\"x\":1},\"b\":{\"x\":1},\"x\":{\"a\":{}},\"A\":1,\"a \":1}",
			      NULL, NULL, &r), JSCAN_OK);

	/* thousands of keys: the table grows; a late duplicate is still found */
	size_t cap = 400000, n = 0;
	char *big = malloc(cap);
	assert_non_null(big);
	n += (size_t)snprintf(big + n, cap - n, "{");
	for (int i = 0; i < 9000; i++)
		n += (size_t)snprintf(big + n, cap - n, "%s\"k%d\":{\"k%d\":%d}", i ? "," : "", i, i, i);
	snprintf(big + n, cap - n, "}");
	assert_int_equal(jscan(big, strlen(big), 16, 100000, NULL, NULL, &r), JSCAN_OK);
	snprintf(big + n, cap - n, ",\"k4321\":0}");
	assert_int_equal(jscan(big, strlen(big), 16, 100000, NULL, NULL, &r), JSCAN_DUPLICATE);
	assert_string_equal(r.path, "");
	free(big);
}

static double got;

static int grab(void *arg, const struct jscan_tok *t)
{
	(void)arg;
	if (t->type == JS_NUMBER)
		got = t->num;
	return 0;
}

/* Every number must come out exactly as strtod reads it, on and off the
 * fast path (random mantissas, fractions and exponents). */
static void test_numbers_exact(void **state)
{
	(void)state;
	static const char *const fixed[] = {
		"0", "-0", "0.0", "-0.0", "1.5", "0.1", "0.3", "123.456", "1e22", "1e23", "9007199254740993.0",
		"9007199254740992.5", "0.000001", "1.7976931348623157e308", "2.2250738585072014e-308",
		"4.9e-324", "1e-400", "123456789012345678901234567890.0", "0.1234567890123456789",
		"98.03921568627452", "3.14159e-7", "5E+3", "0.00000000000000000000000001",
	};
	char buf[128];
	struct jscan_result r;
	unsigned seed = 12345;
	for (size_t i = 0; i < 300000 + sizeof fixed / sizeof fixed[0]; i++) {
		const char *num;
		if (i < sizeof fixed / sizeof fixed[0]) {
			num = fixed[i];
		} else {
			seed = seed * 1103515245u + 12345u;
			unsigned a = seed >> 8;
			seed = seed * 1103515245u + 12345u;
			unsigned b = seed >> 8, digits = b % 8;
			seed = seed * 1103515245u + 12345u;
			int ex = (int)(seed >> 8) % 60 - 30;
			int len = snprintf(buf, sizeof buf, "%s%u.%0*u", (a & 1) ? "-" : "", a % 100000,
					   (int)digits + 1, b % 100000000);
			if (i % 3 == 0)
				snprintf(buf + len, sizeof buf - (size_t)len, "e%d", ex);
			num = buf;
		}
		char doc[160];
		snprintf(doc, sizeof doc, "[%s]", num);
		got = -12345.678;
		assert_int_equal(scan(doc, grab, NULL, &r), JSCAN_OK);
		double want = strtod(num, NULL);
		if (memcmp(&got, &want, sizeof got))
			fail_msg("%s: jscan %.17g, strtod %.17g", num, got, want);
	}
}

static void test_unescape(void **state)
{
	(void)state;
	const char raw[] = "a\\u00e9\\ud83d\\ude00\\n\\\"\\/\\\\\\t\\b\\f\\rz";
	char out[sizeof raw];
	size_t n = jscan_unescape(raw, strlen(raw), out);
	assert_int_equal(n, 1 + 2 + 4 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1);
	assert_memory_equal(out, "a\xc3\xa9\xf0\x9f\x98\x80\n\"/\\\t\b\f\rz", n + 1);
	assert_true(jscan_utf8_valid("\xe2\x82\xac", 3));
	assert_false(jscan_utf8_valid("\xed\xa0\x80", 3)); /* a surrogate */
	assert_false(jscan_utf8_valid("\xf4\x90\x80\x80", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_numbers_exact),
		cmocka_unit_test(test_unescape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
