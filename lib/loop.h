/* SPDX-License-Identifier: GPL-2.0-or-later */
/* loop: the one event loop of vtune-hostd: file descriptor handlers on
 * epoll and timers on the monotonic clock (vclock), in one thread. */
#ifndef VTUNE_LOOP_H
#define VTUNE_LOOP_H

#include <stdint.h>

struct loop;

/* events: EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP bits as epoll gives them. */
typedef void (*loop_fd_fn)(void *arg, int fd, uint32_t events);
typedef void (*loop_timer_fn)(void *arg);

/* A new loop, or NULL with -errno in *err. */
struct loop *loop_new(int *err);
/* Free the loop (not the fds it watched). NULL is fine. */
void loop_free(struct loop *l);

/* Watch fd for events (EPOLLIN/EPOLLOUT), calling fn(arg, fd, events).
 * One handler per fd. Returns 0, -EEXIST or -errno from epoll. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg);
/* Change the events watched on fd. 0, -ENOENT or -errno. */
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
/* Stop watching fd (call before closing it; safe from inside a handler:
 * events already collected for it are dropped). 0 or -ENOENT. */
int loop_del_fd(struct loop *l, int fd);

/* Call fn(arg) once at mono time at_ns (vclock_mono_ns). Returns a timer id
 * (> 0) or -ENOMEM. */
int loop_timer_add(struct loop *l, uint64_t at_ns, loop_timer_fn fn, void *arg);
/* Cancel a pending timer; unknown ids are ignored. */
void loop_timer_cancel(struct loop *l, int id);

/* Under load, wake at most once per batch_ns (0: off, the default): while
 * fd events come fast (wakes less than batch_ns / 3 apart, then three or
 * more events per batch), sleep out the rest of batch_ns before waiting
 * again, so one wake serves many guests. Adds at most batch_ns to handling
 * an event; sparse traffic is handled at once, without the extra sleep. */
void loop_set_batch(struct loop *l, uint64_t batch_ns);

/* Wait for events (at most max_wait_ms, -1: until the next timer) and run
 * the handlers and due timers once. Returns 0 or -errno (EINTR is 0). */
int loop_run_once(struct loop *l, int max_wait_ms);
/* Run until loop_stop. Returns 0 or -errno of a failed wait. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
