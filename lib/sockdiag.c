/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sockdiag: NETLINK_SOCK_DIAG dumps of TCP sockets, live or replayed
 * through lib/netlink (a request struct plus one attribute, as iproute2). */
#include "sockdiag.h"
#include "vec.h"
#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

static const char *record_dir;

void sockdiag_set_record_dir(const char *dir)
{
	record_dir = dir;
}

/* The NETLINK_SOCK_DIAG conversation; its socket is kept from one dump to
 * the next (the socket and bind are most of a small dump's cost), closed
 * by lib/netlink after any failure. */
static struct netlink sd = { .fd = -1, .keep = 1 };

/* Each inet_diag_msg of an answer, to fn. */
struct sink {
	int (*fn)(const struct inet_diag_msg *m, void *arg);
	void *arg;
};

static int on_msg(const struct nlmsghdr *h, void *arg)
{
	const struct sink *k = arg;
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return -EINVAL;
	return k->fn(NLMSG_DATA(h), k->arg);
}

/* Dump TCP sockets of one family in the given states, with an optional
 * bytecode filter, into the sink (the answer of NAME when replayed or
 * recorded). */
static int dump(const char *name, int family, uint32_t states, const void *bc, size_t bclen,
		struct sink *k)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
		unsigned char attrs[NLA_HDRLEN + 64];
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof req.r), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_DUMP },
		.r = { .sdiag_family = (uint8_t)family, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = states },
	};
	if (bc && netlink_put(&req.h, sizeof req, INET_DIAG_REQ_BYTECODE, bc, bclen))
		return -EINVAL;
	return netlink_talk(&sd, name, &req.h, on_msg, k);
}

struct lcollect {
	struct gv_listener *v;
	int n;
	size_t cap;
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
	if (VEC_RESERVE(c->v, c->cap, (size_t)c->n + 1))
		return -ENOMEM;
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
	struct sink k = { add_listener, &c };
	int r = netlink_parse(buf, len, on_msg, &k, NULL, 0, NULL);
	if (r) {
		free(c.v);
		return r;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

/* One dump of both families, live (streamed into fn, and recorded when a
 * record directory is set) or replayed from <root>/NAME: both
 * answers go in one file, v4 messages, DONE, v6 messages, DONE. */
static int fetch(const char *root, const char *name, uint32_t states,
		 const void *bc, size_t bclen,
		 int (*fn)(const struct inet_diag_msg *m, void *arg), void *arg)
{
	struct sink k = { fn, arg };
	int r = netlink_open(&sd, root, NETLINK_SOCK_DIAG, NULL, record_dir);
	if (r)
		r = -EPROTONOSUPPORT;
	if (!r)
		r = dump(name, AF_INET, states, bc, bclen, &k);
	if (!r)
		r = dump(name, AF_INET6, states, bc, bclen, &k);
	netlink_close(&sd);
	return r;
}

int sockdiag_listeners(const char *root, struct gv_listener **out, int *n)
{
	struct lcollect c = { 0 };
	int r = fetch(root, "netlink/sock_diag_listen.bin", 1u << TCP_LISTEN, NULL, 0, add_listener, &c);
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
	int r = fetch(root, "netlink/sock_diag_ports.bin", states, bc, sizeof bc, count_one, &c);
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
	return fetch(root, "netlink/sock_diag_synrecv.bin", states, NULL, 0, count_synrecv, &q);
}
