/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sriov_plan: the pure planner that gives a guest one VF: safety checks
 * first (migration, host traffic, IOMMU, VF in use), then the ordered knob
 * changes, or a refusal that changes nothing. */
#include "sriov_plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The chosen VF: an existing one, or VF idx of a PF that gets count VFs. */
struct pick {
	const struct sriov_pf *pf;
	const struct sriov_vf *vf; /* NULL: to be created */
	unsigned idx, create;	   /* create: sriov_numvfs to write, 0 = none */
	char addr[SRIOV_NAME_MAX];
};

static int refuse(char *why, size_t n, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(char *why, size_t n, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (why && n)
		vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return rc;
}

int sriov_conf_allows(const struct sriov_conf *c, const struct sriov_pf *pf)
{
	for (unsigned i = 0; i < c->npfs && i < SRIOV_CONF_MAX_PFS; i++) {
		const char *a = c->pfs[i];
		if (!a[0])
			continue;
		if (!strcasecmp(a, pf->addr) || (pf->netdev[0] && !strcmp(a, pf->netdev)))
			return 1;
	}
	return 0;
}

/* How much a free VF suits: 3 on the stub driver, 2 unbound, 1 another
 * driver (its interface is down: FREE), 0 not free. */
static int suits(const struct sriov_vf *vf, const char *stub)
{
	if (vf->state != SRIOV_VF_FREE)
		return 0;
	return !strcmp(vf->driver, stub) ? 3 : !vf->driver[0] ? 2 : 1;
}

static unsigned create_count(const struct sriov_conf *c, const struct sriov_pf *pf, unsigned idx)
{
	unsigned want = c->create_vfs ? c->create_vfs : 1;
	if (want < idx + 1)
		want = idx + 1;
	return want > pf->total_vfs ? pf->total_vfs : want;
}

static const char *in_use(const struct sriov_vf *vf, char *buf, size_t n)
{
	switch (vf->state) {
	case SRIOV_VF_ASSIGNED:
		snprintf(buf, n, "held by guest %s", vf->guest);
		break;
	case SRIOV_VF_OPEN:
		snprintf(buf, n, "its IOMMU group %d is open through vfio by another process",
			 vf->iommu_group);
		break;
	case SRIOV_VF_HOST:
		snprintf(buf, n, "its interface %s is up on the host", vf->netdev);
		break;
	default:
		snprintf(buf, n, "free");
	}
	return buf;
}

/* want_vf: an existing VF, or one an allowed-or-not PF would create. */
static int pick_wanted(const struct sriov_view *v, const struct sriov_conf *c, const char *want,
		       struct pick *p, char *why, size_t n)
{
	char buf[128];
	for (size_t i = 0; i < v->nvf; i++) {
		const struct sriov_vf *vf = &v->vf[i];
		if (strcasecmp(vf->addr, want))
			continue;
		p->pf = &v->pf[vf->pf];
		p->vf = vf;
		p->idx = vf->index;
		snprintf(p->addr, sizeof p->addr, "%s", vf->addr);
		if (vf->state != SRIOV_VF_FREE)
			return refuse(why, n, -EBUSY, "VF %s is in use: %s", vf->addr,
				      in_use(vf, buf, sizeof buf));
		return 0;
	}
	for (size_t i = 0; i < v->npf; i++) {
		const struct sriov_pf *pf = &v->pf[i];
		char a[SRIOV_NAME_MAX];
		if (pf->num_vfs)
			continue;
		for (unsigned k = 0; k < pf->total_vfs; k++)
			if (!sriov_view_vf_addr(pf, k, a) && !strcasecmp(a, want)) {
				p->pf = pf;
				p->idx = k;
				p->create = create_count(c, pf, k);
				snprintf(p->addr, sizeof p->addr, "%s", a);
				return 0;
			}
	}
	return refuse(why, n, -ENOENT, "no VF %s on this host (and no PF without VFs would create it)",
		      want);
}

static int pick_any(const struct sriov_view *v, const struct sriov_conf *c, const char *stub,
		    struct pick *p, char *why, size_t n)
{
	char refused[256] = "", busy[256] = "";
	for (unsigned ci = 0; ci < c->npfs && ci < SRIOV_CONF_MAX_PFS; ci++) {
		for (size_t i = 0; i < v->npf; i++) {
			const struct sriov_pf *pf = &v->pf[i];
			struct sriov_conf one = { .npfs = 1 };
			memcpy(one.pfs[0], c->pfs[ci], sizeof one.pfs[0]);
			if (!sriov_conf_allows(&one, pf))
				continue;
			if (pf->host_traffic[0] && !c->allow_host_traffic_pf) {
				if (!refused[0])
					snprintf(refused, sizeof refused,
						 "PF %s carries the host's own traffic (%s)", pf->addr,
						 pf->host_traffic);
				continue;
			}
			if (pf->num_vfs == 0) {
				if (!pf->total_vfs || sriov_view_vf_addr(pf, 0, p->addr))
					continue;
				p->pf = pf;
				p->idx = 0;
				p->create = create_count(c, pf, 0);
				return 0;
			}
			const struct sriov_vf *best = NULL;
			int score = 0;
			for (unsigned k = 0; k < pf->nvfs; k++) {
				const struct sriov_vf *vf = &v->vf[pf->first_vf + k];
				int s = suits(vf, stub);
				if (s > score)
					best = vf, score = s;
			}
			if (best) {
				p->pf = pf;
				p->vf = best;
				p->idx = best->index;
				snprintf(p->addr, sizeof p->addr, "%s", best->addr);
				return 0;
			}
			if (!busy[0])
				snprintf(busy, sizeof busy,
					 "PF %s: all %u VFs in use (a PF with VFs is not re-sized: that "
					 "would remove them)", pf->addr, pf->num_vfs);
		}
	}
	if (refused[0])
		return refuse(why, n, -EPERM, "%s; the configuration does not allow that PF", refused);
	if (busy[0])
		return refuse(why, n, -EBUSY, "no free VF: %s", busy);
	return refuse(why, n, -ENOENT, "no SR-IOV PF on this host matches the allowed PFs");
}

static int emit_vf_net(const struct sriov_conf *c, const struct pick *p, sriov_change_fn fn,
		       void *arg)
{
	const struct {
		const char *key;
		const char *value;
	} set[] = {
		{ "mac", c->vf_mac }, { "vlan", c->vf_vlan }, { "spoofchk", c->vf_spoofchk },
		{ "trust", c->vf_trust }, { "link_state", c->vf_link_state },
	};
	if (!p->pf->netdev[0])
		return 0; /* not a network PF: nothing to configure */
	for (size_t i = 0; i < sizeof set / sizeof *set; i++) {
		char key[32];
		if (!set[i].value[0])
			continue;
		snprintf(key, sizeof key, "vf%u.%s", p->idx, set[i].key);
		int rc = fn(arg, "sriov-vf", p->pf->netdev, key, set[i].value);
		if (rc)
			return rc;
	}
	return 0;
}

int sriov_plan(const struct sriov_view *v, const struct sriov_conf *c, const struct sriov_hv *hv,
	       const struct sriov_guest *g, const char *want_vf, sriov_change_fn fn, void *arg,
	       char *why, size_t n)
{
	struct pick p;
	char buf[32];
	int rc;

	if (why && n)
		why[0] = '\0';
	if (!v || !c || !hv || !g || !g->name || !g->attach_target || !fn)
		return refuse(why, n, -EINVAL, "bad arguments");
	for (size_t i = 0; i < v->nvf; i++)
		if (v->vf[i].state == SRIOV_VF_ASSIGNED && !strcmp(v->vf[i].guest, g->name))
			return refuse(why, n, SRIOV_PLAN_HOLDS, "guest %s holds VF %s already",
				      g->name, v->vf[i].addr);
	if ((g->migrating || g->must_migrate) && !c->allow_migration_loss)
		return refuse(why, n, -EPERM,
			      "guest %s %s (%s): a passed-through VF cannot migrate, and the rule "
			      "does not accept losing migration", g->name,
			      g->migrating ? "is migrating" : "must stay migratable",
			      g->migration_why && g->migration_why[0] ? g->migration_why : "?");
	if (!c->npfs)
		return refuse(why, n, -EPERM, "no PF is allowed (the configuration lists none)");
	const char *stub = c->driver[0] ? c->driver : hv->stub_driver;

	memset(&p, 0, sizeof p);
	rc = want_vf ? pick_wanted(v, c, want_vf, &p, why, n) : pick_any(v, c, stub, &p, why, n);
	if (rc)
		return rc;
	if (!sriov_conf_allows(c, p.pf))
		return refuse(why, n, -EPERM, "VF %s is on PF %s, which the configuration does not allow",
			      p.addr, p.pf->addr);
	if (p.pf->host_traffic[0] && !c->allow_host_traffic_pf)
		return refuse(why, n, -EPERM, "PF %s carries the host's own traffic (%s); the "
			      "configuration does not allow that PF", p.pf->addr, p.pf->host_traffic);
	if (hv->iommu == 0 || (hv->iommu < 0 && (p.vf ? p.vf->iommu_group : p.pf->iommu_group) < 0))
		return refuse(why, n, -ENODEV, "%s has no IOMMU for VF %s: %s", hv->name, p.addr,
			      hv->iommu_hint ? hv->iommu_hint : "turn the IOMMU on");

	if (p.create) {
		/* VFs made for guests are probed by no host driver: it would only
		 * race with the stub driver (a VF's host driver may even release it
		 * later, asynchronously, when its init fails) */
		if (p.pf->autoprobe != 0 &&
		    (rc = fn(arg, "sriov-numvfs", p.pf->addr, "sriov_drivers_autoprobe", "0")))
			return rc;
		snprintf(buf, sizeof buf, "%u", p.create);
		if ((rc = fn(arg, "sriov-numvfs", p.pf->addr, "sriov_numvfs", buf)))
			return rc;
	}
	if ((rc = emit_vf_net(c, &p, fn, arg)))
		return rc;
	if ((rc = fn(arg, "pci-driver", p.addr, "driver", stub)))
		return rc;
	return fn(arg, hv->attach_kind, g->attach_target, p.addr, hv->attach_value);
}
