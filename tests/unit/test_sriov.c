/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_sriov: SR-IOV PFs/VFs, vfio-pci binding, hostdev XML and the
 * "sriov-numvfs" knob on a copy of tests/fixtures/sriov. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kfs.h"
#include "knob.h"
#include "sriov.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char root[64];

static int setup(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(root, sizeof root, "/tmp/vtune-sriov-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(cmd, sizeof cmd, "cp -a tests/fixtures/sriov/sys %s/", root);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *rd(const char *rel)
{
	static char buf[256];
	assert_int_equal(kfs_read_str(root, rel, buf, sizeof buf), 0);
	return buf;
}

static void test_pfs_counts(void **state)
{
	(void)state;
	char pf[4][SRIOV_NAME_MAX];
	size_t n;
	unsigned v;
	assert_int_equal(sriov_list_pfs(root, pf, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pf[0], "eth0");
	assert_int_equal(sriov_list_pfs(root, pf, 0, &n), 0); /* count only */
	assert_int_equal(n, 1);
	assert_int_equal(sriov_total_vfs(root, "eth0", &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(sriov_num_vfs(root, "eth0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(sriov_total_vfs(root, "eth1", &v), -ENOENT);
	assert_int_equal(sriov_total_vfs(root, "../eth0", &v), -EINVAL);
	assert_int_equal(sriov_list_pfs("/nonexistent-vtune", pf, 4, &n), -ENOENT);
}

static void test_set_numvfs(void **state)
{
	(void)state;
	const char *f = "sys/class/net/eth0/device/sriov_numvfs";
	assert_int_equal(sriov_set_num_vfs(root, "eth0", 2), 0);
	assert_string_equal(rd(f), "2");
	/* 2 -> 3 goes through 0, which would remove VF 1 (03:10.1) from
	 * vfio-pci: refused, nothing written */
	assert_int_equal(sriov_set_num_vfs(root, "eth0", 3), -EBUSY);
	assert_string_equal(rd(f), "2");
	assert_int_equal(kfs_write_str(root, "sys/bus/pci/devices/0000:03:10.1/driver", "iavf"), 0);
	assert_int_equal(sriov_set_num_vfs(root, "eth0", 3), 0); /* via 0 */
	assert_string_equal(rd(f), "3");
	assert_int_equal(sriov_set_num_vfs(root, "eth0", 5), -ERANGE);
	assert_string_equal(rd(f), "3");
	assert_int_equal(sriov_set_num_vfs(root, "eth0", 0), 0);
	assert_string_equal(rd(f), "0");
	assert_int_equal(sriov_set_num_vfs(root, "eth1", 1), -ENOENT);
}

static void test_vfs(void **state)
{
	(void)state;
	char a[SRIOV_NAME_MAX], drv[32];
	assert_int_equal(sriov_vf_addr(root, "eth0", 0, a), 0); /* symlink */
	assert_string_equal(a, "0000:03:10.0");
	assert_int_equal(sriov_vf_addr(root, "eth0", 2, a), 0); /* plain file */
	assert_string_equal(a, "0000:03:10.2");
	assert_int_equal(sriov_vf_addr(root, "eth0", 9, a), -ENOENT);
	assert_int_equal(sriov_vf_driver(root, "0000:03:10.0", drv, sizeof drv), 0);
	assert_string_equal(drv, "iavf");
	assert_int_equal(sriov_vf_driver(root, "0000:03:10.1", drv, sizeof drv), 0);
	assert_string_equal(drv, "vfio-pci");
	assert_int_equal(sriov_vf_driver(root, "0000:03:10.2", drv, sizeof drv), 0);
	assert_string_equal(drv, "");
	assert_int_equal(sriov_vf_driver(root, "../../x", drv, sizeof drv), -EINVAL);
}

static void test_addr_xml(void **state)
{
	(void)state;
	unsigned d, b, s, fn;
	char xml[256];
	assert_int_equal(sriov_parse_addr("0000:3B:1F.7", &d, &b, &s, &fn), 0);
	assert_int_equal(d, 0);
	assert_int_equal(b, 0x3b);
	assert_int_equal(s, 0x1f);
	assert_int_equal(fn, 7);
	assert_int_equal(sriov_parse_addr("0000:03:20.0", &d, &b, &s, &fn), -EINVAL); /* slot */
	assert_int_equal(sriov_parse_addr("0000:03:10.8", &d, &b, &s, &fn), -EINVAL);
	assert_int_equal(sriov_parse_addr("03:10.1", &d, &b, &s, &fn), -EINVAL);
	assert_int_equal(sriov_parse_addr("0000:03:1g.1", &d, &b, &s, &fn), -EINVAL);
	assert_int_equal(sriov_hostdev_xml("0000:03:10.1", xml, sizeof xml), 0);
	assert_string_equal(xml, "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
				 "<address domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>"
				 "</source></hostdev>");
	assert_int_equal(sriov_hostdev_xml("0000:03:10.1", xml, 20), -ENAMETOOLONG);
	assert_int_equal(sriov_hostdev_xml("x", xml, sizeof xml), -EINVAL);
}

static void test_knob(void **state)
{
	(void)state;
	const struct knob kk = { &sriov_knob_numvfs_ops, NULL }, *k = &kk;
	char buf[32], why[128];
	assert_string_equal(k->ops->kind, "sriov-numvfs");
	assert_int_equal(knob_read(k, root, "eth0", "sriov_numvfs", buf, sizeof buf), 0);
	assert_string_equal(buf, "0");
	assert_int_equal(knob_check(k, "eth0", "sriov_numvfs", "2", why, sizeof why), 0);
	assert_int_equal(knob_check(k, "eth0", "numvfs", "2", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(k, "eth0", "sriov_numvfs", "two", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(k, "a/b", "sriov_numvfs", "2", why, sizeof why), -EINVAL);
	assert_int_equal(knob_write(k, root, "eth0", "sriov_numvfs", "2\n"), 0);
	assert_int_equal(knob_read(k, root, "eth0", "sriov_numvfs", buf, sizeof buf), 0);
	assert_string_equal(buf, "2");
	assert_int_equal(knob_write(k, root, "eth0", "sriov_numvfs", "9"), -ERANGE);
	assert_int_equal(knob_write(k, root, "eth0", "sriov_numvfs", "-1"), -EINVAL);
	assert_int_equal(knob_read(k, root, "eth0", "sriov_numvfs", buf, 1), -EOVERFLOW);
	assert_int_equal(knob_register(k->ops, NULL), 0);
	assert_int_equal(knob_changed(root, "sriov-numvfs", "eth0", "sriov_numvfs", "2", NULL, 0), 0);
	assert_int_equal(knob_unregister("sriov-numvfs"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pfs_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_numvfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs, setup, teardown),
		cmocka_unit_test(test_addr_xml),
		cmocka_unit_test_setup_teardown(test_knob, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
