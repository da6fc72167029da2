/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_hostnet_vf: the "sriov-vf" kind (VF MAC, VLAN, spoof check, trust,
 * link state through rtnetlink) on recorded answers (tests/fixtures/rtnl-vf,
 * see its README for what is recorded and what is constructed): values
 * parsed by libnl-route, the requests vtune builds checked byte by byte with
 * this file's own parser, journal apply, and SIGKILL between the journal's
 * steps followed by a revert. Live part (VTUNE_LIVE_VF_IF, from
 * tests/integration/test-sriov-vf-netlink.sh): the kernel's own answers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hostnet.h"
#include "hostnet_vf.h"
#include "journal.h"
#include "kfs.h"
#include "knob.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FX "tests/fixtures/rtnl-vf"
#define PF "vta"

static char root[64];

static void sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/vtune-vfnl-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	hostnet_register_knobs();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* The state tree: <root>/<name>/rtnl/getlink-vta.bin from fixture state
 * `state`, setlink-vta.bin the kernel's ACK. */
static const char *tree(const char *name, const char *state)
{
	static char t[128];
	snprintf(t, sizeof t, "%s/%s", root, name);
	sh("rm -rf %s && mkdir -p %s/rtnl && cp " FX "/%s/getlink-vta.bin %s/rtnl/ && "
	   "cp " FX "/ack.bin %s/rtnl/setlink-vta.bin", t, t, state, t, t);
	return t;
}

static void set_state(const char *t, const char *state)
{
	sh("cp " FX "/%s/getlink-vta.bin %s/rtnl/getlink-vta.bin", state, t);
}

/* ---- an independent parser of the request vtune sent ---- */

struct req {
	int type, flags, ifindex;
	int attr;		/* the one IFLA_VF_* inside IFLA_VFINFO_LIST > IFLA_VF_INFO */
	uint32_t w[3];		/* its first words: vf, then the value(s) */
	unsigned char mac[6];
};

static const struct nlattr *first(const void *p, size_t len, int type, size_t *out_len)
{
	size_t off = 0;
	while (off + sizeof(struct nlattr) <= len) {
		const struct nlattr *a = (const void *)((const char *)p + off);
		if (a->nla_len < sizeof *a || a->nla_len > len - off)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type) {
			*out_len = a->nla_len - NLA_HDRLEN;
			return a;
		}
		off += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static void last_request(struct req *r)
{
	const void *buf;
	size_t len, l1 = 0, l2 = 0;
	hostnet_vf_last_request(&buf, &len);
	assert_true(len >= NLMSG_LENGTH(sizeof(struct ifinfomsg)));
	const struct nlmsghdr *h = buf;
	assert_int_equal(h->nlmsg_len, len);
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	memset(r, 0, sizeof *r);
	r->type = h->nlmsg_type;
	r->flags = h->nlmsg_flags;
	r->ifindex = ifi->ifi_index;
	const char *attrs = (const char *)ifi + NLMSG_ALIGN(sizeof *ifi);
	size_t alen = len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof *ifi));
	const struct nlattr *list = first(attrs, alen, IFLA_VFINFO_LIST, &l1);
	assert_non_null(list);
	assert_true(list->nla_type & NLA_F_NESTED || 1);
	const struct nlattr *info = first((const char *)list + NLA_HDRLEN, l1, IFLA_VF_INFO, &l2);
	assert_non_null(info);
	const struct nlattr *a = (const void *)((const char *)info + NLA_HDRLEN);
	assert_true(l2 >= NLA_HDRLEN + 8 && a->nla_len <= l2);
	r->attr = a->nla_type;
	memcpy(r->w, (const char *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN >= 12 ? 12 : 8);
	if (a->nla_type == IFLA_VF_MAC)
		memcpy(r->mac, (const char *)a + NLA_HDRLEN + 4, 6);
	assert_int_equal(NLA_ALIGN(a->nla_len), l2); /* exactly one attribute */
}

/* ---- replay ---- */

static void test_get(void **state)
{
	(void)state;
	struct hostnet_vf v;
	char buf[32];
	const char *t = tree("get", "vfs");
	assert_int_equal(hostnet_vf_get(t, PF, 0, &v), 0);
	assert_int_equal(v.ifindex, 3);
	assert_memory_equal(v.mac, "\x52\x54\x00\x00\x00\x10", 6);
	assert_int_equal(v.vlan, 0);
	assert_int_equal(v.spoofchk, 1);
	assert_int_equal(v.trust, 0);
	assert_int_equal(v.link_state, IFLA_VF_LINK_STATE_AUTO);
	assert_int_equal(hostnet_vf_get(t, PF, 1, &v), 0);
	assert_int_equal(v.vlan, 100);
	assert_int_equal(v.qos, 3);
	assert_int_equal(v.spoofchk, 0);
	assert_int_equal(v.trust, 1);
	assert_int_equal(v.link_state, IFLA_VF_LINK_STATE_DISABLE);
	assert_int_equal(hostnet_vf_get(t, PF, 2, &v), -ENOENT);
	assert_int_equal(hostnet_vf_get(t, "../x", 0, &v), -EINVAL);
	assert_int_equal(hostnet_vf_get(t, "eth9", 0, &v), -ENOENT); /* no such file */
	/* the request: RTM_GETLINK by name with RTEXT_FILTER_VF */
	const void *rb;
	size_t rl, al;
	hostnet_vf_last_request(&rb, &rl);
	const struct nlmsghdr *h = rb;
	assert_int_equal(h->nlmsg_type, RTM_GETLINK);
	const char *attrs = (const char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	const struct nlattr *m = first(attrs, rl - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct ifinfomsg))),
				       IFLA_EXT_MASK, &al);
	assert_non_null(m);
	assert_int_equal(*(const uint32_t *)((const char *)m + NLA_HDRLEN), RTEXT_FILTER_VF);
	/* the knob's text */
	const struct knob *k = knob_find("sriov-vf");
	assert_non_null(k);
	assert_int_equal(knob_read(k, t, PF, "vf0.mac", buf, sizeof buf), 0);
	assert_string_equal(buf, "52:54:00:00:00:10");
	assert_int_equal(knob_read(k, t, PF, "vf1.vlan", buf, sizeof buf), 0);
	assert_string_equal(buf, "100:3");
	assert_int_equal(knob_read(k, t, PF, "vf0.vlan", buf, sizeof buf), 0);
	assert_string_equal(buf, "0");
	assert_int_equal(knob_read(k, t, PF, "vf0.spoofchk", buf, sizeof buf), 0);
	assert_string_equal(buf, "on");
	assert_int_equal(knob_read(k, t, PF, "vf1.trust", buf, sizeof buf), 0);
	assert_string_equal(buf, "on");
	assert_int_equal(knob_read(k, t, PF, "vf1.link_state", buf, sizeof buf), 0);
	assert_string_equal(buf, "disable");
	assert_int_equal(knob_read(k, t, PF, "vf01.trust", buf, sizeof buf), -EINVAL);
	assert_int_equal(knob_read(k, t, PF, "vf0.rate", buf, sizeof buf), -EINVAL);
}

static void test_set(void **state)
{
	(void)state;
	struct req r;
	char why[128];
	const struct knob *k = knob_find("sriov-vf");
	const char *t = tree("set", "vfs");
	assert_int_equal(knob_write(k, t, PF, "vf0.trust", "on"), 0);
	last_request(&r);
	assert_int_equal(r.type, RTM_NEWLINK);
	assert_int_equal(r.flags & (NLM_F_REQUEST | NLM_F_ACK), NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(r.ifindex, 3);
	assert_int_equal(r.attr, IFLA_VF_TRUST);
	assert_int_equal(r.w[0], 0);
	assert_int_equal(r.w[1], 1);
	assert_int_equal(knob_write(k, t, PF, "vf1.mac", "52:54:00:AA:bb:02"), 0);
	last_request(&r);
	assert_int_equal(r.attr, IFLA_VF_MAC);
	assert_int_equal(r.w[0], 1);
	assert_memory_equal(r.mac, "\x52\x54\x00\xaa\xbb\x02", 6);
	assert_int_equal(knob_write(k, t, PF, "vf1.vlan", "200"), 0);
	last_request(&r);
	assert_int_equal(r.attr, IFLA_VF_VLAN);
	assert_int_equal(r.w[1], 200);
	assert_int_equal(r.w[2], 0);
	assert_int_equal(knob_write(k, t, PF, "vf0.spoofchk", "off"), 0);
	last_request(&r);
	assert_int_equal(r.attr, IFLA_VF_SPOOFCHK);
	assert_int_equal(r.w[1], 0);
	assert_int_equal(knob_write(k, t, PF, "vf0.link_state", "enable"), 0);
	last_request(&r);
	assert_int_equal(r.attr, IFLA_VF_LINK_STATE);
	assert_int_equal(r.w[1], IFLA_VF_LINK_STATE_ENABLE);
	/* refused before anything is sent */
	assert_int_equal(knob_check(k, PF, "vf0.mac", "01:00:5e:00:00:01", why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "unicast"));
	assert_int_equal(knob_check(k, PF, "vf0.vlan", "4095", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(k, PF, "vf0.vlan", "0:3", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(k, PF, "vf0.trust", "yes", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(k, "a/b", "vf0.trust", "on", why, sizeof why), -EINVAL);
	assert_int_equal(knob_write(k, t, PF, "vf2.trust", "on"), -ENOENT); /* no VF 2 */
	assert_int_equal(knob_equal(k, "vf0.vlan", "100", "100:0"), 1);
	assert_int_equal(knob_equal(k, "vf0.vlan", "100:1", "100"), 0);
	assert_int_equal(knob_equal(k, "vf0.mac", "52:54:00:AA:BB:02", "52:54:00:aa:bb:02"), 1);
}

/* Real kernel answers (Linux 6.18, a veth): no VF, no device, EOPNOTSUPP. */
static void test_recorded(void **state)
{
	(void)state;
	struct hostnet_vf v;
	char t[128];
	snprintf(t, sizeof t, "%s/rec", root);
	sh("rm -rf %s && mkdir -p %s && cp -r " FX "/recorded/rtnl %s/", t, t, t);
	assert_int_equal(hostnet_vf_get(t, PF, 0, &v), -ENOENT); /* a veth has no VFs */
	assert_int_equal(hostnet_vf_get(t, "vtnosuch0", 0, &v), -ENODEV);
	assert_int_equal(hostnet_vf_send(t, PF, 3, 0, VFF_TRUST, "on"), -EOPNOTSUPP);
	assert_int_equal(hostnet_vf_send(t, PF, 3, 0, VFF_TRUST, "maybe"), -EINVAL);
}

/* journal_apply / journal_revert, with the recorded state after the write
 * put in place where the kernel would have changed it */
static const char *swap_tree;
static void swap_after_write(enum journal_point pt, const struct jrec *rec)
{
	(void)rec;
	if (pt == JOURNAL_AFTER_WRITE && swap_tree)
		set_state(swap_tree, "vfs-trusted");
}

static void test_journal(void **state)
{
	(void)state;
	char path[160], msg[512], out[4096];
	struct req r;
	const char *t = tree("journal", "vfs");
	struct jrec ch = { .side = "host", .domain = "", .kind = "sriov-vf", .target = PF,
			   .key = "vf0.trust", .new = "on", .rule = "r", .why = "" };
	int err;
	snprintf(path, sizeof path, "%s/j.journal", root);
	struct journal *j = journal_open(path, &err);
	assert_non_null(j);
	swap_tree = t;
	journal_set_hook(swap_after_write);
	assert_int_equal(journal_apply(j, t, &ch, 0, msg, sizeof msg), 0);
	journal_set_hook(NULL);
	assert_string_equal(msg, "set sriov-vf vta vf0.trust off -> on (rule r)");
	FILE *f = fmemopen(out, sizeof out, "w");
	assert_int_equal(journal_revert(j, t, &(struct revert_sel){ .by = REVERT_ALL }, 0, 0, f,
					NULL, NULL), 0);
	fclose(f);
	assert_non_null(strstr(out, "reverted sriov-vf vta vf0.trust on -> off (rule r)"));
	last_request(&r);
	assert_int_equal(r.attr, IFLA_VF_TRUST);
	assert_int_equal(r.w[1], 0);
	journal_close(j);
}

/* SIGKILL at each journal step (as VTUNE_FAULT does it in the test builds
 * of the programs, tests/tools/journal_fault.c), then a revert with the
 * answers the kernel would give in that state. */
static enum journal_point kill_at;
static void kill_hook(enum journal_point pt, const struct jrec *rec)
{
	(void)rec;
	if (pt == kill_at)
		raise(SIGKILL);
}

static void test_kill(void **state)
{
	(void)state;
	static const struct {
		enum journal_point at;
		const char *fault, *state_after, *expect;
	} cases[] = {
		/* killed before the write: trust is still off */
		{ JOURNAL_AFTER_INTENT, "after_intent", "vfs",
		  "reverted sriov-vf vta vf0.trust already off" },
		/* killed after it: the kernel has it on */
		{ JOURNAL_AFTER_WRITE, "after_write", "vfs-trusted",
		  "reverted sriov-vf vta vf0.trust on -> off" },
		{ JOURNAL_AFTER_MARK, "after_mark", "vfs-trusted",
		  "reverted sriov-vf vta vf0.trust on -> off" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char path[160], out[4096], name[32];
		int err, status;
		snprintf(name, sizeof name, "kill%zu", i);
		const char *t = tree(name, "vfs");
		snprintf(path, sizeof path, "%s/journal-%zu", root, i);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct jrec ch = { .side = "host", .domain = "", .kind = "sriov-vf",
					   .target = PF, .key = "vf0.trust", .new = "on", .rule = "k" };
			kill_at = cases[i].at;
			journal_set_hook(kill_hook);
			struct journal *cj = journal_open(path, &err);
			char msg[256];
			if (cj)
				journal_apply(cj, t, &ch, 0, msg, sizeof msg);
			_exit(0); /* not reached when the fault fires */
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		set_state(t, cases[i].state_after);
		struct journal *j = journal_open(path, &err);
		assert_non_null(j);
		FILE *f = fmemopen(out, sizeof out, "w");
		assert_int_equal(journal_revert(j, t, &(struct revert_sel){ .by = REVERT_ALL }, 0, 0,
						f, NULL, NULL), 0);
		fclose(f);
		if (!strstr(out, cases[i].expect))
			fail_msg("%s: got '%s'", cases[i].fault, out);
		journal_close(j);
	}
}

/* ---- live: the kernel's answers on a veth in a namespace the script made ---- */

static void test_live(void **state)
{
	(void)state;
	const char *ifn = getenv("VTUNE_LIVE_VF_IF");
	struct hostnet_vf v;
	if (!ifn)
		skip();
	if (getenv("VTUNE_RECORD_DIR"))
		hostnet_vf_set_record_dir(getenv("VTUNE_RECORD_DIR"));
	int idx = (int)if_nametoindex(ifn);
	assert_true(idx > 0);
	assert_int_equal(hostnet_vf_get("/", ifn, 0, &v), -ENOENT);
	assert_int_equal(hostnet_vf_get("/", "vtnosuch0", 0, &v), -ENODEV);
	/* well-formed: the kernel reaches the driver, which has no VFs */
	for (int f = 0; f < VFF_NONE; f++) {
		static const char *const val[] = { "52:54:00:00:00:01", "100:3", "off", "on", "enable" };
		int rc = hostnet_vf_send("/", ifn, idx, 0, (enum hostnet_vf_field)f, val[f]);
		printf("live: %s vf0 field %d := %s: %s\n", ifn, f, val[f], strerror(-rc));
		assert_int_equal(rc, -EOPNOTSUPP);
	}
	hostnet_vf_set_record_dir(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_recorded),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_kill),
		cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
