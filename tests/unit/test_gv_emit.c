/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_gv_emit: the sample JSON (lib/gv_emit.c) on the fixture samples,
 * broken ones included, equals the golden files under
 * tests/fixtures/emit/ (VTUNE_UPDATE_GOLDEN=1 rewrites them: review the
 * diff); odd values survive a parse by json-c; what the wire refuses is
 * flagged; and the report line around it (agent/report_line.c) is what
 * wire_encode makes and wire_decode takes. */
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
#include "gv_obj.h"
#include "gv_print.h"
#include "gview.h"
#include "report_line.h"
#include "sample_pair.h"
#include "wire.h"

#define FX "tests/fixtures/"

static void sample_of(const char *t0, const char *t1, int flags, struct gv_sample *s)
{
	sample_pair(t0, t1, 2.5, flags, s);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

enum form { WHOLE, WIRE, TEXT };

/* The emitter's text for s equals golden file name (plus a newline, for
 * JSON): the whole document, the report's, or the table people read. */
static void check_golden(const struct gv_sample *s, const char *name, enum form form)
{
	static const char *const pre[] = { "", "report-", "" };
	char path[256];
	struct gv_text t = { 0 };
	snprintf(path, sizeof path, FX "emit/%s%s.%s", pre[form], name,
		 form == TEXT ? "txt" : "json");
	if (form == TEXT) {
		char *buf = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&buf, &n);
		assert_non_null(f);
		gv_sample_print(f, s);
		assert_int_equal(fclose(f), 0);
		/* a golden file ends with the one newline check_golden adds */
		while (n && buf[n - 1] == '\n')
			buf[--n] = '\0';
		assert_int_equal(gv_text_add(&t, buf, n), 0);
		free(buf);
	} else {
		assert_int_equal(form == WIRE ? gv_emit_report(s, &t) : gv_emit_sample(s, &t), 0);
		struct json_object *o = json_tokener_parse(t.p);
		assert_non_null(o);
		json_object_put(o);
	}
	if (getenv("VTUNE_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f, "%s\n", t.p);
		assert_int_equal(fclose(f), 0);
	}
	char *want = slurp(path);
	if (!want)
		fail_msg("%s: missing (VTUNE_UPDATE_GOLDEN=1 writes it)", path);
	size_t wl = strlen(want);
	assert_true(wl > 0 && want[wl - 1] == '\n');
	want[wl - 1] = '\0';
	assert_string_equal(t.p, want);
	free(want);
	gv_text_free(&t);
}

static void test_fixtures(void **state)
{
	(void)state;
	static const char *const pairs[][3] = {
		{ "host-6.18", FX "host-6.18/t0", FX "host-6.18/t1" },
		{ "debian-6.1", FX "debian-6.1/t0", FX "debian-6.1/t1" },
		/* the seeds' sources: interrupts, kernel log, processes, channels */
		{ "host-6.18-seeds", FX "host-6.18-seeds/t0", FX "host-6.18-seeds/t1" },
		{ "debian-6.1-seeds", FX "debian-6.1-seeds/t0", FX "debian-6.1-seeds/t1" },
		{ "procnetdev", FX "host-6.18-procnetdev/t0", FX "host-6.18-procnetdev/t0" },
		{ "backwards", FX "host-6.18/t1", FX "host-6.18/t0" },
		{ "truncated", FX "broken/truncated", FX "broken/truncated" },
		{ "empty", FX "broken/empty", FX "broken/empty" },
		{ "garbage", FX "broken/garbage", FX "broken/garbage" },
		{ "nonexistent", "/nonexistent-vtune-root", "/nonexistent-vtune-root" },
	};
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
		for (int flags = 0; flags <= GV_READ_NETLINK; flags += GV_READ_NETLINK) {
			struct gv_sample s;
			char name[64];
			snprintf(name, sizeof name, "%s%s", pairs[i][0],
				 flags ? "-netlink" : "");
			sample_of(pairs[i][1], pairs[i][2], flags, &s);
			check_golden(&s, name, WHOLE);
			check_golden(&s, name, WIRE);
			check_golden(&s, name, TEXT);
			gv_sample_free(&s);
		}
}

/* got is want as the emitter writes numbers (rounded to 3 decimals while
 * that fits 9e15 thousandths, else to 17 digits), read back by json-c
 * (which may be off in the last digit: 1e300 reads as 1.0000000000000001e+300). */
static int same(double got, double want)
{
	if (fabs(want * 1000) < 9e15)
		want = round(want * 1000) / 1000;
	return fabs(got - want) <= 1e-15 * fabs(want);
}

/* Values the fixtures do not reach come back from json-c as they went in:
 * numbers to 17 digits, strings with escapes, groups failed in turn. */
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
		s.nstat[MC_GUEST_TCP_PASSIVE_OPENS] = -ds[i];
		struct json_object *o = gv_sample_obj(&s), *v, *t;
		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "interval_s", &v));
		if (!same(json_object_get_double(v), ds[i]))
			fail_msg("%zu: %.17g read back as %.17g", i, ds[i], json_object_get_double(v));
		assert_true(json_object_object_get_ex(o, "tcp", &t));
		assert_true(json_object_object_get_ex(t, "passive_opens_per_s", &v));
		assert_true(same(json_object_get_double(v), -ds[i]));
		json_object_put(o);
	}
	static const char odd[] = "proc/stat: \"odd\"\\ \b\f\n\r\t\x01\x1f\x7f / \xc3\xa9";
	s.interval_s = 1;
	s.status[GV_CPU] = -EINVAL;
	snprintf(s.error[GV_CPU], sizeof s.error[GV_CPU], "%s", odd);
	struct json_object *o = gv_sample_obj(&s), *errs, *v;
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "errors", &errs));
	assert_true(json_object_object_get_ex(errs, "cpu", &v));
	assert_string_equal(json_object_get_string(v), odd);
	assert_false(json_object_object_get_ex(o, "cpu", &v));
	json_object_put(o);
	for (int g = 0; g < GV_NGROUPS; g++) {
		s.status[g] = g % 2 ? -ENOENT : 0;
		snprintf(s.error[g], sizeof s.error[g], "group %d", g);
	}
	o = gv_sample_obj(&s);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "errors", &errs));
	for (int g = 0; g < GV_NGROUPS; g++)
		assert_int_equal(json_object_object_get_ex(errs, gv_group_name(g), &v), g % 2);
	json_object_put(o);
	gv_sample_free(&s);
}

/* What the wire refuses is still written, but flagged. */
static void test_not_sendable(void **state)
{
	(void)state;
	struct gv_sample s;
	struct gv_text t = { 0 };
	sample_of(FX "host-6.18/t0", FX "host-6.18/t1", 0, &s);
	s.interval_s = NAN;
	assert_int_equal(gv_emit_sample(&s, &t), -EINVAL);
	assert_non_null(strstr(t.p, "\"interval_s\":NaN"));
	s.interval_s = -INFINITY;
	assert_int_equal(gv_emit_sample(&s, &t), -EINVAL);
	s.interval_s = 1;
	assert_int_equal(gv_emit_sample(&s, &t), 0);
	if (s.nifaces) {
		memcpy(s.ifaces[0].name, "e\xff", 3);
		assert_int_equal(gv_emit_sample(&s, &t), -EINVAL);
	}
	gv_text_free(&t);
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
