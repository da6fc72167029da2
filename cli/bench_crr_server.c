/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench_crr_server: the `vtune bench crr --serve` side. One thread per
 * SO_REUSEPORT listener, each with its own epoll loop; a request is read, a
 * fixed HTTP/1.1 response written and the connection closed by the server. */
#include "bench_crr.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#define REQ_MAX 4096            /* longest request accepted */
#define PENDING_TIMEOUT_NS (10ull * 1000000000ull)
#define ACCEPT_BATCH 64

struct conn {
	int fd;
	int writing;             /* 0: reading the request, 1: writing */
	char *resp;              /* response being written */
	size_t resp_len, resp_off;
	int resp_owned;          /* resp was allocated for this connection */
	uint64_t deadline;       /* monotonic ns */
	struct conn *prev, *next;
	size_t rlen;
	char req[REQ_MAX];
};

struct worker {
	pthread_t tid;
	int lfd, efd, stopfd;
	uint64_t served, failed;
	struct conn head;        /* pending connections, oldest first */
	char scratch[REQ_MAX];
};

/* epoll tags for the two non-connection descriptors */
static char tag_listen, tag_stop;

static char *default_resp;
static size_t default_resp_len;
static unsigned max_size_served = CRR_MAX_SIZE;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int crr_response_header(char *buf, size_t cap, unsigned size)
{
	int n = snprintf(buf, cap,
			 "HTTP/1.1 200 OK\r\n"
			 "Content-Type: text/plain\r\n"
			 "Content-Length: %u\r\n"
			 "Connection: close\r\n"
			 "\r\n", size);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

/* A full response (header and body of 'x') in a new buffer. */
static char *build_response(unsigned size, size_t *len)
{
	char hdr[160];
	int h = crr_response_header(hdr, sizeof hdr, size);
	if (h < 0)
		return NULL;
	char *r = malloc((size_t)h + size);
	if (!r)
		return NULL;
	memcpy(r, hdr, (size_t)h);
	memset(r + h, 'x', size);
	*len = (size_t)h + size;
	return r;
}

/* Could buf be (the start of) an HTTP request? */
static int looks_http(const char *buf, size_t len)
{
	static const char *const methods[] = { "GET ", "HEAD ", "POST ", "PUT ",
		"DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE " };

	for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
		size_t n = strlen(methods[i]);
		if (!memcmp(buf, methods[i], len < n ? len : n))
			return 1;
	}
	return 0;
}

/* Is the request in buf complete? Then return 1 and the body size asked
 * for (-1: none) in *size. A request that does not start like an HTTP
 * method is a fixed-size request (netperf style): whatever arrived in one
 * read is all of it. */
static int request_complete(const char *buf, size_t len, long *size)
{
	*size = -1;
	if (!len)
		return 0;
	if (!looks_http(buf, len))
		return 1;
	if (!memmem(buf, len, "\r\n\r\n", 4))
		return 0;
	const char *eol = memchr(buf, '\r', len);
	const char *q = memchr(buf, '?', (size_t)(eol - buf));
	while (q && q < eol) {
		if (!strncmp(q + 1, "size=", 5)) {
			long v = 0;
			const char *d = q + 6;
			if (*d < '0' || *d > '9')
				break;
			for (; *d >= '0' && *d <= '9' && v <= CRR_MAX_SIZE; d++)
				v = v * 10 + (*d - '0');
			if (v <= CRR_MAX_SIZE)
				*size = v;
			break;
		}
		q = memchr(q + 1, '&', (size_t)(eol - q - 1));
	}
	return 1;
}

static void pending_unlink(struct conn *c)
{
	c->prev->next = c->next;
	c->next->prev = c->prev;
}

static void conn_free(struct worker *w, struct conn *c)
{
	pending_unlink(c);
	close(c->fd);
	if (c->resp_owned)
		free(c->resp);
	free(c);
	(void)w;
}

/* Write what is left of the response. 1 = done, 0 = would block, <0 error. */
static int write_rest(int fd, const char *buf, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t n = send(fd, buf + *off, len - *off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		*off += (size_t)n;
	}
	return 1;
}

/* Start answering: pick the response and write it. 1 = done, 0 = blocked
 * (resp/off set for later), <0 = error. */
static int respond(int fd, long size, char **resp, size_t *len, size_t *off,
		   int *owned)
{
	*owned = 0;
	*off = 0;
	if (size < 0 || (unsigned long)size > max_size_served) {
		*resp = default_resp;
		*len = default_resp_len;
	} else {
		*resp = build_response((unsigned)size, len);
		if (!*resp)
			return -ENOMEM;
		*owned = 1;
	}
	return write_rest(fd, *resp, *len, off);
}

static void conn_event(struct worker *w, struct conn *c)
{
	int rc;

	if (!c->writing) {
		for (;;) {
			ssize_t n = read(c->fd, c->req + c->rlen, REQ_MAX - c->rlen);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return;
			if (n <= 0)
				goto fail;
			c->rlen += (size_t)n;
			long size;
			if (request_complete(c->req, c->rlen, &size))
				break;
			if (c->rlen == REQ_MAX)
				goto fail;
		}
		long size;
		request_complete(c->req, c->rlen, &size);
		rc = respond(c->fd, size, &c->resp, &c->resp_len, &c->resp_off,
			     &c->resp_owned);
		c->writing = 1;
	} else {
		rc = write_rest(c->fd, c->resp, c->resp_len, &c->resp_off);
	}
	if (rc < 0)
		goto fail;
	if (rc == 0)
		return;              /* EPOLLOUT (edge) will come back */
	w->served++;
	conn_free(w, c);
	return;
fail:
	w->failed++;
	conn_free(w, c);
}

/* Park a connection that could not be answered at once. */
static void conn_park(struct worker *w, int fd, const char *data, size_t len,
		      int writing, char *resp, size_t resp_len, size_t resp_off,
		      int owned)
{
	struct conn *c = malloc(sizeof *c);
	if (!c) {
		if (owned)
			free(resp);
		close(fd);
		w->failed++;
		return;
	}
	c->fd = fd;
	c->writing = writing;
	c->resp = resp;
	c->resp_len = resp_len;
	c->resp_off = resp_off;
	c->resp_owned = owned;
	c->rlen = len;
	if (len)
		memcpy(c->req, data, len);
	c->deadline = now_ns() + PENDING_TIMEOUT_NS;
	c->next = &w->head;
	c->prev = w->head.prev;
	w->head.prev->next = c;
	w->head.prev = c;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP,
				  .data.ptr = c };
	if (epoll_ctl(w->efd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		w->failed++;
		conn_free(w, c);
	}
}

/* A fresh connection: with TCP_DEFER_ACCEPT the request is usually there
 * already, so answer without touching epoll. */
static void conn_new(struct worker *w, int fd)
{
	ssize_t n = read(fd, w->scratch, sizeof w->scratch);
	long size;

	if (n < 0 && errno == EAGAIN) {
		conn_park(w, fd, NULL, 0, 0, NULL, 0, 0, 0);
		return;
	}
	if (n <= 0) {
		w->failed++;
		close(fd);
		return;
	}
	if (!request_complete(w->scratch, (size_t)n, &size)) {
		if ((size_t)n == sizeof w->scratch) {
			w->failed++;
			close(fd);
			return;
		}
		conn_park(w, fd, w->scratch, (size_t)n, 0, NULL, 0, 0, 0);
		return;
	}
	char *resp;
	size_t len, off;
	int owned;
	int rc = respond(fd, size, &resp, &len, &off, &owned);
	if (rc == 0) {
		conn_park(w, fd, NULL, 0, 1, resp, len, off, owned);
		return;
	}
	if (owned)
		free(resp);
	if (rc < 0)
		w->failed++;
	else
		w->served++;
	close(fd);
}

static void accept_some(struct worker *w)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				log_warn("bench crr: accept: %s", strerror(errno));
			/* Out of descriptors: the listener stays readable, so
			 * back off instead of spinning until one is closed. */
			if (errno == EMFILE || errno == ENFILE)
				usleep(10000);
			return;
		}
		conn_new(w, fd);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[256];
	int stop = 0;

	while (!stop) {
		int timeout = w->head.next != &w->head ? 1000 : -1;
		int n = epoll_wait(w->efd, evs, 256, timeout);
		if (n < 0 && errno != EINTR) {
			log_err("bench crr: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &tag_listen)
				accept_some(w);
			else if (p == &tag_stop)
				stop = 1;
			else
				conn_event(w, p);
		}
		uint64_t now = now_ns();
		while (w->head.next != &w->head && w->head.next->deadline <= now) {
			w->failed++;
			conn_free(w, w->head.next);
		}
	}
	while (w->head.next != &w->head)
		conn_free(w, w->head.next);
	return NULL;
}

static int open_listener(const struct sockaddr *sa, socklen_t len)
{
	int one = 1, backlog = 65535, defer = 1;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
	    bind(fd, sa, len) < 0 || listen(fd, backlog) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	/* Not essential: wake the server only once the request is in. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
	return fd;
}

int crr_serve(const struct crr_server_opts *o)
{
	struct sockaddr_storage addr = o->addr;
	struct worker *ws = calloc(o->threads, sizeof *ws);
	unsigned started = 0, opened = 0;
	int stopfd = -1, rc = 0;
	sigset_t sigs, old;
	char where[80];

	if (!ws)
		return -ENOMEM;
	default_resp = build_response(o->size, &default_resp_len);
	if (!default_resp) {
		rc = -ENOMEM;
		goto out;
	}
	stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (stopfd < 0) {
		rc = -errno;
		goto out;
	}
	for (; opened < o->threads; opened++) {
		struct worker *w = &ws[opened];
		w->efd = -1;
		w->lfd = open_listener((struct sockaddr *)&addr, o->addrlen);
		if (w->lfd < 0) {
			rc = w->lfd;
			crr_format_addr((struct sockaddr *)&addr, where, sizeof where);
			fprintf(stderr, "vtune: bench crr: cannot listen on %s: %s\n",
				where, strerror(-rc));
			goto out;
		}
		if (opened == 0) {   /* port 0: the others share the chosen port */
			socklen_t l = sizeof addr;
			getsockname(w->lfd, (struct sockaddr *)&addr, &l);
		}
		w->head.next = w->head.prev = &w->head;
		w->stopfd = stopfd;
		w->efd = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event el = { .events = EPOLLIN, .data.ptr = &tag_listen };
		struct epoll_event es = { .events = EPOLLIN, .data.ptr = &tag_stop };
		if (w->efd < 0 ||
		    epoll_ctl(w->efd, EPOLL_CTL_ADD, w->lfd, &el) < 0 ||
		    epoll_ctl(w->efd, EPOLL_CTL_ADD, stopfd, &es) < 0) {
			rc = -errno;
			fprintf(stderr, "vtune: bench crr: epoll: %s\n", strerror(-rc));
			opened++;
			goto out;
		}
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	for (; started < o->threads; started++) {
		int e = pthread_create(&ws[started].tid, NULL, worker_main, &ws[started]);
		if (e) {
			rc = -e;
			fprintf(stderr, "vtune: bench crr: thread: %s\n", strerror(e));
			break;
		}
	}
	if (started == o->threads) {
		crr_format_addr((struct sockaddr *)&addr, where, sizeof where);
		printf("vtune bench crr: serving on %s, %u thread%s, body %u bytes\n",
		       where, o->threads, o->threads == 1 ? "" : "s", o->size);
		fflush(stdout);
		int sig;
		sigwait(&sigs, &sig);
	}
	uint64_t one = 1;
	if (write(stopfd, &one, sizeof one) < 0)
		rc = rc ? rc : -errno;
	uint64_t served = 0, failed = 0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(ws[i].tid, NULL);
		served += ws[i].served;
		failed += ws[i].failed;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (started)
		fprintf(stderr, "vtune bench crr: served %llu connections, %llu failed\n",
			(unsigned long long)served, (unsigned long long)failed);
out:
	for (unsigned i = 0; i < opened; i++) {
		if (ws[i].efd >= 0)
			close(ws[i].efd);
		if (ws[i].lfd >= 0)
			close(ws[i].lfd);
	}
	if (stopfd >= 0)
		close(stopfd);
	free(default_resp);
	default_resp = NULL;
	free(ws);
	return rc;
}
