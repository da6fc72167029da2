/* gv_read: one reading of the whole guest view, group by group, through kfs
 * (root prefix) and sock_diag. A group that fails is marked, not fatal. */
#include "gview.h"
#include "kfs.h"
#include "parse.h"
#include "sockdiag.h"
#include "vclock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const group_names[GV_NGROUPS] = {
	[GV_CPU] = "cpu", [GV_SNMP] = "snmp", [GV_NETSTAT] = "netstat",
	[GV_SOCKSTAT] = "sockstat", [GV_LISTENERS] = "listeners",
	[GV_SOFTNET] = "softnet", [GV_SOFTIRQS] = "softirqs",
	[GV_CONNTRACK] = "conntrack", [GV_PORTS] = "ports", [GV_FILES] = "files",
	[GV_IFACES] = "interfaces", [GV_KNOBS] = "knobs",
};

const char *gv_group_name(enum gv_group g)
{
	return g < GV_NGROUPS ? group_names[g] : "?";
}

static void set_err(struct gv_reading *r, enum gv_group g, int err, const char *what)
{
	r->status[g] = err;
	snprintf(r->error[g], sizeof r->error[g], "%.60s: %s", what, strerror(-err));
}

/* Read a file and run a parser over it; failures land in r->status[g]. */
static int read_parse(const char *root, const char *path, struct gv_reading *r,
		      enum gv_group g,
		      int (*parse)(char *text, void *arg, char *err, size_t n), void *arg)
{
	char *text;
	size_t len;
	int e = kfs_read_alloc(root, path, &text, &len);
	if (e) {
		set_err(r, g, e, path);
		return e;
	}
	/* The kernel ends every line of these files with a newline: without
	 * one the file was cut short, whatever the lines before it say. */
	if (len && text[len - 1] != '\n') {
		free(text);
		r->status[g] = -EINVAL;
		snprintf(r->error[g], sizeof r->error[g], "%.60s: truncated (no final newline)", path);
		return -EINVAL;
	}
	e = parse(text, arg, r->error[g], sizeof r->error[g]);
	free(text);
	if (e)
		r->status[g] = e;
	return e;
}

/* Adapters giving each parser the read_parse shape. */
#define ADAPT(fn, type, call)                                                  \
	static int fn(char *text, void *arg, char *err, size_t n)            \
	{                                                                      \
		type *p = arg;                                                 \
		return call;                                                   \
	}
ADAPT(p_stat, struct gv_reading, gv_parse_stat(text, p, err, n))
ADAPT(p_snmp, struct gv_reading, gv_parse_snmp(text, &p->tcp, err, n))
ADAPT(p_netstat, struct gv_reading, gv_parse_netstat(text, &p->tcp, err, n))
ADAPT(p_sock4, struct gv_reading, gv_parse_sockstat(text, 0, &p->sock, err, n))
ADAPT(p_sock6, struct gv_reading, gv_parse_sockstat(text, 1, &p->sock, err, n))
ADAPT(p_softnet, struct gv_reading, gv_parse_softnet(text, p, err, n))
ADAPT(p_softirqs, struct gv_reading, gv_parse_softirqs(text, p, err, n))
ADAPT(p_filenr, struct gv_reading, gv_parse_file_nr(text, &p->files_nr, err, n))
ADAPT(p_ports, struct gv_reading,
      gv_parse_port_range(text, &p->ports.lo, &p->ports.hi, err, n))

static void read_conntrack(const char *root, struct gv_reading *r)
{
	static const char dir[] = "proc/sys/net/netfilter/";
	struct gv_conntrack *ct = &r->ct;
	char p[128];
	snprintf(p, sizeof p, "%snf_conntrack_count", dir);
	int e = kfs_read_u64(root, p, &ct->count);
	if (e == -ENOENT) {
		ct->present = 0; /* module not loaded: absent, not an error */
		return;
	}
	if (!e) {
		snprintf(p, sizeof p, "%snf_conntrack_max", dir);
		e = kfs_read_u64(root, p, &ct->max);
	}
	if (!e) {
		snprintf(p, sizeof p, "%snf_conntrack_tcp_timeout_established", dir);
		e = kfs_read_u64(root, p, &ct->est_timeout);
	}
	if (!e) {
		snprintf(p, sizeof p, "%snf_conntrack_tcp_timeout_time_wait", dir);
		e = kfs_read_u64(root, p, &ct->tw_timeout);
	}
	if (e) {
		set_err(r, GV_CONNTRACK, e, p);
		return;
	}
	ct->present = 1;
}

static int64_t knob(const char *root, const char *path)
{
	int64_t v;
	return kfs_read_i64(root, path, &v) ? -1 : v;
}

static void read_knobs(const char *root, struct gv_reading *r)
{
	struct gv_knobs *k = &r->knobs;
	k->somaxconn = knob(root, "proc/sys/net/core/somaxconn");
	k->tcp_max_syn_backlog = knob(root, "proc/sys/net/ipv4/tcp_max_syn_backlog");
	k->netdev_max_backlog = knob(root, "proc/sys/net/core/netdev_max_backlog");
	k->netdev_budget = knob(root, "proc/sys/net/core/netdev_budget");
	k->tcp_fin_timeout = knob(root, "proc/sys/net/ipv4/tcp_fin_timeout");
	k->slow_start_after_idle = knob(root, "proc/sys/net/ipv4/tcp_slow_start_after_idle");
	k->syncookies = knob(root, "proc/sys/net/ipv4/tcp_syncookies");
	k->tw_reuse = knob(root, "proc/sys/net/ipv4/tcp_tw_reuse");
	k->nf_conntrack_max = knob(root, "proc/sys/net/netfilter/nf_conntrack_max");
	k->rps_sock_flow_entries = knob(root, "proc/sys/net/core/rps_sock_flow_entries");
	if (k->somaxconn < 0 && k->tcp_max_syn_backlog < 0)
		set_err(r, GV_KNOBS, -ENOENT, "proc/sys/net");
}

struct iface_ctx {
	const char *root;
	struct gv_reading *r;
	struct gv_iface *cur;
};

static int add_rxq(const char *name, void *arg)
{
	struct iface_ctx *c = arg;
	struct gv_iface *f = c->cur;
	char p[256];
	if (strncmp(name, "rx-", 3) || f->nrxq >= GV_MAX_RXQ)
		return 0;
	snprintf(p, sizeof p, "sys/class/net/%s/queues/%s/rps_cpus", f->name, name);
	if (kfs_read_str(c->root, p, f->rps[f->nrxq], GV_MASK_LEN) == 0)
		f->nrxq++;
	return 0;
}

static int add_iface(const char *name, void *arg)
{
	struct iface_ctx *c = arg;
	struct gv_reading *r = c->r;
	if (strlen(name) >= GV_IFNAME_LEN || r->nifaces >= GV_MAX_IFACES)
		return 0;
	struct gv_iface f = { 0 };
	strcpy(f.name, name);
	static const struct {
		const char *file;
		size_t off;
	} stats[] = {
		{ "rx_packets", offsetof(struct gv_iface, rx_packets) },
		{ "tx_packets", offsetof(struct gv_iface, tx_packets) },
		{ "rx_dropped", offsetof(struct gv_iface, rx_dropped) },
		{ "tx_dropped", offsetof(struct gv_iface, tx_dropped) },
		{ "rx_errors", offsetof(struct gv_iface, rx_errors) },
		{ "tx_errors", offsetof(struct gv_iface, tx_errors) },
	};
	for (size_t i = 0; i < sizeof stats / sizeof *stats; i++) {
		char p[256];
		snprintf(p, sizeof p, "sys/class/net/%s/statistics/%s", name, stats[i].file);
		if (kfs_read_u64(c->root, p, (uint64_t *)((char *)&f + stats[i].off)))
			return 0; /* not a device we can read: skip it */
	}
	void *nv = realloc(r->ifaces, (size_t)(r->nifaces + 1) * sizeof *r->ifaces);
	if (!nv)
		return -ENOMEM;
	r->ifaces = nv;
	c->cur = &r->ifaces[r->nifaces++];
	*c->cur = f;
	char q[256];
	snprintf(q, sizeof q, "sys/class/net/%s/queues", name);
	kfs_list(c->root, q, add_rxq, c);
	return 0;
}

/* The exact count walks the kernel's whole established hash (about 1 ms per
 * family on a large host). Every TCP socket, of any state and port, is
 * counted by sockstat: when even that total is under 1/16 of the range the
 * ports cannot be short, and the total is reported as an upper bound. */
static void count_ports(const char *root, struct gv_reading *r)
{
	uint64_t range = (uint64_t)r->ports.hi - r->ports.lo + 1;
	uint64_t bound = r->sock.tcp_inuse + r->sock.tcp6_inuse + r->sock.tcp_tw;
	if (!r->status[GV_SOCKSTAT] && bound < range / 16) {
		r->ports.in_use = bound;
		r->ports.in_use_known = 1;
		r->ports.in_use_bound = 1;
		return;
	}
	r->ports.in_use_known = sockdiag_count_ports(root, r->ports.lo, r->ports.hi,
						     &r->ports.in_use) == 0;
}

int gv_read(const char *root, int flags, struct gv_reading *r)
{
	memset(r, 0, sizeof *r);
	r->mono_ns = vclock_mono_ns();

	read_parse(root, "proc/stat", r, GV_CPU, p_stat, r);
	read_parse(root, "proc/net/snmp", r, GV_SNMP, p_snmp, r);
	read_parse(root, "proc/net/netstat", r, GV_NETSTAT, p_netstat, r);
	if (!read_parse(root, "proc/net/sockstat", r, GV_SOCKSTAT, p_sock4, r)) {
		/* sockstat6 is absent without IPv6: then v4 is all there is. */
		char *t;
		if (kfs_read_alloc(root, "proc/net/sockstat6", &t, NULL) == 0) {
			if (p_sock6(t, r, r->error[GV_SOCKSTAT], sizeof r->error[GV_SOCKSTAT]))
				r->status[GV_SOCKSTAT] = -EINVAL;
			free(t);
		}
	}
	read_parse(root, "proc/net/softnet_stat", r, GV_SOFTNET, p_softnet, r);
	read_parse(root, "proc/softirqs", r, GV_SOFTIRQS, p_softirqs, r);
	read_conntrack(root, r);
	read_parse(root, "proc/sys/fs/file-nr", r, GV_FILES, p_filenr, r);
	if (!r->status[GV_FILES]) {
		int e = kfs_read_u64(root, "proc/sys/fs/file-max", &r->files_max);
		if (e)
			set_err(r, GV_FILES, e, "proc/sys/fs/file-max");
	}
	read_parse(root, "proc/sys/net/ipv4/ip_local_port_range", r, GV_PORTS, p_ports, r);

	struct iface_ctx ic = { .root = root, .r = r };
	int e = kfs_list(root, "sys/class/net", add_iface, &ic);
	if (e == -ENOMEM)
		return e;
	if (e)
		set_err(r, GV_IFACES, e, "sys/class/net");
	read_knobs(root, r);

	if (flags & GV_READ_NETLINK) {
		e = sockdiag_listeners(root, &r->listeners, &r->nlisteners);
		if (e)
			set_err(r, GV_LISTENERS, e, "sock_diag (listeners)");
		if (!r->status[GV_PORTS])
			count_ports(root, r);
	} else {
		set_err(r, GV_LISTENERS, -EOPNOTSUPP, "sock_diag");
	}
	return 0;
}

void gv_reading_free(struct gv_reading *r)
{
	free(r->cpu);
	free(r->softnet);
	free(r->netrx);
	free(r->listeners);
	free(r->ifaces);
	memset(r, 0, sizeof *r);
}
