/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_metrics_http: hostd's Prometheus exporter: family names, the
 * OpenMetrics and text renderings (escaping, HELP/TYPE, _total, # EOF), the
 * counters, request decisions, and the server on a unix socket with its
 * limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop.h"
#include "metrics.h"
#include "metrics_http.h"
#include "vclock.h"

static void test_family_names(void **state)
{
	char b[128];
	(void)state;
	/* shares are 0-1 ratios, rates fall back to _per_second gauges,
	 * counters keep _total, durations _seconds */
	assert_int_equal(mh_family_name(M_GUEST_CPU_STEAL, b, sizeof b), MH_SHARE);
	assert_string_equal(b, "vtune_guest_cpu_steal_ratio");
	assert_int_equal(mh_family_name(M_GUEST_TCP_PASSIVE_OPENS, b, sizeof b), MH_FALLBACK);
	assert_string_equal(b, "vtune_guest_tcp_passive_opens_per_second");
	assert_int_equal(mh_family_name(M_GUEST_TCP_PASSIVE_OPENS_TOTAL, b, sizeof b), MH_COUNTER);
	assert_string_equal(b, "vtune_guest_tcp_passive_opens_total");
	assert_int_equal(mh_counter_of(M_GUEST_TCP_PASSIVE_OPENS), M_GUEST_TCP_PASSIVE_OPENS_TOTAL);
	assert_int_equal(mh_counter_of(M_GUEST_NETRX_RATE), -1); /* no raw counter */
	assert_int_equal(mh_counter_of(M_GUEST_CPU_STEAL), -1);
	assert_int_equal(mh_family_name(M_GUEST_NETRX_IMBALANCE, b, sizeof b), MH_GAUGE);
	assert_string_equal(b, "vtune_guest_netrx_imbalance"); /* max/mean: not a 0-1 ratio */
	mh_family_name(M_GUEST_CONNTRACK_EST_TIMEOUT, b, sizeof b);
	assert_string_equal(b, "vtune_guest_conntrack_established_timeout_seconds");
	mh_family_name(M_GUEST_CONNTRACK_COUNT, b, sizeof b); /* reserved suffix: renamed */
	assert_string_equal(b, "vtune_guest_conntrack_entries");
	assert_int_equal(mh_family_name(M_HOST_VCPU_DELAY, b, sizeof b), MH_SHARE);
	assert_string_equal(b, "vtune_host_vcpu_delay_ratio");
	mh_family_name(M_HOST_BRIDGE_NF, b, sizeof b);
	assert_string_equal(b, "vtune_host_bridge_nf");
	/* every name is legal and unique; only counters end in _total, and no
	 * gauge ends in a suffix the formats reserve */
	for (int i = 0; i < M_COUNT; i++) {
		char c[128];
		enum mh_kind k = mh_family_name(i, b, sizeof b);
		size_t n = strlen(b);
		assert_int_equal(strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789_"), n);
		assert_int_equal(n > 6 && !strcmp(b + n - 6, "_total"), k == MH_COUNTER);
		assert_false(n > 6 && !strcmp(b + n - 6, "_count"));
		assert_false(n > 5 && !strcmp(b + n - 5, "_info"));
		assert_null(strstr(b, "percent"));
		for (int j = 0; j < i; j++) {
			mh_family_name(j, c, sizeof c);
			assert_string_not_equal(b, c);
		}
	}
}

/* Check the structure of a rendering: every sample follows a TYPE of its
 * family; counter samples end in _total; HELP precedes TYPE. */
static void check_structure(const char *text, int om)
{
	char *copy = strdup(text), *save = NULL, fam[128] = "", type[16] = "";
	int samples = 0, eof = 0;
	assert_non_null(copy);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_false(eof); /* nothing after # EOF */
		if (!strcmp(line, "# EOF")) {
			eof = 1;
			continue;
		}
		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%127s", fam);
			type[0] = 0;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			char f2[128];
			assert_int_equal(sscanf(line + 7, "%127s %15s", f2, type), 2);
			assert_string_equal(f2, fam);
			if (!om && !strcmp(type, "counter"))
				assert_true(strlen(fam) > 6 && !strcmp(fam + strlen(fam) - 6, "_total"));
			if (om && !strcmp(type, "counter"))
				assert_false(strlen(fam) > 6 && !strcmp(fam + strlen(fam) - 6, "_total"));
			continue;
		}
		if (!strncmp(line, "# UNIT ", 7)) {
			assert_true(om);
			continue;
		}
		assert_true(line[0] != '#');
		assert_true(type[0]); /* a sample has its TYPE */
		char name[128];
		assert_int_equal(sscanf(line, "%127[a-zA-Z0-9_:]", name), 1);
		char want[160];
		snprintf(want, sizeof want, "%s%s", fam,
			 om && !strcmp(type, "counter") ? "_total" : om && !strcmp(type, "info") ? "_info" : "");
		assert_string_equal(name, want);
		samples++;
	}
	assert_int_equal(eof, om);
	assert_true(samples > 0);
	free(copy);
}

static void test_render(void **state)
{
	(void)state;
	struct mvec gm, hm, gm2;
	mvec_clear(&gm);
	mvec_clear(&hm);
	mvec_clear(&gm2);
	mvec_set(&gm, M_GUEST_CPU_STEAL, 12.5);
	mvec_set(&gm, M_GUEST_TCP_LISTEN_OVERFLOWS, 0.1);
	mvec_set(&gm, M_GUEST_TCP_LISTEN_OVERFLOWS_TOTAL, 1234);
	mvec_set(&gm, M_GUEST_TCP_PASSIVE_OPENS, 50); /* an old agent: no counter */
	mvec_set(&gm, M_GUEST_CONNTRACK_COUNT, 42);
	mvec_set(&hm, M_HOST_VCPU_DELAY, 3);
	mvec_set(&gm2, M_GUEST_CPU_STEAL, 99);
	struct bk_guest bk = { .name = "web1", .uuid = "6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11",
			       .nova_instance = "6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11",
			       .nova_project = "8a3f", .nova_project_name = "shop",
			       .kubevirt_namespace = "", .kubevirt_vmi = "" };
	const char *rules[] = { "listen-overflow" };
	struct mh_guest g[3] = {
		{ .name = "web\"1\\x\nz", .bk = &bk, .connected = 1, .up = 1,
		  .last_report_s = 1700000000.5, .reports = 7, .bad_reports = 2,
		  .gm = &gm, .hm = &hm, .rules = rules, .nrules = 1 },
		{ .name = "bad\xff" "utf8", .connected = 0 },
		/* stale: its report is old; its views and rules are not shown */
		{ .name = "stale", .connected = 1, .up = 0, .last_report_s = 1699999000,
		  .reports = 3, .gm = &gm2, .hm = &hm, .rules = rules, .nrules = 1 },
	};
	struct mh_host host = { "kvm-17", "kvm" };
	struct mh_counters *c = mh_counters_new();
	assert_non_null(c);
	mh_count_firing(c, "web1", "accept-overflow");
	mh_count_firing(c, "web1", "accept-overflow");
	mh_count_change(c, "web1", "guest", "applied");
	mh_count_change(c, "web1", "host", "failed");
	mh_count_change(c, "web1", "guest", "applied");
	mh_count_refusal(c, "web1", "bridge_nf", "firewall");
	mh_count_rollback(c, "web1", "listen-overflow", "no_effect");
	mh_count_journal_error(c);

	char *out = NULL;
	size_t len = 0;
	assert_int_equal(mh_render(&host, g, 3, c, 1, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	check_structure(out, 1);
	assert_true(len > 6 && !strcmp(out + len - 6, "# EOF\n"));
#define G1 "{guest=\"web\\\"1\\\\x\\nz\""
	assert_non_null(strstr(out, "# TYPE vtune_guest_cpu_steal_ratio gauge\n"
				    "# UNIT vtune_guest_cpu_steal_ratio ratio\n"
				    "vtune_guest_cpu_steal_ratio" G1 "} 0.125\n"));
	/* a counter beside its rate: the counter only */
	assert_non_null(strstr(out, "# TYPE vtune_guest_tcp_listen_overflows counter\n"));
	assert_non_null(strstr(out, "vtune_guest_tcp_listen_overflows_total" G1 "} 1234\n"));
	assert_null(strstr(out, "vtune_guest_tcp_listen_overflows_per_second"));
	/* a rate without its counter: the rate, as a gauge */
	assert_non_null(strstr(out, "vtune_guest_tcp_passive_opens_per_second" G1 "} 50\n"));
	assert_non_null(strstr(out, "vtune_guest_conntrack_entries" G1 "} 42\n"));
	assert_non_null(strstr(out, "vtune_host_vcpu_delay_ratio" G1 "} 0.03\n"));
	assert_non_null(strstr(out, "vtune_guest_connected{guest=\"bad\\\\xffutf8\"} 0\n"));
	assert_non_null(strstr(out, "vtune_guest_up" G1 "} 1\n"));
	assert_non_null(strstr(out, "vtune_guest_up{guest=\"bad\\\\xffutf8\"} 0\n"));
	assert_non_null(strstr(out, "vtune_guest_last_report_timestamp_seconds" G1 "} 1700000000.5\n"));
	assert_null(strstr(out, "vtune_guest_last_report_timestamp_seconds{guest=\"bad"));
	/* the stale guest: up 0 and its timestamp; no views, no rules */
	assert_non_null(strstr(out, "vtune_guest_up{guest=\"stale\"} 0\n"));
	assert_non_null(strstr(out, "vtune_guest_last_report_timestamp_seconds{guest=\"stale\"} 1699999000\n"));
	assert_null(strstr(out, "{guest=\"stale\"} 0.99"));
	assert_null(strstr(out, "vtune_host_vcpu_delay_ratio{guest=\"stale\"}"));
	assert_null(strstr(out, "vtune_rule_active{guest=\"stale\""));
	assert_non_null(strstr(out, "vtune_guest_reports_total{guest=\"stale\"} 3\n"));
	/* labels */
	assert_non_null(strstr(out, "vtune_host_info{hostname=\"kvm-17\",hypervisor=\"kvm\"} 1\n"));
	assert_non_null(strstr(out, "vtune_guest_info" G1 ",hypervisor=\"kvm\",uuid=\"6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11\","
				    "nova_instance_uuid=\"6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11\","
				    "nova_project_id=\"8a3f\",nova_project_name=\"shop\"} 1\n"));
	assert_non_null(strstr(out, "vtune_guest_info{guest=\"stale\",hypervisor=\"kvm\"} 1\n"));
	assert_non_null(strstr(out, "vtune_rule_active" G1 ",rule=\"listen-overflow\"} 1\n"));
	assert_non_null(strstr(out, "# TYPE vtune_guest_reports counter\n"));
	assert_non_null(strstr(out, "vtune_guest_reports_total" G1 "} 7\n"));
	assert_non_null(strstr(out, "vtune_guest_reports_bad_total" G1 "} 2\n"));
	assert_non_null(strstr(out, "vtune_rule_firings_total{guest=\"web1\",rule=\"accept-overflow\"} 2\n"));
	assert_non_null(strstr(out, "vtune_rule_last_fired_timestamp_seconds{guest=\"web1\",rule=\"accept-overflow\"} "));
	assert_non_null(strstr(out, "vtune_changes_total{guest=\"web1\",side=\"guest\",result=\"applied\"} 2\n"));
	assert_non_null(strstr(out, "vtune_changes_total{guest=\"web1\",side=\"host\",result=\"failed\"} 1\n"));
	/* every known guest's change counters exist from 0 */
	assert_non_null(strstr(out, "vtune_changes_total{guest=\"stale\",side=\"guest\",result=\"applied\"} 0\n"));
	assert_non_null(strstr(out, "vtune_changes_total{guest=\"stale\",side=\"host\",result=\"dry_run\"} 0\n"));
	assert_non_null(strstr(out, "vtune_changes_refused_total{guest=\"web1\",kind=\"bridge_nf\",reason=\"firewall\"} 1\n"));
	assert_non_null(strstr(out, "vtune_changes_rolled_back_total{guest=\"web1\",rule=\"listen-overflow\",reason=\"no_effect\"} 1\n"));
	assert_non_null(strstr(out, "vtune_journal_errors_total 1\n"));
	assert_non_null(strstr(out, "# TYPE vtune_build info\nvtune_build_info{version=\"" VTUNE_VERSION "\"} 1\n"));
	assert_null(strstr(out, "vtune_guest_files_nr")); /* nobody has it: no family */
	assert_null(strstr(out, "percent"));
	free(out);

	assert_int_equal(mh_render(&host, g, 3, c, 0, &out, &len), 0);
	check_structure(out, 0);
	assert_null(strstr(out, "# EOF"));
	assert_null(strstr(out, "# UNIT"));
	assert_non_null(strstr(out, "# TYPE vtune_guest_reports_total counter\n"));
	assert_non_null(strstr(out, "# TYPE vtune_guest_tcp_listen_overflows_total counter\n"));
	assert_non_null(strstr(out, "# TYPE vtune_build_info gauge\n"));
	assert_non_null(strstr(out, "# TYPE vtune_guest_info gauge\n"));
	assert_non_null(strstr(out, "vtune_guest_cpu_steal_ratio" G1 "} 0.125\n"));
#undef G1
	free(out);

	/* no guests, no counters, no host: still valid */
	assert_int_equal(mh_render(NULL, NULL, 0, NULL, 1, &out, &len), 0);
	assert_true(!strcmp(out + len - 6, "# EOF\n"));
	free(out);
	mh_counters_free(c);
}

/* Whether name is a sample name hostd can export. */
static int exported(const char *name)
{
	char b[128];
	for (int i = 0; i < M_COUNT; i++)
		if (mh_family_name(i, b, sizeof b), !strcmp(b, name))
			return 1;
	for (int i = 0; mh_fixed_names[i]; i++)
		if (!strcmp(mh_fixed_names[i], name))
			return 1;
	return 0;
}

/* The fixed list is what a full rendering holds, and every vtune_ metric
 * the dashboards and rules in contrib/ name is one hostd exports (a rename
 * that forgets them fails here). */
static void test_contrib_names(void **state)
{
	(void)state;
	struct mvec gm;
	mvec_clear(&gm);
	mvec_set(&gm, M_GUEST_CPU_STEAL, 1);
	const char *rules[] = { "r" };
	struct bk_guest bk = { .uuid = "u" };
	struct mh_guest g = { .name = "g", .bk = &bk, .up = 1, .last_report_s = 1, .gm = &gm,
			      .rules = rules, .nrules = 1 };
	struct mh_host host = { "h", "kvm" };
	struct mh_counters *c = mh_counters_new();
	mh_count_firing(c, "g", "r");
	mh_count_change(c, "g", "guest", "applied");
	mh_count_refusal(c, "g", "bridge_nf", "firewall");
	mh_count_rollback(c, "g", "r", "no_effect");
	char *out;
	size_t len;
	assert_int_equal(mh_render(&host, &g, 1, c, 0, &out, &len), 0);
	for (int i = 0; mh_fixed_names[i]; i++) {
		char want[160];
		snprintf(want, sizeof want, "\n%s", mh_fixed_names[i]);
		assert_non_null(strstr(out, want));
	}
	for (char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char name[128];
		if (*line != '#' && sscanf(line, "%127[a-zA-Z0-9_:]", name) == 1)
			assert_true(exported(name));
	}
	free(out);
	mh_counters_free(c);

	static const char *const files[] = {
		"contrib/grafana/vtune.json", "contrib/grafana/vtune-fleet.json",
		"contrib/prometheus/vtune-recording.yml", "contrib/prometheus/vtune-alerts.yml",
	};
	for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
		FILE *fp = fopen(files[f], "re");
		assert_non_null(fp);
		char *text = calloc(1, 1 << 20);
		size_t n = fread(text, 1, (1 << 20) - 1, fp);
		fclose(fp);
		int names = 0;
		for (char *p = text; (p = strstr(p, "vtune_")); p++) {
			char name[128];
			if (p > text && (p[-1] == ':' || p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')))
				continue; /* part of vtune:guest_..., a file name, ... */
			sscanf(p, "%127[a-zA-Z0-9_]", name);
			if (!exported(name))
				fail_msg("%s names %s, which hostd does not export", files[f], name);
			names++;
		}
		assert_true(n > 0 && names > 0);
		free(text);
	}
}

static void test_counters_bounded(void **state)
{
	(void)state;
	struct mh_counters *c = mh_counters_new();
	char rule[32];
	for (int i = 0; i < MH_MAX_SERIES + 10; i++) {
		snprintf(rule, sizeof rule, "r%d", i);
		mh_count_firing(c, "g", rule);
	}
	assert_int_equal(mh_counters_dropped(c), 10);
	mh_count_firing(c, "g", "r0"); /* a known series still counts */
	assert_int_equal(mh_counters_dropped(c), 10);
	mh_counters_free(c);
	mh_count_change(NULL, "g", "guest", "applied"); /* NULL is fine */
}

static void test_decide_and_parse(void **state)
{
	int om, head, off;
	(void)state;
	assert_int_equal(mh_http_decide("GET", "/metrics", NULL, &om, &head), 200);
	assert_int_equal(om, 0);
	assert_int_equal(head, 0);
	assert_int_equal(mh_http_decide("GET", "/metrics", "text/plain;version=0.0.4", &om, &head), 200);
	assert_int_equal(om, 0);
	assert_int_equal(mh_http_decide("GET", "/metrics",
					"Application/OpenMetrics-Text;version=1.0.0,text/plain;q=0.5",
					&om, &head), 200);
	assert_int_equal(om, 1);
	assert_int_equal(mh_http_decide("HEAD", "/metrics", "", &om, &head), 200);
	assert_int_equal(head, 1);
	assert_int_equal(mh_http_decide("POST", "/metrics", NULL, &om, &head), 405);
	assert_int_equal(mh_http_decide("get", "/metrics", NULL, &om, &head), 405);
	assert_int_equal(mh_http_decide("PUT", "/other", NULL, &om, &head), 405);
	assert_int_equal(mh_http_decide("GET", "/other", NULL, &om, &head), 404);
	assert_int_equal(mh_http_decide("GET", "/metricsx", NULL, &om, &head), 404);
	assert_int_equal(mh_http_decide("GET", "/metrics/", NULL, &om, &head), 404);
	assert_int_equal(mh_http_decide("GET", "", NULL, &om, &head), 404);

	assert_int_equal(mh_parse_addr("off", &off), 0);
	assert_int_equal(off, 1);
	assert_int_equal(mh_parse_addr("127.0.0.1:9684", &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(mh_parse_addr("[::1]:9684", &off), 0);
	assert_int_equal(mh_parse_addr(":9684", &off), 0);
	assert_int_equal(mh_parse_addr("unix:/run/vtune/metrics.sock", &off), 0);
	assert_int_equal(mh_parse_addr("unix:relative", &off), -EINVAL);
	assert_int_equal(mh_parse_addr("127.0.0.1", &off), -EINVAL);
	assert_int_equal(mh_parse_addr("127.0.0.1:0", &off), -EINVAL);
	assert_int_equal(mh_parse_addr("127.0.0.1:65536", &off), -EINVAL);
	assert_int_equal(mh_parse_addr("127.0.0.1:9x", &off), -EINVAL);
	assert_int_equal(mh_parse_addr("127.0.0.1:65535", &off), 0);
	assert_int_equal(mh_parse_addr("127.0.0.1:", &off), -EINVAL);
	assert_int_equal(mh_parse_addr("127.0.0.1:+80", &off), -EINVAL);
	assert_int_equal(mh_parse_addr("127.0.0.1:-1", &off), -EINVAL);
	assert_int_equal(mh_parse_addr("127.0.0.1: 80", &off), -EINVAL);
	assert_int_equal(mh_parse_addr("127.0.0.1:99999999999999999999", &off), -EINVAL);
	assert_int_equal(mh_parse_addr("::1:9684", &off), -EINVAL);
	assert_int_equal(mh_parse_addr("", &off), -EINVAL);
}

static int renders;
static size_t big_render; /* > 0: fake_render answers that many bytes */

static int fake_render(void *arg, int om, char **out, size_t *len)
{
	(void)arg;
	renders++;
	if (big_render) {
		*out = malloc(big_render);
		if (!*out)
			return -ENOMEM;
		memset(*out, '#', big_render);
		*len = big_render;
		return 0;
	}
	return mh_render(NULL, NULL, 0, NULL, om, out, len);
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

/* Run the loop until fd's peer closes; the reply in buf. */
static size_t read_reply(struct loop *l, int fd, char *buf, size_t n)
{
	size_t got = 0;
	for (int i = 0; i < 200; i++) {
		assert_int_equal(loop_run_once(l, 10), 0);
		ssize_t r = read(fd, buf + got, n - 1 - got);
		if (r == 0)
			break;
		if (r > 0)
			got += (size_t)r;
	}
	buf[got] = 0;
	return got;
}

static void test_server(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_mh.XXXXXX", path[128], spec[140];
	char *buf = malloc(65536);
	int err = 0;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/sub/metrics.sock", dir);
	snprintf(spec, sizeof spec, "unix:%s", path);
	struct loop *l = loop_new(&err);
	assert_non_null(l);
	struct mh_server *s = mh_server_open(l, spec, fake_render, NULL, &err);
	assert_non_null(s);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0666);
	/* a second server on the same live socket is refused */
	assert_null(mh_server_open(l, spec, fake_render, NULL, &err));
	assert_int_equal(err, -EADDRINUSE);

	/* a slow client (half a request) does not hold up another */
	int slow = connect_unix(path);
	assert_int_equal(write(slow, "GET /met", 8), 8);
	int fd = connect_unix(path);
	const char req[] = "GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n";
	assert_int_equal(write(fd, req, sizeof req - 1), (ssize_t)sizeof req - 1);
	size_t n = read_reply(l, fd, buf, 65536);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(buf, "Content-Type: " MH_CT_OPENMETRICS "\r\n"));
	assert_true(!strcmp(buf + n - 6, "# EOF\n"));
	close(fd);

	/* the slow one finishes */
	assert_int_equal(write(slow, "rics HTTP/1.0\n\n", 15), 15);
	n = read_reply(l, slow, buf, 65536);
	assert_non_null(strstr(buf, "Content-Type: " MH_CT_TEXT "\r\n"));
	assert_null(strstr(buf, "# EOF"));
	close(slow);

	/* too long a request */
	fd = connect_unix(path);
	memset(buf, 'a', MH_MAX_REQUEST + 100);
	memcpy(buf, "GET /", 5);
	ssize_t w = write(fd, buf, MH_MAX_REQUEST + 100);
	assert_true(w > 0);
	n = read_reply(l, fd, buf, 65536);
	/* the URI does not fit the connection's memory: 414 (a header: 431) */
	assert_non_null(strstr(buf, "HTTP/1.1 414 "));
	close(fd);

	/* HEAD: headers only; 405 */
	fd = connect_unix(path);
	assert_int_equal(write(fd, "HEAD /metrics HTTP/1.1\r\n\r\n", 26), 26);
	n = read_reply(l, fd, buf, 65536);
	assert_non_null(strstr(buf, "200 OK"));
	assert_true(!strcmp(buf + n - 4, "\r\n\r\n"));
	close(fd);
	fd = connect_unix(path);
	assert_int_equal(write(fd, "PUT /metrics HTTP/1.1\r\n\r\n", 25), 25);
	read_reply(l, fd, buf, 65536);
	assert_non_null(strstr(buf, "405 Method Not Allowed"));
	assert_non_null(strstr(buf, "Allow: GET, HEAD"));
	close(fd);

	/* a client that connects and goes away, one left open at close */
	fd = connect_unix(path);
	close(fd);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 10);
	fd = connect_unix(path);
	loop_run_once(l, 10);
	mh_server_close(s);
	close(fd);
	assert_int_equal(stat(path, &st), -1); /* unlinked */
	loop_free(l);
	snprintf(path, sizeof path, "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
	free(buf);
	assert_true(renders >= 3);
}

/* 1: the server closed fd (EOF or reset, after what it had sent), 0: it
 * is still open. What was read is added to *got (may be NULL). */
static int drained(int fd, size_t *got)
{
	char b[65536];
	for (;;) {
		ssize_t r = read(fd, b, sizeof b);
		if (r > 0 && got)
			*got += (size_t)r;
		if (r > 0)
			continue;
		return r == 0 || errno != EAGAIN;
	}
}

static int closed(int fd)
{
	return drained(fd, NULL);
}

/* The limits: idle connections from one peer past MH_MAX_PER_PEER make
 * room (the oldest is cut) and never keep a scrape out; a request not in
 * after MH_REQUEST_NS, or a reply not taken after MH_CLIENT_NS, is cut. */
static void test_server_limits(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_mh.XXXXXX", path[128], spec[140];
	char *buf = malloc(65536);
	int err = 0, idle[MH_MAX_PER_PEER + 1];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/metrics.sock", dir);
	snprintf(spec, sizeof spec, "unix:%s", path);
	vclock_fake_start(1000000000000ull, 1700000000000000000ull);
	struct loop *l = loop_new(&err);
	struct mh_server *s = mh_server_open(l, spec, fake_render, NULL, &err);
	assert_non_null(s);

	/* one idle connection more than a peer may hold: the oldest goes */
	for (int i = 0; i <= MH_MAX_PER_PEER; i++) {
		idle[i] = connect_unix(path);
		if (i == 0)
			assert_int_equal(write(idle[0], "GET /met", 8), 8);
		for (int k = 0; k < 3; k++)
			loop_run_once(l, 1);
		vclock_fake_advance(1000); /* in order */
	}
	for (int k = 0; k < 10; k++)
		loop_run_once(l, 1);
	assert_true(closed(idle[0]));
	for (int i = 1; i <= MH_MAX_PER_PEER; i++)
		assert_false(closed(idle[i]));
	assert_int_equal(mh_server_conns(s), MH_MAX_PER_PEER); /* closed, not just shut down */

	/* a scrape is served all the same (making room again) */
	int fd = connect_unix(path);
	assert_int_equal(write(fd, "GET /metrics HTTP/1.1\r\n\r\n", 25), 25);
	assert_true(read_reply(l, fd, buf, 65536) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
	close(fd);
	assert_true(closed(idle[1]));

	/* no request after MH_REQUEST_NS: cut */
	vclock_fake_advance(MH_REQUEST_NS);
	for (int k = 0; k < 10; k++)
		loop_run_once(l, 1);
	for (int i = 2; i <= MH_MAX_PER_PEER; i++)
		assert_true(closed(idle[i]));
	assert_int_equal(mh_server_conns(s), 0);
	for (int i = 0; i <= MH_MAX_PER_PEER; i++)
		close(idle[i]);

	/* a reply too big for the socket, not read: cut after MH_CLIENT_NS */
	big_render = 16u << 20;
	fd = connect_unix(path);
	assert_int_equal(write(fd, "GET /metrics HTTP/1.1\r\n\r\n", 25), 25);
	for (int k = 0; k < 10; k++)
		loop_run_once(l, 1);
	vclock_fake_advance(MH_REQUEST_NS);
	for (int k = 0; k < 10; k++)
		loop_run_once(l, 1);
	size_t got = 0;
	assert_false(drained(fd, &got)); /* the request came in: the reply has time */
	vclock_fake_advance(MH_CLIENT_NS);
	int end = 0;
	for (int k = 0; k < 1000 && !end; k++) {
		loop_run_once(l, 1);
		end = drained(fd, &got);
	}
	assert_true(end);
	assert_true(got < big_render); /* cut short */
	close(fd);
	big_render = 0;

	mh_server_close(s);
	loop_free(l);
	vclock_fake_stop();
	rmdir(dir);
	free(buf);
}

static void test_server_tcp(void **state)
{
	(void)state;
	int err = 0;
	struct loop *l = loop_new(&err);
	assert_null(mh_server_open(l, "off", fake_render, NULL, &err));
	assert_int_equal(err, -EINVAL);
	struct mh_server *s = mh_server_open(l, "127.0.0.1:0x", fake_render, NULL, &err);
	assert_null(s);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_names),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_contrib_names),
		cmocka_unit_test(test_counters_bounded),
		cmocka_unit_test(test_decide_and_parse),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_server_limits),
		cmocka_unit_test(test_server_tcp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
