/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linebuf: input line framer (limit, NUL check, 0xFF resync, partial-line
 * age) and a bounded output queue for non-blocking writes. */
#include "linebuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <sys/socket.h>
#include <unistd.h>

#define LINEBUF_MAX_LIMIT (16u << 20)
#define LINEBUF_START 1024u /* first buffer; grows by doubling up to max_line */

struct linebuf {
	size_t max_line; /* counting the newline */
	size_t used;     /* bytes of the partial line in buf */
	bool discarding; /* an overlong line is being skipped */
	bool has_nul;    /* the partial line held a NUL */
	uint64_t since;  /* mono ns the partial line started, 0 none */
	struct linebuf_stats st;
	size_t cap;      /* bytes at buf, <= max_line; always > used */
	char *buf;       /* content <= max_line - 1, plus NUL */
};

struct linebuf *linebuf_new(size_t max_line)
{
	struct linebuf *lb;

	if (max_line < 2 || max_line > LINEBUF_MAX_LIMIT)
		return NULL;
	lb = calloc(1, sizeof *lb);
	if (!lb)
		return NULL;
	lb->max_line = max_line;
	/* Most lines are short: start small, grow to the limit on demand. */
	lb->cap = max_line < LINEBUF_START ? max_line : LINEBUF_START;
	lb->buf = malloc(lb->cap);
	if (!lb->buf) {
		free(lb);
		return NULL;
	}
	return lb;
}

void linebuf_free(struct linebuf *lb)
{
	if (!lb)
		return;
	free(lb->buf);
	free(lb);
}

/* Room for need bytes of content plus the NUL (need <= max_line - 1). */
static int reserve(struct linebuf *lb, size_t need)
{
	if (need < lb->cap)
		return 0;
	size_t cap = lb->cap;
	while (cap <= need)
		cap *= 2;
	if (cap > lb->max_line)
		cap = lb->max_line;
	char *b = realloc(lb->buf, cap);
	if (!b)
		return -ENOMEM;
	lb->buf = b;
	lb->cap = cap;
	return 0;
}

void linebuf_reset(struct linebuf *lb)
{
	lb->used = 0;
	lb->discarding = false;
	lb->has_nul = false;
	lb->since = 0;
}

/* A line ended at a newline: deliver it or its error. */
static int end_line(struct linebuf *lb, linebuf_cb cb, void *arg)
{
	int r = 0;

	if (lb->discarding) {
		/* already reported when it passed the limit */
	} else if (lb->has_nul) {
		lb->st.nul++;
		r = cb(arg, -EILSEQ, "", 0);
	} else {
		size_t n = lb->used;
		if (n && lb->buf[n - 1] == '\r')
			n--;
		lb->buf[n] = 0;
		if (n) {
			lb->st.lines++;
			r = cb(arg, 0, lb->buf, n);
		}
	}
	linebuf_reset(lb);
	return r;
}

/* The end of the longest run of ordinary bytes from p (not '\n', 0xff or
 * NUL): 16 bytes at a time where SSE2 is there, as reports are kilobytes. */
static const unsigned char *ordinary_run(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n'), ff = _mm_set1_epi8((char)0xff), zero = _mm_setzero_si128();
	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, nl), _mm_cmpeq_epi8(x, ff)),
					   _mm_cmpeq_epi8(x, zero));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < end && *p != '\n' && *p != 0xff && *p != 0)
		p++;
	return p;
}

int linebuf_feed(struct linebuf *lb, const void *data, size_t len,
		 uint64_t now_ns, linebuf_cb cb, void *arg)
{
	const unsigned char *p = data, *end = p + len;
	int r;

	while (p < end) {
		if (!lb->since)
			lb->since = now_ns ? now_ns : 1;
		const unsigned char *q = ordinary_run(p, end);
		size_t run = (size_t)(q - p);
		if (run && !lb->discarding) {
			size_t room = lb->max_line - 1 - lb->used;
			if (run <= room) {
				if (reserve(lb, lb->used + run))
					return -ENOMEM;
				memcpy(lb->buf + lb->used, p, run);
				lb->used += run;
			} else {
				/* Over the limit: report now, skip the rest. */
				lb->st.overlong++;
				lb->used = 0;
				lb->has_nul = false;
				lb->discarding = true;
				lb->st.bytes += run;
				p = q;
				if ((r = cb(arg, -EMSGSIZE, "", 0)))
					return r;
				continue;
			}
		}
		lb->st.bytes += run;
		p = q;
		if (p == end)
			break;
		unsigned char c = *p++;
		lb->st.bytes++;
		if (c == '\n') {
			if ((r = end_line(lb, cb, arg)))
				return r;
		} else if (c == 0xff) {
			lb->st.resyncs++;
			linebuf_reset(lb);
		} else { /* NUL: counts toward the limit like any byte */
			if (!lb->discarding) {
				if (lb->used + 1 > lb->max_line - 1) {
					lb->st.overlong++;
					lb->used = 0;
					lb->has_nul = false;
					lb->discarding = true;
					if ((r = cb(arg, -EMSGSIZE, "", 0)))
						return r;
				} else {
					if (reserve(lb, lb->used + 1))
						return -ENOMEM;
					lb->buf[lb->used++] = 0;
					lb->has_nul = true;
				}
			}
		}
	}
	return 0;
}

size_t linebuf_buffered(const struct linebuf *lb)
{
	return lb->used;
}

uint64_t linebuf_partial_since(const struct linebuf *lb)
{
	return lb->since;
}

void linebuf_get_stats(const struct linebuf *lb, struct linebuf_stats *out)
{
	*out = lb->st;
}

/* ---------------------------------------------------------- output queue */

struct linebuf_outq {
	size_t max;
	char *buf;
	size_t cap, head, tail; /* unsent bytes are buf[head..tail) */
	bool mid_line;          /* the peer got part of a line */
};

struct linebuf_outq *linebuf_outq_new(size_t max_bytes)
{
	struct linebuf_outq *q;

	if (max_bytes < 2)
		return NULL;
	q = calloc(1, sizeof *q);
	if (q)
		q->max = max_bytes;
	return q;
}

void linebuf_outq_free(struct linebuf_outq *q)
{
	if (!q)
		return;
	free(q->buf);
	free(q);
}

size_t linebuf_outq_pending(const struct linebuf_outq *q)
{
	return q->tail - q->head;
}

int linebuf_outq_push(struct linebuf_outq *q, const void *data, size_t len)
{
	size_t pending = q->tail - q->head;

	if (len > q->max - pending)
		return -ENOBUFS;
	if (q->cap - q->tail < len) {
		if (q->head) { /* compact first */
			memmove(q->buf, q->buf + q->head, pending);
			q->head = 0;
			q->tail = pending;
		}
		if (q->cap - q->tail < len) {
			size_t cap = q->cap ? q->cap : 4096;
			while (cap < pending + len)
				cap *= 2;
			if (cap > q->max)
				cap = q->max;
			char *b = realloc(q->buf, cap);
			if (!b)
				return -ENOMEM;
			q->buf = b;
			q->cap = cap;
		}
	}
	memcpy(q->buf + q->tail, data, len);
	q->tail += len;
	return 0;
}

int linebuf_outq_flush(struct linebuf_outq *q, int fd)
{
	while (q->head < q->tail) {
		size_t n = q->tail - q->head;
		ssize_t w = send(fd, q->buf + q->head, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, q->buf + q->head, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -EAGAIN;
			return -errno;
		}
		if (w == 0)
			return -EAGAIN;
		q->mid_line = q->buf[q->head + (size_t)w - 1] != '\n';
		q->head += (size_t)w;
	}
	q->head = q->tail = 0;
	return 0;
}

void linebuf_outq_clear(struct linebuf_outq *q)
{
	q->head = q->tail = 0;
	if (q->mid_line) {
		q->mid_line = false;
		/* fits: max >= 2 and the queue is empty */
		linebuf_outq_push(q, LINEBUF_RESYNC, LINEBUF_RESYNC_LEN);
	}
}
