/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_agent_session: the agent's protocol session over a socketpair and a
 * unix socket, on a fixture tree: hello and negotiation, reports, journaled
 * apply / revert with acks, garbage and resync, reconnect; vport lookup
 * (with and without the right to mknod, whoever runs it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "act_table.h"
#include "linebuf.h"
#include "log.h"
#include "session.h"
#include "vport.h"
#include "wire.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SOMAX "proc/sys/net/core/somaxconn"
#define PANIC "proc/sys/kernel/panic"
#define HOST_HELLO "{\"v\":1,\"type\":\"hello\",\"role\":\"host\",\"version\":\"0.1.0\",\"min_v\":1,\"max_v\":1,\"caps\":[]}\n"

struct fx {
	char root[64];
	char jpath[128];
	int host; /* the host's end */
	struct vport *vp;
	struct journal *j;
	struct session *s;
	char buf[1 << 17];
	size_t len;
	int samples;
};

static void put(const char *root, const char *rel, const char *content)
{
	char p[512], d[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(d, sizeof d, "%.*s", (int)(s - p), p);
		mkdir(d, 0755);
	}
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void get(const char *root, const char *rel, char *out, size_t n)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t k = fread(out, 1, n - 1, f);
	out[k] = '\0';
	fclose(f);
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
}

static int sample_fn(void *arg, const char **out, size_t *len, double *iv)
{
	static const char text[] =
		"{\"metrics\":{\"guest.cpus\":2,\"guest.tcp.passive_opens\":1.5}}";
	struct fx *f = arg;
	*out = text;
	*len = sizeof text - 1;
	*iv = 0.05;
	f->samples++;
	return 0;
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static void fx_start(struct fx *f, struct vport *vp)
{
	int err = 0;
	f->vp = vp;
	assert_non_null(f->vp);
	f->j = journal_open(f->jpath, &err);
	assert_non_null(f->j);
	struct session_cfg cfg = {
		.port = f->vp, .journal = f->j, .root = f->root, .interval_s = 0.05,
		.sample = sample_fn, .sample_arg = f,
	};
	f->s = session_new(&cfg, &err);
	assert_non_null(f->s);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	int sv[2];
	snprintf(f->root, sizeof f->root, "/tmp/vtune-sess.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->jpath, sizeof f->jpath, "%s/var/journal", f->root);
	put(f->root, SOMAX, "4096\n");
	put(f->root, PANIC, "0\n");
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	f->host = sv[1];
	fcntl(f->host, F_SETFL, O_NONBLOCK);
	fx_start(f, vport_new_fd(sv[0]));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	session_free(f->s);
	vport_free(f->vp);
	journal_close(f->j);
	if (f->host >= 0)
		close(f->host);
	nftw(f->root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* ---- the host's side ---- */

static void host_send(struct fx *f, const char *s, size_t len)
{
	assert_int_equal(write(f->host, s, len), (ssize_t)len);
}

static void host_say(struct fx *f, const char *s)
{
	host_send(f, s, strlen(s));
}

/* The next line from the agent (resync bytes and empty lines skipped),
 * stepping the session meanwhile; NULL after timeout_ms. Caller frees. */
static char *host_line(struct fx *f, int timeout_ms)
{
	for (int t = 0; t <= timeout_ms; t += 5) {
		for (;;) {
			char *nl = memchr(f->buf, '\n', f->len);
			if (!nl)
				break;
			size_t n = (size_t)(nl - f->buf);
			char *start = f->buf, *ff = memrchr(f->buf, 0xff, n);
			if (ff)
				start = ff + 1;
			char *line = strndup(start, (size_t)(nl - start));
			memmove(f->buf, nl + 1, f->len - n - 1);
			f->len -= n + 1;
			if (*line)
				return line;
			free(line);
		}
		assert_int_equal(session_step(f->s, 5), 0);
		ssize_t r = read(f->host, f->buf + f->len, sizeof f->buf - f->len);
		if (r > 0)
			f->len += (size_t)r;
	}
	return NULL;
}

/* Next message of type t (others skipped), decoded into m. */
static void expect(struct fx *f, enum wire_type t, struct wire_msg *m)
{
	char err[256];
	for (;;) {
		char *line = host_line(f, 2000);
		if (!line)
			fail_msg("no %s from the agent", wire_type_name(t));
		int r = wire_decode(line, strlen(line), m, err, sizeof err);
		if (r)
			fail_msg("agent sent an invalid line (%s): %s", err, line);
		free(line);
		if (m->type == t)
			return;
		wire_msg_free(m);
	}
}

/* Nothing but reports for ms (about: steps of 5 ms). */
static void expect_quiet(struct fx *f, int ms)
{
	for (int t = 0; t < ms; t += 5) {
		char *line = host_line(f, 0);
		if (!line)
			continue;
		struct wire_msg m;
		assert_int_equal(wire_decode(line, strlen(line), &m, NULL, 0), 0);
		if (m.type != WIRE_REPORT)
			fail_msg("unexpected: %s", line);
		wire_msg_free(&m);
		free(line);
	}
}

static void handshake(struct fx *f)
{
	struct wire_msg m;
	expect(f, WIRE_HELLO, &m);
	wire_msg_free(&m);
	host_say(f, LINEBUF_RESYNC HOST_HELLO);
	expect(f, WIRE_REPORT, &m);
	wire_msg_free(&m);
	assert_int_equal(session_state(f->s), SESSION_UP);
}

/* ---- tests ---- */

static void test_hello_and_reports(void **state)
{
	struct fx *f = *state;
	struct wire_msg m;

	/* the very first bytes are the resync */
	assert_int_equal(session_step(f->s, 5), 0);
	char two[2];
	assert_int_equal(read(f->host, two, 2), 2);
	assert_memory_equal(two, LINEBUF_RESYNC, 2);

	expect(f, WIRE_HELLO, &m);
	assert_int_equal(m.u.hello.role, WIRE_ROLE_AGENT);
	assert_int_equal(m.u.hello.min_v, 1);
	assert_int_equal(m.u.hello.max_v, 2);
	/* the guest actions of the action table it carries out: those vtune-hostd
	 * sends over the wire, in table order (sysctl and rps first) */
	size_t nrows, ncaps = 0;
	const struct act_def *rows = act_table(&nrows);
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].run[POL_GUEST][ACT_HOSTD] == ACT_WIRE)
			assert_string_equal(m.u.hello.caps[ncaps++], rows[i].name);
	assert_int_equal(m.u.hello.ncaps, ncaps);
	assert_true(ncaps >= 5);
	assert_string_equal(m.u.hello.caps[0], "sysctl");
	assert_string_equal(m.u.hello.caps[1], "rps");
	wire_msg_free(&m);

	/* no report and no request before the host's hello */
	host_say(f, "{\"v\":1,\"type\":\"revert\",\"id\":1,\"all\":true}\n");
	expect(f, WIRE_ERROR, &m);
	assert_non_null(strstr(m.u.error.reason, "before hello"));
	wire_msg_free(&m);
	assert_null(host_line(f, 200));
	assert_int_equal(session_state(f->s), SESSION_HELLO);
	assert_int_equal(session_version(f->s), 0);

	host_say(f, LINEBUF_RESYNC HOST_HELLO);
	for (uint64_t seq = 0; seq < 3; seq++) {
		expect(f, WIRE_REPORT, &m);
		assert_int_equal(m.u.report.seq, seq);
		assert_true(m.u.report.mono_ns > 0);
		assert_true(m.u.report.interval_s > 0);
		json_object *metrics, *cpus;
		assert_true(json_object_object_get_ex(m.u.report.sample, "metrics", &metrics));
		assert_true(json_object_object_get_ex(metrics, "guest.cpus", &cpus));
		assert_int_equal(json_object_get_int(cpus), 2);
		wire_msg_free(&m);
	}
	assert_int_equal(session_state(f->s), SESSION_UP);
	assert_int_equal(session_version(f->s), 1);
}

static void test_version_mismatch(void **state)
{
	struct fx *f = *state;
	struct wire_msg m;
	expect(f, WIRE_HELLO, &m);
	wire_msg_free(&m);
	host_say(f, "{\"v\":3,\"type\":\"hello\",\"role\":\"host\",\"version\":\"9.0.0\",\"min_v\":3,\"max_v\":4,\"caps\":[]}\n");
	expect(f, WIRE_ERROR, &m);
	assert_non_null(strstr(m.u.error.reason, "no common protocol version"));
	wire_msg_free(&m);
	assert_null(host_line(f, 200)); /* no reports */
	assert_int_equal(session_state(f->s), SESSION_HELLO);
	/* an agent hello from the "host" is refused too */
	host_say(f, "{\"v\":1,\"type\":\"hello\",\"role\":\"agent\",\"version\":\"0.1.0\",\"min_v\":1,\"max_v\":1,\"caps\":[]}\n");
	expect(f, WIRE_ERROR, &m);
	wire_msg_free(&m);
	assert_int_equal(session_state(f->s), SESSION_HELLO);
}

static void apply(struct fx *f, unsigned id, const char *key, const char *value,
		  struct wire_msg *ack)
{
	char line[512];
	snprintf(line, sizeof line,
		 "{\"v\":1,\"type\":\"apply\",\"id\":%u,\"rule\":\"r1\",\"changes\":"
		 "[{\"kind\":\"sysctl\",\"key\":\"%s\",\"value\":\"%s\"}]}\n", id, key, value);
	host_say(f, line);
	expect(f, WIRE_ACK, ack);
	assert_int_equal(ack->u.ack.id, id);
	assert_int_equal(ack->u.ack.nresults, 1);
	assert_string_equal(ack->u.ack.results[0].key, key);
}

static void test_apply_revert(void **state)
{
	struct fx *f = *state;
	struct wire_msg a;
	char v[64];

	handshake(f);
	apply(f, 5, "net.core.somaxconn", "8192", &a);
	assert_false(a.u.ack.results[0].has_error);
	assert_string_equal(a.u.ack.results[0].old_value, "4096");
	assert_string_equal(a.u.ack.results[0].new_value, "8192");
	wire_msg_free(&a);
	get(f->root, SOMAX, v, sizeof v);
	assert_string_equal(v, "8192");

	/* the journal has it, with the host's request as the reason */
	const struct jrec *set = NULL;
	for (size_t i = 0; i < journal_count(f->j); i++)
		if (!strcmp(journal_record(f->j, i)->op, "set"))
			set = journal_record(f->j, i);
	assert_non_null(set);
	assert_string_equal(set->side, "guest");
	assert_string_equal(set->domain, "");
	assert_string_equal(set->rule, "r1");
	assert_string_equal(set->why, "host request 5");

	/* the same value again: unchanged, still acked with old = new */
	apply(f, 6, "net.core.somaxconn", "8192", &a);
	assert_false(a.u.ack.results[0].has_error);
	assert_string_equal(a.u.ack.results[0].old_value, "8192");
	assert_string_equal(a.u.ack.results[0].new_value, "8192");
	wire_msg_free(&a);

	/* outside the allow-list: refused, nothing written */
	size_t nrec = journal_count(f->j);
	apply(f, 7, "kernel.panic", "10", &a);
	assert_true(a.u.ack.results[0].has_error);
	assert_false(a.u.ack.results[0].has_new);
	assert_string_equal(a.u.ack.results[0].old_value, "0");
	wire_msg_free(&a);
	get(f->root, PANIC, v, sizeof v);
	assert_string_equal(v, "0");
	assert_int_equal(journal_count(f->j), nrec);

	/* out of bounds: refused, old value stays */
	apply(f, 8, "net.core.somaxconn", "99999999", &a);
	assert_true(a.u.ack.results[0].has_error);
	assert_string_equal(a.u.ack.results[0].old_value, "8192");
	wire_msg_free(&a);
	get(f->root, SOMAX, v, sizeof v);
	assert_string_equal(v, "8192");

	/* revert of another rule: nothing to undo, an empty ack */
	host_say(f, "{\"v\":1,\"type\":\"revert\",\"id\":9,\"rule\":\"other\",\"all\":false}\n");
	expect(f, WIRE_ACK, &a);
	assert_int_equal(a.u.ack.id, 9);
	assert_int_equal(a.u.ack.nresults, 0);
	wire_msg_free(&a);

	host_say(f, "{\"v\":1,\"type\":\"revert\",\"id\":10,\"rule\":\"r1\",\"all\":false}\n");
	expect(f, WIRE_ACK, &a);
	assert_int_equal(a.u.ack.id, 10);
	assert_int_equal(a.u.ack.nresults, 1);
	assert_string_equal(a.u.ack.results[0].key, "net.core.somaxconn");
	assert_string_equal(a.u.ack.results[0].old_value, "8192");
	assert_string_equal(a.u.ack.results[0].new_value, "4096");
	wire_msg_free(&a);
	get(f->root, SOMAX, v, sizeof v);
	assert_string_equal(v, "4096");

	/* apply again, then revert all */
	apply(f, 11, "net.core.somaxconn", "1024", &a);
	wire_msg_free(&a);
	host_say(f, "{\"v\":1,\"type\":\"revert\",\"id\":12,\"all\":true}\n");
	expect(f, WIRE_ACK, &a);
	assert_int_equal(a.u.ack.nresults, 1);
	assert_string_equal(a.u.ack.results[0].new_value, "4096");
	wire_msg_free(&a);
	get(f->root, SOMAX, v, sizeof v);
	assert_string_equal(v, "4096");
}

/* Protocol 1 has no revert by record: the host asks for the original value
 * as an apply. The agent undoes its own changes (marked reverted), never
 * records that as a new change; over a knob changed by someone else it
 * leaves it and says so. */
static void test_v1_revert_is_no_change(void **state)
{
	struct fx *f = *state;
	struct wire_msg a;
	char v[64];
	int sets = 0, reverted = 0;

	handshake(f);
	apply(f, 5, "net.core.somaxconn", "8192", &a);
	wire_msg_free(&a);
	apply(f, 6, "net.core.somaxconn", "16384", &a);
	wire_msg_free(&a);
	size_t before = journal_count(f->j);
	apply(f, 7, "net.core.somaxconn", "4096", &a); /* the original: a revert */
	assert_false(a.u.ack.results[0].has_error);
	assert_string_equal(a.u.ack.results[0].old_value, "16384");
	assert_string_equal(a.u.ack.results[0].new_value, "4096");
	wire_msg_free(&a);
	get(f->root, SOMAX, v, sizeof v);
	assert_string_equal(v, "4096");
	for (size_t i = 0; i < journal_count(f->j); i++) {
		sets += !strcmp(journal_record(f->j, i)->op, "set");
		reverted += i >= before && !strcmp(journal_record(f->j, i)->op, "reverted");
	}
	assert_int_equal(sets, 2); /* no new change */
	assert_int_equal(reverted, 2);
	/* again: nothing open any more, so now it is a change like any other */
	apply(f, 8, "net.core.somaxconn", "8192", &a);
	wire_msg_free(&a);
	put(f->root, SOMAX, "1000\n"); /* an administrator */
	before = journal_count(f->j);
	apply(f, 9, "net.core.somaxconn", "4096", &a);
	assert_true(a.u.ack.results[0].has_error);
	assert_non_null(strstr(a.u.ack.results[0].error, "changed by someone else"));
	wire_msg_free(&a);
	get(f->root, SOMAX, v, sizeof v);
	assert_string_equal(v, "1000");
	for (size_t i = before; i < journal_count(f->j); i++)
		assert_string_not_equal(journal_record(f->j, i)->op, "set");
}

static void test_garbage_resync(void **state)
{
	struct fx *f = *state;
	struct wire_msg m;
	char v[64];

	handshake(f);
	host_say(f, "this is not json\n");
	expect(f, WIRE_ERROR, &m);
	if (!strstr(m.u.error.reason, "JSON"))
		fail_msg("reason: %s", m.u.error.reason);
	wire_msg_free(&m);

	/* a NUL in a line */
	host_send(f, "{\"v\":1\0}\n", 9);
	expect(f, WIRE_ERROR, &m);
	assert_non_null(strstr(m.u.error.reason, "NUL"));
	wire_msg_free(&m);

	/* a bad field */
	host_say(f, "{\"v\":1,\"type\":\"apply\",\"id\":-1,\"rule\":\"r\",\"changes\":[]}\n");
	expect(f, WIRE_ERROR, &m);
	wire_msg_free(&m);

	/* half a request, then a resync: the half is dropped, the next works */
	host_say(f, "{\"v\":1,\"type\":\"apply\",\"id\":3,\"rule\":\"x\",\"chan");
	expect_quiet(f, 50);
	host_say(f, LINEBUF_RESYNC
		 "{\"v\":1,\"type\":\"apply\",\"id\":4,\"rule\":\"r\",\"changes\":"
		 "[{\"kind\":\"sysctl\",\"key\":\"net.core.somaxconn\",\"value\":\"2048\"}]}\n");
	expect(f, WIRE_ACK, &m);
	assert_int_equal(m.u.ack.id, 4);
	assert_string_equal(m.u.ack.results[0].new_value, "2048");
	wire_msg_free(&m);
	get(f->root, SOMAX, v, sizeof v);
	assert_string_equal(v, "2048");

	/* an overlong line */
	size_t big = WIRE_MAX_LINE + 100;
	char *junk = malloc(big + 1);
	memset(junk, 'a', big);
	junk[big] = '\n';
	for (size_t off = 0; off < big + 1;) {
		ssize_t r = write(f->host, junk + off, big + 1 - off);
		if (r > 0)
			off += (size_t)r;
		else
			free(host_line(f, 5)); /* let the agent read */
	}
	free(junk);
	expect(f, WIRE_ERROR, &m);
	if (!strstr(m.u.error.reason, "longer"))
		fail_msg("reason: %s", m.u.error.reason);
	wire_msg_free(&m);

	/* still talking */
	expect(f, WIRE_REPORT, &m);
	wire_msg_free(&m);
	assert_int_equal(session_state(f->s), SESSION_UP);
	struct session_stats st;
	session_get_stats(f->s, &st);
	assert_true(st.bad_lines >= 4);
}

/* A host that resyncs and says hello again has reconnected: our hello goes
 * out again and seq starts over. */
static void test_host_rehello(void **state)
{
	struct fx *f = *state;
	struct wire_msg m;
	handshake(f);
	expect(f, WIRE_REPORT, &m);
	wire_msg_free(&m);
	host_say(f, LINEBUF_RESYNC HOST_HELLO);
	expect(f, WIRE_HELLO, &m);
	wire_msg_free(&m);
	expect(f, WIRE_REPORT, &m);
	assert_int_equal(m.u.report.seq, 0);
	wire_msg_free(&m);
	/* a hello without a resync (an answer to ours) gets no hello back */
	host_say(f, HOST_HELLO);
	expect_quiet(f, 150);
}

static void test_hangup_socketpair(void **state)
{
	struct fx *f = *state;
	handshake(f);
	close(f->host);
	f->host = -1;
	for (int i = 0; i < 20 && session_state(f->s) != SESSION_DOWN; i++)
		assert_int_equal(session_step(f->s, 5), 0);
	assert_int_equal(session_state(f->s), SESSION_DOWN);
	/* a socketpair cannot come back; the session waits without spinning */
	assert_int_equal(session_step(f->s, 5), 0);
	assert_int_equal(session_state(f->s), SESSION_DOWN);
}

/* --device PATH on a unix socket: connect, lose the host, connect again. */
static void test_reconnect_unix(void **state)
{
	struct fx *f = *state;
	struct wire_msg m;
	char path[100];
	int err;

	/* replace the socketpair session by one on a path */
	session_free(f->s);
	vport_free(f->vp);
	journal_close(f->j);
	close(f->host);
	f->host = -1;
	snprintf(path, sizeof path, "%s/agent.sock", f->root);
	fx_start(f, vport_new(f->root, NULL, path, &err));
	/* nobody listens yet */
	assert_int_equal(session_step(f->s, 5), 0);
	assert_int_equal(session_state(f->s), SESSION_DOWN);

	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(ls, 1), 0);
	for (int round = 0; round < 2; round++) {
		struct pollfd pfd = { .fd = ls, .events = POLLIN };
		for (int i = 0; i < 200 && poll(&pfd, 1, 0) == 0; i++)
			assert_int_equal(session_step(f->s, 10), 0);
		f->host = accept(ls, NULL, NULL);
		assert_true(f->host >= 0);
		fcntl(f->host, F_SETFL, O_NONBLOCK);
		f->len = 0;
		handshake(f);
		expect(f, WIRE_REPORT, &m);
		assert_int_equal(m.u.report.seq, 1);
		wire_msg_free(&m);
		close(f->host);
		f->host = -1;
		for (int i = 0; i < 50 && session_state(f->s) != SESSION_DOWN; i++)
			assert_int_equal(session_step(f->s, 5), 0);
		assert_int_equal(session_state(f->s), SESSION_DOWN);
	}
	struct session_stats st;
	session_get_stats(f->s, &st);
	assert_int_equal(st.connects, 2);
	close(ls);
}

/* The queue never blocks: old reports give way, acks are never dropped
 * silently (-ENOBUFS). */
static void test_queue_drops_reports(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct vport *vp = vport_new_fd(sv[0]);
	char line[1000];
	memset(line, 'r', sizeof line - 1);
	line[sizeof line - 1] = '\n';
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(vport_send(vp, line, sizeof line, 1), 0);
		int r = vport_flush(vp);
		assert_true(r == 0 || r == -EAGAIN);
	}
	assert_true(vport_dropped(vp) > 0);
	assert_true(vport_pending(vp) <= VPORT_OUTQ_BYTES + VPORT_PENDING_BYTES);
	int r = 0;
	for (int i = 0; i < 2000 && r == 0; i++)
		r = vport_send(vp, line, sizeof line, 0);
	assert_int_equal(r, -ENOBUFS);
	vport_free(vp);
	close(sv[1]);
}

/* vport_find in a child that may not mknod (CAP_MKNOD dropped when it has
 * it): its result, path in path. Whoever runs the test, this is the
 * unprivileged agent's view. */
static int find_without_mknod(const char *root, char *path, size_t n)
{
	struct {
		int r;
		char path[512];
	} res = { 0, "" };
	int pfd[2], st;
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		capng_get_caps_process();
		if (capng_have_capability(CAPNG_EFFECTIVE, CAP_MKNOD) &&
		    (capng_update(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_MKNOD) ||
		     capng_apply(CAPNG_SELECT_CAPS)))
			_exit(2);
		res.r = vport_find(root, VPORT_NAME_DEFAULT, res.path, sizeof res.path);
		_exit(write(pfd[1], &res, sizeof res) == (ssize_t)sizeof res ? 0 : 3);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &res, sizeof res), (ssize_t)sizeof res);
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(path, n, "%s", res.path);
	return res.r;
}

static void test_vport_find(void **state)
{
	struct fx *f = *state;
	char path[512], want[512], node[512], udev[512];
	struct stat st;

	assert_int_equal(vport_find(f->root, VPORT_NAME_DEFAULT, path, sizeof path), -ENOENT);
	put(f->root, "sys/class/virtio-ports/vport0p1/name", "org.qemu.guest_agent.0\n");
	put(f->root, "sys/class/virtio-ports/vport0p1/dev", "245:1\n");
	put(f->root, "sys/class/virtio-ports/vport0p2/name", "org.vtune.agent.0\n");
	put(f->root, "sys/class/virtio-ports/vport0p2/dev", "245:2\n");
	snprintf(want, sizeof want, "%s/dev", f->root);
	mkdir(want, 0755);
	snprintf(node, sizeof node, "%s/dev/vport0p2", f->root);
	snprintf(udev, sizeof udev, "%s/dev/virtio-ports/org.vtune.agent.0", f->root);

	/* no right to mknod: the port is found, the node cannot be made, and
	 * the udev name is not there yet */
	assert_int_equal(find_without_mknod(f->root, path, sizeof path), -ENOENT);
	assert_int_equal(stat(node, &st), -1); /* nothing left behind */
	assert_int_equal(errno, ENOENT);
	/* ... then the udev name is what it finds */
	put(f->root, "dev/virtio-ports/org.vtune.agent.0", "");
	assert_int_equal(find_without_mknod(f->root, path, sizeof path), 0);
	assert_string_equal(path, udev);
	assert_int_equal(unlink(udev), 0);

	/* with the right to: the node is made with the port's numbers, and found
	 * as it is the next time */
	capng_get_caps_process();
	int r = vport_find(f->root, VPORT_NAME_DEFAULT, path, sizeof path);
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_MKNOD)) {
		assert_int_equal(r, 0);
		assert_string_equal(path, node);
		assert_int_equal(stat(path, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(major(st.st_rdev), 245);
		assert_int_equal(minor(st.st_rdev), 2);
		assert_int_equal(vport_find(f->root, VPORT_NAME_DEFAULT, path, sizeof path), 0);
		assert_string_equal(path, node);
		assert_int_equal(unlink(node), 0);
	} else {
		assert_int_equal(r, -ENOENT);
	}

	/* something else at the node's path (not the port's character device):
	 * left as it is, the udev name is the fallback */
	put(f->root, "dev/vport0p2", "not a device\n");
	assert_int_equal(vport_find(f->root, VPORT_NAME_DEFAULT, path, sizeof path), -ENOENT);
	put(f->root, "dev/virtio-ports/org.vtune.agent.0", "");
	assert_int_equal(vport_find(f->root, VPORT_NAME_DEFAULT, path, sizeof path), 0);
	assert_string_equal(path, udev);
	assert_int_equal(stat(node, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(unlink(node), 0);

	/* a port whose dev file is not MAJ:MIN in range: refused */
	put(f->root, "sys/class/virtio-ports/vport0p2/dev", "245\n");
	assert_int_equal(vport_find(f->root, VPORT_NAME_DEFAULT, path, sizeof path), -EINVAL);
	put(f->root, "sys/class/virtio-ports/vport0p2/dev", "4096:1\n");
	assert_int_equal(vport_find(f->root, VPORT_NAME_DEFAULT, path, sizeof path), -EINVAL);
	put(f->root, "sys/class/virtio-ports/vport0p2/dev", ":2\n");
	assert_int_equal(vport_find(f->root, VPORT_NAME_DEFAULT, path, sizeof path), -EINVAL);

	/* the udev name alone, once sysfs names the port otherwise */
	put(f->root, "sys/class/virtio-ports/vport0p2/name", "other\n");
	assert_int_equal(vport_find(f->root, VPORT_NAME_DEFAULT, path, sizeof path), 0);
	assert_string_equal(path, udev);
	assert_int_equal(vport_find(f->root, "../x", path, sizeof path), -EINVAL);
	assert_int_equal(vport_find(f->root, "", path, sizeof path), -EINVAL);
	assert_int_equal(vport_find(f->root, NULL, path, sizeof path), -EINVAL);
}

int main(void)
{
	log_init("test_agent_session", LOG_TO_STDERR, LOG_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_and_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_revert, setup, teardown),
cmocka_unit_test_setup_teardown(test_v1_revert_is_no_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_rehello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hangup_socketpair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_unix, setup, teardown),
		cmocka_unit_test(test_queue_drops_reports),
		cmocka_unit_test_setup_teardown(test_vport_find, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
