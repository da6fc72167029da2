/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_netthreads: the threads that move a guest's packets, from real
 * /proc captures: the netback kthreads of a Xen dom0 (tests/fixtures/
 * xen-netback-6.1, two domUs), found by domid, their comm cut to 15 bytes,
 * start time, last CPU and schedstat; rates between two samples; the
 * task_affinity knob on the capture (read, pid reuse refused, no writes);
 * and a real vhost-net worker (tests/fixtures/vhost-6.1, Debian's 6.1 in a
 * TCG guest: the kthread "vhost-122" of owner process 122). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "netthreads.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define FIX "tests/fixtures/xen-netback-6.1"

static void test_find_netback(void **state)
{
	struct nt_thread v[NT_MAX];
	size_t n = 0;
	(void)state;
	assert_int_equal(nt_find(FIX, NT_NETBACK, 1, v, NT_MAX, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].pid, 139);
	assert_string_equal(v[0].comm, "vif1.0-q0-guest"); /* "vif1.0-q0-guest-rx" cut */
	assert_string_equal(v[1].comm, "vif1.0-q0-deall");
	assert_int_equal(v[0].start, 2643);
	assert_int_equal(v[0].run_ns, 42877421);
	assert_int_equal(v[0].wait_ns, 12284132);
	assert_true(v[0].cpu == 0 || v[0].cpu == 1);
	assert_int_equal(nt_find(FIX, NT_NETBACK, 2, v, NT_MAX, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].pid, 215);
	/* domid 11 is not domid 1's prefix twin: "vif1." is not "vif11." */
	assert_int_equal(nt_find(FIX, NT_NETBACK, 11, v, NT_MAX, &n), 0);
	assert_int_equal(n, 0);
	/* no QEMU process 4242 in a dom0 */
	assert_int_equal(nt_find(FIX, NT_VHOST, 4242, v, NT_MAX, &n), -ENOENT);
}

static void test_find_vhost(void **state)
{
	struct nt_thread v[NT_MAX];
	size_t n = 0;
	(void)state;
	/* 6.1: not a thread of the owner, a kthread of its own */
	assert_int_equal(nt_find("tests/fixtures/vhost-6.1", NT_VHOST, 122, v, NT_MAX, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].pid, 124);
	assert_string_equal(v[0].comm, "vhost-122");
	assert_int_equal(v[0].start, 184);
	assert_int_equal(v[0].run_ns, 1117884);
	/* the owner's own threads (QEMU's housekeeping): the owner alone here */
	assert_int_equal(nt_find("tests/fixtures/vhost-6.1", NT_QEMU_HK, 122, v, NT_MAX, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].pid, 122);
	char buf[32];
	assert_int_equal(nt_affinity_ops.read(NULL, "tests/fixtures/vhost-6.1", "124:184", "vhost-122", buf,
					      sizeof buf), 0);
	assert_string_equal(buf, "0-1");
}

static void test_rates(void **state)
{
	struct nt_thread a[NT_MAX], b[NT_MAX];
	size_t na = 0, nb = 0;
	double cpu, delay, each[NT_MAX];
	(void)state;
	assert_int_equal(nt_find(FIX, NT_NETBACK, 1, a, NT_MAX, &na), 0);
	memcpy(b, a, sizeof a);
	nb = na;
	/* one second later: rx ran 300 ms and waited 150 ms, dealloc idle */
	b[0].run_ns += 300000000ull;
	b[0].wait_ns += 150000000ull;
	assert_int_equal(nt_rates(a, na, b, nb, 1000000000ull, &cpu, &delay, each), 0);
	assert_true(cpu > 29.9 && cpu < 30.1);
	assert_true(delay > 14.9 && delay < 15.1);
	assert_true(each[1] == 0);
	/* a new thread of the same pid (another start time): not a rate */
	b[0].start++;
	b[1].start++;
	assert_int_equal(nt_rates(a, na, b, nb, 1000000000ull, &cpu, &delay, each), -EAGAIN);
}

static void test_affinity_knob(void **state)
{
	char buf[64];
	(void)state;
	assert_int_equal(nt_affinity_ops.read(NULL, FIX, "139:2643", "vif1.0-q0-guest", buf, sizeof buf), 0);
	assert_string_equal(buf, "0-1");
	/* a reused pid (another start time or name) is never touched */
	assert_int_equal(nt_affinity_ops.read(NULL, FIX, "139:2644", "vif1.0-q0-guest", buf, sizeof buf), -ESRCH);
	assert_int_equal(nt_affinity_ops.read(NULL, FIX, "139:2643", "sshd", buf, sizeof buf), -ESRCH);
	assert_int_equal(nt_affinity_ops.write(NULL, FIX, "139:2643", "vif1.0-q0-guest", "1"), -EROFS);
	assert_int_equal(nt_affinity_ops.write(NULL, FIX, "139:2643", "vif1.0-q0-guest", "x"), -EINVAL);
	assert_int_equal(nt_affinity_ops.read(NULL, FIX, "0:1", "a", buf, sizeof buf), -EINVAL);
	assert_int_equal(nt_affinity_ops.read(NULL, FIX, "139", "a", buf, sizeof buf), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_netback),
		cmocka_unit_test(test_find_vhost),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_affinity_knob),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
