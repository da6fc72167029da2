/* SPDX-License-Identifier: GPL-2.0-or-later */
/* session: the agent's side of the wire protocol on one channel — resync and
 * hello on every (re)connect, version negotiation, a report every interval,
 * journaled apply / revert on the host's request, each acknowledged. */
#ifndef VTUNE_SESSION_H
#define VTUNE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "transport.h"
#include "vport.h"

enum session_state {
	SESSION_DOWN,  /* no host: channel closed, or the port's host absent */
	SESSION_HELLO, /* our hello sent, waiting for the host's */
	SESSION_UP,    /* versions agreed: reporting, taking requests */
};

/* Produce the sample for the next report: the text of one JSON object
 * (*len bytes, owned by the callback's side and valid until its next call)
 * and the seconds it covers. Return 0, or -EAGAIN / another -errno when
 * there is nothing to report this time. */
typedef int (*session_sample_fn)(void *arg, const char **sample, size_t *len,
				 double *interval_s);

struct session_cfg {
	struct vport *port;	  /* borrowed, must outlive the session */
	/* Another transport instead of port (xenstore): its operations and
	 * its object (borrowed). NULL ops: port through transport_vport_ops. */
	const struct transport_ops *ops;
	void *chan;
	struct journal *journal;  /* borrowed; NULL: every change is refused */
	const char *root;	  /* knobs live under root ("/") */
	double interval_s;	  /* between reports, 0 < interval <= 86400 */
	session_sample_fn sample; /* required */
	void *sample_arg;
	unsigned max_v;		  /* newest protocol version offered (0: this
				   * build's newest; 1 for an older host) */
};

struct session_stats {
	uint64_t connects;     /* times the host appeared */
	uint64_t hellos;       /* host hellos accepted */
	uint64_t reports;      /* reports queued */
	uint64_t acks;	       /* acks queued */
	uint64_t bad_lines;    /* lines refused (framing or decoding) */
	uint64_t errors_rx;    /* error messages from the host */
	uint64_t changes;      /* knobs changed or reverted on request */
	uint64_t refused;      /* changes refused or failed */
};

/* A session on cfg->port or cfg->chan (the strings and objects are borrowed). Returns
 * NULL with -errno in *err (-EINVAL for a bad cfg, -ENOMEM). */
struct session *session_new(const struct session_cfg *cfg, int *err);
void session_free(struct session *s);

/* Do one round of work, waiting at most max_ms: open the channel or notice
 * the host (backing off while it is absent, never spinning), read and
 * handle what the host sent, send a report when one is due, write queued
 * output. A host that goes away only moves the session to SESSION_DOWN.
 * Returns 0, or -errno on a failure the agent cannot carry on from. */
int session_step(struct session *s, int max_ms);

enum session_state session_state(const struct session *s);
const char *session_state_name(enum session_state st);

/* The protocol version agreed with the host (0 before that). */
unsigned session_version(const struct session *s);

void session_get_stats(const struct session *s, struct session_stats *out);

#endif
