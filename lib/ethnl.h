/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ethnl: one request to the kernel's ethtool genetlink family and its whole
 * answer (the reply messages, then the ack or the error with its extended
 * ack text), recorded for tests and replayed from a root. The offload
 * features (hostnet/hostnet_ethtool.c) and the channels (lib/ethchan.c)
 * build their requests and parse their answers; this is the rest. */
#ifndef VTUNE_ETHNL_H
#define VTUNE_ETHNL_H

#include <stddef.h>

struct nl_sock;
struct nl_msg;

struct ethnl_answer {
	unsigned char *buf; /* the messages as the kernel sent them (free()) */
	size_t len, cap;
	size_t max;	    /* the most kept; 0: 1 MiB */
	int err;	    /* -errno from an NLMSG_ERROR, or a local failure */
	int done;
	char ext[160];	    /* the extended ack's text, "" when none */
};

/* A socket to the ethtool family (extended acks on): 0, -ENOENT when the
 * kernel has no such family, else -errno. nl_socket_free() it. */
int ethnl_open(struct nl_sock **sk, int *family);

/* Send msg (NLM_F_ACK is added by libnl) and collect the answer into a,
 * up to the ack or the error. 0, or -errno (the kernel's error too). */
int ethnl_talk(struct nl_sock *sk, struct nl_msg *msg, struct ethnl_answer *a);

/* Keep a as DIR/ethtool/WHAT-IFNAME.bin (written safely; nothing when dir
 * is NULL or "" or a is empty). */
void ethnl_record(const char *dir, const char *what, const char *ifname,
		  const struct ethnl_answer *a);

/* The recorded answer ROOT/ethtool/WHAT-IFNAME.bin into a. 0 or -errno. */
int ethnl_load(const char *root, const char *what, const char *ifname, struct ethnl_answer *a);

/* A libnl error (NLE_*) as -errno. */
int ethnl_nlerr(int e);

#endif
