/* SPDX-License-Identifier: GPL-2.0-or-later */
/* actl: the agent's control socket (see actl.h): accepted, read and
 * answered in the agent's loop, one short-lived client at a time. */
#include "actl.h"
#include "log.h"
#include "unix_listen.h"
#include "vclock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct actl {
	int fd;
	char path[108];
	actl_fn fn;
	void *arg;
};

struct actl *actl_open(const char *path, actl_fn fn, void *arg, int *err)
{
	int fd = unix_listen(path, 4);
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	struct actl *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		unlink(path);
		*err = -ENOMEM;
		return NULL;
	}
	c->fd = fd;
	c->fn = fn;
	c->arg = arg;
	snprintf(c->path, sizeof c->path, "%s", path);
	return c;
}

void actl_close(struct actl *c)
{
	if (!c)
		return;
	close(c->fd);
	unlink(c->path);
	free(c);
}

/* Wait for ev on fd until deadline; 1 ready, 0 not in time. */
static int ready(int fd, short ev, uint64_t deadline)
{
	uint64_t now = vclock_mono_ns();
	if (now >= deadline)
		return 0;
	struct pollfd p = { .fd = fd, .events = ev };
	return poll(&p, 1, (int)((deadline - now) / 1000000 + 1)) > 0;
}

/* One client: its request line, the answer, closed. */
static void one_client(struct actl *c, int fd)
{
	struct ucred cr;
	socklen_t sl = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) < 0 ||
	    (cr.uid != 0 && cr.uid != getuid())) {
		log_warn("control: refused a client (uid %d): root only",
			 sl == sizeof cr ? (int)cr.uid : -1);
		return;
	}
	char *buf = malloc(ACTL_MAX_REQUEST + 1);
	size_t have = 0;
	uint64_t deadline = vclock_mono_ns() + ACTL_IO_MS * 1000000ull;
	if (!buf)
		return;
	while (have < ACTL_MAX_REQUEST && !memchr(buf, '\n', have) && ready(fd, POLLIN, deadline)) {
		ssize_t n = read(fd, buf + have, ACTL_MAX_REQUEST - have);
		if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
			break;
		if (n > 0)
			have += (size_t)n;
	}
	buf[have] = 0;
	char *nl = memchr(buf, '\n', have);
	json_object *req = nl ? (*nl = 0, json_tokener_parse(buf)) : NULL, *rep;
	if (!req || !json_object_is_type(req, json_type_object)) {
		rep = json_object_new_object();
		json_object_object_add(rep, "ok", json_object_new_boolean(0));
		json_object_object_add(rep, "error", json_object_new_string(
			nl ? "not a JSON object" : "no request line in time"));
	} else {
		rep = c->fn(c->arg, req);
	}
	json_object_put(req);
	free(buf);
	if (!rep)
		return;
	size_t len;
	const char *s = json_object_to_json_string_length(rep, JSON_C_TO_STRING_PLAIN, &len);
	size_t done = 0;
	while (s && done <= len && ready(fd, POLLOUT, deadline)) {
		/* the text, then its newline */
		/* MSG_NOSIGNAL: a client gone is no SIGPIPE for the agent */
		ssize_t n = done < len ? send(fd, s + done, len - done, MSG_NOSIGNAL)
				       : send(fd, "\n", 1, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	json_object_put(rep);
}

void actl_serve_until(struct actl *c, uint64_t deadline_ns, volatile sig_atomic_t *stop)
{
	do {
		uint64_t now = vclock_mono_ns();
		int ms = now >= deadline_ns ? 0 : (int)((deadline_ns - now + 999999) / 1000000);
		/* no socket: a sleep, as poll with nothing to watch */
		struct pollfd p = { .fd = c ? c->fd : -1, .events = POLLIN };
		if (poll(&p, 1, ms) <= 0 || !c)
			continue;
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			one_client(c, fd);
			close(fd);
		}
	} while (!*stop && vclock_mono_ns() < deadline_ns);
}
