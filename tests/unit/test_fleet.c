/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_fleet: `vtune fleet`'s model: durations, the reading of real
 * Prometheus 2.42 answers (tests/fixtures/prometheus), refusals of answers
 * that are not Prometheus', the join, the lost-to-host estimate, the
 * ranking and both outputs. */
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

#include "fleet_prom.h"

#define FX "tests/fixtures/prometheus/"

static const char *const files[FQ_COUNT] = {
	"up", "info", "host", "accepts", "lost", "wait", "rules", "firings", "last",
	"changes", "rollback", "down",
};

static char *slurp(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, FX "%s.json", name);
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	char *b = calloc(1, 1 << 16);
	*len = fread(b, 1, (1 << 16) - 1, f);
	fclose(f);
	return b;
}

static void load(struct fleet *f)
{
	char why[256];
	fleet_init(f, "10s");
	for (int q = 0; q < FQ_COUNT; q++) {
		size_t len;
		char *b = slurp(files[q], &len);
		assert_int_equal(fleet_take(f, (enum fleet_q)q, b, len, why, sizeof why), 0);
		free(b);
	}
	fleet_rank(f);
}

static void test_duration(void **state)
{
	double s;
	(void)state;
	assert_int_equal(fleet_parse_duration("30s", &s), 0);
	assert_true(s == 30);
	assert_int_equal(fleet_parse_duration("15m", &s), 0);
	assert_true(s == 900);
	assert_int_equal(fleet_parse_duration("2d", &s), 0);
	assert_true(s == 172800);
	assert_int_equal(fleet_parse_duration("1w", &s), 0);
	assert_int_equal(fleet_parse_duration("5s", &s), -EINVAL); /* under 10 s */
	assert_int_equal(fleet_parse_duration("5", &s), -EINVAL);
	assert_int_equal(fleet_parse_duration("m", &s), -EINVAL);
	assert_int_equal(fleet_parse_duration("1h30m", &s), -EINVAL);
	assert_int_equal(fleet_parse_duration("-1h", &s), -EINVAL);
	assert_int_equal(fleet_parse_duration("10y", &s), -EINVAL);
	assert_int_equal(fleet_parse_duration("", &s), -EINVAL);
	assert_int_equal(fleet_parse_duration(NULL, &s), -EINVAL);
	char q[2048];
	fleet_query(FQ_ACCEPTS, "5m", q, sizeof q);
	assert_string_equal(q, "rate(vtune_guest_tcp_passive_opens_total[5m]) or "
			       "avg_over_time(vtune_guest_tcp_passive_opens_per_second[5m])");
}

static void test_real_answers(void **state)
{
	(void)state;
	struct fleet f;
	load(&f);
	assert_int_equal(f.n, 5);
	assert_int_equal(f.ndown, 0);
	assert_true(f.now_s > 1.7e9);
	const struct fleet_guest *a = &f.g[0], *b = &f.g[1];
	/* web-a: L 50.1, A 200.4, h .35: min(50.1, 107.9) = L */
	assert_string_equal(a->guest, "web-a");
	assert_true(a->up);
	assert_true(fabs(a->lost - 50.111111111111114) < 1e-9);
	assert_true(fabs(a->lost_host - a->lost) < 1e-9);
	assert_true(fabs(a->wait - 0.35) < 1e-12);
	assert_string_equal(a->uuid, "6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11");
	assert_string_equal(a->nova_instance, a->uuid);
	assert_string_equal(a->nova_project_name, "shop & co");
	assert_string_equal(a->hypervisor, "sim");
	assert_int_equal(a->ncauses, 2);
	assert_string_equal(a->causes[0], "listen-overflow"); /* sorted */
	assert_string_equal(a->causes[1], "vcpu-run-delay");
	assert_true(a->applied >= 1);
	assert_true(a->nactions >= 1 && a->actions[0].last_s > 1.7e9);
	/* api-b: an old agent; L 20, A 500, h .02: 500 x .02/.98 = 10.2 */
	assert_string_equal(b->guest, "api-b");
	assert_true(fabs(b->lost_host - 500 * 0.02 / 0.98) < 1e-9);
	/* the rest lose nothing: by accepts */
	assert_string_equal(f.g[2].guest, "db-c");
	assert_string_equal(f.g[3].guest, "shop_cache-d");
	assert_string_equal(f.g[3].kubevirt_namespace, "shop");
	assert_string_equal(f.g[3].kubevirt_vmi, "cache-d");
	assert_string_equal(f.g[4].guest, "idle-e");
	assert_int_equal(f.g[4].ncauses, 0);

	/* text: every line <= 100 columns, top 2 */
	char *text = NULL;
	size_t tl = 0;
	FILE *o = open_memstream(&text, &tl);
	fleet_print(&f, 2, o);
	fclose(o);
	assert_non_null(strstr(text, "5 guests on 3 hosts, window 10s"));
	assert_non_null(strstr(text, "showing the top 2"));
	assert_non_null(strstr(text, "     cause: listen-overflow, vcpu-run-delay\n"));
	assert_non_null(strstr(text, "     nova: instance 6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11, project shop & co\n"));
	assert_null(strstr(text, "db-c"));
	for (char *l = text; *l; l = strchr(l, '\n') + 1)
		assert_true(strchr(l, '\n') - l <= 100);
	free(text);

	json_object *j = fleet_json(&f, 0), *gs, *g0, *v;
	assert_true(json_object_object_get_ex(j, "guests", &gs));
	assert_int_equal(json_object_array_length(gs), 5);
	g0 = json_object_array_get_idx(gs, 0);
	assert_true(json_object_object_get_ex(g0, "lost_host_per_second", &v));
	assert_true(fabs(json_object_get_double(v) - 50.111111111111114) < 1e-9);
	assert_true(json_object_object_get_ex(g0, "kubevirt_vmi", &v) && v == NULL);
	json_object_put(j);
	fleet_free(&f);
}

static void test_refusals(void **state)
{
	(void)state;
	struct fleet f;
	char why[256] = "";
	size_t len;
	fleet_init(&f, "1m");
	char *b = slurp("error-bad-data", &len);
	assert_int_equal(fleet_take(&f, FQ_UP, b, len, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "bad_data: invalid parameter"));
	free(b);
	static const char *const bad[] = {
		"<html>hello</html>",
		"",
		"{\"status\":\"success\"}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,2]}]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"x\"]}]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1,\"1\"]}]}}",
		"{\"status\":1}",
		"[\"status\",\"success\"]",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}} trailing",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(fleet_take(&f, FQ_UP, bad[i], strlen(bad[i]), why, sizeof why), -EPROTO);
	/* an empty vector is an answer; rows only come from vtune_guest_up */
	const char *empty = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";
	assert_int_equal(fleet_take(&f, FQ_UP, empty, strlen(empty), why, sizeof why), 0);
	const char *lost = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
			   "{\"metric\":{\"guest\":\"x\",\"instance\":\"h:1\"},\"value\":[1,\"5\"]}]}}";
	assert_int_equal(fleet_take(&f, FQ_LOST, lost, strlen(lost), why, sizeof why), 0);
	assert_int_equal(f.n, 0);
	const char *down = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
			   "{\"metric\":{\"__name__\":\"up\",\"instance\":\"h:9\",\"job\":\"j\"},\"value\":[1,\"0\"]}]}}";
	assert_int_equal(fleet_take(&f, FQ_DOWN, down, strlen(down), why, sizeof why), 0);
	assert_int_equal(f.ndown, 1);
	assert_string_equal(f.down[0], "h:9");
	fleet_free(&f);
}

/* The estimate: capped at the loss, host share capped at 0.9, unknown
 * parts leave it unknown; stale guests rank last. */
static void test_rank(void **state)
{
	(void)state;
	struct fleet f;
	char why[64];
	fleet_init(&f, "1m");
	const char *up = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
			 "{\"metric\":{\"guest\":\"a\",\"instance\":\"h\"},\"value\":[1,\"1\"]},"
			 "{\"metric\":{\"guest\":\"b\",\"instance\":\"h\"},\"value\":[1,\"1\"]},"
			 "{\"metric\":{\"guest\":\"c\",\"instance\":\"h\"},\"value\":[1,\"0\"]},"
			 "{\"metric\":{\"guest\":\"d\",\"instance\":\"h\"},\"value\":[1,\"1\"]}]}}";
	assert_int_equal(fleet_take(&f, FQ_UP, up, strlen(up), why, sizeof why), 0);
	/* a: h .99 -> .9: 10 x 9 = 90 > L 1000? no: min(1000, 90) = 90 */
	const char *acc = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
			  "{\"metric\":{\"guest\":\"a\",\"instance\":\"h\"},\"value\":[1,\"10\"]},"
			  "{\"metric\":{\"guest\":\"b\",\"instance\":\"h\"},\"value\":[1,\"1000\"]}]}}";
	const char *lost = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
			   "{\"metric\":{\"guest\":\"a\",\"instance\":\"h\"},\"value\":[1,\"1000\"]},"
			   "{\"metric\":{\"guest\":\"b\",\"instance\":\"h\"},\"value\":[1,\"50\"]},"
			   "{\"metric\":{\"guest\":\"d\",\"instance\":\"h\"},\"value\":[1,\"500\"]}]}}";
	const char *wait = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
			   "{\"metric\":{\"guest\":\"a\",\"instance\":\"h\"},\"value\":[1,\"0.99\"]},"
			   "{\"metric\":{\"guest\":\"b\",\"instance\":\"h\"},\"value\":[1,\"0.5\"]}]}}";
	assert_int_equal(fleet_take(&f, FQ_ACCEPTS, acc, strlen(acc), why, sizeof why), 0);
	assert_int_equal(fleet_take(&f, FQ_LOST, lost, strlen(lost), why, sizeof why), 0);
	assert_int_equal(fleet_take(&f, FQ_WAIT, wait, strlen(wait), why, sizeof why), 0);
	fleet_rank(&f);
	assert_string_equal(f.g[0].guest, "a");
	assert_true(fabs(f.g[0].lost_host - 90) < 1e-9);
	assert_string_equal(f.g[1].guest, "b"); /* min(50, 1000) */
	assert_true(fabs(f.g[1].lost_host - 50) < 1e-9);
	assert_string_equal(f.g[2].guest, "d"); /* no accepts, no wait: unknown */
	assert_true(isnan(f.g[2].lost_host));
	assert_string_equal(f.g[3].guest, "c"); /* not up: last */
	char *text = NULL;
	size_t tl = 0;
	FILE *o = open_memstream(&text, &tl);
	fleet_print(&f, 0, o);
	fclose(o);
	assert_non_null(strstr(text, "     cause: n/a (no fresh report from its agent)\n"));
	assert_null(strstr(text, "nan"));
	free(text);
	fleet_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_real_answers),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_rank),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
