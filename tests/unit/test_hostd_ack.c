/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_hostd_ack: a guest change's original value is the one its guest's
 * ack gave, not the report's older reading hostd planned from: vtune-hostd
 * (sim backend, this test as the guest's agent over the channel socket)
 * records it, and its revert asks for it (protocol 1: sent as the value)
 * and takes the guest's restore of it (protocol 2: by record number). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostd_int.h"
#include "log.h"
#include "loop.h"
#include "vclock.h"
#include "wire.h"

#define KEY "net.netfilter.nf_conntrack_max"

struct fx {
	char dir[64];
	struct hostd *h;
	struct guest *g;
	int agent; /* this test's end of the channel */
	char in[65536]; /* what hostd sent the agent */
	size_t nin;
};

/* Serve hostd and read what it sent until want is in it (or give up). */
static int pump(struct fx *f, const char *want)
{
	for (int i = 0; i < 200; i++) {
		loop_run_once(f->h->loop, 5);
		ssize_t n = recv(f->agent, f->in + f->nin, sizeof f->in - 1 - f->nin, MSG_DONTWAIT);
		if (n > 0)
			f->nin += (size_t)n;
		f->in[f->nin] = 0;
		if (want && strstr(f->in, want))
			return 1;
		if (!want && f->g && f->g->hello_seen)
			return 1;
	}
	return 0;
}

static void say(struct fx *f, const char *line)
{
	size_t len = strlen(line);
	assert_int_equal(send(f->agent, line, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* hostd with one sim guest, web1, whose agent speaks up to protocol max_v. */
static void start(struct fx *f, unsigned max_v)
{
	char path[128], pol[128], journal[128], ctl[128], hello[256];
	memset(f, 0, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_hostd_ackXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/guests", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(pol, sizeof pol, "%s/policy.yaml", f->dir);
	snprintf(journal, sizeof journal, "%s/state/journal", f->dir);
	snprintf(ctl, sizeof ctl, "%s/ctl.sock", f->dir);
	FILE *pf = fopen(pol, "w");
	assert_non_null(pf);
	fputs("version: 1\nrules:\n  - name: r\n    when: guest.tcp.listen_overflows > 5/s\n"
	      "    guest:\n      - sysctl: net.core.somaxconn\n        set: 4096\n", pf);
	fclose(pf);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/guests/web1.sock", f->dir);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(l, 1), 0);
	struct hostd_opts o = { .backend = "sim", .uri = path, .policy = pol, .journal = journal,
				.control = ctl, .root = "/", .metrics = "off", .interval_s = 1 };
	int e = 0;
	char why[256] = "";
	f->h = hostd_new(&o, &e, why, sizeof why);
	if (!f->h)
		fail_msg("hostd_new: %s: %s", strerror(-e), why);
	f->g = hostd_find_guest(f->h, "web1");
	assert_non_null(f->g);
	loop_run_once(f->h->loop, 5);
	f->agent = accept(l, NULL, NULL);
	assert_true(f->agent >= 0);
	close(l);
	snprintf(hello, sizeof hello, "{\"v\":1,\"type\":\"hello\",\"role\":\"agent\",\"version\":"
		 "\"0.1.0\",\"min_v\":1,\"max_v\":%u,\"caps\":[\"sysctl\"]}\n", max_v);
	say(f, hello);
	assert_true(pump(f, NULL));
	assert_int_equal(f->g->agreed_v, max_v);
}

static void stop(struct fx *f)
{
	char cmd[128];
	close(f->agent);
	hostd_free(f->h);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
}

/* The id of the last request hostd sent of this type. */
static unsigned long long last_id(const struct fx *f, const char *type)
{
	char pat[64];
	const char *p = NULL, *q = f->in;
	snprintf(pat, sizeof pat, "\"type\":\"%s\"", type);
	while ((q = strstr(q, pat)))
		p = q++;
	assert_non_null(p);
	while (p > f->in && p[-1] != '\n')
		p--;
	p = strstr(p, "\"id\":");
	assert_non_null(p);
	return strtoull(p + 5, NULL, 10);
}

/* A change hostd planned from a report's 2048, sent and acked by the
 * guest, which found 64: its record number. */
static int64_t change_acked(struct fx *f)
{
	struct journal *j = hostd_journal(f->h);
	struct jrec rec = { .side = "guest", .domain = "web1", .kind = "sysctl", .target = "",
			    .key = KEY, .old = "2048", .new = "4096", .rule = "ct",
			    .why = "guest.conntrack.usage=0.95", .guest = "web1" };
	int64_t seq = journal_intent(j, &rec);
	assert_true(seq > 0);
	struct wire_msg m;
	struct guest_pending p = { .id = 77, .n = 1, .seq = { seq } };
	snprintf(p.rule, sizeof p.rule, "ct");
	snprintf(p.key[0], sizeof p.key[0], KEY);
	snprintf(p.kind[0], sizeof p.kind[0], "sysctl");
	wire_msg_init(&m, WIRE_APPLY);
	m.v = f->g->agreed_v;
	m.u.apply.id = 77;
	snprintf(m.u.apply.rule, sizeof m.u.apply.rule, "ct");
	assert_int_equal(wire_apply_add(&m, KEY, "4096"), 0);
	if (m.v >= 2)
		m.u.apply.changes[0].ref = (uint64_t)seq;
	assert_int_equal(guest_send_request(f->g, &m, &p), 0);
	wire_msg_free(&m);
	assert_true(pump(f, "\"type\":\"apply\""));
	char ack[512];
	if (f->g->agreed_v >= 2)
		snprintf(ack, sizeof ack, "{\"v\":2,\"type\":\"ack\",\"id\":77,\"results\":[{\"ref\":%lld,"
			 "\"kind\":\"sysctl\",\"key\":\"" KEY "\",\"old\":\"64\",\"new\":\"4096\","
			 "\"knobs\":1}]}\n", (long long)seq);
	else
		snprintf(ack, sizeof ack, "{\"v\":1,\"type\":\"ack\",\"id\":77,\"results\":[{\"key\":\""
			 KEY "\",\"old\":\"64\",\"new\":\"4096\"}]}\n");
	say(f, ack);
	for (int i = 0; i < 200 && strcmp(journal_state(j, seq), "applied"); i++)
		loop_run_once(f->h->loop, 5);
	assert_string_equal(journal_state(j, seq), "applied");
	const char *old, *new;
	assert_int_equal(journal_values(j, seq, &old, &new), 0);
	assert_string_equal(old, "64");
	return seq;
}

/* Revert seq through hostd; the guest answers that it restored 64:
 * protocol 1 is sent the original value as an apply, protocol 2 the
 * record number as a revert. */
static void revert_and_confirm(struct fx *f, int64_t seq)
{
	struct journal *j = hostd_journal(f->h);
	struct revert_sel sel = { .by = REVERT_SEQ, .refs = &seq, .nrefs = 1 };
	const char *type = f->g->agreed_v >= 2 ? "revert" : "apply";
	char want[64], ack[512];
	f->nin = 0;
	assert_int_equal(journal_revert(j, "/", &sel, 0, 0, NULL, hostd_revert_remote, f->h), 0);
	assert_string_equal(journal_state(j, seq), "asked");
	snprintf(want, sizeof want, "\"type\":\"%s\"", type);
	assert_true(pump(f, want));
	if (f->g->agreed_v >= 2)
		snprintf(ack, sizeof ack, "{\"v\":2,\"type\":\"ack\",\"id\":%llu,\"results\":[{"
			 "\"ref\":%lld,\"kind\":\"sysctl\",\"key\":\"" KEY "\",\"old\":\"4096\","
			 "\"new\":\"64\",\"knobs\":1}]}\n", last_id(f, type), (long long)seq);
	else
		snprintf(ack, sizeof ack, "{\"v\":1,\"type\":\"ack\",\"id\":%llu,\"results\":[{"
			 "\"key\":\"" KEY "\",\"old\":\"4096\",\"new\":\"64\"}]}\n",
			 last_id(f, type));
	say(f, ack);
	for (int i = 0; i < 200 && strcmp(journal_state(j, seq), "reverted"); i++)
		loop_run_once(f->h->loop, 5);
	assert_string_equal(journal_state(j, seq), "reverted");
	const struct jrec *m = journal_record(j, journal_count(j) - 1);
	assert_string_equal(m->op, "reverted");
	assert_int_equal(m->ref, seq);
	assert_string_equal(m->new, "64");
}

/* Protocol 1: the revert is an apply of the original value: 64. */
static void test_revert_v1(void **state)
{
	struct fx f;
	(void)state;
	start(&f, 1);
	revert_and_confirm(&f, change_acked(&f));
	assert_non_null(strstr(f.in, "\"value\":\"64\""));
	assert_null(strstr(f.in, "2048"));
	stop(&f);
}

/* Protocol 2: the revert names the record; the guest's restore of 64 is
 * the original value, so it confirms the revert. */
static void test_revert_v2(void **state)
{
	struct fx f;
	(void)state;
	start(&f, 2);
	revert_and_confirm(&f, change_acked(&f));
	stop(&f);
}

int main(void)
{
	log_init("test_hostd_ack", 0, LOG_DEBUG); /* quiet */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revert_v1),
		cmocka_unit_test(test_revert_v2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
