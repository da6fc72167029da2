/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm: the KVM backend on libvirt: guests and their agent channel, lifecycle
 * events through kvm_event, the hypervisor's part of the host view (vCPU
 * delay and time from domain stats, vhost workers, SR-IOV), pinning knobs
 * and pin plans, VF attach. */
#include "cpulist.h"
#include "vec.h"
#include "kvm.h"
#include "netthreads.h"
#include "pinplan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "kfs.h"
#include "kvm_event.h"
#include "kvm_sriov.h"
#include "kvm_xml.h"
#include "log.h"
#include "parse.h"
#include "pci_driver.h"
#include "sriov.h"

#define KVM_DEFAULT_URI "qemu:///system"
#define KVM_QUEUE 64

/* Previous counters of one guest, for rates. */
struct prev {
	char key[BK_NAME_MAX]; /* uuid, or the name when there is none */
	uint64_t lru;	/* larger = used more recently */
	uint64_t t_ns;	/* 0 = no sample yet */
	int nv;
	int have_delay, have_time, have_vbusy;
	uint64_t vtime[KVM_MAX_VCPUS], vdelay[KVM_MAX_VCPUS];
	double vbusy[KVM_MAX_VCPUS]; /* % of wall time per vCPU, last interval */
	/* QEMU's threads: vhost workers and the housekeeping (all but vCPUs) */
	struct nt_thread vh[NT_MAX], hk[NT_MAX];
	double vh_load[NT_MAX], hk_load[NT_MAX];
	size_t nvh, nhk;
	uint64_t thr_ns;
};

struct known {
	struct bk_guest g;
	enum kvm_chan_state chan;
	int seen;
};

struct pending {
	int up; /* 1 started, 0 stopped */
	char uuid[VIR_UUID_STRING_BUFLEN];
	char name[BK_NAME_MAX];
};

struct backend {
	virConnectPtr conn;
	char *uri;     /* for reconnecting */
	int conn_lost; /* the close callback ran: reopen on the next resync */
	int cb_life, cb_agent, resync_timer;
	unsigned resync_ms;
	int need_resync;
	char root[PATH_MAX];
	struct known *known;
	size_t nknown, capknown;
	struct pending q[KVM_QUEUE];
	size_t nq;
	struct prev *prev; /* KVM_MAX_TRACKED */
	uint64_t lru;
};

/* ---- libvirt errors ---- */

static void quiet_errors(void *arg, virErrorPtr e)
{
	(void)arg;
	if (e && e->message)
		log_debug("libvirt: %s", e->message);
}

/* The last libvirt error as -errno (and log it at warning level). */
static int vir_err(const char *what)
{
	virErrorPtr e = virGetLastError();
	int code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
	if (e && e->message)
		log_warn("kvm: %s: %s", what, e->message);
	switch (code) {
	case VIR_ERR_NO_SUPPORT:
	case VIR_ERR_ARGUMENT_UNSUPPORTED:
		return -ENOTSUP;
	case VIR_ERR_NO_DOMAIN:
		return -ENOENT;
	case VIR_ERR_INVALID_ARG:
		return -EINVAL;
	case VIR_ERR_OPERATION_INVALID:
		return -EBUSY;
	case VIR_ERR_NO_CONNECT:
	case VIR_ERR_SYSTEM_ERROR:
		return -ECONNREFUSED;
	case VIR_ERR_AUTH_FAILED:
	case VIR_ERR_OPERATION_DENIED:
	case VIR_ERR_ACCESS_DENIED:
		return -EACCES;
	default:
		return -EIO;
	}
}

/* ---- guests ---- */

static int guest_fill(virDomainPtr dom, struct bk_guest *g, enum kvm_chan_state *chan)
{
	memset(g, 0, sizeof *g);
	const char *name = virDomainGetName(dom);
	if (!name || strlen(name) >= sizeof g->name)
		return -ENAMETOOLONG;
	snprintf(g->name, sizeof g->name, "%s", name);
	char uuid[VIR_UUID_STRING_BUFLEN];
	if (!virDomainGetUUIDString(dom, uuid))
		snprintf(g->uuid, sizeof g->uuid, "%s", uuid);
	unsigned id = virDomainGetID(dom);
	g->domid = id == (unsigned)-1 ? -1 : (int)id;
	virDomainInfo info;
	if (virDomainGetInfo(dom, &info) == 0)
		g->nvcpus = info.nrVirtCpu;
	char *xml = virDomainGetXMLDesc(dom, 0);
	if (!xml)
		return vir_err("domain XML");
	int rc = kvm_xml_guest(xml, g, chan);
	free(xml);
	if (rc)
		log_warn("kvm: %s: domain XML: %s", g->name, strerror(-rc));
	return 0; /* a guest with an odd XML is still a guest */
}

int kvm_guest_from_domain(virDomainPtr dom, struct bk_guest *g)
{
	return guest_fill(dom, g, NULL);
}

static struct known *known_find(struct backend *b, const char *uuid, const char *name)
{
	for (size_t i = 0; i < b->nknown; i++) {
		const struct bk_guest *g = &b->known[i].g;
		if (uuid && uuid[0] ? !strcmp(g->uuid, uuid) : !strcmp(g->name, name))
			return &b->known[i];
	}
	return NULL;
}

static struct known *known_add(struct backend *b, const struct bk_guest *g,
			       enum kvm_chan_state chan)
{
	if (VEC_RESERVE(b->known, b->capknown, b->nknown + 1))
		return NULL;
	struct known *k = &b->known[b->nknown++];
	k->g = *g;
	k->chan = chan;
	k->seen = 1;
	return k;
}

static void known_del(struct backend *b, struct known *k)
{
	size_t i = (size_t)(k - b->known);
	memmove(&b->known[i], &b->known[i + 1], (b->nknown - i - 1) * sizeof *k);
	b->nknown--;
}

/* ---- libvirt callbacks: only queue; dispatch does the work ---- */

static void queue(struct backend *b, virDomainPtr dom, int up)
{
	if (b->nq == KVM_QUEUE) {
		b->need_resync = 1; /* overflow: a full re-list finds it */
		return;
	}
	struct pending *p = &b->q[b->nq++];
	memset(p, 0, sizeof *p);
	p->up = up;
	if (virDomainGetUUIDString(dom, p->uuid))
		p->uuid[0] = '\0';
	const char *name = virDomainGetName(dom);
	snprintf(p->name, sizeof p->name, "%s", name ? name : "");
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
			void *opaque)
{
	(void)conn;
	(void)detail;
	if (event == VIR_DOMAIN_EVENT_STARTED)
		queue(opaque, dom, 1);
	else if (event == VIR_DOMAIN_EVENT_STOPPED)
		queue(opaque, dom, 0);
	return 0;
}

static void on_agent(virConnectPtr conn, virDomainPtr dom, int state, int reason, void *opaque)
{
	(void)conn;
	(void)dom;
	(void)state;
	(void)reason;
	/* libvirt raises this for qemu-ga's channel only; the vtune channel's
	 * state is read from the XML, so take it as a hint to look again. */
	((struct backend *)opaque)->need_resync = 1;
}

static void on_resync(int timer, void *opaque)
{
	(void)timer;
	((struct backend *)opaque)->need_resync = 1;
}

/* libvirtd went away (restart, crash): reconnect on the next resync. */
static void on_conn_close(virConnectPtr conn, int reason, void *opaque)
{
	(void)conn;
	struct backend *b = opaque;
	if (!b->conn_lost)
		log_warn("kvm: connection to libvirt lost (reason %d); reconnecting", reason);
	b->conn_lost = 1;
	b->need_resync = 1;
}

/* Open uri into b->conn and register the callbacks. 0 or -errno (why set). */
static int conn_open(struct backend *b, char *why, size_t n)
{
	b->conn = virConnectOpen(b->uri);
	if (!b->conn) {
		virErrorPtr e = virGetLastError();
		snprintf(why, n, "%s: %s", b->uri, e && e->message ? e->message : "cannot connect");
		return vir_err("connect");
	}
	b->cb_life = virConnectDomainEventRegisterAny(b->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
						      VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), b, NULL);
	if (b->cb_life < 0) {
		snprintf(why, n, "%s: cannot register for domain events", b->uri);
		return vir_err("events");
	}
	/* Not every driver has agent events (the test driver has); optional. */
	b->cb_agent = virConnectDomainEventRegisterAny(b->conn, NULL,
						       VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
						       VIR_DOMAIN_EVENT_CALLBACK(on_agent), b, NULL);
	/* Optional too (the test driver has none): without it a dead
	 * connection is still noticed when the re-list fails. */
	virConnectRegisterCloseCallback(b->conn, on_conn_close, b, NULL);
	b->conn_lost = 0;
	return 0;
}

static void conn_close(struct backend *b)
{
	if (!b->conn)
		return;
	if (b->cb_agent >= 0)
		virConnectDomainEventDeregisterAny(b->conn, b->cb_agent);
	if (b->cb_life >= 0)
		virConnectDomainEventDeregisterAny(b->conn, b->cb_life);
	b->cb_agent = b->cb_life = -1;
	virConnectUnregisterCloseCallback(b->conn, on_conn_close);
	virConnectClose(b->conn);
	b->conn = NULL;
}

/* The connection is dead: drop it and try to open a new one (libvirtd
 * restarted). Running guests are kept as known; the resync that follows
 * reconciles them. 0 or -errno; the next resync tries again. */
static int reconnect(struct backend *b)
{
	char why[256];
	conn_close(b);
	int rc = conn_open(b, why, sizeof why);
	if (rc) {
		conn_close(b);
		log_debug("kvm: reconnect: %s", why);
		b->conn_lost = 1;
		/* try again in a second, not only at the next re-list */
		if (b->resync_timer >= 0)
			kvm_event_update_timeout(b->resync_timer, 1000);
		return rc;
	}
	log_info("kvm: reconnected to %s", b->uri);
	if (b->resync_timer >= 0)
		kvm_event_update_timeout(b->resync_timer, b->resync_ms ? (int)b->resync_ms : -1);
	return 0;
}

/* ---- backend ops ---- */

static void kvm_close(struct backend *b);

static struct backend *kvm_open(const char *uri, const char *root, int *err, char *why,
				size_t n)
{
	struct backend *b = NULL;
	int rc = kvm_event_init();
	if (rc) {
		snprintf(why, n, "event loop: %s", strerror(-rc));
		goto fail;
	}
	virSetErrorFunc(NULL, quiet_errors);
	b = calloc(1, sizeof *b);
	if (!b || !(b->prev = calloc(KVM_MAX_TRACKED, sizeof *b->prev))) {
		rc = -ENOMEM;
		snprintf(why, n, "out of memory");
		goto fail;
	}
	b->cb_life = b->cb_agent = b->resync_timer = -1;
	b->resync_ms = 5000;
	if (kvm_set_root(b, root ? root : "/")) {
		rc = -ENAMETOOLONG;
		snprintf(why, n, "root %s: path too long", root);
		goto fail;
	}
	if (!uri || !uri[0])
		uri = KVM_DEFAULT_URI;
	if (!(b->uri = strdup(uri))) {
		rc = -ENOMEM;
		snprintf(why, n, "out of memory");
		goto fail;
	}
	if ((rc = conn_open(b, why, n)))
		goto fail;
	b->resync_timer = kvm_event_add_timeout((int)b->resync_ms, on_resync, b, NULL);
	return b;
fail:
	if (b)
		kvm_close(b);
	*err = rc ? rc : -EIO;
	return NULL;
}

static void kvm_close(struct backend *b)
{
	if (!b)
		return;
	if (b->resync_timer >= 0)
		kvm_event_remove_timeout(b->resync_timer);
	conn_close(b);
	kvm_event_purge();
	free(b->uri);
	free(b->prev);
	free(b->known);
	free(b);
}

virConnectPtr kvm_conn(struct backend *b)
{
	return b ? b->conn : NULL;
}

int kvm_set_root(struct backend *b, const char *root)
{
	if (!root || strlen(root) >= sizeof b->root)
		return -ENAMETOOLONG;
	snprintf(b->root, sizeof b->root, "%s", root);
	return 0;
}

void kvm_set_resync_ms(struct backend *b, unsigned ms)
{
	b->resync_ms = ms > INT_MAX ? INT_MAX : ms;
	if (b->resync_timer >= 0)
		kvm_event_update_timeout(b->resync_timer, ms ? (int)b->resync_ms : -1);
}

/* Every running domain, with its channel state; fn per guest. */
static int walk_active(struct backend *b,
		       void (*fn)(struct backend *b, const struct bk_guest *g,
				  enum kvm_chan_state chan, void *arg),
		       void *arg)
{
	virDomainPtr *doms = NULL;
	int nd = virConnectListAllDomains(b->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (nd < 0)
		return vir_err("list domains");
	for (int i = 0; i < nd; i++) {
		struct bk_guest g;
		enum kvm_chan_state chan;
		if (!guest_fill(doms[i], &g, &chan))
			fn(b, &g, chan, arg);
		virDomainFree(doms[i]);
	}
	free(doms);
	return 0;
}

struct list_ctx {
	bk_event_fn fn;
	void *arg;
};

static void list_one(struct backend *b, const struct bk_guest *g, enum kvm_chan_state chan,
		     void *arg)
{
	struct list_ctx *c = arg;
	struct known *k = known_find(b, g->uuid, g->name);
	if (k) {
		k->g = *g;
		k->chan = chan;
		k->seen = 1;
	} else {
		known_add(b, g, chan);
	}
	if (c->fn)
		c->fn(c->arg, BK_GUEST_UP, g);
}

static int kvm_list(struct backend *b, bk_event_fn fn, void *arg)
{
	struct list_ctx c = { fn, arg };
	b->nknown = 0; /* list() is the new truth */
	return walk_active(b, list_one, &c);
}

static int kvm_event_fd_op(struct backend *b)
{
	(void)b;
	return kvm_event_fd();
}

static void emit_chan(const struct list_ctx *c, enum kvm_chan_state was,
		      enum kvm_chan_state now, const struct bk_guest *g)
{
	if (now == was || !c->fn)
		return;
	if (now == KVM_CHAN_CONNECTED)
		c->fn(c->arg, BK_CHANNEL_UP, g);
	else if (was == KVM_CHAN_CONNECTED)
		c->fn(c->arg, BK_CHANNEL_DOWN, g);
}

static void resync_one(struct backend *b, const struct bk_guest *g, enum kvm_chan_state chan,
		       void *arg)
{
	struct list_ctx *c = arg;
	struct known *k = known_find(b, g->uuid, g->name);
	if (!k) {
		k = known_add(b, g, chan);
		if (c->fn)
			c->fn(c->arg, BK_GUEST_UP, g);
		emit_chan(c, KVM_CHAN_UNKNOWN, chan, g);
		return;
	}
	enum kvm_chan_state was = k->chan;
	k->g = *g;
	k->chan = chan;
	k->seen = 1;
	emit_chan(c, was, chan, g);
}

static int resync(struct backend *b, struct list_ctx *c)
{
	for (size_t i = 0; i < b->nknown; i++)
		b->known[i].seen = 0;
	int rc = walk_active(b, resync_one, c);
	if (rc)
		return rc; /* keep what we know; the next pass tries again */
	for (size_t i = 0; i < b->nknown;) {
		if (b->known[i].seen) {
			i++;
			continue;
		}
		struct bk_guest g = b->known[i].g;
		known_del(b, &b->known[i]);
		if (c->fn)
			c->fn(c->arg, BK_GUEST_DOWN, &g);
	}
	return 0;
}

static void handle_pending(struct backend *b, const struct pending *p, struct list_ctx *c)
{
	struct known *k = known_find(b, p->uuid, p->name);
	if (!p->up) {
		struct bk_guest g;
		if (k) {
			g = k->g;
			known_del(b, k);
		} else {
			memset(&g, 0, sizeof g);
			snprintf(g.name, sizeof g.name, "%s", p->name);
			snprintf(g.uuid, sizeof g.uuid, "%s", p->uuid);
			g.domid = -1;
		}
		if (c->fn)
			c->fn(c->arg, BK_GUEST_DOWN, &g);
		return;
	}
	virDomainPtr dom = p->uuid[0] ? virDomainLookupByUUIDString(b->conn, p->uuid)
				      : virDomainLookupByName(b->conn, p->name);
	if (!dom)
		return; /* gone again; its STOPPED event follows */
	struct bk_guest g;
	enum kvm_chan_state chan;
	int ok = virDomainIsActive(dom) == 1 && !guest_fill(dom, &g, &chan);
	virDomainFree(dom);
	if (!ok)
		return;
	if (k) { /* already known (list or resync saw it first) */
		enum kvm_chan_state was = k->chan;
		k->g = g;
		k->chan = chan;
		emit_chan(c, was, chan, &g);
		return;
	}
	known_add(b, &g, chan);
	if (c->fn)
		c->fn(c->arg, BK_GUEST_UP, &g);
	emit_chan(c, KVM_CHAN_UNKNOWN, chan, &g);
}

static int kvm_dispatch(struct backend *b, bk_event_fn fn, void *arg)
{
	struct list_ctx c = { fn, arg };
	int rc = kvm_event_run();
	if (rc)
		return rc;
	/* Events queued by callbacks (copied out: fn may call back into us). */
	struct pending q[KVM_QUEUE];
	size_t nq = b->nq;
	memcpy(q, b->q, nq * sizeof q[0]);
	b->nq = 0;
	for (size_t i = 0; i < nq; i++)
		handle_pending(b, &q[i], &c);
	if (b->need_resync) {
		b->need_resync = 0;
		if (b->conn_lost || !b->conn || virConnectIsAlive(b->conn) != 1)
			rc = reconnect(b);
		if (!rc)
			rc = resync(b, &c);
	}
	return rc;
}

/* ---- host view ---- */

static struct prev *prev_get(struct backend *b, const struct bk_guest *g)
{
	const char *key = g->uuid[0] ? g->uuid : g->name;
	struct prev *lru = &b->prev[0];
	for (size_t i = 0; i < KVM_MAX_TRACKED; i++) {
		struct prev *p = &b->prev[i];
		if (p->key[0] && !strcmp(p->key, key)) {
			p->lru = ++b->lru;
			return p;
		}
		if (p->lru < lru->lru)
			lru = p;
	}
	/* Reuse the least recently used slot (or an empty one: lru 0). */
	memset(lru, 0, sizeof *lru);
	snprintf(lru->key, sizeof lru->key, "%s", key);
	lru->lru = ++b->lru;
	return lru;
}

static struct prev *prev_peek(struct backend *b, const struct bk_guest *g)
{
	const char *key = g->uuid[0] ? g->uuid : g->name;
	for (size_t i = 0; i < KVM_MAX_TRACKED; i++)
		if (b->prev[i].key[0] && !strcmp(b->prev[i].key, key))
			return &b->prev[i];
	return NULL;
}

static double pct(uint64_t part, uint64_t whole)
{
	if (!whole)
		return 0;
	double v = 100.0 * (double)part / (double)whole;
	return v > 100 ? 100 : v;
}

/* Parse "vcpu.N.field" → N and field; -1 when not that shape. */
static int field_index(const char *name, const char *prefix, const char **rest)
{
	size_t pl = strlen(prefix);
	if (strncmp(name, prefix, pl))
		return -1;
	const char *end;
	uint64_t v;
	if (parse_u64_prefix(name + pl, &end, &v) || *end != '.' || v > INT_MAX)
		return -1;
	*rest = end + 1;
	return (int)v;
}

struct dstats {
	int nv, have_time, have_delay;
	uint64_t vtime[KVM_MAX_VCPUS], vdelay[KVM_MAX_VCPUS];
};

static void parse_stats(const virDomainStatsRecord *r, struct dstats *s)
{
	memset(s, 0, sizeof *s);
	for (int i = 0; i < r->nparams; i++) {
		const virTypedParameter *t = &r->params[i];
		const char *rest;
		int idx = field_index(t->field, "vcpu.", &rest);
		if (idx < 0 || idx >= KVM_MAX_VCPUS || t->type != VIR_TYPED_PARAM_ULLONG)
			continue;
		if (!strcmp(rest, "time")) {
			s->vtime[idx] = t->value.ul;
			s->have_time |= 1;
		} else if (!strcmp(rest, "delay")) {
			s->vdelay[idx] = t->value.ul;
			s->have_delay |= 1;
		} else {
			continue;
		}
		if (idx + 1 > s->nv)
			s->nv = idx + 1;
	}
}

/* One set of QEMU's threads sampled: rates into load (and the maxima). */
static void thr_sample(struct nt_thread *prev, size_t *np, double *load, struct nt_thread *cur,
		       size_t nc, uint64_t dt, double *cpu, double *delay, int *have)
{
	*have = dt && *np && !nt_rates(prev, *np, cur, nc, dt, cpu, delay, load);
	if (!*have)
		memset(load, 0, NT_MAX * sizeof *load);
	memcpy(prev, cur, nc * sizeof *cur);
	*np = nc;
}

/* The guest's vhost workers (host.netthread.*) and QEMU's housekeeping
 * threads, kept for the housekeeping and net-threads plans. */
static void threads_sample(struct backend *b, struct prev *p, const struct bk_guest *g,
			   uint64_t now_ns, struct mvec *host)
{
	struct nt_thread cur[NT_MAX];
	size_t n = 0;
	int pid, have;
	double cpu, delay;
	uint64_t dt = p->thr_ns && now_ns > p->thr_ns ? now_ns - p->thr_ns : 0;
	if (nt_qemu_pid(b->root, g->name, &pid))
		return;
	if (!nt_find(b->root, NT_VHOST, pid, cur, NT_MAX, &n)) {
		thr_sample(p->vh, &p->nvh, p->vh_load, cur, n, dt, &cpu, &delay, &have);
		if (have) {
			mvec_set(host, M_HOST_NETTHREAD_CPU, cpu);
			mvec_set(host, M_HOST_NETTHREAD_DELAY, delay);
		}
	}
	if (!nt_find(b->root, NT_QEMU_HK, pid, cur, NT_MAX, &n))
		thr_sample(p->hk, &p->nhk, p->hk_load, cur, n, dt, &cpu, &delay, &have);
	p->thr_ns = now_ns;
}

/* The hypervisor's part of the host view (backend.h): vCPU delay and time
 * from libvirt's domain stats, the vhost workers, the SR-IOV view. The
 * host's CPU load and the tap's counters are the common host view's
 * (hostnet/host_view.h). */
static int kvm_host_view(struct backend *b, const struct bk_guest *g, uint64_t now_ns,
			 struct mvec *host)
{
	struct prev *p = prev_get(b, g);
	uint64_t dt = p->t_ns && now_ns > p->t_ns ? now_ns - p->t_ns : 0;
	int rc;
	threads_sample(b, p, g, now_ns, host);
	if ((rc = kvm_sriov_metrics(b, b->root, g, now_ns, host)))
		log_debug("kvm: SR-IOV view: %s", strerror(-rc));

	virDomainPtr dom = g->uuid[0] ? virDomainLookupByUUIDString(b->conn, g->uuid)
				      : virDomainLookupByName(b->conn, g->name);
	if (!dom) {
		p->t_ns = now_ns;
		return vir_err("host view: lookup");
	}
	virDomainPtr doms[2] = { dom, NULL };
	virDomainStatsRecordPtr *recs = NULL;
	/* NOWAIT: a guest whose monitor is busy gives what it can at once, and
	 * never holds up the loop for the job timeout. */
	unsigned types = VIR_DOMAIN_STATS_VCPU;
	int nr = virDomainListGetStats(doms, types, &recs, VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
	if (nr < 0) {
		virErrorPtr e = virGetLastError();
		if (e && (e->code == VIR_ERR_INVALID_ARG || e->code == VIR_ERR_NO_SUPPORT))
			nr = virDomainListGetStats(doms, types, &recs, 0);
	}
	virDomainFree(dom);
	if (nr < 0) {
		p->t_ns = now_ns;
		return vir_err("host view: stats");
	}
	struct dstats *s = calloc(1, sizeof *s);
	if (!s) {
		virDomainStatsRecordListFree(recs);
		return -ENOMEM;
	}
	if (nr > 0)
		parse_stats(recs[0], s);
	virDomainStatsRecordListFree(recs);

	if (dt && s->nv && s->nv == p->nv) {
		double sum = 0, mx = 0;
		int n = 0;
		if (s->have_delay && p->have_delay) {
			for (int i = 0; i < s->nv; i++) {
				if (s->vdelay[i] < p->vdelay[i])
					continue; /* restarted */
				double v = pct(s->vdelay[i] - p->vdelay[i], dt);
				sum += v;
				n++;
				if (v > mx)
					mx = v;
			}
			if (n) {
				mvec_set(host, M_HOST_VCPU_DELAY, sum / n);
				mvec_set(host, M_HOST_VCPU_DELAY_MAX, mx);
			}
		}
		p->have_vbusy = 0;
		if (s->have_time && p->have_time) {
			double vmx = 0;
			for (int i = 0; i < s->nv; i++) {
				p->vbusy[i] = s->vtime[i] >= p->vtime[i]
						      ? pct(s->vtime[i] - p->vtime[i], dt) : 0;
				if (p->vbusy[i] > vmx)
					vmx = p->vbusy[i];
			}
			p->have_vbusy = 1;
			/* the vCPU threads' CPU time: corroborates guest.cpu.busy_max */
			mvec_set(host, M_HOST_VCPU_BUSY_MAX, vmx > 100 ? 100 : vmx);
		}
	}
	p->nv = s->nv;
	p->have_time = s->have_time;
	p->have_delay = s->have_delay;
	memcpy(p->vtime, s->vtime, sizeof p->vtime);
	memcpy(p->vdelay, s->vdelay, sizeof p->vdelay);
	p->t_ns = now_ns;
	free(s);
	return 0;
}

/* ---- CPU lists ---- */

int kvm_cpulist_parse(const char *s, unsigned char *map, size_t maplen, int ncpus)
{
	/* Blanks around the numbers are allowed ("1, 2"); inside one they
	 * stay and make the strict parser refuse it. */
	char norm[KNOB_VALUE_MAX], *o = norm;
	if (!s || strlen(s) >= sizeof norm)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			const char *q = p;
			while (*q == ' ' || *q == '\t' || *q == '\n')
				q++;
			if (o == norm || o[-1] == ',' || !*q || *q == ',') {
				p = q - 1;
				continue;
			}
		}
		*o++ = *p;
	}
	*o = '\0';
	return cpulist_parse(norm, map, maplen, ncpus);
}

/* Host CPUs (total, and the online map: malloc'd, caller frees). */
static int host_cpus(virConnectPtr conn, unsigned char **online, int *ncpus)
{
	unsigned int non;
	int n = virNodeGetCPUMap(conn, online, &non, 0);
	if (n <= 0)
		return n == 0 ? -ENODEV : vir_err("host CPU map");
	*ncpus = n;
	return 0;
}

/* ---- pinning knobs ---- */

static int parse_vcpu_key(const char *key, unsigned *vcpu)
{
	uint64_t v;
	if (!key || strncmp(key, "vcpu", 4) || parse_u64(key + 4, &v) || v >= KVM_MAX_VCPUS)
		return -EINVAL;
	*vcpu = (unsigned)v;
	return 0;
}

/* The pinning knobs' context is the backend whose connection they use. */
static int knob_dom(void *ctx, const char *target, virDomainPtr *dom, unsigned char **online,
		    int *ncpus)
{
	struct backend *b = ctx;
	virConnectPtr knob_conn = b ? b->conn : NULL;
	if (!knob_conn)
		return -ENOTCONN;
	if (!target || !target[0])
		return -EINVAL;
	int rc = host_cpus(knob_conn, online, ncpus);
	if (rc)
		return rc;
	*dom = virDomainLookupByName(knob_conn, target);
	if (!*dom) {
		free(*online);
		*online = NULL;
		return vir_err("pin: lookup");
	}
	return 0;
}

/* What a pinning knob pins: vCPU N, the emulator, I/O thread N. */
enum pin_obj { PIN_VCPU, PIN_EMULATOR, PIN_IOTHREAD };

/* The pin map of I/O thread id as text; -ENOENT when it has none. */
static int iothread_read(virDomainPtr dom, unsigned id, int ncpus, char *buf, size_t n)
{
	virDomainIOThreadInfoPtr *info = NULL;
	int got = virDomainGetIOThreadInfo(dom, &info, VIR_DOMAIN_AFFECT_LIVE), rc = -ENOENT;
	if (got < 0)
		return vir_err("iothread info");
	for (int i = 0; i < got; i++) {
		if (info[i]->iothread_id == id && rc == -ENOENT) {
			int nc = info[i]->cpumaplen * 8 < ncpus ? info[i]->cpumaplen * 8 : ncpus;
			rc = cpulist_format(info[i]->cpumap, nc, buf, n);
		}
		virDomainIOThreadInfoFree(info[i]);
	}
	free(info);
	return rc;
}

/* Read the pin map of vCPU or I/O thread id, or of the emulator, as text. */
static int pin_read(void *ctx, const char *target, enum pin_obj obj, unsigned id, char *buf, size_t n)
{
	virDomainPtr dom;
	unsigned char *online = NULL, *maps = NULL;
	int vcpu = (int)id;
	int ncpus = 0, rc = knob_dom(ctx, target, &dom, &online, &ncpus);
	if (rc)
		return rc;
	int maplen = VIR_CPU_MAPLEN(ncpus);
	if (obj == PIN_IOTHREAD) {
		rc = iothread_read(dom, id, ncpus, buf, n);
		goto out;
	}
	if (obj == PIN_EMULATOR) {
		maps = calloc(1, (size_t)maplen);
		if (!maps) {
			rc = -ENOMEM;
			goto out;
		}
		int r = virDomainGetEmulatorPinInfo(dom, maps, maplen, VIR_DOMAIN_AFFECT_LIVE);
		if (r < 0) {
			rc = vir_err("emulator pin info");
			goto out;
		}
		if (r == 0) /* not pinned: every CPU */
			for (int c = 0; c < ncpus; c++)
				VIR_USE_CPU(maps, c);
		rc = cpulist_format(maps, ncpus, buf, n);
		goto out;
	}
	virDomainInfo info;
	if (virDomainGetInfo(dom, &info) < 0) {
		rc = vir_err("domain info");
		goto out;
	}
	if ((unsigned)vcpu >= info.nrVirtCpu) {
		rc = -ENOENT;
		goto out;
	}
	maps = calloc(info.nrVirtCpu, (size_t)maplen);
	if (!maps) {
		rc = -ENOMEM;
		goto out;
	}
	int got = virDomainGetVcpuPinInfo(dom, (int)info.nrVirtCpu, maps, maplen,
					  VIR_DOMAIN_AFFECT_LIVE);
	if (got < 0) {
		rc = vir_err("vcpu pin info");
		goto out;
	}
	if (vcpu >= got) {
		rc = -ENOENT;
		goto out;
	}
	rc = cpulist_format(VIR_GET_CPUMAP(maps, maplen, vcpu), ncpus, buf, n);
out:
	free(maps);
	free(online);
	virDomainFree(dom);
	return rc;
}

/* Pin vCPU or I/O thread id, or the emulator, to value. strict: refuse
 * offline CPUs (restore skips that: it puts back what libvirt itself
 * reported). */
static int pin_write(void *ctx, const char *target, enum pin_obj obj, unsigned id, const char *value,
		     int strict)
{
	static const char *const what[] = { "vcpu", "emulator", "iothread" };
	virDomainPtr dom;
	unsigned char *online = NULL, *map = NULL;
	int ncpus = 0, rc = knob_dom(ctx, target, &dom, &online, &ncpus);
	if (rc)
		return rc;
	int maplen = VIR_CPU_MAPLEN(ncpus);
	map = calloc(1, (size_t)maplen);
	if (!map) {
		rc = -ENOMEM;
		goto out;
	}
	rc = kvm_cpulist_parse(value, map, (size_t)maplen, ncpus);
	if (rc)
		goto out;
	for (int c = 0; strict && c < ncpus; c++)
		if (VIR_CPU_USED(map, c) && !VIR_CPU_USED(online, c)) {
			rc = -ERANGE;
			goto out;
		}
	for (int pass = 0; pass < 2; pass++) {
		/* Live only; drivers that refuse the flag (the test driver) get
		 * AFFECT_CURRENT, which is the same for a running domain. */
		unsigned fl = pass ? VIR_DOMAIN_AFFECT_CURRENT : VIR_DOMAIN_AFFECT_LIVE;
		if (obj == PIN_EMULATOR)
			rc = virDomainPinEmulator(dom, map, maplen, fl);
		else if (obj == PIN_IOTHREAD)
			rc = virDomainPinIOThread(dom, id, map, maplen, fl);
		else
			rc = virDomainPinVcpuFlags(dom, id, map, maplen, fl);
		virErrorPtr e = rc < 0 ? virGetLastError() : NULL;
		if (!e || e->code != VIR_ERR_INVALID_ARG || !strstr(e->message ? e->message : "", "flags") ||
		    virDomainIsActive(dom) != 1)
			break;
	}
	if (rc < 0) {
		char msg[32];
		snprintf(msg, sizeof msg, "pin %s", what[obj]);
		rc = vir_err(msg);
	} else if (obj == PIN_EMULATOR)
		log_info("kvm: %s: emulator pinned to %s", target, value);
	else
		log_info("kvm: %s: %s%u pinned to %s", target, what[obj], id, value);
out:
	free(map);
	free(online);
	virDomainFree(dom);
	return rc;
}

static int pin_check(const char *target, const char *value, char *why, size_t n)
{
	unsigned char map[KVM_MAX_VCPUS * 4];
	if (!target || !target[0] || strlen(target) >= BK_NAME_MAX) {
		snprintf(why, n, "target must be a domain name");
		return -EINVAL;
	}
	int rc = kvm_cpulist_parse(value, map, sizeof map, (int)sizeof map * 8);
	if (rc) {
		snprintf(why, n, "not a CPU list: '%s'", value ? value : "");
		return rc;
	}
	return 0;
}

static int vcpupin_read(void *ctx, const char *root, const char *target, const char *key, char *buf,
			size_t n)
{
	(void)root;
	unsigned v;
	if (parse_vcpu_key(key, &v))
		return -EINVAL;
	return pin_read(ctx, target, PIN_VCPU, v, buf, n);
}

static int vcpupin_write(void *ctx, const char *root, const char *target, const char *key,
			 const char *value)
{
	(void)root;
	unsigned v;
	if (parse_vcpu_key(key, &v))
		return -EINVAL;
	return pin_write(ctx, target, PIN_VCPU, v, value, 1);
}

static int vcpupin_restore(void *ctx, const char *root, const char *target, const char *key,
			   const char *value)
{
	(void)root;
	unsigned v;
	if (parse_vcpu_key(key, &v))
		return -EINVAL;
	return pin_write(ctx, target, PIN_VCPU, v, value, 0);
}

static int vcpupin_check(void *ctx, const char *target, const char *key, const char *value, char *why,
			 size_t n)
{
	(void)ctx;
	unsigned v;
	if (parse_vcpu_key(key, &v)) {
		snprintf(why, n, "key must be vcpu<N>, N < %d", KVM_MAX_VCPUS);
		return -EINVAL;
	}
	return pin_check(target, value, why, n);
}

static int emupin_read(void *ctx, const char *root, const char *target, const char *key, char *buf,
		       size_t n)
{
	(void)root;
	if (!key || strcmp(key, "emulator"))
		return -EINVAL;
	return pin_read(ctx, target, PIN_EMULATOR, 0, buf, n);
}

static int emupin_write(void *ctx, const char *root, const char *target, const char *key,
			const char *value)
{
	(void)root;
	if (!key || strcmp(key, "emulator"))
		return -EINVAL;
	return pin_write(ctx, target, PIN_EMULATOR, 0, value, 1);
}

static int emupin_restore(void *ctx, const char *root, const char *target, const char *key,
			  const char *value)
{
	(void)root;
	if (!key || strcmp(key, "emulator"))
		return -EINVAL;
	return pin_write(ctx, target, PIN_EMULATOR, 0, value, 0);
}

static int emupin_check(void *ctx, const char *target, const char *key, const char *value, char *why,
			size_t n)
{
	(void)ctx;
	if (!key || strcmp(key, "emulator")) {
		snprintf(why, n, "key must be emulator");
		return -EINVAL;
	}
	return pin_check(target, value, why, n);
}

/* "iothread<N>": libvirt's I/O thread ids start at 1 */
static int parse_iothread_key(const char *key, unsigned *id)
{
	uint64_t v;
	if (!key || strncmp(key, "iothread", 8) || parse_u64(key + 8, &v) || v < 1 || v > UINT32_MAX)
		return -EINVAL;
	*id = (unsigned)v;
	return 0;
}

static int iopin_read(void *ctx, const char *root, const char *target, const char *key, char *buf,
		      size_t n)
{
	(void)root;
	unsigned id;
	if (parse_iothread_key(key, &id))
		return -EINVAL;
	return pin_read(ctx, target, PIN_IOTHREAD, id, buf, n);
}

static int iopin_write(void *ctx, const char *root, const char *target, const char *key,
		       const char *value)
{
	(void)root;
	unsigned id;
	if (parse_iothread_key(key, &id))
		return -EINVAL;
	return pin_write(ctx, target, PIN_IOTHREAD, id, value, 1);
}

static int iopin_restore(void *ctx, const char *root, const char *target, const char *key,
			 const char *value)
{
	(void)root;
	unsigned id;
	if (parse_iothread_key(key, &id))
		return -EINVAL;
	return pin_write(ctx, target, PIN_IOTHREAD, id, value, 0);
}

static int iopin_check(void *ctx, const char *target, const char *key, const char *value, char *why,
		       size_t n)
{
	(void)ctx;
	unsigned id;
	if (parse_iothread_key(key, &id)) {
		snprintf(why, n, "key must be iothread<N>, N >= 1");
		return -EINVAL;
	}
	return pin_check(target, value, why, n);
}

const struct knob_ops kvm_knob_iothreadpin_ops = {
	.kind = "kvm-iothreadpin",
	.read = iopin_read,
	.write = iopin_write,
	.check = iopin_check,
	.restore = iopin_restore,
};

const struct knob_ops kvm_knob_vcpupin_ops = {
	.kind = "kvm-vcpupin",
	.read = vcpupin_read,
	.write = vcpupin_write,
	.check = vcpupin_check,
	.restore = vcpupin_restore,
};

const struct knob_ops kvm_knob_emulatorpin_ops = {
	.kind = "kvm-emulatorpin",
	.read = emupin_read,
	.write = emupin_write,
	.check = emupin_check,
	.restore = emupin_restore,
};

static const struct knob_ops *const kvm_knobs[] = {
	&kvm_knob_vcpupin_ops,
	&kvm_knob_emulatorpin_ops,
	&kvm_knob_iothreadpin_ops,
	&sriov_knob_numvfs_ops,
	&nt_affinity_ops,
	&pci_driver_knob_ops,
	&kvm_knob_hostdev_ops,
	NULL,
};

int kvm_knobs_register(void)
{
	for (size_t i = 0; kvm_knobs[i]; i++) {
		int rc = knob_register(kvm_knobs[i], NULL);
		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

/* ---- pin plans ---- */

static int add_change(struct kvm_pin_change *out, size_t max, size_t *n, const char *kind,
		      const char *target, const char *key, const char *value)
{
	if (*n >= max)
		return -ENOSPC;
	struct kvm_pin_change *c = &out[(*n)++];
	snprintf(c->kind, sizeof c->kind, "%s", kind);
	snprintf(c->target, sizeof c->target, "%s", target);
	snprintf(c->key, sizeof c->key, "%s", key);
	snprintf(c->value, sizeof c->value, "%s", value);
	return 0;
}

/* The host CPU each vCPU is on: its pinned CPU when pinned to exactly one,
 * else where it last ran, -1 when unknown. */
static int vcpu_cpus(virDomainPtr dom, int nv, int ncpus, int *cpu)
{
	int maplen = VIR_CPU_MAPLEN(ncpus);
	unsigned char *maps = calloc((size_t)nv, (size_t)maplen);
	virVcpuInfoPtr info = calloc((size_t)nv, sizeof *info);
	if (!maps || !info) {
		free(maps);
		free(info);
		return -ENOMEM;
	}
	for (int i = 0; i < nv; i++)
		cpu[i] = -1;
	int got = virDomainGetVcpuPinInfo(dom, nv, maps, maplen, VIR_DOMAIN_AFFECT_LIVE);
	for (int i = 0; i < got && i < nv; i++) {
		int only = -1, count = 0;
		for (int c = 0; c < ncpus; c++)
			if (VIR_CPU_USED(VIR_GET_CPUMAP(maps, maplen, i), c))
				only = c, count++;
		if (count == 1)
			cpu[i] = only;
	}
	int ni = virDomainGetVcpus(dom, info, nv, NULL, 0);
	for (int i = 0; i < ni; i++) {
		int v = (int)info[i].number;
		if (v >= 0 && v < nv && cpu[v] < 0 && info[i].cpu >= 0 && info[i].cpu < ncpus)
			cpu[v] = info[i].cpu;
	}
	free(maps);
	free(info);
	return 0;
}

int kvm_plan_pin(struct backend *b, const struct bk_guest *g, const char *mode,
		 struct kvm_pin_change *out, size_t max, size_t *n)
{
	*n = 0;
	if (!mode || (strcmp(mode, "emulator-away") && strcmp(mode, "vcpus-spread")))
		return -EINVAL;
	unsigned char *online = NULL;
	int ncpus = 0, rc = host_cpus(b->conn, &online, &ncpus);
	if (rc)
		return rc;
	virDomainPtr dom = virDomainLookupByName(b->conn, g->name);
	if (!dom) {
		free(online);
		return vir_err("plan: lookup");
	}
	virDomainInfo info;
	int nv = 0;
	int *vc = NULL;
	if (virDomainGetInfo(dom, &info) < 0) {
		rc = vir_err("plan: domain info");
		goto out;
	}
	nv = (int)info.nrVirtCpu;
	if (nv <= 0 || nv > KVM_MAX_VCPUS) {
		rc = -ERANGE;
		goto out;
	}
	int on[1024], non = 0;
	for (int c = 0; c < ncpus && non < 1024; c++)
		if (VIR_CPU_USED(online, c))
			on[non++] = c;
	if (!non) {
		rc = -ENODEV;
		goto out;
	}
	char val[KNOB_VALUE_MAX], key[16];
	if (!strcmp(mode, "vcpus-spread")) {
		if ((size_t)nv > max) {
			rc = -ENOSPC;
			goto out;
		}
		for (int i = 0; i < nv; i++) {
			snprintf(key, sizeof key, "vcpu%d", i);
			snprintf(val, sizeof val, "%d", on[i % non]);
			add_change(out, max, n, "kvm-vcpupin", g->name, key, val);
		}
		goto out;
	}
	/* emulator-away */
	vc = calloc((size_t)nv, sizeof *vc);
	if (!vc) {
		rc = -ENOMEM;
		goto out;
	}
	rc = vcpu_cpus(dom, nv, ncpus, vc);
	if (rc)
		goto out;
	const struct prev *p = prev_peek(b, g);
	int have = p && p->have_vbusy && p->nv == nv;
	double mx = -1;
	int hottest = 0;
	for (int i = 0; have && i < nv; i++)
		if (p->vbusy[i] > mx)
			mx = p->vbusy[i], hottest = i;
	int maplen = VIR_CPU_MAPLEN(ncpus);
	unsigned char *map = calloc(1, (size_t)maplen);
	if (!map) {
		rc = -ENOMEM;
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		memcpy(map, online, (size_t)maplen);
		for (int i = 0; i < nv; i++) {
			int hot = pass == 0 ? (!have || p->vbusy[i] >= mx / 2) : i == hottest;
			if (hot && vc[i] >= 0)
				VIR_UNUSE_CPU(map, vc[i]);
		}
		int any = 0;
		for (int c = 0; c < ncpus; c++)
			any |= VIR_CPU_USED(map, c);
		if (any) {
			rc = cpulist_format(map, ncpus, val, sizeof val);
			if (!rc)
				rc = add_change(out, max, n, "kvm-emulatorpin", g->name, "emulator", val);
			break;
		}
	}
	free(map);
out:
	free(vc);
	free(online);
	virDomainFree(dom);
	return rc;
}

/* plan_pin: kvm_plan_pin's changes through fn. */
static int kvm_plan_pin_op(struct backend *b, const struct bk_guest *g, const char *mode,
			   act_change_fn fn, void *arg, char *why, size_t n)
{
	struct kvm_pin_change v[KVM_MAX_VCPUS + 1];
	size_t cnt = 0;
	int r = kvm_plan_pin(b, g, mode, v, sizeof v / sizeof v[0], &cnt);
	if (r < 0) {
		snprintf(why, n, "pin %s for %s: %s", mode, g->name, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < cnt && i < sizeof v / sizeof v[0]; i++)
		if ((r = fn(arg, v[i].kind, v[i].target, v[i].key, v[i].value)))
			return r;
	return 0;
}

/* Every guest's vCPU pin maps (allowed CPUs) ORed into map; the CPU each
 * vCPU is on into cpu (nv of them, KVM_MAX_VCPUS max). */
static int guest_vcpus(struct backend *b, const struct bk_guest *g, int ncpus, int *cpu, int *nv,
		       unsigned char *used)
{
	virDomainPtr dom = virDomainLookupByName(b->conn, g->name);
	virDomainInfo info;
	int rc = 0;
	*nv = 0;
	if (!dom)
		return vir_err("plan: lookup");
	if (virDomainGetInfo(dom, &info) < 0 || info.nrVirtCpu == 0 || info.nrVirtCpu > KVM_MAX_VCPUS) {
		rc = -ERANGE;
		goto out;
	}
	*nv = (int)info.nrVirtCpu;
	if ((rc = vcpu_cpus(dom, *nv, ncpus, cpu)))
		goto out;
	int maplen = VIR_CPU_MAPLEN(ncpus);
	unsigned char *maps = calloc((size_t)*nv, (size_t)maplen);
	if (!maps) {
		rc = -ENOMEM;
		goto out;
	}
	int got = virDomainGetVcpuPinInfo(dom, *nv, maps, maplen, VIR_DOMAIN_AFFECT_LIVE);
	for (int i = 0; used && i < got; i++)
		for (int k = 0; k < maplen; k++)
			used[k] |= VIR_GET_CPUMAP(maps, maplen, i)[k];
	free(maps);
out:
	virDomainFree(dom);
	return rc;
}

/* One "kvm-iothreadpin" change per I/O thread of the domain (libvirt's
 * <iothreads>), onto list. A domain without any, or a driver that cannot
 * tell, plans none. */
static int iothreads_plan(struct backend *b, const char *name, const char *list, act_change_fn fn,
			  void *arg)
{
	virDomainPtr dom = virDomainLookupByName(b->conn, name);
	virDomainIOThreadInfoPtr *info = NULL;
	int got = dom ? virDomainGetIOThreadInfo(dom, &info, VIR_DOMAIN_AFFECT_LIVE) : -1, rc = 0;
	char key[24];
	if (got < 0)
		virResetLastError();
	for (int i = 0; i < got; i++) {
		snprintf(key, sizeof key, "iothread%u", info[i]->iothread_id);
		if (!rc)
			rc = fn(arg, "kvm-iothreadpin", name, key, list);
		virDomainIOThreadInfoFree(info[i]);
	}
	free(info);
	if (dom)
		virDomainFree(dom);
	return rc;
}

/* "housekeeping": QEMU's housekeeping threads (main loop, I/O threads,
 * vhost workers) of every guest get the CPUs their measured load needs;
 * every guest's vCPUs the others. "net-threads": every guest's vhost
 * workers spread by load over the CPUs no vCPU is pinned to (all online
 * ones when every CPU has vCPUs). */
static int kvm_plan_pin_host_op(struct backend *b, const struct bk_guest *const *gs, size_t ng,
				const char *mode, act_change_fn fn, void *arg, char *why, size_t n)
{
	int hkmode = !strcmp(mode, "housekeeping");
	if (!hkmode && strcmp(mode, "net-threads")) {
		snprintf(why, n, "pin %s: not a KVM host-wide pinning mode", mode);
		return -EOPNOTSUPP;
	}
	unsigned char *online = NULL;
	int ncpus = 0, rc = host_cpus(b->conn, &online, &ncpus);
	if (rc)
		return rc;
	if (ncpus > PIN_MAX_CPUS)
		ncpus = PIN_MAX_CPUS;
	uint8_t on[PIN_MAPLEN] = { 0 }, hk_set[PIN_MAPLEN], gset[PIN_MAPLEN], used[PIN_MAPLEN] = { 0 };
	memcpy(on, online, (size_t)VIR_CPU_MAPLEN(ncpus) < sizeof on ? (size_t)VIR_CPU_MAPLEN(ncpus) : sizeof on);
	free(online);
	int *cpus = calloc((ng ? ng : 1) * KVM_MAX_VCPUS, sizeof *cpus), *nv = calloc(ng + 1, sizeof *nv);
	struct pin_guest *pg = calloc(ng + 1, sizeof *pg);
	struct pin_task *hk = calloc((ng + 1) * NT_MAX, sizeof *hk);
	const struct nt_thread **vt = calloc((ng + 1) * NT_MAX, sizeof *vt);
	double *vl = calloc((ng + 1) * NT_MAX, sizeof *vl);
	int *vc = calloc((ng + 1) * NT_MAX, sizeof *vc);
	size_t nhk = 0, nvt = 0;
	char list[KNOB_VALUE_MAX], glist[KNOB_VALUE_MAX], key[32], target[48];
	if (!cpus || !nv || !pg || !hk || !vt || !vl || !vc) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t g = 0; g < ng; g++) {
		if (guest_vcpus(b, gs[g], ncpus, cpus + g * KVM_MAX_VCPUS, &nv[g], used))
			nv[g] = 0;
		pg[g] = (struct pin_guest){ cpus + g * KVM_MAX_VCPUS, (size_t)nv[g] };
		const struct prev *p = prev_peek(b, gs[g]);
		for (size_t i = 0; p && i < p->nhk; i++)
			hk[nhk++] = (struct pin_task){ p->hk[i].cpu, p->hk_load[i] };
		for (size_t i = 0; p && i < p->nvh; i++) {
			vt[nvt] = &p->vh[i];
			vl[nvt++] = p->vh_load[i];
		}
	}
	if (!hkmode) {
		uint8_t set[PIN_MAPLEN];
		int any = 0;
		for (size_t k = 0; k < sizeof set; k++)
			any |= set[k] = on[k] & (uint8_t)~used[k];
		if (!any)
			memcpy(set, on, sizeof set);
		if (!nvt) {
			snprintf(why, n, "no vhost workers found (vhost=off, or no vhost-net on this host)");
			rc = -ENOENT;
			goto out;
		}
		if ((rc = pin_spread(vl, nvt, set, ncpus, vc)))
			goto out;
		for (size_t i = 0; i < nvt; i++) {
			nt_target(vt[i], target, sizeof target);
			snprintf(list, sizeof list, "%d", vc[i]);
			if ((rc = fn(arg, "task_affinity", target, vt[i]->comm, list)))
				goto out;
		}
		goto out;
	}
	int need;
	struct pin_in in = { ncpus, on, hk, nhk, 0, pg, ng };
	if ((rc = pin_plan_housekeeping(&in, hk_set, &need, why, n)))
		goto out;
	pin_guest_set(on, hk_set, ncpus, gset);
	if ((rc = cpulist_format(hk_set, ncpus, list, sizeof list)) ||
	    (rc = cpulist_format(gset, ncpus, glist, sizeof glist)))
		goto out;
	for (size_t g = 0; g < ng; g++) {
		for (int v = 0; v < nv[g]; v++) {
			snprintf(key, sizeof key, "vcpu%d", v);
			if ((rc = fn(arg, "kvm-vcpupin", gs[g]->name, key, glist)))
				goto out;
		}
		if (nv[g] && (rc = fn(arg, "kvm-emulatorpin", gs[g]->name, "emulator", list)))
			goto out;
		if (nv[g] && (rc = iothreads_plan(b, gs[g]->name, list, fn, arg)))
			goto out;
	}
	for (size_t i = 0; i < nvt; i++) {
		nt_target(vt[i], target, sizeof target);
		if ((rc = fn(arg, "task_affinity", target, vt[i]->comm, list)))
			goto out;
	}
out:
	free(cpus);
	free(nv);
	free(pg);
	free(hk);
	free(vt);
	free(vl);
	free(vc);
	return rc;
}

static const char *const kvm_pin_modes[] = { "emulator-away", "vcpus-spread", NULL };
static const char *const kvm_pin_host_modes[] = { "housekeeping", "net-threads", NULL };
/* root-only sysfs and rtnetlink: the privileged parent performs them */
static const char *const kvm_privileged[] = { "sriov-numvfs", "task_affinity", "pci-driver",
					       NULL };

/* plan_pci_attach: one VF for g (kvm_sriov_plan under the backend's root). */
static int kvm_plan_pci_attach_op(struct backend *b, const struct bk_guest *g,
				  const struct sriov_conf *conf, const char *want_vf,
				  act_change_fn fn, void *arg, char *why, size_t n)
{
	return kvm_sriov_plan(b, b->root, g, conf, want_vf, fn, arg, why, n);
}

static int kvm_pci_view_op(struct backend *b, struct sriov_view *v)
{
	return kvm_sriov_view(b, b->root, v);
}

/* libvirt's channel sockets, and /run/vtune for hand-made ones. */
static int kvm_privsep_dirs(const char *uri, const char **dirs, size_t max, char *buf,
			    size_t bufn, char *why, size_t n)
{
	static const char *const mine[] = { "/var/lib/libvirt/qemu/channel",
					    "/run/libvirt/qemu/channel", "/run/vtune" };
	(void)uri, (void)buf, (void)bufn;
	if (max < 4) {
		snprintf(why, n, "too few directory slots");
		return -ENOSPC;
	}
	for (size_t i = 0; i < 3; i++)
		dirs[i] = mine[i];
	dirs[3] = NULL;
	return 3;
}

const struct backend_ops backend_kvm_ops = {
	.name = "kvm",
	.open = kvm_open,
	.close = kvm_close,
	.list = kvm_list,
	.event_fd = kvm_event_fd_op,
	.dispatch = kvm_dispatch,
	.host_view = kvm_host_view,
	.plan_pin = kvm_plan_pin_op,
	.pin_modes = kvm_pin_modes,
	.plan_pin_host = kvm_plan_pin_host_op,
	.pin_host_modes = kvm_pin_host_modes,
	.guest_filters = kvm_guest_filters,
	.plan_pci_attach = kvm_plan_pci_attach_op,
	.pci_view = kvm_pci_view_op,
	.knobs = kvm_knobs,
	.privileged_knobs = kvm_privileged,
	.privsep_dirs = kvm_privsep_dirs,
};
