/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_event: libvirt event-impl callbacks on an epoll fd plus a timerfd,
 * driven by kvm_event_run() from the daemon's own loop. */
#include "kvm_event.h"
#include "vec.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct ev_handle {
	int id, fd, events, deleted;
	virEventHandleCallback cb;
	void *opaque;
	virFreeCallback ff;
};

struct ev_timer {
	int id, freq, deleted;
	uint64_t due_ns;
	virEventTimeoutCallback cb;
	void *opaque;
	virFreeCallback ff;
};

static struct {
	pthread_mutex_t mu;
	int init_rc, inited;
	int epfd, tfd, next_id;
	struct ev_handle *h;
	size_t nh, caph;
	struct ev_timer *t;
	size_t nt, capt;
} ev = { .mu = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .tfd = -1, .next_id = 1 };

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t to_epoll(int e)
{
	uint32_t r = 0;
	if (e & VIR_EVENT_HANDLE_READABLE)
		r |= EPOLLIN;
	if (e & VIR_EVENT_HANDLE_WRITABLE)
		r |= EPOLLOUT;
	return r;
}

static short to_poll(int e)
{
	short r = 0;
	if (e & VIR_EVENT_HANDLE_READABLE)
		r |= POLLIN;
	if (e & VIR_EVENT_HANDLE_WRITABLE)
		r |= POLLOUT;
	return r;
}

static int from_poll(short r)
{
	int e = 0;
	if (r & POLLIN)
		e |= VIR_EVENT_HANDLE_READABLE;
	if (r & POLLOUT)
		e |= VIR_EVENT_HANDLE_WRITABLE;
	if (r & POLLERR)
		e |= VIR_EVENT_HANDLE_ERROR;
	if (r & POLLHUP)
		e |= VIR_EVENT_HANDLE_HANGUP;
	return e;
}

/* Make the epoll set watch fd for the union of its live handles' events.
 * Called with the lock held. A handle with no events is not watched (epoll
 * would still report hang-ups for it and spin). */
static void sync_fd(int fd)
{
	uint32_t mask = 0;
	for (size_t i = 0; i < ev.nh; i++)
		if (!ev.h[i].deleted && ev.h[i].fd == fd)
			mask |= to_epoll(ev.h[i].events);
	if (!mask) {
		epoll_ctl(ev.epfd, EPOLL_CTL_DEL, fd, NULL);
		return;
	}
	struct epoll_event e = { .events = mask, .data.fd = fd };
	if (epoll_ctl(ev.epfd, EPOLL_CTL_MOD, fd, &e) && errno == ENOENT)
		epoll_ctl(ev.epfd, EPOLL_CTL_ADD, fd, &e);
}

/* Arm the timerfd for the earliest enabled timeout. Lock held. */
static void arm(void)
{
	uint64_t due = UINT64_MAX;
	for (size_t i = 0; i < ev.nt; i++)
		if (!ev.t[i].deleted && ev.t[i].freq >= 0 && ev.t[i].due_ns < due)
			due = ev.t[i].due_ns;
	struct itimerspec its;
	memset(&its, 0, sizeof its);
	if (due != UINT64_MAX) {
		if (due == 0)
			due = 1; /* 0 would disarm */
		its.it_value.tv_sec = (time_t)(due / 1000000000u);
		its.it_value.tv_nsec = (long)(due % 1000000000u);
	}
	timerfd_settime(ev.tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int add_handle(int fd, int events, virEventHandleCallback cb, void *opaque,
		      virFreeCallback ff)
{
	int id = -1;
	pthread_mutex_lock(&ev.mu);
	if (VEC_RESERVE(ev.h, ev.caph, ev.nh + 1))
		goto out;
	id = ev.next_id++;
	ev.h[ev.nh++] = (struct ev_handle){ .id = id, .fd = fd, .events = events,
					    .cb = cb, .opaque = opaque, .ff = ff };
	sync_fd(fd);
out:
	pthread_mutex_unlock(&ev.mu);
	return id;
}

static struct ev_handle *find_handle(int id)
{
	for (size_t i = 0; i < ev.nh; i++)
		if (ev.h[i].id == id && !ev.h[i].deleted)
			return &ev.h[i];
	return NULL;
}

static struct ev_timer *find_timer(int id)
{
	for (size_t i = 0; i < ev.nt; i++)
		if (ev.t[i].id == id && !ev.t[i].deleted)
			return &ev.t[i];
	return NULL;
}

static void update_handle(int id, int events)
{
	pthread_mutex_lock(&ev.mu);
	struct ev_handle *h = find_handle(id);
	if (h) {
		h->events = events;
		sync_fd(h->fd);
	}
	pthread_mutex_unlock(&ev.mu);
}

static int remove_handle(int id)
{
	int rc = -1;
	pthread_mutex_lock(&ev.mu);
	struct ev_handle *h = find_handle(id);
	if (h) {
		h->deleted = 1;
		sync_fd(h->fd);
		rc = 0;
	}
	pthread_mutex_unlock(&ev.mu);
	return rc;
}

int kvm_event_add_timeout(int freq, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff)
{
	int id = -1;
	pthread_mutex_lock(&ev.mu);
	if (VEC_RESERVE(ev.t, ev.capt, ev.nt + 1))
		goto out;
	id = ev.next_id++;
	ev.t[ev.nt++] = (struct ev_timer){ .id = id, .freq = freq, .cb = cb, .opaque = opaque,
					   .ff = ff,
					   .due_ns = mono_ns() + (uint64_t)(freq > 0 ? freq : 0) * 1000000u };
	arm();
out:
	pthread_mutex_unlock(&ev.mu);
	return id;
}

void kvm_event_update_timeout(int id, int freq)
{
	pthread_mutex_lock(&ev.mu);
	struct ev_timer *t = find_timer(id);
	if (t) {
		t->freq = freq;
		t->due_ns = mono_ns() + (uint64_t)(freq > 0 ? freq : 0) * 1000000u;
		arm();
	}
	pthread_mutex_unlock(&ev.mu);
}

int kvm_event_remove_timeout(int id)
{
	int rc = -1;
	pthread_mutex_lock(&ev.mu);
	struct ev_timer *t = find_timer(id);
	if (t) {
		t->deleted = 1;
		arm();
		rc = 0;
	}
	pthread_mutex_unlock(&ev.mu);
	return rc;
}

int kvm_event_init(void)
{
	pthread_mutex_lock(&ev.mu);
	if (ev.inited) {
		pthread_mutex_unlock(&ev.mu);
		return ev.init_rc;
	}
	ev.inited = 1;
	ev.epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ev.epfd < 0 || ev.tfd < 0) {
		ev.init_rc = -errno;
		goto out;
	}
	struct epoll_event e = { .events = EPOLLIN, .data.fd = ev.tfd };
	if (epoll_ctl(ev.epfd, EPOLL_CTL_ADD, ev.tfd, &e)) {
		ev.init_rc = -errno;
		goto out;
	}
out:
	pthread_mutex_unlock(&ev.mu);
	if (!ev.init_rc)
		virEventRegisterImpl(add_handle, update_handle, remove_handle,
				     kvm_event_add_timeout, kvm_event_update_timeout,
				     kvm_event_remove_timeout);
	return ev.init_rc;
}

int kvm_event_fd(void)
{
	return ev.inited && !ev.init_rc ? ev.epfd : -1;
}

int kvm_event_next_timeout_ms(void)
{
	uint64_t due = UINT64_MAX, now = mono_ns();
	pthread_mutex_lock(&ev.mu);
	for (size_t i = 0; i < ev.nt; i++)
		if (!ev.t[i].deleted && ev.t[i].freq >= 0 && ev.t[i].due_ns < due)
			due = ev.t[i].due_ns;
	pthread_mutex_unlock(&ev.mu);
	if (due == UINT64_MAX)
		return -1;
	return due <= now ? 0 : (int)((due - now + 999999) / 1000000);
}

/* Drop removed entries and run their free callbacks, outside the lock. */
void kvm_event_purge(void)
{
	struct { virFreeCallback ff; void *opaque; } fr[64];
	size_t nf;
	do {
		nf = 0;
		pthread_mutex_lock(&ev.mu);
		size_t o = 0;
		for (size_t i = 0; i < ev.nh; i++) {
			if (ev.h[i].deleted && nf < 64) {
				if (ev.h[i].ff)
					fr[nf].ff = ev.h[i].ff, fr[nf++].opaque = ev.h[i].opaque;
				continue;
			}
			ev.h[o++] = ev.h[i];
		}
		ev.nh = o;
		o = 0;
		for (size_t i = 0; i < ev.nt; i++) {
			if (ev.t[i].deleted && nf < 64) {
				if (ev.t[i].ff)
					fr[nf].ff = ev.t[i].ff, fr[nf++].opaque = ev.t[i].opaque;
				continue;
			}
			ev.t[o++] = ev.t[i];
		}
		ev.nt = o;
		pthread_mutex_unlock(&ev.mu);
		for (size_t i = 0; i < nf; i++)
			fr[i].ff(fr[i].opaque);
	} while (nf == 64);
}

int kvm_event_run(void)
{
	if (kvm_event_fd() < 0)
		return -ENOTCONN;
	uint64_t exp;
	while (read(ev.tfd, &exp, sizeof exp) > 0)
		;

	/* Handles: poll a snapshot for exact readiness, then call back the ones
	 * that are still registered. */
	struct pollfd *pf = NULL;
	int *ids = NULL;
	size_t n = 0;
	pthread_mutex_lock(&ev.mu);
	if (ev.nh) {
		pf = calloc(ev.nh, sizeof *pf);
		ids = calloc(ev.nh, sizeof *ids);
	}
	for (size_t i = 0; pf && ids && i < ev.nh; i++) {
		if (ev.h[i].deleted || !to_poll(ev.h[i].events))
			continue;
		pf[n].fd = ev.h[i].fd;
		pf[n].events = to_poll(ev.h[i].events);
		ids[n++] = ev.h[i].id;
	}
	pthread_mutex_unlock(&ev.mu);
	if (n && poll(pf, n, 0) > 0) {
		for (size_t i = 0; i < n; i++) {
			if (!pf[i].revents)
				continue;
			pthread_mutex_lock(&ev.mu);
			struct ev_handle *h = find_handle(ids[i]);
			virEventHandleCallback cb = h ? h->cb : NULL;
			void *opaque = h ? h->opaque : NULL;
			int fd = h ? h->fd : -1;
			pthread_mutex_unlock(&ev.mu);
			if (cb)
				cb(ids[i], fd, from_poll(pf[i].revents), opaque);
		}
	}
	free(pf);
	free(ids);

	/* Timeouts that are due now; each fires at most once per run. */
	uint64_t now = mono_ns();
	int due[64];
	size_t nd = 0;
	pthread_mutex_lock(&ev.mu);
	for (size_t i = 0; i < ev.nt && nd < 64; i++)
		if (!ev.t[i].deleted && ev.t[i].freq >= 0 && ev.t[i].due_ns <= now)
			due[nd++] = ev.t[i].id;
	pthread_mutex_unlock(&ev.mu);
	for (size_t i = 0; i < nd; i++) {
		pthread_mutex_lock(&ev.mu);
		struct ev_timer *t = find_timer(due[i]);
		virEventTimeoutCallback cb = NULL;
		void *opaque = NULL;
		if (t && t->freq >= 0) {
			t->due_ns = now + (uint64_t)t->freq * 1000000u;
			cb = t->cb;
			opaque = t->opaque;
		}
		pthread_mutex_unlock(&ev.mu);
		if (cb)
			cb(due[i], opaque);
	}
	kvm_event_purge();
	pthread_mutex_lock(&ev.mu);
	arm();
	pthread_mutex_unlock(&ev.mu);
	return 0;
}
