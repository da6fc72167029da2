/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_netlink: lib/netlink on recorded kernel answers (tests/fixtures/
 * nl-answers): an ack, an error with its extended ack text, a dump of many
 * messages and two answers in one file, cut and garbled answers refused
 * cleanly; requests built with the attribute helpers; and live, a dump that
 * spans several datagrams recorded and replayed to the same messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kfs.h"
#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/inet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FX "tests/fixtures/nl-answers"

/* A request as the callers build theirs; never sent in replay. */
struct req {
	struct nlmsghdr h;
	struct genlmsghdr g;
	unsigned char attrs[64];
};

static struct nlmsghdr *genl_req(struct req *r)
{
	memset(r, 0, sizeof *r);
	r->h.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->h.nlmsg_type = GENL_ID_CTRL;
	return &r->h;
}

struct count {
	int n;
	uint16_t type;
};

static int count_msg(const struct nlmsghdr *h, void *arg)
{
	struct count *c = arg;
	c->n++;
	c->type = h->nlmsg_type;
	return 0;
}

/* ---- recorded answers ---- */

static void test_ack(void **state)
{
	(void)state;
	struct netlink nl = NETLINK_INIT;
	struct req r;
	struct count c = { 0 };
	assert_int_equal(netlink_open(&nl, FX, NETLINK_ROUTE, NULL, NULL), 0);
	assert_int_equal(nl.fd, -1); /* replay: no socket */
	assert_int_equal(netlink_talk(&nl, "rtnl/ack.bin", genl_req(&r), count_msg, &c), 0);
	assert_int_equal(c.n, 0);
	assert_string_equal(nl.ext, "");
	/* the request: REQUEST and ACK added, a sequence number */
	assert_int_equal(r.h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_not_equal(r.h.nlmsg_seq, 0);
	/* a second request on the same file: nothing left to answer it */
	assert_int_equal(netlink_talk(&nl, "rtnl/ack.bin", genl_req(&r), count_msg, &c), -EINVAL);
	/* no such recording */
	assert_int_equal(netlink_talk(&nl, "rtnl/nosuch.bin", genl_req(&r), NULL, NULL), -ENOENT);
	netlink_close(&nl);
}

static void test_error_with_text(void **state)
{
	(void)state;
	struct netlink nl = NETLINK_INIT;
	struct req r;
	assert_int_equal(netlink_open(&nl, FX, NETLINK_GENERIC, "ethtool", NULL), 0);
	assert_int_equal(netlink_talk(&nl, "ethtool/channels-nosuch0.bin", genl_req(&r), NULL, NULL),
			 -ENODEV);
	assert_string_equal(nl.ext, "no device matches name");
	/* an error without text clears the last one */
	assert_int_equal(netlink_talk(&nl, "ethtool/channels-set-lo.bin", genl_req(&r), NULL, NULL),
			 -EOPNOTSUPP);
	assert_string_equal(nl.ext, "");
	netlink_close(&nl);

	/* the same through the buffer parser, with a short text buffer */
	char *buf, ext[8];
	size_t len, used;
	assert_int_equal(kfs_read_alloc(FX, "ethtool/channels-nosuch0.bin", &buf, &len), 0);
	assert_int_equal(netlink_parse(buf, len, NULL, NULL, ext, sizeof ext, &used), -ENODEV);
	assert_string_equal(ext, "no devi");
	assert_int_equal(used, len);
	free(buf);
}

static void test_dump(void **state)
{
	(void)state;
	struct netlink nl = NETLINK_INIT;
	struct req r;
	struct count v4 = { 0 }, v6 = { 0 };
	const char *p = "netlink/sock_diag_listen.bin";
	assert_int_equal(netlink_open(&nl, FX, NETLINK_SOCK_DIAG, NULL, NULL), 0);
	genl_req(&r)->nlmsg_flags = NLM_F_DUMP;
	assert_int_equal(netlink_talk(&nl, p, &r.h, count_msg, &v4), 0);
	assert_int_equal(r.h.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP); /* no ACK on a dump */
	assert_int_equal(v4.n, 150);
	assert_int_equal(v4.type, SOCK_DIAG_BY_FAMILY);
	/* the second answer of the file: the IPv6 dump, DONE alone */
	assert_int_equal(netlink_talk(&nl, p, genl_req(&r), count_msg, &v6), 0);
	assert_int_equal(v6.n, 0);
	netlink_close(&nl);
	/* closed: the next conversation replays from the start */
	v4.n = 0;
	assert_int_equal(netlink_open(&nl, FX, NETLINK_SOCK_DIAG, NULL, NULL), 0);
	assert_int_equal(netlink_talk(&nl, p, genl_req(&r), count_msg, &v4), 0);
	assert_int_equal(v4.n, 150);
	netlink_close(&nl);
}

static int stop_at_3(const struct nlmsghdr *h, void *arg)
{
	(void)h;
	return ++*(int *)arg == 3 ? -ECANCELED : 0;
}

static void test_callback_stops(void **state)
{
	(void)state;
	char *buf;
	size_t len;
	int n = 0;
	assert_int_equal(kfs_read_alloc(FX, "netlink/sock_diag_listen.bin", &buf, &len), 0);
	assert_int_equal(netlink_parse(buf, len, stop_at_3, &n, NULL, 0, NULL), -ECANCELED);
	assert_int_equal(n, 3);
	free(buf);
}

static void test_cut_and_garbled(void **state)
{
	(void)state;
	char *buf;
	size_t len;
	struct count c;
	assert_int_equal(kfs_read_alloc(FX, "netlink/sock_diag_listen.bin", &buf, &len), 0);
	/* every cut before the first DONE: refused, never read past the end */
	for (size_t cut = 0; cut < len - 40; cut += 13) {
		char *p = malloc(cut ? cut : 1);
		memcpy(p, buf, cut);
		c.n = 0;
		assert_int_equal(netlink_parse(p, cut, count_msg, &c, NULL, 0, NULL), -EINVAL);
		free(p);
	}
	/* a length past the end, or shorter than a header */
	struct nlmsghdr *h = (void *)buf;
	uint32_t keep = h->nlmsg_len;
	h->nlmsg_len = (uint32_t)len + 4;
	assert_int_equal(netlink_parse(buf, len, NULL, NULL, NULL, 0, NULL), -EINVAL);
	h->nlmsg_len = 8;
	assert_int_equal(netlink_parse(buf, len, NULL, NULL, NULL, 0, NULL), -EINVAL);
	h->nlmsg_len = keep;
	free(buf);

	/* an NLMSG_ERROR whose error is no errno, or that is too short */
	struct {
		struct nlmsghdr h;
		int err;
	} e = { { .nlmsg_len = sizeof e, .nlmsg_type = NLMSG_ERROR }, 5 };
	assert_int_equal(netlink_parse(&e, sizeof e, NULL, NULL, NULL, 0, NULL), -EINVAL);
	e.err = -100000;
	assert_int_equal(netlink_parse(&e, sizeof e, NULL, NULL, NULL, 0, NULL), -EINVAL);
	e.err = -EPERM;
	assert_int_equal(netlink_parse(&e, sizeof e, NULL, NULL, NULL, 0, NULL), -EPERM);
	e.h.nlmsg_len = NLMSG_HDRLEN;
	assert_int_equal(netlink_parse(&e, sizeof e, NULL, NULL, NULL, 0, NULL), -EINVAL);
	/* a dump's DONE carrying its error */
	e.h.nlmsg_len = sizeof e;
	e.h.nlmsg_type = NLMSG_DONE;
	e.err = -EBUSY;
	assert_int_equal(netlink_parse(&e, sizeof e, NULL, NULL, NULL, 0, NULL), -EBUSY);
	/* an error whose TLVs overrun: the error, no text, nothing read past */
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
		struct nlattr a;
		char s[4];
	} x = { { .nlmsg_len = sizeof x, .nlmsg_type = NLMSG_ERROR,
		  .nlmsg_flags = NLM_F_ACK_TLVS | NLM_F_CAPPED },
		{ .error = -EINVAL, .msg = { .nlmsg_len = NLMSG_HDRLEN } },
		{ .nla_len = 200, .nla_type = NLMSGERR_ATTR_MSG }, "abc" };
	char ext[32] = "old";
	assert_int_equal(netlink_parse(&x, sizeof x, NULL, NULL, ext, sizeof ext, NULL), -EINVAL);
	assert_string_equal(ext, "");
	x.a.nla_len = NLA_HDRLEN + 4;
	assert_int_equal(netlink_parse(&x, sizeof x, NULL, NULL, ext, sizeof ext, NULL), -EINVAL);
	assert_string_equal(ext, "abc");
	/* the text not NUL-terminated: cut at its attribute's end */
	memcpy(x.s, "abcd", 4);
	assert_int_equal(netlink_parse(&x, sizeof x, NULL, NULL, ext, sizeof ext, NULL), -EINVAL);
	assert_string_equal(ext, "abcd");
	/* a replayed file whose answer does not end */
	assert_int_equal(netlink_parse(NULL, 0, NULL, NULL, NULL, 0, NULL), -EINVAL);
}

static void test_attrs(void **state)
{
	(void)state;
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		unsigned char attrs[40];
	} r = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof r.i) } };
	const struct nlattr *tb[IFLA_EXT_MASK + 1];
	assert_int_equal(netlink_put_str(&r.h, sizeof r, IFLA_IFNAME, "eth0"), 0);
	assert_int_equal(netlink_put_u32(&r.h, sizeof r, IFLA_EXT_MASK, 8), 0);
	struct nlattr *n = netlink_nest(&r.h, sizeof r, IFLA_VFINFO_LIST);
	assert_non_null(n);
	assert_int_equal(netlink_put_u32(&r.h, sizeof r, 1, 7), 0);
	netlink_nest_end(&r.h, n);
	assert_int_equal(n->nla_len, NLA_HDRLEN + 8);
	assert_int_equal(r.h.nlmsg_len, NLMSG_LENGTH(sizeof r.i) + 12 + 8 + 12);
	/* no room: refused, the message as it was */
	uint32_t len = r.h.nlmsg_len;
	assert_int_equal(netlink_put(&r.h, sizeof r, 2, "0123456789", 10), -EMSGSIZE);
	assert_int_equal(r.h.nlmsg_len, len);
	assert_int_equal(netlink_attrs(&r.h, sizeof r.i, tb, IFLA_EXT_MASK), 0);
	assert_non_null(tb[IFLA_IFNAME]);
	assert_string_equal((const char *)tb[IFLA_IFNAME] + NLA_HDRLEN, "eth0");
	assert_non_null(tb[IFLA_EXT_MASK]);
	assert_null(tb[IFLA_ADDRESS]);
	r.h.nlmsg_len -= 2; /* the last attribute overruns */
	assert_int_equal(netlink_attrs(&r.h, sizeof r.i, tb, IFLA_EXT_MASK), -EINVAL);
}

/* ---- live ---- */

struct mine {
	int n;
	uint16_t lo, hi;
};

static int count_mine(const struct nlmsghdr *h, void *arg)
{
	struct mine *m = arg;
	const struct inet_diag_msg *d = NLMSG_DATA(h);
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof *d))
		return -EINVAL;
	uint16_t port = ntohs(d->id.idiag_sport);
	if (d->id.idiag_src[0] == htonl(INADDR_LOOPBACK) && port >= m->lo && port <= m->hi)
		m->n++;
	return 0;
}

static int dump_listeners(struct netlink *nl, struct mine *m)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req = {
		.h = { .nlmsg_len = sizeof req, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_DUMP },
		.r = { .sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = 1u << TCP_LISTEN },
	};
	return netlink_talk(nl, "netlink/sock_diag_listen.bin", &req.h, count_mine, m);
}

/* 200 listeners: their messages fill several datagrams (the first of a
 * dump is about a page). Recorded, then replayed to the same count. */
static void test_live_dump_record_replay(void **state)
{
	(void)state;
	struct netlink nl = NETLINK_INIT;
	int fds[200], n = 0;
	if (netlink_open(&nl, "/", NETLINK_SOCK_DIAG, NULL, NULL)) {
		netlink_close(&nl);
		skip();
	}
	netlink_close(&nl);
	for (; n < 200; n++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t al = sizeof a;
		fds[n] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fds[n] >= 0);
		assert_int_equal(bind(fds[n], (struct sockaddr *)&a, sizeof a), 0);
		assert_int_equal(listen(fds[n], 4), 0);
		assert_int_equal(getsockname(fds[n], (struct sockaddr *)&a, &al), 0);
	}
	char dir[] = "/tmp/test-netlink-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct mine live = { 0, 1, 65535 }, again = live;
	assert_int_equal(netlink_open(&nl, "/", NETLINK_SOCK_DIAG, NULL, dir), 0);
	assert_int_equal(dump_listeners(&nl, &live), 0);
	netlink_close(&nl);
	assert_true(live.n >= 200);
	assert_int_equal(netlink_open(&nl, dir, NETLINK_SOCK_DIAG, NULL, NULL), 0);
	assert_int_equal(dump_listeners(&nl, &again), 0);
	netlink_close(&nl);
	assert_int_equal(again.n, live.n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	char p[128];
	snprintf(p, sizeof p, "%s/netlink/sock_diag_listen.bin", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/netlink", dir);
	rmdir(p);
	rmdir(dir);
}

/* The live error path: a generic family that does not exist, and an
 * ethtool request for no device, with the kernel's text. */
static void test_live_errors(void **state)
{
	(void)state;
	struct netlink nl = NETLINK_INIT;
	int r = netlink_open(&nl, "/", NETLINK_GENERIC, "ethtool", NULL);
	if (r == -ENOENT || r == -EPROTONOSUPPORT || r == -EPERM) {
		netlink_close(&nl);
		skip();
	}
	assert_int_equal(r, 0);
	assert_int_not_equal(nl.family, 0);
	struct req q;
	genl_req(&q);
	q.h.nlmsg_type = nl.family;
	q.g.cmd = ETHTOOL_MSG_CHANNELS_GET;
	q.g.version = ETHTOOL_GENL_VERSION;
	struct nlattr *n = netlink_nest(&q.h, sizeof q, ETHTOOL_A_CHANNELS_HEADER | NLA_F_NESTED);
	assert_non_null(n);
	assert_int_equal(netlink_put_str(&q.h, sizeof q, ETHTOOL_A_HEADER_DEV_NAME, "vtnosuch9"), 0);
	netlink_nest_end(&q.h, n);
	assert_int_equal(netlink_talk(&nl, NULL, &q.h, NULL, NULL), -ENODEV);
	assert_string_equal(nl.ext, "no device matches name");
	netlink_close(&nl);
	assert_int_equal(nl.fd, -1);
	assert_int_equal(netlink_open(&nl, "/", NETLINK_GENERIC, "vtnosuchfam", NULL),
			 -ENOENT);
	netlink_close(&nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_error_with_text),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_cut_and_garbled),
		cmocka_unit_test(test_attrs),
		cmocka_unit_test(test_live_dump_record_replay),
		cmocka_unit_test(test_live_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
