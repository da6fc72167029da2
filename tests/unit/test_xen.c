/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_xen: the parts of the Xen backend that run without Xen: open failing
 * cleanly, CPU lists, the dom0-away plan, checks of guest-written xenstore
 * values, a report joined from its parts, watch paths, dom0 load from
 * /proc/stat, the PCI knob on a fixture. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kfs.h"
#include "knob.h"
#include "cpulist.h"
#include "sriov.h"
#include "xen.h"
#include "xen_parts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_open_without_xen(void **state)
{
	(void)state;
	int err = 0;
	char why[256] = "";
	struct backend *b = backend_xen_ops.open(NULL, "/", &err, why, sizeof why);
	if (b) { /* running in a real dom0 */
		backend_xen_ops.close(b);
		skip();
	}
	assert_true(err < 0);
	assert_string_equal(why, "no Xen here: xc_interface_open failed (is this dom0?)");
	assert_string_equal(backend_xen_ops.name, "xen");
	assert_non_null(backend_xen_ops.knobs);
}

static void test_no_backend(void **state)
{
	(void)state;
	char buf[64];
	uint64_t seq;
	assert_int_equal(xen_read_report(NULL, 1, buf, sizeof buf, NULL, 0), -ENOTCONN);
	assert_int_equal(xen_read_seq(NULL, 1, &seq), -ENOTCONN);
	assert_int_equal(xen_send(NULL, 1, "{}"), -ENOTCONN);
	/* knobs have no hypervisor handle without an open backend */
	assert_int_equal(xen_knob_vcpupin_ops.read(NULL, "/", "0", "vcpu0", buf, sizeof buf), -ENOTCONN);
	assert_int_equal(xen_knob_vcpupin_ops.write(NULL, "/", "0", "vcpu0", "1"), -ENOTCONN);
	assert_int_equal(xen_knob_vcpupin_ops.read(NULL, "/", "x", "vcpu0", buf, sizeof buf), -EINVAL);
}

/* ---- a guest's data/vtune as xen_report_join reads it ---- */

#define JK_MAX 40
static struct {
	char key[JK_MAX][32];
	char *val[JK_MAX];
	int n, reads;
} jd;

static void jset(const char *key, const char *val)
{
	for (int i = 0; i < jd.n; i++)
		if (!strcmp(jd.key[i], key)) {
			free(jd.val[i]);
			jd.val[i] = strdup(val);
			return;
		}
	assert_true(jd.n < JK_MAX);
	snprintf(jd.key[jd.n], sizeof jd.key[0], "%s", key);
	jd.val[jd.n++] = strdup(val);
}

static void jclear(void)
{
	for (int i = 0; i < jd.n; i++)
		free(jd.val[i]);
	memset(&jd, 0, sizeof jd);
}

static int jread(void *arg, const char *key, char **val, size_t *len)
{
	(void)arg;
	jd.reads++;
	for (int i = 0; i < jd.n; i++)
		if (!strcmp(jd.key[i], key)) {
			*val = strdup(jd.val[i]);
			*len = strlen(jd.val[i]);
			return 0;
		}
	return -ENOENT;
}

/* text (NUL-terminated) as n parts report-0 .. with report-parts = n */
static void jparts(const char *text, int n)
{
	size_t len = strlen(text), at = 0;
	char key[32], num[8], *part;
	for (int i = 0; i < n; i++) {
		size_t k = i == n - 1 ? len - at : len / (size_t)n;
		part = strndup(text + at, k);
		snprintf(key, sizeof key, "report-%d", i);
		jset(key, part);
		free(part);
		at += k;
	}
	snprintf(num, sizeof num, "%d", n);
	jset("report-parts", num);
}

static void test_report_join(void **state)
{
	(void)state;
	static char buf[XEN_JOIN_MAX + 1], text[5200];
	char why[128];
	/* a 5 KB report, in 3 parts */
	int at = snprintf(text, sizeof text, "{\"v\":2,\"type\":\"report\",\"seq\":7,\"sample\":{\"pad\":\"");
	memset(text + at, 'x', 5000);
	snprintf(text + at + 5000, sizeof text - (size_t)at - 5000, "\"}}");
	jparts(text, 3);
	jd.reads = 0;
	assert_int_equal(xen_report_join(jread, NULL, buf, sizeof buf, why, sizeof why),
			 (int)strlen(text));
	assert_string_equal(buf, text);
	assert_int_equal(jd.reads, 5); /* report, report-parts, 3 parts */

	/* stale parts of a bigger earlier report are not read */
	jset("report-3", "\"stale\"}");
	jset("report-4", "junk");
	jd.reads = 0;
	assert_int_equal(xen_report_join(jread, NULL, buf, sizeof buf, why, sizeof why),
			 (int)strlen(text));
	assert_string_equal(buf, text);
	assert_int_equal(jd.reads, 5);

	/* one value (an agent that does not split, an older one) wins */
	jset("report", "{\"one\":1}");
	assert_int_equal(xen_report_join(jread, NULL, buf, sizeof buf, why, sizeof why), 9);
	assert_string_equal(buf, "{\"one\":1}");
	jclear();
	assert_int_equal(xen_report_join(jread, NULL, buf, sizeof buf, why, sizeof why), -ENOENT);

	/* a missing part: refused, whatever the others hold */
	jparts(text, 3);
	free(jd.val[1]);
	jd.val[1] = strdup("");
	snprintf(jd.key[1], sizeof jd.key[1], "report-gone");
	assert_int_equal(xen_report_join(jread, NULL, buf, sizeof buf, why, sizeof why), -EBADMSG);
	assert_string_equal(why, "report-parts says 3 but report-1 is missing");

	/* a count that is no count */
	static const char *const bad[] = { "", "0", "17", "99", "-1", "03", "1x", "2 ", "100" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		jclear();
		jparts(text, 2);
		jset("report-parts", bad[i]);
		jd.reads = 0;
		assert_int_equal(xen_report_join(jread, NULL, buf, sizeof buf, why, sizeof why),
				 -EBADMSG);
		assert_int_equal(jd.reads, 2); /* no part read */
	}

	/* a garbled part: control bytes, invalid UTF-8, over 4096 bytes */
	jclear();
	jparts(text, 3);
	jset("report-2", "xx\nx\"}}");
	assert_int_equal(xen_report_join(jread, NULL, buf, sizeof buf, why, sizeof why), -EINVAL);
	assert_string_equal(why, "report-2: control bytes or not UTF-8");
	jset("report-2", "xx\xc3x\"}}");
	assert_int_equal(xen_report_join(jread, NULL, buf, sizeof buf, why, sizeof why), -EINVAL);
	static char big[XEN_VALUE_MAX + 2];
	memset(big, 'y', XEN_VALUE_MAX + 1);
	jset("report-2", big);
	assert_int_equal(xen_report_join(jread, NULL, buf, sizeof buf, why, sizeof why), -EMSGSIZE);

	/* 16 full parts pass the line limit; 17 are never read */
	jclear();
	big[XEN_VALUE_MAX] = '\0';
	for (int i = 0; i < XEN_PARTS_MAX; i++) {
		char key[32];
		snprintf(key, sizeof key, "report-%d", i);
		jset(key, big);
	}
	jset("report-parts", "16");
	assert_int_equal(xen_report_join(jread, NULL, buf, sizeof buf, why, sizeof why), -EMSGSIZE);
	assert_string_equal(why, "report-15: the parts joined pass 65535 bytes");
	jset("report-parts", "15");
	assert_int_equal(xen_report_join(jread, NULL, buf, sizeof buf, why, sizeof why),
			 15 * XEN_VALUE_MAX);
	/* and a buffer too small */
	assert_int_equal(xen_report_join(jread, NULL, buf, 5000, why, sizeof why), -EOVERFLOW);
	jclear();
}

static void roundtrip(const char *in, const char *want)
{
	uint8_t map[16];
	char out[64];
	assert_int_equal(cpulist_parse(in, map, sizeof map, 128), 0);
	assert_int_equal(cpulist_format(map, 128, out, sizeof out), 0);
	assert_string_equal(out, want);
}

static void test_cpulist(void **state)
{
	(void)state;
	uint8_t map[2];
	char out[8];
	roundtrip("0", "0");
	roundtrip("1-3", "1-3");
	roundtrip("0,2-4,7", "0,2-4,7");
	roundtrip("3,0-1,2", "0-3");
	roundtrip("5,5,5", "5");
	roundtrip("127", "127");
	static const char *bad[] = { "", "a", "1-", "-1", "3-1", "1,,2", "1,", ",1", " 1",
				     "1 ", "1-2-3", "0x1", "+1", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(cpulist_parse(bad[i], map, sizeof map, 8), -EINVAL);
	assert_int_equal(cpulist_parse(NULL, map, sizeof map, 8), -EINVAL);
	assert_int_equal(cpulist_parse("8", map, sizeof map, 8), -ERANGE);
	assert_int_equal(cpulist_parse("0-8", map, sizeof map, 8), -ERANGE);
	assert_int_equal(cpulist_parse("99999999999999999999", map, sizeof map, 8), -ERANGE);
	assert_int_equal(cpulist_parse("16", map, sizeof map, 1024), -ERANGE); /* map too small */
	/* format: empty map, and a buffer too small */
	memset(map, 0, sizeof map);
	assert_int_equal(cpulist_format(map, 16, out, sizeof out), 0);
	assert_string_equal(out, "");
	map[0] = 0x55; /* 0,2,4,6 */
	assert_int_equal(cpulist_format(map, 8, out, 4), -EOVERFLOW);
	assert_int_equal(cpulist_format(map, 8, out, sizeof out), 0);
	assert_string_equal(out, "0,2,4,6");
}

static void test_value_check(void **state)
{
	(void)state;
	static char big[XEN_VALUE_MAX + 2];
	memset(big, 'a', sizeof big);
	assert_int_equal(xen_value_check(big, XEN_VALUE_MAX), 0);
	assert_int_equal(xen_value_check(big, XEN_VALUE_MAX + 1), -EMSGSIZE);
	const char *ok = "{\"v\":1,\"type\":\"report\",\"seq\":1,\"sample\":{\"k\":\"a\\tb\"}}";
	assert_int_equal(xen_value_check(ok, strlen(ok)), 0);
	assert_int_equal(xen_value_check("a\tb", 3), 0);
	assert_int_equal(xen_value_check("caf\xc3\xa9", 5), 0);
	assert_int_equal(xen_value_check("a\0b", 3), -EINVAL);
	assert_int_equal(xen_value_check("a\xff\n", 3), -EINVAL);
	assert_int_equal(xen_value_check("a\nb", 3), -EINVAL);
	assert_int_equal(xen_value_check("a\rb", 3), -EINVAL);
	assert_int_equal(xen_value_check("\x1b[2J", 4), -EINVAL);
	assert_int_equal(xen_value_check("\xc3\x28", 2), -EINVAL);		/* bad continuation */
	assert_int_equal(xen_value_check("\xc0\xaf", 2), -EINVAL);		/* overlong */
	assert_int_equal(xen_value_check("\xed\xa0\x80", 3), -EINVAL);	/* surrogate */
	assert_int_equal(xen_value_check("\xc3", 1), -EINVAL);		/* truncated */
	assert_int_equal(xen_value_check(NULL, 0), -EINVAL);
}

static void test_seq_parse(void **state)
{
	(void)state;
	uint64_t s = 0;
	assert_int_equal(xen_seq_parse("42", 2, &s), 0);
	assert_int_equal(s, 42);
	assert_int_equal(xen_seq_parse("0", 1, &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(xen_seq_parse("9007199254740991", 16, &s), 0);
	assert_true(s == 9007199254740991ull);
	static const char *bad[] = { "", "4a", "-1", " 1", "1 ", "+1", "1.0", "0x10",
				     "9007199254740992", "123456789012345678901234", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(xen_seq_parse(bad[i], strlen(bad[i]), &s), -EINVAL);
	assert_int_equal(xen_seq_parse("12\0" "3", 4, &s), -EINVAL);
	assert_int_equal(xen_seq_parse(NULL, 0, &s), -EINVAL);
}

static void test_path_domid(void **state)
{
	(void)state;
	int d = -1;
	assert_int_equal(xen_path_domid("/local/domain/5/data/vtune/seq", "data/vtune/seq", &d), 0);
	assert_int_equal(d, 5);
	assert_int_equal(xen_path_domid("/local/domain/32751/data/vtune/seq", "data/vtune/seq", &d), 0);
	assert_int_equal(d, 32751);
	static const char *bad[] = {
		"/local/domain/05/data/vtune/seq", "/local/domain//data/vtune/seq",
		"/local/domain/5/data/vtune/seq/x", "/local/domain/5/data/vtune/seqx",
		"/local/domain/5/../6/data/vtune/seq", "/local/domain/32752/data/vtune/seq",
		"/local/domain/123456/data/vtune/seq", "/local/domain/-1/data/vtune/seq",
		"local/domain/5/data/vtune/seq", "/local/domain/5", "@introduceDomain",
		"/local/domain/5/data/vtune/report", NULL,
	};
	for (int i = 0; bad[i]; i++)
		assert_int_equal(xen_path_domid(bad[i], "data/vtune/seq", &d), -EINVAL);
}

/* What else ran on the pCPUs under a guest's vCPUs: its steal, seen by dom0. */
static void test_contention(void **state)
{
	(void)state;
	const double pcpu[3] = { 100, 40, 90 };
	/* vCPU0 on pCPU0 got 50 % of it (50 % others), vCPU1 on pCPU1 had it
	 * alone (40 % busy, all its own), vCPU2 offline, vCPU3 on no pCPU */
	const struct xen_vcpu v[4] = {
		{ .cpu = 0, .online = 1 }, { .cpu = 1, .online = 1 },
		{ .cpu = 2, .online = 0 }, { .cpu = 7, .online = 1 },
	};
	const double vb[4] = { 50, 40, 0, 10 };
	double c = -1;
	assert_int_equal(xen_contention(pcpu, 3, v, vb, 4, &c), 0);
	assert_true(fabs(c - 25) < 1e-9); /* (50 + 0) / 2 */
	assert_int_equal(xen_contention(pcpu, 3, v + 2, vb + 2, 2, &c), -ENODATA);
}

static void test_stat_busy(void **state)
{
	(void)state;
	const char *a = "cpu  200 0 200 1600 0 0 0 0 0 0\n"
			"cpu0 100 0 100 800 0 0 0 0 0 0\n"
			"cpu1 100 0 100 800 0 0 0 0 0 0\n"
			"intr 1 2 3\nctxt 99\n";
	/* cpu0: +50 user +50 idle = 50 %; cpu1: +10 system +80 idle +10 steal = 10 % */
	const char *b = "cpu  260 0 210 1730 0 0 0 10 0 0\n"
			"cpu0 150 0 100 850 0 0 0 0 0 0\n"
			"cpu1 100 0 110 880 0 0 0 10 0 0\n"
			"intr 1 2 3\nctxt 100\n";
	double mean = -1, max = -1;
	assert_int_equal(xen_stat_busy(a, b, &mean, &max), 0);
	assert_true(mean > 29.99 && mean < 30.01);
	assert_true(max > 49.99 && max < 50.01);
	/* no change at all: 0 % */
	assert_int_equal(xen_stat_busy(a, a, &mean, &max), 0);
	assert_true(mean == 0 && max == 0);
	/* a CPU went away, garbage, nothing per CPU */
	const char *c = "cpu0 150 0 100 850 0 0 0 0 0 0\n";
	assert_int_equal(xen_stat_busy(a, c, &mean, &max), -EINVAL);
	assert_int_equal(xen_stat_busy(a, "cpu0 1 x 3 4 5\ncpu1 1 2 3 4 5\n", &mean, &max), -EINVAL);
	assert_int_equal(xen_stat_busy("intr 1\n", "intr 2\n", &mean, &max), -EINVAL);
	assert_int_equal(xen_stat_busy(NULL, b, &mean, &max), -EINVAL);
}

static void test_pin_knob(void **state)
{
	(void)state;
	const struct knob kk = { &xen_knob_vcpupin_ops, NULL }, *k = &kk;
	char why[128];
	assert_string_equal(k->ops->kind, "xen-vcpupin");
	assert_int_equal(knob_check(k, "0", "vcpu0", "1-3", why, sizeof why), 0);
	assert_int_equal(knob_check(k, "17", "vcpu12", "0,2", why, sizeof why), 0);
	static const char *badt[][2] = { { "", "vcpu0" }, { "01", "vcpu0" }, { "-1", "vcpu0" },
					 { "32752", "vcpu0" }, { "1", "vcpu" }, { "1", "cpu0" },
					 { "1", "vcpu01" }, { "1", "vcpu128" }, { "1", "vcpu1x" },
					 { "dom0", "vcpu0" } };
	for (size_t i = 0; i < sizeof badt / sizeof *badt; i++)
		assert_int_equal(knob_check(k, badt[i][0], badt[i][1], "0", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(k, "1", "vcpu0", "", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(k, "1", "vcpu0", "0-", why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "not a CPU list"));

	/* registering the backend's kinds, twice */
	knob_unregister("xen-vcpupin");
	assert_int_equal(xen_knobs_register(), 0);
	assert_int_equal(xen_knobs_register(), 0);
	assert_ptr_equal(knob_find("xen-vcpupin")->ops, k->ops);
	assert_ptr_equal(knob_find("sriov-numvfs")->ops, &sriov_knob_numvfs_ops);
	knob_unregister("xen-vcpupin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_without_xen),
		cmocka_unit_test(test_no_backend),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_value_check),
		cmocka_unit_test(test_report_join),
		cmocka_unit_test(test_seq_parse),
		cmocka_unit_test(test_path_domid),
		cmocka_unit_test(test_stat_busy),
		cmocka_unit_test(test_contention),
		cmocka_unit_test(test_pin_knob),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
