/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_hostnet: the bridge_nf and offload knob kinds on fixture trees (no
 * setns, recorded ethtool netlink answers replayed), target parsing, plans,
 * and hostnet_view rates from two captured readings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hostnet.h"
#include "journal.h"
#include "kfs.h"
#include "knob.h"
#include "metrics.h"
#include "netns.h"

#include <errno.h>
#include <ftw.h>
#include <linux/netlink.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIX "tests/fixtures"	/* the replay root: FIX/ethtool/NAME.bin */
#define BR "proc/sys/net/bridge/"

static void put(const char *root, const char *rel, const char *content)
{
	char p[512], d[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(d, sizeof d, "%.*s", (int)(s - p), p);
		mkdir(d, 0755);
	}
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	char *root = strdup("/tmp/vtune-hostnet-XXXXXX");
	if (!root || !mkdtemp(root))
		return -1;
	put(root, BR "bridge-nf-call-iptables", "1\n");
	put(root, BR "bridge-nf-call-ip6tables", "1\n");
	put(root, BR "bridge-nf-call-arptables", "0\n");
	assert_int_equal(hostnet_register_knobs(), 0);
	*state = root;
	return 0;
}

static int teardown(void **state)
{
	nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

/* ---- bridge_nf ---- */

static void test_brnf_read_write(void **state)
{
	const char *root = *state;
	const struct knob *k = knob_find("bridge_nf");
	char v[16];

	assert_non_null(k);
	assert_int_equal(knob_read(k, root, "", "bridge-nf-call-iptables", v, sizeof v), 0);
	assert_string_equal(v, "1");
	assert_int_equal(knob_read(k, root, "/run/netns/a", "bridge-nf-call-arptables", v, sizeof v), 0);
	assert_string_equal(v, "0");
	assert_int_equal(knob_write(k, root, "/run/netns/a", "bridge-nf-call-iptables", "0"), 0);
	assert_int_equal(knob_read(k, root, "", "bridge-nf-call-iptables", v, sizeof v), 0);
	assert_string_equal(v, "0");
	assert_int_equal(knob_write(k, root, "/proc/123/ns/net", "bridge-nf-call-iptables", "1"), 0);

	int all[HOSTNET_BRNF_NKEYS];
	assert_int_equal(hostnet_bridge_nf_read(root, "", all), 0);
	assert_int_equal(all[0], 1);
	assert_int_equal(all[1], 1);
	assert_int_equal(all[2], 0);
}

static void test_brnf_refuses(void **state)
{
	const char *root = *state;
	const struct knob *k = knob_find("bridge_nf");
	char v[16], why[128];

	/* keys outside the three, values other than 0/1 */
	assert_int_equal(knob_write(k, root, "", "bridge-nf-filter-vlan-tagged", "0"), -EINVAL);
	assert_int_equal(knob_write(k, root, "", "../../kernel/panic", "0"), -EINVAL);
	assert_int_equal(knob_read(k, root, "", "../ipv4/ip_forward", v, sizeof v), -EINVAL);
	assert_int_equal(knob_write(k, root, "", "bridge-nf-call-iptables", "2"), -EINVAL);
	assert_int_equal(knob_write(k, root, "", "bridge-nf-call-iptables", "off"), -EINVAL);
	assert_int_equal(knob_write(k, root, "", "bridge-nf-call-iptables", ""), -EINVAL);
	assert_int_equal(knob_check(k, "", "bridge-nf-call-iptables", "1 ", why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "0 or 1"));
	/* netns paths: traversal, other files, relative paths */
	static const char *const bad[] = {
		"/run/netns/../../etc/passwd", "/run/netns/", "/run/netns/..", "/etc/passwd",
		"run/netns/a", "/proc/self/../1/ns/net", "/proc/1/ns/mnt", "/proc/01/ns/net",
		"/proc//ns/net", "/var/run/netns/a/b",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(knob_write(k, root, bad[i], "bridge-nf-call-iptables", "0"), -EINVAL);
		assert_int_equal(knob_read(k, root, bad[i], "bridge-nf-call-iptables", v, sizeof v), -EINVAL);
		assert_false(netns_path_ok(bad[i]));
	}
	assert_true(netns_path_ok("/var/run/netns/vt-a"));
	assert_true(netns_path_ok("/proc/self/ns/net"));
	/* nothing was written */
	assert_int_equal(knob_read(k, root, "", "bridge-nf-call-iptables", v, sizeof v), 0);
	assert_string_equal(v, "1");
}

static void test_brnf_absent(void **state)
{
	(void)state;
	char root[] = "/tmp/vtune-hostnet-empty-XXXXXX";
	char v[16];
	assert_non_null(mkdtemp(root));
	const struct knob *k = knob_find("bridge_nf");
	assert_int_equal(knob_read(k, root, "", "bridge-nf-call-iptables", v, sizeof v), -ENOENT);
	assert_non_null(strstr(hostnet_last_reason(), "bridge-nf not loaded"));
	int all[HOSTNET_BRNF_NKEYS];
	assert_int_equal(hostnet_bridge_nf_read(root, "", all), -ENOENT);
	rmdir(root);
}

/* journal_apply / journal_revert through the registered kind. */
static void test_brnf_journal(void **state)
{
	const char *root = *state;
	char jpath[512], msg[256], v[16];
	int err;

	snprintf(jpath, sizeof jpath, "%s/state/journal", root);
	struct journal *j = journal_open(jpath, &err);
	assert_non_null(j);
	struct jrec c = { .side = "host", .domain = "", .kind = "bridge_nf",
			  .target = "/run/netns/a", .key = "bridge-nf-call-ip6tables",
			  .new = "0", .rule = "bridge-nf-off", .why = "" };
	assert_int_equal(journal_apply(j, root, &c, 0, msg, sizeof msg), 0);
	assert_string_equal(kfs_read_str(root, BR "bridge-nf-call-ip6tables", v, sizeof v) ? "?" : v, "0");
	c.new = "yes";
	assert_int_equal(journal_apply(j, root, &c, 0, msg, sizeof msg), -EINVAL);
	struct revert_sel sel = { .by = REVERT_ALL };
	assert_int_equal(journal_revert(j, root, &sel, 0, 0, NULL, NULL, NULL), 0);
	assert_int_equal(kfs_read_str(root, BR "bridge-nf-call-ip6tables", v, sizeof v), 0);
	assert_string_equal(v, "1");
	journal_close(j);
}

struct seen {
	int n;
	char line[8][160];
};

static int collect(void *arg, const char *kind, const char *target, const char *key,
		   const char *value)
{
	struct seen *s = arg;
	if (s->n == 8)
		return -ENOSPC;
	snprintf(s->line[s->n++], sizeof s->line[0], "%s %s %s %s", kind, target, key, value);
	return 0;
}

static void test_plans(void **state)
{
	(void)state;
	struct seen s = { 0 };
	assert_int_equal(hostnet_plan_bridge_nf("/run/netns/a", "off", collect, &s), 3);
	assert_string_equal(s.line[0], "bridge_nf /run/netns/a bridge-nf-call-iptables 0");
	assert_string_equal(s.line[2], "bridge_nf /run/netns/a bridge-nf-call-arptables 0");
	assert_int_equal(hostnet_plan_bridge_nf("", "maybe", collect, &s), -EINVAL);
	assert_int_equal(hostnet_plan_bridge_nf("/tmp/x", "on", collect, &s), -EINVAL);

	memset(&s, 0, sizeof s);
	assert_int_equal(hostnet_plan_offload("tap0", "/run/netns/a",
					      HOSTNET_OFF_TSO | HOSTNET_OFF_SG, "off", collect, &s), 2);
	assert_string_equal(s.line[0], "offload tap0@/run/netns/a tso off");
	assert_string_equal(s.line[1], "offload tap0@/run/netns/a sg off");
	memset(&s, 0, sizeof s);
	/* on: the other way round, tx checksumming first, tso last */
	assert_int_equal(hostnet_plan_offload("vif1.0", "", HOSTNET_OFF_ALL, "on", collect, &s), 5);
	assert_string_equal(s.line[0], "offload vif1.0 txcsum on");
	assert_string_equal(s.line[2], "offload vif1.0 gro on");
	assert_string_equal(s.line[4], "offload vif1.0 tso on");
	assert_int_equal(hostnet_plan_offload("tap0", "", 0x20, "on", collect, &s), -EINVAL);
	assert_int_equal(hostnet_plan_offload("tap0", "", 1, "yes", collect, &s), -EINVAL);
	assert_int_equal(hostnet_plan_offload("../x", "", 1, "on", collect, &s), -EINVAL);
}

/* ---- offload ---- */

static void test_offload_target(void **state)
{
	(void)state;
	char ifn[16], ns[128];
	assert_int_equal(hostnet_offload_target("tap0", ifn, ns, sizeof ns), 0);
	assert_string_equal(ifn, "tap0");
	assert_string_equal(ns, "");
	assert_int_equal(hostnet_offload_target("vnet3@/run/netns/vt-a", ifn, ns, sizeof ns), 0);
	assert_string_equal(ifn, "vnet3");
	assert_string_equal(ns, "/run/netns/vt-a");
	assert_int_equal(hostnet_offload_target("eth0@/proc/4242/ns/net", ifn, ns, sizeof ns), 0);
	assert_int_equal(hostnet_offload_target("abcdefghijklmno", ifn, ns, sizeof ns), 0);
	static const char *const bad[] = {
		"", "@/run/netns/a", "tap0@", "tap0@/etc/passwd", "tap0@/run/netns/../x",
		"abcdefghijklmnop", "a/b", "..", ".", "tap 0", "tap0@/run/netns/a@b/c",
		"eth0:1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(hostnet_offload_target(bad[i], ifn, ns, sizeof ns), -EINVAL);
	assert_int_equal(hostnet_offload_target("tap0@/run/netns/abcdef", ifn, ns, 10), -EINVAL);
	assert_int_equal(hostnet_offload_bit("tso"), HOSTNET_OFF_TSO);
	assert_int_equal(hostnet_offload_bit("sg"), HOSTNET_OFF_SG);
	assert_int_equal(hostnet_offload_bit("lro"), 0);

	const struct knob *k = knob_find("offload");
	char why[128];
	assert_non_null(k);
	assert_int_equal(knob_check(k, "tap0", "tso", "off", why, sizeof why), 0);
	assert_int_equal(knob_check(k, "tap0", "lro", "off", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(k, "tap0", "tso", "0", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(k, "tap0@x", "tso", "on", why, sizeof why), -EINVAL);
}

/* Recorded answers of Linux 6.18 (tests/fixtures/ethtool/README). */
static void test_offload_replay_get(void **state)
{
	(void)state;
	unsigned on = 99, fixed = 99;
	assert_int_equal(hostnet_offload_get_at(FIX, "veth0", "", &on, &fixed), 0);
	assert_int_equal(on, HOSTNET_OFF_TSO | HOSTNET_OFF_GSO | HOSTNET_OFF_SG | HOSTNET_OFF_TXCSUM);
	assert_int_equal(fixed, 0);
	assert_int_equal(hostnet_offload_get_at(FIX, "lo", "", &on, &fixed), 0);
	assert_int_equal(on, HOSTNET_OFF_ALL);
	/* "tx-scatter-gather: on [fixed]", "tx-checksum-ip-generic: on [fixed]" */
	assert_int_equal(fixed, HOSTNET_OFF_SG | HOSTNET_OFF_TXCSUM);
	/* a tap nobody opened: TSO wanted but not active */
	assert_int_equal(hostnet_offload_get_at(FIX, "tap0", "", &on, &fixed), 0);
	assert_int_equal(on, HOSTNET_OFF_GSO | HOSTNET_OFF_GRO | HOSTNET_OFF_SG);
	assert_int_equal(hostnet_offload_get_at(FIX, "nosuch0", "", &on, &fixed), -ENOENT);

	const struct knob *k = knob_find("offload");
	char v[8];
	assert_int_equal(knob_read(k, FIX, "veth0@/run/netns/a", "gro", v, sizeof v), 0);
	assert_string_equal(v, "off");
	assert_int_equal(knob_read(k, FIX, "veth0", "tso", v, sizeof v), 0);
	assert_string_equal(v, "on");
}

static void test_offload_replay_set(void **state)
{
	(void)state;
	unsigned changed = 0, missed = 99;
	/* veth0: tso+sg off; the kernel also dropped GSO (it needs SG) */
	assert_int_equal(hostnet_set_offloads_at(FIX, "veth0", "", HOSTNET_OFF_TSO | HOSTNET_OFF_SG,
						 0, &changed, &missed), 0);
	assert_int_equal(changed, HOSTNET_OFF_TSO | HOSTNET_OFF_GSO | HOSTNET_OFF_SG);
	assert_int_equal(missed, 0);
	/* tap0: tso on is refused by the tap (no TUNSETOFFLOAD): nothing changed */
	assert_int_equal(hostnet_set_offloads_at(FIX, "tap0", "", HOSTNET_OFF_TSO, 1,
						 &changed, &missed), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(missed, HOSTNET_OFF_TSO);
	const struct knob *k = knob_find("offload");
	assert_int_equal(knob_write(k, FIX, "tap0", "tso", "on"), -EOPNOTSUPP);
	assert_non_null(strstr(hostnet_last_reason(), "kept tso off"));
	/* sg fixed on lo: refused before anything is sent */
	assert_int_equal(knob_write(k, FIX, "lo", "sg", "off"), -EOPNOTSUPP);
	assert_non_null(strstr(hostnet_last_reason(), "fixed"));
	assert_int_equal(hostnet_set_offloads_at(FIX, "lo", "", HOSTNET_OFF_SG, 0, NULL, NULL),
			 -EOPNOTSUPP);
	assert_int_equal(hostnet_set_offloads_at(FIX, "veth0", "", 0, 0, NULL, NULL), -EINVAL);
}

static void test_offload_parse_bad(void **state)
{
	(void)state;
	char *buf;
	size_t len;
	unsigned on, fixed, ch, mi;
	assert_int_equal(kfs_read_alloc(FIX, "ethtool/features-veth0.bin", &buf, &len), 0);
	assert_int_equal(hostnet_ethtool_parse(buf, len, &on, &fixed, &ch, &mi), 0);
	assert_int_equal(on, 0x1b); /* tso, gso, sg, tx checksumming */
	/* every truncation is refused or parsed, never read past the end */
	for (size_t cut = 0; cut < len; cut += 7) {
		char *c = malloc(cut ? cut : 1);
		memcpy(c, buf, cut);
		int r = hostnet_ethtool_parse(c, cut, &on, &fixed, &ch, &mi);
		assert_true(r == 0 || r == -EINVAL);
		free(c);
	}
	/* an NLMSG_ERROR answer gives its errno */
	struct { struct nlmsghdr h; struct nlmsgerr e; } m = { 0 };
	m.h.nlmsg_len = sizeof m;
	m.h.nlmsg_type = NLMSG_ERROR;
	m.e.error = -ENODEV;
	assert_int_equal(hostnet_ethtool_parse(&m, sizeof m, &on, NULL, NULL, NULL), -ENODEV);
	free(buf);
}

/* ---- the view ---- */

static void test_view_rates(void **state)
{
	(void)state;
	struct hostnet_state st = { 0 };
	struct mvec m;
	const char *t0 = FIX "/host-6.18/t0", *t1 = FIX "/host-6.18/t1";

	mvec_clear(&m);
	assert_int_equal(hostnet_view(&st, t0, "vt0", "br0", "", 1000000000ull, &m), 0);
	assert_false(mvec_has(&m, M_HOST_TAP_RX_PACKETS)); /* first call: no rate */
	assert_true(mvec_has(&m, M_HOST_BRIDGE_NF));
	assert_true(mvec_get(&m, M_HOST_BRIDGE_NF) == 0); /* no br_netfilter there */
	assert_false(mvec_has(&m, M_HOST_OFFLOADS_OFF));  /* nothing recorded for vt0 */

	mvec_clear(&m);
	assert_int_equal(hostnet_view(&st, t1, "vt0", "br0", "", 3000000000ull, &m), 0);
	/* vt0: rx 0 -> 619, tx 1 -> 599 over 2 s */
	assert_true(fabs(mvec_get(&m, M_HOST_TAP_RX_PACKETS) - 309.5) < 1e-9);
	assert_true(fabs(mvec_get(&m, M_HOST_TAP_TX_PACKETS) - 299.0) < 1e-9);
	assert_true(mvec_get(&m, M_HOST_TAP_RX_DROPS) == 0);
	assert_true(mvec_get(&m, M_HOST_TAP_TX_DROPS) == 0);
	assert_true(mvec_has(&m, M_HOST_SOFTNET_DROPPED));
	assert_true(fabs(mvec_get(&m, M_HOST_CONNTRACK_FILL) - 100.0 * 401 / 262144) < 1e-9);

	/* counters going backwards (a new tap of the same name) give 0 */
	mvec_clear(&m);
	assert_int_equal(hostnet_view(&st, t0, "vt0", "br0", "", 4000000000ull, &m), 0);
	assert_true(mvec_get(&m, M_HOST_TAP_RX_PACKETS) == 0);

	/* an unknown tap leaves tap metrics unknown, not an error */
	mvec_clear(&m);
	assert_int_equal(hostnet_view(&st, t1, "nosuch", "br0", "", 5000000000ull, &m), 0);
	assert_false(mvec_has(&m, M_HOST_TAP_RX_PACKETS));
	assert_int_equal(hostnet_view(&st, t1, "vt0", "br0", "/etc/passwd", 6000000000ull, &m),
			 -EINVAL);
}

static void test_view_offloads(void **state)
{
	(void)state;
	struct hostnet_state st = { 0 };
	struct mvec m;
	mvec_clear(&m);
	assert_int_equal(hostnet_view(&st, FIX, "veth0", "", "", 1, &m), 0);
	assert_true(mvec_get(&m, M_HOST_OFFLOADS_OFF) == 1); /* gro off */
	mvec_clear(&m);
	assert_int_equal(hostnet_view(&st, FIX, "tap0", "", "", 2, &m), 0);
	/* tso and tx checksumming off (no TUNSETOFFLOAD yet), both changeable */
	assert_true(mvec_get(&m, M_HOST_OFFLOADS_OFF) == 2);
}

static void test_register_idempotent(void **state)
{
	(void)state;
	assert_int_equal(hostnet_register_knobs(), 0);
	assert_int_equal(hostnet_register_knobs(), 0);
	assert_ptr_equal(knob_find("offload")->ops, &hostnet_offload_ops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_brnf_read_write),
		cmocka_unit_test(test_brnf_refuses),
		cmocka_unit_test(test_brnf_absent),
		cmocka_unit_test(test_brnf_journal),
		cmocka_unit_test(test_plans),
		cmocka_unit_test(test_offload_target),
		cmocka_unit_test(test_offload_replay_get),
		cmocka_unit_test(test_offload_replay_set),
		cmocka_unit_test(test_offload_parse_bad),
		cmocka_unit_test(test_view_rates),
		cmocka_unit_test(test_view_offloads),
		cmocka_unit_test(test_register_idempotent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
