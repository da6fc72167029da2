/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linebuf: per-connection framing for newline-delimited messages read and
 * written with non-blocking I/O. Input: bytes in, complete lines out, with a
 * hard line limit, bounded memory and the 0xFF resync rule. Output: a
 * bounded queue that survives partial writes. */
#ifndef VTUNE_LINEBUF_H
#define VTUNE_LINEBUF_H

#include <stddef.h>
#include <stdint.h>

/* What a side sends on connect or after garbage: the 0xFF byte resets the
 * peer's framer (drops its partial line), the newline ends whatever the
 * peer still considered a line. */
#define LINEBUF_RESYNC "\xff\n"
#define LINEBUF_RESYNC_LEN 2

struct linebuf;

struct linebuf_stats {
	uint64_t bytes;    /* bytes fed */
	uint64_t lines;    /* lines delivered */
	uint64_t overlong; /* lines over the limit, dropped */
	uint64_t nul;      /* lines with a NUL byte, dropped */
	uint64_t resyncs;  /* 0xFF bytes seen */
};

/* Called once per event. status 0: a complete line (without its newline,
 * NUL-terminated, len bytes, valid until the callback returns; a trailing
 * \r is dropped too and empty lines are not delivered). status -EMSGSIZE: a line passed max_line bytes; it is
 * reported as soon as it does and its rest is discarded up to the next
 * newline or 0xFF. status -EILSEQ: a line that held a NUL byte ended; it is
 * dropped (line/len describe nothing). Return 0 to continue, anything else
 * stops linebuf_feed, which returns that value. */
typedef int (*linebuf_cb)(void *arg, int status, const char *line, size_t len);

/* A framer for lines of at most max_line bytes counting the newline
 * (2 .. 16 MiB; the wire protocol uses WIRE_MAX_LINE). It never buffers
 * more than max_line bytes: its buffer starts at 1 KiB and grows (by
 * doubling) only as a line needs it. Returns NULL on bad max_line or no
 * memory. */
struct linebuf *linebuf_new(size_t max_line);
void linebuf_free(struct linebuf *lb);

/* Feed len bytes that arrived at mono time now_ns, calling cb for each
 * event in order. Returns 0, the callback's non-zero value, or -ENOMEM when
 * the buffer could not grow for a line within the limit (the bytes after
 * the event that stopped it are not consumed: the caller is expected to
 * drop the connection or linebuf_reset() it). */
int linebuf_feed(struct linebuf *lb, const void *data, size_t len,
		 uint64_t now_ns, linebuf_cb cb, void *arg);

/* Drop any partial line and discard state, as a 0xFF byte does. */
void linebuf_reset(struct linebuf *lb);

/* Bytes of the partial line held now (always <= max_line). */
size_t linebuf_buffered(const struct linebuf *lb);

/* Mono time (ns) at which the current unfinished line started (also one
 * being discarded), or 0 when there is none: a peer that trickles a line
 * slowly can be dropped by comparing this with the clock. */
uint64_t linebuf_partial_since(const struct linebuf *lb);

void linebuf_get_stats(const struct linebuf *lb, struct linebuf_stats *out);

/* ---- output queue ---- */

struct linebuf_outq;

/* A queue holding at most max_bytes unsent bytes (>= 2). NULL on error. */
struct linebuf_outq *linebuf_outq_new(size_t max_bytes);
void linebuf_outq_free(struct linebuf_outq *q);

/* Queue len bytes whole or not at all. Returns 0, -ENOBUFS (would pass
 * max_bytes: nothing queued; the peer is not reading) or -ENOMEM. */
int linebuf_outq_push(struct linebuf_outq *q, const void *data, size_t len);

/* Write queued bytes to the non-blocking fd (send with MSG_NOSIGNAL on a
 * socket, write otherwise), retrying on EINTR and keeping what a partial
 * write left. Returns 0 when the queue is empty, -EAGAIN when bytes remain
 * (wait for POLLOUT), or -errno of the failed write (EPIPE, ...). */
int linebuf_outq_flush(struct linebuf_outq *q, int fd);

/* Drop everything queued. If the peer already got part of a line, queue
 * LINEBUF_RESYNC so its framer drops that fragment. */
void linebuf_outq_clear(struct linebuf_outq *q);

/* Unsent bytes. */
size_t linebuf_outq_pending(const struct linebuf_outq *q);

#endif
