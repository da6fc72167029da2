/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostnet_fw: what needs a guest's bridged frames to pass netfilter, found
 * before vtune turns bridge netfilter off for its bridge: iptables,
 * ip6tables, arptables and ebtables rules in the chains bridged frames
 * reach (FORWARD, and any physdev match anywhere), nftables base chains
 * hooking forward (ip, ip6, inet) or the bridge family, non-accept
 * policies there, and the chains of platforms that rely on it (Docker
 * DOCKER-*, Kubernetes KUBE-*, OpenStack neutron-*, libvirt nwfilter).
 *
 * The sources are the tools' own dump formats, read as text: Debian's
 * iptables (1.8, nft backend by default) has no public library (libiptc is
 * internal and does not see the nft backend), and `nft -j list ruleset` is
 * libnftables' JSON, the documented machine-readable interface. Running the
 * dump tools keeps one parser for live hosts and for fixture trees of real
 * captures (ROOT/firewall/NAME). */
#ifndef VTUNE_HOSTNET_FW_H
#define VTUNE_HOSTNET_FW_H

#include <stddef.h>

/* The dump formats of the xtables family of tools. */
enum fw_family {
	FW_IP,	/* iptables-save, ip6tables-save (-i/-o: bridges, physdev: ports) */
	FW_ARP, /* arptables-save (-i/-o: bridge ports) */
	FW_EB,	/* ebtables-save (-i/-o: ports, --logical-in/-out: bridges) */
};

/* The guest's place on the host: its bridge and its port (tap / vif).
 * bridge NULL or "": any bridge of the namespace (scope: namespace); tap
 * NULL or "": any port of that bridge. */
struct fw_port {
	const char *bridge, *tap;
};

/* Scan one *-save dump (text, NUL-terminated) named tool ("iptables",
 * "ebtables", ...) for anything that needs p's bridged frames to pass
 * netfilter. 1 with a one-line description in why ("iptables filter
 * FORWARD: -A FORWARD -p tcp --dport 9999 -j DROP"), 0 when nothing does. */
int fw_scan_save(const char *text, const char *tool, enum fw_family fam,
		 const struct fw_port *p, char *why, size_t n);

/* The same for `nft -j list ruleset` output. 1, 0, or -EINVAL when the
 * text is not that JSON. */
int fw_scan_nft_json(const char *text, const struct fw_port *p, char *why, size_t n);

/* Every source for p in netns: root "/" runs the dump tools inside the
 * namespace (tools not installed are skipped; legacy iptables only when the
 * namespace has legacy tables); another root reads ROOT/firewall/ with the
 * files iptables-save, ip6tables-save, iptables-legacy-save,
 * ip6tables-legacy-save, arptables-save, ebtables-save and nft.json (each
 * optional). 1 with the first finding in why, 0 none, -errno when a source
 * that exists could not be read (the caller must then assume the worst). */
int hostnet_firewall_check(const char *root, const char *netns, const struct fw_port *p,
			   char *why, size_t n);

#endif
