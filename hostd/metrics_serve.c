/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics_serve: the Prometheus endpoint of vtune-hostd (metrics_serve.h).
 * HTTP is libmicrohttpd's, without a thread of its own: its epoll fd is
 * watched by hostd's loop, MHD_run is called when it is readable, and one
 * loop timer follows MHD_get_timeout. Each scrape renders anew; every reply
 * closes its connection.
 * Kept here, because libmicrohttpd cannot do it:
 *  - the listening socket: a unix socket needs the stale-socket check and
 *    its mode (unix_listen), and a TCP host name is resolved (getaddrinfo);
 *    the socket is handed over with MHD_OPTION_LISTEN_SOCKET;
 *  - making room: at its connection limit libmicrohttpd stops accepting, so
 *    idle connections (no request yet) would keep scrapes out. The
 *    connections are tracked (MHD_OPTION_NOTIFY_CONNECTION), and a new one
 *    past MH_MAX_CLIENTS, or past MH_MAX_PER_PEER idle ones from its peer,
 *    has the oldest idle one cut (shutdown(2): libmicrohttpd then closes it);
 *  - deadlines: libmicrohttpd times out inactivity only, so a client
 *    trickling bytes would stay; a connection without its request after
 *    MH_REQUEST_NS, or alive after MH_CLIENT_NS, is cut the same way. */
#include "metrics_serve.h"
#include "parse.h"
#include "unix_listen.h"
#include "vclock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* libmicrohttpd's own limit: room for connections cut but not yet closed. */
#define MHD_LIMIT (MH_MAX_CLIENTS + 16)

struct mh_conn {
	int fd;		   /* -1: slot free */
	int answered;	   /* its request came in */
	int cut;	   /* shut down, libmicrohttpd has yet to close it */
	uint64_t since_ns; /* accepted at */
	char peer[64];	   /* the peer's address (unix: its uid), for the per-peer limit */
};

struct mh_server {
	struct loop *loop;
	struct MHD_Daemon *d;
	int epfd;	/* libmicrohttpd's epoll fd, on the loop */
	int timer;	/* loop timer: libmicrohttpd's timeout or a deadline */
	char path[108]; /* unix socket to unlink, or "" */
	mh_render_fn fn;
	void *arg;
	struct mh_conn conns[MHD_LIMIT];
	uint64_t cut_idle; /* idle connections cut to make room */
};

/* ---- what to answer ---- */

int mh_http_decide(const char *method, const char *path, const char *accept, int *om,
		   int *head)
{
	*om = accept && strcasestr(accept, "application/openmetrics-text") != NULL;
	*head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !*head)
		return 405;
	return !strcmp(path, "/metrics") ? 200 : 404;
}

static const struct {
	int status;
	const char *body;
} errors[] = {
	{ MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n" },
	{ MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n" },
	{ MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n" },
};

static struct mh_conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result answer(void *arg, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **req)
{
	struct mh_server *s = arg;
	struct mh_conn *cn = conn_of(c);
	struct MHD_Response *resp = NULL;
	char *body = NULL;
	size_t len = 0;
	int om, head;
	(void)version, (void)upload, (void)upload_len, (void)req;

	if (cn)
		cn->answered = 1; /* the reply has the rest of its life */
	int status = mh_http_decide(method, url,
				    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_ACCEPT),
				    &om, &head);
	if (status == MHD_HTTP_OK && s->fn(s->arg, om, &body, &len) < 0)
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	if (status == MHD_HTTP_OK) {
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(body);
	} else {
		for (size_t i = 0; i < sizeof errors / sizeof *errors; i++)
			if (errors[i].status == status)
				resp = MHD_create_response_from_buffer(strlen(errors[i].body),
								       (void *)errors[i].body,
								       MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO; /* libmicrohttpd closes the connection */
	const char *ct = status != MHD_HTTP_OK ? "text/plain; charset=utf-8"
			 : om		       ? MH_CT_OPENMETRICS
					       : MH_CT_TEXT;
	enum MHD_Result r = MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ct) == MHD_YES &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES &&
	    (status != MHD_HTTP_METHOD_NOT_ALLOWED ||
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") == MHD_YES))
		r = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* ---- connections: room and deadlines ---- */

/* The peer of fd, as text: an address, or "uid N" over a unix socket. */
static void peer_of(int fd, char *buf, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	snprintf(buf, n, "?");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)n);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)n);
	else if (ss.ss_family == AF_UNIX) {
		struct ucred uc;
		socklen_t ul = sizeof uc;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == 0)
			snprintf(buf, n, "uid %u", (unsigned)uc.uid);
	}
}

/* End a connection from outside libmicrohttpd: it sees the socket shut
 * down and closes it (CLOSED below). */
static void cut(struct mh_conn *cn)
{
	cn->cut = 1;
	shutdown(cn->fd, SHUT_RDWR);
}

/* Make room for new connection cn: past MH_MAX_PER_PEER idle ones from its
 * peer, its oldest idle one goes (other peers always keep room); past
 * MH_MAX_CLIENTS, the oldest idle one of anyone. A scrape sends its request
 * at once, so idle connections can never keep one out. With every other
 * connection answering, cn itself is refused (503). */
static void make_room(struct mh_server *s, struct mh_conn *cn)
{
	struct mh_conn *oldest = NULL, *oldest_mine = NULL;
	int live = 0, mine = 0;
	for (size_t i = 0; i < MHD_LIMIT; i++) {
		struct mh_conn *o = &s->conns[i];
		if (o->fd < 0 || o->cut || o == cn)
			continue;
		live++;
		if (o->answered)
			continue;
		if (!strcmp(o->peer, cn->peer)) {
			mine++;
			if (!oldest_mine || o->since_ns < oldest_mine->since_ns)
				oldest_mine = o;
		}
		if (!oldest || o->since_ns < oldest->since_ns)
			oldest = o;
	}
	struct mh_conn *victim = mine >= MH_MAX_PER_PEER ? oldest_mine
				 : live >= MH_MAX_CLIENTS ? oldest
							  : NULL;
	if (victim) {
		s->cut_idle++;
		cut(victim);
	} else if (live >= MH_MAX_CLIENTS) {
		static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
					   "Content-Length: 0\r\nConnection: close\r\n\r\n";
		if (send(cn->fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* it goes all the same */
		}
		cut(cn);
	}
}

static void notify(void *arg, struct MHD_Connection *c, void **ctx,
		   enum MHD_ConnectionNotificationCode what)
{
	struct mh_server *s = arg;
	struct mh_conn *cn = *ctx;
	if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (cn)
			cn->fd = -1;
		*ctx = NULL;
		return;
	}
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return;
	for (size_t i = 0; i < MHD_LIMIT && !*ctx; i++)
		if (s->conns[i].fd < 0)
			*ctx = cn = &s->conns[i];
	if (!cn) { /* cannot be: as many slots as libmicrohttpd's limit */
		shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	*cn = (struct mh_conn){ .fd = ci->connect_fd, .since_ns = vclock_mono_ns() };
	peer_of(cn->fd, cn->peer, sizeof cn->peer);
	make_room(s, cn);
}

static uint64_t deadline(const struct mh_conn *cn)
{
	return cn->since_ns + (cn->answered ? MH_CLIENT_NS : MH_REQUEST_NS);
}

/* ---- on hostd's loop ---- */

static void on_timer(void *arg);

/* Let libmicrohttpd work, then wake again at its timeout or the next
 * connection deadline, whichever is first. */
static void pump(struct mh_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;
	uint64_t now, at = UINT64_MAX;
	MHD_run(s->d);
	now = vclock_mono_ns();
	if (MHD_get_timeout(s->d, &ms) == MHD_YES)
		at = now + (ms > UINT64_MAX / 2000000 ? UINT64_MAX / 2 : (uint64_t)ms * 1000000);
	for (size_t i = 0; i < MHD_LIMIT; i++)
		if (s->conns[i].fd >= 0 && !s->conns[i].cut && deadline(&s->conns[i]) < at)
			at = deadline(&s->conns[i]);
	if (s->timer > 0)
		loop_timer_cancel(s->loop, s->timer);
	s->timer = 0;
	if (at != UINT64_MAX) {
		int id = loop_timer_add(s->loop, at, on_timer, s);
		s->timer = id > 0 ? id : 0; /* no memory: the next scrape runs it */
	}
}

static void on_timer(void *arg)
{
	struct mh_server *s = arg;
	uint64_t now = vclock_mono_ns();
	s->timer = 0;
	for (size_t i = 0; i < MHD_LIMIT; i++)
		if (s->conns[i].fd >= 0 && !s->conns[i].cut && deadline(&s->conns[i]) <= now)
			cut(&s->conns[i]);
	pump(s);
}

static void on_epoll(void *arg, int fd, uint32_t events)
{
	(void)fd, (void)events;
	pump(arg);
}

/* ---- listening ---- */

/* Split "HOST:PORT" / "[V6]:PORT" into host (may be "") and port. */
static int split_hostport(const char *spec, char *host, size_t hn, char *port, size_t pn)
{
	const char *colon;
	if (spec[0] == '[') {
		const char *e = strchr(spec, ']');
		if (!e || e[1] != ':')
			return -EINVAL;
		if ((size_t)(e - spec - 1) >= hn)
			return -EINVAL;
		snprintf(host, hn, "%.*s", (int)(e - spec - 1), spec + 1);
		colon = e + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= hn || memchr(spec, ':', (size_t)(colon - spec)))
			return -EINVAL;
		snprintf(host, hn, "%.*s", (int)(colon - spec), spec);
	}
	const char *p = colon + 1;
	uint64_t v;
	if (strlen(p) >= pn || parse_u64(p, &v) || v < 1 || v > 65535)
		return -EINVAL;
	snprintf(port, pn, "%s", p);
	return 0;
}

int mh_parse_addr(const char *spec, int *off)
{
	char host[256], port[8];
	*off = 0;
	if (!spec || !*spec)
		return -EINVAL;
	if (!strcmp(spec, "off")) {
		*off = 1;
		return 0;
	}
	if (!strncmp(spec, "unix:", 5)) {
		size_t n = strlen(spec + 5);
		return n && n < sizeof ((struct sockaddr_un *)0)->sun_path && spec[5] == '/' ? 0 : -EINVAL;
	}
	return split_hostport(spec, host, sizeof host, port, sizeof port);
}

/* The unix socket path, mode 0666 (read-only data, as on TCP). */
static int listen_unix(const char *path, char *saved, size_t n)
{
	int fd = unix_listen(path, 64);
	if (fd < 0)
		return fd;
	if (chmod(path, 0666) < 0) {
		int r = -errno;
		unlink(path);
		close(fd);
		return r;
	}
	snprintf(saved, n, "%s", path);
	return fd;
}

static int listen_tcp(const char *spec)
{
	char host[256], port[8];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
	int r = split_hostport(spec, host, sizeof host, port, sizeof port);
	if (r < 0)
		return r;
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (r)
		return r == EAI_SYSTEM ? -errno : -EADDRNOTAVAIL;
	r = -EADDRNOTAVAIL;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1;
		if (fd < 0) {
			r = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 64) < 0) {
			r = -errno;
			close(fd);
			continue;
		}
		freeaddrinfo(ai);
		return fd;
	}
	freeaddrinfo(ai);
	return r;
}

struct mh_server *mh_server_open(struct loop *l, const char *spec, mh_render_fn fn,
				 void *arg, int *err)
{
	int off, r = mh_parse_addr(spec, &off);
	if (r < 0 || off) {
		*err = -EINVAL;
		return NULL;
	}
	struct mh_server *s = calloc(1, sizeof *s);
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->loop = l;
	s->fn = fn;
	s->arg = arg;
	for (size_t i = 0; i < MHD_LIMIT; i++)
		s->conns[i].fd = -1;
	int fd = !strncmp(spec, "unix:", 5) ? listen_unix(spec + 5, s->path, sizeof s->path)
					    : listen_tcp(spec);
	if (fd < 0) {
		*err = fd;
		free(s);
		return NULL;
	}
	/* no thread: MHD_USE_EPOLL alone is run by MHD_run from the loop */
	s->d = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, answer, s,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)MHD_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(MH_CLIENT_NS / 1000000000ull),
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MH_MAX_REQUEST,
				MHD_OPTION_NOTIFY_CONNECTION, notify, s,
				MHD_OPTION_END);
	const union MHD_DaemonInfo *di = s->d ? MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD)
					      : NULL;
	r = !s->d ? -EIO : !di ? -EINVAL : 0;
	if (!r) {
		s->epfd = di->epoll_fd;
		r = loop_add_fd(l, s->epfd, EPOLLIN, on_epoll, s);
	}
	if (r < 0) {
		if (s->d)
			MHD_stop_daemon(s->d); /* closes fd */
		else if (fcntl(fd, F_GETFD) >= 0)
			close(fd); /* some of MHD_start_daemon's failures close it */
		if (s->path[0])
			unlink(s->path);
		free(s);
		*err = r;
		return NULL;
	}
	pump(s); /* puts the listening socket in its epoll set */
	return s;
}

size_t mh_server_conns(const struct mh_server *s)
{
	size_t n = 0;
	for (size_t i = 0; i < MHD_LIMIT; i++)
		n += s->conns[i].fd >= 0;
	return n;
}

void mh_server_close(struct mh_server *s)
{
	if (!s)
		return;
	if (s->timer > 0)
		loop_timer_cancel(s->loop, s->timer);
	loop_del_fd(s->loop, s->epfd);
	MHD_stop_daemon(s->d); /* every connection, the listening socket, its epoll fd */
	if (s->path[0])
		unlink(s->path);
	free(s);
}
