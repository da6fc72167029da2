/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_rps: the "rps" knob kind (paths, checks and their edges, how the
 * kernel's masks compare), the all-CPU and CPU-list masks at word
 * boundaries and limits, online CPUs, and receive-queue enumeration, on a
 * temporary sysfs fixture tree. The action that uses them: test_act_rps. */
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
	/* a CPU list: "rps: 1" moves NET_RX onto one CPU */
	assert_int_equal(rps_list_mask("1", m, sizeof m), 0);
	assert_string_equal(m, "2");
	assert_int_equal(rps_list_mask("0-1,3", m, sizeof m), 0);
	assert_string_equal(m, "b");
	assert_int_equal(rps_list_mask("33", m, sizeof m), 0);
	assert_string_equal(m, "2,00000000");
	assert_int_equal(rps_list_mask("", m, sizeof m), -EINVAL);
	assert_int_equal(rps_list_mask("1;2", m, sizeof m), -EINVAL);
	assert_int_equal(rps_list_mask("all", m, sizeof m), -EINVAL);
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
	assert_int_equal(knob_check(&k, "eth0/tx-0", "rps_cpus", "1", why, sizeof why), -EPERM);
	assert_int_equal(knob_check(&k, "eth0/tx-0", "rps_flow_cnt", "1", why, sizeof why), -EPERM);
	assert_int_equal(knob_check(&k, "eth0/rx-0", "xps_cpus", "1", why, sizeof why), -EPERM);
	assert_int_equal(knob_check(&k, "eth0/xx-0", "xps_cpus", "1", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(&k, "eth0/tx-0", "xps_cpus", "1;x", why, sizeof why), -EINVAL);
	/* a transmit queue's XPS mask */
	assert_int_equal(knob_write(&k, root, "eth0/tx-0", "xps_cpus", "5"), 0);
	assert_int_equal(knob_read(&k, root, "eth0/tx-0", "xps_cpus", buf, sizeof buf), 0);
	assert_string_equal(buf, "5");
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
	assert_true(knob_equal(&k, "xps_cpus", "00000000,00000005", "5"));
	assert_false(knob_equal(&k, "xps_cpus", "5", "a"));
	assert_true(knob_equal(&k, "rps_flow_cnt", "8192", "8192\n"));
	assert_false(knob_equal(&k, "rps_flow_cnt", "10922", "16384"));
}

/* The all-CPU mask at the word boundaries and the limits. */
static void test_all_mask(void **state)
{
	(void)state;
	char m[400];
	static const struct { int ncpu; const char *mask; } ok[] = {
		{ 1, "1" }, { 2, "3" }, { 3, "7" }, { 31, "7fffffff" }, { 32, "ffffffff" },
		{ 33, "1,ffffffff" }, { 64, "ffffffff,ffffffff" }, { 65, "1,ffffffff,ffffffff" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		assert_int_equal(rps_all_mask(ok[i].ncpu, m, sizeof m), 0);
		assert_string_equal(m, ok[i].mask);
	}
	/* 1024 CPUs: 32 words, the most significant first */
	assert_int_equal(rps_all_mask(1024, m, sizeof m), 0);
	assert_int_equal(strlen(m), 32 * 9 - 1);
	assert_int_equal(strspn(m, "f,"), strlen(m));
	assert_int_equal(rps_all_mask(1025, m, sizeof m), -EINVAL);
	assert_int_equal(rps_all_mask(-1, m, sizeof m), -EINVAL);
	/* the buffer: "7" needs 2 bytes */
	assert_int_equal(rps_all_mask(3, m, 2), 0);
	assert_string_equal(m, "7");
	assert_int_equal(rps_all_mask(3, m, 1), -EOVERFLOW);
	assert_int_equal(rps_all_mask(33, m, 10), -EOVERFLOW); /* "1,ffffffff" is 10 */
	assert_int_equal(rps_all_mask(33, m, 11), 0);
}

/* CPU lists: the highest CPU decides the words; what cpulist refuses. */
static void test_list_mask(void **state)
{
	(void)state;
	char m[400];
	assert_int_equal(rps_list_mask("0", m, sizeof m), 0);
	assert_string_equal(m, "1");
	assert_int_equal(rps_list_mask("31", m, sizeof m), 0);
	assert_string_equal(m, "80000000");
	assert_int_equal(rps_list_mask("0,32-33", m, sizeof m), 0);
	assert_string_equal(m, "3,00000001");
	assert_int_equal(rps_list_mask("1023", m, sizeof m), 0);
	assert_int_equal(strlen(m), 32 * 9 - 1);
	assert_int_equal(strncmp(m, "80000000,00000000,", 18), 0);
	assert_int_equal(rps_list_mask("0-1023", m, sizeof m), 0);
	assert_int_equal(strspn(m, "f,"), strlen(m));
	static const char *const bad[] = { "1024", "0-1024", "3-1", "1,", ",1", "-1", " 1", "1 ",
					   "99999999999999999999999", "1-", "x" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(rps_list_mask(bad[i], m, sizeof m), -EINVAL);
	assert_int_equal(rps_list_mask(NULL, m, sizeof m), -EINVAL);
	assert_int_equal(rps_list_mask("33", m, 10), -EOVERFLOW);
}

/* Online CPUs as the kernel lists them; a missing or bad file. */
static void test_online(void **state)
{
	const char *root = *state;
	put(root, "sys/devices/system/cpu/online", "0\n");
	assert_int_equal(rps_online_cpus(root), 1);
	put(root, "sys/devices/system/cpu/online", "0-3,6,8-9\n");
	assert_int_equal(rps_online_cpus(root), 7);
	put(root, "sys/devices/system/cpu/online", "0-1023\n");
	assert_int_equal(rps_online_cpus(root), 1024);
	put(root, "sys/devices/system/cpu/online", "0-1024\n");
	assert_int_equal(rps_online_cpus(root), -ERANGE);
	put(root, "sys/devices/system/cpu/online", "\n");
	assert_int_equal(rps_online_cpus(root), -EINVAL);
	put(root, "sys/devices/system/cpu/online", "0-3 junk\n");
	assert_int_equal(rps_online_cpus(root), -EINVAL);
	char missing[256];
	snprintf(missing, sizeof missing, "%s/nothing-here", root);
	assert_int_equal(rps_online_cpus(missing), -ENOENT);
}

static int stop_at_second(const char *target, void *arg)
{
	(void)target;
	return ++*(int *)arg == 2 ? 42 : 0;
}

/* The walk: stops at fn's non-zero value; an interface without queues or
 * with a name the kernel cannot have is passed over; no sysfs: -ENOENT. */
static void test_walk(void **state)
{
	const char *root = *state;
	char seen[256] = "";
	int n = 0;
	assert_int_equal(rps_each_queue(root, stop_at_second, &n), 42);
	assert_int_equal(n, 2);
	put(root, "sys/class/net/bond0/mode", "0\n"); /* no queues folder */
	put(root, "sys/class/net/averyveryverylongname/queues/rx-0/rps_cpus", "0\n");
	assert_int_equal(rps_each_queue(root, collect, seen), 0);
	assert_non_null(strstr(seen, "eth0/rx-0 "));
	assert_null(strstr(seen, "bond0"));
	assert_null(strstr(seen, "averyvery"));
	char missing[256];
	snprintf(missing, sizeof missing, "%s/nothing-here", root);
	n = 0;
	assert_int_equal(rps_each_queue(missing, stop_at_second, &n), -ENOENT);
	assert_int_equal(n, 0);
}

/* The targets, keys and values the kind refuses, at their edges. */
static void test_knob_edges(void **state)
{
	const char *root = *state;
	const struct knob k = { &knob_rps_ops, NULL };
	char buf[64], why[128], longmask[302];
	assert_int_equal(knob_check(&k, "eth0/rx-1", "rps_flow_cnt", "1048576", why, sizeof why), 0);
	assert_int_equal(knob_check(&k, "eth0/rx-1", "rps_flow_cnt", "1048577", why, sizeof why), -ERANGE);
	assert_string_equal(why, "rps_flow_cnt must be 0..1048576");
	assert_int_equal(knob_check(&k, "eth0/rx-1", "rps_flow_cnt", "-1", why, sizeof why), -ERANGE);
	assert_int_equal(knob_check(&k, "eth0/rx-1", "rps_flow_cnt", "", why, sizeof why), -ERANGE);
	assert_int_equal(knob_check(&k, "eth0/rx-1", "rps_cpus", "", why, sizeof why), -EINVAL);
	memset(longmask, 'f', 301);
	longmask[301] = '\0';
	assert_int_equal(knob_check(&k, "eth0/rx-1", "rps_cpus", longmask, why, sizeof why), -EINVAL);
	longmask[300] = '\0';
	assert_int_equal(knob_check(&k, "eth0/rx-1", "rps_cpus", longmask, why, sizeof why), 0);
	assert_int_equal(knob_check(&k, "eth0/rx-1", "rps_cpus", "ff,0000000f", why, sizeof why), 0);
	static const char *const bad_targets[] = {
		"eth0", "eth0/", "eth0/rx-", "eth0/rx-1a", "/rx-0", "./rx-0", "../rx-0", "..x/rx-0",
		"eth 0/rx-0", "a123456789abcdef/rx-0", "eth0/rx-0/x",
	};
	for (size_t i = 0; i < sizeof bad_targets / sizeof *bad_targets; i++)
		assert_int_equal(knob_check(&k, bad_targets[i], "rps_cpus", "1", why, sizeof why),
				 -EINVAL);
	assert_int_equal(knob_check(&k, NULL, "rps_cpus", "1", why, sizeof why), -EINVAL);
	/* names the kernel allows */
	assert_int_equal(knob_check(&k, "br-lan.10@x_y/rx-15", "rps_cpus", "1", why, sizeof why), 0);
	assert_int_equal(knob_read(&k, root, "eth0/rx-0", "xps_cpus", buf, sizeof buf), -EPERM);
	assert_int_equal(knob_read(&k, root, "eth0/rx-9", "rps_cpus", buf, sizeof buf), -ENOENT);
	assert_int_equal(knob_write(&k, root, "eth0/rx-0", "rps_flow_cnt", "2000000"), -ERANGE);
	assert_int_equal(knob_read(&k, root, "eth0/rx-0", "rps_flow_cnt", buf, sizeof buf), 0);
	assert_string_equal(buf, "0"); /* refused: not written */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queues_and_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_knob, setup, teardown),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_all_mask),
		cmocka_unit_test(test_list_mask),
		cmocka_unit_test_setup_teardown(test_online, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_knob_edges, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
