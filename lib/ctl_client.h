/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctl_client: the `vtune` side of vtune-hostd's control socket: one JSON
 * request, one JSON reply, with a time limit. */
#ifndef VTUNE_CTL_CLIENT_H
#define VTUNE_CTL_CLIENT_H

#include <stddef.h>

#include <json-c/json.h>

#define CTL_CLIENT_DEFAULT_PATH "/run/vtune/hostd.sock"
#define CTL_AGENT_DEFAULT_PATH "/run/vtune/agent.sock" /* vtune-agent run's */
#define CTL_CLIENT_TIMEOUT_MS 10000
#define CTL_CLIENT_MAX_REPLY (64u * 1024u * 1024u) /* as hostd's CTL_MAX_REPLY */

/* Send req to the daemon at path and wait (at most CTL_CLIENT_TIMEOUT_MS)
 * for the reply line. Returns 0 with *reply (caller puts it), or -errno
 * with a reason in err, e.g. "cannot reach vtune-hostd at PATH: No such
 * file or directory". */
int ctl_request(const char *path, json_object *req, json_object **reply,
		char *err, size_t n);

/* ctl_request waiting at most timeout_ms (a request that may take long:
 * a VF's live detach waits for the guest). */
int ctl_request_ms(const char *path, json_object *req, json_object **reply,
		   unsigned timeout_ms, char *err, size_t n);

/* The control path: $VTUNE_CONTROL, else CTL_CLIENT_DEFAULT_PATH. */
const char *ctl_default_path(void);

/* vtune-agent run's control socket: $VTUNE_AGENT_CONTROL, else
 * CTL_AGENT_DEFAULT_PATH. */
const char *ctl_agent_path(void);

#endif
