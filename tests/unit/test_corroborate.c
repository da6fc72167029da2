/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_corroborate: the host evidence behind a guest's claims. A guest's
 * busiest vCPU is bounded by its thread's CPU time plus its run delay (a
 * guest without steal accounting, as under QEMU TCG, counts the time its
 * vCPU was not run as busy); steal by the largest of its evidence; a claim
 * beyond its bound, or without evidence or a row, is implausible and says
 * why. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "corroborate.h"

#include <string.h>

static void test_busy_with_run_delay(void **state)
{
	(void)state;
	struct mvec g, h;
	char why[256];
	mvec_clear(&g);
	mvec_clear(&h);
	/* measured in the KVM demo under TCG: 77 % busy in the guest, its
	 * busiest thread 38 % on the host, and it waited to run */
	mvec_set(&g, M_GUEST_CPU_BUSY_MAX, 77.3);
	mvec_set(&h, M_HOST_VCPU_BUSY_MAX, 38.0);
	assert_int_equal(corr_check(M_GUEST_CPU_BUSY_MAX, &g, &h, why, sizeof why), 0);
	assert_non_null(strstr(why, "guest.cpu.busy_max=77.3% exceeds 67% allowed by "
				    "host.vcpu.busy_max + host.vcpu.delay_max=38%"));
	mvec_set(&h, M_HOST_VCPU_DELAY_MAX, 30.0);
	assert_int_equal(corr_check(M_GUEST_CPU_BUSY_MAX, &g, &h, why, sizeof why), 1);
	/* the sum bounds it: 1.5 * (38 + 30) + 10 = 112 */
	mvec_set(&g, M_GUEST_CPU_BUSY_MAX, 100);
	mvec_set(&h, M_HOST_VCPU_BUSY_MAX, 10);
	mvec_set(&h, M_HOST_VCPU_DELAY_MAX, 5);
	assert_int_equal(corr_check(M_GUEST_CPU_BUSY_MAX, &g, &h, why, sizeof why), 0);
	assert_non_null(strstr(why, "=15%"));
}

static void test_steal_largest_evidence(void **state)
{
	(void)state;
	struct mvec g, h;
	char why[256];
	mvec_clear(&g);
	mvec_clear(&h);
	mvec_set(&g, M_GUEST_CPU_STEAL, 40);
	mvec_set(&h, M_HOST_VCPU_DELAY, 5);
	mvec_set(&h, M_HOST_VCPU_CONTENTION, 20);
	/* the largest, not the sum: 2 * 20 + 2 = 42 */
	assert_int_equal(corr_check(M_GUEST_CPU_STEAL, &g, &h, why, sizeof why), 1);
	mvec_set(&g, M_GUEST_CPU_STEAL, 45);
	assert_int_equal(corr_check(M_GUEST_CPU_STEAL, &g, &h, why, sizeof why), 0);
	assert_non_null(strstr(why, "allowed by host.vcpu.contention=20%"));
}

static void test_no_evidence_no_row(void **state)
{
	(void)state;
	struct mvec g, h;
	char why[256];
	mvec_clear(&g);
	mvec_clear(&h);
	mvec_set(&g, M_GUEST_TCP_PASSIVE_OPENS, 900);
	assert_int_equal(corr_check(M_GUEST_TCP_PASSIVE_OPENS, &g, &h, why, sizeof why), 0);
	assert_non_null(strstr(why, "no host evidence (host.tap.tx_packets unknown)"));
	mvec_set(&g, M_GUEST_SOFTNET_DROPPED, 3);
	assert_null(corr_find(M_GUEST_SOFTNET_DROPPED));
	assert_int_equal(corr_check(M_GUEST_SOFTNET_DROPPED, &g, &h, why, sizeof why), 0);
	assert_non_null(strstr(why, "the host has no evidence for this metric"));
	/* a metric the report does not hold cannot make a condition hold */
	assert_int_equal(corr_check(M_GUEST_CPU_STEAL, &g, &h, why, sizeof why), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_with_run_delay),
		cmocka_unit_test(test_steal_largest_evidence),
		cmocka_unit_test(test_no_evidence_no_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
