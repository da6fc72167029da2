/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics_serve: vtune-hostd's Prometheus endpoint: GET/HEAD /metrics over
 * HTTP/1.1 (libmicrohttpd, run from hostd's own loop), on TCP or a unix
 * socket, bounded in connections, request size and lifetime. */
#ifndef VTUNE_METRICS_SERVE_H
#define VTUNE_METRICS_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define MH_DEFAULT_ADDR "127.0.0.1:9684"
#define MH_MAX_CLIENTS 64	       /* connections at once; more wait in the backlog */
#define MH_MAX_PER_PEER 48	       /* connections still sending their request, per peer:
					* the others always keep room */
#define MH_MAX_REQUEST 8192	       /* bytes of a connection's memory: about as much
					* request line and headers; longer is refused
					* 414 (URI) or 431 (headers) */
#define MH_REQUEST_NS (2ull * 1000000000ull) /* to send the whole request */
#define MH_CLIENT_NS (10ull * 1000000000ull) /* a connection's whole life */

#define MH_CT_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define MH_CT_TEXT "text/plain; version=0.0.4; charset=utf-8"

/* Render callback the server calls on each scrape: om != 0 for OpenMetrics,
 * else the classic text format; *out a new buffer (free() frees it), *len
 * its length. 0 or -errno (the scrape is answered 500). */
typedef int (*mh_render_fn)(void *arg, int om, char **out, size_t *len);

struct mh_server;

/* Parse a --metrics value: "off" (*off = 1), "HOST:PORT", "[V6]:PORT" or
 * "unix:PATH". 0 or -EINVAL. */
int mh_parse_addr(const char *spec, int *off);

/* Listen on spec (as mh_parse_addr; "off" is -EINVAL here) and serve
 * GET/HEAD /metrics on loop l. A unix socket's stale file is replaced and
 * the socket made mode 0666 (read-only data, as on TCP). NULL with -errno
 * in *err. */
struct mh_server *mh_server_open(struct loop *l, const char *spec, mh_render_fn fn,
				 void *arg, int *err);
/* Close every connection and the listener (a unix socket is unlinked).
 * NULL is fine. */
void mh_server_close(struct mh_server *s);

/* Connections open now, those cut but not yet closed included. */
size_t mh_server_conns(const struct mh_server *s);

/* The reply to one request, from its method, path (the query string
 * removed) and Accept header (NULL: none): 200, 404 or 405; *om whether
 * OpenMetrics was asked for (Accept names application/openmetrics-text),
 * *head for HEAD. */
int mh_http_decide(const char *method, const char *path, const char *accept, int *om,
		   int *head);

#endif
