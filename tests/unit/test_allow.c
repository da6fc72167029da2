/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_allow: the sysctl allow-list: accepted and refused values, ranges,
 * the port-range pair, powers of two and key-to-path mapping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "allow.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int chk(const char *key, const char *val)
{
	char why[256];
	return allow_check(key, val, why, sizeof why);
}

static void test_numbers(void **state)
{
	(void)state;
	assert_int_equal(chk("net.core.somaxconn", "4096"), 0);
	assert_int_equal(chk("net.core.somaxconn", "128"), 0);
	assert_int_equal(chk("net.core.somaxconn", "65535"), 0);
	assert_int_equal(chk("net.core.somaxconn", "127"), -ERANGE);
	assert_int_equal(chk("net.core.somaxconn", "65536"), -ERANGE);
	assert_int_equal(chk("net.core.somaxconn", " 4096\n"), 0);
	assert_int_equal(chk("net.core.somaxconn", ""), -EINVAL);
	assert_int_equal(chk("net.core.somaxconn", "abc"), -EINVAL);
	assert_int_equal(chk("net.core.somaxconn", "-1"), -EINVAL);
	assert_int_equal(chk("net.core.somaxconn", "+4096"), -EINVAL);
	assert_int_equal(chk("net.core.somaxconn", "4096x"), -EINVAL);
	assert_int_equal(chk("net.core.somaxconn", "0x1000"), -EINVAL);
	/* the kernel reads base 0: "010" would be octal there */
	assert_int_equal(chk("net.core.somaxconn", "04096"), -EINVAL);
	assert_int_equal(chk("net.core.somaxconn", "4096 4096"), -EINVAL);
	assert_int_equal(chk("net.core.somaxconn", NULL), -EINVAL);
	assert_int_equal(chk("net.ipv4.tcp_slow_start_after_idle", "0"), 0);
	assert_int_equal(chk("net.ipv4.tcp_slow_start_after_idle", "2"), -ERANGE);
	assert_int_equal(chk("net.ipv4.tcp_syncookies", "2"), 0);
	assert_int_equal(chk("net.ipv4.tcp_syncookies", "3"), -ERANGE);
	assert_int_equal(chk("net.ipv4.tcp_tw_reuse", "2"), 0);
	assert_int_equal(chk("net.bridge.bridge-nf-call-iptables", "0"), 0);
	assert_int_equal(chk("net.bridge.bridge-nf-call-ip6tables", "1"), 0);
	assert_int_equal(chk("net.bridge.bridge-nf-call-arptables", "2"), -ERANGE);
	assert_int_equal(chk("fs.file-max", "9223372036854775807"), 0);
	assert_int_equal(chk("fs.file-max", "9223372036854775808"), -ERANGE);
	assert_int_equal(chk("fs.file-max", "99999999999999999999999"), -ERANGE);
	assert_int_equal(chk("net.ipv4.tcp_fin_timeout", "4"), -ERANGE);
	assert_int_equal(chk("net.netfilter.nf_conntrack_max", "262144"), 0);
	assert_int_equal(chk("net.nf_conntrack_max", "100"), -ERANGE);
}

static void test_not_listed(void **state)
{
	char why[256] = "";
	(void)state;
	assert_int_equal(allow_check("kernel.panic", "1", why, sizeof why), -EPERM);
	assert_string_equal(why, "kernel.panic: not on the sysctl allow-list");
	assert_int_equal(chk("net.core.somaxconn.x", "4096"), -EPERM);
	assert_int_equal(chk("", "1"), -EPERM);
	assert_int_equal(chk(NULL, "1"), -EPERM);
	assert_null(allow_find("net.core"));
	assert_non_null(allow_find("net.core.netdev_budget_usecs"));
	/* no why buffer is fine */
	assert_int_equal(allow_check("kernel.panic", "1", NULL, 0), -EPERM);
}

static void test_reason_text(void **state)
{
	char why[256] = "";
	(void)state;
	assert_int_equal(allow_check("net.core.somaxconn", "70000", why, sizeof why), -ERANGE);
	assert_non_null(strstr(why, "net.core.somaxconn: 70000 is outside [128, 65535]"));
	assert_int_equal(allow_check("net.core.somaxconn", "x1", why, sizeof why), -EINVAL);
	assert_string_equal(why, "net.core.somaxconn: \"x1\" is not a plain decimal number");
	/* a tiny buffer is truncated, not overrun */
	char small[8];
	memset(small, 'Z', sizeof small);
	assert_int_equal(allow_check("kernel.panic", "1", small, 5), -EPERM);
	assert_string_equal(small, "kern");
	assert_int_equal(small[5], 'Z');
}

static void test_port_range(void **state)
{
	char why[256];
	const char *k = "net.ipv4.ip_local_port_range";
	(void)state;
	assert_int_equal(chk(k, "32768 60999"), 0);
	assert_int_equal(chk(k, "32768\t60999"), 0);
	assert_int_equal(chk(k, "1024 65535"), 0);
	assert_int_equal(chk(k, "1023 65535"), -ERANGE);
	assert_int_equal(chk(k, "1024 65536"), -ERANGE);
	assert_int_equal(allow_check(k, "5000 5000", why, sizeof why), -ERANGE);
	assert_string_equal(why, "net.ipv4.ip_local_port_range: low end 5000 must be below high end 5000");
	assert_int_equal(chk(k, "6000 5000"), -ERANGE);
	assert_int_equal(chk(k, "32768"), -EINVAL);
	assert_int_equal(chk(k, "1 2 3"), -EINVAL);
	assert_int_equal(chk(k, "32768 6099x"), -EINVAL);
	assert_int_equal(chk(k, "32768,60999"), -EINVAL);
}

static void test_pow2(void **state)
{
	const char *k = "net.core.rps_sock_flow_entries";
	(void)state;
	assert_int_equal(chk(k, "0"), 0);
	assert_int_equal(chk(k, "1"), 0);
	assert_int_equal(chk(k, "32768"), 0);
	assert_int_equal(chk(k, "1048576"), 0);
	assert_int_equal(chk(k, "32767"), -ERANGE);
	assert_int_equal(chk(k, "1000"), -ERANGE);
	assert_int_equal(chk(k, "2097152"), -ERANGE);
}

static void test_restore(void **state)
{
	(void)state;
	/* an original value below vtune's own range can be put back ... */
	assert_int_equal(allow_check_restore("net.core.somaxconn", "50", NULL, 0), 0);
	assert_int_equal(allow_check_restore("net.core.rps_sock_flow_entries", "1000", NULL, 0), 0);
	assert_int_equal(allow_check_restore("net.ipv4.ip_local_port_range", "80 90", NULL, 0), 0);
	/* ... but never an unlisted key or a malformed value */
	assert_int_equal(allow_check_restore("kernel.panic", "1", NULL, 0), -EPERM);
	assert_int_equal(allow_check_restore("net.core.somaxconn", "1;2", NULL, 0), -EINVAL);
	assert_int_equal(allow_check_restore("net.core.somaxconn", "99999999999999999999999", NULL, 0), -EINVAL);
	assert_int_equal(allow_check_restore("net.ipv4.ip_local_port_range", "80", NULL, 0), -EINVAL);
}

static void test_path(void **state)
{
	char p[128];
	(void)state;
	assert_int_equal(allow_sysctl_path("net.core.somaxconn", p, sizeof p), 0);
	assert_string_equal(p, "proc/sys/net/core/somaxconn");
	assert_int_equal(allow_sysctl_path("net.bridge.bridge-nf-call-iptables", p, sizeof p), 0);
	assert_string_equal(p, "proc/sys/net/bridge/bridge-nf-call-iptables");
	assert_int_equal(allow_sysctl_path("fs.file-max", p, sizeof p), 0);
	assert_string_equal(p, "proc/sys/fs/file-max");
	const char *bad[] = {
		"", ".", "..", "net..core", ".net.core", "net.core.",
		"net.core...x", "net/core", "../../etc/passwd", "net.core/../../x",
		"net.ipv4.conf.eth0/1.rp_filter", "net core", "net.core.\n",
		"net.*",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		strcpy(p, "unchanged");
		assert_int_equal(allow_sysctl_path(bad[i], p, sizeof p), -EINVAL);
		assert_string_equal(p, "unchanged");
	}
	assert_int_equal(allow_sysctl_path(NULL, p, sizeof p), -EINVAL);
	/* exact fit and one byte short */
	char q[sizeof "proc/sys/fs/file-max"];
	assert_int_equal(allow_sysctl_path("fs.file-max", q, sizeof q), 0);
	assert_int_equal(allow_sysctl_path("fs.file-max", q, sizeof q - 1), -ENAMETOOLONG);
}

/* The list is self-consistent: every key maps to a path, its bounds pass. */
static void test_list_consistent(void **state)
{
	size_t n;
	char p[256], v[64];
	const struct allow_rule *r = allow_list(&n);
	(void)state;
	assert_int_equal(n, 26);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(allow_sysctl_path(r[i].key, p, sizeof p), 0);
		assert_true(r[i].min <= r[i].max);
		assert_non_null(r[i].note);
		assert_ptr_equal(allow_find(r[i].key), &r[i]);
		unsigned long long max = allow_max_now(&r[i]);
		assert_true(max >= r[i].min && max <= r[i].max);
		if (r[i].flags & ALLOW_PAIR)
			snprintf(v, sizeof v, "%llu %llu", (unsigned long long)r[i].min, max);
		else if (allow_is_triple(&r[i]))
			snprintf(v, sizeof v, "%llu %llu %llu", (unsigned long long)r[i].min,
				 (unsigned long long)r[i].min, max);
		else
			snprintf(v, sizeof v, "%llu", max);
		assert_int_equal(chk(r[i].key, v), 0);
		for (size_t k = i + 1; k < n; k++)
			assert_string_not_equal(r[i].key, r[k].key);
	}
}

/* Socket memory: three numbers in order, each within bounds that the
 * machine's memory lowers, never past what the kernel's int holds. */
static void test_socket_memory(void **state)
{
	(void)state;
	allow_set_phys_bytes(4ull << 30); /* 4 GiB */
	/* tcp_mem in pages: a quarter of 4 GiB is 262144 pages of 4 KiB */
	const struct allow_rule *m = allow_find("net.ipv4.tcp_mem");
	assert_non_null(m);
	long psz = sysconf(_SC_PAGESIZE);
	assert_int_equal(allow_max_now(m), (4ull << 30) / 4 / (unsigned long long)psz);
	assert_int_equal(chk("net.ipv4.tcp_mem", "92160 122880 184320"), 0);
	assert_int_equal(chk("net.ipv4.tcp_mem", "122880 92160 184320"), -ERANGE); /* order */
	assert_int_equal(chk("net.ipv4.tcp_mem", "92160 122880 1048576"), -ERANGE); /* > 1/4 */
	assert_int_equal(chk("net.ipv4.tcp_mem", "92160 122880"), -EINVAL);
	assert_int_equal(chk("net.ipv4.tcp_mem", "-1 2 3"), -EINVAL);
	/* tcp_rmem: 64 MiB at most (1/64 of 4 GiB), never 2 GiB or a negative int */
	assert_int_equal(chk("net.ipv4.tcp_rmem", "4096 131072 67108864"), 0);
	assert_int_equal(chk("net.ipv4.tcp_rmem", "4096 131072 2147483648"), -ERANGE);
	assert_int_equal(chk("net.ipv4.tcp_rmem", "4096 131072 4294967295"), -ERANGE);
	assert_int_equal(chk("net.ipv4.tcp_rmem", "4096 131072 18446744073709551615"), -ERANGE);
	assert_int_equal(chk("net.ipv4.tcp_rmem", "4096 131072 18446744073709551616"), -ERANGE);
	assert_int_equal(chk("net.core.rmem_max", "2147483647"), -ERANGE);
	/* a small guest (256 MiB): 4 MiB buffers at most */
	allow_set_phys_bytes(256ull << 20);
	assert_int_equal(allow_max_now(allow_find("net.core.rmem_max")), 4u << 20);
	assert_int_equal(chk("net.core.rmem_max", "8388608"), -ERANGE);
	assert_int_equal(chk("net.core.rmem_max", "4194304"), 0);
	/* restoring what the kernel had is allowed whatever the bounds */
	assert_int_equal(allow_check_restore("net.core.rmem_max", "268435456", NULL, 0), 0);
	/* TIME_WAIT buckets and orphans */
	assert_int_equal(allow_max_now(allow_find("net.ipv4.tcp_max_tw_buckets")), 262144);
	assert_int_equal(allow_max_now(allow_find("net.ipv4.tcp_max_orphans")), 8192);
	allow_set_phys_bytes(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_not_listed),
		cmocka_unit_test(test_reason_text),
		cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_pow2),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_list_consistent),
		cmocka_unit_test(test_socket_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
