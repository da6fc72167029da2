/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_gv_ports: the CPU budget (lib/budget) and the schedule of exact
 * counts of ports in use (lib/gv_ports), on the test-driven clock: when a
 * count is taken, what is reported between counts (the last count with its
 * age, or the sockstat bound), and that the CPU the counts take stays
 * within the budget over every window; then the same through a gv_reader
 * on a recorded sock_diag answer (tests/fixtures/ports-6.18). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "gv_ports.h"
#include "gv_reader.h"
#include "gview.h"
#include "metrics.h"
#include "vclock.h"

#define FX "tests/fixtures/"
#define SEC 1000000000ull
#define MS 1000000ull

/* ---- budget ---- */

static void test_budget_first_and_zero(void **state)
{
	(void)state;
	struct budget b;
	budget_init(&b, 0.005, 60 * SEC);
	assert_true(budget_may_run(&b, 1000 * SEC, 0));
	assert_true(budget_may_run(&b, 1000 * SEC, 5 * SEC)); /* a first run, whatever its cost */
	budget_charge(&b, 1000 * SEC, 100 * MS);
	assert_true(budget_may_run(&b, 1001 * SEC, 200 * MS)); /* exactly the budget */
	assert_false(budget_may_run(&b, 1001 * SEC, 201 * MS));
	assert_true(budget_may_run(&b, 1060 * SEC, 300 * MS)); /* the first left the window */
	budget_init(&b, 0, 60 * SEC);
	assert_false(budget_may_run(&b, 1000 * SEC, 0));
}

/* Runs of 100 ms tried every second for 10 minutes: every window of 60 s
 * holds at most 0.5 % of it in CPU (300 ms), and the runs are as many as
 * that allows (3 per window: 30). */
static void test_budget_window(void **state)
{
	(void)state;
	struct budget b;
	budget_init(&b, 0.005, 60 * SEC);
	uint64_t starts[1000];
	int n = 0;
	for (uint64_t t = 100 * SEC; t < 700 * SEC; t += SEC) {
		if (!budget_may_run(&b, t, n ? 100 * MS : 0))
			continue;
		budget_charge(&b, t, 100 * MS);
		starts[n++] = t;
	}
	assert_int_equal(n, 30);
	for (int i = 0; i < n; i++) {
		int in = 0;
		for (int j = i; j < n && starts[j] - starts[i] < 60 * SEC; j++)
			in++;
		assert_true(in * 100 * MS <= 300 * MS);
	}
	assert_int_equal(budget_spent(&b, starts[n - 1]), 300 * MS);
	assert_int_equal(budget_spent(&b, starts[n - 1] + 61 * SEC), 0);
}

/* A run that costs more than a whole window's budget (1 s against 0.3 s):
 * the next waits until the average since the last start is within 0.5 %. */
static void test_budget_costly_run(void **state)
{
	(void)state;
	struct budget b;
	budget_init(&b, 0.005, 60 * SEC);
	assert_true(budget_may_run(&b, 10 * SEC, 0));
	budget_charge(&b, 10 * SEC, 1 * SEC);
	assert_false(budget_may_run(&b, 10 * SEC + 199 * SEC, 1 * SEC));
	assert_true(budget_may_run(&b, 10 * SEC + 200 * SEC, 1 * SEC));
}

/* Runs that cost nothing: no more than BUDGET_RUNS in a window, as older
 * ones inside it would be forgotten. */
static void test_budget_ring_bound(void **state)
{
	(void)state;
	struct budget b;
	budget_init(&b, 0.005, 60 * SEC);
	int n = 0;
	for (uint64_t t = SEC; t < 30 * SEC; t += 100 * MS)
		if (budget_may_run(&b, t, 0)) {
			budget_charge(&b, t, 0);
			n++;
		}
	assert_int_equal(n, BUDGET_RUNS);
}

/* ---- the schedule ---- */

static uint64_t fake_value, fake_cost_ns;
static int fake_calls, fake_err;
static uint32_t fake_lo, fake_hi;

static int fake_count(const char *root, uint32_t lo, uint32_t hi, uint64_t *n)
{
	(void)root;
	fake_calls++;
	fake_lo = lo;
	fake_hi = hi;
	vclock_fake_cpu_advance(fake_cost_ns);
	*n = fake_value;
	return fake_err;
}

static struct gv_ports_sched *sched(double pct, double period)
{
	struct gv_ports_cfg cfg = { pct, period };
	struct gv_ports_sched *ps = gv_ports_sched_new(&cfg);
	assert_non_null(ps);
	gv_ports_sched_set_counter(ps, fake_count);
	fake_calls = fake_err = 0;
	fake_value = 0;
	fake_cost_ns = 0;
	return ps;
}

/* A reading with port range lo..hi and sockstat's totals. */
static void reading(struct gv_reading *r, uint32_t lo, uint32_t hi, uint64_t inuse, uint64_t tw)
{
	memset(r, 0, sizeof *r);
	r->ports.lo = lo;
	r->ports.hi = hi;
	r->sock.tcp_inuse = inuse;
	r->sock.tcp_tw = tw;
}

static int setup(void **state)
{
	(void)state;
	vclock_fake_start(1000 * SEC, 1700000000 * SEC);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vclock_fake_stop();
	return 0;
}

/* Few sockets against the range: their total is the answer, no count. */
static void test_bound_without_count(void **state)
{
	(void)state;
	struct gv_ports_sched *ps = sched(0.5, 10);
	struct gv_reading r;
	reading(&r, 32768, 60999, 1000, 700); /* 1700 < 28232 / 16 = 1764 */
	gv_ports_fill(ps, "/", &r);
	assert_int_equal(fake_calls, 0);
	assert_true(r.ports.in_use_known);
	assert_true(r.ports.in_use_bound);
	assert_int_equal(r.ports.in_use, 1700);
	assert_true(r.ports.in_use_age_s == 0);
	assert_int_equal(r.ports.exact_counts, 0);
	gv_ports_sched_free(ps);
}

/* Many sockets: counted at once, then at most once per period; between
 * counts the last one with its age. */
static void test_period_and_age(void **state)
{
	(void)state;
	struct gv_ports_sched *ps = sched(0.5, 10);
	struct gv_reading r;
	fake_value = 20000;
	fake_cost_ns = 5 * MS;
	reading(&r, 32768, 60999, 20000, 20000);
	gv_ports_fill(ps, "/", &r);
	assert_int_equal(fake_calls, 1);
	assert_int_equal(fake_lo, 32768);
	assert_int_equal(fake_hi, 60999);
	assert_true(r.ports.in_use_known && !r.ports.in_use_bound);
	assert_int_equal(r.ports.in_use, 20000);
	assert_true(r.ports.in_use_age_s == 0);
	assert_int_equal(r.ports.exact_counts, 1);
	assert_int_equal(r.ports.exact_cpu_ns, 5 * MS);

	fake_value = 25000;
	for (int i = 1; i < 10; i++) {
		vclock_fake_advance(SEC);
		reading(&r, 32768, 60999, 25000, 20000);
		gv_ports_fill(ps, "/", &r);
		assert_int_equal(fake_calls, 1);
		assert_int_equal(r.ports.in_use, 20000);
		assert_false(r.ports.in_use_bound);
		assert_true(fabs(r.ports.in_use_age_s - i) < 1e-9);
		assert_int_equal(r.ports.exact_counts, 1);
	}
	vclock_fake_advance(SEC); /* 10 s after the first */
	reading(&r, 32768, 60999, 25000, 20000);
	gv_ports_fill(ps, "/", &r);
	assert_int_equal(fake_calls, 2);
	assert_int_equal(r.ports.in_use, 25000);
	assert_true(r.ports.in_use_age_s == 0);
	assert_int_equal(r.ports.exact_counts, 2);
	assert_int_equal(r.ports.exact_cpu_ns, 10 * MS);

	/* the metric vector carries the age */
	struct gv_sample s = { 0 };
	struct mvec m;
	s.ports = r.ports;
	for (int g = 0; g < GV_NGROUPS; g++)
		s.status[g] = g == GV_PORTS ? 0 : -EIO;
	gv_sample_metrics(&s, &m);
	assert_true(mvec_has(&m, M_GUEST_PORTS_USED_AGE));
	assert_true(mvec_get(&m, M_GUEST_PORTS_USED_AGE) == 0);
	assert_true(mvec_get(&m, M_GUEST_PORTS_USED) == 25000);
	gv_ports_sched_free(ps);
}

/* The sockets fell under the last count: their total is the better figure. */
static void test_bound_under_stale(void **state)
{
	(void)state;
	struct gv_ports_sched *ps = sched(0.5, 10);
	struct gv_reading r;
	fake_value = 20000;
	reading(&r, 32768, 60999, 20000, 5000);
	gv_ports_fill(ps, "/", &r);
	vclock_fake_advance(SEC);
	reading(&r, 32768, 60999, 9000, 3000); /* 12000 in all, over 1764 */
	gv_ports_fill(ps, "/", &r);
	assert_int_equal(fake_calls, 1);
	assert_true(r.ports.in_use_bound);
	assert_int_equal(r.ports.in_use, 12000);
	assert_true(r.ports.in_use_age_s == 0);
	gv_ports_sched_free(ps);
}

/* Another port range: the old count says nothing of it; counted again at
 * once, within the period. */
static void test_range_change(void **state)
{
	(void)state;
	struct gv_ports_sched *ps = sched(0.5, 10);
	struct gv_reading r;
	fake_value = 90;
	reading(&r, 40000, 40099, 100, 60);
	gv_ports_fill(ps, "/", &r);
	assert_int_equal(fake_calls, 1);
	vclock_fake_advance(SEC);
	fake_value = 95;
	reading(&r, 1024, 65535, 100, 60); /* 160 < 64512 / 16: the bound */
	gv_ports_fill(ps, "/", &r);
	assert_int_equal(fake_calls, 1);
	assert_true(r.ports.in_use_bound);
	reading(&r, 40000, 40199, 100, 60); /* 160 >= 200 / 16 */
	gv_ports_fill(ps, "/", &r);
	assert_int_equal(fake_calls, 2);
	assert_int_equal(fake_hi, 40199);
	assert_int_equal(r.ports.in_use, 95);
	assert_true(r.ports.in_use_age_s == 0);
	gv_ports_sched_free(ps);
}

/* A failed count: unknown, and not tried again before the period ends. */
static void test_count_fails(void **state)
{
	(void)state;
	struct gv_ports_sched *ps = sched(0.5, 10);
	struct gv_reading r;
	fake_err = -EPROTONOSUPPORT;
	reading(&r, 32768, 60999, 20000, 20000);
	gv_ports_fill(ps, "/", &r);
	assert_int_equal(fake_calls, 1);
	assert_false(r.ports.in_use_known);
	assert_int_equal(r.ports.exact_counts, 1);
	vclock_fake_advance(5 * SEC);
	gv_ports_fill(ps, "/", &r);
	assert_int_equal(fake_calls, 1);
	assert_false(r.ports.in_use_known);
	vclock_fake_advance(5 * SEC);
	fake_err = 0;
	fake_value = 7;
	gv_ports_fill(ps, "/", &r);
	assert_int_equal(fake_calls, 2);
	assert_true(r.ports.in_use_known);
	assert_int_equal(r.ports.in_use, 7);
	gv_ports_sched_free(ps);
}

/* Budget 0: never counted; unknown unless the bound answers. */
static void test_budget_zero(void **state)
{
	(void)state;
	struct gv_ports_sched *ps = sched(0, 10);
	struct gv_reading r;
	reading(&r, 32768, 60999, 20000, 20000);
	for (int i = 0; i < 100; i++) {
		gv_ports_fill(ps, "/", &r);
		vclock_fake_advance(SEC);
	}
	assert_int_equal(fake_calls, 0);
	assert_false(r.ports.in_use_known);
	reading(&r, 32768, 60999, 10, 10);
	gv_ports_fill(ps, "/", &r);
	assert_true(r.ports.in_use_known && r.ports.in_use_bound);
	gv_ports_sched_free(ps);
}

/* Counts that cost 200 ms each (a huge guest), sampled every second with
 * no period: no 60 s window may hold more than 0.5 % of a CPU (300 ms) of
 * them, so the budget spaces them to one per 60 s. */
static void test_budget_spaces_costly_counts(void **state)
{
	(void)state;
	struct gv_ports_sched *ps = sched(0.5, 0);
	struct gv_reading r;
	fake_value = 500000;
	fake_cost_ns = 200 * MS;
	uint64_t t0 = vclock_mono_ns(), at[64];
	int n = 0;
	for (int i = 0; i < 600; i++) {
		int before = fake_calls;
		reading(&r, 32768, 60999, 500000, 100000);
		gv_ports_fill(ps, "/", &r);
		if (fake_calls > before) {
			assert_true(n < 64);
			at[n++] = vclock_mono_ns() - t0;
		}
		assert_true(r.ports.in_use_known);
		assert_true(r.ports.in_use_age_s <= 60.0 + 1e-9);
		vclock_fake_advance(SEC);
	}
	assert_int_equal(n, 10); /* at 0, 60, 120, ... 540 s */
	for (int i = 1; i < n; i++)
		assert_int_equal(at[i] - at[i - 1], 60 * SEC);
	assert_int_equal(r.ports.exact_cpu_ns, 10 * 200 * MS);
	gv_ports_sched_free(ps);
}

/* No schedule (one-shot commands): every reading that needs it counts. */
static void test_no_schedule(void **state)
{
	(void)state;
	struct gv_reading r;
	reading(&r, 40000, 40099, 41, 30);
	gv_ports_fill(NULL, FX "ports-6.18", &r);
	assert_true(r.ports.in_use_known);
	assert_false(r.ports.in_use_bound);
	assert_int_equal(r.ports.in_use, 50);
	assert_int_equal(r.ports.exact_counts, 1);
}

/* ---- on a recorded answer: 20 connections and 30 TIME_WAIT sockets on
 * ports 40000-40099 (fixtures/ports-6.18) ---- */

static void test_fixture_through_reader(void **state)
{
	(void)state;
	struct gv_reading r;
	assert_int_equal(gv_read(FX "ports-6.18", GV_READ_NETLINK, &r), 0);
	assert_int_equal(r.status[GV_PORTS], 0);
	assert_int_equal(r.sock.tcp_tw, 30);
	assert_int_equal(r.sock.tcp_inuse, 41);
	assert_true(r.ports.in_use_known && !r.ports.in_use_bound);
	assert_int_equal(r.ports.in_use, 50); /* 20 client ends + 30 TIME_WAIT */
	assert_int_equal(r.nlisteners, 1);
	assert_int_equal(r.listeners[0].port, 9000);
	gv_reading_free(&r);

	struct gv_reader *rd = gv_reader_new(NULL);
	assert_non_null(rd);
	for (int i = 0; i < 25; i++) {
		assert_int_equal(gv_reader_read(rd, FX "ports-6.18", GV_READ_NETLINK, &r), 0);
		/* listeners every reading; the exact count at 0, 10 and 20 s */
		assert_int_equal(r.nlisteners, 1);
		assert_true(r.ports.in_use_known);
		assert_int_equal(r.ports.in_use, 50);
		assert_int_equal(r.ports.exact_counts, (uint64_t)(i / 10 + 1));
		assert_true(fabs(r.ports.in_use_age_s - (i % 10)) < 1e-9);
		gv_reading_free(&r);
		vclock_fake_advance(SEC);
	}
	gv_reader_free(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_first_and_zero),
		cmocka_unit_test(test_budget_window),
		cmocka_unit_test(test_budget_costly_run),
		cmocka_unit_test(test_budget_ring_bound),
		cmocka_unit_test_setup_teardown(test_bound_without_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_period_and_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_under_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_spaces_costly_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_schedule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixture_through_reader, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
