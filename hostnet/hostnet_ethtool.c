/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostnet_ethtool: offloads (tso, gso, gro, sg) through the ethtool generic
 * netlink family (lib/ethnl over lib/netlink), with the SIOCETHTOOL ioctl as
 * fallback when the family is absent, replay of recorded answers, and the
 * "offload" knob. */
#include "ethnl.h"
#include "hostnet.h"
#include "log.h"
#include "netns.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

const char *const hostnet_offload_keys[HOSTNET_OFF_NKEYS] = { "tso", "gso", "gro", "sg", "txcsum" };

/* The kernel features behind each key; the first of a key is its primary:
 * the key reads "on" when the primary is active, and is fixed when the
 * primary is. A key may have alternative primaries instead (primary 2: tx
 * checksumming is ip-generic on a tap, ipv4 + ipv6 on a Xen vif): it reads
 * "on" when any is active and is fixed only when all are. A write changes
 * every member that is not fixed. */
static const struct {
	unsigned key; /* HOSTNET_OFF_* */
	int primary;
	const char *name;
} feats[] = {
	{ HOSTNET_OFF_TSO, 1, "tx-tcp-segmentation" },
	{ HOSTNET_OFF_TSO, 0, "tx-tcp-ecn-segmentation" },
	{ HOSTNET_OFF_TSO, 0, "tx-tcp-mangleid-segmentation" },
	{ HOSTNET_OFF_TSO, 0, "tx-tcp6-segmentation" },
	{ HOSTNET_OFF_TSO, 0, "tx-tcp-accecn-segmentation" }, /* Linux 6.18+ */
	{ HOSTNET_OFF_GSO, 1, "tx-generic-segmentation" },
	{ HOSTNET_OFF_GRO, 1, "rx-gro" },
	{ HOSTNET_OFF_SG, 1, "tx-scatter-gather" },
	{ HOSTNET_OFF_TXCSUM, 2, "tx-checksum-ip-generic" },
	{ HOSTNET_OFF_TXCSUM, 2, "tx-checksum-ipv4" },
	{ HOSTNET_OFF_TXCSUM, 2, "tx-checksum-ipv6" },
	{ HOSTNET_OFF_TXCSUM, 0, "tx-checksum-sctp" },
};
#define NFEATS (sizeof feats / sizeof feats[0])

/* Feature state as bit masks over feats[] (bit i = feats[i]). */
struct fsnap {
	int get;	   /* from a GET answer (else a SET answer) */
	unsigned seen;	   /* named in the answer */
	unsigned hw, wanted, active, nochange;
	unsigned wdiff;	   /* SET: wanted but not active after the change */
	unsigned adiff;	   /* SET: active state changed */
};

static int force_ioctl;
static const char *record_dir;
static __thread char reason[256];

void hostnet_set_reason(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
}

const char *hostnet_last_reason(void)
{
	return reason;
}

void hostnet_ethtool_force_ioctl(int on)
{
	force_ioctl = on;
}

void hostnet_ethtool_set_record_dir(const char *dir)
{
	record_dir = dir;
}

static int use_ioctl(void)
{
	const char *e = getenv("VTUNE_ETHTOOL_IOCTL");
	return force_ioctl || (e && !strcmp(e, "1"));
}

static int feat_index(const char *name)
{
	for (size_t i = 0; i < NFEATS; i++)
		if (!strcmp(feats[i].name, name))
			return (int)i;
	return -1;
}

/* Key mask from an entry mask: primary entries only, or any member. */
static unsigned keys_of(unsigned entries, int any)
{
	unsigned k = 0;
	for (size_t i = 0; i < NFEATS; i++)
		if ((entries & (1u << i)) && (any || feats[i].primary))
			k |= feats[i].key;
	return k;
}

static unsigned fixed_entries(const struct fsnap *s)
{
	return (s->seen & ~s->hw) | s->nochange;
}

/* Keys the device cannot change: a primary fixed or not named, or every
 * alternative primary so. */
static unsigned fixed_keys(const struct fsnap *s)
{
	unsigned fx = fixed_entries(s) | ~s->seen, fixed = 0, alt = 0, alt_free = 0;
	for (size_t i = 0; i < NFEATS; i++) {
		if (feats[i].primary == 1 && (fx & (1u << i)))
			fixed |= feats[i].key;
		if (feats[i].primary == 2) {
			alt |= feats[i].key;
			if (!(fx & (1u << i)))
				alt_free |= feats[i].key;
		}
	}
	return fixed | (alt & ~alt_free);
}

unsigned hostnet_offload_bit(const char *key)
{
	if (!key)
		return 0;
	for (int i = 0; i < HOSTNET_OFF_NKEYS; i++)
		if (!strcmp(key, hostnet_offload_keys[i]))
			return 1u << i;
	return 0;
}

static const char *key_name(unsigned bit)
{
	for (int i = 0; i < HOSTNET_OFF_NKEYS; i++)
		if (bit == 1u << i)
			return hostnet_offload_keys[i];
	return "?";
}

static int ifname_ok(const char *s, size_t len)
{
	if (!len || len >= IFNAMSIZ)
		return 0;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] == '@' ||
		    !isgraph((unsigned char)s[i]))
			return 0;
	return 1;
}

int hostnet_offload_target(const char *target, char *ifname, char *netns, size_t nsn)
{
	if (!target || !ifname || !netns || !nsn)
		return -EINVAL;
	const char *at = strchr(target, '@');
	size_t len = at ? (size_t)(at - target) : strlen(target);
	if (!ifname_ok(target, len))
		return -EINVAL;
	const char *ns = at ? at + 1 : "";
	if ((at && !*ns) || !netns_path_ok(ns) || strlen(ns) >= nsn)
		return -EINVAL;
	memcpy(ifname, target, len);
	ifname[len] = '\0';
	strcpy(netns, ns);
	return 0;
}

/* ---- parsing netlink answers ---- */

/* One verbose bitset into entry masks: *set gets the listed bits whose
 * value is 1, *listed every listed bit we know. */
static int parse_bitset(struct nlattr *bs, unsigned *set, unsigned *listed)
{
	struct nlattr *tb[ETHTOOL_A_BITSET_MAX + 1], *bit;
	int rem, r;

	*set = *listed = 0;
	r = nla_parse_nested(tb, ETHTOOL_A_BITSET_MAX, bs, NULL);
	if (r < 0)
		return -EINVAL;
	if (tb[ETHTOOL_A_BITSET_VALUE] && !tb[ETHTOOL_A_BITSET_BITS])
		return -EPROTO; /* compact: indices only, no names */
	if (!tb[ETHTOOL_A_BITSET_BITS])
		return 0; /* an empty verbose set */
	int nomask = tb[ETHTOOL_A_BITSET_NOMASK] != NULL;
	nla_for_each_nested(bit, tb[ETHTOOL_A_BITSET_BITS], rem) {
		struct nlattr *bt[ETHTOOL_A_BITSET_BIT_MAX + 1];
		if (nla_type(bit) != ETHTOOL_A_BITSET_BITS_BIT)
			continue;
		if (nla_parse_nested(bt, ETHTOOL_A_BITSET_BIT_MAX, bit, NULL) < 0)
			return -EINVAL;
		struct nlattr *na = bt[ETHTOOL_A_BITSET_BIT_NAME];
		if (!na || nla_len(na) < 1 || ((char *)nla_data(na))[nla_len(na) - 1])
			return -EINVAL;
		int i = feat_index(nla_data(na));
		if (i < 0)
			continue;
		*listed |= 1u << i;
		if (nomask || bt[ETHTOOL_A_BITSET_BIT_VALUE])
			*set |= 1u << i;
	}
	return 0;
}

/* Each FEATURES_GET_REPLY / FEATURES_SET_REPLY of an answer into *s. */
struct fparse {
	struct fsnap *s;
	int have;
};

static int on_features(const struct nlmsghdr *h, void *arg)
{
	struct fparse *p = arg;
	struct fsnap *s = p->s;
	if (h->nlmsg_type < NLMSG_MIN_TYPE || h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EINVAL;
	const struct genlmsghdr *g = NLMSG_DATA(h);
	struct nlattr *tb[ETHTOOL_A_FEATURES_MAX + 1];
	if (g->cmd != ETHTOOL_MSG_FEATURES_GET_REPLY && g->cmd != ETHTOOL_MSG_FEATURES_SET_REPLY)
		return 0;
	int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	struct nlattr *a = (struct nlattr *)((char *)g + GENL_HDRLEN);
	if (nla_parse(tb, ETHTOOL_A_FEATURES_MAX, a, alen, NULL) < 0)
		return -EINVAL;
	unsigned set, listed;
	int r;
	s->get = g->cmd == ETHTOOL_MSG_FEATURES_GET_REPLY;
	if (s->get) {
		if (!tb[ETHTOOL_A_FEATURES_HW] || !tb[ETHTOOL_A_FEATURES_ACTIVE] ||
		    !tb[ETHTOOL_A_FEATURES_WANTED])
			return -EINVAL;
		if ((r = parse_bitset(tb[ETHTOOL_A_FEATURES_HW], &s->hw, &listed)) ||
		    (r = parse_bitset(tb[ETHTOOL_A_FEATURES_WANTED], &s->wanted, &listed)) ||
		    (r = parse_bitset(tb[ETHTOOL_A_FEATURES_ACTIVE], &s->active, &listed)))
			return r;
		if (tb[ETHTOOL_A_FEATURES_NOCHANGE] &&
		    (r = parse_bitset(tb[ETHTOOL_A_FEATURES_NOCHANGE], &s->nochange, &listed)))
			return r;
		/* Every feature exists in the kernel's name table; a named
		 * one not in HW is fixed. */
		s->seen = (1u << NFEATS) - 1;
	} else {
		if (tb[ETHTOOL_A_FEATURES_WANTED] &&
		    (r = parse_bitset(tb[ETHTOOL_A_FEATURES_WANTED], &set, &s->wdiff)))
			return r;
		if (tb[ETHTOOL_A_FEATURES_ACTIVE] &&
		    (r = parse_bitset(tb[ETHTOOL_A_FEATURES_ACTIVE], &s->active, &s->adiff)))
			return r;
		s->seen = s->adiff;
	}
	p->have = 1;
	return 0;
}

/* A whole answer in a buffer (replay tests, fuzzing). */
static int parse_answer(const void *buf, size_t len, struct fsnap *s)
{
	struct fparse p = { s, 0 };
	memset(s, 0, sizeof *s);
	int r = netlink_parse(buf, len, on_features, &p, NULL, 0, NULL);
	return r ? r : p.have ? 0 : -EINVAL;
}

int hostnet_ethtool_parse(const void *buf, size_t len, unsigned *on, unsigned *fixed,
			  unsigned *changed, unsigned *missed)
{
	struct fsnap s;
	int r = parse_answer(buf, len, &s);
	if (r)
		return r;
	if (on)
		*on = s.get ? keys_of(s.active, 0) : 0;
	if (fixed)
		*fixed = s.get ? fixed_keys(&s) : 0;
	if (changed)
		*changed = keys_of(s.adiff, 1);
	if (missed)
		*missed = keys_of(s.wdiff, 0);
	return 0;
}

/* ---- netlink, live or replayed ---- */

/* One FEATURES_GET (get) or FEATURES_SET of the entries to values, its
 * answer (ethtool/WHAT-IFNAME.bin when replayed or recorded) into *s. */
static int nl_talk(struct netlink *nl, const char *what, const char *ifname, int get,
		   unsigned entries, unsigned values, struct fsnap *s)
{
	struct ethnl_req req;
	struct fparse p = { s, 0 };
	struct nlattr *n1, *n2, *n3;
	uint16_t sz = sizeof req;

	memset(s, 0, sizeof *s);
	/* Verbose bitsets (no ETHTOOL_FLAG_COMPACT_BITSETS) and a reply
	 * (no ETHTOOL_FLAG_OMIT_REPLY). */
	if (ethnl_req(&req, nl, get ? ETHTOOL_MSG_FEATURES_GET : ETHTOOL_MSG_FEATURES_SET,
		      ETHTOOL_A_FEATURES_HEADER, ifname))
		return -EMSGSIZE;
	if (!get) {
		/* WANTED without NOMASK: only the listed bits change. */
		if (!(n1 = netlink_nest(&req.h, sz, ETHTOOL_A_FEATURES_WANTED | NLA_F_NESTED)) ||
		    !(n2 = netlink_nest(&req.h, sz, ETHTOOL_A_BITSET_BITS | NLA_F_NESTED)))
			return -EMSGSIZE;
		for (size_t i = 0; i < NFEATS; i++) {
			if (!(entries & (1u << i)))
				continue;
			if (!(n3 = netlink_nest(&req.h, sz, ETHTOOL_A_BITSET_BITS_BIT | NLA_F_NESTED)) ||
			    netlink_put_str(&req.h, sz, ETHTOOL_A_BITSET_BIT_NAME, feats[i].name) ||
			    ((values & (1u << i)) &&
			     netlink_put(&req.h, sz, ETHTOOL_A_BITSET_BIT_VALUE, NULL, 0)))
				return -EMSGSIZE;
			netlink_nest_end(&req.h, n3);
		}
		netlink_nest_end(&req.h, n2);
		netlink_nest_end(&req.h, n1);
	}
	int r = ethnl_talk(nl, what, ifname, &req, on_features, &p);
	return r ? r : p.have ? 0 : -EINVAL;
}

/* ---- the ioctl fallback ---- */

struct ioctx {
	int fd;
	const char *ifname;
	unsigned n;	  /* feature strings */
	int idx[NFEATS];  /* kernel bit of feats[i], -1 when unknown */
	unsigned blocks;
};

static int eioctl(struct ioctx *c, void *data)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", c->ifname);
	ifr.ifr_data = data;
	return ioctl(c->fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

static int io_open(struct ioctx *c, const char *ifname)
{
	struct {
		struct ethtool_sset_info hdr;
		uint32_t buf[1];
	} ss;
	struct ethtool_gstrings *gs = NULL;
	int r;

	memset(c, 0, sizeof *c);
	c->ifname = ifname;
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	memset(&ss, 0, sizeof ss);
	ss.hdr.cmd = ETHTOOL_GSSET_INFO;
	ss.hdr.sset_mask = 1ull << ETH_SS_FEATURES;
	if ((r = eioctl(c, &ss)))
		goto fail;
	if (!(ss.hdr.sset_mask & (1ull << ETH_SS_FEATURES)) || !ss.hdr.data[0] ||
	    ss.hdr.data[0] > 4096) {
		r = -EOPNOTSUPP;
		goto fail;
	}
	c->n = ss.hdr.data[0];
	c->blocks = (c->n + 31) / 32;
	gs = calloc(1, sizeof *gs + (size_t)c->n * ETH_GSTRING_LEN);
	if (!gs) {
		r = -ENOMEM;
		goto fail;
	}
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = c->n;
	if ((r = eioctl(c, gs)))
		goto fail;
	for (size_t i = 0; i < NFEATS; i++) {
		c->idx[i] = -1;
		for (unsigned k = 0; k < gs->len && k < c->n; k++) {
			const char *s = (const char *)gs->data + (size_t)k * ETH_GSTRING_LEN;
			if (!strncmp(s, feats[i].name, ETH_GSTRING_LEN)) {
				c->idx[i] = (int)k;
				break;
			}
		}
	}
	free(gs);
	return 0;
fail:
	free(gs);
	close(c->fd);
	c->fd = -1;
	return r;
}

static int io_get(struct ioctx *c, struct fsnap *s)
{
	struct ethtool_gfeatures *g = calloc(1, sizeof *g + c->blocks * sizeof g->features[0]);
	int r;
	if (!g)
		return -ENOMEM;
	g->cmd = ETHTOOL_GFEATURES;
	g->size = c->blocks;
	if ((r = eioctl(c, g)))
		goto out;
	memset(s, 0, sizeof *s);
	s->get = 1;
	for (size_t i = 0; i < NFEATS; i++) {
		int k = c->idx[i];
		if (k < 0)
			continue;
		const struct ethtool_get_features_block *b = &g->features[k / 32];
		uint32_t m = 1u << (k % 32);
		s->seen |= 1u << i;
		if (b->available & m)
			s->hw |= 1u << i;
		if (b->requested & m)
			s->wanted |= 1u << i;
		if (b->active & m)
			s->active |= 1u << i;
		if (b->never_changed & m)
			s->nochange |= 1u << i;
	}
out:
	free(g);
	return r;
}

static int io_set(struct ioctx *c, unsigned entries, unsigned values)
{
	struct ethtool_sfeatures *sf = calloc(1, sizeof *sf + c->blocks * sizeof sf->features[0]);
	if (!sf)
		return -ENOMEM;
	sf->cmd = ETHTOOL_SFEATURES;
	sf->size = c->blocks;
	for (size_t i = 0; i < NFEATS; i++) {
		int k = c->idx[i];
		if (!(entries & (1u << i)) || k < 0)
			continue;
		sf->features[k / 32].valid |= 1u << (k % 32);
		if (values & (1u << i))
			sf->features[k / 32].requested |= 1u << (k % 32);
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", c->ifname);
	ifr.ifr_data = (void *)sf;
	int r = ioctl(c->fd, SIOCETHTOOL, &ifr); /* > 0: ETHTOOL_F_* flags */
	r = r < 0 ? -errno : 0;
	free(sf);
	return r;
}

/* ---- one operation, run inside the target namespace ---- */

struct eop {
	const char *root; /* NULL: live */
	const char *ifname;
	int set;
	unsigned keys;	  /* set: HOSTNET_OFF_* to change */
	int on;
	int undo_on_miss; /* knob write: put wanted back if the key missed */
	/* out */
	struct fsnap before;
	unsigned changed, missed; /* keys */
	int via_ioctl;
};

/* Which feats[] entries a change of keys touches (fixed members skipped),
 * or -EOPNOTSUPP when a key's primary is fixed. */
static int entries_for(struct eop *op, unsigned *entries)
{
	unsigned fixed = fixed_entries(&op->before), e = 0, alt_ok = 0, alt_any = 0;
	for (size_t i = 0; i < NFEATS; i++)
		if (feats[i].primary == 2 && (op->keys & feats[i].key)) {
			alt_any |= feats[i].key;
			if (!(fixed & (1u << i)) && (op->before.seen & (1u << i)))
				alt_ok |= feats[i].key;
		}
	if (alt_any & ~alt_ok) {
		hostnet_set_reason("%s: %s is fixed on this device", op->ifname, key_name(alt_any & ~alt_ok));
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < NFEATS; i++) {
		if (!(op->keys & feats[i].key))
			continue;
		if (feats[i].primary == 1 && (fixed & (1u << i) || !(op->before.seen & (1u << i)))) {
			hostnet_set_reason("%s: %s is fixed on this device (%s)", op->ifname,
					   key_name(feats[i].key), feats[i].name);
			return -EOPNOTSUPP;
		}
		if ((op->before.seen & (1u << i)) && !(fixed & (1u << i)))
			e |= 1u << i;
	}
	*entries = e;
	return 0;
}

static int eop_ioctl(struct eop *op)
{
	struct ioctx c;
	struct fsnap after;
	unsigned entries;
	int r = io_open(&c, op->ifname);
	if (r)
		return r;
	op->via_ioctl = 1;
	if ((r = io_get(&c, &op->before)) || !op->set)
		goto out;
	if ((r = entries_for(op, &entries)))
		goto out;
	if ((r = io_set(&c, entries, op->on ? entries : 0)) ||
	    (r = io_get(&c, &after)))
		goto out;
	op->changed = keys_of(op->before.active ^ after.active, 1);
	op->missed = keys_of((op->on ? ~after.active : after.active) & entries, 0) & op->keys;
	if ((op->missed & op->keys) && op->undo_on_miss)
		(void)io_set(&c, entries, op->before.wanted);
out:
	close(c.fd);
	return r;
}

static int eop_run(void *arg)
{
	struct eop *op = arg;
	struct netlink nl = NETLINK_INIT;
	struct fsnap after;
	unsigned entries;
	int r;

	if (!op->root && use_ioctl())
		return eop_ioctl(op);
	r = ethnl_open(&nl, op->root, record_dir);
	if (r == -ENOENT) {
		log_debug("ethtool: no \"ethtool\" genetlink family, using SIOCETHTOOL");
		return eop_ioctl(op);
	}
	if (!r)
		r = nl_talk(&nl, "features", op->ifname, 1, 0, 0, &op->before);
	if (r) {
		if (nl.ext[0])
			hostnet_set_reason("%s: %s", op->ifname, nl.ext);
		goto out;
	}
	if (!op->before.get) {
		r = -EINVAL;
		goto out;
	}
	if (!op->set)
		goto out;
	if ((r = entries_for(op, &entries)))
		goto out;
	r = nl_talk(&nl, "set", op->ifname, 0, entries, op->on ? entries : 0, &after);
	if (r) {
		hostnet_set_reason("%s: setting %s %s: %s", op->ifname,
				   op->on ? "on" : "off", nl.ext, strerror(-r));
		goto out;
	}
	op->changed = keys_of(after.adiff, 1);
	op->missed = keys_of(after.wdiff & entries, 0) & op->keys;
	if (op->missed && op->undo_on_miss && !op->root) {
		unsigned back = entries & (op->before.wanted ^ (op->on ? entries : 0));
		if (back)
			(void)nl_talk(&nl, "undo", op->ifname, 0, back, op->before.wanted, &after);
	}
out:
	netlink_close(&nl);
	return r;
}

static int is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

static int eop_do(const char *root, const char *ifname, const char *netns, struct eop *op)
{
	if (!ifname || !ifname_ok(ifname, strlen(ifname)) || !netns_path_ok(netns)) {
		hostnet_set_reason("offload: bad interface \"%s\" or netns \"%s\"",
				   ifname ? ifname : "", netns ? netns : "");
		return -EINVAL;
	}
	op->ifname = ifname;
	op->root = is_live(root) ? NULL : root;
	reason[0] = '\0';
	int r = op->root ? eop_run(op) : netns_run(netns, eop_run, op);
	if (r && !reason[0])
		hostnet_set_reason("%s%s%s: offloads: %s", ifname, netns && *netns ? "@" : "",
				   netns ? netns : "", strerror(-r));
	return r;
}

int hostnet_offload_get_at(const char *root, const char *ifname, const char *netns,
			   unsigned *on_mask, unsigned *fixed_mask)
{
	struct eop op = { 0 };
	int r = eop_do(root, ifname, netns, &op);
	if (r)
		return r;
	if (on_mask)
		*on_mask = keys_of(op.before.active, 0);
	if (fixed_mask)
		*fixed_mask = fixed_keys(&op.before) & HOSTNET_OFF_ALL;
	return 0;
}

int hostnet_offload_get(const char *ifname, const char *netns,
			unsigned *on_mask, unsigned *fixed_mask)
{
	return hostnet_offload_get_at("/", ifname, netns, on_mask, fixed_mask);
}

static int set_offloads(const char *root, const char *ifname, const char *netns,
			unsigned mask, int on, int undo, unsigned *changed, unsigned *missed)
{
	struct eop op = { .set = 1, .keys = mask & HOSTNET_OFF_ALL, .on = !!on,
			  .undo_on_miss = undo };
	if (!op.keys || (mask & ~HOSTNET_OFF_ALL))
		return -EINVAL;
	int r = eop_do(root, ifname, netns, &op);
	if (r)
		return r;
	if (changed)
		*changed = op.changed;
	if (missed)
		*missed = op.missed;
	char what[32] = "";
	for (int i = 0; i < HOSTNET_OFF_NKEYS; i++)
		if (op.changed & (1u << i))
			snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s",
				 what[0] ? "," : "", hostnet_offload_keys[i]);
	log_info("offloads %s%s%s: mask 0x%x -> %s requested; the kernel changed: %s (%s)",
		 ifname, netns && *netns ? "@" : "", netns ? netns : "", mask, on ? "on" : "off",
		 what[0] ? what : "nothing",
		 op.via_ioctl ? "ioctl" : is_live(root) ? "netlink" : "replay");
	return 0;
}

int hostnet_set_offloads_at(const char *root, const char *ifname, const char *netns,
			    unsigned mask, int on, unsigned *changed, unsigned *missed)
{
	return set_offloads(root, ifname, netns, mask, on, 0, changed, missed);
}

int hostnet_set_offloads(const char *ifname, const char *netns, unsigned mask,
			 int on, unsigned *changed, unsigned *missed)
{
	return set_offloads("/", ifname, netns, mask, on, 0, changed, missed);
}

/* ---- the "offload" knob kind ---- */

static int value_on(const char *value)
{
	if (!value)
		return -1;
	if (!strcmp(value, "on"))
		return 1;
	if (!strcmp(value, "off"))
		return 0;
	return -1;
}

static int off_check(void *ctx, const char *target, const char *key, const char *value,
		     char *why, size_t n)
{
	(void)ctx;
	char ifname[IFNAMSIZ], ns[256];
	const char *msg = NULL;
	if (hostnet_offload_target(target, ifname, ns, sizeof ns))
		msg = "target must be IFNAME or IFNAME@/run/netns/NAME (or @/proc/PID/ns/net)";
	else if (!hostnet_offload_bit(key))
		msg = "key must be tso, gso, gro or sg";
	else if (value_on(value) < 0)
		msg = "value must be on or off";
	if (!msg)
		return 0;
	if (why && n)
		snprintf(why, n, "%s", msg);
	hostnet_set_reason("offload: %s", msg);
	return -EINVAL;
}

static int off_read(void *ctx, const char *root, const char *target, const char *key,
		    char *buf, size_t n)
{
	(void)ctx;
	char ifname[IFNAMSIZ], ns[256];
	unsigned bit = hostnet_offload_bit(key), on;
	if (!bit || hostnet_offload_target(target, ifname, ns, sizeof ns))
		return -EINVAL;
	int r = hostnet_offload_get_at(root, ifname, ns, &on, NULL);
	if (r)
		return r;
	if (n < 4)
		return -EOVERFLOW;
	strcpy(buf, on & bit ? "on" : "off");
	return 0;
}

static int off_write(void *ctx, const char *root, const char *target, const char *key,
		     const char *value)
{
	(void)ctx;
	char ifname[IFNAMSIZ], ns[256];
	unsigned missed = 0;
	int r = off_check(ctx, target, key, value, NULL, 0);
	if (r)
		return r;
	hostnet_offload_target(target, ifname, ns, sizeof ns);
	unsigned bit = hostnet_offload_bit(key);
	r = set_offloads(root, ifname, ns, bit, value_on(value), 1, NULL, &missed);
	if (r) {
		log_warn("offload %s %s %s: %s", target, key, value, hostnet_last_reason());
		return r;
	}
	if (missed & bit) {
		hostnet_set_reason("%s: the kernel kept %s %s (the device or another "
				   "feature does not allow %s)", target, key,
				   value_on(value) ? "off" : "on", value);
		log_warn("offload %s", hostnet_last_reason());
		return -EOPNOTSUPP;
	}
	return 0;
}

const struct knob_ops hostnet_offload_ops = {
	.kind = "offload",
	.read = off_read,
	.write = off_write,
	.check = off_check,
	.restore = NULL,
};

int hostnet_plan_offload(const char *iface, const char *netns, unsigned features,
			 const char *state, hostnet_change_fn fn, void *arg)
{
	char target[IFNAMSIZ + 256];
	int count = 0;
	if (!fn || !iface || !ifname_ok(iface, strlen(iface)) || !netns_path_ok(netns) ||
	    value_on(state) < 0 || !features || (features & ~HOSTNET_OFF_ALL))
		return -EINVAL;
	if (netns && *netns) {
		if ((size_t)snprintf(target, sizeof target, "%s@%s", iface, netns) >= sizeof target)
			return -EINVAL;
	} else {
		snprintf(target, sizeof target, "%s", iface);
	}
	/* off: tso first; on: the other way round, as tso needs sg and sg
	 * needs tx checksumming (the kernel turns the dependants off with them) */
	int on = value_on(state);
	for (int j = 0; j < HOSTNET_OFF_NKEYS; j++) {
		int i = on ? HOSTNET_OFF_NKEYS - 1 - j : j;
		if (!(features & (1u << i)))
			continue;
		int r = fn(arg, "offload", target, hostnet_offload_keys[i], state);
		if (r)
			return r;
		count++;
	}
	return count;
}
