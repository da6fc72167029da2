/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench_crr_client: the load generator of `vtune bench crr`. Each thread
 * keeps its share of the connections busy with one epoll loop: connect,
 * send a request with Connection: close, read the response, close, again. */
#include "bench_crr.h"
#include "parse.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#define HDR_MAX 2048                 /* longest response header accepted */
#define BODY_UNTIL_EOF UINT64_MAX

enum { S_IDLE, S_CONNECTING, S_WAITING };

struct slot {
	int fd, state;
	uint64_t t0, t1, deadline;
	uint64_t rx;                 /* bytes of response received */
	uint64_t hdr_end;            /* 0 until the header is complete */
	uint64_t body;               /* Content-Length, or BODY_UNTIL_EOF */
	struct slot *prev, *next;    /* in-flight list, oldest first */
	struct slot *idle_next;      /* to be started again */
	size_t hlen;
	char hdr[HDR_MAX + 1];
};

struct cthread {
	pthread_t tid;
	const struct crr_client_opts *o;
	unsigned nslots;
	struct slot *slots;
	int efd;
	struct slot busy;            /* list head of in-flight slots */
	struct slot *idle;
	uint64_t conns;
	uint64_t err[CRR_NERRNO];
	struct bstat_hist *h[CRR_NPHASES];
	char buf[65536];
};

static const char *request;
static size_t request_len;
static uint64_t timeout_ns;
static atomic_int stop_flag;
static uint64_t start_ns, end_ns;

/* Start gate: threads set up, report ready, and wait for the clock to be
 * set; on a failed thread creation end_ns stays 0 and they return at once. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static unsigned gate_ready;
static int gate_open;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void count_err(struct cthread *t, int e)
{
	t->err[e > 0 && e < CRR_NERRNO ? e : 0]++;
}

static void busy_link(struct cthread *t, struct slot *s)
{
	s->next = &t->busy;
	s->prev = t->busy.prev;
	t->busy.prev->next = s;
	t->busy.prev = s;
}

static void busy_unlink(struct slot *s)
{
	s->prev->next = s->next;
	s->next->prev = s->prev;
}

static void make_idle(struct cthread *t, struct slot *s)
{
	s->state = S_IDLE;
	s->idle_next = t->idle;
	t->idle = s;
}

static void slot_fail(struct cthread *t, struct slot *s, int e)
{
	count_err(t, e);
	close(s->fd);
	s->fd = -1;
	busy_unlink(s);
	make_idle(t, s);
}

/* Open a connection and send the request when the connection is already up
 * (loopback usually is by the time connect returns). */
static void slot_start(struct cthread *t, struct slot *s)
{
	const struct crr_client_opts *o = t->o;

	s->t0 = now_ns();
	s->fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		count_err(t, errno);
		make_idle(t, s);
		return;
	}
	if (connect(s->fd, (const struct sockaddr *)&o->addr, o->addrlen) < 0 &&
	    errno != EINPROGRESS) {
		count_err(t, errno);
		close(s->fd);
		s->fd = -1;
		make_idle(t, s);
		return;
	}
	s->rx = s->hdr_end = 0;
	s->hlen = 0;
	s->body = BODY_UNTIL_EOF;
	s->deadline = s->t0 + timeout_ns;
	busy_link(t, s);

	uint32_t events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	ssize_t n = send(s->fd, request, request_len, MSG_NOSIGNAL);
	if (n == (ssize_t)request_len) {
		s->t1 = now_ns();
		s->state = S_WAITING;
	} else if (n < 0 && errno == EAGAIN) {
		s->state = S_CONNECTING;
		events |= EPOLLOUT;
	} else {
		slot_fail(t, s, n < 0 ? errno : EPROTO);
		return;
	}
	struct epoll_event ev = { .events = events, .data.ptr = s };
	if (epoll_ctl(t->efd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		slot_fail(t, s, errno);
}

static void slot_done(struct cthread *t, struct slot *s)
{
	uint64_t t2 = now_ns();
	close(s->fd);
	uint64_t t3 = now_ns();
	s->fd = -1;
	busy_unlink(s);
	bstat_hist_add(t->h[CRR_CONNECT], s->t1 - s->t0);
	bstat_hist_add(t->h[CRR_REQRESP], t2 - s->t1);
	bstat_hist_add(t->h[CRR_CLOSE], t3 - t2);
	t->conns++;
	make_idle(t, s);
}

/* The header is complete in s->hdr[0..hdr_end): check the status and find
 * the body length. Returns 0 or EPROTO / EBADMSG. */
static int parse_header(const struct crr_client_opts *o, struct slot *s)
{
	char *h = s->hdr;

	h[s->hdr_end] = '\0';
	if (strncmp(h, "HTTP/1.", 7) || h[8] != ' ' || h[9] < '1' || h[9] > '9')
		return EPROTO;
	if (h[9] != '2')
		return EBADMSG;
	for (char *p = strchr(h, '\n'); p; p = strchr(p + 1, '\n')) {
		if (strncasecmp(p + 1, "content-length:", 15))
			continue;
		const char *d = p + 16, *end;
		uint64_t v;
		while (*d == ' ' || *d == '\t')
			d++;
		if (parse_u64_prefix(d, &end, &v) || (*end != '\r' && *end != ' '))
			return EPROTO;
		s->body = v;
		break;
	}
	if (o->size >= 0 && s->body != (uint64_t)o->size)
		return EPROTO;
	return 0;
}

/* Read what has arrived. Completes or fails the slot, or leaves it waiting. */
static void slot_read(struct cthread *t, struct slot *s)
{
	for (;;) {
		ssize_t n = read(s->fd, t->buf, sizeof t->buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				slot_fail(t, s, errno);
			return;
		}
		if (n == 0) {
			if (s->hdr_end && s->body == BODY_UNTIL_EOF)
				slot_done(t, s);
			else
				slot_fail(t, s, EPROTO);
			return;
		}
		s->rx += (uint64_t)n;
		if (!s->hdr_end) {
			size_t room = HDR_MAX - s->hlen;
			size_t take = (size_t)n < room ? (size_t)n : room;
			size_t from = s->hlen >= 3 ? s->hlen - 3 : 0;
			memcpy(s->hdr + s->hlen, t->buf, take);
			s->hlen += take;
			char *e = memmem(s->hdr + from, s->hlen - from, "\r\n\r\n", 4);
			if (!e) {
				if (s->hlen == HDR_MAX) {
					slot_fail(t, s, EPROTO);
					return;
				}
				continue;
			}
			s->hdr_end = (uint64_t)(e - s->hdr) + 4;
			int rc = parse_header(t->o, s);
			if (rc) {
				slot_fail(t, s, rc);
				return;
			}
		}
		if (s->body == BODY_UNTIL_EOF)
			continue;
		uint64_t got = s->rx - s->hdr_end;
		if (got == s->body) {
			slot_done(t, s);
			return;
		}
		if (got > s->body) {
			slot_fail(t, s, EPROTO);
			return;
		}
	}
}

static void slot_event(struct cthread *t, struct slot *s, uint32_t ev)
{
	if (s->state == S_CONNECTING) {
		if (ev & (EPOLLERR | EPOLLHUP)) {
			int e = 0;
			socklen_t l = sizeof e;
			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0 || !e)
				e = ECONNRESET;
			slot_fail(t, s, e);
			return;
		}
		if (!(ev & EPOLLOUT))
			return;
		ssize_t n = send(s->fd, request, request_len, MSG_NOSIGNAL);
		if (n != (ssize_t)request_len) {
			slot_fail(t, s, n < 0 ? errno : EPROTO);
			return;
		}
		s->t1 = now_ns();
		s->state = S_WAITING;
	}
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))
		slot_read(t, s);
}

static void *cthread_main(void *arg)
{
	struct cthread *t = arg;
	struct epoll_event *evs = calloc(t->nslots, sizeof *evs);

	pthread_mutex_lock(&gate_lock);
	gate_ready++;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	if (!evs) {
		count_err(t, ENOMEM);
		return NULL;
	}
	for (unsigned i = 0; i < t->nslots; i++)
		slot_start(t, &t->slots[i]);
	for (;;) {
		uint64_t now = now_ns();
		if (now >= end_ns || atomic_load_explicit(&stop_flag, memory_order_relaxed))
			break;
		while (t->busy.next != &t->busy && t->busy.next->deadline <= now)
			slot_fail(t, t->busy.next, ETIMEDOUT);
		while (t->idle) {
			struct slot *s = t->idle;
			t->idle = s->idle_next;
			slot_start(t, s);
			if (t->idle == s)    /* failed at once: retry after a wait */
				break;
		}
		uint64_t until = end_ns;
		if (t->busy.next != &t->busy && t->busy.next->deadline < until)
			until = t->busy.next->deadline;
		int ms = (int)((until - now + 999999) / 1000000);
		if (ms > 100)
			ms = 100;
		if (t->idle)
			ms = 0;
		int n = epoll_wait(t->efd, evs, (int)t->nslots, ms);
		for (int i = 0; i < n; i++) {
			struct slot *s = evs[i].data.ptr;
			if (s->state != S_IDLE)
				slot_event(t, s, evs[i].events);
		}
	}
	for (unsigned i = 0; i < t->nslots; i++)
		if (t->slots[i].fd >= 0)
			close(t->slots[i].fd);
	free(evs);
	return NULL;
}

static char *build_request(const struct crr_client_opts *o, size_t *len)
{
	char sizeq[40] = "";
	char *r = NULL;

	if (o->size >= 0)
		snprintf(sizeq, sizeof sizeq, "%csize=%d",
			 strchr(o->path, '?') ? '&' : '?', o->size);
	int n = asprintf(&r, "GET %s%s HTTP/1.1\r\nHost: %s\r\n"
			 "Connection: close\r\n\r\n", o->path, sizeq, o->host);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return r;
}

void crr_result_free(struct crr_result *r)
{
	for (int p = 0; p < CRR_NPHASES; p++) {
		bstat_hist_free(r->phase[p]);
		r->phase[p] = NULL;
	}
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int crr_run_client(const struct crr_client_opts *o, struct crr_result *r)
{
	struct cthread *ts = NULL;
	unsigned created = 0;
	int rc = 0;
	char *req;
	sigset_t sigs, old;

	memset(r, 0, sizeof *r);
	req = build_request(o, &request_len);
	if (!req)
		return -ENOMEM;
	request = req;
	timeout_ns = (uint64_t)(o->timeout * 1e9);
	atomic_store(&stop_flag, 0);
	for (int p = 0; p < CRR_NPHASES; p++)
		if (!(r->phase[p] = bstat_hist_new()))
			rc = -ENOMEM;
	ts = calloc(o->threads, sizeof *ts);
	if (!ts || rc) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < o->threads; i++)
		ts[i].efd = -1;
	for (unsigned i = 0; i < o->threads; i++) {
		struct cthread *t = &ts[i];
		t->o = o;
		t->nslots = o->conns / o->threads + (i < o->conns % o->threads);
		t->slots = calloc(t->nslots, sizeof *t->slots);
		t->busy.next = t->busy.prev = &t->busy;
		for (int p = 0; p < CRR_NPHASES; p++)
			if (!(t->h[p] = bstat_hist_new()))
				rc = -ENOMEM;
		if (!t->slots || rc) {
			rc = -ENOMEM;
			goto out;
		}
		for (unsigned j = 0; j < t->nslots; j++) {
			t->slots[j].fd = -1;
			t->slots[j].state = S_IDLE;
		}
		t->efd = epoll_create1(EPOLL_CLOEXEC);
		if (t->efd < 0) {
			rc = -errno;
			goto out;
		}
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	gate_ready = 0;
	gate_open = 0;
	start_ns = end_ns = 0;
	for (; created < o->threads; created++) {
		int e = pthread_create(&ts[created].tid, NULL, cthread_main, &ts[created]);
		if (e) {
			fprintf(stderr, "vtune: bench crr: thread: %s\n", strerror(e));
			rc = -e;
			break;
		}
	}
	pthread_mutex_lock(&gate_lock);
	while (gate_ready < created)
		pthread_cond_wait(&gate_cond, &gate_lock);
	double cpu0 = cpu_seconds();
	if (!rc) {
		start_ns = now_ns();
		end_ns = start_ns + (uint64_t)(o->seconds * 1e9);
	}
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);

	struct timespec wait = {
		.tv_sec = (time_t)o->seconds,
		.tv_nsec = (long)((o->seconds - (double)(time_t)o->seconds) * 1e9),
	};
	uint64_t stop_at = end_ns;
	if (!rc && sigtimedwait(&sigs, NULL, &wait) > 0) {
		stop_at = now_ns();
		atomic_store(&stop_flag, 1);
	}
	for (unsigned i = 0; i < created; i++)
		pthread_join(ts[i].tid, NULL);
	r->cpu = cpu_seconds() - cpu0;
	if (stop_at > end_ns)
		stop_at = end_ns;
	r->elapsed = (double)(stop_at - start_ns) / 1e9;
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&sigs, NULL, &zero) > 0)
		;                        /* a late ^C must not lose the report */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		goto out;

	for (unsigned i = 0; i < o->threads; i++) {
		struct cthread *t = &ts[i];
		r->conns += t->conns;
		for (int e = 0; e < CRR_NERRNO; e++) {
			r->err[e] += t->err[e];
			r->errors += t->err[e];
		}
		for (int p = 0; p < CRR_NPHASES; p++)
			bstat_hist_merge(r->phase[p], t->h[p]);
	}
out:
	if (ts) {
		for (unsigned i = 0; i < o->threads; i++) {
			if (ts[i].efd >= 0)
				close(ts[i].efd);
			free(ts[i].slots);
			for (int p = 0; p < CRR_NPHASES; p++)
				bstat_hist_free(ts[i].h[p]);
		}
		free(ts);
	}
	free(req);
	request = NULL;
	if (rc)
		crr_result_free(r);
	return rc;
}
