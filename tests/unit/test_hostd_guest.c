/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_hostd_guest: one guest channel of vtune-hostd fed hostile bytes over a
 * socketpair through the same path the event loop uses (guest_on_io):
 * overlong lines, bad numbers, invalid UTF-8, unknown fields, floods,
 * slowloris, stalled readers; the good reports are still taken. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest.h"
#include "linebuf.h"
#include "log.h"
#include "vclock.h"

#define SEC 1000000000ull
#define T0 (1000 * SEC)

struct fx {
	struct guest *g;
	int peer;
	int acks, lost;
	uint64_t ack_id;
	unsigned ack_matched; /* the last ack's results that answered an item */
	char from_host[65536];
	size_t nfrom;
	size_t max_buffered;
};

static void on_ack(void *arg, struct guest *g, const struct wire_result *const *res,
		   const struct guest_pending *p)
{
	struct fx *f = arg;
	(void)g;
	f->acks++;
	f->ack_id = p->id;
	f->ack_matched = 0;
	for (unsigned i = 0; i < p->n; i++)
		f->ack_matched += res[i] != NULL;
}

static void on_lost(void *arg, struct guest *g, const struct guest_pending *p)
{
	struct fx *f = arg;
	(void)g;
	(void)p;
	f->lost++;
}

static const struct guest_hooks hooks = { on_ack, on_lost, NULL };

static uint64_t now(void)
{
	return vclock_mono_ns();
}

/* Read what the host sent (kept, up to the buffer size). */
static void drain_peer(struct fx *f)
{
	char buf[8192];
	ssize_t n;
	while ((n = read(f->peer, buf, sizeof buf)) > 0) {
		size_t room = sizeof f->from_host - 1 - f->nfrom;
		size_t k = (size_t)n < room ? (size_t)n : room;
		memcpy(f->from_host + f->nfrom, buf, k);
		f->nfrom += k;
		f->from_host[f->nfrom] = 0;
	}
}

/* Let the guest read everything that is waiting. */
static void pump_guest(struct fx *f)
{
	for (int i = 0; i < 100000 && f->g->fd >= 0; i++) {
		size_t before = f->g->in ? linebuf_buffered(f->g->in) : 0;
		if (before > f->max_buffered)
			f->max_buffered = before;
		char c;
		if (recv(f->g->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0 && errno == EAGAIN)
			break;
		guest_on_io(f->g, EPOLLIN, now());
		if (f->g->in && linebuf_buffered(f->g->in) > f->max_buffered)
			f->max_buffered = linebuf_buffered(f->g->in);
	}
	drain_peer(f);
}

/* Send len bytes as the guest, letting the host read in between. */
static void send_bytes(struct fx *f, const void *data, size_t len)
{
	const char *p = data;
	while (len && f->g->fd >= 0) {
		ssize_t n = send(f->peer, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			assert_true(errno == EAGAIN);
			pump_guest(f);
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	pump_guest(f);
}

static void send_str(struct fx *f, const char *s)
{
	send_bytes(f, s, strlen(s));
}

static const char hello[] =
	"{\"v\":1,\"type\":\"hello\",\"role\":\"agent\",\"version\":\"0.1.0\",\"min_v\":1,\"max_v\":1,\"caps\":[\"sysctl\"]}\n";

static void report(struct fx *f, uint64_t seq, const char *metrics)
{
	char line[4096];
	snprintf(line, sizeof line,
		 "{\"v\":1,\"type\":\"report\",\"seq\":%llu,\"mono_ns\":5,\"interval_s\":5,"
		 "\"sample\":{\"metrics\":{%s}}}\n", (unsigned long long)seq, metrics);
	send_str(f, line);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	int sv[2];
	struct bk_guest bk = { .name = "g1", .domid = -1 };
	log_init("test_hostd_guest", 0, LOG_DEBUG); /* quiet */
	vclock_fake_start(T0, 1700000000 * SEC);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	f->peer = sv[1];
	f->g = guest_new(&bk, NULL, &hooks, f);
	assert_non_null(f->g);
	assert_int_equal(guest_attach_fd(f->g, sv[0], now()), 0);
	drain_peer(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	guest_free(f->g);
	close(f->peer);
	vclock_fake_stop();
	free(f);
	return 0;
}

/* Start the next rate window. */
static void next_second(void)
{
	vclock_fake_advance(SEC + 1);
}

static void test_handshake(void **state)
{
	struct fx *f = *state;
	assert_memory_equal(f->from_host, "\xff\n", 2);
	assert_non_null(strstr(f->from_host, "\"type\":\"hello\""));
	assert_non_null(strstr(f->from_host, "\"role\":\"host\""));
	report(f, 1, "\"guest.cpu.steal\":1");
	assert_int_equal(f->g->st.ignored, 1); /* before hello */
	assert_false(f->g->have_report);
	send_str(f, hello);
	assert_true(f->g->hello_seen);
	assert_int_equal(f->g->agreed_v, 1);
	report(f, 2, "\"guest.cpu.steal\":1.5,\"guest.sysctl.somaxconn\":128");
	assert_true(f->g->have_report);
	assert_int_equal(f->g->st.reports, 1);
	assert_true(mvec_get(&f->g->gm, M_GUEST_CPU_STEAL) == 1.5);
	char v[32];
	assert_int_equal(guest_sysctl_value(f->g, "net.core.somaxconn", v, sizeof v), 0);
	assert_string_equal(v, "128");
	assert_int_equal(guest_sysctl_value(f->g, "net.core.rmem_max", v, sizeof v), -ENOENT);
	/* A version the host does not speak: error and close. */
	send_str(f, "{\"v\":1,\"type\":\"hello\",\"role\":\"agent\",\"version\":\"9.0.0\",\"min_v\":3,\"max_v\":4,\"caps\":[]}\n");
	assert_int_equal(f->g->fd, -1);
	assert_non_null(strstr(f->from_host, "no common protocol version"));
}

static void test_hostile_bytes(void **state)
{
	struct fx *f = *state;
	send_str(f, hello);
	/* A 10 MB line: reported once, memory stays at the line limit. */
	size_t big = 10u * 1024 * 1024;
	char *p = malloc(big + 1);
	memset(p, 'x', big);
	p[big] = '\n';
	send_bytes(f, p, big + 1);
	free(p);
	assert_true(f->g->fd >= 0);
	assert_int_equal(f->g->st.overlong, 1);
	assert_true(f->max_buffered <= GUEST_MAX_LINE);
	next_second();
	report(f, 1, "\"guest.cpu.steal\":2");
	assert_int_equal(f->g->st.reports, 1);

	uint64_t bad = f->g->st.bad_reports, inval = f->g->st.invalid;
	report(f, 2, "\"guest.cpu.steal\":NaN");	/* not JSON */
	report(f, 3, "\"guest.cpu.steal\":Infinity");	/* not JSON */
	report(f, 4, "\"guest.cpu.steal\":1e400");	/* overflows a double */
	assert_int_equal(f->g->st.invalid, inval + 3);
	report(f, 5, "\"guest.cpu.steal\":1e300");	/* out of range */
	report(f, 6, "\"guest.tcp.passive_opens\":-5"); /* negative rate */
	report(f, 7, "\"guest.cpu.steal\":\"5\"");	/* a string */
	report(f, 8, "\"guest.cpu.steal\":null");
	report(f, 9, "\"guest.cpu.steal\":101");	/* over 100 % */
	assert_int_equal(f->g->st.bad_reports, bad + 5);
	assert_true(mvec_get(&f->g->gm, M_GUEST_CPU_STEAL) == 2); /* none was taken */
	send_str(f, "{\"v\":1,\"type\":\"report\",\"seq\":10,\"mono_ns\":5,\"interval_s\":5,\"sample\":{\"metrics\":{\"guest.cpu.steal\":\"\xc3\x28\"}}}\n");
	static const char nul[] = "{\"v\":1,\"type\":\"report\",\"seq\":10\x00,\"mono_ns\":5}\n";
	send_bytes(f, nul, sizeof nul - 1);
	send_str(f, "\xfe\xfe\xfe\n");
	send_str(f, "{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"x\",\"changes\":[{\"kind\":\"sysctl\",\"key\":\"a.b\",\"value\":\"1\"}]}\n");
	assert_int_equal(f->g->st.invalid, inval + 7);
	/* what a backend's channel refused (a Xen report's parts not matching
	 * their count) counts the same; the channel stays */
	guest_input_refused(f->g, vclock_mono_ns(), "report-parts says 3 but report-1 is missing");
	assert_int_equal(f->g->st.invalid, inval + 8);
	assert_true(f->g->fd >= 0);
	next_second();
	/* Unknown fields and metrics: ignored, counted, the report taken. */
	send_str(f, "{\"v\":1,\"type\":\"report\",\"seq\":11,\"mono_ns\":5,\"interval_s\":5,\"new\":[1],"
		    "\"sample\":{\"metrics\":{\"guest.cpu.steal\":7,\"guest.warp.drive\":1,\"host.vcpu.delay\":50}}}\n");
	assert_int_equal(f->g->st.unknown_fields, 1);
	assert_int_equal(f->g->st.unknown_metrics, 2);
	assert_true(mvec_get(&f->g->gm, M_GUEST_CPU_STEAL) == 7);
	assert_false(mvec_has(&f->g->gm, M_HOST_VCPU_DELAY)); /* a guest never names host metrics */
	/* seq must increase. */
	report(f, 11, "\"guest.cpu.steal\":8");
	assert_int_equal(f->g->st.bad_reports, bad + 6);
	report(f, 12, "\"guest.cpu.steal\":8");
	assert_true(mvec_get(&f->g->gm, M_GUEST_CPU_STEAL) == 8);
	assert_true(f->g->fd >= 0);
	/* The host answered some garbage with an error line, rate-limited. */
	assert_non_null(strstr(f->from_host, "\"type\":\"error\""));
}

static void test_flood(void **state)
{
	struct fx *f = *state;
	send_str(f, hello);
	next_second();
	/* 10k messages at once: 20 taken in this second, the rest dropped. */
	size_t cap = 10000 * 128, len = 0;
	char *buf = malloc(cap);
	for (int i = 1; i <= 10000; i++)
		len += (size_t)snprintf(buf + len, cap - len,
			"{\"v\":1,\"type\":\"report\",\"seq\":%d,\"mono_ns\":5,\"interval_s\":5,\"sample\":{\"metrics\":{\"guest.cpu.steal\":%d}}}\n",
			i, i % 100);
	send_bytes(f, buf, len);
	free(buf);
	assert_true(f->g->fd >= 0);
	assert_int_equal(f->g->st.reports, GUEST_MAX_MSGS_PER_S);
	assert_int_equal(f->g->st.dropped, 10000 - GUEST_MAX_MSGS_PER_S);
	assert_true(mvec_get(&f->g->gm, M_GUEST_CPU_STEAL) == GUEST_MAX_MSGS_PER_S);
	/* A well-behaved next second is served again. */
	next_second();
	report(f, 20000, "\"guest.cpu.steal\":3");
	assert_true(mvec_get(&f->g->gm, M_GUEST_CPU_STEAL) == 3);
	/* Flooding for more than 10 s: disconnected. */
	uint64_t seq = 30000;
	for (int s = 0; s < 13 && f->g->fd >= 0; s++) {
		for (int i = 0; i < 30 && f->g->fd >= 0; i++)
			report(f, seq++, "\"guest.cpu.steal\":4");
		guest_tick(f->g, now());
		next_second();
	}
	assert_int_equal(f->g->fd, -1);
	assert_int_equal(f->g->st.disconnects, 1);
	assert_non_null(strstr(f->g->close_reason, "flooding"));
	/* The last report stays for status; reconnecting waits the backoff. */
	assert_true(f->g->have_report);
	assert_true(f->g->next_connect_ns >= now() - 2 * SEC);
}

static void test_slowloris(void **state)
{
	struct fx *f = *state;
	send_str(f, hello);
	send_str(f, "{\"v\":1,\"type\":\"rep");
	for (int i = 0; i < 9; i++) {
		vclock_fake_advance(SEC);
		send_str(f, "o");
		guest_tick(f->g, now());
	}
	assert_true(f->g->fd >= 0);
	vclock_fake_advance(2 * SEC);
	guest_tick(f->g, now());
	assert_int_equal(f->g->fd, -1);
	assert_non_null(strstr(f->g->close_reason, "partial line"));
}

static void test_acks(void **state)
{
	struct fx *f = *state;
	struct wire_msg m;
	struct guest_pending p = { .id = 5, .n = 1 };
	send_str(f, hello);
	wire_msg_init(&m, WIRE_APPLY);
	m.u.apply.id = 5;
	strcpy(m.u.apply.rule, "r1");
	assert_int_equal(wire_apply_add(&m, "net.core.somaxconn", "4096"), 0);
	strcpy(p.key[0], "net.core.somaxconn");
	p.seq[0] = 1;
	assert_int_equal(guest_send_request(f->g, &m, &p), 0);
	wire_msg_free(&m);
	drain_peer(f);
	assert_non_null(strstr(f->from_host, "\"type\":\"apply\""));
	assert_int_equal(f->g->npending, 1);
	send_str(f, "{\"v\":1,\"type\":\"ack\",\"id\":99,\"results\":[]}\n");
	assert_int_equal(f->g->st.unknown_acks, 1);
	assert_int_equal(f->acks, 0);
	send_str(f, "{\"v\":1,\"type\":\"ack\",\"id\":5,\"results\":[{\"key\":\"net.core.somaxconn\",\"old\":\"128\",\"new\":\"4096\"}]}\n");
	assert_int_equal(f->acks, 1);
	assert_int_equal(f->g->npending, 0);
	assert_int_equal(f->ack_matched, 1);
	assert_int_equal(f->g->st.refused_results, 0);
	/* The same ack again is unknown now. */
	send_str(f, "{\"v\":1,\"type\":\"ack\",\"id\":5,\"results\":[]}\n");
	assert_int_equal(f->g->st.unknown_acks, 2);
	/* Lost on disconnect. */
	wire_msg_init(&m, WIRE_APPLY);
	m.u.apply.id = 6;
	strcpy(m.u.apply.rule, "r1");
	wire_apply_add(&m, "net.core.somaxconn", "8192");
	p.id = 6;
	assert_int_equal(guest_send_request(f->g, &m, &p), 0);
	wire_msg_free(&m);
	guest_disconnect(f->g, now(), "test");
	assert_int_equal(f->lost, 1);
}

/* Forged acks: an ack answers its request's items, nothing else. Results
 * for keys or record numbers the request does not hold, or a second result
 * for the same item, are refused and counted; a value the guest claims for
 * an unrelated sysctl is not learnt. */
static void test_forged_acks(void **state)
{
	struct fx *f = *state;
	struct wire_msg m;
	struct guest_pending p = { .id = 7, .n = 1 };
	char buf[64];
	send_str(f, hello);
	wire_msg_init(&m, WIRE_APPLY);
	m.u.apply.id = 7;
	strcpy(m.u.apply.rule, "r1");
	assert_int_equal(wire_apply_add(&m, "net.core.somaxconn", "4096"), 0);
	strcpy(p.key[0], "net.core.somaxconn");
	strcpy(p.kind[0], "sysctl");
	p.seq[0] = 3;
	assert_int_equal(guest_send_request(f->g, &m, &p), 0);
	wire_msg_free(&m);
	drain_peer(f);
	send_str(f, "{\"v\":1,\"type\":\"ack\",\"id\":7,\"results\":["
		    "{\"key\":\"net.ipv4.tcp_fin_timeout\",\"old\":\"60\",\"new\":\"1\"},"
		    "{\"key\":\"net.core.somaxconn\",\"old\":\"128\",\"new\":\"4096\"},"
		    "{\"key\":\"net.core.somaxconn\",\"old\":\"128\",\"new\":\"1\"}]}\n");
	assert_int_equal(f->acks, 1);
	assert_int_equal(f->ack_matched, 1);
	assert_int_equal(f->g->st.refused_results, 2);
	assert_int_equal(guest_sysctl_value(f->g, "net.ipv4.tcp_fin_timeout", buf, sizeof buf),
			 -ENOENT);
	assert_int_equal(guest_sysctl_value(f->g, "net.core.somaxconn", buf, sizeof buf), 0);
	assert_string_equal(buf, "4096"); /* the first answer, not the duplicate */
	/* protocol 2: a record number the request does not hold */
	p.id = 8;
	p.seq[0] = 11;
	wire_msg_init(&m, WIRE_APPLY);
	m.v = 2;
	m.u.apply.id = 8;
	strcpy(m.u.apply.rule, "r1");
	assert_int_equal(wire_apply_add(&m, "net.core.somaxconn", "8192"), 0);
	assert_int_equal(guest_send_request(f->g, &m, &p), 0);
	wire_msg_free(&m);
	drain_peer(f);
	send_str(f, "{\"v\":2,\"type\":\"ack\",\"id\":8,\"results\":["
		    "{\"ref\":12,\"kind\":\"sysctl\",\"key\":\"net.core.somaxconn\",\"old\":\"1\",\"new\":\"2\"}]}\n");
	assert_int_equal(f->acks, 2);
	assert_int_equal(f->ack_matched, 0);
	assert_int_equal(f->g->st.refused_results, 3);
	/* an id never sent */
	send_str(f, "{\"v\":1,\"type\":\"ack\",\"id\":1234,\"results\":[]}\n");
	assert_int_equal(f->g->st.unknown_acks, 1);
	assert_int_equal(f->acks, 2);
}

/* An agent restarting behind the channel says hello again: served. One
 * that keeps saying it: disconnected after GUEST_MAX_HELLOS in a minute. */
static void test_repeated_hello(void **state)
{
	struct fx *f = *state;
	send_str(f, hello);
	for (int i = 0; i < GUEST_MAX_HELLOS; i++) {
		send_str(f, hello);
		assert_true(f->g->fd >= 0);
	}
	assert_int_equal(f->g->st.hellos_again, GUEST_MAX_HELLOS);
	send_str(f, hello);
	assert_int_equal(f->g->fd, -1);
	assert_non_null(strstr(f->g->close_reason, "hello repeated"));
}

static void test_stalled_reader(void **state)
{
	struct fx *f = *state;
	struct wire_msg m;
	int r = 0, i;
	/* The guest never reads: the queue fills, the guest is dropped, and
	 * never more than GUEST_MAX_OUTQ is held. */
	for (i = 0; i < 100000; i++) {
		wire_msg_init(&m, WIRE_ERROR);
		memset(m.u.error.reason, 'e', WIRE_MAX_REASON);
		m.u.error.reason[WIRE_MAX_REASON] = 0;
		r = guest_send(f->g, &m);
		if (r < 0)
			break;
		assert_true(linebuf_outq_pending(f->g->out) <= GUEST_MAX_OUTQ);
	}
	assert_int_equal(r, -ENOBUFS);
	assert_int_equal(f->g->fd, -1);
	assert_int_equal(guest_send(f->g, &m), -ENOTCONN);
}

static void test_peer_closes(void **state)
{
	struct fx *f = *state;
	send_str(f, hello);
	close(f->peer);
	f->peer = -1;
	guest_on_io(f->g, EPOLLIN, now());
	assert_int_equal(f->g->fd, -1);
	assert_false(f->g->hello_seen);
	/* No channel path: tick does not try to connect. */
	vclock_fake_advance(60 * SEC);
	guest_tick(f->g, now());
	assert_int_equal(f->g->fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slowloris, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_acks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeated_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_closes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
