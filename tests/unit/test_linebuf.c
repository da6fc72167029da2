/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_linebuf: the input framer (limits, bounded memory, 0xFF resync, NUL
 * lines, partial-line age) and the bounded output queue. */
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
#include <unistd.h>

#include "linebuf.h"
#include "wire.h"

/* Collected events. */
struct sink {
	int n;
	int status[64];
	char line[64][128];
	size_t len[64];
	int stop_after; /* return 1 after this many events (0: never) */
	struct linebuf *lb;
	size_t max_buffered;
};

static int collect(void *arg, int status, const char *line, size_t len)
{
	struct sink *s = arg;
	if (s->n < 64) {
		s->status[s->n] = status;
		snprintf(s->line[s->n], sizeof s->line[s->n], "%.*s", (int)len, line);
		s->len[s->n] = len;
	}
	s->n++;
	assert_int_equal(line[len], 0);
	return s->stop_after && s->n >= s->stop_after;
}

static void feed(struct linebuf *lb, struct sink *s, const char *data, size_t len)
{
	assert_int_equal(linebuf_feed(lb, data, len, 1000, collect, s), 0);
}

static void test_lines_and_splits(void **state)
{
	struct linebuf *lb = linebuf_new(WIRE_MAX_LINE);
	struct sink s = { 0 };
	(void)state;
	assert_non_null(lb);
	const char *text = "{\"a\":1}\n\nsecond\r\nthird";
	/* byte by byte: the same lines as in one piece */
	for (size_t i = 0; i < strlen(text); i++)
		feed(lb, &s, text + i, 1);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.line[0], "{\"a\":1}");
	assert_int_equal(s.status[0], 0);
	assert_string_equal(s.line[1], "second"); /* \r dropped, empty line skipped */
	assert_int_equal(linebuf_buffered(lb), 5);
	feed(lb, &s, "\n", 1);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.line[2], "third");
	assert_int_equal(linebuf_buffered(lb), 0);
	struct linebuf_stats st;
	linebuf_get_stats(lb, &st);
	assert_true(st.lines == 3 && st.bytes == strlen(text) + 1);
	linebuf_free(lb);
	assert_null(linebuf_new(1));
	assert_null(linebuf_new((size_t)1 << 30));
}

static void test_exact_limit(void **state)
{
	struct linebuf *lb = linebuf_new(16);
	struct sink s = { 0 };
	(void)state;
	/* 15 bytes + newline = 16: fits */
	feed(lb, &s, "aaaaaaaaaaaaaaa\n", 16);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.status[0], 0);
	assert_int_equal(s.len[0], 15);
	/* 16 bytes: reported once when it passes the limit, before its newline */
	feed(lb, &s, "bbbbbbbbbbbbbbbb", 16);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.status[1], -EMSGSIZE);
	feed(lb, &s, "bbbbbbbbbbbbbbbbbbbbbbbbb", 25);
	assert_int_equal(s.n, 2);
	assert_int_equal(linebuf_buffered(lb), 0);
	feed(lb, &s, "bb\nok\n", 6);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.line[2], "ok");
	linebuf_free(lb);
}

/* A callback that records the framer's buffered bytes at every event. */
static int watch(void *arg, int status, const char *line, size_t len)
{
	struct sink *s = arg;
	(void)line;
	(void)len;
	if (linebuf_buffered(s->lb) > s->max_buffered)
		s->max_buffered = linebuf_buffered(s->lb);
	if (s->n < 64)
		s->status[s->n] = status;
	s->n++;
	return 0;
}

static void test_ten_megabytes(void **state)
{
	struct linebuf *lb = linebuf_new(WIRE_MAX_LINE);
	struct sink s = { 0 };
	(void)state;
	s.lb = lb;
	size_t chunk = 4096, total = 10u << 20;
	char *buf = malloc(chunk);
	memset(buf, 'x', chunk);
	for (size_t done = 0; done < total; done += chunk) {
		assert_int_equal(linebuf_feed(lb, buf, chunk, 5, watch, &s), 0);
		assert_true(linebuf_buffered(lb) <= WIRE_MAX_LINE);
		if (linebuf_buffered(lb) > s.max_buffered)
			s.max_buffered = linebuf_buffered(lb);
	}
	/* one 10 MB piece too */
	char *big = malloc(total + 1);
	memset(big, 'y', total);
	big[total] = '\n';
	assert_int_equal(linebuf_feed(lb, big, total + 1, 6, watch, &s), 0);
	assert_true(s.max_buffered <= WIRE_MAX_LINE);
	/* reported once for the first line, the newline ends it; then the
	 * second 10 MB line: again once */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.status[0], -EMSGSIZE);
	assert_int_equal(linebuf_partial_since(lb), 0);
	s.n = 0;
	memcpy(big + total - 8, "\n{\"a\":1}", 8);
	assert_int_equal(linebuf_feed(lb, big, total + 1, 7, watch, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.status[0], -EMSGSIZE);
	assert_int_equal(s.status[1], 0);
	struct linebuf_stats st;
	linebuf_get_stats(lb, &st);
	assert_true(st.overlong == 2 && st.lines == 1);
	free(big);
	free(buf);
	linebuf_free(lb);
}

static void test_resync(void **state)
{
	struct linebuf *lb = linebuf_new(WIRE_MAX_LINE);
	struct sink s = { 0 };
	(void)state;
	/* garbage, then a peer that (re)connects sends 0xFF "\n" */
	feed(lb, &s, "{\"half\":", 8);
	feed(lb, &s, "\xff\n{\"v\":1}\n", 10);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.line[0], "{\"v\":1}");
	/* 0xFF mid-line drops the fragment before it */
	feed(lb, &s, "abc\xff" "def\n", 8);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.line[1], "def");
	/* 0xFF also ends the discarding of an overlong line */
	struct linebuf *small = linebuf_new(8);
	struct sink t = { 0 };
	feed(small, &t, "0123456789", 10);
	feed(small, &t, "\xffok\n", 4);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.status[0], -EMSGSIZE);
	assert_string_equal(t.line[1], "ok");
	struct linebuf_stats st;
	linebuf_get_stats(lb, &st);
	assert_true(st.resyncs == 2);
	/* the wire decoder never sees a 0xFF: it is not valid UTF-8 anyway */
	linebuf_free(small);
	linebuf_free(lb);
}

static void test_nul(void **state)
{
	struct linebuf *lb = linebuf_new(WIRE_MAX_LINE);
	struct sink s = { 0 };
	(void)state;
	feed(lb, &s, "{\"a\":\"x\0y\"}\nnext\n", 17);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.status[0], -EILSEQ);
	assert_int_equal(s.status[1], 0);
	assert_string_equal(s.line[1], "next");
	/* a NUL line that also gets too long is reported once, as overlong */
	struct linebuf *small = linebuf_new(4);
	struct sink t = { 0 };
	feed(small, &t, "\0\0\0\0\0\0\n", 7);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.status[0], -EMSGSIZE);
	linebuf_free(small);
	linebuf_free(lb);
}

static void test_partial_age_and_stop(void **state)
{
	struct linebuf *lb = linebuf_new(WIRE_MAX_LINE);
	struct sink s = { 0 };
	(void)state;
	assert_int_equal(linebuf_partial_since(lb), 0);
	assert_int_equal(linebuf_feed(lb, "{\"v\"", 4, 1000, collect, &s), 0);
	assert_int_equal(linebuf_partial_since(lb), 1000);
	/* more bytes later do not make the line younger */
	assert_int_equal(linebuf_feed(lb, ":1", 2, 5000, collect, &s), 0);
	assert_int_equal(linebuf_partial_since(lb), 1000);
	assert_int_equal(linebuf_feed(lb, "}\n{", 3, 9000, collect, &s), 0);
	assert_int_equal(linebuf_partial_since(lb), 9000);
	assert_int_equal(linebuf_feed(lb, "}\n", 2, 9500, collect, &s), 0);
	assert_int_equal(linebuf_partial_since(lb), 0);
	assert_int_equal(s.n, 2);
	linebuf_reset(lb);

	/* a callback can stop the feed */
	struct sink t = { .stop_after = 1 };
	assert_int_equal(linebuf_feed(lb, "a\nb\nc\n", 6, 1, collect, &t), 1);
	assert_int_equal(t.n, 1);
	linebuf_free(lb);
}

static void test_outq(void **state)
{
	int sv[2];
	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	int small = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);

	struct linebuf_outq *q = linebuf_outq_new(256 * 1024);
	assert_non_null(q);
	char *line = malloc(WIRE_MAX_LINE);
	memset(line, 'z', WIRE_MAX_LINE - 1);
	line[WIRE_MAX_LINE - 1] = '\n';
	for (int i = 0; i < 3; i++)
		assert_int_equal(linebuf_outq_push(q, line, WIRE_MAX_LINE), 0);
	/* all or nothing */
	assert_int_equal(linebuf_outq_push(q, line, WIRE_MAX_LINE + 1), -ENOBUFS);
	assert_int_equal(linebuf_outq_pending(q), 3 * WIRE_MAX_LINE);
	int r = linebuf_outq_flush(q, sv[0]);
	assert_int_equal(r, -EAGAIN);
	size_t left = linebuf_outq_pending(q);
	assert_true(left > 0 && left < 3u * WIRE_MAX_LINE);

	/* the reader gets the bytes in order; the framer sees three lines */
	struct linebuf *lb = linebuf_new(WIRE_MAX_LINE);
	struct sink s = { 0 };
	char rbuf[8192];
	while (linebuf_outq_pending(q)) {
		ssize_t n = read(sv[1], rbuf, sizeof rbuf);
		assert_true(n > 0);
		assert_int_equal(linebuf_feed(lb, rbuf, (size_t)n, 1, collect, &s), 0);
		r = linebuf_outq_flush(q, sv[0]);
		assert_true(r == 0 || r == -EAGAIN);
	}
	for (;;) {
		ssize_t n = recv(sv[1], rbuf, sizeof rbuf, MSG_DONTWAIT);
		if (n <= 0)
			break;
		assert_int_equal(linebuf_feed(lb, rbuf, (size_t)n, 1, collect, &s), 0);
	}
	assert_int_equal(s.n, 3);
	assert_int_equal(s.len[2], WIRE_MAX_LINE - 1);

	/* clearing after a partial write queues the resync for the peer */
	assert_int_equal(linebuf_outq_push(q, line, WIRE_MAX_LINE), 0);
	assert_int_equal(linebuf_outq_flush(q, sv[0]), -EAGAIN);
	linebuf_outq_clear(q);
	assert_int_equal(linebuf_outq_pending(q), LINEBUF_RESYNC_LEN);
	assert_int_equal(linebuf_outq_push(q, "{\"v\":1}\n", 8), 0);
	s.n = 0;
	while (linebuf_outq_pending(q)) {
		ssize_t n = read(sv[1], rbuf, sizeof rbuf);
		assert_true(n > 0);
		assert_int_equal(linebuf_feed(lb, rbuf, (size_t)n, 1, collect, &s), 0);
		linebuf_outq_flush(q, sv[0]);
	}
	ssize_t n;
	while ((n = recv(sv[1], rbuf, sizeof rbuf, MSG_DONTWAIT)) > 0)
		assert_int_equal(linebuf_feed(lb, rbuf, (size_t)n, 1, collect, &s), 0);
	assert_int_equal(s.n, 1); /* the fragment was dropped, not glued */
	assert_string_equal(s.line[0], "{\"v\":1}");
	/* clearing when nothing was half-sent queues nothing */
	linebuf_outq_clear(q);
	assert_int_equal(linebuf_outq_pending(q), 0);

	/* a closed peer is an error, not a signal */
	close(sv[1]);
	assert_int_equal(linebuf_outq_push(q, "x\n", 2), 0);
	assert_int_equal(linebuf_outq_flush(q, sv[0]), -EPIPE);
	close(sv[0]);

	/* a pipe (not a socket) works through write() */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(linebuf_outq_flush(q, p[1]), 0);
	assert_int_equal(read(p[0], rbuf, sizeof rbuf), 2);
	close(p[0]);
	close(p[1]);
	free(line);
	linebuf_free(lb);
	linebuf_outq_free(q);
	assert_null(linebuf_outq_new(1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_and_splits),
		cmocka_unit_test(test_exact_limit),
		cmocka_unit_test(test_ten_megabytes),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_partial_age_and_stop),
		cmocka_unit_test(test_outq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
