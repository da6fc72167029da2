/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netlink: the one netlink transaction of vtune, for sock_diag, rtnetlink
 * and generic netlink alike, in iproute2's shape: the caller builds its
 * request as a struct on the stack (header, family header, attributes with
 * netlink_put*), netlink_talk sends it and hands each message of the answer
 * to a callback as it arrives (one datagram at a time in a fixed buffer),
 * up to NLMSG_DONE or the ack; NLMSG_ERROR becomes -errno with the extended
 * ack's text. Record and replay live here too: with a fixture root the
 * answer is read from <root>/<path> and goes through the same walk; with a
 * record directory a live answer is also written to <dir>/<path>
 * (lib/safefile), so a record directory is a fixture root. */
#ifndef VTUNE_NETLINK_H
#define VTUNE_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

struct safefile;

/* One conversation: a live socket, or a fixture root's recorded answers.
 * Caller-owned (on the stack, or static to keep the socket); start it with
 * NETLINK_INIT. The fields below ext are the module's. */
struct netlink {
	int fd;		   /* live: the socket; -1 when none */
	int keep;	   /* set by the caller: netlink_close keeps a healthy socket */
	int proto;	   /* NETLINK_SOCK_DIAG, NETLINK_ROUTE, NETLINK_GENERIC */
	uint16_t family;   /* NETLINK_GENERIC, live: the resolved family id */
	char ext[160];	   /* the last error's extended ack text, "" when none */
	uint32_t seq;
	const char *root;  /* NULL: live; else the fixture tree */
	const char *record_dir;
	unsigned char *buf; /* the receive buffer */
	size_t cap;
	char rpath[128];   /* replay: the file loaded, its bytes, the next answer's start */
	char *rbuf;
	size_t rlen, roff;
	char wpath[128];   /* record: the file being written */
	struct safefile *sf;
	void *rec;	   /* FILE * */
	int wbad;
};
#define NETLINK_INIT { .fd = -1 }

/* Each message of an answer (not DONE, not the ack or error). Return 0 to
 * go on, anything else to stop: netlink_talk returns it. */
typedef int (*netlink_msg_fn)(const struct nlmsghdr *h, void *arg);

/* Start a conversation with protocol proto. Root "/" (or NULL or ""): live,
 * a socket with extended acks (kept from an earlier conversation when
 * nl->keep and the protocol is the same); for NETLINK_GENERIC the family
 * genl (e.g. "ethtool") is resolved into nl->family. Any other root:
 * answers are replayed from it (no socket, nl->family 0). record_dir (may
 * be NULL): live answers are also written there. 0, -ENOENT (no such
 * generic family), or -errno. Always netlink_close afterwards. */
int netlink_open(struct netlink *nl, const char *root, int proto, const char *genl,
		 const char *record_dir);

/* End it: the recording is renamed into place (if every answer came whole),
 * the replay dropped, the socket closed unless nl->keep and healthy. */
void netlink_close(struct netlink *nl);

/* One request and its answer. req is the caller's, with nlmsg_len set and
 * room for nothing more; netlink_talk sets its sequence number and
 * NLM_F_REQUEST, and NLM_F_ACK unless it is a dump (NLM_F_DUMP), so every
 * answer ends. path names the answer relative to the root ("netlink/
 * sock_diag_listen.bin", "rtnl/getlink-eth0.bin"): replayed answers of one
 * file follow each other (a second request reads the answer after the
 * first), and live answers to the same path are recorded one after the
 * other in one file. Each message goes to fn (may be NULL) as it arrives.
 * Returns 0 at the ack or DONE, fn's value if it stops, the kernel's
 * -errno (its text in nl->ext), -EINVAL for an answer that is cut short or
 * does not parse, or -errno of the socket. */
int netlink_talk(struct netlink *nl, const char *path, struct nlmsghdr *req, netlink_msg_fn fn,
		 void *arg);

/* The walk netlink_talk runs on each datagram, on one whole answer in a
 * buffer (the parsers' and fuzzers' door): 0 at DONE or the ack, fn's
 * value, the -errno an NLMSG_ERROR carries (its text into ext, n bytes, may
 * be NULL), -EINVAL when it is cut short or garbled. *used (may be NULL)
 * gets the bytes the answer took. */
int netlink_parse(const void *buf, size_t len, netlink_msg_fn fn, void *arg, char *ext,
		  size_t n, size_t *used);

/* Request building (addattr_l and friends): append an attribute to the
 * message h, which has max bytes of room. 0 or -EMSGSIZE. */
int netlink_put(struct nlmsghdr *h, size_t max, uint16_t type, const void *data, size_t len);
int netlink_put_u32(struct nlmsghdr *h, size_t max, uint16_t type, uint32_t v);
int netlink_put_str(struct nlmsghdr *h, size_t max, uint16_t type, const char *s);
/* A nested attribute: netlink_nest opens it (NULL when there is no room;
 * type as sent: add NLA_F_NESTED where the family wants it), netlink_nest_end
 * sets its length once its content is in. */
struct nlattr *netlink_nest(struct nlmsghdr *h, size_t max, uint16_t type);
void netlink_nest_end(struct nlmsghdr *h, struct nlattr *nest);

/* The attributes of a message after its family header of hdrlen bytes,
 * into tb[0..maxtype] (NULL when absent; the last of a type wins). 0, or
 * -EINVAL when the message or an attribute overruns. */
int netlink_attrs(const struct nlmsghdr *h, size_t hdrlen, const struct nlattr **tb,
		  unsigned maxtype);

#endif
