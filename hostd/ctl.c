/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctl: the control socket server of vtune-hostd (see ctl.h). Clients are
 * non-blocking like guests; a client that does not read its replies is
 * dropped, never waited for. */
#include "ctl.h"
#include "unix_listen.h"
#include "linebuf.h"
#include "log.h"
#include "vclock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct ctl_client {
	struct ctl *c;
	int fd;
	struct linebuf *in;
	struct linebuf_outq *out;
	int kill;
};

struct ctl {
	struct loop *loop;
	int fd;
	char path[108];
	ctl_handler_fn fn;
	void *arg;
	struct ctl_client *clients[CTL_MAX_CLIENTS];
};

static void client_free(struct ctl_client *cl)
{
	struct ctl *c = cl->c;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i] == cl)
			c->clients[i] = NULL;
	loop_del_fd(c->loop, cl->fd);
	close(cl->fd);
	linebuf_free(cl->in);
	linebuf_outq_free(cl->out);
	free(cl);
}

static void reply(struct ctl_client *cl, json_object *rep)
{
	const char *s = rep ? json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN)
			    : "{\"ok\":false,\"error\":\"out of memory\"}";
	size_t len = strlen(s);
	int r = linebuf_outq_push(cl->out, s, len);
	if (r == 0)
		r = linebuf_outq_push(cl->out, "\n", 1);
	if (r < 0) {
		static const char big[] = "{\"ok\":false,\"error\":\"reply too long\"}\n";
		linebuf_outq_clear(cl->out);
		linebuf_outq_push(cl->out, big, sizeof big - 1);
	}
	if (rep)
		json_object_put(rep);
}

static json_object *error_reply(const char *why)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(why));
	return o;
}

static int on_line(void *arg, int status, const char *line, size_t len)
{
	struct ctl_client *cl = arg;
	if (status < 0) {
		reply(cl, error_reply("request too long or not text"));
		return 0;
	}
	json_object *req = ctl_parse_request(line, len);
	if (!req)
		reply(cl, error_reply("a request is one JSON object on one line"));
	else
		reply(cl, cl->c->fn(cl->c->arg, req));
	if (req)
		json_object_put(req);
	return 0;
}

json_object *ctl_parse_request(const char *line, size_t len)
{
	if (len > CTL_MAX_REQUEST || memchr(line, '\0', len))
		return NULL;
	json_tokener *tok = json_tokener_new();
	json_object *req = tok ? json_tokener_parse_ex(tok, line, (int)len) : NULL;
	size_t end = tok ? json_tokener_get_parse_end(tok) : 0;
	while (end < len && (line[end] == ' ' || line[end] == '\t' || line[end] == '\r'))
		end++; /* only blanks may follow the object */
	int ok = req && json_tokener_get_error(tok) == json_tokener_success && end == len &&
		 json_object_is_type(req, json_type_object);
	if (tok)
		json_tokener_free(tok);
	if (!ok && req) {
		json_object_put(req);
		req = NULL;
	}
	return req;
}

static void client_cb(void *arg, int fd, uint32_t events)
{
	struct ctl_client *cl = arg;
	char buf[4096];
	(void)fd;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = read(cl->fd, buf, sizeof buf);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			goto flush;
		if (n <= 0) {
			client_free(cl);
			return;
		}
		linebuf_feed(cl->in, buf, (size_t)n, vclock_mono_ns(), on_line, cl);
	}
flush:;
	int r = linebuf_outq_flush(cl->out, cl->fd);
	if (r == -EAGAIN) {
		loop_mod_fd(cl->c->loop, cl->fd, EPOLLIN | EPOLLOUT);
		return;
	}
	if (r < 0) {
		client_free(cl);
		return;
	}
	loop_mod_fd(cl->c->loop, cl->fd, EPOLLIN);
}

static void accept_cb(void *arg, int fd, uint32_t events)
{
	struct ctl *c = arg;
	(void)events;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	struct ucred cr;
	socklen_t sl = sizeof cr;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) < 0 ||
	    (cr.uid != 0 && cr.uid != getuid())) {
		log_warn("control: refused a client (uid %d): root only",
			 sl == sizeof cr ? (int)cr.uid : -1);
		close(cfd);
		return;
	}
	int slot = -1;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (!c->clients[i]) {
			slot = i;
			break;
		}
	struct ctl_client *cl = slot < 0 ? NULL : calloc(1, sizeof *cl);
	if (!cl) {
		static const char busy[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";
		if (write(cfd, busy, sizeof busy - 1) < 0) {
			/* nothing more to do */
		}
		close(cfd);
		return;
	}
	cl->c = c;
	cl->fd = cfd;
	cl->in = linebuf_new(CTL_MAX_REQUEST);
	cl->out = linebuf_outq_new(CTL_MAX_REPLY);
	if (!cl->in || !cl->out || loop_add_fd(c->loop, cfd, EPOLLIN, client_cb, cl) < 0) {
		linebuf_free(cl->in);
		linebuf_outq_free(cl->out);
		close(cfd);
		free(cl);
		return;
	}
	c->clients[slot] = cl;
}

struct ctl *ctl_open(struct loop *l, const char *path, ctl_handler_fn fn, void *arg,
		     int *err)
{
	int fd = unix_listen(path, 16), r;
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	struct ctl *c = calloc(1, sizeof *c);
	if (!c) {
		r = -ENOMEM;
		goto fail;
	}
	c->loop = l;
	c->fn = fn;
	c->arg = arg;
	c->fd = fd;
	snprintf(c->path, sizeof c->path, "%s", path);
	r = loop_add_fd(l, c->fd, EPOLLIN, accept_cb, c);
	if (r < 0)
		goto fail;
	return c;
fail:
	unlink(path);
	close(fd);
	free(c);
	*err = r;
	return NULL;
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i])
			client_free(c->clients[i]);
	loop_del_fd(c->loop, c->fd);
	close(c->fd);
	unlink(c->path);
	free(c);
}
