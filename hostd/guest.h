/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guest: one guest's agent channel in vtune-hostd: connecting (QEMU is the
 * server), framing, strict decoding, per-guest bounds (line size, message
 * rate, output queue, partial-line age), the latest validated report, and
 * the applies still waiting for an ack. The guest is untrusted. */
#ifndef VTUNE_GUEST_H
#define VTUNE_GUEST_H

#include <stdint.h>

#include <json-c/json.h>

#include "backend.h"
#include "hostnet.h"
#include "loop.h"
#include "metrics.h"
#include "wire.h"

/* Per-guest bounds. */
#define GUEST_MAX_LINE WIRE_MAX_LINE	      /* longest line, bytes (framer) */
#define GUEST_MAX_MSGS_PER_S 20		      /* lines taken per second; more are dropped */
#define GUEST_THROTTLE_MAX_NS (10ull * 1000000000ull) /* sustained flooding -> disconnect */
#define GUEST_MAX_OUTQ (256u * 1024u)	      /* unsent bytes to the guest; full = stalled */
#define GUEST_PARTIAL_MAX_NS (10ull * 1000000000ull) /* oldest partial line allowed */
#define GUEST_READ_BUDGET (64u * 1024u)	      /* bytes read per readable event (fairness) */
#define GUEST_BACKOFF_MIN_NS (1ull * 1000000000ull)
#define GUEST_BACKOFF_MAX_NS (30ull * 1000000000ull)
#define GUEST_MAX_PENDING 64		      /* applies/reverts awaiting an ack */
#define GUEST_MAX_VALUES 32		      /* guest sysctl values learnt from acks */
#define GUEST_LOG_EVERY_NS (60ull * 1000000000ull) /* one bad-input log per guest per minute */
#define GUEST_MAX_HELLOS 3		      /* hellos again on one channel per minute (an agent
					       * restarting behind it); more: disconnected */

struct guest;

/* An apply or revert sent to the guest, waiting for its ack. seq[i] is the
 * journal "set" record of key[i] (0: none, e.g. dry run). */
struct guest_pending {
	uint64_t id;
	int revert; /* 1: it undoes changes for a revert */
	int by_ref; /* a protocol 2 revert by record numbers: the ack marks them */
	char why[384]; /* why it is reverted (effect verification's verdict),
			* added to the marks; "" none */
	char rule[WIRE_MAX_RULE + 1];
	unsigned n;
	char key[WIRE_MAX_CHANGES][WIRE_MAX_KEY + 1];
	char kind[WIRE_MAX_CHANGES][WIRE_MAX_KIND + 1];
	int64_t seq[WIRE_MAX_CHANGES];
};

struct guest_stats {
	uint64_t reports;	  /* good reports taken */
	uint64_t bad_reports;	  /* reports refused (metric out of range, not a number...) */
	uint64_t ignored;	  /* reports before hello */
	uint64_t invalid;	  /* lines that were not valid messages (overlong, NUL, JSON...) */
	uint64_t overlong;	  /* of those: over the line limit */
	uint64_t dropped;	  /* lines dropped by the rate limit */
	uint64_t unknown_metrics; /* metric names not in the catalogue (ignored) */
	uint64_t unknown_fields;  /* unknown message fields (ignored) */
	uint64_t acks, unknown_acks; /* unknown: no pending request has its id (refused) */
	uint64_t hellos_again;	     /* hellos after the first on a channel */
	uint64_t refused_results;    /* ack results naming no item of their request */
	uint64_t connects, disconnects;
};

/* What the daemon wants to hear about. Any may be NULL. */
struct guest_hooks {
	/* An ack arrived for a pending request (p is removed afterwards):
	 * res[i] is the guest's result for p's item i, NULL when it gave none.
	 * Results that name no item of the request (or one twice) were
	 * refused and counted before (st.refused_results). */
	void (*on_ack)(void *arg, struct guest *g, const struct wire_result *const *res,
		       const struct guest_pending *p);
	/* A pending request will never be answered (disconnect, overflow). */
	void (*on_lost)(void *arg, struct guest *g, const struct guest_pending *p);
	/* The agent said hello (versions agreed, caps known). */
	void (*on_hello)(void *arg, struct guest *g);
};

struct guest {
	struct bk_guest bk;
	struct loop *loop; /* NULL: the caller drives guest_on_io (tests) */
	const struct guest_hooks *hooks;
	void *hooks_arg;

	int fd;		   /* -1 when not connected */
	int hello_seen;	   /* the agent's hello arrived on this connection */
	unsigned agreed_v; /* negotiated protocol version, 0 before */
	unsigned max_v;	   /* newest version offered to it (0: WIRE_V_MAX) */
	uint32_t caps;	   /* guest action kinds its hello names: 1 << act_index */
	char agent_version[WIRE_MAX_VERSTR + 1];
	struct linebuf *in;
	struct linebuf_outq *out;
	uint32_t watching; /* epoll events asked for */
	uint64_t connected_ns, next_connect_ns, backoff_ns;
	unsigned hellos;	 /* hellos again on this channel in the window */
	uint64_t hello_win_ns;	 /* when that window started */
	char close_reason[128];

	/* the latest good report */
	int have_report;
	uint64_t last_report_ns, last_seq;
	int have_seq;
	struct mvec gm;
	char *keep;	     /* report_scan's keep text of it, or NULL */
	json_object *sample; /* keep parsed (guest_sample), or NULL */

	/* rate limit */
	uint64_t win_start, win_msgs, win_excess, throttle_since;

	struct mvec hm;	/* host view at the last evaluation (the daemon fills it) */
	struct hostnet_state hn; /* previous tap counters for the network view */
	int have_host;

	struct guest_pending *pending; /* GUEST_MAX_PENDING entries, from the first request */
	unsigned npending;

	struct { char key[WIRE_MAX_KEY + 1]; char value[WIRE_MAX_VALUE + 1]; } values[GUEST_MAX_VALUES];
	unsigned nvalues;

	char *unserved; /* hostd: what its agent cannot be asked, "rule R: why" lines */
	char refused[768]; /* hostd: the last host change refused to keep the host
			    * safe (a firewall needs it), "" when none */
	int implausible_logged;	     /* hostd: its implausible reports were said */
	uint64_t implausible_log_ns; /* when, last */

	struct guest_stats st;
	uint64_t last_log_ns, last_error_sent_ns;
	int feeding;	  /* inside linebuf_feed: do not free the framer */
	const char *kill; /* close after the feed, for this reason */
	int gone; /* the backend said the guest went away */
};

/* A guest in state "not connected". loop may be NULL. NULL on no memory. */
struct guest *guest_new(const struct bk_guest *bk, struct loop *loop,
			const struct guest_hooks *hooks, void *arg);
/* Disconnect (pending requests are reported lost) and free. NULL is fine. */
void guest_free(struct guest *g);

/* Connect to bk.channel (non-blocking unix socket). On failure the next
 * attempt is scheduled with exponential backoff. 0 or -errno. */
int guest_connect(struct guest *g, uint64_t now_ns);
/* guest_attach_fd (a channel a backend carries itself): backend.h. */
/* Close the channel now and schedule a reconnect after the backoff. */
void guest_disconnect(struct guest *g, uint64_t now_ns, const char *reason);

/* The fd handler: read (at most GUEST_READ_BUDGET bytes), decode and act
 * on each line; flush output on EPOLLOUT. May disconnect the guest. */
void guest_on_io(struct guest *g, uint32_t events, uint64_t now_ns);
/* Periodic checks: partial-line age, sustained throttling, reconnecting
 * when due (if the channel is known). Call about once a second. */
void guest_tick(struct guest *g, uint64_t now_ns);

/* Queue one message whole and try to send it. 0, -ENOTCONN, -ENOBUFS (the
 * guest is not reading: it is disconnected as stalled) or -EINVAL. */
int guest_send(struct guest *g, const struct wire_msg *msg);
/* Send an apply (its id must be the one in p) and remember p until the ack
 * arrives. 0 or as guest_send. */
int guest_send_request(struct guest *g, const struct wire_msg *msg,
		       const struct guest_pending *p);

/* The guest's current value of a sysctl as last seen (its report's knob
 * metrics, else an ack's new value). 0 or -ENOENT. */
int guest_sysctl_value(const struct guest *g, const char *key, char *buf, size_t n);

/* Age of the latest good report (UINT64_MAX when none). */
uint64_t guest_report_age_ns(const struct guest *g, uint64_t now_ns);

/* What `vtune report` shows of the latest good report's sample (see
 * report_scan's keep), parsed on first use; owned by g, valid until the
 * next report. NULL when none (or no memory). */
json_object *guest_sample(struct guest *g);

#endif
