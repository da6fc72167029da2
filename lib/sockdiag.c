/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sockdiag: NETLINK_SOCK_DIAG dumps of TCP sockets, live or replayed, on a
 * plain netlink socket (a request struct plus one attribute, as iproute2). */
#include "sockdiag.h"
#include "kfs.h"
#include "log.h"
#include "safefile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *record_dir;

void sockdiag_set_record_dir(const char *dir)
{
	record_dir = dir;
}

static int is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

/* The NETLINK_SOCK_DIAG socket, kept open from one dump to the next (the
 * socket and bind are most of a small dump's cost). Closed after any
 * failure, so a half-read answer never meets the next request. */
static int nl_fd = -1;
static uint32_t nl_seq;

#define RECV_LEN 16384

static void nl_close(void)
{
	if (nl_fd >= 0)
		close(nl_fd);
	nl_fd = -1;
}

/* Where a live answer goes, one message at a time: to fn, and to the
 * recording (if any). Nothing holds the whole answer: a dump of a million
 * sockets needs no more memory than one of ten. */
struct sink {
	int (*fn)(const struct inet_diag_msg *m, void *arg);
	void *arg;
	FILE *rec;
};

/* A DONE marker, as the recorded stream ends each family's part with. */
static void rec_done(FILE *rec)
{
	struct {
		struct nlmsghdr h;
		int zero;
	} done = { { .nlmsg_len = NLMSG_LENGTH(sizeof(int)), .nlmsg_type = NLMSG_DONE }, 0 };
	if (rec)
		fwrite(&done, 1, sizeof done, rec);
}

/* The kernel's answers to one dump request, up to its DONE, each message of
 * this request passed to the sink as it arrives (messages of another
 * sequence number, a stale answer, are skipped). One datagram at a time in
 * a fixed buffer. */
static int recv_answer(uint32_t seq, struct sink *k)
{
	static unsigned char buf[RECV_LEN] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (;;) {
		/* The kernel sizes a dump's datagrams to the largest read
		 * the socket has seen (netlink_dump): always read RECV_LEN. */
		ssize_t n = recv(nl_fd, buf, RECV_LEN, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || n > RECV_LEN)
			return -EIO;
		for (size_t off = 0; (size_t)n - off >= NLMSG_HDRLEN;) {
			const struct nlmsghdr *h = (const void *)(buf + off);
			size_t left = (size_t)n - off, sz = NLMSG_ALIGN(h->nlmsg_len);
			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > left)
				return -EIO;
			sz = sz < left ? sz : left;
			off += sz;
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				rec_done(k->rec);
				return 0;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
				return -EIO; /* NLMSG_ERROR: refused */
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				return -EIO;
			if (k->rec)
				fwrite(h, 1, sz, k->rec);
			int r = k->fn(NLMSG_DATA(h), k->arg);
			if (r)
				return r;
		}
	}
}

/* Dump TCP sockets of one family in the given states, with an optional
 * bytecode filter, into the sink. */
static int dump(int family, uint32_t states, const void *bc, size_t bclen,
		struct sink *k)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
		struct nlattr at;
		unsigned char bc[64];
	} req;
	if (bclen > sizeof req.bc)
		return -EINVAL;
	if (nl_fd < 0 &&
	    (nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0)
		return -EPROTONOSUPPORT;
	memset(&req, 0, sizeof req);
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.r);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = ++nl_seq;
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = states;
	if (bc) {
		req.at.nla_len = (uint16_t)NLA_HDRLEN + (uint16_t)bclen;
		req.at.nla_type = INET_DIAG_REQ_BYTECODE;
		memcpy(req.bc, bc, bclen);
		req.h.nlmsg_len += NLA_ALIGN(req.at.nla_len);
	}
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int r = 0;
	if (sendto(nl_fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof kernel) != (ssize_t)req.h.nlmsg_len)
		r = -EIO;
	if (!r)
		r = recv_answer(req.h.nlmsg_seq, k);
	if (r)
		nl_close(); /* the rest of the answer must not meet the next request */
	return r;
}

/* The recording of one answer, written safely (lib/safefile: a new file
 * beside it, renamed when whole, so a reader never sees half of one and
 * nothing planted there is followed). */
static FILE *rec_open(const char *name, struct safefile **sf)
{
	char p[4096], why[160];
	int err;
	*sf = NULL;
	if (!record_dir || kfs_path(record_dir, name, p, sizeof p))
		return NULL;
	FILE *f = safefile_open(p, 0644, sf, &err, why, sizeof why);
	if (!f)
		log_warn("sockdiag: cannot record %s: %s", p, why);
	return f;
}

static void rec_close(struct safefile *sf, int ok)
{
	char why[160];
	if (sf && safefile_close(sf, ok, why, sizeof why) < 0)
		log_warn("sockdiag: recording: %s", why);
}

/* A recorded answer, read whole: fixtures only (a live answer is never
 * held whole). */
static int replay(const char *root, const char *name, char **buf, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, "netlink/%s", name);
	return kfs_read_alloc(root, path, buf, len);
}

/* The message after h, with *left the bytes from h on. Unlike NLMSG_NEXT it
 * does not let the size_t count wrap when the last message is not padded to
 * NLMSG_ALIGNTO: *left becomes 0 and NLMSG_OK then ends the walk. */
static const struct nlmsghdr *next_msg(const struct nlmsghdr *h, size_t *left)
{
	size_t step = NLMSG_ALIGN(h->nlmsg_len);
	if (step >= *left) {
		*left = 0;
		return h;
	}
	*left -= step;
	return (const void *)((const char *)h + step);
}

/* Walk every inet_diag_msg in a buffer of netlink messages. */
static int walk(const void *buf, size_t len,
		int (*fn)(const struct inet_diag_msg *m, void *arg), void *arg)
{
	const struct nlmsghdr *h = buf;
	size_t left = len;
	if (len > INT32_MAX)
		return -EINVAL;
	for (; NLMSG_OK(h, left); h = next_msg(h, &left)) {
		if (h->nlmsg_type == NLMSG_DONE)
			return 0;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e))
				return -EINVAL;
			return e->error < 0 && e->error > -4096 ? e->error : -EINVAL;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			return -EINVAL;
		int r = fn(NLMSG_DATA(h), arg);
		if (r)
			return r;
	}
	/* Ran out of bytes without a DONE: truncated. */
	return -EINVAL;
}

struct lcollect {
	struct gv_listener *v;
	int n, cap;
};

static int add_listener(const struct inet_diag_msg *m, void *arg)
{
	struct lcollect *c = arg;
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EINVAL;
	if (m->idiag_state != TCP_LISTEN)
		return 0;
	if (c->n >= GV_MAX_LISTENERS)
		return 0; /* keep the first ones; the rest are not reported */
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		void *p = realloc(c->v, (size_t)c->cap * sizeof *c->v);
		if (!p)
			return -ENOMEM;
		c->v = p;
	}
	struct gv_listener *l = &c->v[c->n++];
	memset(l, 0, sizeof *l);
	l->family = m->idiag_family;
	inet_ntop(l->family, m->id.idiag_src, l->addr, sizeof l->addr);
	l->port = ntohs(m->id.idiag_sport);
	l->queue = m->idiag_rqueue;
	l->backlog = m->idiag_wqueue;
	l->inode = m->idiag_inode;
	return 0;
}

int sockdiag_parse_listeners(const void *buf, size_t len, struct gv_listener **out, int *n)
{
	struct lcollect c = { 0 };
	int r = walk(buf, len, add_listener, &c);
	if (r) {
		free(c.v);
		return r;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

/* Both families go in one recorded answer: v4 messages, DONE, v6, DONE.
 * The parser stops at the first DONE, so parse v4 and v6 parts separately. */
static int parse_two(const char *buf, size_t len,
		     int (*fn)(const struct inet_diag_msg *m, void *arg), void *arg)
{
	const struct nlmsghdr *h = (const void *)buf;
	size_t left = len;
	int parts = 0;
	const char *start = buf;
	for (; NLMSG_OK(h, left); h = next_msg(h, &left)) {
		if (h->nlmsg_type != NLMSG_DONE)
			continue;
		/* an unpadded last message: stop at the buffer's end */
		size_t step = NLMSG_ALIGN(h->nlmsg_len) < left ? NLMSG_ALIGN(h->nlmsg_len) : left;
		const char *end = (const char *)h + step;
		int r = walk(start, (size_t)(end - start), fn, arg);
		if (r)
			return r;
		start = end;
		parts++;
	}
	return parts ? 0 : -EINVAL;
}

/* One dump of both families, live (streamed into fn, and recorded when a
 * record directory is set) or replayed from <root>/netlink/NAME. */
static int fetch(const char *root, const char *name, uint32_t states,
		 const void *bc, size_t bclen,
		 int (*fn)(const struct inet_diag_msg *m, void *arg), void *arg)
{
	if (!is_live(root)) {
		char *buf = NULL;
		size_t len = 0;
		int r = replay(root, name, &buf, &len);
		if (!r)
			r = parse_two(buf, len, fn, arg);
		free(buf);
		return r;
	}
	struct safefile *sf;
	struct sink k = { .fn = fn, .arg = arg, .rec = rec_open(name, &sf) };
	int r = dump(AF_INET, states, bc, bclen, &k);
	if (!r)
		r = dump(AF_INET6, states, bc, bclen, &k);
	rec_close(sf, !r);
	return r;
}

int sockdiag_listeners(const char *root, struct gv_listener **out, int *n)
{
	struct lcollect c = { 0 };
	int r = fetch(root, "sock_diag_listen.bin", 1u << TCP_LISTEN, NULL, 0, add_listener, &c);
	if (r) {
		free(c.v);
		return r;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

struct pcount {
	const uint16_t *skip;
	size_t nskip;
	uint64_t n;
};

static int skipped(const struct pcount *c, uint16_t port)
{
	size_t lo = 0, hi = c->nskip;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->skip[mid] == port)
			return 1;
		if (c->skip[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int count_one(const struct inet_diag_msg *m, void *arg)
{
	struct pcount *c = arg;
	if (!c->nskip || !skipped(c, ntohs(m->id.idiag_sport)))
		c->n++;
	return 0;
}

int sockdiag_count_ports(const char *root, uint32_t lo, uint32_t hi, const uint16_t *skip,
			 size_t nskip, uint64_t *count)
{
	/* sport >= lo && sport <= hi, in inet_diag bytecode: each comparison
	 * is an op followed by an op whose `no` holds the port; a jump past
	 * the end + 4 rejects, running off the end accepts. */
	struct inet_diag_bc_op bc[4] = {
		{ INET_DIAG_BC_S_GE, 8, 20 }, { 0, 0, (uint16_t)lo },
		{ INET_DIAG_BC_S_LE, 8, 12 }, { 0, 0, (uint16_t)hi },
	};
	uint32_t states = ~(1u << TCP_LISTEN) & ((1u << 13) - 1); /* 12: NEW_SYN_RECV */
	struct pcount c = { skip, nskip, 0 };
	int r = fetch(root, "sock_diag_ports.bin", states, bc, sizeof bc, count_one, &c);
	*count = c.n;
	return r;
}

struct synq {
	const struct gv_listener *ls;
	int n;
	uint64_t *counts;
};

static int count_synrecv(const struct inet_diag_msg *m, void *arg)
{
	struct synq *q = arg;
	unsigned port = ntohs(m->id.idiag_sport);
	for (int i = 0; i < q->n; i++)
		if (q->ls[i].port == port && q->ls[i].family == m->idiag_family) {
			q->counts[i]++;
			break;
		}
	return 0;
}

int sockdiag_synrecv(const char *root, const struct gv_listener *ls, int n, uint64_t *counts)
{
	struct synq q = { ls, n, counts };
	for (int i = 0; i < n; i++)
		counts[i] = 0;
	uint32_t states = (1u << TCP_SYN_RECV) | (1u << 12); /* 12: NEW_SYN_RECV */
	return fetch(root, "sock_diag_synrecv.bin", states, NULL, 0, count_synrecv, &q);
}
