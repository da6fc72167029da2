/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_kvm_event: libvirt's event loop served by one epoll fd, driven
 * through libvirt's own virEvent* calls on pipes and socketpairs (no
 * hypervisor, no connection): handles called when their fd is ready and
 * only for the events asked, several handles on one fd, timeouts (every
 * run, disabled, due later), free callbacks run after a remove and never
 * inside it, and the calls before kvm_event_init. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kvm_event.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What the callbacks saw. */
static struct {
	int calls, last_id, last_fd, last_events;
	void *last_opaque;
	int tcalls, last_tid;
	int freed;
	void *freed_opaque;
	int remove_self;  /* the handle callback removes its own handle */
	int freed_in_cb;  /* the free callback ran inside a handle callback */
	int in_cb;
} seen;

static void on_handle(int watch, int fd, int events, void *opaque)
{
	seen.in_cb = 1;
	seen.calls++;
	seen.last_id = watch;
	seen.last_fd = fd;
	seen.last_events = events;
	seen.last_opaque = opaque;
	if (seen.remove_self)
		assert_int_equal(virEventRemoveHandle(watch), 0);
	seen.in_cb = 0;
}

static void on_timeout(int timer, void *opaque)
{
	(void)opaque;
	seen.tcalls++;
	seen.last_tid = timer;
}

static void on_free(void *opaque)
{
	seen.freed++;
	seen.freed_opaque = opaque;
	if (seen.in_cb)
		seen.freed_in_cb = 1;
}

/* Is the epoll fd readable within ms? */
static int ready(int ms)
{
	struct pollfd p = { kvm_event_fd(), POLLIN, 0 };
	return poll(&p, 1, ms) == 1;
}

static void reset(void)
{
	memset(&seen, 0, sizeof seen);
}

/* Runs first: nothing registered yet. */
static void test_before_init(void **state)
{
	(void)state;
	assert_int_equal(kvm_event_fd(), -1);
	assert_int_equal(kvm_event_run(), -ENOTCONN);
	assert_int_equal(kvm_event_next_timeout_ms(), -1);
	/* libvirt has no implementation: its calls fail */
	assert_int_equal(virEventAddTimeout(0, on_timeout, NULL, NULL), -1);
}

static void test_init(void **state)
{
	(void)state;
	assert_int_equal(kvm_event_init(), 0);
	int fd = kvm_event_fd();
	assert_true(fd >= 0);
	assert_int_equal(kvm_event_init(), 0); /* once per process: the same */
	assert_int_equal(kvm_event_fd(), fd);
	assert_false(ready(0));
	assert_int_equal(kvm_event_run(), 0); /* nothing to do */
}

static void test_handle(void **state)
{
	(void)state;
	int p[2], opaque = 7;
	char c;
	reset();
	assert_int_equal(pipe(p), 0);
	int id = virEventAddHandle(p[0], VIR_EVENT_HANDLE_READABLE, on_handle, &opaque, on_free);
	assert_true(id > 0);
	assert_false(ready(0));
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.calls, 0); /* not ready: not called */

	assert_int_equal(write(p[1], "x", 1), 1);
	assert_true(ready(0));
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.last_id, id);
	assert_int_equal(seen.last_fd, p[0]);
	assert_int_equal(seen.last_events, VIR_EVENT_HANDLE_READABLE);
	assert_ptr_equal(seen.last_opaque, &opaque);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_false(ready(0));
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.calls, 1);

	/* no events asked: neither watched nor called, even with data */
	virEventUpdateHandle(id, 0);
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_false(ready(0));
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.calls, 1);
	virEventUpdateHandle(id, VIR_EVENT_HANDLE_READABLE);
	assert_true(ready(0));
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(read(p[0], &c, 1), 1);

	/* the other end closed: a hang-up */
	close(p[1]);
	assert_true(ready(0));
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.calls, 3);
	assert_true(seen.last_events & VIR_EVENT_HANDLE_HANGUP);

	/* removed: never called again; its free callback runs at the next run */
	assert_int_equal(virEventRemoveHandle(id), 0);
	assert_int_equal(seen.freed, 0);
	assert_int_equal(virEventRemoveHandle(id), -1); /* once */
	assert_int_equal(virEventRemoveHandle(9999), -1);
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.calls, 3);
	assert_int_equal(seen.freed, 1);
	assert_ptr_equal(seen.freed_opaque, &opaque);
	assert_false(ready(0));
	close(p[0]);
}

/* Two handles on one fd: the fd is watched for the union of their events,
 * each is called for its own. */
static void test_shared_fd(void **state)
{
	(void)state;
	int sv[2];
	reset();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int rd = virEventAddHandle(sv[0], VIR_EVENT_HANDLE_READABLE, on_handle, NULL, NULL);
	int wr = virEventAddHandle(sv[0], VIR_EVENT_HANDLE_WRITABLE, on_handle, NULL, NULL);
	assert_true(rd > 0 && wr > 0 && rd != wr);
	assert_true(ready(0)); /* writable at once */
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.last_id, wr);
	assert_int_equal(seen.last_events, VIR_EVENT_HANDLE_WRITABLE);
	/* the writer gone, only readability is watched */
	assert_int_equal(virEventRemoveHandle(wr), 0);
	assert_int_equal(kvm_event_run(), 0);
	assert_false(ready(0));
	assert_int_equal(seen.calls, 1);
	assert_int_equal(write(sv[1], "z", 1), 1);
	assert_true(ready(0));
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.last_id, rd);
	assert_int_equal(virEventRemoveHandle(rd), 0);
	kvm_event_purge();
	close(sv[0]);
	close(sv[1]);
}

/* A callback that removes its own handle: the free callback runs after it
 * returns, not inside the remove. */
static void test_remove_in_callback(void **state)
{
	(void)state;
	int p[2], opaque = 3;
	reset();
	assert_int_equal(pipe(p), 0);
	int id = virEventAddHandle(p[0], VIR_EVENT_HANDLE_READABLE, on_handle, &opaque, on_free);
	assert_true(id > 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	seen.remove_self = 1;
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.freed, 1);
	assert_int_equal(seen.freed_in_cb, 0);
	assert_false(ready(0)); /* data still there, but no handle */
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.calls, 1);
	close(p[0]);
	close(p[1]);
}

static void test_timeouts(void **state)
{
	(void)state;
	int opaque = 5;
	reset();
	assert_int_equal(kvm_event_next_timeout_ms(), -1);
	/* disabled: never due */
	int off = virEventAddTimeout(-1, on_timeout, NULL, NULL);
	assert_true(off > 0);
	assert_int_equal(kvm_event_next_timeout_ms(), -1);
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.tcalls, 0);

	/* 0: every run, once per run */
	int every = virEventAddTimeout(0, on_timeout, &opaque, on_free);
	assert_true(every > 0);
	assert_int_equal(kvm_event_next_timeout_ms(), 0);
	assert_true(ready(100));
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.tcalls, 1);
	assert_int_equal(seen.last_tid, every);
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.tcalls, 2);

	/* due in 50 ms: not before, then the epoll fd says so */
	virEventUpdateTimeout(every, 50);
	int ms = kvm_event_next_timeout_ms();
	assert_true(ms > 0 && ms <= 50);
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.tcalls, 2);
	assert_true(ready(1000));
	assert_int_equal(kvm_event_next_timeout_ms(), 0);
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.tcalls, 3);
	ms = kvm_event_next_timeout_ms(); /* rescheduled 50 ms on */
	assert_true(ms > 0 && ms <= 50);

	/* the disabled one enabled: due at once */
	virEventUpdateTimeout(off, 0);
	assert_int_equal(kvm_event_next_timeout_ms(), 0);
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.tcalls, 4);
	assert_int_equal(seen.last_tid, off);

	/* removed: never again, the free callback at the purge */
	assert_int_equal(virEventRemoveTimeout(every), 0);
	assert_int_equal(virEventRemoveTimeout(every), -1);
	assert_int_equal(virEventRemoveTimeout(off), 0);
	assert_int_equal(seen.freed, 0);
	assert_int_equal(kvm_event_next_timeout_ms(), -1);
	kvm_event_purge();
	assert_int_equal(seen.freed, 1);
	assert_ptr_equal(seen.freed_opaque, &opaque);
	assert_false(ready(100));
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.tcalls, 4);
	/* an unknown id changes nothing */
	virEventUpdateTimeout(9999, 0);
	assert_int_equal(kvm_event_next_timeout_ms(), -1);
}

/* The backend's own timers use the same calls directly. */
static void test_direct_timeout(void **state)
{
	(void)state;
	reset();
	int id = kvm_event_add_timeout(0, on_timeout, NULL, on_free);
	assert_true(id > 0);
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.tcalls, 1);
	kvm_event_update_timeout(id, -1);
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.tcalls, 1);
	assert_int_equal(kvm_event_remove_timeout(id), 0);
	assert_int_equal(kvm_event_remove_timeout(id), -1);
	assert_int_equal(kvm_event_run(), 0);
	assert_int_equal(seen.freed, 1);
}

int main(void)
{
	/* in this order: the first runs before kvm_event_init */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_init),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_handle),
		cmocka_unit_test(test_shared_fd),
		cmocka_unit_test(test_remove_in_callback),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_direct_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
