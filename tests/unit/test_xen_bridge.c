/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_xen_bridge: hostd's per-guest channel over xenstore, without Xen.
 * hostd/xen_bridge.c is compiled in here with its four neighbours replaced
 * (as chrony's unit tests stub a module's dependencies): the guest's
 * data/vtune keys and control/vtune writes are a table in this file
 * (xen_read_msg / xen_send), and hostd's end of each pair is handed to the
 * test (guest_attach_fd). The clock is faked. Covered: the keys reach
 * hostd hello first and only when they change, a hello written again is
 * answered, hostd's lines reach the guest one apply/revert at a time (the
 * next after the ack, or after XB_ACK_WAIT_NS), 0xFF resync bytes and
 * empty lines dropped, an overlong line dropped whole, write and read
 * errors counted, a report joined from parts passed whole and one whose
 * parts do not match counted as hostd's invalid message, re-attach after hostd closed only after the backoff,
 * a domain gone, the constructor's errors. */
#define xen_read_msg fake_xen_read_msg
#define xen_read_report fake_xen_read_report
#define guest_input_refused fake_guest_input_refused
#define xen_send fake_xen_send
#define xen_set_report_fn fake_xen_set_report_fn
#define guest_attach_fd fake_guest_attach_fd
#include "xen_bridge.c"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>

#define T0 (1000ull * 1000000000ull)
#define DOM 7

/* ---- the fake xenstore, xen.c's and guest.c's side ---- */

static struct {
	char *val[K_N];	 /* data/vtune/{hello,report,ack} of DOM */
	int read_err;	 /* returned by every read when set */
	int send_err;	 /* returned by every send when set */
	char sent[16][512]; /* control/vtune writes, in order */
	int nsent;
	xen_report_fn report;
	void *report_arg;
	int follow;	 /* hostd follows the guest (find) */
	int finds;
	int refuse;	 /* guest_attach_fd fails */
	int hostd_fd;	 /* hostd's end of the current pair, -1 none */
	int attach_calls;
	int report_err;	 /* returned by the report's read when set */
	char report_why[64]; /* and the why it gives */
	int refused;	 /* guest_input_refused calls */
	char refused_why[320];
} fx;

static char dummy_backend, dummy_guest;
#define FAKE_B ((struct backend *)&dummy_backend)

int fake_xen_read_msg(struct backend *b, int domid, const char *key, char *buf, size_t n)
{
	assert_ptr_equal(b, FAKE_B);
	assert_int_equal(domid, DOM);
	if (fx.read_err)
		return fx.read_err;
	for (int k = 0; k < K_N; k++) {
		if (strcmp(key, key_name[k]))
			continue;
		if (!fx.val[k])
			return -ENOENT;
		size_t len = strlen(fx.val[k]);
		if (len >= n)
			return -EOVERFLOW;
		memcpy(buf, fx.val[k], len + 1);
		return (int)len;
	}
	fail_msg("read of an unknown key %s", key);
	return -EINVAL;
}

int fake_xen_read_report(struct backend *b, int domid, char *buf, size_t n, char *why,
			 size_t whyn)
{
	snprintf(why, whyn, "%s", fx.report_why);
	if (fx.report_err)
		return fx.report_err;
	return fake_xen_read_msg(b, domid, "report", buf, n);
}

void fake_guest_input_refused(struct guest *g, uint64_t now_ns, const char *why)
{
	(void)now_ns;
	assert_ptr_equal(g, &dummy_guest);
	fx.refused++;
	snprintf(fx.refused_why, sizeof fx.refused_why, "%s", why);
}

int fake_xen_send(struct backend *b, int domid, const char *line)
{
	assert_ptr_equal(b, FAKE_B);
	assert_int_equal(domid, DOM);
	assert_null(strchr(line, '\n'));
	if (fx.send_err)
		return fx.send_err;
	assert_true(fx.nsent < 16);
	snprintf(fx.sent[fx.nsent++], sizeof fx.sent[0], "%s", line);
	return 0;
}

void fake_xen_set_report_fn(struct backend *b, xen_report_fn fn, void *arg)
{
	assert_ptr_equal(b, FAKE_B);
	fx.report = fn;
	fx.report_arg = arg;
}

int fake_guest_attach_fd(struct guest *g, int fd, uint64_t now_ns)
{
	(void)now_ns;
	assert_ptr_equal(g, &dummy_guest);
	fx.attach_calls++;
	if (fx.refuse) {
		close(fd);
		return -ECONNREFUSED;
	}
	if (fx.hostd_fd >= 0)
		close(fx.hostd_fd);
	fx.hostd_fd = fd;
	return 0;
}

static struct guest *find(void *arg, const struct bk_guest *g)
{
	(void)arg;
	assert_int_equal(g->domid, DOM);
	fx.finds++;
	return fx.follow ? (struct guest *)&dummy_guest : NULL;
}

/* ---- helpers ---- */

struct t {
	struct loop *loop;
	struct xen_bridge *xb;
};

static void set_key(int k, const char *v)
{
	free(fx.val[k]);
	fx.val[k] = v ? strdup(v) : NULL;
}

/* The agent bumped data/vtune/seq: xen.c calls the bridge. */
static void seq_moved(uint64_t seq)
{
	struct bk_guest g = { .domid = DOM };
	snprintf(g.name, sizeof g.name, "domu%d", DOM);
	assert_non_null(fx.report);
	fx.report(fx.report_arg, &g, seq);
}

/* Everything hostd has been sent on its end so far ("" when nothing). */
static const char *hostd_got(void)
{
	static char buf[4 * XB_OUT_MAX];
	size_t len = 0;
	ssize_t n;
	assert_true(fx.hostd_fd >= 0);
	while ((n = recv(fx.hostd_fd, buf + len, sizeof buf - 1 - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return buf;
}

static void hostd_says(const char *line)
{
	size_t len = strlen(line);
	assert_int_equal(send(fx.hostd_fd, line, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void run(struct t *t)
{
	for (int i = 0; i < 8; i++)
		assert_int_equal(loop_run_once(t->loop, 0), 0);
}

static char *encode(struct wire_msg *m)
{
	char *line, err[128];
	size_t len;
	assert_int_equal(wire_encode(m, &line, &len, err, sizeof err), 0);
	wire_msg_free(m);
	return line;
}

static char *apply_line(uint64_t id)
{
	struct wire_msg m;
	wire_msg_init(&m, WIRE_APPLY);
	m.v = 1;
	m.u.apply.id = id;
	snprintf(m.u.apply.rule, sizeof m.u.apply.rule, "r%llu", (unsigned long long)id);
	assert_int_equal(wire_apply_add(&m, "net.core.somaxconn", "8192"), 0);
	return encode(&m);
}

static char *ack_value(uint64_t id)
{
	struct wire_msg m;
	char *line;
	wire_msg_init(&m, WIRE_ACK);
	m.v = 1;
	m.u.ack.id = id;
	assert_int_equal(wire_ack_add(&m, "net.core.somaxconn", "4096", "8192", NULL), 0);
	line = encode(&m);
	line[strcspn(line, "\n")] = '\0'; /* a xenstore value has no newline */
	return line;
}

#define HELLO "{\"v\":2,\"type\":\"hello\",\"role\":\"agent\",\"version\":\"0.1.0\",\"min_v\":1,\"max_v\":2,\"caps\":[\"sysctl\"]}"
#define REPORT1 "{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":1,\"interval_s\":1,\"sample\":{}}"
#define REPORT2 "{\"v\":1,\"type\":\"report\",\"seq\":2,\"mono_ns\":2,\"interval_s\":1,\"sample\":{}}"
#define HOST_HELLO "{\"v\":2,\"type\":\"hello\",\"role\":\"host\",\"version\":\"0.1.0\",\"min_v\":1,\"max_v\":2,\"caps\":[]}"

static int setup(void **state)
{
	static struct t t;
	int err;
	memset(&fx, 0, sizeof fx);
	fx.hostd_fd = -1;
	fx.follow = 1;
	vclock_fake_start(T0, T0);
	t.loop = loop_new(&err);
	if (!t.loop)
		return -1;
	t.xb = xen_bridge_new(t.loop, FAKE_B, find, NULL, &err);
	if (!t.xb)
		return -1;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	xen_bridge_free(t->xb);
	assert_null(fx.report); /* the backend's callback is cleared */
	loop_free(t->loop);
	if (fx.hostd_fd >= 0)
		close(fx.hostd_fd);
	for (int k = 0; k < K_N; k++)
		free(fx.val[k]);
	vclock_fake_stop();
	return 0;
}

/* ---- tests ---- */

static void test_new_errors(void **state)
{
	(void)state;
	int err = 0;
	struct loop *l = loop_new(&err);
	assert_non_null(l);
	assert_null(xen_bridge_new(NULL, FAKE_B, find, NULL, &err));
	assert_int_equal(err, -EINVAL);
	err = 0;
	assert_null(xen_bridge_new(l, NULL, find, NULL, &err));
	assert_int_equal(err, -EINVAL);
	err = 0;
	assert_null(xen_bridge_new(l, FAKE_B, NULL, NULL, &err));
	assert_int_equal(err, -EINVAL);
	xen_bridge_free(NULL);
	xen_bridge_guest_down(NULL, 1);
	loop_free(l);
}

/* The agent's keys to hostd: hello first, then only what changed. */
static void test_keys_to_hostd(void **state)
{
	struct t *t = *state;
	struct xen_bridge_stats st;
	set_key(K_REPORT, REPORT1);
	set_key(K_HELLO, HELLO);
	seq_moved(1);
	assert_int_equal(fx.attach_calls, 1);
	assert_string_equal(hostd_got(), HELLO "\n" REPORT1 "\n");
	/* a new report: that alone */
	set_key(K_REPORT, REPORT2);
	seq_moved(2);
	assert_string_equal(hostd_got(), REPORT2 "\n");
	/* seq moved over the same values: the hello written again, answered */
	seq_moved(3);
	assert_string_equal(hostd_got(), HELLO "\n");
	xen_bridge_get_stats(t->xb, &st);
	assert_int_equal(st.attaches, 1);
	assert_int_equal(st.to_hostd, 4);
	assert_int_equal(st.read_errors, 0);
	/* a key that cannot be read is counted, nothing sent */
	fx.read_err = -EIO;
	seq_moved(4);
	assert_string_equal(hostd_got(), "");
	xen_bridge_get_stats(t->xb, &st);
	assert_int_equal(st.read_errors, 3);
	assert_int_equal(fx.attach_calls, 1); /* one pair all along */
}

/* A report joined from parts (up to the line limit) reaches hostd whole;
 * one whose parts do not match is hostd's invalid message, not a line. */
static void test_report_parts(void **state)
{
	struct t *t = *state;
	struct xen_bridge_stats st;
	size_t big = XEN_JOIN_MAX;
	char *rep = malloc(big + 1);
	int at = snprintf(rep, big + 1, "{\"v\":1,\"type\":\"report\",\"seq\":3,\"mono_ns\":1,\"interval_s\":1,\"sample\":{\"pad\":\"");
	memset(rep + at, 'x', big - (size_t)at - 3);
	memcpy(rep + big - 3, "\"}}", 3);
	rep[big] = '\0';
	set_key(K_HELLO, HELLO);
	set_key(K_ACK, "{\"v\":1,\"type\":\"ack\",\"id\":1,\"results\":[]}");
	set_key(K_REPORT, rep);
	seq_moved(1);
	const char *got = hostd_got();
	assert_int_equal(strlen(got), strlen(HELLO) + 1 + big + 1 + strlen(fx.val[K_ACK]) + 1);
	assert_memory_equal(got + strlen(HELLO) + 1, rep, big);

	/* parts that do not match their count: counted, logged, not sent */
	fx.report_err = -EBADMSG;
	snprintf(fx.report_why, sizeof fx.report_why, "report-parts says 3 but report-1 is missing");
	seq_moved(2);
	assert_string_equal(hostd_got(), "");
	assert_int_equal(fx.refused, 1);
	assert_string_equal(fx.refused_why, "data/vtune/report over xenstore: report-parts says 3 "
					    "but report-1 is missing");
	xen_bridge_get_stats(t->xb, &st);
	assert_int_equal(st.bad_reports, 1);
	assert_int_equal(st.to_hostd, 3);
	/* the next good report goes again */
	fx.report_err = 0;
	set_key(K_REPORT, REPORT2);
	seq_moved(3);
	assert_string_equal(hostd_got(), REPORT2 "\n");
	free(rep);
}

/* hostd does not follow the domain, or refuses the pair: nothing attached. */
static void test_not_followed(void **state)
{
	struct t *t = *state;
	struct xen_bridge_stats st;
	set_key(K_HELLO, HELLO);
	fx.follow = 0;
	seq_moved(1);
	assert_int_equal(fx.finds, 1);
	assert_int_equal(fx.attach_calls, 0);
	assert_int_equal(fx.hostd_fd, -1);
	fx.follow = 1;
	fx.refuse = 1;
	seq_moved(2);
	assert_int_equal(fx.attach_calls, 1);
	xen_bridge_get_stats(t->xb, &st);
	assert_int_equal(st.attaches, 0);
	assert_int_equal(st.to_hostd, 0);
}

/* hostd's lines to the guest: one apply at a time, the next after its ack. */
static void test_one_apply_at_a_time(void **state)
{
	struct t *t = *state;
	struct xen_bridge_stats st;
	char *a1 = apply_line(11), *a2 = apply_line(12), *ack = ack_value(11);
	set_key(K_HELLO, HELLO);
	seq_moved(1);
	assert_string_equal(hostd_got(), HELLO "\n");

	/* the resync byte guest_attach_fd sends, an empty line, a hello: sent
	 * at once (no ack to wait for), without the 0xFF */
	hostd_says("\xff\n\n" HOST_HELLO "\n");
	run(t);
	assert_int_equal(fx.nsent, 1);
	assert_string_equal(fx.sent[0], HOST_HELLO);

	hostd_says(a1);
	hostd_says(a2);
	run(t);
	assert_int_equal(fx.nsent, 2); /* the second waits */
	a1[strcspn(a1, "\n")] = '\0';
	assert_string_equal(fx.sent[1], a1);

	/* an ack for another id changes nothing */
	char *other = ack_value(99);
	set_key(K_ACK, other);
	seq_moved(2);
	run(t);
	assert_int_equal(fx.nsent, 2);
	/* the ack for 11 goes to hostd and lets 12 go */
	set_key(K_ACK, ack);
	seq_moved(3);
	run(t);
	assert_int_equal(fx.nsent, 3);
	a2[strcspn(a2, "\n")] = '\0';
	assert_string_equal(fx.sent[2], a2);
	const char *got = hostd_got();
	assert_non_null(strstr(got, other));
	assert_non_null(strstr(got, ack));
	xen_bridge_get_stats(t->xb, &st);
	assert_int_equal(st.to_guest, 3);
	free(a1);
	free(a2);
	free(ack);
	free(other);
}

/* No ack within XB_ACK_WAIT_NS: the next request goes anyway. */
static void test_ack_timeout(void **state)
{
	struct t *t = *state;
	char *a1 = apply_line(21), *a2 = apply_line(22);
	set_key(K_HELLO, HELLO);
	seq_moved(1);
	hostd_says(a1);
	hostd_says(a2);
	run(t);
	assert_int_equal(fx.nsent, 1);
	vclock_fake_advance(XB_ACK_WAIT_NS - 1);
	run(t);
	assert_int_equal(fx.nsent, 1);
	vclock_fake_advance(1);
	run(t);
	assert_int_equal(fx.nsent, 2);
	a2[strcspn(a2, "\n")] = '\0';
	assert_string_equal(fx.sent[1], a2);
	free(a1);
	free(a2);
}

/* A write to control/vtune that fails is counted; the line is not retried
 * (hostd's own timeout and resync deal with it). */
static void test_send_error(void **state)
{
	struct t *t = *state;
	struct xen_bridge_stats st;
	set_key(K_HELLO, HELLO);
	seq_moved(1);
	fx.send_err = -EIO;
	hostd_says(HOST_HELLO "\n");
	run(t);
	fx.send_err = 0;
	hostd_says(HOST_HELLO "\n");
	run(t);
	xen_bridge_get_stats(t->xb, &st);
	assert_int_equal(st.send_errors, 1);
	assert_int_equal(st.to_guest, 1);
	assert_int_equal(fx.nsent, 1);
}

/* A line from hostd longer than the bridge holds is dropped up to its
 * newline; the next line goes through. */
static void test_overlong_line(void **state)
{
	struct t *t = *state;
	struct xen_bridge_stats st;
	set_key(K_HELLO, HELLO);
	seq_moved(1);
	size_t big = XB_IN_MAX + 100;
	char *line = malloc(big + 1);
	assert_non_null(line);
	memset(line, 'x', big);
	line[big - 1] = '\n';
	line[big] = '\0';
	/* in pieces: the bridge reads at most XB_IN_MAX at a time */
	size_t off = 0;
	while (off < big) {
		size_t part = big - off > 4096 ? 4096 : big - off;
		assert_int_equal(send(fx.hostd_fd, line + off, part, MSG_NOSIGNAL), (ssize_t)part);
		off += part;
		run(t);
	}
	hostd_says(HOST_HELLO "\n");
	run(t);
	xen_bridge_get_stats(t->xb, &st);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(fx.nsent, 1);
	assert_string_equal(fx.sent[0], HOST_HELLO);
	free(line);
}

/* hostd closed its end: the bridge closes the pair and attaches again only
 * after its backoff (1 s, doubling), starting with the hello again. */
static void test_reattach_backoff(void **state)
{
	struct t *t = *state;
	struct xen_bridge_stats st;
	set_key(K_HELLO, HELLO);
	set_key(K_REPORT, REPORT1);
	seq_moved(1);
	assert_string_equal(hostd_got(), HELLO "\n" REPORT1 "\n");
	close(fx.hostd_fd);
	fx.hostd_fd = -1;
	run(t);
	seq_moved(2); /* too soon */
	assert_int_equal(fx.attach_calls, 1);
	vclock_fake_advance(XB_BACKOFF_MIN_NS);
	run(t); /* the attach timer */
	assert_int_equal(fx.attach_calls, 2);
	/* a new pair starts over: every key again, hello first */
	assert_string_equal(hostd_got(), HELLO "\n" REPORT1 "\n");
	xen_bridge_get_stats(t->xb, &st);
	assert_int_equal(st.attaches, 2);
	/* closed again at once: the wait doubles */
	close(fx.hostd_fd);
	fx.hostd_fd = -1;
	run(t);
	vclock_fake_advance(XB_BACKOFF_MIN_NS);
	run(t);
	seq_moved(3);
	assert_int_equal(fx.attach_calls, 2);
	vclock_fake_advance(XB_BACKOFF_MIN_NS);
	run(t);
	assert_int_equal(fx.attach_calls, 3);
}

/* The domain went away: hostd's end sees the pair close, and the domain's
 * state is gone (the next report attaches a new pair at once). */
static void test_guest_down(void **state)
{
	struct t *t = *state;
	char c;
	set_key(K_HELLO, HELLO);
	seq_moved(1);
	assert_string_equal(hostd_got(), HELLO "\n");
	int old = fx.hostd_fd;
	xen_bridge_guest_down(t->xb, DOM + 1); /* another domain: nothing */
	assert_int_equal(recv(old, &c, 1, MSG_DONTWAIT), -1);
	xen_bridge_guest_down(t->xb, DOM);
	assert_int_equal(recv(old, &c, 1, MSG_DONTWAIT), 0); /* EOF */
	seq_moved(2);
	assert_int_equal(fx.attach_calls, 2);
	assert_true(fx.hostd_fd != old);
	assert_string_equal(hostd_got(), HELLO "\n");
}

int main(void)
{
	log_init("test_xen_bridge", LOG_TO_STDERR, LOG_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test_setup_teardown(test_keys_to_hostd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_apply_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reattach_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_down, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
