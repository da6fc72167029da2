/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen_bridge: each Xen guest's xenstore keys as a line stream for hostd's
 * per-guest state machine (guest.c): a socketpair per guest, the guest's
 * changed data/vtune keys written in, hostd's lines sent with xen_send. */
#include "xen_bridge.h"
#include "log.h"
#include "vclock.h"
#include "wire.h"
#include "xen.h"
#include "xen_parts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { K_HELLO, K_REPORT, K_ACK, K_N };
static const char *const key_name[K_N] = { "hello", "report", "ack" };

struct xb_dom {
	struct xen_bridge *xb;
	struct bk_guest bk;
	int fd;		   /* the bridge's end of the pair, -1: none */
	uint32_t watching; /* epoll events asked for */
	int pending;	   /* keys to (re)read: seq moved since the last read */
	char *last[K_N];   /* the values last handed to hostd on this pair */
	int seq_moved;	   /* data/vtune/seq moved since the last complete read */
	char out[XB_OUT_MAX]; /* towards hostd */
	size_t outoff, outlen;
	char in[XB_IN_MAX]; /* hostd's lines not yet sent */
	size_t inlen;
	int discarding;	   /* dropping an overlong line up to its newline */
	uint64_t inflight_id, inflight_ns; /* apply/revert sent, ack not seen */
	int wait_timer, attach_timer;
	uint64_t attached_ns, next_attach_ns, backoff_ns;
};

struct xen_bridge {
	struct loop *loop;
	struct backend *b;
	xb_find_fn find;
	void *arg;
	struct xb_dom *doms[XEN_MAX_TRACKED];
	struct xen_bridge_stats st;
};

static void pump(struct xb_dom *d);
static void process_in(struct xb_dom *d);

static void set_watch(struct xb_dom *d)
{
	if (d->fd < 0)
		return;
	uint32_t ev = 0;
	if (d->inlen < XB_IN_MAX)
		ev |= EPOLLIN; /* full: hostd waits (an apply's ack pending) */
	if (d->outoff < d->outlen)
		ev |= EPOLLOUT;
	if (ev != d->watching && loop_mod_fd(d->xb->loop, d->fd, ev) == 0)
		d->watching = ev;
}

static void forget_values(struct xb_dom *d)
{
	for (int k = 0; k < K_N; k++) {
		free(d->last[k]);
		d->last[k] = NULL;
	}
}

static void cancel_wait(struct xb_dom *d)
{
	if (d->wait_timer > 0)
		loop_timer_cancel(d->xb->loop, d->wait_timer);
	d->wait_timer = 0;
}

/* Drop the pair; hostd's end, if still open, sees EOF and disconnects. */
static void close_pair(struct xb_dom *d, const char *why)
{
	uint64_t now = vclock_mono_ns();
	if (d->fd < 0)
		return;
	log_info("guest %s: xenstore bridge closed: %s", d->bk.name, why);
	loop_del_fd(d->xb->loop, d->fd);
	close(d->fd);
	d->fd = -1;
	d->watching = 0;
	d->outoff = d->outlen = d->inlen = 0;
	d->discarding = 0;
	d->inflight_id = 0;
	cancel_wait(d);
	forget_values(d);
	if (now - d->attached_ns > XB_BACKOFF_MAX_NS)
		d->backoff_ns = XB_BACKOFF_MIN_NS; /* it lived: start over */
	d->next_attach_ns = now + d->backoff_ns;
	d->backoff_ns = d->backoff_ns * 2 > XB_BACKOFF_MAX_NS ? XB_BACKOFF_MAX_NS : d->backoff_ns * 2;
}

static void free_dom(struct xb_dom *d)
{
	if (!d)
		return;
	close_pair(d, "domain gone");
	if (d->attach_timer > 0)
		loop_timer_cancel(d->xb->loop, d->attach_timer);
	forget_values(d);
	free(d);
}

static void on_io(void *arg, int fd, uint32_t events);

/* A new pair: hostd's end to guest_attach_fd (which sends its resync and
 * hello into it), ours into the loop. 0 or -errno. */
static int attach(struct xb_dom *d)
{
	struct xen_bridge *xb = d->xb;
	uint64_t now = vclock_mono_ns();
	struct guest *g = xb->find(xb->arg, &d->bk);
	int sv[2];
	if (!g)
		return -ENOENT; /* hostd does not follow it */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	int r = loop_add_fd(xb->loop, sv[1], EPOLLIN, on_io, d);
	if (r < 0) {
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	d->fd = sv[1];
	d->watching = EPOLLIN;
	r = guest_attach_fd(g, sv[0], now); /* closes sv[0] on failure */
	if (r < 0) {
		close_pair(d, "hostd refused the channel");
		return r;
	}
	forget_values(d); /* a new pair starts with the agent's hello */
	d->pending = 1;
	d->attached_ns = now;
	xb->st.attaches++;
	log_info("guest %s: agent channel over xenstore (domain %d)", d->bk.name, d->bk.domid);
	return 0;
}

static void attach_due(void *arg)
{
	struct xb_dom *d = arg;
	d->attach_timer = 0;
	pump(d);
}

static void wait_over(void *arg)
{
	struct xb_dom *d = arg;
	d->wait_timer = 0;
	if (d->inflight_id) {
		log_warn("guest %s: no ack for id %llu over xenstore in %llus: sending the next request",
			 d->bk.name, (unsigned long long)d->inflight_id,
			 (unsigned long long)(XB_ACK_WAIT_NS / 1000000000ull));
		d->inflight_id = 0;
	}
	process_in(d);
	set_watch(d);
}

/* Append one line (len bytes + "\n") for hostd. 0 or -ENOBUFS. */
static int queue_out(struct xb_dom *d, const char *v, size_t len)
{
	if (d->outoff && d->outlen + len + 1 > XB_OUT_MAX) {
		memmove(d->out, d->out + d->outoff, d->outlen - d->outoff);
		d->outlen -= d->outoff;
		d->outoff = 0;
	}
	if (d->outlen + len + 1 > XB_OUT_MAX)
		return -ENOBUFS;
	memcpy(d->out + d->outlen, v, len);
	d->out[d->outlen + len] = '\n';
	d->outlen += len + 1;
	return 0;
}

/* The guest's ack for the request in flight lets the next one go. */
static void note_ack(struct xb_dom *d, const char *v, size_t len)
{
	struct wire_msg m;
	if (!d->inflight_id || wire_decode(v, len, &m, NULL, 0))
		return;
	if (m.type == WIRE_ACK && m.u.ack.id == d->inflight_id) {
		d->inflight_id = 0;
		cancel_wait(d);
	}
	wire_msg_free(&m);
}

/* The guest's report refused (its parts do not match their count, or a
 * value is not a plausible message): hostd counts and logs it as an invalid
 * message. */
static void report_refused(struct xb_dom *d, int n, const char *why)
{
	char text[320];
	struct guest *g = d->xb->find(d->xb->arg, &d->bk);
	d->xb->st.bad_reports++;
	snprintf(text, sizeof text, "data/vtune/report over xenstore: %s",
		 why[0] ? why : strerror(-n));
	if (g)
		guest_input_refused(g, vclock_mono_ns(), text);
}

/* Read the keys whose values changed and queue them (hello first). Keys
 * that do not fit now stay pending until the queue drains. */
static void read_keys(struct xb_dom *d)
{
	static char buf[WIRE_MAX_LINE]; /* a joined report, XEN_JOIN_MAX + NUL */
	char why[256];
	int acked = 0, any_new = 0, hello_same = 0;
	d->pending = 0;
	for (int k = 0; k < K_N; k++) {
		size_t room = k == K_REPORT ? XEN_JOIN_MAX + 1 : XEN_VALUE_MAX + 1;
		if (XB_OUT_MAX - (d->outlen - d->outoff) < room) {
			d->pending = 1;
			break;
		}
		int n = k == K_REPORT ? xen_read_report(d->xb->b, d->bk.domid, buf, sizeof buf, why,
							sizeof why)
				      : xen_read_msg(d->xb->b, d->bk.domid, key_name[k], buf, sizeof buf);
		if (n == -ENOENT)
			continue;
		if (k == K_REPORT && (n == -EBADMSG || n == -EINVAL || n == -EMSGSIZE)) {
			d->xb->st.read_errors++;
			report_refused(d, n, why);
			any_new = 1; /* seq moved over a report: no hello again */
			continue;
		}
		if (n < 0) {
			d->xb->st.read_errors++;
			log_debug("guest %s: data/vtune/%s: %s", d->bk.name, key_name[k], strerror(-n));
			continue;
		}
		if (d->last[k] && !strcmp(d->last[k], buf)) {
			hello_same |= k == K_HELLO;
			continue;
		}
		any_new = 1;
		char *copy = strdup(buf);
		if (!copy || queue_out(d, buf, (size_t)n) < 0) {
			free(copy);
			d->pending = 1;
			break;
		}
		free(d->last[k]);
		d->last[k] = copy;
		d->xb->st.to_hostd++;
		if (k == K_ACK && d->inflight_id) {
			uint64_t before = d->inflight_id;
			note_ack(d, buf, (size_t)n);
			acked = before && !d->inflight_id;
		}
	}
	/* The agent bumps seq only with a key that changed: a seq that moved
	 * over the same values is a hello written again, the same as before (an
	 * agent restarted, or reconnected to the store): hostd answers it. */
	if (!d->pending) {
		if (d->seq_moved && hello_same && !any_new && queue_out(d, d->last[K_HELLO],
									strlen(d->last[K_HELLO])) == 0) {
			d->xb->st.to_hostd++;
			log_debug("guest %s: data/vtune/hello written again", d->bk.name);
		}
		d->seq_moved = 0;
	}
	if (acked)
		process_in(d);
}

/* Write what is queued for hostd; 0, or -1 when the pair was closed. */
static int flush_out(struct xb_dom *d)
{
	while (d->fd >= 0 && d->outoff < d->outlen) {
		ssize_t n = send(d->fd, d->out + d->outoff, d->outlen - d->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			close_pair(d, "hostd's end closed");
			return -1;
		}
		d->outoff += (size_t)n;
	}
	if (d->outoff == d->outlen)
		d->outoff = d->outlen = 0;
	return 0;
}

/* Attach when needed and allowed, read changed keys, write them out. */
static void pump(struct xb_dom *d)
{
	if (d->fd < 0) {
		uint64_t now = vclock_mono_ns();
		if (now < d->next_attach_ns) {
			if (!d->attach_timer) {
				int id = loop_timer_add(d->xb->loop, d->next_attach_ns, attach_due, d);
				d->attach_timer = id > 0 ? id : 0;
			}
			return;
		}
		if (attach(d) < 0)
			return;
	}
	for (int rounds = 0; rounds < 4 && d->fd >= 0; rounds++) {
		if (d->pending)
			read_keys(d);
		if (flush_out(d) < 0)
			return;
		if (!d->pending || d->outlen)
			break; /* done, or hostd is slow: EPOLLOUT resumes */
	}
	set_watch(d);
}

/* Send hostd's complete lines to the guest, one apply/revert at a time. */
static void process_in(struct xb_dom *d)
{
	size_t off = 0;
	while (d->fd >= 0 && off < d->inlen) {
		char *line = d->in + off, *nl = memchr(line, '\n', d->inlen - off);
		if (!nl)
			break;
		static char one[XB_IN_MAX + 1];
		size_t len = 0;
		for (const char *p = line; p < nl; p++) /* the 0xFF resync means nothing here */
			if ((unsigned char)*p != 0xff)
				one[len++] = *p;
		one[len] = '\0';
		if (!len) {
			off = (size_t)(nl - d->in) + 1;
			continue;
		}
		struct wire_msg m;
		uint64_t id = 0;
		if (!wire_decode(one, len, &m, NULL, 0)) {
			if (m.type == WIRE_APPLY)
				id = m.u.apply.id;
			else if (m.type == WIRE_REVERT)
				id = m.u.revert.id;
			wire_msg_free(&m);
		}
		uint64_t now = vclock_mono_ns();
		if (id && d->inflight_id)
			break; /* one request at a time: wait for the ack (or wait_over) */
		int r = xen_send(d->xb->b, d->bk.domid, one);
		if (r < 0) {
			d->xb->st.send_errors++;
			log_warn("guest %s: cannot write control/vtune over xenstore: %s", d->bk.name,
				 strerror(-r));
		} else {
			d->xb->st.to_guest++;
			if (id) {
				d->inflight_id = id;
				d->inflight_ns = now;
				cancel_wait(d);
				int t = loop_timer_add(d->xb->loop, now + XB_ACK_WAIT_NS, wait_over, d);
				d->wait_timer = t > 0 ? t : 0;
			}
		}
		off = (size_t)(nl - d->in) + 1;
	}
	if (off) {
		memmove(d->in, d->in + off, d->inlen - off);
		d->inlen -= off;
	}
}

/* Take hostd's bytes (bounded), then act on the complete lines. */
static void read_in(struct xb_dom *d)
{
	while (d->fd >= 0 && d->inlen < XB_IN_MAX) {
		ssize_t n = recv(d->fd, d->in + d->inlen, XB_IN_MAX - d->inlen, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			close_pair(d, n == 0 ? "hostd closed the channel" : "read error");
			return;
		}
		size_t start = d->inlen;
		d->inlen += (size_t)n;
		if (d->discarding) {
			char *nl = memchr(d->in + start, '\n', d->inlen - start);
			if (!nl) {
				d->inlen = start;
				continue;
			}
			size_t cut = (size_t)(nl - d->in) + 1;
			memmove(d->in + start, d->in + cut, d->inlen - cut);
			d->inlen = start + (d->inlen - cut);
			d->discarding = 0;
		}
		process_in(d);
		if (d->inlen == XB_IN_MAX && !memchr(d->in, '\n', d->inlen)) {
			/* longer than any xenstore value: drop it up to its newline */
			d->xb->st.dropped++;
			log_warn("guest %s: a line from hostd over %u bytes dropped", d->bk.name,
				 XB_IN_MAX);
			d->inlen = 0;
			d->discarding = 1;
		}
	}
}

static void on_io(void *arg, int fd, uint32_t events)
{
	struct xb_dom *d = arg;
	(void)fd;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (d->inlen < XB_IN_MAX)
			read_in(d);
		else if (events & (EPOLLHUP | EPOLLERR))
			close_pair(d, "hostd's end closed");
	}
	if (d->fd >= 0)
		pump(d);
}

static struct xb_dom *get_dom(struct xen_bridge *xb, const struct bk_guest *g, int create)
{
	int free_slot = -1;
	for (int i = 0; i < XEN_MAX_TRACKED; i++) {
		if (xb->doms[i] && xb->doms[i]->bk.domid == g->domid)
			return xb->doms[i];
		if (!xb->doms[i] && free_slot < 0)
			free_slot = i;
	}
	if (!create || free_slot < 0)
		return NULL;
	struct xb_dom *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->xb = xb;
	d->fd = -1;
	d->backoff_ns = XB_BACKOFF_MIN_NS;
	xb->doms[free_slot] = d;
	return d;
}

/* xen_report_fn: data/vtune/seq of g's domain moved. */
static void on_report(void *arg, const struct bk_guest *g, uint64_t seq)
{
	struct xen_bridge *xb = arg;
	(void)seq;
	struct xb_dom *d = get_dom(xb, g, 1);
	if (!d)
		return;
	d->bk = *g; /* the domid is the watched path's (xen.c) */
	d->pending = 1;
	d->seq_moved = 1;
	pump(d);
}

struct xen_bridge *xen_bridge_new(struct loop *loop, struct backend *b, xb_find_fn find,
				  void *arg, int *err)
{
	if (!loop || !b || !find) {
		*err = -EINVAL;
		return NULL;
	}
	struct xen_bridge *xb = calloc(1, sizeof *xb);
	if (!xb) {
		*err = -ENOMEM;
		return NULL;
	}
	xb->loop = loop;
	xb->b = b;
	xb->find = find;
	xb->arg = arg;
	xen_set_report_fn(b, on_report, xb);
	return xb;
}

void xen_bridge_guest_down(struct xen_bridge *xb, int domid)
{
	if (!xb)
		return;
	for (int i = 0; i < XEN_MAX_TRACKED; i++)
		if (xb->doms[i] && xb->doms[i]->bk.domid == domid) {
			free_dom(xb->doms[i]);
			xb->doms[i] = NULL;
		}
}

void xen_bridge_free(struct xen_bridge *xb)
{
	if (!xb)
		return;
	xen_set_report_fn(xb->b, NULL, NULL);
	for (int i = 0; i < XEN_MAX_TRACKED; i++)
		free_dom(xb->doms[i]);
	free(xb);
}

void xen_bridge_get_stats(const struct xen_bridge *xb, struct xen_bridge_stats *st)
{
	*st = xb->st;
}
