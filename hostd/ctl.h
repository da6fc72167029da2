/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctl: the control socket of vtune-hostd: a unix stream socket (mode 0600,
 * root or hostd's own user only) taking one JSON request a line and
 * answering each with one JSON line. */
#ifndef VTUNE_CTL_H
#define VTUNE_CTL_H

#include <json-c/json.h>

#include "loop.h"

#define CTL_MAX_CLIENTS 16
#define CTL_MAX_REQUEST 4096		/* bytes in one request line */
/* Bytes queued to one client: the status of HOSTD_MAX_GUESTS guests (~2 KB each). */
#define CTL_MAX_REPLY (64u * 1024u * 1024u)

/* Handle a request; return a new reply object (NULL: out of memory). */
typedef json_object *(*ctl_handler_fn)(void *arg, json_object *req);

struct ctl;

/* Listen on path: a stale socket there is removed (one that answers means
 * another daemon: -EADDRINUSE); the parent directory is made (0755) when
 * missing. Returns the server or NULL with -errno in *err. */
struct ctl *ctl_open(struct loop *l, const char *path, ctl_handler_fn fn, void *arg,
		     int *err);
/* Close every client and the socket, and unlink the path. NULL is fine. */
void ctl_close(struct ctl *c);

#endif
