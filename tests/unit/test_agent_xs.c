/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_agent_xs: the agent's xenstore transport without Xen — reports fitted
 * under 4 KiB from real fixture samples, acks, and (against mock_store, an
 * in-memory stand-in for xenstored) write-only-what-changed, seq last,
 * transaction retries, host commands, identity changes; Xen detection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect.h"
#include "gv_obj.h"
#include "gview.h"
#include "journal.h"
#include "session.h"
#include "vclock.h"
#include "wire.h"
#include "xen_parts.h"
#include "xs.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define FX "tests/fixtures/"
#define HOST_HELLO "{\"v\":1,\"type\":\"hello\",\"role\":\"host\",\"version\":\"0.1.0\",\"min_v\":1,\"max_v\":1,\"caps\":[]}"
#define HOST_HELLO_PARTS "{\"v\":2,\"type\":\"hello\",\"role\":\"host\",\"version\":\"0.3.0\",\"min_v\":1,\"max_v\":2,\"caps\":[\"sysctl\",\"" WIRE_CAP_XS_PARTS "\"]}"
#define AGENT_HELLO "{\"v\":1,\"type\":\"hello\",\"role\":\"agent\",\"version\":\"0.1.0\",\"min_v\":1,\"max_v\":1,\"caps\":[\"sysctl\"]}"

/* ---- mock_store: NOT xenstore. An in-memory key/value map with
 * transactions (writes buffered until commit, dropped on abort, a number of
 * commits made to fail with EAGAIN) and a log of committed writes, standing
 * in for xenstored, which libxenstore needs and a unit test has not. ---- */

#define MOCK_MAX 64

struct mock_kv {
	char *path, *val;
};

struct mock_store {
	struct mock_kv kv[MOCK_MAX];
	int nkv;
	struct mock_kv txn[MOCK_MAX];
	int ntxn, in_txn;
	int conflicts;		/* commits left to fail with -EAGAIN */
	char log[MOCK_MAX * 4][64]; /* committed writes, in order */
	int nlog;
	int begins;
};

static struct mock_kv *mock_find(struct mock_kv *a, int n, const char *path)
{
	for (int i = n - 1; i >= 0; i--)
		if (!strcmp(a[i].path, path))
			return &a[i];
	return NULL;
}

static void mock_set(struct mock_store *m, const char *path, const char *val)
{
	struct mock_kv *e = mock_find(m->kv, m->nkv, path);
	if (!e) {
		assert_true(m->nkv < MOCK_MAX);
		e = &m->kv[m->nkv++];
		e->path = strdup(path);
	} else {
		free(e->val);
	}
	e->val = strdup(val);
}

static void mock_del(struct mock_store *m, const char *path)
{
	struct mock_kv *e = mock_find(m->kv, m->nkv, path);
	if (!e)
		return;
	free(e->path);
	free(e->val);
	*e = m->kv[--m->nkv];
}

static const char *mock_get(struct mock_store *m, const char *path)
{
	struct mock_kv *e = mock_find(m->kv, m->nkv, path);
	return e ? e->val : NULL;
}

static void mock_txn_drop(struct mock_store *m)
{
	for (int i = 0; i < m->ntxn; i++) {
		free(m->txn[i].path);
		free(m->txn[i].val);
	}
	m->ntxn = 0;
	m->in_txn = 0;
}

static void mock_free(struct mock_store *m)
{
	mock_txn_drop(m);
	for (int i = 0; i < m->nkv; i++) {
		free(m->kv[i].path);
		free(m->kv[i].val);
	}
	m->nkv = 0;
}

static int mock_begin(void *arg)
{
	struct mock_store *m = arg;
	assert_false(m->in_txn);
	m->in_txn = 1;
	m->begins++;
	return 0;
}

static int mock_end(void *arg, int abort)
{
	struct mock_store *m = arg;
	assert_true(m->in_txn);
	if (abort) {
		mock_txn_drop(m);
		return 0;
	}
	if (m->conflicts > 0) {
		m->conflicts--;
		mock_txn_drop(m);
		return -EAGAIN;
	}
	for (int i = 0; i < m->ntxn; i++) {
		if (m->txn[i].val)
			mock_set(m, m->txn[i].path, m->txn[i].val);
		else
			mock_del(m, m->txn[i].path);
		assert_true(m->nlog < MOCK_MAX * 4);
		snprintf(m->log[m->nlog++], sizeof m->log[0], "%s%s", m->txn[i].val ? "" : "-",
			 m->txn[i].path);
	}
	mock_txn_drop(m);
	return 0;
}

static int mock_read(void *arg, const char *path, char **val, size_t *len)
{
	struct mock_store *m = arg;
	struct mock_kv *e = m->in_txn ? mock_find(m->txn, m->ntxn, path) : NULL;
	if (!e)
		e = mock_find(m->kv, m->nkv, path);
	if (!e || !e->val)
		return -ENOENT; /* none, or removed in the transaction */
	*val = strdup(e->val);
	*len = strlen(e->val);
	return 0;
}

static int mock_write(void *arg, const char *path, const char *val, size_t len)
{
	struct mock_store *m = arg;
	assert_true(m->in_txn); /* every write of ours is in a transaction */
	assert_true(len <= XST_VALUE_MAX);
	assert_true(m->ntxn < MOCK_MAX);
	m->txn[m->ntxn].path = strdup(path);
	m->txn[m->ntxn].val = strndup(val, len);
	m->ntxn++;
	return 0;
}

/* a removal is a write of no value (NULL), logged as "-path" */
static int mock_rm(void *arg, const char *path)
{
	struct mock_store *m = arg;
	assert_true(m->in_txn);
	assert_true(m->ntxn < MOCK_MAX);
	m->txn[m->ntxn].path = strdup(path);
	m->txn[m->ntxn].val = NULL;
	m->ntxn++;
	return 0;
}

static const struct xst_store mock_ops = {
	.begin = mock_begin, .end = mock_end, .read = mock_read, .write = mock_write,
	.rm = mock_rm,
};

/* the host writes a control key and bumps control/vtune/seq, as xen_send */
static void host_write(struct mock_store *m, const char *key, const char *val)
{
	char path[64], seq[32];
	const char *old = mock_get(m, "control/vtune/seq");
	snprintf(path, sizeof path, "control/vtune/%s", key);
	mock_set(m, path, val);
	snprintf(seq, sizeof seq, "%d", old ? atoi(old) + 1 : 1);
	mock_set(m, "control/vtune/seq", seq);
}

/* ---- real samples from the fixture tree ---- */

static json_object *fixture_sample(int grow)
{
	struct gv_reading a, b;
	struct gv_sample s;
	assert_int_equal(gv_read(FX "debian-6.1/t0", 0, &a), 0);
	assert_int_equal(gv_read(FX "debian-6.1/t1", 0, &b), 0);
	a.mono_ns = 1000000000ull;
	b.mono_ns = a.mono_ns + 5000000000ull;
	assert_int_equal(gv_sample_compute(&a, &b, &s), 0);
	gv_reading_free(&a);
	gv_reading_free(&b);
	if (grow) {
		/* a big guest: 64 CPUs, 40 listeners, 12 interfaces, built from
		 * the fixture's own entries */
		assert_true(s.ncpu > 0 && s.nifaces > 0);
		s.cpu = realloc(s.cpu, 64 * sizeof *s.cpu);
		for (int i = s.ncpu; i < 64; i++)
			s.cpu[i] = s.cpu[i % s.ncpu];
		s.ncpu = 64;
		if (s.nsoftnet > 0) {
			s.softnet = realloc(s.softnet, 64 * sizeof *s.softnet);
			for (int i = s.nsoftnet; i < 64; i++) {
				s.softnet[i] = s.softnet[i % s.nsoftnet];
				s.softnet[i].cpu = i;
			}
			s.nsoftnet = 64;
		}
		if (s.nnetrx > 0) {
			s.netrx = realloc(s.netrx, 64 * sizeof *s.netrx);
			for (int i = s.nnetrx; i < 64; i++)
				s.netrx[i] = s.netrx[i % s.nnetrx];
			s.nnetrx = 64;
		}
		s.ifaces = realloc(s.ifaces, 12 * sizeof *s.ifaces);
		for (int i = s.nifaces; i < 12; i++) {
			s.ifaces[i] = s.ifaces[i % s.nifaces];
			snprintf(s.ifaces[i].name, sizeof s.ifaces[i].name, "eth%d", i);
		}
		s.nifaces = 12;
		s.status[GV_LISTENERS] = 0;
		free(s.listeners);
		s.listeners = calloc(40, sizeof *s.listeners);
		for (int i = 0; i < 40; i++) {
			struct gv_listener *l = &s.listeners[i];
			l->family = AF_INET;
			snprintf(l->addr, sizeof l->addr, "10.0.0.%d", i + 1);
			l->port = (unsigned)(8000 + i);
			l->backlog = 128;
			l->queue = i == 23 ? 128 : (unsigned)i; /* listener 23 is full */
		}
		s.nlisteners = 40;
	}
	json_object *o = gv_sample_obj(&s);
	gv_sample_free(&s);
	assert_non_null(o);
	return o;
}

/* A report line (with its newline) around sample (consumed). */
static char *report_line(json_object *sample, size_t *len)
{
	struct wire_msg m;
	char *line = NULL, err[160];
	wire_msg_init(&m, WIRE_REPORT);
	m.u.report.seq = 42;
	m.u.report.mono_ns = 123456789;
	m.u.report.interval_s = 5;
	m.u.report.sample = sample;
	assert_int_equal(wire_encode(&m, &line, len, err, sizeof err), 0);
	wire_msg_free(&m);
	return line;
}

static json_object *decoded_sample(const char *v, size_t len, struct wire_msg *m)
{
	assert_int_equal(wire_decode(v, len, m, NULL, 0), 0);
	assert_int_equal(m->type, WIRE_REPORT);
	return m->u.report.sample;
}

static void test_fit_small_report_as_is(void **state)
{
	(void)state;
	size_t len, outlen;
	/* a small report: the fixture's sample without its per-CPU tables and
	 * the errors of a reading without sock_diag (an agent has none) */
	json_object *sample = fixture_sample(0), *o;
	json_object_object_del(sample, "errors");
	assert_true(json_object_object_get_ex(sample, "cpu", &o));
	json_object_object_del(o, "per_cpu");
	assert_true(json_object_object_get_ex(sample, "softnet", &o));
	json_object_object_del(o, "per_cpu");
	char *line = report_line(sample, &len), *out;
	assert_true(len - 1 <= XST_VALUE_MAX);
	assert_int_equal(xst_fit_report(line, len, XST_VALUE_MAX, &out, &outlen), 0);
	assert_int_equal(outlen, len - 1); /* the newline dropped, nothing else */
	assert_memory_equal(out, line, outlen);
	free(out);
	free(line);
}

static void test_fit_big_report(void **state)
{
	(void)state;
	size_t len, outlen;
	char *line = report_line(fixture_sample(1), &len), *out;
	struct wire_msg orig, fit;
	json_object *os = decoded_sample(line, len, &orig), *fs, *o, *met;

	assert_true(len > XST_VALUE_MAX); /* the big guest does not fit */
	assert_int_equal(xst_fit_report(line, len, XST_VALUE_MAX, &out, &outlen), 1);
	assert_true(outlen <= XST_VALUE_MAX);
	assert_int_equal(strlen(out), outlen);
	fs = decoded_sample(out, outlen, &fit);
	assert_int_equal(fit.u.report.seq, 42);
	assert_true(json_object_object_get_ex(fs, "truncated", &o));
	assert_true(json_object_get_boolean(o));
	/* the metrics, what policies read, are whole */
	assert_true(json_object_object_get_ex(fs, "metrics", &met));
	assert_true(json_object_object_get_ex(os, "metrics", &o));
	assert_string_equal(json_object_to_json_string(met), json_object_to_json_string(o));
	/* per-CPU arrays went first */
	if (json_object_object_get_ex(fs, "cpu", &o))
		assert_false(json_object_object_get_ex(o, "per_cpu", NULL));
	/* listeners trimmed, the full one kept first */
	if (json_object_object_get_ex(fs, "listeners", &o)) {
		assert_true(json_object_array_length(o) <= 8);
		json_object *l0 = json_object_array_get_idx(o, 0), *port;
		assert_true(json_object_object_get_ex(l0, "port", &port));
		assert_int_equal(json_object_get_int(port), 8023);
	}
	wire_msg_free(&orig);
	wire_msg_free(&fit);
	free(out);
	/* xenstore's real room (1920 bytes): the seeds' metrics go first, the
	 * core ones stay, those at 0 too (steal 0 is news, not nothing) */
	assert_int_equal(xst_fit_report(line, len, 1920, &out, &outlen), 1);
	fs = decoded_sample(out, outlen, &fit);
	assert_true(json_object_object_get_ex(fs, "metrics", &met));
	assert_true(json_object_object_get_ex(met, "guest.cpu.steal", NULL));
	assert_true(json_object_object_get_ex(met, "guest.tcp.listen_overflows", NULL));
	assert_true(json_object_object_get_ex(met, "guest.softnet.dropped", NULL));
	assert_false(json_object_object_get_ex(met, "guest.tcp.mem", NULL)); /* a seed at 0 */
	wire_msg_free(&fit);
	free(out);
	free(line);
}

static void test_fit_tight_and_impossible(void **state)
{
	(void)state;
	size_t len, outlen;
	char *line = report_line(fixture_sample(1), &len), *out;
	struct wire_msg fit;
	json_object *o;

	/* room for metrics and knobs only */
	assert_int_equal(xst_fit_report(line, len, 2000, &out, &outlen), 1);
	assert_true(outlen <= 2000);
	json_object *fs = decoded_sample(out, outlen, &fit);
	assert_true(json_object_object_get_ex(fs, "metrics", &o));
	assert_false(json_object_object_get_ex(fs, "listeners", NULL));
	assert_false(json_object_object_get_ex(fs, "interfaces", NULL));
	assert_false(json_object_object_get_ex(fs, "cpu", NULL));
	/* the raw counters went before the rates policies read */
	assert_true(json_object_object_get_ex(o, "guest.tcp.passive_opens", NULL));
	assert_false(json_object_object_get_ex(o, "guest.tcp.passive_opens_total", NULL));
	wire_msg_free(&fit);
	free(out);
	/* never more than max: no room even for the metrics */
	assert_int_equal(xst_fit_report(line, len, 200, &out, &outlen), -EMSGSIZE);
	assert_null(out);
	/* not a report */
	assert_int_equal(xst_fit_report(AGENT_HELLO, strlen(AGENT_HELLO), 4096, &out, &outlen),
			 -EINVAL);
	assert_int_equal(xst_fit_report("{\"v\":1,", 7, 4096, &out, &outlen), -EINVAL);
	free(line);
}

static void test_fit_ack(void **state)
{
	(void)state;
	struct wire_msg m, d;
	char *line, *out, val[200];
	size_t len, outlen;
	wire_msg_init(&m, WIRE_ACK);
	m.u.ack.id = 9;
	memset(val, '7', sizeof val - 1);
	val[sizeof val - 1] = '\0';
	for (int i = 0; i < 40; i++)
		assert_int_equal(wire_ack_add(&m, "net.ipv4.tcp_rmem", val, val, NULL), 0);
	assert_int_equal(wire_encode(&m, &line, &len, NULL, 0), 0);
	wire_msg_free(&m);
	assert_true(len > XST_VALUE_MAX);
	assert_int_equal(xst_fit_ack(line, len, XST_VALUE_MAX, &out, &outlen), 1);
	assert_true(outlen <= XST_VALUE_MAX);
	assert_int_equal(wire_decode(out, outlen, &d, NULL, 0), 0);
	assert_int_equal(d.u.ack.id, 9);
	assert_true(d.u.ack.nresults > 0 && d.u.ack.nresults < 40);
	wire_msg_free(&d);
	free(out);
	free(line);
}

static void test_value_ok(void **state)
{
	(void)state;
	char big[XST_VALUE_MAX + 2];
	assert_int_equal(xst_value_ok(HOST_HELLO, strlen(HOST_HELLO)), 0);
	assert_int_equal(xst_value_ok("{\"a\":\"x\ty\"}", 11), 0);
	assert_int_equal(xst_value_ok("{}\n{}", 5), -EINVAL);
	assert_int_equal(xst_value_ok("{}\r", 3), -EINVAL);
	assert_int_equal(xst_value_ok("{\xff}", 3), -EINVAL);
	assert_int_equal(xst_value_ok("{\0}", 3), -EINVAL);
	memset(big, 'a', sizeof big);
	assert_int_equal(xst_value_ok(big, XST_VALUE_MAX), 0);
	assert_int_equal(xst_value_ok(big, XST_VALUE_MAX + 1), -EMSGSIZE);
}

/* ---- the transport against mock_store ---- */

struct mfx {
	struct mock_store m;
	struct xst *t;
	void *c;
};

static int msetup(void **state)
{
	struct mfx *f = calloc(1, sizeof *f);
	mock_set(&f->m, "domid", "5");
	f->t = xst_new_store(&mock_ops, &f->m);
	assert_non_null(f->t);
	f->c = f->t;
	*state = f;
	return 0;
}

static int mteardown(void **state)
{
	struct mfx *f = *state;
	xst_free(f->t);
	mock_free(&f->m);
	free(f);
	return 0;
}

static void msend(struct mfx *f, const char *line)
{
	assert_int_equal(xst_ops.send(f->c, line, strlen(line), 0), 0);
}

static int nlog_of(struct mock_store *m, const char *path)
{
	int n = 0;
	for (int i = 0; i < m->nlog; i++)
		n += !strcmp(m->log[i], path);
	return n;
}

static void test_mock_only_changed_seq_last(void **state)
{
	struct mfx *f = *state;
	char rep1[200], rep2[200];
	assert_int_equal(xst_ops.open(f->c), 0);
	assert_true(xst_ops.fd(f->c) >= 0);
	assert_int_equal(xst_ops.is_port(f->c), 0);

	/* the resync is ignored; hello goes out with seq after it */
	msend(f, "\xff\n");
	msend(f, AGENT_HELLO "\n");
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_int_equal(f->m.nlog, 2);
	assert_string_equal(f->m.log[0], "data/vtune/hello");
	assert_string_equal(f->m.log[1], "data/vtune/seq");
	assert_string_equal(mock_get(&f->m, "data/vtune/seq"), "1");
	assert_string_equal(mock_get(&f->m, "data/vtune/hello"), AGENT_HELLO);

	/* the same hello again: nothing written, not even seq */
	msend(f, AGENT_HELLO "\n");
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_int_equal(f->m.nlog, 2);
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_int_equal(f->m.nlog, 2);

	/* two reports before a flush: only the newest, hello untouched */
	snprintf(rep1, sizeof rep1, "{\"v\":1,\"type\":\"report\",\"seq\":1,\"mono_ns\":5,\"interval_s\":1,\"sample\":{\"metrics\":{}}}\n");
	snprintf(rep2, sizeof rep2, "{\"v\":1,\"type\":\"report\",\"seq\":2,\"mono_ns\":6,\"interval_s\":1,\"sample\":{\"metrics\":{}}}\n");
	msend(f, rep1);
	msend(f, AGENT_HELLO "\n");
	msend(f, rep2);
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_int_equal(f->m.nlog, 4);
	assert_string_equal(f->m.log[2], "data/vtune/report");
	assert_string_equal(f->m.log[3], "data/vtune/seq");
	assert_int_equal(strncmp(mock_get(&f->m, "data/vtune/report"), rep2, strlen(rep2) - 1), 0);
	assert_string_equal(mock_get(&f->m, "data/vtune/seq"), "2");
	assert_int_equal(nlog_of(&f->m, "data/vtune/hello"), 1);

	/* the same report again: not rewritten */
	msend(f, rep2);
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_int_equal(f->m.nlog, 4);

	/* our error messages have no key */
	msend(f, "{\"v\":1,\"type\":\"error\",\"reason\":\"x\"}\n");
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_int_equal(f->m.nlog, 4);
	struct xst_stats st;
	xst_get_stats(f->t, &st);
	assert_int_equal(st.commits, 2);
	assert_int_equal(st.errors_kept, 1);
	/* not a message at all */
	assert_int_equal(xst_ops.send(f->c, "garbage\n", 8, 0), -EINVAL);
}

static void test_mock_acks_in_order_and_conflicts(void **state)
{
	struct mfx *f = *state;
	mock_set(&f->m, "data/vtune/seq", "41"); /* an earlier run got this far */
	assert_int_equal(xst_ops.open(f->c), 0);
	msend(f, "{\"v\":1,\"type\":\"ack\",\"id\":1,\"results\":[]}\n");
	msend(f, "{\"v\":1,\"type\":\"ack\",\"id\":2,\"results\":[]}\n");
	f->m.conflicts = 2;
	assert_int_equal(xst_ops.flush(f->c), -EAGAIN); /* one ack per seq: one left */
	assert_int_equal(f->m.begins, 3);		   /* two conflicts, then it went in */
	assert_string_equal(mock_get(&f->m, "data/vtune/ack"), "{\"v\":1,\"type\":\"ack\",\"id\":1,\"results\":[]}");
	assert_string_equal(mock_get(&f->m, "data/vtune/seq"), "42");
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_string_equal(mock_get(&f->m, "data/vtune/ack"), "{\"v\":1,\"type\":\"ack\",\"id\":2,\"results\":[]}");
	assert_string_equal(mock_get(&f->m, "data/vtune/seq"), "43");
	assert_int_equal(f->m.nlog, 4);
	struct xst_stats st;
	xst_get_stats(f->t, &st);
	assert_int_equal(st.conflicts, 2);

	/* the queue is bounded */
	for (int i = 0; i < XST_ACKQ; i++)
		msend(f, "{\"v\":1,\"type\":\"ack\",\"id\":3,\"results\":[]}\n");
	assert_int_equal(xst_ops.send(f->c, "{\"v\":1,\"type\":\"ack\",\"id\":4,\"results\":[]}\n", 41, 0),
			 -ENOBUFS);
	/* a reset (the session's clear) drops queued acks */
	xst_ops.clear(f->c);
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_int_equal(f->m.nlog, 4);
}

static void test_mock_big_report_fitted(void **state)
{
	struct mfx *f = *state;
	size_t len;
	char *line = report_line(fixture_sample(1), &len);
	assert_int_equal(xst_ops.open(f->c), 0);
	assert_int_equal(xst_ops.send(f->c, line, len, 1), 0);
	assert_int_equal(xst_ops.flush(f->c), 0);
	const char *v = mock_get(&f->m, "data/vtune/report");
	assert_non_null(v);
	assert_true(strlen(v) <= XST_VALUE_MAX);
	assert_non_null(strstr(v, "\"truncated\":true"));
	struct xst_stats st;
	xst_get_stats(f->t, &st);
	assert_int_equal(st.truncated, 1);
	free(line);
}

/* xen_parts_read_fn on mock_store's data/vtune: the host's joiner reads
 * what the agent wrote. */
static int mock_host_read(void *arg, const char *key, char **val, size_t *len)
{
	char path[64];
	snprintf(path, sizeof path, "data/vtune/%s", key);
	return mock_read(arg, path, val, len);
}

/* A report line of about size bytes (with its newline): the fixture's
 * sample with a "pad" string making up the rest; seq tells them apart. */
static char *sized_report(size_t size, uint64_t seq, size_t *len)
{
	json_object *sample = fixture_sample(0);
	json_object_object_del(sample, "errors");
	struct wire_msg m;
	char *line = NULL;
	wire_msg_init(&m, WIRE_REPORT);
	m.u.report.seq = seq;
	m.u.report.mono_ns = 123456789;
	m.u.report.interval_s = 5;
	m.u.report.sample = sample;
	assert_int_equal(wire_encode(&m, &line, len, NULL, 0), 0);
	assert_true(*len + 20 < size);
	char *pad = malloc(size - *len - 10 + 1);
	memset(pad, 'p', size - *len - 10);
	pad[size - *len - 10] = '\0';
	json_object_object_add(sample, "pad", json_object_new_string(pad));
	free(pad);
	free(line);
	assert_int_equal(wire_encode(&m, &line, len, NULL, 0), 0);
	wire_msg_free(&m);
	return line;
}

/* The report as the host joins it from the mock store (-errno on none). */
static int host_join(struct mfx *f, char *buf, size_t n)
{
	char why[128];
	return xen_report_join(mock_host_read, &f->m, buf, n, why, sizeof why);
}

/* A host whose hello names WIRE_CAP_XS_PARTS gets a 5 KB report whole, in
 * parts under the entry quota, written with seq in one transaction. */
static void test_mock_report_in_parts(void **state)
{
	struct mfx *f = *state;
	static char joined[XEN_JOIN_MAX + 1];
	size_t len;
	char *line = report_line(fixture_sample(1), &len);
	assert_true(len > 5000); /* the big guest: no room in one value */
	host_write(&f->m, "hello", HOST_HELLO_PARTS);
	assert_int_equal(xst_ops.open(f->c), 0);
	assert_int_equal(xst_ops.send(f->c, line, len, 1), 0);
	int nlog = f->m.nlog;
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_int_equal(f->m.begins, 1); /* one transaction */
	assert_string_equal(f->m.log[f->m.nlog - 1], "data/vtune/seq");
	assert_null(mock_get(&f->m, "data/vtune/report"));
	const char *np = mock_get(&f->m, "data/vtune/report-parts");
	assert_non_null(np);
	int n = atoi(np);
	assert_true(n >= 3 && n <= XST_PARTS_MAX);
	assert_true((size_t)n * 1920 >= len - 1);
	for (int i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof path, "data/vtune/report-%d", i);
		assert_non_null(mock_get(&f->m, path));
		assert_true(strlen(mock_get(&f->m, path)) <= 1920);
	}
	assert_int_equal(f->m.nlog - nlog, n + 3); /* the parts, count, rm report, seq */
	/* the host joins exactly the line, not trimmed */
	assert_int_equal(host_join(f, joined, sizeof joined), (int)len - 1);
	assert_memory_equal(joined, line, len - 1);
	assert_null(strstr(joined, "\"truncated\""));
	struct xst_stats st;
	xst_get_stats(f->t, &st);
	assert_int_equal(st.truncated, 0);
	assert_int_equal(st.split, 1);
	free(line);
}

/* A host without the capability (an older hostd) still gets one trimmed
 * value, and no parts; as does one that turns out old before the flush. */
static void test_mock_old_host_trimmed(void **state)
{
	struct mfx *f = *state;
	static char joined[XEN_JOIN_MAX + 1];
	size_t len;
	int rd;
	char *line = report_line(fixture_sample(1), &len);
	host_write(&f->m, "hello", HOST_HELLO);
	assert_int_equal(xst_ops.open(f->c), 0);
	assert_int_equal(xst_ops.send(f->c, line, len, 1), 0);
	assert_int_equal(xst_ops.flush(f->c), 0);
	const char *v = mock_get(&f->m, "data/vtune/report");
	assert_non_null(v);
	assert_true(strlen(v) <= 1920);
	assert_non_null(strstr(v, "\"truncated\":true"));
	assert_null(mock_get(&f->m, "data/vtune/report-parts"));
	assert_null(mock_get(&f->m, "data/vtune/report-0"));
	assert_int_equal(host_join(f, joined, sizeof joined), (int)strlen(v));

	/* a new host joins: the next report goes whole ... */
	host_write(&f->m, "hello", HOST_HELLO_PARTS);
	assert_int_equal(xst_ops.wait(f->c, 0, &rd), 1);
	free(line);
	line = sized_report(5000, 43, &len);
	assert_int_equal(xst_ops.send(f->c, line, len, 1), 0);
	/* ... unless an old one took over before it was written */
	host_write(&f->m, "hello", HOST_HELLO);
	assert_int_equal(xst_ops.wait(f->c, 0, &rd), 1);
	assert_int_equal(xst_ops.flush(f->c), 0);
	v = mock_get(&f->m, "data/vtune/report");
	assert_non_null(v);
	assert_true(strlen(v) <= 1920);
	assert_non_null(strstr(v, "\"seq\":43"));
	assert_non_null(strstr(v, "\"truncated\":true"));
	assert_null(mock_get(&f->m, "data/vtune/report-parts"));
	struct xst_stats st;
	xst_get_stats(f->t, &st);
	assert_int_equal(st.truncated, 2);
	assert_int_equal(st.split, 0);
	free(line);
}

/* Parts of a bigger earlier report (this run's, or a run before it) are
 * removed in the transaction that writes fewer, and all of them when a
 * report fits in one value again; the host never joins them. */
static void test_mock_stale_parts_removed(void **state)
{
	struct mfx *f = *state;
	static char joined[XEN_JOIN_MAX + 1];
	size_t len;
	char path[64];
	/* an earlier run left 7 parts */
	mock_set(&f->m, "data/vtune/report-parts", "7");
	for (int i = 0; i < 7; i++) {
		snprintf(path, sizeof path, "data/vtune/report-%d", i);
		mock_set(&f->m, path, "{\"old\":");
	}
	host_write(&f->m, "hello", HOST_HELLO_PARTS);
	assert_int_equal(xst_ops.open(f->c), 0);

	char *line = sized_report(9000, 1, &len); /* 5 parts */
	assert_int_equal(xst_ops.send(f->c, line, len, 1), 0);
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_string_equal(mock_get(&f->m, "data/vtune/report-parts"), "5");
	assert_non_null(mock_get(&f->m, "data/vtune/report-4"));
	assert_null(mock_get(&f->m, "data/vtune/report-5"));
	assert_null(mock_get(&f->m, "data/vtune/report-6"));
	assert_int_equal(host_join(f, joined, sizeof joined), (int)len - 1);
	assert_memory_equal(joined, line, len - 1);
	free(line);

	line = sized_report(5000, 2, &len); /* 3 parts */
	assert_int_equal(xst_ops.send(f->c, line, len, 1), 0);
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_string_equal(mock_get(&f->m, "data/vtune/report-parts"), "3");
	assert_null(mock_get(&f->m, "data/vtune/report-3"));
	assert_null(mock_get(&f->m, "data/vtune/report-4"));
	assert_int_equal(host_join(f, joined, sizeof joined), (int)len - 1);
	assert_memory_equal(joined, line, len - 1);
	free(line);

	/* one value again: report, and no part left at all */
	const char *small = "{\"v\":1,\"type\":\"report\",\"seq\":3,\"mono_ns\":6,\"interval_s\":1,\"sample\":{\"metrics\":{}}}";
	msend(f, small);
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_string_equal(mock_get(&f->m, "data/vtune/report"), small);
	assert_null(mock_get(&f->m, "data/vtune/report-parts"));
	for (int i = 0; i < 7; i++) {
		snprintf(path, sizeof path, "data/vtune/report-%d", i);
		assert_null(mock_get(&f->m, path));
	}
	assert_int_equal(host_join(f, joined, sizeof joined), (int)strlen(small));
	struct xst_stats st;
	xst_get_stats(f->t, &st);
	assert_int_equal(st.split, 2);
	assert_int_equal(st.truncated, 0);
}

/* Parts are cut between UTF-8 characters, each at most max bytes. */
static void test_split(void **state)
{
	(void)state;
	size_t off[XST_PARTS_MAX + 1];
	char v[64];
	memset(v, 'a', sizeof v);
	assert_int_equal(xst_split(v, 10, 10, off, XST_PARTS_MAX), 1);
	assert_int_equal(off[1], 10);
	assert_int_equal(xst_split(v, 25, 10, off, XST_PARTS_MAX), 3);
	assert_int_equal(off[1], 10);
	assert_int_equal(off[2], 20);
	assert_int_equal(off[3], 25);
	/* "é" (c3 a9) across the first cut: cut before it */
	v[9] = (char)0xc3;
	v[10] = (char)0xa9;
	assert_int_equal(xst_split(v, 20, 10, off, XST_PARTS_MAX), 3);
	assert_int_equal(off[1], 9);
	assert_int_equal(off[2], 19);
	/* a 4-byte character (f0 9f 98 80) ending at the cut */
	memset(v, 'a', sizeof v);
	memcpy(v + 8, "\xf0\x9f\x98\x80", 4);
	assert_int_equal(xst_split(v, 16, 10, off, XST_PARTS_MAX), 2);
	assert_int_equal(off[1], 8);
	/* too many parts, too small a part */
	assert_int_equal(xst_split(v, 64, 10, off, 4), -EMSGSIZE);
	assert_int_equal(xst_split(v, 64, 3, off, XST_PARTS_MAX), -EINVAL);
}

static size_t read_all(struct mfx *f, char *buf, size_t n)
{
	size_t k = 0;
	long r;
	while (k < n - 1 && (r = xst_ops.read(f->c, buf + k, n - 1 - k)) > 0)
		k += (size_t)r;
	buf[k] = '\0';
	return k;
}

static void test_mock_control(void **state)
{
	struct mfx *f = *state;
	char buf[8192];
	int rd;
	const char *apply1 = "{\"v\":1,\"type\":\"apply\",\"id\":1,\"rule\":\"r\",\"changes\":[{\"kind\":\"sysctl\",\"key\":\"net.core.somaxconn\",\"value\":\"1\"}]}";
	const char *apply2 = "{\"v\":1,\"type\":\"apply\",\"id\":2,\"rule\":\"r\",\"changes\":[{\"kind\":\"sysctl\",\"key\":\"net.core.somaxconn\",\"value\":\"2\"}]}";
	const char *revert3 = "{\"v\":1,\"type\":\"revert\",\"id\":3,\"all\":true}";

	/* there before the agent: the hello is taken, the old apply only noted */
	host_write(&f->m, "apply", apply1);
	host_write(&f->m, "hello", HOST_HELLO);
	assert_int_equal(xst_ops.open(f->c), 0);
	assert_int_equal(xst_ops.wait(f->c, 0, &rd), 1);
	assert_int_equal(rd, 1);
	read_all(f, buf, sizeof buf);
	assert_string_equal(buf, HOST_HELLO "\n");
	assert_int_equal(xst_ops.read(f->c, buf, sizeof buf), -EAGAIN);

	/* nothing new */
	assert_int_equal(xst_ops.wait(f->c, 0, &rd), 1);
	assert_int_equal(rd, 0);

	/* a new apply */
	host_write(&f->m, "apply", apply2);
	assert_int_equal(xst_ops.wait(f->c, 0, &rd), 1);
	assert_int_equal(rd, 1);
	read_all(f, buf, sizeof buf);
	assert_int_equal(strncmp(buf, apply2, strlen(apply2)), 0);
	assert_string_equal(buf + strlen(apply2), "\n");

	/* seq bumped, values the same: the host wrote its hello again (it answers
	 * an agent that restarted), so that is handed on again; no request twice */
	mock_set(&f->m, "control/vtune/seq", "99");
	assert_int_equal(xst_ops.wait(f->c, 0, &rd), 1);
	assert_int_equal(rd, 1);
	read_all(f, buf, sizeof buf);
	assert_string_equal(buf, HOST_HELLO "\n");

	/* a revert with a higher id and an apply rewritten in one go: id order */
	mock_set(&f->m, "control/vtune/revert", revert3);
	host_write(&f->m, "apply", apply1);
	assert_int_equal(xst_ops.wait(f->c, 0, &rd), 1);
	read_all(f, buf, sizeof buf);
	assert_int_equal(strncmp(buf, apply1, strlen(apply1)), 0);
	assert_int_equal(strncmp(buf + strlen(apply1) + 1, revert3, strlen(revert3)), 0);

	/* a value with a newline in it is refused, never split into lines */
	host_write(&f->m, "error", "{\"v\":1,\n\"type\":\"error\",\"reason\":\"x\"}");
	assert_int_equal(xst_ops.wait(f->c, 0, &rd), 1);
	assert_int_equal(rd, 0);
	struct xst_stats st;
	xst_get_stats(f->t, &st);
	assert_int_equal(st.ctl_bad, 1);
	assert_int_equal(st.ctl_msgs, 5); /* hello twice, apply2, apply1, revert3 */
}

static void test_mock_identity_change(void **state)
{
	struct mfx *f = *state;
	int rd;
	mock_set(&f->m, "unique-domain-id", "aaaa");
	assert_int_equal(xst_ops.open(f->c), 0);
	msend(f, AGENT_HELLO "\n");
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_int_equal(xst_ops.wait(f->c, 0, &rd), 1);
	/* resumed elsewhere: a new identity and an empty data/vtune */
	mock_set(&f->m, "unique-domain-id", "bbbb");
	mock_set(&f->m, "data/vtune/hello", "");
	assert_int_equal(xst_ops.wait(f->c, 0, &rd), 0); /* "hung up": start over */
	xst_ops.clear(f->c);
	xst_ops.hangup(f->c);
	assert_true(xst_ops.fd(f->c) < 0);
	assert_int_equal(xst_ops.open(f->c), 0);
	/* the same hello is written again: nothing is known written after a reset */
	msend(f, AGENT_HELLO "\n");
	assert_int_equal(xst_ops.flush(f->c), 0);
	assert_string_equal(mock_get(&f->m, "data/vtune/hello"), AGENT_HELLO);
	assert_int_equal(xst_ops.wait(f->c, 0, &rd), 1);
	struct xst_stats st;
	xst_get_stats(f->t, &st);
	assert_int_equal(st.resets, 1);
}

/* ---- the session on the transport (mock_store), on a temporary root ---- */

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int sample_fn(void *arg, const char **out, size_t *len, double *iv)
{
	static const char text[] = "{\"metrics\":{\"guest.cpu.steal\":12.5}}";
	(void)arg;
	*out = text;
	*len = sizeof text - 1;
	*iv = 0.05;
	return 0;
}

static void steps_until(struct session *s, struct mock_store *m, const char *path,
			const char *needle)
{
	for (int i = 0; i < 200; i++) {
		const char *v = mock_get(m, path);
		if (v && strstr(v, needle))
			return;
		assert_int_equal(session_step(s, 20), 0);
	}
	fail_msg("%s never held %s", path, needle);
}

static void test_session_over_mock(void **state)
{
	struct mfx *f = *state;
	char root[64], path[256], jpath[256];
	int err = 0;
	snprintf(root, sizeof root, "/tmp/vtune-xs.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof path, "%s/proc/sys/net/core", root);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
	strcat(path, "/somaxconn");
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("4096\n", fp);
	fclose(fp);
	snprintf(jpath, sizeof jpath, "%s/journal", root);
	struct journal *j = journal_open(jpath, &err);
	assert_non_null(j);
	struct session_cfg cfg = {
		.ops = &xst_ops, .chan = f->t, .journal = j, .root = root,
		.interval_s = 0.05, .sample = sample_fn,
	};
	struct session *s = session_new(&cfg, &err);
	assert_non_null(s);

	steps_until(s, &f->m, "data/vtune/hello", "\"role\":\"agent\"");
	assert_int_equal(session_state(s), SESSION_HELLO);
	assert_null(mock_get(&f->m, "data/vtune/report")); /* not before the host's hello */
	host_write(&f->m, "hello", HOST_HELLO);
	steps_until(s, &f->m, "data/vtune/report", "\"guest.cpu.steal\":12.5");
	assert_int_equal(session_state(s), SESSION_UP);

	host_write(&f->m, "apply", "{\"v\":1,\"type\":\"apply\",\"id\":7,\"rule\":\"t\",\"changes\":[{\"kind\":\"sysctl\",\"key\":\"net.core.somaxconn\",\"value\":\"8192\"}]}");
	steps_until(s, &f->m, "data/vtune/ack", "\"id\":7");
	assert_non_null(strstr(mock_get(&f->m, "data/vtune/ack"),
			       "{\"key\":\"net.core.somaxconn\",\"old\":\"4096\",\"new\":\"8192\"}"));
	host_write(&f->m, "revert", "{\"v\":1,\"type\":\"revert\",\"id\":8,\"rule\":\"t\",\"all\":false}");
	steps_until(s, &f->m, "data/vtune/ack", "\"id\":8");
	assert_non_null(strstr(mock_get(&f->m, "data/vtune/ack"),
			       "{\"key\":\"net.core.somaxconn\",\"old\":\"8192\",\"new\":\"4096\"}"));
	/* seq always last in each commit */
	for (int i = 0; i < f->m.nlog; i++)
		if (strcmp(f->m.log[i], "data/vtune/seq"))
			assert_true(i + 1 < f->m.nlog);

	/* migration: the session resets and says hello again */
	struct session_stats st;
	session_get_stats(s, &st);
	uint64_t connects = st.connects;
	mock_set(&f->m, "domid", "9");
	for (int i = 0; i < 100 && st.connects == connects; i++) {
		assert_int_equal(session_step(s, 20), 0);
		session_get_stats(s, &st);
	}
	assert_int_equal(st.connects, connects + 1);

	session_free(s);
	journal_close(j);
	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- detection ---- */

static void test_detect(void **state)
{
	(void)state;
	char root[64], p[128], type[32], sys[128];
	assert_int_equal(detect_is_xen(FX "host-6.18/t0"), 0);
	assert_int_equal(detect_hypervisor_type(FX "host-6.18/t0", type, sizeof type), -ENOENT);
	assert_int_equal(detect_is_xen(FX "xen-pv"), 1);
	assert_int_equal(detect_hypervisor_type(FX "xen-pv", type, sizeof type), 0);
	assert_string_equal(type, "xen");

	/* /proc/xen alone (no sysfs node), and another hypervisor's type */
	snprintf(root, sizeof root, "/tmp/vtune-det.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof p, "%s/proc", root);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(detect_is_xen(root), 0);
	snprintf(p, sizeof p, "%s/proc/xen", root);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(detect_is_xen(root), 1);
	rmdir(p);
	snprintf(p, sizeof p, "%s/sys/hypervisor", root);
	snprintf(sys, sizeof sys, "%s/sys", root);
	mkdir(sys, 0755);
	mkdir(p, 0755);
	strcat(p, "/type");
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("kvm\n", f);
	fclose(f);
	assert_int_equal(detect_is_xen(root), 0);
	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_small_report_as_is),
		cmocka_unit_test(test_fit_big_report),
		cmocka_unit_test(test_fit_tight_and_impossible),
		cmocka_unit_test(test_fit_ack),
		cmocka_unit_test(test_value_ok),
		cmocka_unit_test_setup_teardown(test_mock_only_changed_seq_last, msetup, mteardown),
		cmocka_unit_test_setup_teardown(test_mock_acks_in_order_and_conflicts, msetup, mteardown),
		cmocka_unit_test_setup_teardown(test_mock_big_report_fitted, msetup, mteardown),
		cmocka_unit_test_setup_teardown(test_mock_report_in_parts, msetup, mteardown),
		cmocka_unit_test_setup_teardown(test_mock_old_host_trimmed, msetup, mteardown),
		cmocka_unit_test_setup_teardown(test_mock_stale_parts_removed, msetup, mteardown),
		cmocka_unit_test(test_split),
		cmocka_unit_test_setup_teardown(test_mock_control, msetup, mteardown),
		cmocka_unit_test_setup_teardown(test_mock_identity_change, msetup, mteardown),
		cmocka_unit_test_setup_teardown(test_session_over_mock, msetup, mteardown),
		cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
