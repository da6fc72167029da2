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

/* Accumulates the raw answer so it can be recorded, then parsed once. */
struct answer {
	unsigned char *buf;
	size_t len, cap;
};

/* Room for n more bytes after a->len. */
static int answer_room(struct answer *a, size_t n)
{
	if (a->len + n > (64u << 20))
		return -E2BIG;
	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap : 32768;
		while (cap < a->len + n)
			cap *= 2;
		void *nb = realloc(a->buf, cap);
		if (!nb)
			return -ENOMEM;
		a->buf = nb;
		a->cap = cap;
	}
	return 0;
}

static int answer_add(struct answer *a, const void *p, size_t n)
{
	int r = answer_room(a, n);
	if (r)
		return r;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
	return 0;
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

/* The kernel's answers to one dump request into a, up to its DONE. Each
 * datagram is received in place after a->len; the messages of this request
 * are kept there, moved down over any that are not (a stale answer). */
static int recv_answer(uint32_t seq, struct answer *a)
{
	for (;;) {
		/* The kernel sizes a dump's datagrams to the largest read
		 * the socket has seen (netlink_dump): always read RECV_LEN. */
		int r = answer_room(a, RECV_LEN);
		if (r)
			return r;
		unsigned char *p = a->buf + a->len;
		ssize_t n = recv(nl_fd, p, RECV_LEN, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || n > RECV_LEN)
			return -EIO;
		for (size_t off = 0; (size_t)n - off >= NLMSG_HDRLEN;) {
			const struct nlmsghdr *h = (const void *)(p + off);
			size_t left = (size_t)n - off, sz = NLMSG_ALIGN(h->nlmsg_len);
			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > left)
				return -EIO;
			sz = sz < left ? sz : left;
			if (h->nlmsg_seq == seq) {
				if (h->nlmsg_type == NLMSG_DONE)
					return 0;
				if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
					return -EIO; /* NLMSG_ERROR: refused */
				memmove(a->buf + a->len, h, sz);
				a->len += sz;
			}
			off += sz;
		}
	}
}

/* Dump TCP sockets of one family in the given states, with an optional
 * bytecode filter, appending the raw messages to a. */
static int dump(int family, uint32_t states, const void *bc, size_t bclen,
		struct answer *a)
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
		r = recv_answer(req.h.nlmsg_seq, a);
	if (!r) {
		/* A DONE marker keeps the recorded stream self-delimiting. */
		struct nlmsghdr done = { .nlmsg_len = NLMSG_LENGTH(sizeof(int)),
					 .nlmsg_type = NLMSG_DONE };
		int zero = 0;
		if (answer_add(a, &done, sizeof done) || answer_add(a, &zero, sizeof zero))
			r = -ENOMEM;
	}
	if (r)
		nl_close();
	return r;
}

static void record(const char *name, const struct answer *a)
{
	char p[4096];
	if (!record_dir || kfs_path(record_dir, name, p, sizeof p))
		return;
	char why[160];
	if (safefile_write_buf(p, 0644, a->buf, a->len, why, sizeof why) < 0)
		log_warn("sockdiag: cannot record %s: %s", p, why);
}

static int replay(const char *root, const char *name, struct answer *a)
{
	char path[256];
	snprintf(path, sizeof path, "netlink/%s", name);
	char *buf;
	size_t len;
	int r = kfs_read_alloc(root, path, &buf, &len);
	if (r)
		return r;
	a->buf = (unsigned char *)buf;
	a->len = len;
	return 0;
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

/* Both families go in one answer buffer: v4 messages, DONE, v6, DONE. The
 * parser stops at the first DONE, so parse v4 and v6 parts separately. */
static int parse_two(const struct answer *a,
		     int (*fn)(const struct inet_diag_msg *m, void *arg), void *arg)
{
	const struct nlmsghdr *h = (const void *)a->buf;
	size_t left = a->len;
	int parts = 0;
	const unsigned char *start = a->buf;
	for (; NLMSG_OK(h, left); h = next_msg(h, &left)) {
		if (h->nlmsg_type != NLMSG_DONE)
			continue;
		/* an unpadded last message: stop at the buffer's end */
		size_t step = NLMSG_ALIGN(h->nlmsg_len) < left ? NLMSG_ALIGN(h->nlmsg_len) : left;
		const unsigned char *end = (const unsigned char *)h + step;
		int r = walk(start, (size_t)(end - start), fn, arg);
		if (r)
			return r;
		start = end;
		parts++;
	}
	return parts ? 0 : -EINVAL;
}

static int fetch(const char *root, const char *name, uint32_t states,
		 const void *bc, size_t bclen, struct answer *a)
{
	if (!is_live(root))
		return replay(root, name, a);
	int r = dump(AF_INET, states, bc, bclen, a);
	if (!r)
		r = dump(AF_INET6, states, bc, bclen, a);
	if (!r)
		record(name, a);
	return r;
}

int sockdiag_listeners(const char *root, struct gv_listener **out, int *n)
{
	struct answer a = { 0 };
	struct lcollect c = { 0 };
	int r = fetch(root, "sock_diag_listen.bin", 1u << TCP_LISTEN, NULL, 0, &a);
	if (!r)
		r = parse_two(&a, add_listener, &c);
	free(a.buf);
	if (r) {
		free(c.v);
		return r;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

static int count_one(const struct inet_diag_msg *m, void *arg)
{
	(void)m;
	(*(uint64_t *)arg)++;
	return 0;
}

int sockdiag_count_ports(const char *root, uint32_t lo, uint32_t hi, uint64_t *count)
{
	/* sport >= lo && sport <= hi, in inet_diag bytecode: each comparison
	 * is an op followed by an op whose `no` holds the port; a jump past
	 * the end + 4 rejects, running off the end accepts. */
	struct inet_diag_bc_op bc[4] = {
		{ INET_DIAG_BC_S_GE, 8, 20 }, { 0, 0, (uint16_t)lo },
		{ INET_DIAG_BC_S_LE, 8, 12 }, { 0, 0, (uint16_t)hi },
	};
	uint32_t states = ~(1u << TCP_LISTEN) & ((1u << 13) - 1); /* 12: NEW_SYN_RECV */
	struct answer a = { 0 };
	*count = 0;
	int r = fetch(root, "sock_diag_ports.bin", states, bc, sizeof bc, &a);
	if (!r)
		r = parse_two(&a, count_one, count);
	free(a.buf);
	return r;
}
