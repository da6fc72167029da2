/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen: the Xen backend for vtune-hostd (backend_xen_ops) on libxenctrl and
 * libxenstore: domains, xenstore watches, the agent's xenstore keys, the
 * hypervisor's part of the host view, vCPU pinning knobs and plans, PCI
 * assignment. */
#include "cpulist.h"
#include "netthreads.h"
#include "pinplan.h"
#include "xen.h"
#include "xen_bridge.h"
#include "xen_parts.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Xen's public headers need GNU C (anonymous unions, aligned attributes);
 * -std=c11 defines __STRICT_ANSI__, which makes them refuse. */
#undef __STRICT_ANSI__
#include <xenctrl.h>
#include <xenstore.h>

#include "kfs.h"
#include "parse.h"
#include "pci_driver.h"
#include "sriov.h"
#include "wire.h"
#include "xen_sriov.h"

/* One domain the backend follows. */
struct xguest {
	int used;
	struct bk_guest g;
	int watched;	    /* watch on its data/vtune/seq is set */
	int channel_up;	    /* data/vtune/seq exists */
	int seq_seen;
	uint64_t last_seq;  /* data/vtune/seq last acted on */
	int ctl_ready;	    /* control/vtune made with dom0-only write */
	uint64_t prev_cpu_ns, prev_ns; /* sum of vCPU time, for the rate */
	double busy;	    /* vCPU time rate, % of its vCPUs, -1 unknown */
	struct nt_thread nt[NT_MAX]; /* its netback kthreads, last sample */
	double nt_load[NT_MAX];	     /* their CPU % since the sample before */
	size_t nnt;
	uint64_t nt_ns;
	uint64_t vcpu_prev[XEN_MAX_VCPUS]; /* each vCPU's time at prev_ns */
	size_t nvcpu_prev;
};

struct backend {
	xc_interface *xch;
	struct xs_handle *xs;
	char root[PATH_MAX];
	struct xguest gs[XEN_MAX_TRACKED];
	xen_report_fn report_fn;
	void *report_arg;
	/* dom0's /proc/stat and the physical CPUs' idle time, last sample */
	char *stat_prev;
	uint64_t stat_ns;
	double dom0_pct[XEN_MAX_VCPUS]; /* each dom0 vCPU's busy %, -1 unknown */
	int dom0_known;
	uint64_t *idle_prev;
	int nidle;
	uint64_t idle_ns;
	double pcpu_max;
	double *pcpu_busy; /* each physical CPU's busy %, nidle of them */
	int pcpu_known;
	struct xen_dom0_size dom0; /* xl info's view of dom0, read every minute */
	uint64_t dom0_size_ns;
};

#define TOK_DOM "vtune-dom"
#define TOK_DATA "vtune-data"
#define SAMPLE_MIN_NS 200000000ull /* host-wide samples closer than this are reused */
#define DATA_SEQ "data/vtune/seq"

/* libxenctrl logs to stderr by default; hostd reports errors itself. */
static void null_vmessage(struct xentoollog_logger *l, xentoollog_level lv, int e,
			  const char *ctx, const char *fmt, va_list ap)
{
	(void)l, (void)lv, (void)e, (void)ctx, (void)fmt, (void)ap;
}
static void null_destroy(struct xentoollog_logger *l)
{
	(void)l;
}
static struct xentoollog_logger null_logger = {
	.vmessage = null_vmessage,
	.destroy = null_destroy,
};

static struct backend *xen_open(const char *uri, const char *root, int *err, char *why,
				size_t n)
{
	(void)uri;
	struct backend *b = calloc(1, sizeof *b);
	if (!b) {
		*err = -ENOMEM;
		snprintf(why, n, "out of memory");
		return NULL;
	}
	if (xen_set_root(b, root ? root : "/")) {
		*err = -ENAMETOOLONG;
		snprintf(why, n, "root %s: path too long", root);
		free(b);
		return NULL;
	}
	b->xch = xc_interface_open(&null_logger, &null_logger, 0);
	if (!b->xch) {
		*err = errno ? -errno : -ENODEV;
		snprintf(why, n, "no Xen here: xc_interface_open failed (is this dom0?)");
		goto fail;
	}
	b->xs = xs_open(0);
	if (!b->xs) {
		*err = errno ? -errno : -ENODEV;
		snprintf(why, n, "xs_open failed: %s (is xenstored running?)", strerror(errno));
		goto fail;
	}
	if (!xs_watch(b->xs, "@introduceDomain", TOK_DOM) ||
	    !xs_watch(b->xs, "@releaseDomain", TOK_DOM)) {
		*err = errno ? -errno : -EIO;
		snprintf(why, n, "xs_watch @introduceDomain/@releaseDomain: %s", strerror(errno));
		goto fail;
	}
	return b;
fail:
	if (b->xs)
		xs_close(b->xs);
	if (b->xch)
		xc_interface_close(b->xch);
	free(b);
	return NULL;
}

static void xen_close(struct backend *b)
{
	if (!b)
		return;
	xs_close(b->xs); /* drops its watches */
	xc_interface_close(b->xch);
	free(b->stat_prev);
	free(b->idle_prev);
	free(b->pcpu_busy);
	free(b);
}

int xen_set_root(struct backend *b, const char *root)
{
	if (!root || strlen(root) >= sizeof b->root)
		return -ENAMETOOLONG;
	strcpy(b->root, root);
	return 0;
}

void xen_set_report_fn(struct backend *b, xen_report_fn fn, void *arg)
{
	b->report_fn = fn;
	b->report_arg = arg;
}

/* xs_read of an absolute path into buf (n bytes) with its length bounded;
 * only printable ASCII is kept as is. 0, -ENOENT, -EOVERFLOW. */
static int xs_read_str(struct backend *b, const char *path, char *buf, size_t n)
{
	unsigned int len;
	char *v = xs_read(b->xs, XBT_NULL, path, &len);
	if (!v)
		return errno == ENOENT || !errno ? -ENOENT : -errno;
	int rc = 0;
	if (len >= n) {
		rc = -EOVERFLOW;
	} else {
		for (unsigned i = 0; i < len; i++)
			buf[i] = v[i] > 0x20 && v[i] < 0x7f ? v[i] : '_';
		buf[len] = '\0';
	}
	free(v);
	return rc;
}

static int ifname_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= 0x20 || s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Fill g from the hypervisor's info and xenstore. */
static void guest_fill(struct backend *b, const xc_domaininfo_t *info, struct bk_guest *g)
{
	char path[128], val[64];
	const uint8_t *h = info->handle;
	memset(g, 0, sizeof *g);
	g->domid = info->domain;
	g->nvcpus = info->max_vcpu_id == XEN_INVALID_MAX_VCPU_ID ? 0 : (int)info->max_vcpu_id + 1;
	snprintf(g->uuid, sizeof g->uuid,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0],
		 h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13],
		 h[14], h[15]);
	snprintf(path, sizeof path, "/local/domain/%d/name", g->domid);
	if (xs_read_str(b, path, g->name, sizeof g->name))
		snprintf(g->name, sizeof g->name, "domain-%d", g->domid);
	/* the first vif's backend in dom0: vif<domid>.0 and the bridge it is on */
	snprintf(path, sizeof path, "/local/domain/0/backend/vif/%d/0/state", g->domid);
	if (!xs_read_str(b, path, val, sizeof val)) {
		snprintf(g->tap, sizeof g->tap, "vif%d.0", g->domid);
		snprintf(path, sizeof path, "/local/domain/0/backend/vif/%d/0/bridge", g->domid);
		if (!xs_read_str(b, path, val, sizeof val) && ifname_ok(val))
			snprintf(g->bridge, sizeof g->bridge, "%s", val);
	}
}

static struct xguest *find(struct backend *b, int domid)
{
	for (int i = 0; i < XEN_MAX_TRACKED; i++)
		if (b->gs[i].used && b->gs[i].g.domid == domid)
			return &b->gs[i];
	return NULL;
}

static void data_path(int domid, const char *key, char *path, size_t n)
{
	snprintf(path, n, "/local/domain/%d/data/vtune/%s", domid, key);
}

static void untrack(struct backend *b, struct xguest *x)
{
	if (x->watched) {
		char path[96];
		data_path(x->g.domid, "seq", path, sizeof path);
		xs_unwatch(b->xs, path, TOK_DATA);
	}
	memset(x, 0, sizeof *x);
}

static struct xguest *track(struct backend *b, const struct bk_guest *g)
{
	for (int i = 0; i < XEN_MAX_TRACKED; i++) {
		struct xguest *x = &b->gs[i];
		if (x->used)
			continue;
		memset(x, 0, sizeof *x);
		x->used = 1;
		x->g = *g;
		x->busy = -1;
		char path[96];
		data_path(g->domid, "seq", path, sizeof path);
		/* fires once at once, then on each write of the guest's seq */
		x->watched = xs_watch(b->xs, path, TOK_DATA);
		return x;
	}
	return NULL; /* more guests than XEN_MAX_TRACKED: not followed */
}

/* Bring the tracked set in line with the hypervisor's domain list; fn (if
 * not NULL) gets GUEST_UP / GUEST_DOWN for each difference. */
static int sync_domains(struct backend *b, bk_event_fn fn, void *arg)
{
	enum { MAXD = 1024 };
	xc_domaininfo_t *info = calloc(MAXD, sizeof *info);
	if (!info)
		return -ENOMEM;
	int nd = xc_domain_getinfolist(b->xch, 0, MAXD, info);
	if (nd < 0) {
		int e = -errno;
		free(info);
		return e ? e : -EIO;
	}
	for (int i = 0; i < XEN_MAX_TRACKED; i++) {
		struct xguest *x = &b->gs[i];
		if (!x->used)
			continue;
		int alive = 0;
		for (int k = 0; k < nd && !alive; k++)
			alive = info[k].domain == x->g.domid && !(info[k].flags & XEN_DOMINF_dying);
		if (!alive) {
			struct bk_guest g = x->g;
			untrack(b, x);
			if (fn)
				fn(arg, BK_GUEST_DOWN, &g);
		}
	}
	for (int k = 0; k < nd; k++) {
		if (info[k].domain == 0 || (info[k].flags & XEN_DOMINF_dying) ||
		    find(b, info[k].domain))
			continue;
		struct bk_guest g;
		guest_fill(b, &info[k], &g);
		if (track(b, &g) && fn)
			fn(arg, BK_GUEST_UP, &g);
	}
	free(info);
	return 0;
}

static int xen_list(struct backend *b, bk_event_fn fn, void *arg)
{
	int rc = sync_domains(b, NULL, NULL);
	if (rc)
		return rc;
	for (int i = 0; i < XEN_MAX_TRACKED; i++)
		if (b->gs[i].used)
			fn(arg, BK_GUEST_UP, &b->gs[i].g);
	return 0;
}

static int xen_event_fd(struct backend *b)
{
	return xs_fileno(b->xs);
}

/* The guest's seq key changed (or its watch was set): act once per new seq. */
static void seq_event(struct backend *b, struct xguest *x, bk_event_fn fn, void *arg)
{
	uint64_t seq;
	int rc = xen_read_seq(b, x->g.domid, &seq);
	if (rc == -ENOENT) {
		if (x->channel_up) {
			x->channel_up = 0;
			x->seq_seen = 0;
			fn(arg, BK_CHANNEL_DOWN, &x->g);
		}
		return;
	}
	if (rc)
		return; /* garbage in seq: nothing to act on */
	if (!x->channel_up) {
		x->channel_up = 1;
		fn(arg, BK_CHANNEL_UP, &x->g);
	}
	if (x->seq_seen && seq == x->last_seq)
		return;
	x->seq_seen = 1;
	x->last_seq = seq;
	if (b->report_fn)
		b->report_fn(b->report_arg, &x->g, seq);
}

static int xen_dispatch(struct backend *b, bk_event_fn fn, void *arg)
{
	int rescan = 0;
	char **ev;
	unsigned int budget = 1024; /* events per call: one flooding guest cannot hold us */
	while (budget-- && (ev = xs_check_watch(b->xs))) {
		const char *path = ev[XS_WATCH_PATH], *tok = ev[XS_WATCH_TOKEN];
		int domid;
		if (!strcmp(tok, TOK_DOM)) {
			rescan = 1;
		} else if (!strcmp(tok, TOK_DATA) && !xen_path_domid(path, DATA_SEQ, &domid)) {
			/* the domain is the one in the watched path, never what it wrote */
			struct xguest *x = find(b, domid);
			if (x)
				seq_event(b, x, fn, arg);
		}
		free(ev);
	}
	return rescan ? sync_domains(b, fn, arg) : 0;
}

int xen_vcpus(struct backend *b, int domid, struct xen_vcpu *out, size_t max, size_t *n)
{
	xc_domaininfo_t info;
	if (!b || domid < 0)
		return -EINVAL;
	if (xc_domain_getinfolist(b->xch, (uint32_t)domid, 1, &info) != 1 ||
	    info.domain != domid)
		return -ENOENT;
	*n = 0;
	if (info.max_vcpu_id == XEN_INVALID_MAX_VCPU_ID)
		return 0;
	for (uint32_t v = 0; v <= info.max_vcpu_id && v < XEN_MAX_VCPUS; v++) {
		xc_vcpuinfo_t vi;
		if (xc_vcpu_getinfo(b->xch, (uint32_t)domid, v, &vi))
			return errno ? -errno : -EIO;
		if (*n < max) {
			out[*n].cpu = vi.online ? (int)vi.cpu : -1;
			out[*n].online = vi.online;
			out[*n].cpu_ns = vi.cpu_time;
		}
		(*n)++;
	}
	return 0;
}

/* dom0's CPU load from its /proc/stat, sampled at most every SAMPLE_MIN_NS:
 * each vCPU's, for the dom0-away plan (the metrics are the host view's). */
static void dom0_sample(struct backend *b, uint64_t now_ns)
{
	if (b->stat_prev && now_ns - b->stat_ns < SAMPLE_MIN_NS)
		return;
	char *cur;
	size_t len;
	if (kfs_read_alloc(b->root, "proc/stat", &cur, &len))
		return;
	if (b->stat_prev && now_ns > b->stat_ns &&
	    xen_stat_each(b->stat_prev, cur, b->dom0_pct, XEN_MAX_VCPUS) > 0)
		b->dom0_known = 1;
	free(b->stat_prev);
	b->stat_prev = cur;
	b->stat_ns = now_ns;
}

/* The physical CPUs' busy time from the hypervisor's idle time. */
static void pcpu_sample(struct backend *b, uint64_t now_ns)
{
	if (b->idle_prev && now_ns - b->idle_ns < SAMPLE_MIN_NS)
		return;
	xc_cpuinfo_t *ci = calloc(XEN_MAX_CPUS, sizeof *ci);
	uint64_t *idle = calloc(XEN_MAX_CPUS, sizeof *idle);
	int nr = 0;
	if (!ci || !idle || xc_getcpuinfo(b->xch, XEN_MAX_CPUS, ci, &nr) || nr <= 0) {
		free(ci);
		free(idle);
		return;
	}
	for (int i = 0; i < nr; i++)
		idle[i] = ci[i].idletime;
	free(ci);
	if (b->idle_prev && nr == b->nidle && now_ns > b->idle_ns) {
		double dt = (double)(now_ns - b->idle_ns), mx = 0;
		double *pb = realloc(b->pcpu_busy, (size_t)nr * sizeof *pb);
		if (pb)
			b->pcpu_busy = pb;
		for (int i = 0; i < nr; i++) {
			double d = idle[i] >= b->idle_prev[i] ? (double)(idle[i] - b->idle_prev[i]) : 0;
			double busy = 100.0 * (1.0 - d / dt);
			busy = busy < 0 ? 0 : busy > 100 ? 100 : busy;
			if (pb)
				pb[i] = busy;
			if (busy > mx)
				mx = busy;
		}
		b->pcpu_max = mx < 0 ? 0 : mx > 100 ? 100 : mx;
		b->pcpu_known = 1;
	}
	free(b->idle_prev);
	b->idle_prev = idle;
	b->nidle = nr;
	b->idle_ns = now_ns;
}

/* The guest's netback kthreads in dom0: their CPU and run delay since the
 * last sample (host.netthread.*), kept for the net-threads placement. */
static void netback_sample(struct backend *b, struct xguest *x, uint64_t now_ns, struct mvec *host)
{
	struct nt_thread cur[NT_MAX];
	double each[NT_MAX], cpu, delay;
	size_t n = 0;
	if (nt_find(b->root, NT_NETBACK, x->g.domid, cur, NT_MAX, &n))
		return;
	if (x->nnt && now_ns > x->nt_ns &&
	    !nt_rates(x->nt, x->nnt, cur, n, now_ns - x->nt_ns, &cpu, &delay, each)) {
		mvec_set(host, M_HOST_NETTHREAD_CPU, cpu);
		mvec_set(host, M_HOST_NETTHREAD_DELAY, delay);
		memcpy(x->nt_load, each, n * sizeof each[0]);
	} else {
		memset(x->nt_load, 0, sizeof x->nt_load);
	}
	memcpy(x->nt, cur, n * sizeof cur[0]);
	x->nnt = n;
	x->nt_ns = now_ns;
}

/* dom0 cannot see how long a guest's vCPUs wait to run (Xen keeps runstate
 * times per vCPU, but gives them to the guest itself, not to the domctl we
 * have): host.vcpu.delay stays unset, and the steal the guest reports
 * (guest.cpu.steal, from its runstate) is the signal. What dom0 sees is how
 * much CPU the vCPUs got (cpu_time rate), the physical CPUs' idle time and
 * dom0's own load. */
/* dom0's size as `xl info` and `xl list` show it, at most once a minute:
 * physical CPUs, the Xen command line, dom0's vCPUs and memory. */
static void dom0_size_sample(struct backend *b, uint64_t now_ns)
{
	if (b->dom0_size_ns && now_ns - b->dom0_size_ns < 60ull * 1000000000ull)
		return;
	b->dom0_size_ns = now_ns ? now_ns : 1;
	xc_physinfo_t pi;
	xc_dominfo_t di;
	static xen_commandline_t cmdline;
	memset(&pi, 0, sizeof pi);
	memset(&di, 0, sizeof di);
	memset(cmdline, 0, sizeof cmdline);
	if (xc_physinfo(b->xch, &pi))
		return;
	unsigned vcpus = 0;
	uint64_t mem_kb = 0;
	if (xc_domain_getinfo(b->xch, 0, 1, &di) == 1 && di.domid == 0) {
		vcpus = di.max_vcpu_id + 1;
		mem_kb = (uint64_t)di.nr_pages * (XC_PAGE_SIZE / 1024);
	}
	if (xc_version(b->xch, XENVER_commandline, &cmdline) < 0)
		cmdline[0] = '\0';
	cmdline[sizeof cmdline - 1] = '\0';
	xen_dom0_sizing(cmdline, pi.nr_cpus, vcpus, mem_kb, &b->dom0);
}

static int xen_host_view(struct backend *b, const struct bk_guest *g, uint64_t now_ns,
			 struct mvec *host)
{
	dom0_sample(b, now_ns);
	pcpu_sample(b, now_ns);
	dom0_size_sample(b, now_ns);
	xen_dom0_metrics(&b->dom0, host);
	/* dom0's own load (host.dom0.*, host.cpu.busy_max from its /proc/stat)
	 * is the common host view's (hostnet/host_view.h); the physical CPUs'
	 * busiest, which only the hypervisor sees, raises host.cpu.busy_max */
	if (b->pcpu_known && (!mvec_has(host, M_HOST_CPU_BUSY_MAX) ||
			      mvec_get(host, M_HOST_CPU_BUSY_MAX) < b->pcpu_max))
		mvec_set(host, M_HOST_CPU_BUSY_MAX, b->pcpu_max);
	(void)xen_sriov_metrics(b, b->root, g, now_ns, host); /* no SR-IOV here: unset */
	struct xguest *x = find(b, g->domid);
	if (!x)
		return 0;
	struct xen_vcpu v[XEN_MAX_VCPUS];
	size_t n = 0;
	int rc = xen_vcpus(b, g->domid, v, XEN_MAX_VCPUS, &n);
	if (rc)
		return rc;
	uint64_t sum = 0;
	int online = 0;
	for (size_t i = 0; i < n && i < XEN_MAX_VCPUS; i++) {
		sum += v[i].cpu_ns;
		online += v[i].online;
	}
	if (x->prev_ns && now_ns > x->prev_ns && sum >= x->prev_cpu_ns && online > 0)
		x->busy = 100.0 * (double)(sum - x->prev_cpu_ns) / (double)(now_ns - x->prev_ns) /
			  online;
	/* per vCPU: the busiest one's time (corroborates the guest's busy_max)
	 * and what else ran on the physical CPUs under them (its steal) */
	if (x->prev_ns && now_ns > x->prev_ns && n == x->nvcpu_prev && n <= XEN_MAX_VCPUS) {
		double vb[XEN_MAX_VCPUS], mx = 0, cont;
		for (size_t i = 0; i < n; i++) {
			vb[i] = v[i].cpu_ns >= x->vcpu_prev[i]
					? 100.0 * (double)(v[i].cpu_ns - x->vcpu_prev[i]) /
						  (double)(now_ns - x->prev_ns)
					: 0;
			if (v[i].online && vb[i] > mx)
				mx = vb[i];
		}
		mvec_set(host, M_HOST_VCPU_BUSY_MAX, mx > 100 ? 100 : mx);
		if (b->pcpu_known && b->pcpu_busy &&
		    xen_contention(b->pcpu_busy, b->nidle, v, vb, n, &cont) == 0)
			mvec_set(host, M_HOST_VCPU_CONTENTION, cont);
	}
	for (size_t i = 0; i < n && i < XEN_MAX_VCPUS; i++)
		x->vcpu_prev[i] = v[i].cpu_ns;
	x->nvcpu_prev = n;
	x->prev_cpu_ns = sum;
	x->prev_ns = now_ns;
	netback_sample(b, x, now_ns, host);
	return 0;
}

int xen_contention(const double *pcpu_busy, int npcpu, const struct xen_vcpu *v,
		   const double *vbusy, size_t n, double *pct)
{
	double sum = 0;
	int k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].online || v[i].cpu < 0 || v[i].cpu >= npcpu)
			continue;
		double other = pcpu_busy[v[i].cpu] - vbusy[i];
		sum += other < 0 ? 0 : other > 100 ? 100 : other;
		k++;
	}
	if (!k)
		return -ENODATA;
	*pct = sum / k;
	return 0;
}

int xen_guest_busy(struct backend *b, int domid, double *pct)
{
	struct xguest *x = find(b, domid);
	if (!x)
		return -ENOENT;
	if (x->busy < 0)
		return -EAGAIN;
	*pct = x->busy;
	return 0;
}

/* ---- the agent's xenstore keys ---- */

int xen_read_seq(struct backend *b, int domid, uint64_t *seq)
{
	char path[96];
	unsigned int len;
	if (!b || !b->xs)
		return -ENOTCONN;
	if (domid <= 0)
		return -EINVAL;
	data_path(domid, "seq", path, sizeof path);
	char *v = xs_read(b->xs, XBT_NULL, path, &len);
	if (!v)
		return errno == ENOENT || !errno ? -ENOENT : -EIO;
	int rc = xen_seq_parse(v, len, seq);
	free(v);
	return rc;
}

/* xen_parts_read_fn in a transaction of b. */
struct txn_read {
	struct backend *b;
	int domid;
	xs_transaction_t t;
};

static int txn_read(void *arg, const char *key, char **val, size_t *len)
{
	struct txn_read *x = arg;
	char path[96];
	unsigned int l;
	data_path(x->domid, key, path, sizeof path);
	errno = 0;
	*val = xs_read(x->b->xs, x->t, path, &l);
	if (!*val)
		return errno == ENOENT || !errno ? -ENOENT : -EIO;
	*len = l;
	return 0;
}

/* The report, its parts read in one transaction: a commit that conflicts
 * (the guest wrote meanwhile) reads them again. */
static int read_report(struct backend *b, int domid, char *buf, size_t n, char *why, size_t whyn)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		struct txn_read x = { b, domid, xs_transaction_start(b->xs) };
		if (x.t == XBT_NULL)
			return -EIO;
		int rc = xen_report_join(txn_read, &x, buf, n, why, whyn);
		if (xs_transaction_end(b->xs, x.t, false))
			return rc;
		if (errno != EAGAIN)
			return errno ? -errno : -EIO;
	}
	return -EAGAIN;
}

int xen_read_report(struct backend *b, int domid, char *buf, size_t n, char *why, size_t whyn)
{
	if (why && whyn)
		why[0] = '\0';
	if (!b || !b->xs)
		return -ENOTCONN;
	if (domid <= 0)
		return -EINVAL;
	return read_report(b, domid, buf, n, why, whyn);
}

int xen_read_msg(struct backend *b, int domid, const char *key, char *buf, size_t n)
{
	char path[96];
	unsigned int len;
	if (!b || !b->xs)
		return -ENOTCONN;
	if (domid <= 0 || !key || (strcmp(key, "hello") && strcmp(key, "report") && strcmp(key, "ack")))
		return -EINVAL;
	if (!strcmp(key, "report"))
		return read_report(b, domid, buf, n, NULL, 0);
	data_path(domid, key, path, sizeof path);
	char *v = xs_read(b->xs, XBT_NULL, path, &len);
	if (!v)
		return errno == ENOENT || !errno ? -ENOENT : -EIO;
	int rc = xen_value_check(v, len);
	if (!rc && len >= n)
		rc = -EOVERFLOW;
	if (!rc) {
		memcpy(buf, v, len);
		buf[len] = '\0';
		rc = (int)len;
	}
	free(v);
	return rc;
}

/* control/vtune/: dom0 owns it, the guest may only read it. */
static int ctl_prepare(struct backend *b, int domid, xs_transaction_t t)
{
	char path[96];
	struct xs_permissions perms[2] = {
		{ .id = 0, .perms = XS_PERM_NONE },
		{ .id = (unsigned)domid, .perms = XS_PERM_READ },
	};
	snprintf(path, sizeof path, "/local/domain/%d/control/vtune", domid);
	if (!xs_mkdir(b->xs, t, path) || !xs_set_permissions(b->xs, t, path, perms, 2))
		return errno ? -errno : -EIO;
	return 0;
}

int xen_send(struct backend *b, int domid, const char *line)
{
	struct wire_msg msg;
	char path[96], seqpath[96], seqbuf[32];
	if (!b || !b->xs)
		return -ENOTCONN;
	if (domid <= 0 || !line)
		return -EINVAL;
	size_t len = strlen(line);
	if (len && line[len - 1] == '\n')
		len--;
	if (len > XEN_VALUE_MAX)
		return -EMSGSIZE;
	if (wire_decode(line, len, &msg, NULL, 0))
		return -EINVAL;
	enum wire_type type = msg.type;
	int host = type != WIRE_HELLO || msg.u.hello.role == WIRE_ROLE_HOST;
	wire_msg_free(&msg);
	if (!host || (type != WIRE_HELLO && type != WIRE_APPLY && type != WIRE_REVERT &&
		      type != WIRE_ERROR))
		return -EINVAL;
	struct xguest *x = find(b, domid);
	snprintf(path, sizeof path, "/local/domain/%d/control/vtune/%s", domid, wire_type_name(type));
	snprintf(seqpath, sizeof seqpath, "/local/domain/%d/control/vtune/seq", domid);
	for (int attempt = 0; attempt < 8; attempt++) {
		xs_transaction_t t = xs_transaction_start(b->xs);
		if (t == XBT_NULL)
			return -EIO;
		int rc = 0;
		if (!x || !x->ctl_ready)
			rc = ctl_prepare(b, domid, t);
		uint64_t seq = 0;
		unsigned int sl;
		char *old = rc ? NULL : xs_read(b->xs, t, seqpath, &sl);
		if (old) {
			if (xen_seq_parse(old, sl, &seq) || seq >= WIRE_MAX_ID)
				seq = 0;
			free(old);
		}
		snprintf(seqbuf, sizeof seqbuf, "%llu", (unsigned long long)seq + 1);
		if (!rc && (!xs_write(b->xs, t, path, line, (unsigned)len) ||
			    !xs_write(b->xs, t, seqpath, seqbuf, (unsigned)strlen(seqbuf))))
			rc = errno ? -errno : -EIO;
		if (rc) {
			xs_transaction_end(b->xs, t, true);
			return rc;
		}
		if (xs_transaction_end(b->xs, t, false)) {
			if (x)
				x->ctl_ready = 1;
			return 0;
		}
		if (errno != EAGAIN)
			return errno ? -errno : -EIO;
	}
	return -EAGAIN;
}

/* ---- pinning ---- */

static int parse_target(const char *target, const char *key, uint32_t *domid, int *vcpu)
{
	uint64_t d, v;
	if (!target || !key || strncmp(key, "vcpu", 4))
		return -EINVAL;
	size_t tl = strlen(target), kl = strlen(key + 4);
	if (tl == 0 || tl > 5 || kl == 0 || kl > 4 || (tl > 1 && target[0] == '0') ||
	    (kl > 1 && key[4] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < tl; i++)
		if (target[i] < '0' || target[i] > '9')
			return -EINVAL;
	for (size_t i = 0; i < kl; i++)
		if (key[4 + i] < '0' || key[4 + i] > '9')
			return -EINVAL;
	if (parse_u64_n(target, tl, &d) || d >= 0x7FF0 || parse_u64_n(key + 4, kl, &v) ||
	    v >= XEN_MAX_VCPUS)
		return -EINVAL;
	*domid = (uint32_t)d;
	*vcpu = (int)v;
	return 0;
}

/* CPUs the machine has (max_cpu_id + 1), capped at XEN_MAX_CPUS. */
static int machine_cpus(xc_interface *xch, int *ncpus)
{
	xc_physinfo_t pi;
	memset(&pi, 0, sizeof pi);
	if (xc_physinfo(xch, &pi))
		return errno ? -errno : -EIO;
	int n = (int)pi.max_cpu_id + 1;
	*ncpus = n > XEN_MAX_CPUS ? XEN_MAX_CPUS : n;
	return 0;
}

static int pin_check(void *ctx, const char *target, const char *key, const char *value,
		     char *why, size_t n)
{
	(void)ctx;
	uint32_t domid;
	int vcpu;
	uint8_t map[XEN_MAX_CPUS / 8];
	if (parse_target(target, key, &domid, &vcpu)) {
		snprintf(why, n, "want target \"<domid>\" and key \"vcpu<N>\"");
		return -EINVAL;
	}
	int rc = cpulist_parse(value, map, sizeof map, XEN_MAX_CPUS);
	if (rc)
		snprintf(why, n, "'%s' is not a CPU list", value ? value : "");
	return rc;
}

/* The pinning knob's context is the backend whose hypervisor handle it uses. */
static int pin_read(void *ctx, const char *root, const char *target, const char *key,
		    char *buf, size_t n)
{
	(void)root;
	struct backend *b = ctx;
	xc_interface *knob_xch = b ? b->xch : NULL;
	uint32_t domid;
	int vcpu, ncpus, rc;
	if (parse_target(target, key, &domid, &vcpu))
		return -EINVAL;
	if (!knob_xch)
		return -ENOTCONN;
	if ((rc = machine_cpus(knob_xch, &ncpus)))
		return rc;
	xc_cpumap_t hard = xc_cpumap_alloc(knob_xch), soft = xc_cpumap_alloc(knob_xch);
	int size = xc_get_cpumap_size(knob_xch);
	if (!hard || !soft || size <= 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (xc_vcpu_getaffinity(knob_xch, domid, vcpu, hard, soft, XEN_VCPUAFFINITY_HARD)) {
		rc = errno ? -errno : -EIO;
		goto out;
	}
	if (ncpus > size * 8)
		ncpus = size * 8;
	rc = cpulist_format(hard, ncpus, buf, n);
out:
	free(hard);
	free(soft);
	return rc;
}

static int pin_write(void *ctx, const char *root, const char *target, const char *key,
		     const char *value)
{
	(void)root;
	struct backend *b = ctx;
	xc_interface *knob_xch = b ? b->xch : NULL;
	uint32_t domid;
	int vcpu, ncpus, rc;
	if (parse_target(target, key, &domid, &vcpu))
		return -EINVAL;
	if (!knob_xch)
		return -ENOTCONN;
	if ((rc = machine_cpus(knob_xch, &ncpus)))
		return rc;
	xc_cpumap_t hard = xc_cpumap_alloc(knob_xch), soft = xc_cpumap_alloc(knob_xch);
	int size = xc_get_cpumap_size(knob_xch);
	if (!hard || !soft || size <= 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (ncpus > size * 8)
		ncpus = size * 8;
	if ((rc = cpulist_parse(value, hard, (size_t)size, ncpus)))
		goto out;
	if (xc_vcpu_setaffinity(knob_xch, domid, vcpu, hard, soft, XEN_VCPUAFFINITY_HARD))
		rc = errno ? -errno : -EIO;
out:
	free(hard);
	free(soft);
	return rc;
}

const struct knob_ops xen_knob_vcpupin_ops = {
	.kind = "xen-vcpupin",
	.read = pin_read,
	.write = pin_write,
	.check = pin_check,
};

static const struct knob_ops *const xen_knobs[] = {
	&xen_knob_vcpupin_ops,
	&nt_affinity_ops,
	&sriov_knob_numvfs_ops,
	&pci_driver_knob_ops,
	&xen_knob_pci_attach_ops,
	NULL,
};

void *xen_xs_handle(struct backend *b)
{
	return b ? b->xs : NULL;
}

void *xen_xc_handle(struct backend *b)
{
	return b ? b->xch : NULL;
}

int xen_knobs_register(void)
{
	for (int i = 0; xen_knobs[i]; i++) {
		int rc = knob_register(xen_knobs[i], NULL);
		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

int xen_plan_dom0_dedicated(struct backend *b, const struct bk_guest *const *gs, size_t ng,
			    xen_change_fn fn, void *arg, char *why, size_t n)
{
	struct xen_vcpu dv[XEN_MAX_VCPUS];
	struct xen_vcpu *gv = NULL;
	struct pin_task hk[XEN_MAX_VCPUS];
	struct pin_guest *pg = NULL;
	uint8_t online[PIN_MAPLEN], hk_set[PIN_MAPLEN], gset[PIN_MAPLEN];
	char list[KNOB_VALUE_MAX], glist[KNOB_VALUE_MAX], key[32], target[16];
	int ncpus, need, rc, nhk = 0;
	size_t nd = 0;
	if (!b || !fn)
		return -EINVAL;
	if (!b->dom0_known) {
		snprintf(why, n, "dom0's load per vCPU is not measured yet");
		return -EAGAIN;
	}
	if ((rc = machine_cpus(b->xch, &ncpus)) || (rc = xen_vcpus(b, 0, dv, XEN_MAX_VCPUS, &nd)))
		return rc;
	if (ncpus > PIN_MAX_CPUS)
		ncpus = PIN_MAX_CPUS;
	memset(online, 0, sizeof online);
	for (int c = 0; c < ncpus; c++)
		online[c / 8] |= (uint8_t)(1u << (c % 8));
	for (size_t i = 0; i < nd && i < XEN_MAX_VCPUS; i++)
		if (dv[i].online) {
			hk[nhk].cpu = dv[i].cpu;
			hk[nhk++].load = b->dom0_pct[i] > 0 ? b->dom0_pct[i] : 0;
		}
	gv = calloc((ng ? ng : 1) * XEN_MAX_VCPUS, sizeof *gv);
	pg = calloc(ng ? ng : 1, sizeof *pg);
	int *cpus = calloc((ng ? ng : 1) * XEN_MAX_VCPUS, sizeof *cpus);
	size_t *nv = calloc(ng ? ng : 1, sizeof *nv);
	if (!gv || !pg || !cpus || !nv) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t g = 0; g < ng; g++) {
		size_t cnt = 0;
		if (xen_vcpus(b, gs[g]->domid, gv + g * XEN_MAX_VCPUS, XEN_MAX_VCPUS, &cnt))
			cnt = 0; /* gone meanwhile: nothing of it to move */
		nv[g] = cnt > XEN_MAX_VCPUS ? XEN_MAX_VCPUS : cnt;
		for (size_t v = 0; v < nv[g]; v++)
			cpus[g * XEN_MAX_VCPUS + v] = gv[g * XEN_MAX_VCPUS + v].cpu;
		pg[g].cpu = cpus + g * XEN_MAX_VCPUS;
		pg[g].nv = nv[g];
	}
	struct pin_in in = { ncpus, online, hk, (size_t)nhk, nhk, pg, ng };
	if ((rc = pin_plan_housekeeping(&in, hk_set, &need, why, n)))
		goto out;
	pin_guest_set(online, hk_set, ncpus, gset);
	if ((rc = cpulist_format(hk_set, ncpus, list, sizeof list)) ||
	    (rc = cpulist_format(gset, ncpus, glist, sizeof glist)))
		goto out;
	/* the guests move off first, then dom0 takes its pCPUs */
	for (size_t g = 0; g < ng; g++)
		for (size_t v = 0; v < nv[g]; v++) {
			if (!gv[g * XEN_MAX_VCPUS + v].online)
				continue;
			snprintf(target, sizeof target, "%d", gs[g]->domid);
			snprintf(key, sizeof key, "vcpu%zu", v);
			if ((rc = fn(arg, "xen-vcpupin", target, key, glist)))
				goto out;
		}
	for (size_t i = 0; i < nd && i < XEN_MAX_VCPUS; i++) {
		if (!dv[i].online)
			continue;
		snprintf(key, sizeof key, "vcpu%zu", i);
		if ((rc = fn(arg, "xen-vcpupin", "0", key, list)))
			goto out;
	}
out:
	free(gv);
	free(pg);
	free(cpus);
	free(nv);
	return rc;
}

int xen_plan_net_threads(struct backend *b, const struct bk_guest *const *gs, size_t ng,
			 xen_change_fn fn, void *arg, char *why, size_t n)
{
	struct xen_vcpu dv[XEN_MAX_VCPUS];
	struct nt_thread *t[XEN_MAX_TRACKED * 4];
	double load[XEN_MAX_TRACKED * 4];
	int cpu[XEN_MAX_TRACKED * 4], ncpu = 0, rc;
	uint8_t set[PIN_MAPLEN];
	size_t nd = 0, nt = 0;
	char target[48], val[16];
	if ((rc = xen_vcpus(b, 0, dv, XEN_MAX_VCPUS, &nd)))
		return rc;
	/* dom0's own CPUs (its vCPUs, wherever dom0-away put them) */
	memset(set, 0, sizeof set);
	for (size_t i = 0; i < nd && i < XEN_MAX_VCPUS; i++)
		if (dv[i].online) {
			set[i / 8] |= (uint8_t)(1u << (i % 8));
			ncpu = (int)i + 1;
		}
	for (size_t g = 0; g < ng; g++) {
		struct xguest *x = find(b, gs[g]->domid);
		for (size_t i = 0; x && i < x->nnt && nt < sizeof t / sizeof t[0]; i++) {
			t[nt] = &x->nt[i];
			load[nt++] = x->nt_load[i];
		}
	}
	if (!nt) {
		snprintf(why, n, "no netback threads found in dom0");
		return -ENOENT;
	}
	if ((rc = pin_spread(load, nt, set, ncpu, cpu)))
		return rc;
	for (size_t i = 0; i < nt; i++) {
		nt_target(t[i], target, sizeof target);
		snprintf(val, sizeof val, "%d", cpu[i]);
		if ((rc = fn(arg, "task_affinity", target, t[i]->comm, val)))
			return rc;
	}
	return 0;
}

static int xen_plan_pin_host_op(struct backend *b, const struct bk_guest *const *gs, size_t ng,
				const char *mode, act_change_fn fn, void *arg, char *why, size_t n)
{
	if (!strcmp(mode, "net-threads"))
		return xen_plan_net_threads(b, gs, ng, fn, arg, why, n);
	if (strcmp(mode, "dom0-away")) {
		snprintf(why, n, "pin %s: not a Xen host-wide pinning mode", mode);
		return -EOPNOTSUPP;
	}
	int r = xen_plan_dom0_dedicated(b, gs, ng, fn, arg, why, n);
	if (r < 0 && !why[0])
		snprintf(why, n, "pin dom0-away: %s", strerror(-r));
	return r;
}

static const char *const xen_pin_host_modes[] = { "dom0-away", "net-threads", NULL };

static int xen_privsep_dirs(const char *uri, const char **dirs, size_t max, char *buf,
			    size_t bufn, char *why, size_t n)
{
	(void)uri, (void)dirs, (void)max, (void)buf, (void)bufn;
	snprintf(why, n, "not supported with the xen backend (libxenctrl and xenstore need root)");
	return -EOPNOTSUPP;
}

static void *xen_channels_open(struct backend *b, struct loop *loop, bk_find_fn fn,
			       void *arg, int *err)
{
	return xen_bridge_new(loop, b, fn, arg, err);
}

static void xen_channels_down(void *ch, int domid)
{
	xen_bridge_guest_down(ch, domid);
}

static void xen_channels_close(void *ch)
{
	xen_bridge_free(ch);
}

/* root-only sysfs and rtnetlink: the privileged parent performs them */
static const char *const xen_privileged[] = { "sriov-numvfs", "pci-driver", NULL };

/* plan_pci_attach: one VF for g (xen_sriov_plan under the backend's root). */
static int xen_plan_pci_attach_op(struct backend *b, const struct bk_guest *g,
				  const struct sriov_conf *conf, const char *want_vf,
				  act_change_fn fn, void *arg, char *why, size_t n)
{
	return xen_sriov_plan(b, b->root, g, conf, want_vf, fn, arg, why, n);
}

static int xen_pci_view_op(struct backend *b, struct sriov_view *v)
{
	return xen_sriov_view(b, b->root, v);
}

const struct backend_ops backend_xen_ops = {
	.name = "xen",
	.open = xen_open,
	.close = xen_close,
	.list = xen_list,
	.event_fd = xen_event_fd,
	.dispatch = xen_dispatch,
	.host_view = xen_host_view,
	.channels_open = xen_channels_open,
	.channels_guest_down = xen_channels_down,
	.channels_close = xen_channels_close,
	.plan_pin_host = xen_plan_pin_host_op,
	.pin_host_modes = xen_pin_host_modes,
	.plan_pci_attach = xen_plan_pci_attach_op,
	.pci_view = xen_pci_view_op,
	.knobs = xen_knobs,
	.privileged_knobs = xen_privileged,
	.privsep_dirs = xen_privsep_dirs,
};
