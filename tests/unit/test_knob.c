/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_knob: the knob-kind registry, value comparison and the built-in
 * sysctl kind on a temporary /proc/sys fixture tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kfs.h"
#include "knob.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixture: a root with a few /proc/sys files ---- */

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

static char *slurp(const char *root, const char *rel)
{
	static char buf[4096];
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	char *root = strdup("/tmp/vtune-knob-XXXXXX");
	if (!root || !mkdtemp(root))
		return -1;
	put(root, "proc/sys/net/core/somaxconn", "4096\n");
	put(root, "proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
	put(root, "proc/sys/kernel/panic", "0\n");
	*state = root;
	return 0;
}

static int teardown(void **state)
{
	nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

/* ---- tests ---- */

static void test_sysctl_read(void **state)
{
	const char *root = *state;
	const struct knob *k = knob_find("sysctl");
	char v[64];
	assert_ptr_equal(k->ops, &knob_sysctl_ops);
	assert_int_equal(knob_read(k, root, "", "net.core.somaxconn", v, sizeof v), 0);
	assert_string_equal(v, "4096");
	assert_int_equal(knob_read(k, root, NULL, "net.ipv4.ip_local_port_range", v, sizeof v), 0);
	assert_string_equal(v, "32768 60999");
	assert_int_equal(knob_read(k, root, "", "net.core.netdev_budget", v, sizeof v), -ENOENT);
	assert_int_equal(knob_read(k, root, "eth0", "net.core.somaxconn", v, sizeof v), -EINVAL);
	assert_int_equal(knob_read(k, root, "", "net..core", v, sizeof v), -EINVAL);
	assert_int_equal(knob_read(k, root, "", "net.ipv4.ip_local_port_range", v, 6), -EOVERFLOW);
}

static void test_sysctl_write(void **state)
{
	const char *root = *state;
	const struct knob *k = knob_find("sysctl");
	assert_int_equal(knob_write(k, root, "", "net.core.somaxconn", "8192"), 0);
	assert_string_equal(slurp(root, "proc/sys/net/core/somaxconn"), "8192\n");
	/* outside the range: refused, file untouched */
	assert_int_equal(knob_write(k, root, "", "net.core.somaxconn", "100"), -ERANGE);
	assert_string_equal(slurp(root, "proc/sys/net/core/somaxconn"), "8192\n");
	/* not on the allow-list although the file exists */
	assert_int_equal(knob_write(k, root, "", "kernel.panic", "1"), -EPERM);
	assert_string_equal(slurp(root, "proc/sys/kernel/panic"), "0\n");
	assert_int_equal(knob_write(k, root, "x", "net.core.somaxconn", "4096"), -EINVAL);
	assert_string_equal(slurp(root, "proc/sys/net/core/somaxconn"), "8192\n");
	/* listed but missing in this kernel: no file is created */
	assert_int_equal(knob_write(k, root, "", "net.core.netdev_budget", "600"), -ENOENT);
	assert_int_equal(kfs_exists(root, "proc/sys/net/core/netdev_budget"), 0);
	assert_int_equal(knob_write(k, root, "", "net.ipv4.ip_local_port_range", "10000 65000"), 0);
	assert_string_equal(slurp(root, "proc/sys/net/ipv4/ip_local_port_range"), "10000 65000\n");
}

static void test_sysctl_check_restore(void **state)
{
	const char *root = *state;
	const struct knob *k = knob_find("sysctl");
	char why[128] = "";
	assert_int_equal(knob_check(k, "", "net.core.somaxconn", "100", why, sizeof why), -ERANGE);
	assert_non_null(strstr(why, "outside [128, 65535]"));
	assert_int_equal(knob_check(k, "eth0", "net.core.somaxconn", "4096", why, sizeof why), -EINVAL);
	assert_string_equal(why, "sysctl knobs take no target");
	/* restore may put back an original value outside vtune's range ... */
	assert_int_equal(knob_restore(k, root, "", "net.core.somaxconn", "100"), 0);
	assert_string_equal(slurp(root, "proc/sys/net/core/somaxconn"), "100\n");
	/* ... never an unlisted key or junk */
	assert_int_equal(knob_restore(k, root, "", "kernel.panic", "1"), -EPERM);
	assert_string_equal(slurp(root, "proc/sys/kernel/panic"), "0\n");
	assert_int_equal(knob_restore(k, root, "", "net.core.somaxconn", "1\n2"), -EINVAL);
	assert_string_equal(slurp(root, "proc/sys/net/core/somaxconn"), "100\n");
}

static void test_value_equal(void **state)
{
	(void)state;
	assert_true(knob_value_equal("32768\t60999", "32768 60999"));
	assert_true(knob_value_equal(" 32768  60999\n", "32768\t60999"));
	assert_true(knob_value_equal("4096", "4096\n"));
	assert_true(knob_value_equal("", "  "));
	assert_true(knob_value_equal(NULL, NULL));
	assert_false(knob_value_equal("4096", "40960"));
	assert_false(knob_value_equal("40960", "4096"));
	assert_false(knob_value_equal("4096", "4097"));
	assert_false(knob_value_equal("32768 60999", "3276860999"));
	assert_false(knob_value_equal("32768 60999", "32768"));
	assert_false(knob_value_equal("", "0"));
	assert_false(knob_value_equal(NULL, ""));
	assert_false(knob_value_equal("1", NULL));
}

static void test_normalize(void **state)
{
	char b[12];
	(void)state;
	assert_int_equal(knob_value_normalize("\t32768 \t 60999\n", b, sizeof b), 0);
	assert_string_equal(b, "32768 60999");
	assert_int_equal(knob_value_normalize("  ", b, sizeof b), 0);
	assert_string_equal(b, "");
	assert_int_equal(knob_value_normalize("123456 1234567", b, sizeof b), -EOVERFLOW);
	assert_string_equal(b, "123456 1234");
	assert_int_equal(knob_value_normalize("x", b, 0), -EOVERFLOW);
}

static int fake_read(void *ctx, const char *root, const char *target, const char *key,
		     char *buf, size_t n)
{
	/* the context given at registration comes back */
	if (ctx)
		*(int *)ctx += 1;
	(void)root; (void)target; (void)key;
	snprintf(buf, n, "on");
	return 0;
}

static int fake_write(void *ctx, const char *root, const char *target, const char *key,
		      const char *value)
{
	(void)ctx; (void)root; (void)target; (void)key; (void)value;
	return -EIO;
}

static void test_registry(void **state)
{
	static const struct knob_ops fake = { .kind = "offload", .read = fake_read,
					      .write = fake_write };
	static const struct knob_ops dup = { .kind = "sysctl", .read = fake_read,
					     .write = fake_write };
	static const struct knob_ops noname = { .kind = "", .read = fake_read,
						.write = fake_write };
	static const struct knob_ops noread = { .kind = "x", .write = fake_write };
	static struct knob_ops many[KNOB_MAX_KINDS];
	static char names[KNOB_MAX_KINDS][16];
	(void)state;

	assert_null(knob_find("offload"));
	assert_null(knob_find(NULL));
	int calls = 0;
	char buf[8];
	assert_int_equal(knob_register(&fake, &calls), 0);
	assert_ptr_equal(knob_find("offload")->ops, &fake);
	assert_int_equal(knob_read(knob_find("offload"), "/", "", "k", buf, sizeof buf), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(knob_register(&fake, NULL), -EEXIST);
	assert_int_equal(knob_register(&dup, NULL), -EEXIST);
	assert_int_equal(knob_register(&noname, NULL), -EINVAL);
	assert_int_equal(knob_register(&noread, NULL), -EINVAL);
	assert_int_equal(knob_register(NULL, NULL), -EINVAL);
	/* bind: the same ops get a new context; other ops under the name do not */
	assert_int_equal(knob_bind(&fake, NULL), 0);
	assert_int_equal(knob_read(knob_find("offload"), "/", "", "k", buf, sizeof buf), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(knob_bind(&dup, NULL), -EEXIST);
	/* sysctl + offload + 14 more fill the table */
	int ok = 0;
	for (int i = 0; i < KNOB_MAX_KINDS; i++) {
		snprintf(names[i], sizeof names[i], "k%d", i);
		many[i] = (struct knob_ops){ .kind = names[i], .read = fake_read,
					     .write = fake_write };
		int r = knob_register(&many[i], NULL);
		if (i < KNOB_MAX_KINDS - 2) {
			assert_int_equal(r, 0);
			ok++;
		} else {
			assert_int_equal(r, -ENOSPC);
		}
	}
	assert_int_equal(ok, KNOB_MAX_KINDS - 2);
	assert_ptr_equal(knob_find("k13")->ops, &many[13]);
	assert_ptr_equal(knob_find("sysctl")->ops, &knob_sysctl_ops);
	for (int i = 0; i < ok; i++)
		assert_int_equal(knob_unregister(names[i]), 0);
	assert_int_equal(knob_unregister("k0"), -ENOENT);
	assert_int_equal(knob_unregister("offload"), 0);
	assert_null(knob_find("offload"));
	assert_ptr_equal(knob_find("sysctl")->ops, &knob_sysctl_ops);
}

static void test_changed(void **state)
{
	const char *root = *state;
	char now[32] = "";
	assert_int_equal(knob_changed(root, "sysctl", "", "net.core.somaxconn", "4096", now, sizeof now), 0);
	assert_string_equal(now, "4096");
	put(root, "proc/sys/net/core/somaxconn", "9000\n");
	assert_int_equal(knob_changed(root, "sysctl", "", "net.core.somaxconn", "4096", now, sizeof now), 1);
	assert_string_equal(now, "9000");
	assert_int_equal(knob_changed(root, "sysctl", "", "net.ipv4.ip_local_port_range",
				      "32768 60999", NULL, 0), 0);
	assert_int_equal(knob_changed(root, "nosuch", "", "x", "1", NULL, 0), -ENOENT);
	assert_int_equal(knob_changed(root, "sysctl", "", "net.core.netdev_budget", "1", NULL, 0), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sysctl_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysctl_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysctl_check_restore, setup, teardown),
		cmocka_unit_test(test_value_equal),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_registry),
		cmocka_unit_test_setup_teardown(test_changed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
