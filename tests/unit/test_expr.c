/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_expr: the policy condition language: precedence, units, error
 * columns, unit mismatches, three-valued evaluation of missing metrics. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "expr.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct mvec g, h;

static int setup(void **state)
{
	(void)state;
	mvec_clear(&g);
	mvec_clear(&h);
	return 0;
}

/* Parse and evaluate; fails the test on a parse error. Returns the eval
 * result code and the value in *v. */
static int ev(const char *src, double *v)
{
	struct expr *e = NULL;
	char err[256];
	int col = -1;
	int r = expr_parse(src, &e, &col, err, sizeof err);
	if (r)
		fail_msg("parse '%s': col %d: %s", src, col, err);
	*v = -1;
	r = expr_eval(e, &g, &h, v);
	expr_free(e);
	return r;
}

static int truth(const char *src)
{
	double v;
	int r = ev(src, &v);
	if (r)
		fail_msg("'%s' evaluated to unknown (%d)", src, r);
	return v != 0;
}

/* Expect a parse error at col (0-based) whose message contains needle. */
static void bad(const char *src, int col, const char *needle)
{
	struct expr *e = (struct expr *)1;
	char err[256] = "";
	int c = -1;
	int r = expr_parse(src, &e, &c, err, sizeof err);
	if (r != -EINVAL)
		fail_msg("'%s' parsed, expected an error", src);
	assert_null(e);
	if (c != col)
		fail_msg("'%s': error at col %d, expected %d (%s)", src, c, col, err);
	if (!strstr(err, needle))
		fail_msg("'%s': message '%s' lacks '%s'", src, err, needle);
}

static void test_precedence(void **state)
{
	double v;
	(void)state;
	assert_true(truth("1 + 2 * 3 == 7"));
	assert_false(truth("1 + 2 * 3 == 9"));
	assert_true(truth("(1 + 2) * 3 == 9"));
	assert_true(truth("10 - 4 - 3 == 3"));		/* left associative */
	assert_true(truth("12 / 3 / 2 == 2"));
	assert_true(truth("-2 * 3 == -6"));
	/* not binds tighter than and, and tighter than or */
	assert_true(truth("not 1 > 2 and 2 > 1"));
	assert_false(truth("not (1 < 2 and 2 > 1)"));
	assert_true(truth("1 > 2 and 2 > 1 or 3 > 2"));
	assert_false(truth("1 > 2 and (2 > 1 or 3 > 2)"));
	assert_true(truth("1 <= 1 and 1 >= 1 and 1 != 2 and not 1 == 2"));
	assert_int_equal(ev("2 > 1", &v), 0);
	assert_true(v == 1.0);
}

static void test_units(void **state)
{
	(void)state;
	mvec_set(&g, M_GUEST_CPU_STEAL, 12);
	mvec_set(&g, M_GUEST_TCP_PASSIVE_OPENS, 6000);
	mvec_set(&g, M_GUEST_CONNTRACK_EST_TIMEOUT, 7200);
	mvec_set(&g, M_GUEST_TCP_INUSE, 2500000);
	assert_true(truth("guest.cpu.steal > 10%"));
	assert_false(truth("guest.cpu.steal > 12.5%"));
	assert_true(truth("guest.cpu.steal > 10"));	/* a plain number goes with any unit */
	assert_true(truth("guest.tcp.passive_opens > 5k/s"));
	assert_false(truth("guest.tcp.passive_opens > 6.5k/s"));
	assert_true(truth("guest.tcp.passive_opens >= 6000/s"));
	assert_true(truth("guest.conntrack.established_timeout == 2h"));
	assert_true(truth("guest.conntrack.established_timeout == 120m"));
	assert_true(truth("guest.conntrack.established_timeout > 7199500ms"));
	assert_false(truth("guest.conntrack.established_timeout > 7200s"));
	assert_true(truth("guest.tcp.inuse > 2M and guest.tcp.inuse < 3M"));
	assert_true(truth("guest.tcp.inuse < 0.003G"));
	/* a rate scaled by a plain number keeps its unit */
	assert_true(truth("guest.tcp.passive_opens * 2 > 10k/s"));
}

static void test_arith_between_metrics(void **state)
{
	double v;
	(void)state;
	mvec_set(&g, M_GUEST_CONNTRACK_COUNT, 95000);
	mvec_set(&g, M_GUEST_CONNTRACK_MAX, 100000);
	assert_true(truth("guest.conntrack.count / guest.conntrack.max > 0.9"));
	assert_false(truth("guest.conntrack.count / guest.conntrack.max > 0.96"));
	assert_true(truth("guest.conntrack.max - guest.conntrack.count == 5k"));
	/* division by zero is unknown, not infinity */
	mvec_set(&g, M_GUEST_CONNTRACK_MAX, 0);
	assert_int_equal(ev("guest.conntrack.count / guest.conntrack.max > 0.9", &v), -ENODATA);
}

static void test_missing_metric_is_unknown(void **state)
{
	double v;
	(void)state;
	mvec_set(&g, M_GUEST_CPU_STEAL, 20);
	/* conntrack absent: never true, whichever way it is asked */
	assert_int_equal(ev("guest.conntrack.fill > 80%", &v), -ENODATA);
	assert_int_equal(ev("guest.conntrack.fill <= 80%", &v), -ENODATA);
	assert_int_equal(ev("not guest.conntrack.fill > 80%", &v), -ENODATA);
	assert_int_equal(ev("guest.conntrack.fill > 80% and guest.cpu.steal > 10%", &v), -ENODATA);
	/* three-valued: a known side can still decide */
	assert_int_equal(ev("guest.conntrack.fill > 80% or guest.cpu.steal > 10%", &v), 0);
	assert_true(v == 1);
	assert_int_equal(ev("guest.conntrack.fill > 80% and guest.cpu.steal > 50%", &v), 0);
	assert_true(v == 0);
	assert_int_equal(ev("guest.conntrack.fill > 80% or guest.cpu.steal > 50%", &v), -ENODATA);
	/* host metrics come from the host vector only */
	mvec_set(&g, M_HOST_DOM0_BUSY, 90);	/* in the wrong vector */
	assert_int_equal(ev("host.dom0.busy >= 80%", &v), -ENODATA);
	mvec_set(&h, M_HOST_DOM0_BUSY, 90);
	assert_true(truth("host.dom0.busy >= 80% and guest.cpu.steal >= 10%"));
	/* NULL vectors: everything unknown */
	struct expr *e;
	int col;
	char err[128];
	assert_int_equal(expr_parse("host.dom0.busy > 1", &e, &col, err, sizeof err), 0);
	assert_int_equal(expr_eval(e, &g, NULL, &v), -ENODATA);
	expr_free(e);
}

static void test_unknown_metric_col(void **state)
{
	(void)state;
	bad("guest.cpu.steal > 1 and guest.nope > 2", 24, "unknown metric 'guest.nope'");
	bad("guest.tcp.listen_overflow > 10/s", 0, "unknown metric 'guest.tcp.listen_overflow'");
	bad("  (host.cpu.busy > 80%)", 3, "unknown metric 'host.cpu.busy'");
	bad("s > 1", 0, "unknown metric 's'");
}

static void test_unit_mismatch(void **state)
{
	(void)state;
	bad("guest.tcp.passive_opens > 10%", 26, "unit mismatch");
	bad("guest.cpu.steal > 10/s", 18, "unit mismatch");
	bad("guest.tcp.inuse > 5s", 18, "unit mismatch");
	bad("guest.conntrack.established_timeout < 50%", 38, "unit mismatch");
	bad("10/s < guest.cpu.steal", 0, "unit mismatch");
	bad("guest.cpu.steal > guest.tcp.passive_opens", 18, "unit mismatch");
	bad("guest.cpu.steal + guest.tcp.passive_opens > 1", 18, "unit mismatch in '+'");
	bad("guest.cpu.steal > 1k", 18, "k/M/G multipliers");
	bad("guest.conntrack.established_timeout > 1k", 38, "k/M/G multipliers");
	bad("guest.cpu.steal > 1k%", 19, "multiplier cannot go with");
	/* a ratio of two metrics is a plain number: % does not go with it */
	bad("guest.conntrack.count / guest.conntrack.max > 90%", 46, "unit mismatch");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	bad("", 0, "empty condition");
	bad("   ", 3, "empty condition");
	bad("guest.cpu.steal >", 17, "ends too early");
	bad("(guest.cpu.steal > 1", 20, "expected ')'");
	bad("guest.cpu.steal > 1)", 19, "without a matching '('");
	bad("guest.cpu.steal", 0, "is a number, not a condition");
	bad("guest.cpu.steal > 1 and 5", 24, "not a condition");
	bad("guest.cpu.steal = 1", 16, "use '=='");
	bad("1 < 2 < 3", 6, "do not chain");
	bad("guest.cpu.steal > 10xyz", 20, "unknown unit 'xyz'");
	bad("guest.cpu.steal > 1.", 20, "digit must follow");
	bad("guest.cpu.steal > 1 && 2 > 1", 20, "unexpected character '&'");
	bad("guest.cpu.steal > 1 2", 20, "expected 'and', 'or'");
	bad("(1 > 2) + 1 > 0", 0, "is a condition, not a number");
	bad("not 5", 4, "not a condition");
	bad("guest.cpu.steal > 1 \x01", 20, "unexpected byte 0x01");
}

static void test_hostile_input(void **state)
{
	(void)state;
	/* deep nesting and endless chains are refused, not recursed into */
	char *s = malloc(20001);
	assert_non_null(s);
	memset(s, '(', 20000);
	s[20000] = '\0';
	bad(s, 64, "nested too deeply");
	for (int i = 0; i < 20000; i += 2) {
		s[i] = '1';
		s[i + 1] = '+';
	}
	memcpy(s + 19990, "1 > 0     ", 10);
	struct expr *e;
	int col;
	char err[128];
	assert_int_equal(expr_parse(s, &e, &col, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "too long"));
	memset(s, 'n', 20000);
	assert_int_equal(expr_parse(s, &e, &col, err, sizeof err), -EINVAL);
	free(s);
	assert_int_equal(expr_parse(NULL, &e, &col, err, sizeof err), -EINVAL);
	/* a NULL error buffer is fine */
	assert_int_equal(expr_parse("x", &e, NULL, NULL, 0), -EINVAL);
}

static void test_metrics_and_format(void **state)
{
	struct expr *e;
	int col, ids[4];
	char err[128], buf[32];
	(void)state;
	assert_int_equal(expr_parse("guest.tcp.listen_overflows > 10/s and guest.listen.fill_max >= 90% "
				    "or guest.tcp.listen_overflows > 100/s", &e, &col, err, sizeof err), 0);
	assert_int_equal(expr_metrics(e, ids, 4), 2);
	assert_int_equal(ids[0], M_GUEST_TCP_LISTEN_OVERFLOWS);
	assert_int_equal(ids[1], M_GUEST_LISTEN_FILL_MAX);
	assert_int_equal(expr_metrics(e, ids, 1), 2);	/* count beyond max */
	expr_free(e);
	assert_string_equal(expr_format_value(M_GUEST_TCP_LISTEN_OVERFLOWS, 52, buf, sizeof buf), "52.0/s");
	assert_string_equal(expr_format_value(M_GUEST_LISTEN_FILL_MAX, 100, buf, sizeof buf), "100%");
	assert_string_equal(expr_format_value(M_GUEST_CPU_STEAL, 12.5, buf, sizeof buf), "12.5%");
	assert_string_equal(expr_format_value(M_GUEST_TCP_TIME_WAIT, 4096, buf, sizeof buf), "4096");
	assert_string_equal(expr_format_value(M_GUEST_CONNTRACK_TW_TIMEOUT, 120, buf, sizeof buf), "120s");
	assert_string_equal(expr_format_value(M_GUEST_CPU_STEAL, NAN, buf, sizeof buf), "n/a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_precedence, setup),
		cmocka_unit_test_setup(test_units, setup),
		cmocka_unit_test_setup(test_arith_between_metrics, setup),
		cmocka_unit_test_setup(test_missing_metric_is_unknown, setup),
		cmocka_unit_test_setup(test_unknown_metric_col, setup),
		cmocka_unit_test_setup(test_unit_mismatch, setup),
		cmocka_unit_test_setup(test_syntax_errors, setup),
		cmocka_unit_test_setup(test_hostile_input, setup),
		cmocka_unit_test_setup(test_metrics_and_format, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
