/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ethchan: ethtool netlink CHANNELS_GET / CHANNELS_SET, live or replayed. */
#include "ethchan.h"
#include "kfs.h"

#include <errno.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static const char *record_dir;

void ethchan_set_record_dir(const char *dir)
{
	record_dir = dir;
}

static int is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

static int name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (!n || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] <= ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* ---- parsing ---- */

/* An answer's error, its first CHANNELS_GET_REPLY into c (when c). */
static int parse(const void *buf, size_t len, struct ethchan *c)
{
	const struct nlmsghdr *h = buf;
	int have = 0;
	if (!buf)
		return -EINVAL;
	for (size_t left = len; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		if (h->nlmsg_type == NLMSG_DONE)
			break;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e))
				return -EINVAL;
			if (e->error)
				return e->error < 0 ? e->error : -EPROTO;
			have |= 2; /* the ACK */
			continue;
		}
		if (h->nlmsg_type < NLMSG_MIN_TYPE || h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
			return -EINVAL;
		const struct genlmsghdr *g = NLMSG_DATA(h);
		if (g->cmd != ETHTOOL_MSG_CHANNELS_GET_REPLY || !c)
			continue;
		struct nlattr *tb[ETHTOOL_A_CHANNELS_MAX + 1];
		int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
		if (nla_parse(tb, ETHTOOL_A_CHANNELS_MAX,
			      (struct nlattr *)((char *)g + GENL_HDRLEN), alen, NULL) < 0)
			return -EINVAL;
		static const struct {
			int attr;
			size_t off;
		} f[] = {
			{ ETHTOOL_A_CHANNELS_RX_COUNT, offsetof(struct ethchan, rx) },
			{ ETHTOOL_A_CHANNELS_TX_COUNT, offsetof(struct ethchan, tx) },
			{ ETHTOOL_A_CHANNELS_OTHER_COUNT, offsetof(struct ethchan, other) },
			{ ETHTOOL_A_CHANNELS_COMBINED_COUNT, offsetof(struct ethchan, combined) },
			{ ETHTOOL_A_CHANNELS_RX_MAX, offsetof(struct ethchan, rx_max) },
			{ ETHTOOL_A_CHANNELS_TX_MAX, offsetof(struct ethchan, tx_max) },
			{ ETHTOOL_A_CHANNELS_OTHER_MAX, offsetof(struct ethchan, other_max) },
			{ ETHTOOL_A_CHANNELS_COMBINED_MAX, offsetof(struct ethchan, combined_max) },
		};
		memset(c, 0, sizeof *c);
		for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
			struct nlattr *a = tb[f[i].attr];
			if (!a)
				continue;
			if (nla_len(a) != 4)
				return -EINVAL;
			*(uint32_t *)((char *)c + f[i].off) = nla_get_u32(a);
		}
		if (c->combined > c->combined_max || c->rx > c->rx_max || c->tx > c->tx_max)
			return -EINVAL;
		have |= 1;
	}
	if (c)
		return have & 1 ? 0 : -EINVAL;
	return have ? 0 : -EINVAL;
}

int ethchan_parse(const void *buf, size_t len, struct ethchan *c)
{
	return parse(buf, len, c);
}

/* ---- live ---- */

struct answer {
	unsigned char *buf;
	size_t len, cap;
	int err, done;
	char ext[160];
};

static int add(struct answer *a, const void *p, size_t n)
{
	if (a->len + n > (1u << 16))
		return -E2BIG;
	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1024;
		while (cap < a->len + n)
			cap *= 2;
		void *nb = realloc(a->buf, cap);
		if (!nb)
			return -ENOMEM;
		a->buf = nb;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
	return 0;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct answer *a = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	if (add(a, h, NLMSG_ALIGN(h->nlmsg_len)))
		a->err = -ENOMEM;
	return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct answer *a = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	(void)add(a, h, NLMSG_ALIGN(h->nlmsg_len));
	a->done = 1;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct answer *a = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	(void)who;
	a->err = e->error < 0 ? e->error : -EPROTO;
	a->done = 1;
	(void)add(a, h, NLMSG_ALIGN(h->nlmsg_len));
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		size_t off = sizeof *e;
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
		int alen = (int)h->nlmsg_len - (int)NLMSG_HDRLEN - (int)off;
		struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
		if (alen > 0 &&
		    !nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off), alen, NULL) &&
		    tb[NLMSGERR_ATTR_MSG])
			snprintf(a->ext, sizeof a->ext, "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
				 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	}
	return NL_STOP;
}

static int nlerr(int e)
{
	switch (e < 0 ? -e : e) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_NODEV: return -ENODEV;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_PERM: return -EPERM;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_INVAL: return -EINVAL;
	default: return -EIO;
	}
}

/* One request (get: CHANNELS_GET; else CHANNELS_SET of combined = n) and
 * its whole answer in a. */
static int talk(const char *ifname, int get, uint32_t n, struct answer *a)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = NULL;
	struct nl_cb *cb = NULL;
	struct nlattr *h;
	int r, one = 1;
	if (!sk)
		return -ENOMEM;
	if ((r = genl_connect(sk)) < 0) {
		r = nlerr(r);
		goto out;
	}
	(void)setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
	int family = genl_ctrl_resolve(sk, ETHTOOL_GENL_NAME);
	if (family < 0) {
		r = family == -NLE_OBJ_NOTFOUND ? -ENOENT : nlerr(family);
		goto out;
	}
	r = -ENOMEM;
	if (!(msg = nlmsg_alloc()) ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_REQUEST | NLM_F_ACK,
			 get ? ETHTOOL_MSG_CHANNELS_GET : ETHTOOL_MSG_CHANNELS_SET,
			 ETHTOOL_GENL_VERSION) ||
	    !(h = nla_nest_start(msg, ETHTOOL_A_CHANNELS_HEADER | NLA_F_NESTED)) ||
	    nla_put_string(msg, ETHTOOL_A_HEADER_DEV_NAME, ifname))
		goto out;
	nla_nest_end(msg, h);
	if (!get && nla_put_u32(msg, ETHTOOL_A_CHANNELS_COMBINED_COUNT, n))
		goto out;
	if (!(cb = nl_cb_alloc(NL_CB_CUSTOM)))
		goto out;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, a);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, a);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, a);
	if ((r = nl_send_auto(sk, msg)) < 0) {
		r = nlerr(r);
		goto out;
	}
	r = 0;
	while (!a->done) {
		int rr = nl_recvmsgs(sk, cb);
		if (rr < 0 && !a->done) {
			r = nlerr(rr);
			break;
		}
	}
	if (!r)
		r = a->err;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	nl_socket_free(sk);
	return r;
}

static void record(const char *what, const char *ifname, const struct answer *a)
{
	char p[512];
	if (!record_dir || !*record_dir || !a->len)
		return;
	mkdir(record_dir, 0755);
	snprintf(p, sizeof p, "%s/ethtool", record_dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/ethtool/%s-%s.bin", record_dir, what, ifname);
	FILE *f = fopen(p, "wb");
	if (f) {
		fwrite(a->buf, 1, a->len, f);
		fclose(f);
	}
}

static int answer_of(const char *root, const char *what, const char *ifname, int get,
		     uint32_t n, struct answer *a)
{
	if (!name_ok(ifname))
		return -EINVAL;
	if (!is_live(root)) {
		char p[96], *buf;
		size_t len;
		snprintf(p, sizeof p, "ethtool/%s-%s.bin", what, ifname);
		int r = kfs_read_alloc(root, p, &buf, &len);
		if (r)
			return r;
		a->buf = (unsigned char *)buf;
		a->len = a->cap = len;
		return 0;
	}
	int r = talk(ifname, get, n, a);
	record(what, ifname, a);
	return r;
}

int ethchan_get(const char *root, const char *ifname, struct ethchan *c)
{
	struct answer a = { 0 };
	int r = answer_of(root, "channels", ifname, 1, 0, &a);
	if (!r)
		r = parse(a.buf, a.len, c);
	free(a.buf);
	return r;
}

int ethchan_set_combined(const char *root, const char *ifname, uint32_t n, char *why,
			 size_t len)
{
	struct answer a = { 0 };
	if (why && len)
		why[0] = '\0';
	if (!n)
		return -EINVAL;
	int r = answer_of(root, "channels-set", ifname, 0, n, &a);
	if (!r)
		r = parse(a.buf, a.len, NULL);
	if (r && why && len && a.ext[0])
		snprintf(why, len, "%s", a.ext);
	free(a.buf);
	return r;
}
