/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_rps: the "rps" knob kind (paths, checks, how the kernel's masks
 * compare), the all-CPU mask and receive-queue enumeration, on a temporary
 * sysfs fixture tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "knob.h"
#include "rps.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void put(const char *root, const char *rel, const char *content)
{
	char p[512], d[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(d, sizeof d, "%.*s", (int)(s - p), p);
		mkdir(d, 0755);
	}
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	char *root = strdup("/tmp/vtune-rps-XXXXXX");
	if (!root || !mkdtemp(root))
		return -1;
	/* an 8-CPU kernel prints two hex digits per mask */
	for (int q = 0; q < 3; q++) {
		char rel[128];
		snprintf(rel, sizeof rel, "sys/class/net/eth0/queues/rx-%d/rps_cpus", q);
		put(root, rel, "00\n");
		snprintf(rel, sizeof rel, "sys/class/net/eth0/queues/rx-%d/rps_flow_cnt", q);
		put(root, rel, "0\n");
	}
	put(root, "sys/class/net/eth0/queues/tx-0/xps_cpus", "00\n");
	put(root, "sys/class/net/lo/queues/rx-0/rps_cpus", "00\n");
	put(root, "sys/devices/system/cpu/online", "0-2\n");
	*state = root;
	return 0;
}

static int teardown(void **state)
{
	char *root = *state;
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
	return 0;
}

static int collect(const char *target, void *arg)
{
	char *out = arg;
	strcat(out, target);
	strcat(out, " ");
	return 0;
}

static void test_queues_and_mask(void **state)
{
	const char *root = *state;
	char seen[256] = "", m[64];
	assert_int_equal(rps_each_queue(root, collect, seen), 0);
	/* every rx queue but lo's; no tx queue */
	assert_non_null(strstr(seen, "eth0/rx-0 "));
	assert_non_null(strstr(seen, "eth0/rx-2 "));
	assert_null(strstr(seen, "lo/"));
	assert_null(strstr(seen, "tx-"));
	assert_int_equal(rps_online_cpus(root), 3);
	assert_int_equal(rps_all_mask(3, m, sizeof m), 0);
	assert_string_equal(m, "7");
	assert_int_equal(rps_all_mask(40, m, sizeof m), 0);
	assert_string_equal(m, "ff,ffffffff");
	assert_int_equal(rps_all_mask(0, m, sizeof m), -EINVAL);
	assert_int_equal(rps_all_mask(64, m, 4), -EOVERFLOW);
}

static void test_knob(void **state)
{
	const char *root = *state;
	const struct knob k = { &knob_rps_ops, NULL };
	char buf[64], why[128];
	assert_int_equal(knob_read(&k, root, "eth0/rx-1", "rps_cpus", buf, sizeof buf), 0);
	assert_string_equal(buf, "00");
	assert_int_equal(knob_write(&k, root, "eth0/rx-1", "rps_cpus", "7"), 0);
	assert_int_equal(knob_write(&k, root, "eth0/rx-1", "rps_flow_cnt", "8192"), 0);
	assert_int_equal(knob_read(&k, root, "eth0/rx-1", "rps_flow_cnt", buf, sizeof buf), 0);
	assert_string_equal(buf, "8192");
	/* what the kind refuses */
	assert_int_equal(knob_check(&k, "eth0/rx-1", "rps_cpus", "xyz", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(&k, "eth0/rx-1", "rps_flow_cnt", "2000000", why, sizeof why), -ERANGE);
	assert_int_equal(knob_check(&k, "../x/rx-1", "rps_cpus", "1", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(&k, "eth0/tx-0", "rps_cpus", "1", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(&k, "eth0/rx-0", "xps_cpus", "1", why, sizeof why), -EPERM);
	assert_int_equal(knob_write(&k, root, "eth0/rx-0", "rps_cpus", "1;reboot"), -EINVAL);
}

/* The kernel prints masks zero-padded to its possible CPUs and in 32-bit
 * words: the same setting must compare equal, or every run would rewrite
 * it. */
static void test_equal(void **state)
{
	(void)state;
	const struct knob k = { &knob_rps_ops, NULL };
	assert_true(knob_equal(&k, "rps_cpus", "07", "7"));
	assert_true(knob_equal(&k, "rps_cpus", "00000000,0000000f", "f"));
	assert_true(knob_equal(&k, "rps_cpus", "ff,ffffffff", "000000ff,ffffffff"));
	assert_true(knob_equal(&k, "rps_cpus", "0", "00"));
	assert_false(knob_equal(&k, "rps_cpus", "7", "f"));
	assert_false(knob_equal(&k, "rps_cpus", "1,00000000", "1"));
	assert_true(knob_equal(&k, "rps_flow_cnt", "8192", "8192\n"));
	assert_false(knob_equal(&k, "rps_flow_cnt", "10922", "16384"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queues_and_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_knob, setup, teardown),
		cmocka_unit_test(test_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
