/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostnet_vf: the network settings of an SR-IOV VF (MAC, VLAN, spoof check,
 * trust, link state), read and written through its PF's netdev with
 * rtnetlink (IFLA_VFINFO_LIST / IFLA_VF_*), parsed by libnl-route-3; the
 * "sriov-vf" knob kind. Like sock_diag and ethtool, a fixture root replays
 * recorded kernel answers instead of asking the kernel. */
#ifndef VTUNE_HOSTNET_VF_H
#define VTUNE_HOSTNET_VF_H

#include <stddef.h>
#include <stdint.h>

#include "knob.h"

/* One VF as its PF's RTM_NEWLINK reports it. */
struct hostnet_vf {
	uint32_t vf;
	int ifindex;		/* the PF's */
	unsigned char mac[6];
	uint32_t vlan, qos;	/* 0, 0: no VLAN */
	int spoofchk;		/* 0 / 1, -1 when the driver does not say */
	int trust;		/* 0 / 1, -1 likewise */
	int link_state;		/* IFLA_VF_LINK_STATE_AUTO / _ENABLE / _DISABLE, -1 */
};

/* VF vf of the PF whose netdev is pf: RTM_GETLINK with IFLA_EXT_MASK
 * RTEXT_FILTER_VF. Root "/" (or NULL/"") asks the kernel in hostd's network
 * namespace; any other root replays <root>/rtnl/getlink-<pf>.bin. Returns
 * 0, -ENODEV (no such interface: the kernel's answer), -ENOENT (no VF vf:
 * IFLA_NUM_VF is smaller), -EINVAL (bad name, an answer that does not
 * parse), or -errno. */
int hostnet_vf_get(const char *root, const char *pf, uint32_t vf, struct hostnet_vf *out);

/* Fields of "sriov-vf": "mac", "vlan", "spoofchk", "trust", "link_state". */
enum hostnet_vf_field { VFF_MAC, VFF_VLAN, VFF_SPOOFCHK, VFF_TRUST, VFF_LINK_STATE, VFF_NONE };

/* Parse a key "vf<N>.<field>". 0 or -EINVAL. */
int hostnet_vf_key(const char *key, uint32_t *vf, enum hostnet_vf_field *f);

/* One field of out as the knob's text: mac "52:54:00:12:34:56", vlan "0",
 * "100" or "100:3" (VLAN:QoS), spoofchk / trust "on" / "off", link_state
 * "auto" / "enable" / "disable". -EOPNOTSUPP when the driver does not
 * report it (-1), -EOVERFLOW. */
int hostnet_vf_format(const struct hostnet_vf *v, enum hostnet_vf_field f, char *buf, size_t n);

/* Set one field of VF vf of the PF on interface ifindex (name pf, for the
 * replay file): RTM_NEWLINK with IFLA_VFINFO_LIST > IFLA_VF_INFO > the one
 * IFLA_VF_* attribute, NLM_F_ACK. value as hostnet_vf_format writes it
 * (vlan "100" means QoS 0; MAC and words in any case). Replay: the request
 * is kept (hostnet_vf_last_request) and <root>/rtnl/setlink-<pf>.bin is the
 * answer. 0, -EINVAL (bad value), or the kernel's -errno (-EOPNOTSUPP: the
 * driver cannot, e.g. a device without SR-IOV). No check that the VF
 * exists: hostnet_vf_get first (the knob does). */
int hostnet_vf_send(const char *root, const char *pf, int ifindex, uint32_t vf,
		    enum hostnet_vf_field f, const char *value);

/* The last request built (live or replay): its bytes, for tests. */
void hostnet_vf_last_request(const void **buf, size_t *len);

/* If set, every live answer is also written to DIR/rtnl/{getlink,setlink}-
 * <pf>.bin (how tests/fixtures/rtnl-vf was recorded). NULL stops it. */
void hostnet_vf_set_record_dir(const char *dir);

/* Knob kind "sriov-vf" (no context): target = the PF's interface name,
 * key = "vf<N>.<field>" (field as above), value as hostnet_vf_format.
 * read: hostnet_vf_get; write: hostnet_vf_get (the VF must exist), then
 * hostnet_vf_send; equal: "100" and "100:0" are the same VLAN, MACs in
 * any case are the same. */
extern const struct knob_ops hostnet_vf_ops;

#endif
