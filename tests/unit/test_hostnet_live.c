/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_hostnet_live: the bridge_nf and offload kinds on the live kernel, in
 * namespaces tests/integration/test-hostnet-netns.sh makes. Skips unless
 * VTUNE_LIVE_NETNS (namespace A) is set; VTUNE_LIVE_PHASE picks the step. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hostnet.h"
#include "journal.h"
#include "knob.h"
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Environment from the shell test: VTUNE_LIVE_NETNS=A, VTUNE_LIVE_NETNS_B=B,
 * VTUNE_LIVE_TAP, VTUNE_LIVE_VETH (in A), VTUNE_LIVE_JOURNAL, and
 * VTUNE_LIVE_PHASE = apply | revert | ioctl. */
static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v ? v : "";
}

static void nspath(const char *name, char *out, size_t n)
{
	snprintf(out, n, "/run/netns/%s", name);
}

struct ctx {
	struct journal *j;
	int applied;
};

static int apply_one(void *arg, const char *kind, const char *target, const char *key,
		     const char *value)
{
	struct ctx *c = arg;
	char msg[512];
	struct jrec ch = { .side = "host", .domain = "", .kind = kind, .target = target,
			   .key = key, .new = value, .rule = "live-test", .why = "" };
	int r = journal_apply(c->j, "/", &ch, 0, msg, sizeof msg);
	printf("  %s\n", msg);
	if (r == JOURNAL_UNCHANGED)
		return 0;
	if (r == 0)
		c->applied++;
	return r;
}

static const char *kread(const char *kind, const char *target, const char *key)
{
	static char v[KNOB_VALUE_MAX];
	int r = knob_read(knob_find(kind), "/", target, key, v, sizeof v);
	if (r) {
		snprintf(v, sizeof v, "error %d", r);
	}
	return v;
}

static void test_apply(void **state)
{
	(void)state;
	char a[128], b[128], target[192];
	int err;
	unsigned on = 0, fixed = 0;

	nspath(env("VTUNE_LIVE_NETNS"), a, sizeof a);
	nspath(env("VTUNE_LIVE_NETNS_B"), b, sizeof b);
	struct journal *j = journal_open(env("VTUNE_LIVE_JOURNAL"), &err);
	assert_non_null(j);
	struct ctx c = { .j = j };

	/* bridge-nf off in A only */
	assert_string_equal(kread("bridge_nf", a, "bridge-nf-call-iptables"), "1");
	assert_int_equal(hostnet_plan_bridge_nf(a, "off", apply_one, &c), 3);
	assert_string_equal(kread("bridge_nf", a, "bridge-nf-call-iptables"), "0");
	assert_string_equal(kread("bridge_nf", b, "bridge-nf-call-iptables"), "1");
	assert_string_equal(kread("bridge_nf", "", "bridge-nf-call-iptables"), "1");

	/* tso and sg off on A's tap */
	assert_int_equal(hostnet_offload_get(env("VTUNE_LIVE_TAP"), a, &on, &fixed), 0);
	printf("  tap offloads on 0x%x fixed 0x%x\n", on, fixed);
	assert_int_equal(on & (HOSTNET_OFF_TSO | HOSTNET_OFF_SG), HOSTNET_OFF_TSO | HOSTNET_OFF_SG);
	int before = c.applied;
	assert_int_equal(hostnet_plan_offload(env("VTUNE_LIVE_TAP"), a,
					      HOSTNET_OFF_TSO | HOSTNET_OFF_SG, "off", apply_one, &c), 2);
	assert_int_equal(c.applied - before, 2);
	assert_int_equal(hostnet_offload_get(env("VTUNE_LIVE_TAP"), a, &on, &fixed), 0);
	assert_int_equal(on & (HOSTNET_OFF_TSO | HOSTNET_OFF_SG), 0);

	/* the journal's "applied" records hold what the kernel reports now */
	snprintf(target, sizeof target, "%s@%s", env("VTUNE_LIVE_TAP"), a);
	int seen = 0;
	for (size_t i = 0; i < journal_count(j); i++) {
		const struct jrec *r = journal_record(j, i);
		if (strcmp(r->op, "applied"))
			continue;
		const struct jrec *set = journal_find(j, r->ref);
		assert_non_null(set);
		if (strcmp(set->kind, "offload"))
			continue;
		assert_string_equal(set->target, target);
		assert_string_equal(r->new, kread("offload", target, set->key));
		assert_string_equal(r->new, "off");
		seen++;
	}
	assert_int_equal(seen, 2);

	/* the host view of A's tap, live: bridge-nf off, offloads off, rates */
	struct hostnet_state st = { 0 };
	struct mvec m;
	mvec_clear(&m);
	assert_int_equal(hostnet_view(&st, "/", env("VTUNE_LIVE_TAP"), "br0", a, 1000000000ull, &m), 0);
	assert_true(mvec_has(&m, M_HOST_BRIDGE_NF) && mvec_get(&m, M_HOST_BRIDGE_NF) == 0);
	assert_true(mvec_get(&m, M_HOST_OFFLOADS_OFF) >= 2);
	assert_true(mvec_has(&m, M_HOST_CONNTRACK_FILL));
	mvec_clear(&m);
	assert_int_equal(hostnet_view(&st, "/", env("VTUNE_LIVE_TAP"), "br0", a, 2000000000ull, &m), 0);
	assert_true(mvec_has(&m, M_HOST_TAP_RX_PACKETS) && mvec_has(&m, M_HOST_TAP_TX_DROPS));
	assert_true(mvec_has(&m, M_HOST_SOFTNET_DROPPED));
	mvec_clear(&m);
	assert_int_equal(hostnet_view(&st, "/", env("VTUNE_LIVE_TAP"), "br0", b, 3000000000ull, &m), 0);
	assert_true(mvec_get(&m, M_HOST_BRIDGE_NF) == 1);
	printf("  view: offloads_off %g tap rx %g/s\n", mvec_get(&m, M_HOST_OFFLOADS_OFF),
	       mvec_get(&m, M_HOST_TAP_RX_PACKETS));
	journal_close(j);
}

static void test_revert(void **state)
{
	(void)state;
	char a[128];
	int err;
	unsigned on = 0, fixed = 0;
	nspath(env("VTUNE_LIVE_NETNS"), a, sizeof a);
	struct journal *j = journal_open(env("VTUNE_LIVE_JOURNAL"), &err);
	assert_non_null(j);
	struct revert_sel sel = { .by = REVERT_ALL };
	assert_int_equal(journal_revert(j, "/", &sel, 0, 0, stdout, NULL, NULL), 0);
	assert_string_equal(kread("bridge_nf", a, "bridge-nf-call-iptables"), "1");
	assert_string_equal(kread("bridge_nf", a, "bridge-nf-call-ip6tables"), "1");
	assert_int_equal(hostnet_offload_get(env("VTUNE_LIVE_TAP"), a, &on, &fixed), 0);
	assert_int_equal(on & (HOSTNET_OFF_TSO | HOSTNET_OFF_SG), HOSTNET_OFF_TSO | HOSTNET_OFF_SG);
	journal_close(j);
}

/* The SIOCETHTOOL fallback: gro off and back through the knob, checked
 * through netlink. */
static void test_ioctl(void **state)
{
	(void)state;
	char a[128], target[192], v[16];
	unsigned on0 = 0, on1 = 0, ch = 0, mi = 0;
	nspath(env("VTUNE_LIVE_NETNS"), a, sizeof a);
	snprintf(target, sizeof target, "%s@%s", env("VTUNE_LIVE_VETH"), a);
	const struct knob *k = knob_find("offload");

	assert_int_equal(hostnet_offload_get(env("VTUNE_LIVE_VETH"), a, &on0, NULL), 0);
	const char *flip = on0 & HOSTNET_OFF_GRO ? "off" : "on";
	hostnet_ethtool_force_ioctl(1);
	assert_int_equal(knob_write(k, "/", target, "gro", flip), 0);
	assert_int_equal(knob_read(k, "/", target, "gro", v, sizeof v), 0);
	assert_string_equal(v, flip);
	hostnet_ethtool_force_ioctl(0);
	assert_int_equal(hostnet_offload_get(env("VTUNE_LIVE_VETH"), a, &on1, NULL), 0);
	assert_int_equal(on0 ^ on1, HOSTNET_OFF_GRO);
	/* and back, reporting what changed */
	hostnet_ethtool_force_ioctl(1);
	assert_int_equal(hostnet_set_offloads(env("VTUNE_LIVE_VETH"), a, HOSTNET_OFF_GRO,
					      !!(on0 & HOSTNET_OFF_GRO), &ch, &mi), 0);
	hostnet_ethtool_force_ioctl(0);
	assert_int_equal(ch, HOSTNET_OFF_GRO);
	assert_int_equal(mi, 0);
	assert_int_equal(hostnet_offload_get(env("VTUNE_LIVE_VETH"), a, &on1, NULL), 0);
	assert_int_equal(on0, on1);
}

static void test_live(void **state)
{
	const char *phase = env("VTUNE_LIVE_PHASE");
	if (!*env("VTUNE_LIVE_NETNS")) {
		skip(); /* run by tests/integration/test-hostnet-netns.sh */
		return;
	}
	assert_int_equal(hostnet_register_knobs(), 0);
	if (!strcmp(phase, "apply"))
		test_apply(state);
	else if (!strcmp(phase, "revert"))
		test_revert(state);
	else if (!strcmp(phase, "ioctl"))
		test_ioctl(state);
	else
		fail_msg("VTUNE_LIVE_PHASE must be apply, revert or ioctl");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
