/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_sanitize: escaping of what a terminal must never get raw: C0 (tab
 * kept), DEL, C1 (as UTF-8 and as stray bytes), bidi controls, malformed
 * UTF-8; valid UTF-8 kept; cuts only at whole escapes; JSON trees and
 * their member names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sanitize.h"

#include <string.h>

static const char *esc(const char *in)
{
	static char out[512];
	san_text(in, strlen(in), out, sizeof out);
	return out;
}

static void test_text(void **state)
{
	(void)state;
	assert_string_equal(esc("plain text, tab\there"), "plain text, tab\there");
	assert_string_equal(esc("caf\xc3\xa9 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
	/* the attack: title, clear screen, red, a forged line */
	assert_string_equal(esc("\x1b]0;pwned\x07\x1b[2J\x1b[31mX\nvtune: error: y"),
			    "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mX\\x0avtune: error: y");
	assert_string_equal(esc("a\x7f" "b\r"), "a\\x7fb\\x0d");
	/* C1: U+009B (CSI) as UTF-8, and the raw byte 0x9b (not UTF-8) */
	assert_string_equal(esc("\xc2\x9b" "31m"), "\\u{009b}31m");
	assert_string_equal(esc("\x9b" "31m"), "\\x9b31m");
	/* bidi: RLO, LRI..PDI, RLM, ALM */
	assert_string_equal(esc("\xe2\x80\xae" "evil"), "\\u{202e}evil");
	assert_string_equal(esc("\xe2\x81\xa6" "x" "\xe2\x81\xa9"), "\\u{2066}x\\u{2069}");
	assert_string_equal(esc("\xe2\x80\x8f" "\xd8\x9c"), "\\u{200f}\\u{061c}");
	/* malformed: overlong, surrogate, truncated */
	assert_string_equal(esc("\xc0\xaf"), "\\xc0\\xaf");
	assert_string_equal(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	assert_string_equal(esc("x\xe2\x80"), "x\\xe2\\x80");
	assert_int_equal(san_needed("ok \xc3\xa9", 5), 0);
	assert_int_equal(san_needed("\x1b", 1), 1);
	/* cut at a whole escape, always terminated */
	char small[6];
	assert_int_equal(san_text("ab\x1b" "cd", 5, small, sizeof small), 2);
	assert_string_equal(small, "ab");
	char buf[16] = "x\x1by";
	assert_int_equal(san_inplace(buf, sizeof buf), 1);
	assert_string_equal(buf, "x\\x1by");
	assert_int_equal(san_inplace(buf, sizeof buf), 0);
}

static void test_json(void **state)
{
	(void)state;
	json_object *o = json_tokener_parse(
		"{\"listeners\":[{\"addr\":\"\\u001b[2J\",\"port\":80}],"
		"\"\\u202ekey\":\"v\\u009b\",\"ok\":\"fine\",\"n\":1}");
	assert_non_null(o);
	assert_int_equal(san_json(o), 3);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	assert_non_null(strstr(s, "\"addr\":\"\\\\x1b[2J\""));
	assert_non_null(strstr(s, "\"\\\\u{202e}key\":\"v\\\\u{009b}\""));
	assert_non_null(strstr(s, "\"ok\":\"fine\""));
	assert_null(strstr(s, "\\u001b"));
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
