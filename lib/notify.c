/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify: the sd_notify(3) protocol without libsystemd: one AF_UNIX datagram
 * of "KEY=VALUE" lines to the socket named by $NOTIFY_SOCKET. */
#include "notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "parse.h"

int notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len, n;
	int fd, r = 0;

	if (!path || !*path)
		return -ENOENT;
	len = strlen(path);
	/* '@' names an abstract socket (leading NUL byte); else an absolute path */
	if ((path[0] != '@' && path[0] != '/') || len >= sizeof sa.sun_path)
		return -EINVAL;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = strlen(state);
	if (sendto(fd, state, n, MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) != (ssize_t)n)
		r = -errno;
	close(fd);
	return r;
}

void notify_ready(void)
{
	(void)notify_send("READY=1");
}

void notify_reloading(void)
{
	(void)notify_send("RELOADING=1");
}

void notify_stopping(void)
{
	(void)notify_send("STOPPING=1");
}

void notify_watchdog(void)
{
	(void)notify_send("WATCHDOG=1");
}

void notify_status(const char *fmt, ...)
{
	char buf[7 + 256 + 1] = "STATUS=";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + 7, sizeof buf - 7, fmt, ap);
	va_end(ap);
	for (char *p = buf + 7; *p; p++)
		if (*p == '\n')
			*p = ' ';
	(void)notify_send(buf);
}

int notify_watchdog_usec(uint64_t *usec)
{
	const char *us = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	uint64_t v;

	if (!us || !*us)
		return 0;
	if (pid && *pid) {
		if (parse_u64(pid, &v) < 0 || v == 0)
			return -EINVAL;
		if (v != (uint64_t)getpid())
			return 0; /* meant for another process */
	}
	if (parse_u64(us, &v) < 0 || v == 0)
		return -EINVAL;
	*usec = v;
	return 1;
}
