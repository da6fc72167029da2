/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guest: one guest's agent channel in vtune-hostd (see guest.h): bounded,
 * non-blocking, strict; nothing a guest sends can block another guest. */
#include "guest.h"
#include "action.h"
#include "privops.h"
#include "report_scan.h"
#include "sanitize.h"
#include "linebuf.h"
#include "log.h"
#include "vclock.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SEC 1000000000ull

struct guest *guest_new(const struct bk_guest *bk, struct loop *loop,
			const struct guest_hooks *hooks, void *arg)
{
	struct guest *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->bk = *bk;
	g->bk.name[sizeof g->bk.name - 1] = 0;
	g->bk.channel[sizeof g->bk.channel - 1] = 0;
	g->loop = loop;
	g->hooks = hooks;
	g->hooks_arg = arg;
	g->fd = -1;
	g->backoff_ns = GUEST_BACKOFF_MIN_NS;
	return g;
}

static void drop_pending(struct guest *g)
{
	for (unsigned i = 0; i < g->npending; i++)
		if (g->hooks && g->hooks->on_lost)
			g->hooks->on_lost(g->hooks_arg, g, &g->pending[i]);
	g->npending = 0;
}

static void close_channel(struct guest *g)
{
	if (g->fd >= 0) {
		if (g->loop)
			loop_del_fd(g->loop, g->fd);
		close(g->fd);
		g->fd = -1;
	}
	linebuf_free(g->in);
	g->in = NULL;
	linebuf_outq_free(g->out);
	g->out = NULL;
	g->hello_seen = 0;
	g->agreed_v = 0;
	g->have_seq = 0;
	g->watching = 0;
	g->kill = NULL;
	g->win_start = g->win_msgs = g->win_excess = g->throttle_since = 0;
	g->hellos = 0;
	g->hello_win_ns = 0;
	drop_pending(g);
}

void guest_free(struct guest *g)
{
	if (!g)
		return;
	close_channel(g);
	if (g->sample)
		json_object_put(g->sample);
	free(g->keep);
	free(g->pending);
	free(g->unserved);
	free(g);
}

/* Log about bad guest input at most once per GUEST_LOG_EVERY_NS. */
static void bad_input(struct guest *g, uint64_t now, const char *what, const char *why)
{
	if (g->last_log_ns && now - g->last_log_ns < GUEST_LOG_EVERY_NS)
		return;
	g->last_log_ns = now;
	log_src(LOG_WARNING, g->bk.name, "input",
		"guest %s: %s: %s (further bad input from it is counted, logged once a minute)",
		g->bk.name, what, why);
}

void guest_input_refused(struct guest *g, uint64_t now_ns, const char *why)
{
	g->st.invalid++;
	bad_input(g, now_ns, "message dropped", why);
}

void guest_disconnect(struct guest *g, uint64_t now_ns, const char *reason)
{
	if (g->fd >= 0) {
		log_src(LOG_INFO, g->bk.name, "channel",
			"guest %s: channel closed: %s; reconnecting in %.0fs", g->bk.name, reason,
			(double)g->backoff_ns / 1e9);
		g->st.disconnects++;
	}
	snprintf(g->close_reason, sizeof g->close_reason, "%s", reason);
	close_channel(g);
	g->next_connect_ns = now_ns + g->backoff_ns;
	g->backoff_ns *= 2;
	if (g->backoff_ns > GUEST_BACKOFF_MAX_NS)
		g->backoff_ns = GUEST_BACKOFF_MAX_NS;
}

static void want(struct guest *g, uint32_t ev)
{
	if (!g->loop || g->fd < 0 || ev == g->watching)
		return;
	if (loop_mod_fd(g->loop, g->fd, ev) == 0)
		g->watching = ev;
}

/* Flush what is queued; -errno on a dead or stalled channel. */
static int flush(struct guest *g)
{
	int r = linebuf_outq_flush(g->out, g->fd);
	if (r == -EAGAIN) {
		want(g, EPOLLIN | EPOLLOUT);
		return 0;
	}
	if (r == 0)
		want(g, EPOLLIN);
	return r;
}

static void loop_cb(void *arg, int fd, uint32_t events)
{
	(void)fd;
	guest_on_io(arg, events, vclock_mono_ns());
}

static int send_hello(struct guest *g)
{
	struct wire_msg m;
	wire_msg_init(&m, WIRE_HELLO);
	m.u.hello.role = WIRE_ROLE_HOST;
	snprintf(m.u.hello.version, sizeof m.u.hello.version, "%s", VTUNE_VERSION);
	m.u.hello.min_v = WIRE_V_MIN;
	m.u.hello.max_v = g->max_v ? g->max_v : WIRE_V_MAX;
	m.u.hello.ncaps = 2;
	snprintf(m.u.hello.caps[0], sizeof m.u.hello.caps[0], "sysctl");
	/* its Xen bridge joins a report split over several xenstore values */
	snprintf(m.u.hello.caps[1], sizeof m.u.hello.caps[1], "%s", WIRE_CAP_XS_PARTS);
	return guest_send(g, &m);
}

int guest_attach_fd(struct guest *g, int fd, uint64_t now_ns)
{
	int r;
	close_channel(g);
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	g->in = linebuf_new(GUEST_MAX_LINE);
	g->out = linebuf_outq_new(GUEST_MAX_OUTQ);
	if (!g->in || !g->out) {
		close(fd);
		close_channel(g);
		return -ENOMEM;
	}
	g->fd = fd;
	if (g->loop) {
		r = loop_add_fd(g->loop, fd, EPOLLIN, loop_cb, g);
		if (r < 0) {
			close_channel(g);
			return r;
		}
		g->watching = EPOLLIN;
	}
	g->connected_ns = now_ns;
	g->st.connects++;
	g->close_reason[0] = 0;
	r = linebuf_outq_push(g->out, LINEBUF_RESYNC, LINEBUF_RESYNC_LEN);
	if (r == 0)
		r = send_hello(g);
	if (r < 0) {
		guest_disconnect(g, now_ns, "cannot send hello");
		return r;
	}
	return 0;
}

int guest_connect(struct guest *g, uint64_t now_ns)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!g->bk.channel[0])
		return -ENOENT;
	if (strlen(g->bk.channel) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, g->bk.channel);
	int fd = -1, r = 0;
	if (privops_active()) {
		/* Unprivileged: the privileged process connects (it checks the
		 * path) and hands over the socket. */
		fd = privops_connect_unix(g->bk.channel);
		if (fd < 0)
			r = fd;
		else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
			r = -errno;
	} else {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		/* A unix connect never is in progress: EAGAIN means the
		 * listener's backlog is full; retry later like any failure. */
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
			r = -errno;
	}
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		snprintf(g->close_reason, sizeof g->close_reason, "connect: %s", strerror(-r));
		g->next_connect_ns = now_ns + g->backoff_ns;
		g->backoff_ns = g->backoff_ns * 2 > GUEST_BACKOFF_MAX_NS ? GUEST_BACKOFF_MAX_NS
									  : g->backoff_ns * 2;
		log_debug("guest %s: connect %s: %s", g->bk.name, g->bk.channel, strerror(-r));
		return r;
	}
	log_src(LOG_INFO, g->bk.name, "channel", "guest %s: connected to %s", g->bk.name,
		g->bk.channel);
	return guest_attach_fd(g, fd, now_ns);
}

/* A send failed: close now, or after the feed when inside one (the framer
 * is in use). */
static void fail_channel(struct guest *g, const char *why)
{
	if (g->feeding) {
		if (!g->kill)
			g->kill = why;
		return;
	}
	guest_disconnect(g, vclock_mono_ns(), why);
}

int guest_send(struct guest *g, const struct wire_msg *msg)
{
	char *line = NULL, err[160];
	size_t len;
	if (g->fd < 0 || !g->out || g->kill)
		return -ENOTCONN;
	int r = wire_encode(msg, &line, &len, err, sizeof err);
	if (r < 0) {
		log_err("guest %s: cannot encode %s: %s", g->bk.name, wire_type_name(msg->type), err);
		return r;
	}
	r = linebuf_outq_push(g->out, line, len);
	free(line);
	if (r == -ENOBUFS) {
		fail_channel(g, "not reading (output queue full)");
		return r;
	}
	if (r < 0)
		return r;
	r = flush(g);
	if (r < 0) {
		fail_channel(g, "write failed");
		return -ENOTCONN;
	}
	return 0;
}

int guest_send_request(struct guest *g, const struct wire_msg *msg,
		       const struct guest_pending *p)
{
	/* Most guests never get a request: the table (about 4 KiB an entry)
	 * is allocated with the first one. */
	if (!g->pending && !(g->pending = calloc(GUEST_MAX_PENDING, sizeof *g->pending)))
		return -ENOMEM;
	int r = guest_send(g, msg);
	if (r < 0)
		return r;
	if (g->npending == GUEST_MAX_PENDING) {
		if (g->hooks && g->hooks->on_lost)
			g->hooks->on_lost(g->hooks_arg, g, &g->pending[0]);
		memmove(&g->pending[0], &g->pending[1], (GUEST_MAX_PENDING - 1) * sizeof g->pending[0]);
		g->npending--;
	}
	g->pending[g->npending++] = *p;
	return 0;
}

static void remember_value(struct guest *g, const char *key, const char *value)
{
	unsigned i;
	for (i = 0; i < g->nvalues; i++)
		if (!strcmp(g->values[i].key, key))
			break;
	if (i == g->nvalues) {
		if (g->nvalues == GUEST_MAX_VALUES)
			return;
		g->nvalues++;
	}
	snprintf(g->values[i].key, sizeof g->values[i].key, "%s", key);
	snprintf(g->values[i].value, sizeof g->values[i].value, "%s", value);
}

int guest_sysctl_value(const struct guest *g, const char *key, char *buf, size_t n)
{
	int id = metric_by_sysctl(key);
	if (g->have_report && id >= 0 && mvec_has(&g->gm, id)) {
		double v = mvec_get(&g->gm, id);
		if (v < 0) /* -1: the file is absent in the guest */
			return -ENOENT;
		snprintf(buf, n, "%.0f", v);
		return 0;
	}
	for (unsigned i = 0; i < g->nvalues; i++) {
		if (!strcmp(g->values[i].key, key)) {
			snprintf(buf, n, "%s", g->values[i].value);
			return 0;
		}
	}
	return -ENOENT;
}

uint64_t guest_report_age_ns(const struct guest *g, uint64_t now_ns)
{
	if (!g->have_report)
		return UINT64_MAX;
	return now_ns > g->last_report_ns ? now_ns - g->last_report_ns : 0;
}

static void send_error(struct guest *g, uint64_t now, const char *reason)
{
	if (g->last_error_sent_ns && now - g->last_error_sent_ns < 10 * SEC)
		return;
	g->last_error_sent_ns = now;
	struct wire_msg m;
	wire_msg_init(&m, WIRE_ERROR);
	snprintf(m.u.error.reason, sizeof m.u.error.reason, "%s", reason);
	/* The reason may quote guest bytes; keep it printable ASCII. */
	for (char *p = m.u.error.reason; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	guest_send(g, &m);
}

static int on_hello(struct guest *g, const struct wire_msg *m, uint64_t now)
{
	char err[WIRE_MAX_REASON + 1];
	unsigned v;
	if (m->u.hello.role != WIRE_ROLE_AGENT) {
		bad_input(g, now, "hello", "role is not \"agent\"");
		g->st.invalid++;
		return 0;
	}
	if (wire_negotiate(WIRE_V_MIN, g->max_v ? g->max_v : WIRE_V_MAX, m->u.hello.min_v,
			   m->u.hello.max_v, &v, err, sizeof err) < 0) {
		log_src(LOG_WARNING, g->bk.name, "hello", "guest %s: %s", g->bk.name, err);
		g->last_error_sent_ns = 0;
		send_error(g, now, err);
		return -EPROTO;
	}
	int again = g->hello_seen;
	if (again) {
		/* an agent restarting behind a live channel says hello again;
		 * one that keeps saying it is throttled, then disconnected */
		g->st.hellos_again++;
		if (!g->hello_win_ns || now - g->hello_win_ns > 60 * SEC) {
			g->hello_win_ns = now;
			g->hellos = 0;
		}
		if (++g->hellos > GUEST_MAX_HELLOS)
			return -EBUSY;
	}
	g->hello_seen = 1;
	g->agreed_v = v;
	g->have_seq = 0;
	g->backoff_ns = GUEST_BACKOFF_MIN_NS; /* a working agent: reset backoff */
	snprintf(g->agent_version, sizeof g->agent_version, "%s", m->u.hello.version);
	/* the guest action kinds it carries out (names it does not know are
	 * ignored: a newer agent) */
	g->caps = 0;
	for (unsigned i = 0; i < m->u.hello.ncaps; i++) {
		const struct act_def *d = act_by_name(m->u.hello.caps[i]);
		if (d && d->run[POL_GUEST][ACT_HOSTD] == ACT_WIRE)
			g->caps |= 1u << act_index(d);
	}
	log_src(LOG_INFO, g->bk.name, "hello", "guest %s: agent %s, protocol v%u", g->bk.name,
		m->u.hello.version, v);
	if (again) /* the agent restarted behind a live channel: it needs ours */
		send_hello(g);
	if (g->hooks && g->hooks->on_hello)
		g->hooks->on_hello(g->hooks_arg, g);
	return 0;
}

/* A report read by report_scan: r is its result (1 or -EINVAL). */
static void on_report(struct guest *g, struct report_scan *rs, int r, uint64_t now)
{
	if (!g->hello_seen) {
		g->st.ignored++;
		return;
	}
	if (g->have_seq && rs->seq <= g->last_seq) {
		g->st.bad_reports++;
		bad_input(g, now, "report refused", "field 'seq': not increasing");
		return;
	}
	g->st.unknown_metrics += rs->unknown_metrics;
	if (r < 0) {
		g->st.bad_reports++;
		bad_input(g, now, "report refused", rs->why);
		return;
	}
	g->have_seq = 1;
	g->last_seq = rs->seq;
	g->gm = rs->metrics;
	g->have_report = 1;
	g->last_report_ns = now;
	free(g->keep);
	g->keep = rs->keep; /* parsed only when `vtune report` asks (guest_sample) */
	rs->keep = NULL;
	if (g->sample) {
		json_object_put(g->sample);
		g->sample = NULL;
	}
	g->st.reports++;
}

json_object *guest_sample(struct guest *g)
{
	if (!g->sample && g->keep && (g->sample = json_tokener_parse(g->keep)))
		san_json(g->sample); /* listeners' text and all: escaped */
	return g->sample;
}

/* The item of request p that result r answers: by its record number
 * when both have one (protocol 2), else by key (and kind, when given).
 * -1 when it answers none. */
static int ack_item(const struct guest_pending *p, const struct wire_result *r)
{
	for (unsigned i = 0; i < p->n; i++) {
		if (p->seq[i] > 0 && r->ref) {
			if (r->ref == (uint64_t)p->seq[i])
				return (int)i;
			continue;
		}
		if (r->ref)
			continue;
		if (!strcmp(r->key, p->key[i]) && (!r->kind[0] || !p->kind[i][0] ||
						   !strcmp(r->kind, p->kind[i])))
			return (int)i;
	}
	return -1;
}

static void on_ack(struct guest *g, const struct wire_msg *m, uint64_t now)
{
	const struct wire_ack *a = &m->u.ack;
	unsigned i;
	for (i = 0; i < g->npending; i++)
		if (g->pending[i].id == a->id)
			break;
	if (i == g->npending) {
		g->st.unknown_acks++;
		bad_input(g, now, "ack ignored", "no request with that id");
		return;
	}
	g->st.acks++;
	struct guest_pending p = g->pending[i];
	memmove(&g->pending[i], &g->pending[i + 1], (g->npending - i - 1) * sizeof p);
	g->npending--;
	/* each result must answer one item of the request, once */
	const struct wire_result *res[WIRE_MAX_CHANGES] = { 0 };
	unsigned refused = 0;
	for (unsigned k = 0; k < a->nresults; k++) {
		int item = ack_item(&p, &a->results[k]);
		if (item < 0 || res[item]) {
			refused++;
			continue;
		}
		res[item] = &a->results[k];
	}
	if (refused) {
		g->st.refused_results += refused;
		bad_input(g, now, "ack results refused", "they answer no item of the request");
	}
	for (unsigned k = 0; k < p.n; k++)
		if (res[k] && !res[k]->has_error && res[k]->has_new && !strcmp(p.kind[k], "sysctl"))
			remember_value(g, p.key[k], res[k]->new_value);
	if (g->hooks && g->hooks->on_ack)
		g->hooks->on_ack(g->hooks_arg, g, res, &p);
}

/* Rate limit: 1 when this line is over the limit and must be dropped. */
static int over_rate(struct guest *g, uint64_t now)
{
	if (!g->win_start || now - g->win_start >= SEC) {
		if (!(g->win_excess && now - g->win_start < 2 * SEC))
			g->throttle_since = 0;
		g->win_start = now;
		g->win_msgs = g->win_excess = 0;
	}
	if (++g->win_msgs <= GUEST_MAX_MSGS_PER_S)
		return 0;
	g->win_excess++;
	if (!g->throttle_since) {
		g->throttle_since = now;
		log_src(LOG_WARNING, g->bk.name, "input",
			"guest %s: more than %d messages/s: throttled (excess dropped)", g->bk.name,
			GUEST_MAX_MSGS_PER_S);
	}
	return 1;
}

struct feed_ctx {
	struct guest *g;
	uint64_t now;
	const char *close_why;
};

/* Every string a guest sent in m escaped at ingest (sanitize.h): its
 * agent version and capabilities, ack results, error reasons. */
static void sanitize_msg(struct wire_msg *m)
{
	switch (m->type) {
	case WIRE_HELLO:
		san_inplace(m->u.hello.version, sizeof m->u.hello.version);
		for (unsigned i = 0; i < m->u.hello.ncaps; i++)
			san_inplace(m->u.hello.caps[i], sizeof m->u.hello.caps[i]);
		break;
	case WIRE_ACK:
		for (unsigned i = 0; i < m->u.ack.nresults; i++) {
			struct wire_result *r = &m->u.ack.results[i];
			san_inplace(r->kind, sizeof r->kind);
			san_inplace(r->key, sizeof r->key);
			san_inplace(r->old_value, sizeof r->old_value);
			san_inplace(r->new_value, sizeof r->new_value);
			san_inplace(r->error, sizeof r->error);
		}
		break;
	case WIRE_ERROR:
		san_inplace(m->u.error.reason, sizeof m->u.error.reason);
		break;
	default:
		break;
	}
}

static int on_line(void *arg, int status, const char *line, size_t len)
{
	struct feed_ctx *c = arg;
	struct guest *g = c->g;
	char err[160];
	struct wire_msg m;

	if (over_rate(g, c->now)) {
		g->st.dropped++;
		if (c->now - g->throttle_since > GUEST_THROTTLE_MAX_NS) {
			c->close_why = "flooding for more than 10 s";
			return -EBUSY;
		}
		return 0;
	}
	if (status == -EMSGSIZE) {
		g->st.invalid++;
		g->st.overlong++;
		bad_input(g, c->now, "line dropped", "longer than 65536 bytes");
		send_error(g, c->now, "line longer than 65536 bytes");
		return 0;
	}
	if (status < 0) {
		g->st.invalid++;
		bad_input(g, c->now, "line dropped", "contains a NUL byte");
		return 0;
	}
	/* Reports, nearly all the traffic, are read in one pass without a tree. */
	struct report_scan rs;
	int r = report_scan(line, len, &rs);
	if (r == 1 || r == -EINVAL) {
		g->st.unknown_fields += rs.unknown_fields;
		on_report(g, &rs, r, c->now);
		free(rs.keep);
		return 0;
	}
	if (r == -ENOMEM) {
		g->st.invalid++;
		bad_input(g, c->now, "line dropped", "out of memory");
		return 0;
	}
	r = wire_decode(line, len, &m, err, sizeof err);
	if (r == 0)
		sanitize_msg(&m); /* no raw guest text goes further */
	if (r < 0) {
		g->st.invalid++;
		bad_input(g, c->now, "line dropped", err);
		send_error(g, c->now, err);
		return 0;
	}
	g->st.unknown_fields += m.unknown_fields;
	switch (m.type) {
	case WIRE_HELLO:
		r = on_hello(g, &m, c->now);
		if (r == -EBUSY)
			c->close_why = "hello repeated more than 3 times a minute";
		else if (r < 0)
			c->close_why = "no common protocol version";
		break;
	case WIRE_REPORT: /* report_scan and wire_decode disagree: a bug, never trusted */
		g->st.invalid++;
		bad_input(g, c->now, "line dropped", "a report that could not be read");
		break;
	case WIRE_ACK:
		on_ack(g, &m, c->now);
		break;
	case WIRE_ERROR:
		bad_input(g, c->now, "agent says", m.u.error.reason);
		break;
	default:
		g->st.invalid++;
		bad_input(g, c->now, "line dropped", "a host-only message type from the guest");
		break;
	}
	wire_msg_free(&m);
	return r;
}

void guest_on_io(struct guest *g, uint32_t events, uint64_t now_ns)
{
	char buf[16384];
	size_t total = 0;
	if (g->fd < 0)
		return;
	if (events & EPOLLOUT) {
		int r = flush(g);
		if (r < 0) {
			guest_disconnect(g, now_ns, "write failed");
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	while (total < GUEST_READ_BUDGET && g->fd >= 0) {
		ssize_t n = read(g->fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			char why[96];
			snprintf(why, sizeof why, "read: %s", strerror(errno));
			guest_disconnect(g, now_ns, why);
			return;
		}
		if (n == 0) {
			guest_disconnect(g, now_ns, "closed by the other end");
			return;
		}
		total += (size_t)n;
		struct feed_ctx c = { g, now_ns, NULL };
		g->feeding = 1;
		int r = linebuf_feed(g->in, buf, (size_t)n, now_ns, on_line, &c);
		g->feeding = 0;
		if (r != 0 || g->kill) {
			const char *why = g->kill ? g->kill : c.close_why ? c.close_why : "protocol error";
			guest_disconnect(g, now_ns, why);
			return;
		}
		/* A short read drained the socket; epoll (level-triggered) says
		 * when there is more, which saves a read() that fails per wake. */
		if ((size_t)n < sizeof buf)
			return;
	}
}

void guest_tick(struct guest *g, uint64_t now_ns)
{
	if (g->fd >= 0) {
		uint64_t since = linebuf_partial_since(g->in);
		if (since && now_ns > since && now_ns - since > GUEST_PARTIAL_MAX_NS) {
			g->st.invalid++;
			guest_disconnect(g, now_ns, "a partial line older than 10 s");
			return;
		}
		if (g->throttle_since && now_ns - g->throttle_since > GUEST_THROTTLE_MAX_NS &&
		    g->win_excess && now_ns - g->win_start < 2 * SEC) {
			guest_disconnect(g, now_ns, "flooding for more than 10 s");
			return;
		}
		if (linebuf_outq_pending(g->out) && flush(g) < 0)
			guest_disconnect(g, now_ns, "write failed");
		return;
	}
	if (!g->gone && g->bk.channel[0] && now_ns >= g->next_connect_ns)
		guest_connect(g, now_ns);
}
