/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctl_client: one request/reply exchange with vtune-hostd's control socket. */
#include "ctl_client.h"
#include "sanitize.h"
#include "vclock.h"
#include "vec.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

const char *ctl_default_path(void)
{
	const char *p = getenv("VTUNE_CONTROL");
	return p && *p ? p : CTL_CLIENT_DEFAULT_PATH;
}

const char *ctl_agent_path(void)
{
	const char *p = getenv("VTUNE_AGENT_CONTROL");
	return p && *p ? p : CTL_AGENT_DEFAULT_PATH;
}

/* Wait for ev on fd until deadline (mono ns): 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short ev, uint64_t deadline)
{
	for (;;) {
		uint64_t now = vclock_mono_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = ev };
		int r = poll(&p, 1, (int)((deadline - now) / 1000000 + 1));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

int ctl_request(const char *path, json_object *req, json_object **reply,
		char *err, size_t n)
{
	return ctl_request_ms(path, req, reply, CTL_CLIENT_TIMEOUT_MS, err, n);
}

int ctl_request_ms(const char *path, json_object *req, json_object **reply,
		   unsigned timeout_ms, char *err, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t deadline = vclock_mono_ns() + timeout_ms * 1000000ull;
	char *buf = NULL;
	size_t len = 0, off = 0;
	int fd = -1, r;

	*reply = NULL;
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, n, "cannot reach vtune-hostd at %s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		r = -errno;
		snprintf(err, n, "cannot reach vtune-hostd at %s: %s%s", path, strerror(-r),
			 r == -ENOENT || r == -ECONNREFUSED ? " (is it running?)" : "");
		goto out;
	}
	const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	size_t sl = strlen(s);
	while (off <= sl) {
		const char *p = off < sl ? s + off : "\n";
		size_t l = off < sl ? sl - off : 1;
		ssize_t w = send(fd, p, l, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			snprintf(err, n, "vtune-hostd at %s: send: %s", path, strerror(-r));
			goto out;
		}
		off += (size_t)w;
	}
	size_t cap = 0;
	for (;;) {
		if ((r = wait_fd(fd, POLLIN, deadline)) < 0) {
			snprintf(err, n, "vtune-hostd at %s: no reply: %s", path, strerror(-r));
			goto out;
		}
		if (len + 4096 > CTL_CLIENT_MAX_REPLY) {
			r = -EMSGSIZE;
			snprintf(err, n, "vtune-hostd at %s: reply too long", path);
			goto out;
		}
		if ((r = VEC_RESERVE(buf, cap, len + 4096))) {
			snprintf(err, n, "out of memory");
			goto out;
		}
		ssize_t got = read(fd, buf + len, cap - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got < 0 ? -errno : -ECONNRESET;
			snprintf(err, n, "vtune-hostd at %s: connection closed before the reply%s%s",
				 path, got < 0 ? ": " : " (not root?)", got < 0 ? strerror(errno) : "");
			goto out;
		}
		len += (size_t)got;
		buf[len] = 0;
		if (memchr(buf, '\n', len))
			break;
	}
	*reply = json_tokener_parse(buf);
	if (*reply) /* guest text in it: escaped before any terminal sees it */
		san_json(*reply);
	if (!*reply || !json_object_is_type(*reply, json_type_object)) {
		if (*reply)
			json_object_put(*reply);
		*reply = NULL;
		r = -EPROTO;
		snprintf(err, n, "vtune-hostd at %s: the reply is not JSON", path);
		goto out;
	}
	r = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}
