/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ethchan: ethtool netlink CHANNELS_GET / CHANNELS_SET, live or replayed
 * (lib/ethnl over lib/netlink). */
#include "ethchan.h"
#include "ethnl.h"

#include <errno.h>
#include <linux/ethtool_netlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *record_dir;

void ethchan_set_record_dir(const char *dir)
{
	record_dir = dir;
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

struct reply {
	struct ethchan *c;
	int have;
};

/* Each CHANNELS_GET_REPLY into r->c (a set's answer has none). */
static int on_reply(const struct nlmsghdr *h, void *arg)
{
	struct reply *p = arg;
	struct ethchan *c = p->c;
	if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EINVAL;
	const struct genlmsghdr *g = NLMSG_DATA(h);
	if (g->cmd != ETHTOOL_MSG_CHANNELS_GET_REPLY || !c)
		return 0;
	struct nlattr *tb[ETHTOOL_A_CHANNELS_MAX + 1];
	int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	if (nla_parse(tb, ETHTOOL_A_CHANNELS_MAX, (struct nlattr *)((char *)g + GENL_HDRLEN), alen,
		      NULL) < 0)
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
	p->have = 1;
	return 0;
}

int ethchan_parse(const void *buf, size_t len, struct ethchan *c)
{
	struct reply p = { c, 0 };
	int r = netlink_parse(buf, len, on_reply, &p, NULL, 0, NULL);
	return r ? r : p.have ? 0 : -EINVAL;
}

/* ---- live, recorded or replayed ---- */

/* One request (get: CHANNELS_GET into c; else CHANNELS_SET of combined =
 * n) and its answer. */
static int talk(const char *root, const char *ifname, struct ethchan *c, uint32_t n, char *why,
		size_t len)
{
	struct netlink nl = NETLINK_INIT;
	struct ethnl_req req;
	struct reply p = { c, 0 };
	int r;
	if (!name_ok(ifname))
		return -EINVAL;
	if ((r = ethnl_open(&nl, root, record_dir)))
		goto out;
	if ((r = ethnl_req(&req, &nl, c ? ETHTOOL_MSG_CHANNELS_GET : ETHTOOL_MSG_CHANNELS_SET,
			   ETHTOOL_A_CHANNELS_HEADER, ifname)) ||
	    (!c && (r = netlink_put_u32(&req.h, sizeof req, ETHTOOL_A_CHANNELS_COMBINED_COUNT, n))))
		goto out;
	r = ethnl_talk(&nl, c ? "channels" : "channels-set", ifname, &req, on_reply, &p);
	if (!r && c && !p.have)
		r = -EINVAL;
	if (r && why && len && nl.ext[0])
		snprintf(why, len, "%s", nl.ext);
out:
	netlink_close(&nl);
	return r;
}

int ethchan_get(const char *root, const char *ifname, struct ethchan *c)
{
	return talk(root, ifname, c, 0, NULL, 0);
}

int ethchan_set_combined(const char *root, const char *ifname, uint32_t n, char *why,
			 size_t len)
{
	if (why && len)
		why[0] = '\0';
	if (!n)
		return -EINVAL;
	return talk(root, ifname, NULL, n, why, len);
}
