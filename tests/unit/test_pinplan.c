/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_pinplan: host-wide placement on multi-guest layouts — the
 * housekeeping (dom0's vCPUs, or emulator/vhost threads) gets the CPUs its
 * measured load needs, the busiest task's CPU first, never fewer than that
 * need, never all CPUs; every guest's vCPUs get the rest; threads spread by
 * load. Includes the layouts where the old per-guest dom0-away packed
 * every dom0 vCPU onto one pCPU (a guest spanning every pCPU). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpulist.h"
#include "pinplan.h"

#include <errno.h>
#include <string.h>

static uint8_t online8[PIN_MAPLEN];

static int setup(void **state)
{
	(void)state;
	memset(online8, 0, sizeof online8);
	online8[0] = 0xff; /* CPUs 0-7 */
	return 0;
}

static void plan(const struct pin_task *hk, size_t nhk, int max_hk, const struct pin_guest *g,
		 size_t ng, int want_rc, const char *want_hk, const char *want_guests)
{
	uint8_t set[PIN_MAPLEN], gs[PIN_MAPLEN];
	char a[64], b[64], why[160] = "";
	int need;
	struct pin_in in = { 8, online8, hk, nhk, max_hk, g, ng };
	int r = pin_plan_housekeeping(&in, set, &need, why, sizeof why);
	if (r != want_rc)
		fail_msg("rc %d want %d (%s)", r, want_rc, why);
	if (r)
		return;
	pin_guest_set(online8, set, 8, gs);
	cpulist_format(set, 8, a, sizeof a);
	cpulist_format(gs, 8, b, sizeof b);
	assert_string_equal(a, want_hk);
	assert_string_equal(b, want_guests);
}

/* 8 pCPUs, dom0 with 4 vCPUs, 3 guests of 1, 4 and 8 vCPUs */
static const int g1[] = { 5 }, g4[] = { 0, 1, 2, 3 }, g8[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
static const struct pin_guest three[] = { { g1, 1 }, { g4, 4 }, { g8, 8 } };

static void test_one_hot_netback_vcpu(void **state)
{
	(void)state;
	/* one dom0 vCPU at 95 % (netback), the rest idle: mean 25 %, need 1:
	 * dom0 gets the pCPU its hot vCPU is on, all guests the other 7 */
	struct pin_task d0[] = { { 2, 4 }, { 6, 95 }, { 3, 1 }, { 7, 0 } };
	plan(d0, 4, 4, three, 3, 0, "6", "0-5,7");
}

static void test_guest_spans_every_pcpu(void **state)
{
	(void)state;
	/* the 8-vCPU guest runs everywhere: the old plan kept dom0 on one
	 * pCPU (the lowest of the guest's); dom0 now gets its need, 2 */
	struct pin_task d0[] = { { 0, 70 }, { 1, 65 }, { 2, 10 }, { 3, 5 } };
	assert_int_equal(pin_need(d0, 4, 4), 2);
	plan(d0, 4, 4, three, 3, 0, "0-1", "2-7");
	/* all four dom0 vCPUs busy: 4 pCPUs, never more than its vCPUs */
	struct pin_task busy[] = { { 0, 90 }, { 1, 90 }, { 2, 90 }, { 3, 90 } };
	plan(busy, 4, 4, three, 3, 0, "0-3", "4-7");
	struct pin_task more[] = { { 0, 100 }, { 1, 100 }, { 2, 100 }, { 3, 100 }, { 4, 100 } };
	assert_int_equal(pin_need(more, 5, 4), 4);
}

static void test_packed_dom0_spreads(void **state)
{
	(void)state;
	/* every dom0 vCPU on pCPU 0 (what the old plan left): the busiest one's
	 * pCPU first, then the pCPUs with the fewest guest vCPUs */
	struct pin_task d0[] = { { 0, 80 }, { 0, 80 }, { 0, 60 }, { 0, 10 } };
	static const int a[] = { 1, 2 }, b[] = { 1, 3, 4 }, c[] = { 2, 4, 5, 6 };
	static const struct pin_guest gs[] = { { a, 2 }, { b, 3 }, { c, 4 } };
	assert_int_equal(pin_need(d0, 4, 4), 3);
	plan(d0, 4, 4, gs, 3, 0, "0,3,7", "1-2,4-6");
}

static void test_never_all_cpus(void **state)
{
	(void)state;
	/* dom0 needs 8 of 8 (8 vCPUs busy): the guests would have none */
	struct pin_task d0[8];
	for (int i = 0; i < 8; i++)
		d0[i] = (struct pin_task){ i, 100 };
	plan(d0, 8, 8, three, 3, -ENOSPC, "", "");
	/* unknown CPUs (-1) and an idle dom0: one pCPU, the least used */
	struct pin_task idle[] = { { -1, 0 }, { -1, 0 } };
	static const int a[] = { 0, 1, 2, 3, 4, 5, 6 };
	static const struct pin_guest gs[] = { { a, 7 } };
	plan(idle, 2, 2, gs, 1, 0, "7", "0-6");
}

static void test_same_plan_for_every_guest(void **state)
{
	(void)state;
	/* the plan depends on the host alone, not on which guest's rule fired:
	 * two runs over the same layout give the same sets */
	struct pin_task d0[] = { { 4, 60 }, { 5, 70 }, { 6, 3 }, { 7, 2 } };
	plan(d0, 4, 4, three, 3, 0, "4-5", "0-3,6-7");
	plan(d0, 4, 4, three, 3, 0, "4-5", "0-3,6-7");
}

static void test_spread(void **state)
{
	(void)state;
	uint8_t set[PIN_MAPLEN] = { 0 };
	int cpu[5];
	set[0] = 0x0c; /* CPUs 2,3 */
	/* two guests' rx threads busy, their dealloc threads idle */
	double load[] = { 40, 1, 35, 0, 5 };
	assert_int_equal(pin_spread(load, 5, set, 8, cpu), 0);
	assert_int_equal(cpu[0], 2); /* busiest first, lowest CPU */
	assert_int_equal(cpu[2], 3); /* the second busiest on the other */
	assert_int_equal(cpu[4], 3); /* then onto the least loaded */
	assert_true(cpu[1] == 3 || cpu[1] == 2);
	memset(set, 0, sizeof set);
	assert_int_equal(pin_spread(load, 5, set, 8, cpu), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_one_hot_netback_vcpu, setup),
		cmocka_unit_test_setup(test_guest_spans_every_pcpu, setup),
		cmocka_unit_test_setup(test_packed_dom0_spreads, setup),
		cmocka_unit_test_setup(test_never_all_cpus, setup),
		cmocka_unit_test_setup(test_same_plan_for_every_guest, setup),
		cmocka_unit_test_setup(test_spread, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
