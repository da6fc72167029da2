/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_gv_emit: the hand-written sample JSON (lib/gv_emit.c) is byte for
 * byte what the json-c builder it replaced made (gv_json_ref.c), on the
 * fixture samples, broken ones and odd values; and the report line around
 * it (agent/report_line.c) is what wire_encode makes and wire_decode takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gv_emit.h"
#include "gv_json_ref.h"
#include "gview.h"
#include "report_line.h"
#include "wire.h"

#define FX "tests/fixtures/"

static void sample_of(const char *t0, const char *t1, int flags, struct gv_sample *s)
{
	struct gv_reading a, b;
	assert_int_equal(gv_read(t0, flags, &a), 0);
	assert_int_equal(gv_read(t1, flags, &b), 0);
	a.mono_ns = 1000000000ull;
	b.mono_ns = a.mono_ns + 2500000000ull;
	assert_int_equal(gv_sample_compute(&a, &b, s), 0);
	gv_reading_free(&a);
	gv_reading_free(&b);
}

/* The emitter's text equals json-c's printing of the reference tree (as
 * the wire prints it: plain, '/' not escaped). */
static void check_same(const struct gv_sample *s, int want)
{
	struct gv_text t = { 0 };
	assert_int_equal(gv_emit_sample(s, &t), want);
	struct json_object *o = gv_ref_sample_to_json(s);
	const char *ref = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	assert_string_equal(t.p, ref);
	assert_int_equal(t.len, strlen(ref));
	json_object_put(o);
	gv_text_free(&t);
}

static void test_fixtures(void **state)
{
	(void)state;
	static const char *const pairs[][2] = {
		{ FX "host-6.18/t0", FX "host-6.18/t1" },
		{ FX "debian-6.1/t0", FX "debian-6.1/t1" },
		/* the seeds' sources: interrupts, kernel log, processes, channels */
		{ FX "host-6.18-seeds/t0", FX "host-6.18-seeds/t1" },
		{ FX "debian-6.1-seeds/t0", FX "debian-6.1-seeds/t1" },
		{ FX "host-6.18-procnetdev/t0", FX "host-6.18-procnetdev/t0" },
		{ FX "host-6.18/t1", FX "host-6.18/t0" }, /* counters backwards */
		{ FX "broken/truncated", FX "broken/truncated" },
		{ FX "broken/empty", FX "broken/empty" },
		{ FX "broken/garbage", FX "broken/garbage" },
		{ "/nonexistent-vtune-root", "/nonexistent-vtune-root" },
	};
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
		for (int flags = 0; flags <= GV_READ_NETLINK; flags += GV_READ_NETLINK) {
			struct gv_sample s;
			sample_of(pairs[i][0], pairs[i][1], flags, &s);
			check_same(&s, 0);
			gv_sample_free(&s);
		}
}

/* Values the fixtures do not reach: negative and huge numbers, strings that
 * need escapes, every group failed or present in turn. */
static void test_odd_values(void **state)
{
	(void)state;
	struct gv_sample s;
	sample_of(FX "host-6.18/t0", FX "host-6.18/t1", GV_READ_NETLINK, &s);
	static const double ds[] = { 0, -0.0004, 0.0005, -0.0005, 1.25, 99.9999, -3.5,
				     123456789.123, 9e12, 8.99e12, 9.5e12, 1e300, -1e300,
				     5e-324, 0.1 + 0.2 };
	for (size_t i = 0; i < sizeof ds / sizeof *ds; i++) {
		s.interval_s = ds[i];
		s.tcp.passive_opens = -ds[i];
		if (s.ncpu)
			s.cpu[0].steal = ds[i];
		check_same(&s, 0);
	}
	s.knobs.somaxconn = INT64_MAX;
	s.knobs.tw_reuse = -1;
	s.files_max = UINT64_MAX;
	s.netrx_hot_cpu = -1;
	s.status[GV_CPU] = -EINVAL;
	snprintf(s.error[GV_CPU], sizeof s.error[GV_CPU],
		 "proc/stat: \"odd\"\\ \b\f\n\r\t\x01\x1f\x7f / é");
	if (s.nifaces)
		snprintf(s.ifaces[0].name, sizeof s.ifaces[0].name, "a\"b\\c/d");
	check_same(&s, 0);
	for (int g = 0; g < GV_NGROUPS; g++) {
		s.status[g] = g % 2 ? -ENOENT : 0;
		snprintf(s.error[g], sizeof s.error[g], "group %d", g);
	}
	s.ct.present = 0;
	check_same(&s, 0);
	s.ports.in_use_known = 0;
	for (int g = 0; g < GV_NGROUPS; g++)
		s.status[g] = g % 2 ? 0 : -ENOENT;
	check_same(&s, 0);
	gv_sample_free(&s);
}

/* What the wire refuses is still written, as json-c wrote it, but flagged. */
static void test_not_sendable(void **state)
{
	(void)state;
	struct gv_sample s;
	sample_of(FX "host-6.18/t0", FX "host-6.18/t1", 0, &s);
	s.interval_s = NAN;
	check_same(&s, -EINVAL);
	s.interval_s = -INFINITY;
	check_same(&s, -EINVAL);
	s.interval_s = 1;
	if (s.nifaces) {
		memcpy(s.ifaces[0].name, "e\xff", 3);
		check_same(&s, -EINVAL);
	}
	gv_sample_free(&s);
}

/* The report line equals wire_encode's for the same message, and decodes
 * to the same values. */
static void test_report_line(void **state)
{
	(void)state;
	struct gv_sample s;
	sample_of(FX "debian-6.1/t0", FX "debian-6.1/t1", 0, &s);
	struct gv_text sample = { 0 }, line = { 0 };
	assert_int_equal(gv_emit_sample(&s, &sample), 0);
	static const double ivs[] = { 5, 0.2, 0.20012345, 1e-9, 86400, 1.0 / 3 };
	for (size_t i = 0; i < sizeof ivs / sizeof *ivs; i++) {
		struct wire_msg m, d;
		char *ref, err[160];
		size_t reflen;
		wire_msg_init(&m, WIRE_REPORT);
		m.u.report.seq = i * 1000003;
		m.u.report.mono_ns = 123456789012345ull + i;
		m.u.report.interval_s = ivs[i];
		m.u.report.sample = json_tokener_parse(sample.p);
		assert_non_null(m.u.report.sample);
		assert_int_equal(wire_encode(&m, &ref, &reflen, err, sizeof err), 0);
		assert_int_equal(report_line(&line, m.v, m.u.report.seq, m.u.report.mono_ns,
					     ivs[i], sample.p, sample.len), 0);
		assert_string_equal(line.p, ref);
		assert_int_equal(line.len, reflen);
		assert_int_equal(wire_decode(line.p, line.len, &d, err, sizeof err), 0);
		assert_int_equal(d.u.report.seq, m.u.report.seq);
		assert_true(d.u.report.interval_s == ivs[i]);
		assert_true(json_object_equal(d.u.report.sample, m.u.report.sample));
		wire_msg_free(&d);
		wire_msg_free(&m);
		free(ref);
	}
	assert_int_equal(report_line(&line, 0, WIRE_MAX_ID + 1, 1, 1, sample.p, sample.len),
			 -EINVAL);
	assert_int_equal(report_line(&line, 0, 1, 1, 0, sample.p, sample.len), -EINVAL);
	assert_int_equal(report_line(&line, 0, 1, 1, NAN, sample.p, sample.len), -EINVAL);
	assert_int_equal(report_line(&line, 0, 1, 1, 1, "[]", 2), -EINVAL);
	/* longer than a line may be */
	size_t big = WIRE_MAX_LINE;
	char *huge = malloc(big);
	assert_non_null(huge);
	memset(huge, ' ', big);
	huge[0] = '{';
	huge[big - 1] = '}';
	assert_int_equal(report_line(&line, 0, 1, 1, 1, huge, big), -EMSGSIZE);
	free(huge);
	gv_text_free(&sample);
	gv_text_free(&line);
	gv_sample_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_odd_values),
		cmocka_unit_test(test_not_sendable),
		cmocka_unit_test(test_report_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
