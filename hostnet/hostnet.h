/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostnet: the host side of a guest's network path — bridge-netfilter per
 * network namespace, offloads (TSO, GSO, GRO, SG) through the ethtool
 * generic-netlink family, and the host.* metrics of a tap (hostnet_view). */
#ifndef VTUNE_HOSTNET_H
#define VTUNE_HOSTNET_H

#include <stddef.h>
#include <stdint.h>

#include "knob.h"
#include "metrics.h"

/* ---- knob kinds ----
 * "bridge_nf": target = netns path ("" = hostd's own, see netns.h), key one
 *   of "bridge-nf-call-iptables", "bridge-nf-call-ip6tables",
 *   "bridge-nf-call-arptables", value "0" / "1". Root "/" reads and writes
 *   /proc/sys/net/bridge/<key> inside that namespace (setns); any other
 *   root is a fixture tree used as is, without setns. br_netfilter absent:
 *   read returns -ENOENT (nothing to do, not an error).
 * "offload": target = "IFNAME" or "IFNAME@NETNSPATH", key "tso", "gso",
 *   "gro" or "sg", value "on" / "off" (the ACTIVE state). Root "/" talks to
 *   the kernel (ethtool netlink, or the SIOCETHTOOL ioctl when the family
 *   is absent); any other root replays recorded answers from
 *   <root>/ethtool/features-IFNAME.bin (and set-IFNAME.bin for a write).
 *   A feature the device cannot change ("[fixed]") gives -EOPNOTSUPP. */
extern const struct knob_ops hostnet_bridge_nf_ops;
extern const struct knob_ops hostnet_offload_ops;
/* "bridge_nf_br": one bridge's own option. target = "BRIDGE" or
 *   "BRIDGE@NETNSPATH", key "nf_call_iptables", "nf_call_ip6tables" or
 *   "nf_call_arptables", value "0" / "1". Root "/" talks rtnetlink inside
 *   the namespace (IFLA_BR_NF_CALL_*); another root is a fixture tree
 *   (sys/class/net/BRIDGE/bridge/nf_call_*). No such bridge: -ENODEV.
 * "firewall": read-only, what needs a guest's bridged frames to pass
 *   netfilter (hostnet_fw.h): target = netns path, key "BRIDGE:TAP" (either
 *   may be empty; an empty bridge asks about every bridge of the
 *   namespace), value "" when nothing does, else the first rule found. */
extern const struct knob_ops hostnet_bridge_br_ops;
extern const struct knob_ops hostnet_firewall_ops;

/* Register both kinds and "sriov-vf" (hostnet_vf.h) with knob_register.
 * Idempotent; 0 or -errno. */
int hostnet_register_knobs(void);

/* The reason for the last failure of a hostnet function in this thread
 * (e.g. "tap0: tso is fixed on this device"), "" when none. */
const char *hostnet_last_reason(void);

/* Set the reason hostnet_last_reason returns (hostnet modules only). */
void hostnet_set_reason(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- bridge-nf ---- */
#define HOSTNET_BRNF_NKEYS 3
extern const char *const hostnet_brnf_keys[HOSTNET_BRNF_NKEYS];

/* Read all three keys in one namespace (root as for the knob) into v[i]
 * (0/1, order of hostnet_brnf_keys). Returns 0, -ENOENT (br_netfilter not
 * loaded there), -EINVAL (bad netns path) or -errno. */
int hostnet_bridge_nf_read(const char *root, const char *netns, int v[HOSTNET_BRNF_NKEYS]);

/* Plans call this once per knob change they need; a non-zero return stops the
 * plan and is returned. */
typedef int (*hostnet_change_fn)(void *arg, const char *kind, const char *target,
				 const char *key, const char *value);

/* ---- bridge-nf per bridge (hostnet_bridge_br.c) ---- */
#define HOSTNET_MAX_BRIDGES 64
/* Option names in the order of hostnet_brnf_keys. */
extern const char *const hostnet_brbr_keys[HOSTNET_BRNF_NKEYS];

struct hostnet_bridge {
	char name[16];
	int opt[HOSTNET_BRNF_NKEYS];  /* its nf_call_* options now */
	int orig[HOSTNET_BRNF_NKEYS]; /* as they were before vtune changed them */
};

/* A namespace's bridge netfilter: the sysctls and every bridge's options,
 * now and before vtune (the caller fills *orig from its journal; read
 * sets them to the current values). */
struct hostnet_brnf_ns {
	int no_brnf; /* br_netfilter not loaded: nothing runs, nothing to do */
	int sys[HOSTNET_BRNF_NKEYS], sys_orig[HOSTNET_BRNF_NKEYS];
	struct hostnet_bridge br[HOSTNET_MAX_BRIDGES];
	size_t nbr;
};

/* The bridges of netns (root as for the knob kinds) with their options,
 * up to max (*n the count). 0 or -errno. */
int hostnet_bridges(const char *root, const char *netns, struct hostnet_bridge *v,
		    size_t max, size_t *n);

/* One bridge of netns by name: 0, -ENODEV or -errno. */
int hostnet_bridge_get(const char *root, const char *netns, const char *name,
		       struct hostnet_bridge *b);

/* Read the sysctls and every bridge of netns into s (orig = now), through
 * the registered "bridge_nf" and "bridge_nf_br" kinds (key "bridges" of the
 * target "*" or "*@NETNS" lists them: "br0=110 br1=000"), so that with
 * privilege separation the privileged side reads them. 0 or -errno;
 * br_netfilter absent is not an error (s->no_brnf). */
int hostnet_brnf_ns_read(const char *root, const char *netns, struct hostnet_brnf_ns *s);

/* Does netfilter run for frames on bridge (sysctl OR option, any of the
 * three)? "" or an unknown bridge: the namespace sysctls alone. 1 or 0. */
int hostnet_brnf_effective(const struct hostnet_brnf_ns *s, const char *bridge);

/* Exempt bridge from bridge netfilter (exempt 1) or end its exemption (0),
 * leaving every other bridge of the namespace filtered exactly as before
 * vtune: the wanted state is computed from s (a bridge is exempted when it
 * was filtered before vtune and is not now) and each knob that differs is
 * one change through fn ("bridge_nf_br" options, "bridge_nf" sysctls),
 * those that turn filtering on first. When no exemption is left, every
 * knob goes back to its value before vtune. Returns the number of changes,
 * 0 (nothing to do: already so, never filtered, no br_netfilter), -ENODEV
 * (no such bridge), -EINVAL or fn's value. */
int hostnet_plan_bridge_exempt(const struct hostnet_brnf_ns *s, const char *netns,
			       const char *bridge, int exempt, hostnet_change_fn fn, void *arg);

/* ---- offloads ---- */
enum {
	HOSTNET_OFF_TSO = 1u << 0,
	HOSTNET_OFF_GSO = 1u << 1,
	HOSTNET_OFF_GRO = 1u << 2,
	HOSTNET_OFF_SG = 1u << 3,
	HOSTNET_OFF_TXCSUM = 1u << 4, /* tx checksumming */
	HOSTNET_OFF_ALL = 0x1fu,
};
#define HOSTNET_OFF_NKEYS 5
/* Key names in bit order: "tso", "gso", "gro", "sg", "txcsum". */
extern const char *const hostnet_offload_keys[HOSTNET_OFF_NKEYS];

/* Bit of a key name, or 0 when unknown. */
unsigned hostnet_offload_bit(const char *key);

/* Split an offload target "IFNAME" / "IFNAME@NETNSPATH" into ifname
 * (IFNAMSIZ bytes) and netns (nsn bytes, "" when none). Checks the name
 * (1..15 chars, no '/', ':', whitespace, not "." / "..") and the path
 * (netns_path_ok). Returns 0 or -EINVAL. */
int hostnet_offload_target(const char *target, char *ifname, char *netns, size_t nsn);

/* Current offloads of ifname in netns ("" / NULL = hostd's own) on the
 * live kernel. *on_mask gets the HOSTNET_OFF_* bits that are active,
 * *fixed_mask those the device cannot change (either may be NULL). Returns
 * 0, -ENODEV (no such interface) or -errno. */
int hostnet_offload_get(const char *ifname, const char *netns,
			unsigned *on_mask, unsigned *fixed_mask);
/* The same with a root prefix: "/" (or NULL) is live, another root replays
 * <root>/ethtool/features-IFNAME.bin. */
int hostnet_offload_get_at(const char *root, const char *ifname, const char *netns,
			   unsigned *on_mask, unsigned *fixed_mask);

/* Turn the offloads in mask on (on != 0) or off on ifname in netns, in one
 * request. *changed gets the HOSTNET_OFF_* bits whose active state the
 * kernel reports as changed (may include bits outside mask: TSO follows SG
 * off); *missed the bits of mask that did not reach the wanted state (both
 * may be NULL). Returns 0 (even when some missed), -EOPNOTSUPP when a bit
 * of mask is fixed (nothing is sent), -ENODEV or -errno. */
int hostnet_set_offloads(const char *ifname, const char *netns, unsigned mask,
			 int on, unsigned *changed, unsigned *missed);
/* The same with a root prefix; another root than "/" replays
 * <root>/ethtool/features-IFNAME.bin, then set-IFNAME.bin as the answer. */
int hostnet_set_offloads_at(const char *root, const char *ifname, const char *netns,
			    unsigned mask, int on, unsigned *changed, unsigned *missed);

/* Force the SIOCETHTOOL ioctl path (1) or netlink with ioctl fallback (0).
 * The environment variable VTUNE_ETHTOOL_IOCTL=1 forces it too. */
void hostnet_ethtool_force_ioctl(int on);

/* If set, each live FEATURES_GET answer is also written to
 * DIR/ethtool/features-IFNAME.bin and each FEATURES_SET answer to
 * DIR/ethtool/set-IFNAME.bin (a replay tree for tests). NULL stops. */
void hostnet_ethtool_set_record_dir(const char *dir);

/* Parse a buffer of netlink messages (an ethtool FEATURES_GET or _SET
 * answer): features named in the message give the HOSTNET_OFF_* masks
 * active (*on), fixed (*fixed: not in HW or in NOCHANGE; GET only) and, for
 * a SET answer, *changed (ACTIVE diff) and *missed (WANTED diff). Any
 * pointer may be NULL. Returns 0, -EINVAL (malformed), -EPROTO (compact
 * bitsets, which carry no names) or the -errno of an NLMSG_ERROR. */
int hostnet_ethtool_parse(const void *buf, size_t len, unsigned *on, unsigned *fixed,
			  unsigned *changed, unsigned *missed);

/* ---- plans ---- */

/* bridge-nf "off" / "on" in netns: three "bridge_nf" changes. Returns the
 * number of changes produced, -EINVAL (bad state / netns) or fn's value. */
int hostnet_plan_bridge_nf(const char *netns, const char *state,
			   hostnet_change_fn fn, void *arg);

/* Offloads in features (HOSTNET_OFF_*) "off" / "on" on iface in netns: one
 * "offload" change per bit, in key order for off and the reverse for on
 * (tso needs sg, sg needs tx checksumming). Returns the number of changes,
 * -EINVAL or fn's value. */
int hostnet_plan_offload(const char *iface, const char *netns, unsigned features,
			 const char *state, hostnet_change_fn fn, void *arg);

/* "hw csum failure" lines of the host's kernel log naming tap or bridge,
 * counted since vtune started (root "/": /dev/kmsg from its end; another
 * root: ROOT/dev/kmsg, a capture, counted whole). 0 or -errno. */
int hostnet_csum_failures(const char *root, const char *tap, const char *bridge, uint64_t *n);

/* ---- the host view of one guest ---- */
struct hostnet_state {
	int have;		/* previous counters below are valid */
	uint64_t t_ns;		/* when they were taken */
	uint64_t rx_packets, tx_packets, rx_dropped, tx_dropped;
	int have_tap;
	uint64_t softnet_dropped;
	int have_softnet;
	uint64_t tap_errors, csum_failures;
	int have_csum;
	int have_cts;		/* conntrack statistics below are valid */
	uint64_t cts_drop, cts_early_drop, cts_insert_failed;
};

/* Fill host with the host.* metrics of one guest's path: host.bridge_nf (1
 * when any bridge-nf key is 1 in netns; 0 when br_netfilter is absent),
 * host.offloads_off (tso/gso/gro/sg/txcsum off on tap and changeable),
 * host.tap.{rx,tx}_{packets,drops}, host.tap.errors, host.csum_failures
 * ("hw csum failure" for tap or bridge in the kernel log) and
 * host.softnet.dropped as rates since the previous call with st
 * (unknown on the first), host.conntrack.fill (% of nf_conntrack_max in
 * netns; 0 when conntrack is absent), host.conntrack.{drops,early_drops,
 * insert_failed} as rates (its per-CPU statistics in netns). root "/" reads the live kernel
 * inside netns; another root is a fixture tree. The tap's counters come
 * from proc/net/dev in netns (gv_iface_read; a tree without it: the sysfs
 * statistics files). bridge is accepted for the
 * record (bridge-nf is per namespace). Metrics that cannot be read stay
 * unknown. st is zeroed by the caller before the first call. Returns 0 or
 * -EINVAL (bad arguments). */
int hostnet_view(struct hostnet_state *st, const char *root, const char *tap,
		 const char *bridge, const char *netns, uint64_t now_ns, struct mvec *host);

/* ---- the host's own NICs: their queue interrupts ----
 * Host-wide, not per guest: /proc/interrupts read once per interval (a
 * reading younger than half of min_gap_ns is reused) for the NIC queue
 * lines of the interfaces of hostd's network namespace, and irqbalance.
 * Sets host.irq.nic_rate, host.irq.nic_hot_share, host.irq.one_cpu and
 * host.irqbalance (rates from the second call on). */
struct hostnet_irqs;
struct hostnet_irqs *hostnet_irqs_new(void);
void hostnet_irqs_free(struct hostnet_irqs *s);
int hostnet_irq_view(struct hostnet_irqs *s, const char *root, uint64_t now_ns,
		     uint64_t min_gap_ns, struct mvec *host);

/* hostnet_view as privops' privileged side runs it (privops_view_fn): state
 * is a struct hostnet_state of len bytes. With privops active (privops.h),
 * hostnet_view on the live root sends its call to the privileged parent. */
int hostnet_view_privileged(const char *root, const char *tap, const char *bridge,
			    const char *netns, uint64_t now_ns, void *state, size_t len,
			    struct mvec *host);

#endif
