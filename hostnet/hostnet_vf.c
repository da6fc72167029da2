/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostnet_vf: SR-IOV VF network settings through rtnetlink (lib/netlink):
 * RTM_GETLINK with RTEXT_FILTER_VF parsed by libnl-route-3's link parser,
 * RTM_NEWLINK with one IFLA_VF_* attribute to change one; live, recorded or
 * replayed; and the "sriov-vf" knob kind. */
#include "hostnet_vf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>

#include "log.h"
#include "netlink.h"
#include "parse.h"

static const char *record_dir;
static unsigned char last_req[1024];
static size_t last_req_len;

void hostnet_vf_set_record_dir(const char *dir)
{
	record_dir = dir;
}

void hostnet_vf_last_request(const void **buf, size_t *len)
{
	*buf = last_req;
	*len = last_req_len;
}

static int ifname_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n < 16 && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/* ---- one exchange: live, recorded, or replayed (lib/netlink) ---- */

/* req and its answer, each message to fn: <root>/rtnl/WHAT-PF.bin when
 * replayed or recorded. The request as sent (flags and sequence number
 * filled in) is kept for hostnet_vf_last_request. */
static int exchange(const char *root, const char *what, const char *pf, struct nlmsghdr *req,
		    netlink_msg_fn fn, void *arg)
{
	struct netlink nl = NETLINK_INIT;
	char path[64];
	snprintf(path, sizeof path, "rtnl/%s-%s.bin", what, pf);
	int rc = netlink_open(&nl, root, NETLINK_ROUTE, NULL, record_dir);
	if (!rc)
		rc = netlink_talk(&nl, path, req, fn, arg);
	last_req_len = req->nlmsg_len <= sizeof last_req ? req->nlmsg_len : 0;
	memcpy(last_req, req, last_req_len);
	netlink_close(&nl);
	return rc;
}

static void take_link(struct nl_object *obj, void *arg)
{
	struct rtnl_link **l = arg;
	if (!*l) {
		nl_object_get(obj);
		*l = (struct rtnl_link *)obj;
	}
}

/* The answer's RTM_NEWLINK, parsed by libnl-route. */
static int on_link(const struct nlmsghdr *h, void *arg)
{
	struct rtnl_link **link = arg;
	if (h->nlmsg_type != RTM_NEWLINK || *link)
		return 0;
	struct nl_msg *m = nlmsg_convert((struct nlmsghdr *)h);
	if (!m)
		return -ENOMEM;
	nlmsg_set_proto(m, NETLINK_ROUTE); /* picks libnl-route's link parser */
	int rc = nl_msg_parse(m, take_link, link);
	nlmsg_free(m);
	return rc < 0 || !*link ? -EINVAL : 0;
}

/* ---- reading ---- */

int hostnet_vf_get(const char *root, const char *pf, uint32_t vfn, struct hostnet_vf *out)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		unsigned char attrs[64];
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof req.i), .nlmsg_type = RTM_GETLINK },
		.i = { .ifi_family = AF_UNSPEC },
	};
	struct rtnl_link *link = NULL;
	struct rtnl_link_vf *vf = NULL;
	int rc;

	if (!ifname_ok(pf))
		return -EINVAL;
	if (netlink_put_str(&req.h, sizeof req, IFLA_IFNAME, pf) ||
	    netlink_put_u32(&req.h, sizeof req, IFLA_EXT_MASK, RTEXT_FILTER_VF))
		return -EINVAL;
	if ((rc = exchange(root, "getlink", pf, &req.h, on_link, &link)))
		goto out;
	if (!link) {
		rc = -EINVAL; /* an answer without the link */
		goto out;
	}
	uint32_t num = 0;
	if (rtnl_link_get_num_vf(link, &num) < 0 || vfn >= num || !(vf = rtnl_link_vf_get(link, vfn))) {
		rc = -ENOENT;
		goto out;
	}
	memset(out, 0, sizeof *out);
	out->vf = vfn;
	out->ifindex = rtnl_link_get_ifindex(link);
	struct nl_addr *addr = NULL;
	if (!rtnl_link_vf_get_addr(vf, &addr) && addr && nl_addr_get_len(addr) >= 6)
		memcpy(out->mac, nl_addr_get_binary_addr(addr), 6);
	nl_vf_vlans_t *vl = NULL;
	if (!rtnl_link_vf_get_vlans(vf, &vl) && vl) {
		if (vl->size > 0) {
			out->vlan = vl->vlans[0].vf_vlan;
			out->qos = vl->vlans[0].vf_vlan_qos;
		}
		rtnl_link_vf_vlan_put(vl); /* get_vlans took a reference */
	}
	uint32_t v;
	out->spoofchk = rtnl_link_vf_get_spoofchk(vf, &v) || v > 1 ? -1 : (int)v;
	out->trust = rtnl_link_vf_get_trust(vf, &v) || v > 1 ? -1 : (int)v;
	out->link_state = rtnl_link_vf_get_linkstate(vf, &v) || v > IFLA_VF_LINK_STATE_DISABLE
				  ? -1 : (int)v;
	rc = 0;
out:
	if (vf)
		rtnl_link_vf_put(vf);
	if (link)
		rtnl_link_put(link);
	return rc;
}

/* ---- values ---- */

static const char *const field_names[] = { "mac", "vlan", "spoofchk", "trust", "link_state" };
static const char *const link_states[] = { "auto", "enable", "disable" };

int hostnet_vf_key(const char *key, uint32_t *vf, enum hostnet_vf_field *f)
{
	const char *dot = key && !strncmp(key, "vf", 2) ? strchr(key, '.') : NULL;
	uint64_t n;
	if (!dot || dot == key + 2 || (dot - key > 3 && key[2] == '0') ||
	    parse_u64_n(key + 2, (size_t)(dot - key - 2), &n) || n > 65535)
		return -EINVAL;
	for (int i = 0; i < VFF_NONE; i++)
		if (!strcmp(dot + 1, field_names[i])) {
			*vf = (uint32_t)n;
			*f = (enum hostnet_vf_field)i;
			return 0;
		}
	return -EINVAL;
}

int hostnet_vf_format(const struct hostnet_vf *v, enum hostnet_vf_field f, char *buf, size_t n)
{
	int len;
	switch (f) {
	case VFF_MAC:
		len = snprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0], v->mac[1],
			       v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
		break;
	case VFF_VLAN:
		len = v->qos ? snprintf(buf, n, "%u:%u", v->vlan, v->qos) : snprintf(buf, n, "%u", v->vlan);
		break;
	case VFF_SPOOFCHK:
	case VFF_TRUST: {
		int s = f == VFF_SPOOFCHK ? v->spoofchk : v->trust;
		if (s < 0)
			return -EOPNOTSUPP;
		len = snprintf(buf, n, "%s", s ? "on" : "off");
		break;
	}
	case VFF_LINK_STATE:
		if (v->link_state < 0 || v->link_state > 2)
			return -EOPNOTSUPP;
		len = snprintf(buf, n, "%s", link_states[v->link_state]);
		break;
	default:
		return -EINVAL;
	}
	return len < 0 || (size_t)len >= n ? -EOVERFLOW : 0;
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned b[6];
	char end;
	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
			 &end) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)b[i];
	if (mac[0] & 1) /* multicast: no VF can have it */
		return -EINVAL;
	return 0;
}

static int parse_vlan(const char *s, uint32_t *vlan, uint32_t *qos)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	uint64_t v, q = 0;
	if (!s || (colon ? parse_u64_n(s, (size_t)(colon - s), &v) : parse_u64(s, &v)) || v > 4094 ||
	    (colon && (parse_u64(colon + 1, &q) || q > 7)) || (v == 0 && q))
		return -EINVAL;
	*vlan = (uint32_t)v;
	*qos = (uint32_t)q;
	return 0;
}

static int parse_word(const char *s, const char *const *words, int nw)
{
	for (int i = 0; s && i < nw; i++)
		if (!strcasecmp(s, words[i]))
			return i;
	return -EINVAL;
}

static int parse_onoff(const char *s)
{
	static const char *const w[] = { "off", "on" };
	return parse_word(s, w, 2);
}

/* ---- writing ---- */

int hostnet_vf_send(const char *root, const char *pf, int ifindex, uint32_t vf,
		    enum hostnet_vf_field f, const char *value)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		unsigned char attrs[64];
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof req.i), .nlmsg_type = RTM_NEWLINK },
		.i = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
	};
	int w;
	union {
		struct ifla_vf_mac mac;
		struct ifla_vf_vlan vlan;
		struct ifla_vf_spoofchk spoofchk;
		struct ifla_vf_trust trust;
		struct ifla_vf_link_state link_state;
	} u;
	int attr;
	size_t len;

	if (!ifname_ok(pf) || ifindex <= 0)
		return -EINVAL;
	memset(&u, 0, sizeof u);
	switch (f) {
	case VFF_MAC:
		if (parse_mac(value, u.mac.mac))
			return -EINVAL;
		u.mac.vf = vf, attr = IFLA_VF_MAC, len = sizeof u.mac;
		break;
	case VFF_VLAN:
		if (parse_vlan(value, &u.vlan.vlan, &u.vlan.qos))
			return -EINVAL;
		u.vlan.vf = vf, attr = IFLA_VF_VLAN, len = sizeof u.vlan;
		break;
	case VFF_SPOOFCHK:
		if ((w = parse_onoff(value)) < 0)
			return -EINVAL;
		u.spoofchk.vf = vf, u.spoofchk.setting = (uint32_t)w;
		attr = IFLA_VF_SPOOFCHK, len = sizeof u.spoofchk;
		break;
	case VFF_TRUST:
		if ((w = parse_onoff(value)) < 0)
			return -EINVAL;
		u.trust.vf = vf, u.trust.setting = (uint32_t)w;
		attr = IFLA_VF_TRUST, len = sizeof u.trust;
		break;
	case VFF_LINK_STATE:
		if ((w = parse_word(value, link_states, 3)) < 0)
			return -EINVAL;
		u.link_state.vf = vf, u.link_state.link_state = (uint32_t)w;
		attr = IFLA_VF_LINK_STATE, len = sizeof u.link_state;
		break;
	default:
		return -EINVAL;
	}
	struct nlattr *list, *info;
	if (!(list = netlink_nest(&req.h, sizeof req, IFLA_VFINFO_LIST)) ||
	    !(info = netlink_nest(&req.h, sizeof req, IFLA_VF_INFO)) ||
	    netlink_put(&req.h, sizeof req, (uint16_t)attr, &u, len))
		return -EINVAL;
	netlink_nest_end(&req.h, info);
	netlink_nest_end(&req.h, list);
	/* the answer is the ACK or the error */
	return exchange(root, "setlink", pf, &req.h, NULL, NULL);
}

/* ---- the "sriov-vf" kind ---- */

static int check(void *ctx, const char *target, const char *key, const char *value, char *why,
		 size_t n)
{
	(void)ctx;
	uint32_t vf;
	enum hostnet_vf_field f;
	unsigned char mac[6];
	uint32_t a, b;
	if (!ifname_ok(target)) {
		snprintf(why, n, "target must be the PF's interface name");
		return -EINVAL;
	}
	if (hostnet_vf_key(key, &vf, &f)) {
		snprintf(why, n, "key must be vf<N>.mac|vlan|spoofchk|trust|link_state");
		return -EINVAL;
	}
	int bad = f == VFF_MAC ? parse_mac(value, mac)
		  : f == VFF_VLAN ? parse_vlan(value, &a, &b)
		  : f == VFF_LINK_STATE ? parse_word(value, link_states, 3) < 0
		  : parse_onoff(value) < 0;
	if (bad) {
		static const char *const want[] = {
			"a unicast MAC aa:bb:cc:dd:ee:ff", "VLAN 0-4094, optionally :QoS 0-7",
			"on or off", "on or off", "auto, enable or disable",
		};
		snprintf(why, n, "%s: want %s, not '%s'", key, want[f], value ? value : "");
		return -EINVAL;
	}
	return 0;
}

static int rd(void *ctx, const char *root, const char *target, const char *key, char *buf,
	      size_t n)
{
	(void)ctx;
	uint32_t vf;
	enum hostnet_vf_field f;
	struct hostnet_vf v;
	if (!ifname_ok(target) || hostnet_vf_key(key, &vf, &f))
		return -EINVAL;
	int rc = hostnet_vf_get(root, target, vf, &v);
	return rc ? rc : hostnet_vf_format(&v, f, buf, n);
}

static int wr(void *ctx, const char *root, const char *target, const char *key, const char *value)
{
	char why[128];
	uint32_t vf;
	enum hostnet_vf_field f;
	struct hostnet_vf v;
	int rc = check(ctx, target, key, value, why, sizeof why);
	if (rc || (rc = hostnet_vf_key(key, &vf, &f)) || (rc = hostnet_vf_get(root, target, vf, &v)))
		return rc;
	rc = hostnet_vf_send(root, target, v.ifindex, vf, f, value);
	if (!rc)
		log_info("sriov-vf: %s %s := %s", target, key, value);
	return rc;
}

static int equal(const char *key, const char *a, const char *b)
{
	uint32_t vf, va, qa, vb, qb;
	enum hostnet_vf_field f;
	if (!a || !b)
		return a == b;
	if (hostnet_vf_key(key, &vf, &f))
		return !strcmp(a, b);
	if (f == VFF_VLAN && !parse_vlan(a, &va, &qa) && !parse_vlan(b, &vb, &qb))
		return va == vb && qa == qb;
	return !strcasecmp(a, b);
}

const struct knob_ops hostnet_vf_ops = {
	.kind = "sriov-vf",
	.read = rd,
	.write = wr,
	.check = check,
	.equal = equal,
};
