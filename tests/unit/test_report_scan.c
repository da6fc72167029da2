/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for report_scan: every line read the same way as wire_decode
 * plus the json-c reading hostd used before (kept here as the oracle):
 * same verdict, same metrics, same counts, same kept parts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_scan.h"
#include "wire.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

/* ------------------------------------------------ the oracle (json-c) */

static int oracle_metrics(json_object *sample, struct mvec *m, unsigned *unknown)
{
	json_object *mets;
	mvec_clear(m);
	if (!json_object_object_get_ex(sample, "metrics", &mets) ||
	    !json_object_is_type(mets, json_type_object))
		return -EINVAL;
	json_object_object_foreach(mets, k, v) {
		int id = strncmp(k, "guest.", 6) ? -1 : metric_lookup(k);
		if (id < 0) {
			(*unknown)++;
			continue;
		}
		if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
			return -EINVAL;
		double d = json_object_get_double(v), lo, hi;
		metric_range(metric_defs[id].unit, &lo, &hi);
		if (!isfinite(d) || d < lo || d > hi)
			return -EINVAL;
		mvec_set(m, id, d);
	}
	return 0;
}

static json_object *oracle_keep(json_object *sample)
{
	json_object *k = json_object_new_object(), *v, *best = NULL;
	if (json_object_object_get_ex(sample, "listeners", &v) &&
	    json_object_is_type(v, json_type_array)) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(v) && i < RSCAN_KEEP_LISTENERS; i++)
			json_object_array_add(a, json_object_get(json_object_array_get_idx(v, i)));
		json_object_object_add(k, "listeners", a);
	}
	json_object *cpu, *pc, *busy;
	if (json_object_object_get_ex(sample, "cpu", &cpu) &&
	    json_object_object_get_ex(cpu, "per_cpu", &pc) && json_object_is_type(pc, json_type_array)) {
		double bb = -1;
		for (size_t i = 0; i < json_object_array_length(pc); i++) {
			json_object *c = json_object_array_get_idx(pc, i);
			if (json_object_object_get_ex(c, "busy", &busy) &&
			    json_object_get_double(busy) > bb) {
				bb = json_object_get_double(busy);
				best = c;
			}
		}
	}
	if (best) {
		json_object *c = json_object_new_object(), *a = json_object_new_array();
		json_object_array_add(a, json_object_get(best));
		json_object_object_add(c, "per_cpu", a);
		json_object_object_add(k, "cpu", c);
	}
	if (json_object_object_get_ex(sample, "softnet", &v) &&
	    json_object_object_get_ex(v, "net_rx_hot_cpu", &busy)) {
		json_object *sn = json_object_new_object();
		json_object_object_add(sn, "net_rx_hot_cpu", json_object_get(busy));
		json_object_object_add(k, "softnet", sn);
	}
	return k;
}

/* Scan line both ways and insist they agree; returns report_scan's verdict. */
static int both(const char *line)
{
	size_t len = strlen(line);
	struct report_scan rs;
	struct wire_msg m;
	char err[256];
	int r = report_scan(line, len, &rs);
	int d = wire_decode(line, len, &m, err, sizeof err);

	if (d < 0 || m.type != WIRE_REPORT) {
		if (r != 0)
			fail_msg("scan %d but wire_decode %d (%s): %s", r, d, err, line);
		wire_msg_free(&m);
		return r;
	}
	if (r != 1 && r != -EINVAL)
		fail_msg("scan %d but wire_decode took it: %s", r, line);
	assert_true(rs.seq == m.u.report.seq);
	assert_true(rs.mono_ns == m.u.report.mono_ns);
	assert_true(rs.interval_s == m.u.report.interval_s);
	assert_int_equal(rs.unknown_fields, m.unknown_fields);
	struct mvec om;
	unsigned ounk = 0;
	int o = oracle_metrics(m.u.report.sample, &om, &ounk);
	if ((o == 0) != (r == 1))
		fail_msg("scan %d (%s), oracle %d: %s", r, rs.why, o, line);
	assert_int_equal(rs.unknown_metrics, ounk);
	if (r == 1) {
		assert_memory_equal(rs.metrics.known, om.known, sizeof om.known);
		for (int i = 0; i < M_COUNT; i++)
			if (mvec_has(&om, i))
				assert_true(mvec_get(&rs.metrics, i) == mvec_get(&om, i));
		assert_non_null(rs.keep);
		assert_int_equal(strlen(rs.keep), rs.keep_len);
		json_object *k = json_tokener_parse(rs.keep), *ok = oracle_keep(m.u.report.sample);
		if (!k || !json_object_equal(k, ok))
			fail_msg("keep differs:\n%s\n%s", rs.keep, json_object_to_json_string(ok));
		json_object_put(k);
		json_object_put(ok);
	} else {
		assert_null(rs.keep);
		assert_true(rs.why[0]);
	}
	free(rs.keep);
	wire_msg_free(&m);
	return r;
}

#define ENV "{\"v\":1,\"type\":\"report\",\"seq\":3,\"mono_ns\":5,\"interval_s\":5,"

static void test_real_report(void **state)
{
	(void)state;
	char buf[65536];
	FILE *f = fopen(FIXTURES "/wire/report-host-6.18.jsonl", "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	assert_int_equal(both(buf), 1);
	struct report_scan rs;
	assert_int_equal(report_scan(buf, strlen(buf), &rs), 1);
	assert_int_equal(rs.seq, 7);
	assert_true(mvec_has(&rs.metrics, M_GUEST_CPU_STEAL));
	assert_non_null(strstr(rs.keep, "\"listeners\":[{"));
	assert_non_null(strstr(rs.keep, "\"net_rx_hot_cpu\":"));
	free(rs.keep);
}

static void test_metrics(void **state)
{
	(void)state;
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{\"guest.cpu.steal\":5,\"x\":1,"
			      "\"host.vcpu.delay\":3,\"guest.warp\":{\"a\":[1]}}}}"), 1);
	/* escaped names are the same names */
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{\"gu\\u0065st.cpu.steal\":5}}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{\"guest.cpu.steal\":5e0,"
			      "\"guest.tcp.passive_opens\":-0}}}"), 1);
	/* refused samples: the first bad metric names the reason */
	assert_int_equal(both(ENV "\"sample\":{\"cpu\":{}}}"), -EINVAL);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":[1]}}"), -EINVAL);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":null}}"), -EINVAL);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{\"x\":1,\"guest.listen.fill_max\":-0.5,"
			      "\"y\":2}}}"), -EINVAL);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{\"guest.cpu.steal\":\"5\"}}}"), -EINVAL);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{\"guest.cpu.steal\":true}}}"), -EINVAL);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{\"guest.cpu.steal\":101}}}"), -EINVAL);
	struct report_scan rs;
	const char *l = ENV "\"sample\":{\"metrics\":{\"guest.listen.fill_max\":-0.5}}}";
	assert_int_equal(report_scan(l, strlen(l), &rs), -EINVAL);
	assert_non_null(strstr(rs.why, "guest.listen.fill_max"));
	l = ENV "\"sample\":{}}";
	assert_int_equal(report_scan(l, strlen(l), &rs), -EINVAL);
	assert_string_equal(rs.why, "field 'sample.metrics': missing or not an object");
}

static void test_envelope(void **state)
{
	(void)state;
	const char *ok_sample = "\"sample\":{\"metrics\":{}}}";
	char l[512];
	static const char *const envs[] = {
		"{\"v\":1,\"type\":\"report\",\"seq\":0,\"mono_ns\":0,\"interval_s\":0.001,",
		"{\"type\":\"report\",\"v\":1,\"mono_ns\":9223372036854775807,\"interval_s\":86400,\"seq\":9007199254740991,",
		"{\"v\":1,\"type\":\"rep\\u006frt\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,\"extra\":[{}],\"more\":null,",
		/* json-c reads -0 as the integer 0 */
		"{\"v\":1,\"type\":\"report\",\"seq\":-0,\"mono_ns\":1,\"interval_s\":1,",
		/* each of these wire_decode refuses, so report_scan leaves it */
		"{\"v\":3,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,",
		"{\"v\":0,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,",
		"{\"v\":1.0,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,",
		"{\"v\":1,\"type\":\"report\",\"seq\":-1,\"mono_ns\":1,\"interval_s\":1,",
		"{\"v\":1,\"type\":\"report\",\"seq\":9007199254740992,\"mono_ns\":1,\"interval_s\":1,",
		"{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":9223372036854775808,\"interval_s\":1,",
		"{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":0,",
		"{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":86400.5,",
		"{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":\"5\",",
		"{\"v\":1,\"type\":\"report\",\"seq\":null,\"mono_ns\":1,\"interval_s\":1,",
		"{\"v\":1,\"type\":\"report\",\"mono_ns\":1,\"interval_s\":1,",
		"{\"v\":1,\"type\":\"reports\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,",
		"{\"v\":1,\"type\":\"hello\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,",
		"{\"v\":1,\"seq\":1,\"mono_ns\":1,\"interval_s\":1,",
		"{\"v\":1,\"type\":\"report\",\"seq\":1,\"seq\":2,\"mono_ns\":1,\"interval_s\":1,",
		"{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1e400,",
	};
	for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
		snprintf(l, sizeof l, "%s%s", envs[i], ok_sample);
		if (both(l) != (i < 4 ? 1 : 0))
			fail_msg("line %zu: %s", i, l);
	}
	assert_int_equal(both(ENV "\"sample\":[]}"), 0);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{}}} x"), 0);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"a\":{\"b\":1,\"b\":1}}}"), 0);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{\"guest.cpu.steal\":\"\xc3\x28\"}}}"), 0);
	assert_int_equal(both("[1]"), 0);
	assert_int_equal(both(""), 0);
	assert_int_equal(both("{\"v\":1,\"type\":\"error\",\"reason\":\"x\"}"), 0);
}

static void test_kept_parts(void **state)
{
	(void)state;
	char l[16384];
	int n = snprintf(l, sizeof l, ENV "\"sample\":{\"metrics\":{},\"listeners\":[");
	for (int i = 0; i < RSCAN_KEEP_LISTENERS + 6; i++)
		n += snprintf(l + n, sizeof l - (size_t)n, "%s{\"port\":%d,\"queue\":[%d]}", i ? "," : "",
			      8000 + i, i);
	snprintf(l + n, sizeof l - (size_t)n, "]}}");
	assert_int_equal(both(l), 1);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"listeners\":[]}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"listeners\":[1,\"a\\\"b\",null,[]]}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"listeners\":{}}}"), 1);
	/* the busiest CPU: first of equals; other types as json-c reads them */
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"cpu\":{\"per_cpu\":["
			      "{\"cpu\":0,\"busy\":5},{\"cpu\":1,\"busy\":50.5},{\"cpu\":2,\"busy\":50.5},"
			      "3,{\"cpu\":4},{\"cpu\":5,\"busy\":{\"x\":1}}]}}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"cpu\":{\"per_cpu\":["
			      "{\"busy\":null},{\"busy\":false}]}}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"cpu\":{\"per_cpu\":["
			      "{\"busy\":-2},{\"busy\":true}]}}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"cpu\":{\"per_cpu\":["
			      "{\"busy\":\"7\"},{\"busy\":\"1e999\"},{\"busy\":\"8x\"},{\"busy\":\"inf\"}]}}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"cpu\":{\"per_cpu\":["
			      "{\"busy\":[]},{\"busy\":\"-5\"}]}}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"cpu\":{\"per_cpu\":{}}}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"cpu\":[]}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"softnet\":{\"net_rx_hot_cpu\":null},\"metrics\":{}}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"softnet\":{\"net_rx_hot_cpu\":{\"a\":[1,2]}},\"metrics\":{}}}"), 1);
	assert_int_equal(both(ENV "\"sample\":{\"softnet\":{\"net_rx_hot_cpu\":\"x\"},\"metrics\":{}},"
			      "\"listeners\":[1]}"), 1);
	/* nested deeper than the kept parts: nothing kept from there */
	assert_int_equal(both(ENV "\"sample\":{\"metrics\":{},\"x\":{\"listeners\":[1],"
			      "\"softnet\":{\"net_rx_hot_cpu\":1}}}}"), 1);
}

/* Every line of the wire fuzz corpus. */
static void test_corpus(void **state)
{
	(void)state;
	static const char *const files[] = { "doc-1-hello.jsonl", "doc-3-report.jsonl",
					     "doc-7-ack.jsonl", "session-resync-crlf.jsonl" };
	char path[512], buf[65536];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "tests/fuzz/corpus/fuzz_wire/%s", files[i]);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(buf, sizeof buf, f)) {
			buf[strcspn(buf, "\r\n")] = 0;
			both(buf);
		}
		fclose(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_report),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_kept_parts),
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
