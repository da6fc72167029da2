/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ethnl: requests to the kernel's ethtool genetlink family over lib/netlink:
 * the conversation (the family resolved), the request with its header nest,
 * and the answer's file name for record and replay (ethtool/WHAT-IFNAME.bin).
 * The offload features (hostnet/hostnet_ethtool.c) and the channels
 * (lib/ethchan.c) add their attributes and parse the replies. */
#ifndef VTUNE_ETHNL_H
#define VTUNE_ETHNL_H

#include <stdint.h>

#include <linux/genetlink.h>

#include "netlink.h"

/* One request, built on the stack. */
struct ethnl_req {
	struct nlmsghdr h;
	struct genlmsghdr g;
	unsigned char attrs[1024];
};

/* Start a conversation with the ethtool family (netlink_open): live for
 * root "/" (-ENOENT when the kernel has no such family), replayed from any
 * other root; live answers recorded under record_dir (may be NULL).
 * netlink_close it. */
int ethnl_open(struct netlink *nl, const char *root, const char *record_dir);

/* A request cmd for ifname: the generic header and the request header nest
 * hdr_attr (ETHTOOL_A_*_HEADER) with the device's name and flags 0 (verbose
 * bitsets, a reply). 0 or -EMSGSIZE. */
int ethnl_req(struct ethnl_req *r, const struct netlink *nl, uint8_t cmd, uint16_t hdr_attr,
	      const char *ifname);

/* Send r and walk its answer (netlink_talk), named ethtool/WHAT-IFNAME.bin
 * for replay and recording. 0 or -errno, the kernel's text in nl->ext. */
int ethnl_talk(struct netlink *nl, const char *what, const char *ifname, struct ethnl_req *r,
	       netlink_msg_fn fn, void *arg);

#endif
