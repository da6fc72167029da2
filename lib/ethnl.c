/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ethnl: an ethtool genetlink request over lib/netlink. */
#include "ethnl.h"

#include <errno.h>
#include <linux/ethtool_netlink.h>
#include <stdio.h>
#include <string.h>

int ethnl_open(struct netlink *nl, const char *root, const char *record_dir)
{
	return netlink_open(nl, root, NETLINK_GENERIC, ETHTOOL_GENL_NAME, record_dir);
}

int ethnl_req(struct ethnl_req *r, const struct netlink *nl, uint8_t cmd, uint16_t hdr_attr,
	      const char *ifname)
{
	struct nlattr *n;
	memset(&r->h, 0, sizeof r->h + sizeof r->g);
	r->h.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->h.nlmsg_type = nl->family;
	r->g.cmd = cmd;
	r->g.version = ETHTOOL_GENL_VERSION;
	if (!(n = netlink_nest(&r->h, sizeof *r, hdr_attr | NLA_F_NESTED)) ||
	    netlink_put_str(&r->h, sizeof *r, ETHTOOL_A_HEADER_DEV_NAME, ifname) ||
	    netlink_put_u32(&r->h, sizeof *r, ETHTOOL_A_HEADER_FLAGS, 0))
		return -EMSGSIZE;
	netlink_nest_end(&r->h, n);
	return 0;
}

int ethnl_talk(struct netlink *nl, const char *what, const char *ifname, struct ethnl_req *r,
	       netlink_msg_fn fn, void *arg)
{
	char path[64];
	if (snprintf(path, sizeof path, "ethtool/%s-%s.bin", what, ifname) >= (int)sizeof path)
		return -EINVAL;
	return netlink_talk(nl, path, &r->h, fn, arg);
}
