/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netlink: one request, its answer walked message by message (live, one
 * datagram at a time, or replayed from a fixture root), NLMSG_ERROR as
 * -errno with the extended ack's text, live answers recorded safely. */
#include "netlink.h"
#include "kfs.h"
#include "log.h"
#include "safefile.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* The receive buffer: the kernel sizes a dump's datagrams to the largest
 * read the socket has seen, at most 32 KiB; a single larger message (a
 * link with many VFs) grows it up to RECV_MAX. */
#define RECV_LEN (32u << 10)
#define RECV_MAX (1u << 20)

static int is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

/* ---- the walk ---- */

/* The text of NLMSGERR_ATTR_MSG among the ack TLVs at p (len bytes). */
static void ext_text(const unsigned char *p, size_t len, char *ext, size_t n)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			const char *s = (const char *)a + NLA_HDRLEN;
			size_t sl = strnlen(s, a->nla_len - NLA_HDRLEN);
			snprintf(ext, n, "%.*s", (int)sl, s);
			return;
		}
		size_t step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			return;
		p += step;
		len -= step;
	}
}

/* What ends an answer: DONE (its int is a dump's error, if negative) or
 * NLMSG_ERROR (0: the ack). The extended ack's text goes into ext. */
static int end_of(const struct nlmsghdr *h, char *ext, size_t n)
{
	size_t plen = h->nlmsg_len - NLMSG_HDRLEN, skip;
	const unsigned char *p = NLMSG_DATA(h);
	int err;
	if (h->nlmsg_type == NLMSG_DONE && plen < sizeof(int))
		return 0; /* a DONE without its int */
	if (plen < sizeof(int))
		return -EINVAL;
	memcpy(&err, p, sizeof err);
	if (err > 0 || err < -4095)
		return -EINVAL;
	if (!err || !ext || !n)
		return err;
	ext[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return err;
	if (h->nlmsg_type == NLMSG_DONE) {
		skip = sizeof(int);
	} else {
		struct nlmsgerr e;
		if (plen < sizeof e)
			return err;
		memcpy(&e, p, sizeof e);
		skip = sizeof e;
		if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
			if (e.msg.nlmsg_len < NLMSG_HDRLEN)
				return err;
			skip += e.msg.nlmsg_len - NLMSG_HDRLEN;
		}
	}
	skip = NLMSG_ALIGN(skip);
	if (skip < plen)
		ext_text(p + skip, plen - skip, ext, n);
	return err;
}

struct walk {
	netlink_msg_fn fn;
	void *arg;
	int match;	/* only messages of seq (live: others are stale) */
	uint32_t seq;
	FILE *rec;	/* each message of the answer also goes here */
	char *ext;
	size_t n;
	size_t used;	/* out: bytes taken */
	int ended;	/* out: DONE or NLMSG_ERROR seen */
};

/* The messages of buf (a datagram, or the rest of a recorded file) up to
 * the end of the answer: 0 (w->ended says whether it ended), fn's value,
 * the answer's error, or -EINVAL when a message overruns. */
static int walk(const unsigned char *buf, size_t len, struct walk *w)
{
	size_t off = 0;
	w->ended = 0;
	while (len - off >= NLMSG_HDRLEN) {
		const struct nlmsghdr *h = (const void *)(buf + off);
		size_t left = len - off, step = NLMSG_ALIGN(h->nlmsg_len);
		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > left)
			return -EINVAL;
		step = step < left ? step : left; /* the last may be unpadded */
		off += step;
		w->used = off;
		if (w->match && h->nlmsg_seq != w->seq)
			continue;
		if (w->rec)
			fwrite(h, 1, step, w->rec);
		if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
			w->ended = 1;
			return end_of(h, w->ext, w->n);
		}
		if (h->nlmsg_type == NLMSG_NOOP)
			continue;
		if (h->nlmsg_type == NLMSG_OVERRUN)
			return -ENOBUFS;
		int r = w->fn ? w->fn(h, w->arg) : 0;
		if (r)
			return r;
	}
	return off == len ? 0 : -EINVAL;
}

int netlink_parse(const void *buf, size_t len, netlink_msg_fn fn, void *arg, char *ext,
		  size_t n, size_t *used)
{
	struct walk w = { .fn = fn, .arg = arg, .ext = ext, .n = n };
	if (ext && n)
		ext[0] = '\0';
	if (!buf || len > INT32_MAX)
		return -EINVAL;
	int r = walk(buf, len, &w);
	if (used)
		*used = w.used;
	return r ? r : w.ended ? 0 : -EINVAL; /* ran out before its end: cut short */
}

/* ---- recording and replay ---- */

/* Commit (or drop, after a broken answer) the file being recorded. */
static void rec_end(struct netlink *nl)
{
	char why[160];
	if (nl->sf && safefile_close(nl->sf, !nl->wbad, why, sizeof why) < 0)
		log_warn("netlink: recording %s: %s", nl->wpath, why);
	nl->sf = NULL;
	nl->rec = NULL;
	nl->wpath[0] = '\0';
	nl->wbad = 0;
}

/* <record_dir>/<path> as the recording of the answers to path, its folders
 * made. NULL when not recording or when it cannot be opened (said once). */
static FILE *rec_for(struct netlink *nl, const char *path)
{
	char p[4096], why[160];
	int err;
	if (!nl->record_dir || !*nl->record_dir || !path)
		return NULL;
	if (nl->sf && !strcmp(nl->wpath, path))
		return nl->rec;
	rec_end(nl);
	if (snprintf(nl->wpath, sizeof nl->wpath, "%s", path) >= (int)sizeof nl->wpath ||
	    kfs_path(nl->record_dir, path, p, sizeof p))
		goto fail;
	(void)mkdir(nl->record_dir, 0755);
	/* the folders of path below the record directory (p starts with it) */
	for (char *s = strchr(p + strlen(nl->record_dir), '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		(void)mkdir(p, 0755);
		*s = '/';
	}
	nl->rec = safefile_open(p, 0644, &nl->sf, &err, why, sizeof why);
	if (nl->rec)
		return nl->rec;
	log_warn("netlink: cannot record %s: %s", p, why);
fail:
	nl->wpath[0] = '\0';
	return NULL;
}

/* The next recorded answer to path: from the start of <root>/<path>, or
 * after the one the last request took from the same file. */
static int replay(struct netlink *nl, const char *path, struct walk *w)
{
	if (!path)
		return -EINVAL;
	if (!nl->rbuf || strcmp(nl->rpath, path)) {
		free(nl->rbuf);
		nl->rbuf = NULL;
		nl->rlen = nl->roff = 0;
		if (snprintf(nl->rpath, sizeof nl->rpath, "%s", path) >= (int)sizeof nl->rpath)
			return -ENAMETOOLONG;
		int r = kfs_read_alloc(nl->root, path, &nl->rbuf, &nl->rlen);
		if (r)
			return r;
	}
	int r = walk((unsigned char *)nl->rbuf + nl->roff, nl->rlen - nl->roff, w);
	nl->roff += w->used;
	return r ? r : w->ended ? 0 : -EINVAL;
}

/* ---- live ---- */

static void sock_close(struct netlink *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
	free(nl->buf);
	nl->buf = NULL;
	nl->cap = 0;
}

/* The answer to seq, datagram by datagram. The first recv only learns the
 * next datagram's size (MSG_PEEK|MSG_TRUNC, nothing copied). */
static int recv_answer(struct netlink *nl, struct walk *w)
{
	for (;;) {
		ssize_t n = recv(nl->fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > nl->cap || !nl->buf) {
			size_t cap = (size_t)n > RECV_LEN ? (size_t)n : RECV_LEN;
			if (cap > RECV_MAX)
				return -EMSGSIZE;
			void *b = realloc(nl->buf, cap);
			if (!b)
				return -ENOMEM;
			nl->buf = b;
			nl->cap = cap;
		}
		/* always offer the whole buffer: the kernel sizes a dump's
		 * next datagrams by it (netlink_dump) */
		n = recv(nl->fd, nl->buf, nl->cap, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > nl->cap)
			return -EMSGSIZE;
		int r = walk(nl->buf, (size_t)n, w);
		if (r || w->ended)
			return r;
	}
}

int netlink_talk(struct netlink *nl, const char *path, struct nlmsghdr *req, netlink_msg_fn fn,
		 void *arg)
{
	struct walk w = { .fn = fn, .arg = arg, .match = 1, .ext = nl->ext, .n = sizeof nl->ext };
	nl->ext[0] = '\0';
	if (req->nlmsg_len < NLMSG_HDRLEN)
		return -EINVAL;
	req->nlmsg_flags |= NLM_F_REQUEST;
	if (!(req->nlmsg_flags & NLM_F_DUMP))
		req->nlmsg_flags |= NLM_F_ACK;
	req->nlmsg_seq = w.seq = ++nl->seq;
	req->nlmsg_pid = 0;
	if (!is_live(nl->root)) {
		w.match = 0;
		return replay(nl, path, &w);
	}
	if (nl->fd < 0)
		return -ENOTCONN;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	w.rec = rec_for(nl, path);
	ssize_t sent = sendto(nl->fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel,
			      sizeof kernel);
	int r = sent < 0 ? -errno : sent != (ssize_t)req->nlmsg_len ? -EIO : recv_answer(nl, &w);
	if (!w.ended) {
		/* the rest of the answer must not meet the next request, nor
		 * half an answer a fixture */
		sock_close(nl);
		nl->wbad = 1;
	}
	return r;
}

/* ---- generic netlink: a family's id ---- */

static int family_id(const struct nlmsghdr *h, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_FAMILY_ID + 1];
	uint16_t *id = arg;
	if (netlink_attrs(h, GENL_HDRLEN, tb, CTRL_ATTR_FAMILY_ID))
		return -EINVAL;
	if (tb[CTRL_ATTR_FAMILY_ID] && tb[CTRL_ATTR_FAMILY_ID]->nla_len >= NLA_HDRLEN + 2)
		memcpy(id, (const char *)tb[CTRL_ATTR_FAMILY_ID] + NLA_HDRLEN, sizeof *id);
	return 0;
}

static int resolve(struct netlink *nl, const char *genl)
{
	struct {
		struct nlmsghdr h;
		struct genlmsghdr g;
		unsigned char attrs[64];
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN), .nlmsg_type = GENL_ID_CTRL },
		.g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 },
	};
	uint16_t id = 0;
	if (netlink_put_str(&req.h, sizeof req, CTRL_ATTR_FAMILY_NAME, genl))
		return -EINVAL;
	int r = netlink_talk(nl, NULL, &req.h, family_id, &id);
	if (r)
		return r;
	if (!id)
		return -ENOENT;
	nl->family = id;
	return 0;
}

/* ---- a conversation ---- */

int netlink_open(struct netlink *nl, const char *root, int proto, const char *genl,
		 const char *record_dir)
{
	nl->root = is_live(root) ? NULL : root;
	nl->record_dir = record_dir;
	nl->ext[0] = '\0';
	nl->family = 0;
	if (nl->root)
		return 0;
	if (nl->fd >= 0 && nl->proto != proto)
		sock_close(nl);
	nl->proto = proto;
	if (nl->fd < 0) {
		int one = 1;
		nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
		if (nl->fd < 0)
			return -errno;
		/* the kernel's reason with its errors; older kernels lack it */
		(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
	}
	int r = genl ? resolve(nl, genl) : 0;
	if (r)
		sock_close(nl);
	return r;
}

void netlink_close(struct netlink *nl)
{
	rec_end(nl);
	free(nl->rbuf);
	nl->rbuf = NULL;
	nl->rpath[0] = '\0';
	nl->rlen = nl->roff = 0;
	if (!nl->keep)
		sock_close(nl);
}

/* ---- attributes ---- */

int netlink_put(struct nlmsghdr *h, size_t max, uint16_t type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(h->nlmsg_len), alen = NLA_HDRLEN + len;
	if (alen > UINT16_MAX || at + NLA_ALIGN(alen) > max)
		return -EMSGSIZE;
	struct nlattr *a = (struct nlattr *)((char *)h + at);
	a->nla_type = type;
	a->nla_len = (uint16_t)alen;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + alen, 0, NLA_ALIGN(alen) - alen);
	h->nlmsg_len = (uint32_t)(at + NLA_ALIGN(alen));
	return 0;
}

int netlink_put_u32(struct nlmsghdr *h, size_t max, uint16_t type, uint32_t v)
{
	return netlink_put(h, max, type, &v, sizeof v);
}

int netlink_put_str(struct nlmsghdr *h, size_t max, uint16_t type, const char *s)
{
	return netlink_put(h, max, type, s, strlen(s) + 1);
}

struct nlattr *netlink_nest(struct nlmsghdr *h, size_t max, uint16_t type)
{
	struct nlattr *a = (struct nlattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
	return netlink_put(h, max, type, NULL, 0) ? NULL : a;
}

void netlink_nest_end(struct nlmsghdr *h, struct nlattr *nest)
{
	nest->nla_len = (uint16_t)((char *)h + h->nlmsg_len - (char *)nest);
}

int netlink_attrs(const struct nlmsghdr *h, size_t hdrlen, const struct nlattr **tb,
		  unsigned maxtype)
{
	memset(tb, 0, (maxtype + 1) * sizeof *tb);
	if (h->nlmsg_len < NLMSG_LENGTH(hdrlen))
		return -EINVAL;
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(hdrlen));
	while (off + NLA_HDRLEN <= h->nlmsg_len) {
		const struct nlattr *a = (const void *)((const char *)h + off);
		if (a->nla_len < NLA_HDRLEN || a->nla_len > h->nlmsg_len - off)
			return -EINVAL;
		unsigned t = a->nla_type & NLA_TYPE_MASK;
		if (t <= maxtype)
			tb[t] = a;
		off += NLA_ALIGN(a->nla_len);
	}
	return 0;
}
