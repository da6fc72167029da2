/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostnet_bridge_br: bridge netfilter for one bridge — the per-bridge
 * option (IFLA_BR_NF_CALL_{IPTABLES,IP6TABLES,ARPTABLES}, sysfs
 * /sys/class/net/BR/bridge/nf_call_*) as the "bridge_nf_br" knob kind, the
 * bridges of a namespace, and the plan that exempts a bridge from bridge
 * netfilter (or ends its exemption) without touching the others.
 *
 * Linux runs netfilter for a bridged frame when the namespace's
 * net.bridge.bridge-nf-call-* sysctl OR the bridge's own nf_call_* option
 * is on (br_netfilter_hooks.c; measured on 6.18 and Debian's 6.1, see
 * docs/bridge-nf.md). So one bridge is exempted by turning the namespace
 * sysctl off AND the option on for every other bridge that was filtered. */
#include "hostnet.h"
#include "kfs.h"
#include "netlink.h"
#include "netns.h"

#include <ctype.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const hostnet_brbr_keys[HOSTNET_BRNF_NKEYS] = {
	"nf_call_iptables",
	"nf_call_ip6tables",
	"nf_call_arptables",
};

static const unsigned short br_attr[HOSTNET_BRNF_NKEYS] = {
	IFLA_BR_NF_CALL_IPTABLES,
	IFLA_BR_NF_CALL_IP6TABLES,
	IFLA_BR_NF_CALL_ARPTABLES,
};

static int is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

static int key_index(const char *key)
{
	for (int i = 0; key && i < HOSTNET_BRNF_NKEYS; i++)
		if (!strcmp(key, hostnet_brbr_keys[i]))
			return i;
	return -1;
}

/* ---- rtnetlink, inside the namespace ---- */

struct nlreq {
	struct nlmsghdr h;
	struct ifinfomsg i;
	char buf[256];
};

/* What a link dump or get gives us about bridges. */
struct brlist {
	struct hostnet_bridge *v;
	size_t n, max;
	const char *only; /* a get of one name */
};

static int parse_link(const struct nlmsghdr *h, void *arg)
{
	struct brlist *l = arg;
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return 0;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof *ifi);
	const char *name = NULL;
	int is_bridge = 0, opt[HOSTNET_BRNF_NKEYS] = { -1, -1, -1 };
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME)
			name = RTA_DATA(a);
		if (a->rta_type != IFLA_LINKINFO)
			continue;
		int l2 = (int)RTA_PAYLOAD(a);
		for (const struct rtattr *b = RTA_DATA(a); RTA_OK(b, l2); b = RTA_NEXT(b, l2)) {
			if (b->rta_type == IFLA_INFO_KIND)
				is_bridge = !strncmp(RTA_DATA(b), "bridge", RTA_PAYLOAD(b));
			if (b->rta_type != IFLA_INFO_DATA)
				continue;
			int l3 = (int)RTA_PAYLOAD(b);
			for (const struct rtattr *c = RTA_DATA(b); RTA_OK(c, l3); c = RTA_NEXT(c, l3))
				for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++)
					if (c->rta_type == br_attr[k] && RTA_PAYLOAD(c) >= 1)
						opt[k] = *(unsigned char *)RTA_DATA(c) ? 1 : 0;
		}
	}
	if (!is_bridge || !name || strnlen(name, IFNAMSIZ) >= IFNAMSIZ || l->n >= l->max)
		return 0;
	if (l->only && strcmp(l->only, name))
		return 0;
	struct hostnet_bridge *b = &l->v[l->n++];
	memset(b, 0, sizeof *b);
	snprintf(b->name, sizeof b->name, "%s", name);
	for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++)
		b->opt[k] = opt[k] < 0 ? 0 : opt[k];
	return 0;
}

/* One request in the namespace we are in, its answers parsed into l
 * (NULL: an ack is expected). */
static int nl_talk(struct nlmsghdr *req, struct brlist *l)
{
	struct netlink nl = NETLINK_INIT;
	int r = netlink_open(&nl, "/", NETLINK_ROUTE, NULL, NULL);
	if (!r)
		r = netlink_talk(&nl, NULL, req, l ? parse_link : NULL, l);
	netlink_close(&nl);
	return r;
}

static int list_live(struct brlist *l)
{
	struct nlreq q;
	memset(&q, 0, sizeof q);
	q.h.nlmsg_len = NLMSG_LENGTH(sizeof q.i);
	q.h.nlmsg_type = RTM_GETLINK;
	q.h.nlmsg_flags = NLM_F_DUMP;
	q.i.ifi_family = AF_UNSPEC;
	return nl_talk(&q.h, l);
}

static int set_live(const char *bridge, int k, int value)
{
	struct nlreq q;
	unsigned char v = value ? 1 : 0;
	unsigned idx = if_nametoindex(bridge);
	if (!idx)
		return errno == ENODEV || errno == ENXIO ? -ENODEV : -errno;
	memset(&q, 0, sizeof q);
	q.h.nlmsg_len = NLMSG_LENGTH(sizeof q.i);
	q.h.nlmsg_type = RTM_NEWLINK;
	q.i.ifi_family = AF_UNSPEC;
	q.i.ifi_index = (int)idx;
	struct nlattr *li = netlink_nest(&q.h, sizeof q, IFLA_LINKINFO);
	if (!li || netlink_put_str(&q.h, sizeof q, IFLA_INFO_KIND, "bridge"))
		return -EOVERFLOW;
	struct nlattr *data = netlink_nest(&q.h, sizeof q, IFLA_INFO_DATA);
	if (!data || netlink_put(&q.h, sizeof q, br_attr[k], &v, 1))
		return -EOVERFLOW;
	netlink_nest_end(&q.h, data);
	netlink_nest_end(&q.h, li);
	return nl_talk(&q.h, NULL);
}

/* ---- a fixture tree: sys/class/net/BR/bridge/nf_call_* ---- */

struct fxl {
	const char *root;
	struct brlist *l;
};

static int fx_one(const char *name, void *arg)
{
	struct fxl *x = arg;
	char p[128];
	snprintf(p, sizeof p, "sys/class/net/%s/bridge", name);
	if (strlen(name) >= IFNAMSIZ || !kfs_exists(x->root, p) || x->l->n >= x->l->max)
		return 0;
	if (x->l->only && strcmp(x->l->only, name))
		return 0;
	struct hostnet_bridge *b = &x->l->v[x->l->n++];
	memset(b, 0, sizeof *b);
	snprintf(b->name, sizeof b->name, "%s", name);
	for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++) {
		uint64_t v = 0;
		snprintf(p, sizeof p, "sys/class/net/%s/bridge/%s", name, hostnet_brbr_keys[k]);
		if (kfs_read_u64(x->root, p, &v) == 0)
			b->opt[k] = v != 0;
	}
	return 0;
}

/* ---- the namespace's bridges ---- */

struct lsx {
	const char *root;
	struct brlist l;
};

static int list_do(void *arg)
{
	struct lsx *x = arg;
	if (is_live(x->root))
		return list_live(&x->l);
	struct fxl f = { x->root, &x->l };
	int r = kfs_list(x->root, "sys/class/net", fx_one, &f);
	return r == -ENOENT ? 0 : r;
}

int hostnet_bridges(const char *root, const char *netns, struct hostnet_bridge *v,
		    size_t max, size_t *n)
{
	struct lsx x = { root, { v, 0, max, NULL } };
	if (!v || !n || !netns_path_ok(netns))
		return -EINVAL;
	int r = is_live(root) ? netns_run(netns, list_do, &x) : list_do(&x);
	*n = x.l.n;
	return r;
}

static int one_bridge(const char *root, const char *netns, const char *name,
		      struct hostnet_bridge *b)
{
	struct lsx x = { root, { b, 0, 1, name } };
	int r = is_live(root) ? netns_run(netns, list_do, &x) : list_do(&x);
	if (r)
		return r;
	return x.l.n ? 0 : -ENODEV;
}

/* ---- the "bridge_nf_br" knob kind ---- */

static int brbr_check(void *ctx, const char *target, const char *key, const char *value,
		      char *why, size_t n)
{
	(void)ctx;
	char ifname[IFNAMSIZ], ns[256];
	const char *msg = NULL;
	if (hostnet_offload_target(target, ifname, ns, sizeof ns))
		msg = "target must be BRIDGE or BRIDGE@/run/netns/NAME (or @/proc/PID/ns/net)";
	else if (key_index(key) < 0)
		msg = "key must be nf_call_iptables, nf_call_ip6tables or nf_call_arptables";
	else if (!value || (strcmp(value, "0") && strcmp(value, "1")))
		msg = "value must be 0 or 1";
	if (!msg)
		return 0;
	if (why && n)
		snprintf(why, n, "%s", msg);
	hostnet_set_reason("bridge_nf_br: %s", msg);
	return -EINVAL;
}

/* key "bridges", target "*" or "*@NETNS": every bridge of the namespace
 * with its options, "br0=110 br1=000" (digits in key order). */
static int list_text(const char *root, const char *ns, char *buf, size_t n)
{
	struct hostnet_bridge *v = calloc(HOSTNET_MAX_BRIDGES, sizeof *v);
	size_t cnt = 0, len = 0;
	if (!v)
		return -ENOMEM;
	int r = hostnet_bridges(root, ns, v, HOSTNET_MAX_BRIDGES, &cnt);
	buf[0] = '\0';
	for (size_t i = 0; !r && i < cnt; i++) {
		int w = snprintf(buf + len, n - len, "%s%s=%d%d%d", len ? " " : "", v[i].name,
				 v[i].opt[0], v[i].opt[1], v[i].opt[2]);
		if (w < 0 || (size_t)w >= n - len)
			r = -EOVERFLOW;
		else
			len += (size_t)w;
	}
	free(v);
	return r;
}

static int brbr_read(void *ctx, const char *root, const char *target, const char *key,
		     char *buf, size_t n)
{
	(void)ctx;
	char ifname[IFNAMSIZ], ns[256];
	struct hostnet_bridge b;
	int k = key_index(key);
	if (hostnet_offload_target(target, ifname, ns, sizeof ns))
		return -EINVAL;
	if (key && !strcmp(key, "bridges") && !strcmp(ifname, "*"))
		return list_text(root, ns, buf, n);
	if (k < 0)
		return -EINVAL;
	int r = one_bridge(root, ns, ifname, &b);
	if (r)
		return r;
	if (n < 2)
		return -EOVERFLOW;
	snprintf(buf, n, "%d", b.opt[k]);
	return 0;
}

struct setx {
	const char *root, *ifname;
	int k, value;
};

static int set_do(void *arg)
{
	struct setx *x = arg;
	if (is_live(x->root))
		return set_live(x->ifname, x->k, x->value);
	char p[128];
	snprintf(p, sizeof p, "sys/class/net/%s/bridge/%s", x->ifname, hostnet_brbr_keys[x->k]);
	return kfs_write_str(x->root, p, x->value ? "1" : "0");
}

static int brbr_write(void *ctx, const char *root, const char *target, const char *key,
		      const char *value)
{
	char ifname[IFNAMSIZ], ns[256];
	int r = brbr_check(ctx, target, key, value, NULL, 0);
	if (r)
		return r;
	hostnet_offload_target(target, ifname, ns, sizeof ns);
	struct setx x = { root, ifname, key_index(key), value[0] == '1' };
	r = is_live(root) ? netns_run(ns, set_do, &x) : set_do(&x);
	if (r)
		hostnet_set_reason("bridge_nf_br %s %s %s: %s", target, key, value, strerror(-r));
	return r;
}

const struct knob_ops hostnet_bridge_br_ops = {
	.kind = "bridge_nf_br",
	.read = brbr_read,
	.write = brbr_write,
	.check = brbr_check,
};

/* ---- effective state and the exemption plan ---- */

int hostnet_bridge_get(const char *root, const char *netns, const char *name,
		       struct hostnet_bridge *b)
{
	if (!name || !*name || !b || !netns_path_ok(netns))
		return -EINVAL;
	return one_bridge(root, netns, name, b);
}

/* Through the registered knob kinds (with privilege separation, the
 * privileged side reads them). */
int hostnet_brnf_ns_read(const char *root, const char *netns, struct hostnet_brnf_ns *s)
{
	const struct knob *sys = knob_find("bridge_nf"), *br = knob_find("bridge_nf_br");
	char buf[KNOB_VALUE_MAX], target[300];
	if (!s || !sys || !br || !netns_path_ok(netns))
		return -EINVAL;
	memset(s, 0, sizeof *s);
	for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++) {
		int r = knob_read(sys, root, netns ? netns : "", hostnet_brnf_keys[k], buf, sizeof buf);
		if (r == -ENOENT) {
			s->no_brnf = 1; /* br_netfilter not loaded: nothing is filtered */
			break;
		}
		if (r)
			return r;
		s->sys[k] = buf[0] == '1';
	}
	snprintf(target, sizeof target, "*%s%s", netns && *netns ? "@" : "", netns ? netns : "");
	int r = knob_read(br, root, target, "bridges", buf, sizeof buf);
	if (r)
		return r;
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && s->nbr < HOSTNET_MAX_BRIDGES;
	     t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		if (!eq || eq - t >= IFNAMSIZ || strlen(eq + 1) != 3)
			return -EINVAL;
		struct hostnet_bridge *b = &s->br[s->nbr++];
		memcpy(b->name, t, (size_t)(eq - t));
		b->name[eq - t] = '\0';
		for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++)
			b->opt[k] = eq[1 + k] == '1';
	}
	memcpy(s->sys_orig, s->sys, sizeof s->sys);
	for (size_t i = 0; i < s->nbr; i++)
		memcpy(s->br[i].orig, s->br[i].opt, sizeof s->br[i].opt);
	return 0;
}

static int eff(int sys, const int *opt)
{
	return sys || opt[0] || opt[1] || opt[2];
}

int hostnet_brnf_effective(const struct hostnet_brnf_ns *s, const char *bridge)
{
	if (s->no_brnf)
		return 0;
	for (size_t i = 0; bridge && *bridge && i < s->nbr; i++) {
		if (strcmp(s->br[i].name, bridge))
			continue;
		for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++)
			if (s->sys[k] || s->br[i].opt[k])
				return 1;
		return 0;
	}
	return s->sys[0] || s->sys[1] || s->sys[2];
}

/* Was bridge i filtered before vtune, and is it not now? */
static int exempted(const struct hostnet_brnf_ns *s, size_t i)
{
	int now = 0, before = 0;
	for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++) {
		now |= s->sys[k] | s->br[i].opt[k];
		before |= s->sys_orig[k] | s->br[i].orig[k];
	}
	return before && !now;
}

int hostnet_plan_bridge_exempt(const struct hostnet_brnf_ns *s, const char *netns,
			       const char *bridge, int exempt, hostnet_change_fn fn, void *arg)
{
	int ex[HOSTNET_MAX_BRIDGES], want_sys[HOSTNET_BRNF_NKEYS];
	int want[HOSTNET_MAX_BRIDGES][HOSTNET_BRNF_NKEYS];
	char target[IFNAMSIZ + 256];
	size_t me = s ? s->nbr : 0;
	int count = 0;
	if (!s || !fn || !bridge || !netns_path_ok(netns))
		return -EINVAL;
	if (s->no_brnf)
		return 0;
	for (size_t i = 0; i < s->nbr; i++) {
		ex[i] = exempted(s, i);
		if (!strcmp(s->br[i].name, bridge))
			me = i;
	}
	if (me == s->nbr)
		return -ENODEV;
	if (exempt && !eff(s->sys_orig[0], s->br[me].orig) && !eff(s->sys_orig[1], s->br[me].orig) &&
	    !eff(s->sys_orig[2], s->br[me].orig))
		return 0; /* never filtered: nothing to exempt */
	ex[me] = exempt;
	int any = 0;
	for (size_t i = 0; i < s->nbr; i++)
		any |= ex[i];
	for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++) {
		/* no exemption left: everything as it was before vtune */
		want_sys[k] = any ? 0 : s->sys_orig[k];
		for (size_t i = 0; i < s->nbr; i++) {
			if (!any)
				want[i][k] = s->br[i].orig[k];
			else if (ex[i])
				want[i][k] = 0;
			else if (s->sys_orig[k])
				want[i][k] = 1; /* filtered through the sysctl before: keep it */
			else
				want[i][k] = s->br[i].orig[k];
		}
	}
	/* every change that turns filtering on first, then those that turn it
	 * off (bridge options before the namespace sysctl): never a moment with
	 * a bridge unfiltered that should not be */
	for (int pass = 1; pass >= 0; pass--) {
		for (size_t i = 0; i < s->nbr; i++)
			for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++) {
				if (want[i][k] != pass || s->br[i].opt[k] == pass)
					continue;
				if (netns && *netns)
					snprintf(target, sizeof target, "%s@%s", s->br[i].name, netns);
				else
					snprintf(target, sizeof target, "%s", s->br[i].name);
				int r = fn(arg, "bridge_nf_br", target, hostnet_brbr_keys[k],
					   pass ? "1" : "0");
				if (r)
					return r;
				count++;
			}
		for (int k = 0; k < HOSTNET_BRNF_NKEYS; k++) {
			if (want_sys[k] != pass || s->sys[k] == pass)
				continue;
			int r = fn(arg, "bridge_nf", netns ? netns : "", hostnet_brnf_keys[k],
				   pass ? "1" : "0");
			if (r)
				return r;
			count++;
		}
	}
	return count;
}
