/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ethnl: an ethtool genetlink request and its whole answer, live (libnl),
 * recorded or replayed. */
#include "ethnl.h"
#include "kfs.h"
#include "log.h"
#include "safefile.h"

#include <errno.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static int add(struct ethnl_answer *a, const void *p, size_t n)
{
	if (a->len + n > (a->max ? a->max : 1u << 20))
		return -E2BIG;
	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 4096;
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
	struct ethnl_answer *a = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	if (add(a, h, NLMSG_ALIGN(h->nlmsg_len)))
		a->err = -ENOMEM;
	return NL_OK;
}

/* The ack is kept too: a SET without a reply answers with it alone. */
static int on_ack(struct nl_msg *msg, void *arg)
{
	struct ethnl_answer *a = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	(void)add(a, h, NLMSG_ALIGN(h->nlmsg_len));
	a->done = 1;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct ethnl_answer *a = arg;
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

int ethnl_nlerr(int e)
{
	switch (e < 0 ? -e : e) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_NODEV: return -ENODEV;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_PERM: return -EPERM;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_INVAL: return -EINVAL;
	case NLE_AGAIN: return -EAGAIN;
	default: return -EIO;
	}
}

int ethnl_open(struct nl_sock **skp, int *family)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r, one = 1;
	if (!sk)
		return -ENOMEM;
	if ((r = genl_connect(sk)) < 0) {
		nl_socket_free(sk);
		return ethnl_nlerr(r);
	}
	(void)setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
	r = genl_ctrl_resolve(sk, ETHTOOL_GENL_NAME);
	if (r < 0) {
		nl_socket_free(sk);
		return r == -NLE_OBJ_NOTFOUND ? -ENOENT : ethnl_nlerr(r);
	}
	*family = r;
	*skp = sk;
	return 0;
}

int ethnl_talk(struct nl_sock *sk, struct nl_msg *msg, struct ethnl_answer *a)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_CUSTOM);
	int r;
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, a);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, a);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, a);
	if ((r = nl_send_auto(sk, msg)) < 0) {
		nl_cb_put(cb);
		return ethnl_nlerr(r);
	}
	r = 0;
	while (!a->done) {
		int rr = nl_recvmsgs(sk, cb);
		if (rr < 0 && !a->done) {
			r = ethnl_nlerr(rr);
			break;
		}
	}
	nl_cb_put(cb);
	return r ? r : a->err;
}

void ethnl_record(const char *dir, const char *what, const char *ifname,
		  const struct ethnl_answer *a)
{
	char p[512], why[160];
	if (!dir || !*dir || !a->len)
		return;
	mkdir(dir, 0755);
	snprintf(p, sizeof p, "%s/ethtool", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/ethtool/%s-%s.bin", dir, what, ifname);
	if (safefile_write_buf(p, 0644, a->buf, a->len, why, sizeof why) < 0)
		log_warn("ethtool: cannot record %s: %s", p, why);
}

int ethnl_load(const char *root, const char *what, const char *ifname, struct ethnl_answer *a)
{
	char p[128], *buf;
	size_t len;
	snprintf(p, sizeof p, "ethtool/%s-%s.bin", what, ifname);
	int r = kfs_read_alloc(root, p, &buf, &len);
	if (r)
		return r;
	a->buf = (unsigned char *)buf;
	a->len = a->cap = len;
	return 0;
}
