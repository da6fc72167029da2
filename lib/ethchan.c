/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ethchan: ethtool netlink CHANNELS_GET / CHANNELS_SET, live or replayed. */
#include "ethchan.h"
#include "ethnl.h"

#include <errno.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* One request (get: CHANNELS_GET; else CHANNELS_SET of combined = n) and
 * its whole answer in a. */
static int talk(const char *ifname, int get, uint32_t n, struct ethnl_answer *a)
{
	struct nl_sock *sk;
	struct nl_msg *msg = NULL;
	struct nlattr *h;
	int family, r = ethnl_open(&sk, &family);
	if (r)
		return r;
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
	r = ethnl_talk(sk, msg, a);
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return r;
}

static int answer_of(const char *root, const char *what, const char *ifname, int get,
		     uint32_t n, struct ethnl_answer *a)
{
	if (!name_ok(ifname))
		return -EINVAL;
	if (!is_live(root))
		return ethnl_load(root, what, ifname, a);
	int r = talk(ifname, get, n, a);
	ethnl_record(record_dir, what, ifname, a);
	return r;
}

int ethchan_get(const char *root, const char *ifname, struct ethchan *c)
{
	struct ethnl_answer a = { .max = 1u << 16 };
	int r = answer_of(root, "channels", ifname, 1, 0, &a);
	if (!r)
		r = parse(a.buf, a.len, c);
	free(a.buf);
	return r;
}

int ethchan_set_combined(const char *root, const char *ifname, uint32_t n, char *why,
			 size_t len)
{
	struct ethnl_answer a = { .max = 1u << 16 };
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
