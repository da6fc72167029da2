/* SPDX-License-Identifier: GPL-2.0-or-later */
/* actl: vtune-agent's control socket, so that `vtune-agent revert` (and
 * `vtune revert` in a guest) can undo changes while the agent holds the
 * journal: a unix socket of mode 0600, root (or the agent's user) only,
 * one JSON request a connection, answered from the agent's own loop. */
#ifndef VTUNE_ACTL_H
#define VTUNE_ACTL_H

#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>

#define ACTL_MAX_REQUEST 65536 /* bytes of a request line */
#define ACTL_IO_MS 1000	       /* a client gets this long to send or take */

struct actl;

/* The answer to one request (a new object, NULL: out of memory). */
typedef json_object *(*actl_fn)(void *arg, json_object *req);

/* Listen at path (its directory made mode 0755 when missing; a stale
 * socket of a dead agent replaced). NULL with -errno in *err:
 * -EADDRINUSE when another agent answers there. */
struct actl *actl_open(const char *path, actl_fn fn, void *arg, int *err);

/* Stop listening and remove the socket. NULL is fine. */
void actl_close(struct actl *c);

/* Serve the requests that come until deadline_ns (vclock_mono_ns; now or
 * earlier: those already waiting), sleeping otherwise; returns early when
 * *stop is set (a signal). c NULL: just sleep until then. */
void actl_serve_until(struct actl *c, uint64_t deadline_ns, volatile sig_atomic_t *stop);

#endif
