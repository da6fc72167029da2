/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xs: the agent's xenstore transport (docs/protocol.md, "Xen: the same
 * messages on xenstore") — messages to the host as keys under the guest's own
 * data/vtune/ (a report too big for one value in parts, to a host that joins
 * them), the host's under control/vtune/, each directory's seq last. */
#ifndef VTUNE_AGENT_XS_H
#define VTUNE_AGENT_XS_H

#include <stddef.h>
#include <stdint.h>

#include "transport.h"
#include "wire.h"

#define XST_VALUE_MAX 4096	    /* bytes in one xenstore value */
#define XST_DATA_DIR "data/vtune"   /* ours, relative: /local/domain/<domid>/... */
#define XST_CTL_DIR "control/vtune" /* the host's, read-only to us */
#define XST_ACKQ 16		    /* acks waiting to be written */
#define XST_PARTS_MAX WIRE_XS_PARTS_MAX /* values a report may be split into */

/* The store the transport works on: libxenstore in production, a mock in the
 * unit tests. Paths are relative to the domain's home. Every call is inside
 * the transaction of begin (or none when begin is NULL).
 *   begin  start a transaction: 0 or -errno;
 *   end    commit (abort 0) or abort it: 0, -EAGAIN (a conflict: the caller
 *          starts over) or -errno;
 *   read   a value: 0 with *val (malloc'd, NUL-terminated, *len bytes),
 *          -ENOENT, or -errno;
 *   write  a value: 0 or -errno;
 *   rm     remove a key: 0 (also when there was none) or -errno. */
struct xst_store {
	int (*begin)(void *arg);
	int (*end)(void *arg, int abort);
	int (*read)(void *arg, const char *path, char **val, size_t *len);
	int (*write)(void *arg, const char *path, const char *val, size_t len);
	int (*rm)(void *arg, const char *path);
};

struct xst;

struct xst_stats {
	uint64_t commits;     /* transactions that wrote data/vtune */
	uint64_t keys;	      /* values written (seq included) */
	uint64_t conflicts;   /* transactions retried on EAGAIN */
	uint64_t truncated;   /* reports trimmed to fit (0 with a host that joins parts) */
	uint64_t split;	      /* reports written in parts (report-0 ..) */
	uint64_t unsendable;  /* messages that could not fit at all, dropped */
	uint64_t errors_kept; /* our error messages (no key for them), dropped */
	uint64_t ctl_msgs;    /* host messages handed to the session */
	uint64_t ctl_bad;     /* host values refused (control bytes, size) */
	uint64_t resets;      /* domain identity changes (migration, resume) */
};

/* A transport on the real xenstore (xs_open(0) on the first open). NULL on
 * no memory. */
struct xst *xst_new(void);
/* A transport on another store (tests). store and arg are borrowed. The
 * watch is then simulated: xst_wait checks control/vtune/seq every call. */
struct xst *xst_new_store(const struct xst_store *store, void *arg);
void xst_free(struct xst *t);

/* The transport's operations (chan: a struct xst *), for session_cfg.ops:
 *   open    xs_open(0) and a watch on control/vtune/seq; after a failure
 *           (no xenstore) it says why once and tries again only after a
 *           backoff of 1 s doubling to 30 s, returning the error meanwhile;
 *           the host's hello present at open is delivered, requests already
 *           there are taken as seen (not carried out again);
 *   wait    polls the watch fd; on a wake-up (or every second) reads
 *           control/vtune/seq and, when it changed, the keys whose values
 *           changed, delivering them as lines; returns 0 ("hung up") when
 *           the domain's identity changed (migration, resume: the session
 *           then resets, drops queued acks and says hello again);
 *   send    keeps the newest hello and report, and acks in order (at most
 *           XST_ACKQ); a report is kept whole when the host's hello names
 *           WIRE_CAP_XS_PARTS (trimmed only past XST_PARTS_MAX values),
 *           else trimmed to one value; our error messages have no key and
 *           are dropped; the 0xFF resync is ignored;
 *   flush   one transaction: each of hello / report that changed since it
 *           was last written (a report over one value as report-0 ..
 *           report-(N-1) and report-parts = N, data/vtune/report removed;
 *           one that fits as report, the parts removed; parts beyond N of
 *           an earlier report removed either way), the oldest ack, then
 *           seq + 1; retried on a conflict; -EAGAIN while acks remain. */
extern const struct transport_ops xst_ops;

void xst_get_stats(const struct xst *t, struct xst_stats *out);

/* ---- pure parts, exposed for tests ---- */

/* Fit one report line (len bytes, a trailing newline allowed) into max
 * bytes: as is when it fits, otherwise re-encoded with its sample trimmed
 * step by step — per-CPU arrays, then listeners beyond the fullest 8 and
 * interfaces beyond the first 4, then 1 of each, then none, then all but
 * interval_s, metrics and knobs, then the raw counters (metrics named
 * *_total), then knobs, then the seeds' metrics (the catalogue's guest
 * rows from guest.irq.nic_rate on) whose value is 0, then the knobs'
 * values (guest.sysctl.*), then the rest of the seeds' metrics — and
 * "truncated": true added to the
 * sample. *out (malloc'd, no newline, *outlen bytes) always decodes as a
 * report. Returns 0 (fits as is), 1 (trimmed), -EMSGSIZE (no trim fits),
 * -EINVAL (not a report) or -ENOMEM. */
int xst_fit_report(const char *line, size_t len, size_t max, char **out, size_t *outlen);

/* Fit an ack into max bytes by leaving out results from the end (adding
 * "truncated": true). Same returns as xst_fit_report. */
int xst_fit_ack(const char *line, size_t len, size_t max, char **out, size_t *outlen);

/* Where to cut a report value of len bytes into parts of at most max
 * bytes, each ending on a UTF-8 character boundary: off[0] = 0, part i is
 * off[i] .. off[i + 1]. Returns the number of parts (1 when it fits in one),
 * or -EMSGSIZE when more than nmax would be needed (off has nmax + 1
 * entries), -EINVAL for max < 4. */
int xst_split(const char *v, size_t len, size_t max, size_t *off, int nmax);

/* Whether a host value may be handed on as a line: at most XST_VALUE_MAX
 * bytes, no NUL, CR, LF, 0xFF or other control byte but tab. 0 or -EINVAL
 * / -EMSGSIZE. */
int xst_value_ok(const char *v, size_t len);

#endif
