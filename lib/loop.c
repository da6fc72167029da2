/* SPDX-License-Identifier: GPL-2.0-or-later */
/* loop: the epoll loop of vtune-hostd with fd handlers and one-shot timers
 * (a small array: the daemon keeps only a few timers). */
#include "loop.h"
#include "vclock.h"
#include "vec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 64
#define LOOP_MAX_DRAIN 16384 /* events served per wake after a batching sleep */

struct fdh {
	loop_fd_fn fn;
	void *arg;
	uint32_t gen; /* 0: free slot */
};

struct timer {
	int id;
	uint64_t at;
	loop_timer_fn fn;
	void *arg;
};

struct loop {
	int ep;
	struct fdh *fds; /* indexed by fd, all nfds of them initialised */
	size_t nfds;
	uint32_t gen;
	struct timer *timers;
	size_t ntimers, captimers;
	int next_id;
	int stop;
	uint64_t batch_ns;  /* see loop_set_batch */
	uint64_t last_wake; /* CLOCK_MONOTONIC of the last wake with fd events, 0: none */
	int dense;	    /* events come fast enough to batch (see loop_run_once) */
};

struct loop *loop_new(int *err)
{
	struct loop *l = calloc(1, sizeof *l);
	if (!l) {
		*err = -ENOMEM;
		return NULL;
	}
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0) {
		*err = -errno;
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->ep);
	free(l->fds);
	free(l->timers);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
	if (fd < 0 || !fn)
		return -EINVAL;
	if ((size_t)fd >= l->nfds) {
		size_t old = l->nfds;
		int r = VEC_RESERVE(l->fds, l->nfds, (size_t)fd + 1);
		if (r)
			return r;
		memset(l->fds + old, 0, (l->nfds - old) * sizeof *l->fds);
	}
	if (l->fds[fd].gen)
		return -EEXIST;
	if (++l->gen == 0)
		l->gen = 1;
	struct epoll_event ev = { .events = events };
	ev.data.u64 = (uint64_t)(unsigned)fd | (uint64_t)l->gen << 32;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->fds[fd] = (struct fdh){ fn, arg, l->gen };
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].gen)
		return -ENOENT;
	struct epoll_event ev = { .events = events };
	ev.data.u64 = (uint64_t)(unsigned)fd | (uint64_t)l->fds[fd].gen << 32;
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].gen)
		return -ENOENT;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	l->fds[fd].gen = 0;
	return 0;
}

int loop_timer_add(struct loop *l, uint64_t at_ns, loop_timer_fn fn, void *arg)
{
	int r = VEC_RESERVE(l->timers, l->captimers, l->ntimers + 1);
	if (r)
		return r;
	if (++l->next_id <= 0)
		l->next_id = 1;
	l->timers[l->ntimers++] = (struct timer){ l->next_id, at_ns, fn, arg };
	return l->next_id;
}

void loop_timer_cancel(struct loop *l, int id)
{
	for (size_t i = 0; i < l->ntimers; i++) {
		if (l->timers[i].id == id) {
			l->timers[i] = l->timers[--l->ntimers];
			return;
		}
	}
}

/* Run one due timer (earliest first); 1 if one ran. */
static int run_due_timer(struct loop *l, uint64_t now)
{
	size_t best = l->ntimers;
	for (size_t i = 0; i < l->ntimers; i++)
		if (l->timers[i].at <= now &&
		    (best == l->ntimers || l->timers[i].at < l->timers[best].at))
			best = i;
	if (best == l->ntimers)
		return 0;
	struct timer t = l->timers[best];
	l->timers[best] = l->timers[--l->ntimers];
	t.fn(t.arg);
	return 1;
}

void loop_set_batch(struct loop *l, uint64_t batch_ns)
{
	l->batch_ns = batch_ns;
}

/* Batching is about real time, also when tests fake vclock. */
static uint64_t real_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int loop_run_once(struct loop *l, int max_wait_ms)
{
	uint64_t now = vclock_mono_ns();
	int wait = max_wait_ms;
	for (size_t i = 0; i < l->ntimers; i++) {
		uint64_t at = l->timers[i].at;
		int ms = at <= now ? 0 : (int)((at - now + 999999) / 1000000 > 3600000 ? 3600000 : (at - now + 999999) / 1000000);
		if (wait < 0 || ms < wait)
			wait = ms;
	}
	int slept = 0;
	if (l->batch_ns && l->dense && wait != 0) {
		uint64_t since = real_mono_ns() - l->last_wake;
		if (since < l->batch_ns) {
			uint64_t d = l->batch_ns - since;
			if (wait > 0 && d > (uint64_t)wait * 1000000)
				d = (uint64_t)wait * 1000000;
			struct timespec ts = { (time_t)(d / 1000000000), (long)(d % 1000000000) };
			nanosleep(&ts, NULL);
			slept = 1;
			wait = 0; /* what came meanwhile, or back to waiting next round */
		}
	}
	struct epoll_event ev[LOOP_MAX_EVENTS];
	int n = epoll_wait(l->ep, ev, LOOP_MAX_EVENTS, wait);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	int total = n;
	/* Batching pays when a window gathers several events: start when wakes
	 * (one event each) come less than a third of a window apart, go on
	 * while a window gathers three or more. */
	if (total > 0 && l->batch_ns) {
		uint64_t t = real_mono_ns();
		l->dense = slept ? total >= 3 : l->last_wake && t - l->last_wake < l->batch_ns / 3;
		l->last_wake = t;
	} else if (total == 0) {
		l->dense = 0;
	}
	for (;;) {
		for (int i = 0; i < n && !l->stop; i++) {
			int fd = (int)(ev[i].data.u64 & 0xffffffffu);
			uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
			if (fd < 0 || (size_t)fd >= l->nfds || l->fds[fd].gen != gen)
				continue; /* removed by an earlier handler of this batch */
			l->fds[fd].fn(l->fds[fd].arg, fd, ev[i].events);
		}
		/* After a batching sleep everything ready is served before the
		 * next sleep, or a full array per window would cap the rate. */
		if (!slept || n < LOOP_MAX_EVENTS || l->stop || total >= LOOP_MAX_DRAIN)
			break;
		n = epoll_wait(l->ep, ev, LOOP_MAX_EVENTS, 0);
		if (n <= 0)
			break;
		total += n;
	}
	now = vclock_mono_ns();
	/* Bound the timers run per round so a handler that re-adds a due
	 * timer cannot spin here. */
	for (int k = 0; k < 64 && !l->stop && run_due_timer(l, now); k++)
		;
	return 0;
}

int loop_run(struct loop *l)
{
	l->stop = 0;
	while (!l->stop) {
		int r = loop_run_once(l, -1);
		if (r < 0)
			return r;
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}
