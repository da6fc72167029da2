/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_hostnet_fw: the firewall check on real dumps (tests/fixtures/
 * firewall-6.18, captured by its capture.sh on Linux 6.18 with Debian 12's
 * iptables-nft 1.8.9, ebtables, arptables and nftables 1.0.6), and the
 * per-bridge bridge-nf plan on states of a namespace: exempting one bridge
 * keeps every other one filtered, ending the last exemption puts every
 * knob back, an administrator's own setup is never "restored". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hostnet.h"
#include "hostnet_fw.h"
#include "knob.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define FIX "tests/fixtures/firewall-6.18/"

static int check(const char *c, const char *bridge, char *why, size_t n)
{
	char root[128];
	struct fw_port p = { bridge, "" };
	snprintf(root, sizeof root, FIX "%s", c);
	return hostnet_firewall_check(root, "", &p, why, n);
}

static void test_cases(void **state)
{
	static const struct {
		const char *c, *bridge;
		int want;
		const char *says;
	} t[] = {
		{ "none", "br0", 0, NULL },
		{ "host-only", "br0", 0, NULL }, /* NAT out of eth0, INPUT rules */
		{ "forward", "br0", 1, "iptables filter FORWARD: -A FORWARD -p tcp -m tcp --dport 9999 -j DROP" },
		{ "forward", "", 1, "FORWARD" }, /* scope: namespace */
		{ "physdev", "br0", 1, "iptables filter INPUT: -A INPUT -p tcp -m physdev --physdev-in vtap0" },
		{ "nft-forward", "br0", 1, "nft table inet vtfw chain vtchain (hook forward): rule 2: tcp dport == 9999 drop" },
		{ "nft-bridge", "br0", 1, "nft table bridge vtbr chain vtchain (hook forward)" },
		{ "ebtables", "br0", 1, "ebtables filter FORWARD: -A FORWARD -i vtap0 -j DROP" },
		{ "forward-drop", "br0", 1, "iptables filter FORWARD policy DROP" },
		{ "docker", "br0", 1, "FORWARD policy DROP" },
		/* a rule for another bridge is not this bridge's business */
		{ "other-bridge", "br0", 0, NULL },
		{ "other-bridge", "br1", 1, "-A FORWARD -i br1 -o br1" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char why[512] = "";
		int r = check(t[i].c, t[i].bridge, why, sizeof why);
		if (r != t[i].want || (t[i].says && !strstr(why, t[i].says)))
			fail_msg("case %s bridge '%s': got %d '%s', want %d '%s'", t[i].c, t[i].bridge, r,
				 why, t[i].want, t[i].says ? t[i].says : "");
	}
}

static void test_platform_chains(void **state)
{
	char why[256];
	struct fw_port p = { "br0", "vtap0" };
	(void)state;
	/* kube-proxy's and neutron's chains name who relies on bridge-nf */
	const char *kube = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:KUBE-FORWARD - [0:0]\nCOMMIT\n";
	assert_int_equal(fw_scan_save(kube, "iptables", FW_IP, &p, why, sizeof why), 1);
	assert_non_null(strstr(why, "Kubernetes"));
	const char *neutron = "*filter\n:FORWARD ACCEPT [0:0]\n:neutron-filter-top - [0:0]\nCOMMIT\n";
	assert_int_equal(fw_scan_save(neutron, "iptables", FW_IP, &p, why, sizeof why), 1);
	assert_non_null(strstr(why, "OpenStack Neutron"));
	/* negation and wildcards: ! -i br0 never sees br0's frames from br0 */
	const char *neg = "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD ! -i br+ -j DROP\nCOMMIT\n";
	assert_int_equal(fw_scan_save(neg, "iptables", FW_IP, &p, why, sizeof why), 0);
	const char *wild = "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -i br+ -j DROP\nCOMMIT\n";
	assert_int_equal(fw_scan_save(wild, "iptables", FW_IP, &p, why, sizeof why), 1);
	/* physdev naming other ports on both sides: not the guest's frames */
	const char *other = "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m physdev --physdev-in eth1 --physdev-out eth2 -j DROP\nCOMMIT\n";
	assert_int_equal(fw_scan_save(other, "iptables", FW_IP, &p, why, sizeof why), 0);
	assert_int_equal(fw_scan_nft_json("not json", &p, why, sizeof why), -EINVAL);
}

/* ---- the exemption plan ---- */

struct rec {
	char lines[16][96];
	int n;
};

static int record(void *arg, const char *kind, const char *target, const char *key,
		  const char *value)
{
	struct rec *r = arg;
	snprintf(r->lines[r->n++], sizeof r->lines[0], "%s %s %s %s", kind, target, key, value);
	return 0;
}

static void ns_state(struct hostnet_brnf_ns *s, int sys, int br0, int br1)
{
	memset(s, 0, sizeof *s);
	for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++) {
		s->sys[k] = s->sys_orig[k] = sys;
	}
	snprintf(s->br[0].name, 16, "br0");
	snprintf(s->br[1].name, 16, "br1");
	for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++) {
		s->br[0].opt[k] = s->br[0].orig[k] = br0;
		s->br[1].opt[k] = s->br[1].orig[k] = br1;
	}
	s->nbr = 2;
}

static void test_exempt_sysctl_on(void **state)
{
	struct hostnet_brnf_ns s;
	struct rec r = { .n = 0 };
	(void)state;
	/* the usual host: the namespace sysctl on, options off */
	ns_state(&s, 1, 0, 0);
	assert_int_equal(hostnet_plan_bridge_exempt(&s, "/run/netns/x", "br0", 1, record, &r), 6);
	/* br1 keeps filtering through its own option, set before the sysctl goes */
	assert_string_equal(r.lines[0], "bridge_nf_br br1@/run/netns/x nf_call_iptables 1");
	assert_string_equal(r.lines[2], "bridge_nf_br br1@/run/netns/x nf_call_arptables 1");
	assert_string_equal(r.lines[3], "bridge_nf /run/netns/x bridge-nf-call-iptables 0");
	assert_string_equal(r.lines[5], "bridge_nf /run/netns/x bridge-nf-call-arptables 0");
	/* the state that leaves: br0 exempted, br1 on */
	for (int k = 0; k < 3; k++) {
		s.sys[k] = 0;
		s.br[1].opt[k] = 1;
	}
	assert_int_equal(hostnet_brnf_effective(&s, "br0"), 0);
	assert_int_equal(hostnet_brnf_effective(&s, "br1"), 1);
	/* exempting again: nothing to do */
	r.n = 0;
	assert_int_equal(hostnet_plan_bridge_exempt(&s, "/run/netns/x", "br0", 1, record, &r), 0);
	/* the last exemption ends: the sysctl back first, then br1's options */
	assert_int_equal(hostnet_plan_bridge_exempt(&s, "/run/netns/x", "br0", 0, record, &r), 6);
	assert_string_equal(r.lines[0], "bridge_nf /run/netns/x bridge-nf-call-iptables 1");
	assert_string_equal(r.lines[3], "bridge_nf_br br1@/run/netns/x nf_call_iptables 0");
}

static void test_exempt_per_bridge(void **state)
{
	struct hostnet_brnf_ns s;
	struct rec r = { .n = 0 };
	(void)state;
	/* a per-bridge setup: sysctls off, both bridges' options on */
	ns_state(&s, 0, 1, 1);
	assert_int_equal(hostnet_plan_bridge_exempt(&s, "", "br0", 1, record, &r), 3);
	for (int i = 0; i < 3; i++)
		assert_non_null(strstr(r.lines[i], "bridge_nf_br br0 nf_call_"));
	assert_non_null(strstr(r.lines[0], " 0"));
	/* a bridge never filtered: nothing to exempt */
	ns_state(&s, 0, 0, 1);
	r.n = 0;
	assert_int_equal(hostnet_plan_bridge_exempt(&s, "", "br0", 1, record, &r), 0);
	/* ... and "on" never turns on what was off before vtune */
	assert_int_equal(hostnet_plan_bridge_exempt(&s, "", "br0", 0, record, &r), 0);
	assert_int_equal(r.n, 0);
	/* no br_netfilter: nothing runs, nothing to do */
	s.no_brnf = 1;
	assert_int_equal(hostnet_plan_bridge_exempt(&s, "", "br0", 1, record, &r), 0);
	s.no_brnf = 0;
	assert_int_equal(hostnet_plan_bridge_exempt(&s, "", "br9", 1, record, &r), -ENODEV);
}

static void test_two_exemptions(void **state)
{
	struct hostnet_brnf_ns s;
	struct rec r = { .n = 0 };
	(void)state;
	/* br0 and br1 both exempted from a sysctl-on namespace with br2 */
	ns_state(&s, 1, 0, 0);
	snprintf(s.br[2].name, 16, "br2");
	s.nbr = 3;
	for (int k = 0; k < 3; k++) {
		s.sys[k] = 0;		/* vtune turned it off ... */
		s.br[2].opt[k] = 1;	/* ... and br2's option on */
	}
	/* br0 ends its exemption while br1 keeps its own: br0's option on,
	 * the sysctl stays off */
	assert_int_equal(hostnet_plan_bridge_exempt(&s, "", "br0", 0, record, &r), 3);
	for (int i = 0; i < 3; i++)
		assert_non_null(strstr(r.lines[i], "bridge_nf_br br0 nf_call_"));
	assert_non_null(strstr(r.lines[0], " 1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_platform_chains),
		cmocka_unit_test(test_exempt_sysctl_on),
		cmocka_unit_test(test_exempt_per_bridge),
		cmocka_unit_test(test_two_exemptions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
