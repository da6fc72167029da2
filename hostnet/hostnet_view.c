/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostnet_view: the host.* metrics of one guest's network path (bridge-nf,
 * offloads and counters of its tap, softnet drops, conntrack fill), and the
 * registration of the hostnet knob kinds. */
#include "gview.h"
#include "hostnet.h"
#include "hostnet_vf.h"
#include "kfs.h"
#include "log.h"
#include "netns.h"
#include "privops.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hostnet_register_knobs(void)
{
	const struct knob_ops *const kinds[] = { &hostnet_bridge_nf_ops, &hostnet_offload_ops,
						 &hostnet_bridge_br_ops, &hostnet_firewall_ops,
						 &hostnet_vf_ops };
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const struct knob *have = knob_find_real(kinds[i]->kind);
		if (have && have->ops == kinds[i])
			continue;
		if (have)
			return -EEXIST; /* another module took the name */
		int r = knob_register(kinds[i], NULL);
		if (r)
			return r;
	}
	return 0;
}

static int is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

/* What is read inside the guest's namespace in one setns. */
struct inns {
	const char *root; /* "/" when live (inside the netns), else the fixture */
	int live;
	const char *tap;
	int brnf_r, brnf;     /* 0 / -errno, and any key on */
	int brnf_present;     /* br_netfilter loaded */
	int ct_r;	      /* 0, -ENOENT (absent) or -errno */
	uint64_t ct_count, ct_max;
	int tap_r;
	uint64_t rx_packets, tx_packets, rx_dropped, tx_dropped, errors;
	int cts_r;	      /* conntrack statistics: 0 or -errno */
	struct gv_ctstat cts;
};

/* The tap's counters, one source for the live kernel and fixtures:
 * proc/net/dev of the namespace this runs in (gv_iface_read). */
static int tap_counters(struct inns *s)
{
	struct gv_iface f;
	int r = gv_iface_read(s->root, s->tap, &f);
	if (r)
		return r;
	s->rx_packets = f.rx_packets;
	s->tx_packets = f.tx_packets;
	s->rx_dropped = f.rx_dropped;
	s->tx_dropped = f.tx_dropped;
	s->errors = f.rx_errors + f.tx_errors;
	return 0;
}

static int read_inns(void *arg)
{
	struct inns *s = arg;
	char p[96], v[16];

	s->brnf_r = 0;
	s->brnf = 0;
	for (int i = 0; i < HOSTNET_BRNF_NKEYS; i++) {
		snprintf(p, sizeof p, "proc/sys/net/bridge/%s", hostnet_brnf_keys[i]);
		int r = kfs_read_str(s->root, p, v, sizeof v);
		if (r == -ENOENT && i == 0)
			break; /* br_netfilter not loaded: bridge-nf is off */
		s->brnf_present = 1;
		if (r) {
			s->brnf_r = r;
			break;
		}
		if (!strcmp(v, "1"))
			s->brnf = 1;
	}
	s->ct_r = kfs_read_u64(s->root, "proc/sys/net/netfilter/nf_conntrack_count", &s->ct_count);
	if (!s->ct_r)
		s->ct_r = kfs_read_u64(s->root, "proc/sys/net/netfilter/nf_conntrack_max", &s->ct_max);
	char *text = NULL, err[96];
	size_t len;
	s->cts_r = kfs_read_alloc(s->root, "proc/net/stat/nf_conntrack", &text, &len);
	if (!s->cts_r)
		s->cts_r = gv_parse_ctstat(text, &s->cts, err, sizeof err);
	free(text);
	s->tap_r = -ENODEV;
	if (s->tap && *s->tap)
		s->tap_r = tap_counters(s);
	return 0;
}

static double rate(uint64_t now, uint64_t then, double dt)
{
	return now >= then ? (double)(now - then) / dt : 0.0; /* a reset gives 0 */
}

static int softnet_dropped(const char *root, uint64_t *out)
{
	struct gv_reading *rd = calloc(1, sizeof *rd);
	char *text = NULL, err[128];
	size_t len;
	int r;
	if (!rd)
		return -ENOMEM;
	if (!(r = kfs_read_alloc(root, "proc/net/softnet_stat", &text, &len)) &&
	    !(r = gv_parse_softnet(text, rd, err, sizeof err))) {
		*out = 0;
		for (int i = 0; i < rd->nsoftnet; i++)
			*out += rd->softnet[i].dropped;
	}
	free(text);
	gv_reading_free(rd);
	free(rd);
	return r;
}

static int view_here(struct hostnet_state *st, const char *root, const char *tap,
		     const char *bridge, const char *netns, uint64_t now_ns, struct mvec *host);

int hostnet_view(struct hostnet_state *st, const char *root, const char *tap,
		 const char *bridge, const char *netns, uint64_t now_ns, struct mvec *host)
{
	/* privilege separation: the live reads (setns) are the parent's */
	if (privops_active() && is_live(root)) {
		if (!st || !host)
			return -EINVAL;
		return privops_view(st, sizeof *st, tap, bridge, netns, now_ns, host);
	}
	return view_here(st, root, tap, bridge, netns, now_ns, host);
}

_Static_assert(sizeof(struct hostnet_state) <= PRIVOPS_STATE_MAX, "hostnet_state too big");

int hostnet_view_privileged(const char *root, const char *tap, const char *bridge,
			    const char *netns, uint64_t now_ns, void *state, size_t len,
			    struct mvec *host)
{
	struct hostnet_state st;
	if (len != sizeof st)
		return -EINVAL;
	memcpy(&st, state, sizeof st);
	int r = view_here(&st, root, tap, bridge, netns, now_ns, host);
	memcpy(state, &st, sizeof st);
	return r;
}

static int view_here(struct hostnet_state *st, const char *root, const char *tap,
		     const char *bridge, const char *netns, uint64_t now_ns, struct mvec *host)
{
	struct inns s = { 0 };
	unsigned on = 0, fixed = 0;
	uint64_t sn = 0;
	int r;

	if (!st || !host || !netns_path_ok(netns) ||
	    (tap && *tap && (strlen(tap) >= IFNAMSIZ || strchr(tap, '/'))))
		return -EINVAL;
	s.live = is_live(root);
	s.root = s.live ? "/" : root;
	s.tap = tap;
	r = s.live ? netns_run(netns, read_inns, &s) : read_inns(&s);
	if (r) {
		log_debug("hostnet_view: cannot enter %s: %s", netns, strerror(-r));
		s.brnf_r = s.ct_r = s.tap_r = s.cts_r = r;
	}
	if (!s.brnf_r) {
		/* netfilter runs for the bridge when the namespace sysctl or its
		 * own nf_call_* option is on (an absent br_netfilter: neither) */
		struct hostnet_bridge b;
		int eff = s.brnf;
		if (s.brnf_present && bridge && *bridge && !hostnet_bridge_get(root, netns, bridge, &b))
			eff |= b.opt[0] | b.opt[1] | b.opt[2];
		mvec_set(host, M_HOST_BRIDGE_NF, eff);
	}
	if (!s.ct_r && s.ct_max)
		mvec_set(host, M_HOST_CONNTRACK_FILL, 100.0 * (double)s.ct_count / (double)s.ct_max);
	else if (s.ct_r == -ENOENT)
		mvec_set(host, M_HOST_CONNTRACK_FILL, 0); /* conntrack not loaded */

	if (tap && *tap && !hostnet_offload_get_at(root, tap, netns, &on, &fixed)) {
		int off = 0;
		for (int i = 0; i < HOSTNET_OFF_NKEYS; i++) /* off, and could be on */
			off += !(on & (1u << i)) && !(fixed & (1u << i));
		mvec_set(host, M_HOST_OFFLOADS_OFF, off);
	}

	int sn_r = softnet_dropped(s.root, &sn);
	double dt = st->have && now_ns > st->t_ns ? (double)(now_ns - st->t_ns) / 1e9 : 0;
	if (dt > 0 && !s.tap_r && st->have_tap) {
		mvec_set(host, M_HOST_TAP_RX_PACKETS, rate(s.rx_packets, st->rx_packets, dt));
		mvec_set(host, M_HOST_TAP_TX_PACKETS, rate(s.tx_packets, st->tx_packets, dt));
		mvec_set(host, M_HOST_TAP_RX_DROPS, rate(s.rx_dropped, st->rx_dropped, dt));
		mvec_set(host, M_HOST_TAP_TX_DROPS, rate(s.tx_dropped, st->tx_dropped, dt));
		mvec_set(host, M_HOST_TAP_ERRORS, rate(s.errors, st->tap_errors, dt));
	}
	uint64_t cs = 0;
	int cs_r = tap && *tap ? hostnet_csum_failures(root, tap, bridge, &cs) : -ENOENT;
	if (dt > 0 && !cs_r && st->have_csum)
		mvec_set(host, M_HOST_CSUM_FAILURES, rate(cs, st->csum_failures, dt));
	st->have_csum = !cs_r;
	st->csum_failures = cs;
	if (dt > 0 && !sn_r && st->have_softnet)
		mvec_set(host, M_HOST_SOFTNET_DROPPED, rate(sn, st->softnet_dropped, dt));
	if (dt > 0 && !s.cts_r && st->have_cts) {
		mvec_set(host, M_HOST_CONNTRACK_DROPS, rate(s.cts.drop, st->cts_drop, dt));
		mvec_set(host, M_HOST_CONNTRACK_EARLY_DROPS, rate(s.cts.early_drop, st->cts_early_drop, dt));
		mvec_set(host, M_HOST_CONNTRACK_INSERT_FAILED,
			 rate(s.cts.insert_failed, st->cts_insert_failed, dt));
	}
	st->have_cts = !s.cts_r;
	if (!s.cts_r) {
		st->cts_drop = s.cts.drop;
		st->cts_early_drop = s.cts.early_drop;
		st->cts_insert_failed = s.cts.insert_failed;
	}

	st->have = 1;
	st->t_ns = now_ns;
	st->have_tap = !s.tap_r;
	if (!s.tap_r) {
		st->rx_packets = s.rx_packets;
		st->tx_packets = s.tx_packets;
		st->rx_dropped = s.rx_dropped;
		st->tx_dropped = s.tx_dropped;
		st->tap_errors = s.errors;
	}
	st->have_softnet = !sn_r;
	if (!sn_r)
		st->softnet_dropped = sn;
	return 0;
}
