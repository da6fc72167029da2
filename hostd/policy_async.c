/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_async: one loader thread at a time, its end signalled to the
 * loop through an eventfd (see policy_async.h). */
#include "policy_async.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct pol_async {
	struct loop *loop;
	int efd;	    /* eventfd: the thread is done */
	int running;
	pthread_t th;
	char *path;
	struct act_where where;
	struct pol_set *set; /* the thread's result */
	struct pol_diag diag;
	pol_async_fn done;
	void *arg;
};

static void *work(void *p)
{
	struct pol_async *pa = p;
	uint64_t one = 1;
	pol_diag_init(&pa->diag);
	pa->set = act_load_policy(pa->path, &pa->where, &pa->diag);
	while (write(pa->efd, &one, sizeof one) < 0 && errno == EINTR)
		;
	return NULL;
}

/* The loop side: join, hand over the result. */
static void finished(void *arg, int fd, uint32_t events)
{
	struct pol_async *pa = arg;
	uint64_t n;
	(void)events;
	if (read(fd, &n, sizeof n) < 0)
		return;
	pthread_join(pa->th, NULL);
	pa->running = 0;
	struct pol_set *s = pa->set;
	pa->set = NULL;
	pa->done(pa->arg, s, &pa->diag);
	pol_diag_free(&pa->diag);
}

int pol_async_start(struct pol_async **ppa, struct loop *l, const char *path,
		    const struct act_where *where, pol_async_fn done, void *arg)
{
	struct pol_async *pa = *ppa;
	int r;
	if (pa && pa->running)
		return -EBUSY;
	if (!pa) {
		if (!(pa = calloc(1, sizeof *pa)))
			return -ENOMEM;
		pa->loop = l;
		pa->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (pa->efd < 0 || (r = loop_add_fd(l, pa->efd, EPOLLIN, finished, pa)) < 0) {
			r = pa->efd < 0 ? -errno : r;
			if (pa->efd >= 0)
				close(pa->efd);
			free(pa);
			return r;
		}
		*ppa = pa;
	}
	free(pa->path);
	if (!(pa->path = strdup(path)))
		return -ENOMEM;
	pa->where = *where;
	pa->done = done;
	pa->arg = arg;
	r = pthread_create(&pa->th, NULL, work, pa);
	if (r)
		return -r;
	pa->running = 1;
	return 0;
}

int pol_async_busy(const struct pol_async *pa)
{
	return pa && pa->running;
}

void pol_async_free(struct pol_async *pa)
{
	if (!pa)
		return;
	if (pa->running) {
		pthread_join(pa->th, NULL);
		pol_set_free(pa->set);
		pol_diag_free(&pa->diag);
	}
	loop_del_fd(pa->loop, pa->efd);
	close(pa->efd);
	free(pa->path);
	free(pa);
}
