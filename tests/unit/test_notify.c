/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_notify: the sd_notify datagrams reach $NOTIFY_SOCKET (a path and an
 * abstract socket), STATUS= is bounded, WATCHDOG_USEC/WATCHDOG_PID are read
 * strictly, and nothing happens without NOTIFY_SOCKET. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

struct sock {
	int fd;
	char dir[64];
	char name[128]; /* what goes into NOTIFY_SOCKET */
};

/* Bind a datagram socket: a file in a temporary directory, or an abstract
 * name ("@...") when abstract is set; point NOTIFY_SOCKET at it. */
static void sock_open(struct sock *s, int abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;

	memset(s, 0, sizeof *s);
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(s->fd >= 0);
	if (abstract) {
		snprintf(s->name, sizeof s->name, "@vtune-test-notify-%ld", (long)getpid());
		memcpy(sa.sun_path, s->name, strlen(s->name));
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(s->name));
	} else {
		snprintf(s->dir, sizeof s->dir, "/tmp/vtune-notify-XXXXXX");
		assert_non_null(mkdtemp(s->dir));
		snprintf(s->name, sizeof s->name, "%s/notify", s->dir);
		strcpy(sa.sun_path, s->name);
		len = sizeof sa;
	}
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", s->name, 1), 0);
}

static void sock_close(struct sock *s)
{
	close(s->fd);
	if (s->dir[0]) {
		unlink(s->name);
		rmdir(s->dir);
	}
	unsetenv("NOTIFY_SOCKET");
}

/* The next datagram as a string ("" when none is waiting). */
static const char *recv_one(struct sock *s)
{
	static char buf[1024];
	ssize_t n = recv(s->fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void check_messages(int abstract)
{
	struct sock s;
	sock_open(&s, abstract);
	notify_ready();
	assert_string_equal(recv_one(&s), "READY=1");
	notify_watchdog();
	assert_string_equal(recv_one(&s), "WATCHDOG=1");
	notify_status("%d guests, %s", 3, "policy default");
	assert_string_equal(recv_one(&s), "STATUS=3 guests, policy default");
	notify_reloading();
	assert_string_equal(recv_one(&s), "RELOADING=1");
	notify_stopping();
	assert_string_equal(recv_one(&s), "STOPPING=1");
	assert_string_equal(recv_one(&s), ""); /* one datagram per call */
	sock_close(&s);
}

static void test_path_socket(void **state)
{
	(void)state;
	check_messages(0);
}

static void test_abstract_socket(void **state)
{
	(void)state;
	check_messages(1);
}

static void test_status_bounded(void **state)
{
	struct sock s;
	char big[1000];
	(void)state;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sock_open(&s, 0);
	notify_status("two\nlines");
	assert_string_equal(recv_one(&s), "STATUS=two lines");
	notify_status("%s", big);
	const char *m = recv_one(&s);
	assert_int_equal(strlen(m), strlen("STATUS=") + 256);
	assert_int_equal(strncmp(m, "STATUS=xxx", 10), 0);
	sock_close(&s);
}

static void test_no_socket(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_send("READY=1"), -ENOENT);
	notify_ready(); /* a no-op, not a crash */
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(notify_send("READY=1"), -EINVAL);
	setenv("NOTIFY_SOCKET", "/nonexistent/vtune/notify", 1);
	assert_int_equal(notify_send("READY=1"), -ENOENT);
	unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_usec(void **state)
{
	uint64_t us = 0;
	char pid[32];
	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(notify_watchdog_usec(&us), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(notify_watchdog_usec(&us), 1);
	assert_int_equal(us, 30000000);
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_usec(&us), 1);
	snprintf(pid, sizeof pid, "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_usec(&us), 0); /* another process's */
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "30s", 1);
	assert_int_equal(notify_watchdog_usec(&us), -EINVAL);
	setenv("WATCHDOG_USEC", "0", 1);
	assert_int_equal(notify_watchdog_usec(&us), -EINVAL);
	setenv("WATCHDOG_USEC", "-5", 1);
	assert_int_equal(notify_watchdog_usec(&us), -EINVAL);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_status_bounded),
		cmocka_unit_test(test_no_socket),
		cmocka_unit_test(test_watchdog_usec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
