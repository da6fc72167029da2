/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_read: one reading of the whole guest view, group by group, through kfs
 * (root prefix) and sock_diag. A group that fails is marked, not fatal. */
#include "gview.h"
#include "vec.h"
#include "ethchan.h"
#include "gv_irq.h"
#include "gv_kmsg.h"
#include "gv_ports.h"
#include "gv_procs.h"
#include "kfs.h"
#include "linkwatch.h"
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
	[GV_IRQS] = "irqs", [GV_KMSG] = "kmsg", [GV_PROCS] = "processes",
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

static int is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

/* One reading in progress: where, through which cache, into what. */
struct rd {
	struct kfs_cache *c;
	const char *root;
	struct gv_reading *r;
	struct gv_slow *sl; /* the settings kept (NULL: none) */
	int fresh;	     /* this reading reads them */
};

/* The settings kept between their reads (gview.h): what the last read
 * gave, group status and reason included, so that a reading that takes
 * them from here is the one that would have read them. */
struct gv_slow {
	unsigned period, since; /* readings from one read to the next; since the last */
	uint64_t at_ns;		/* when they were last read */
	int knobs_ok, files_ok, ports_ok, ct_ok; /* each part: kept from a read */
	struct gv_knobs knobs;
	int knobs_st, files_err, ports_st, ct_err;
	char knobs_why[96], ports_why[96];
	const char *ct_path;	/* the file that failed (a constant) */
	uint64_t files_max, ct_max, ct_est, ct_tw;
	uint32_t lo, hi;
	int nrps;		/* interfaces whose receive queues are kept */
	struct {
		char name[GV_IFNAME_LEN];
		int nrxq, rps_off;
		char rps[GV_MASK_LEN];
	} rps[GV_MAX_IFACES];	/* each one's queues and RPS masks */
};

struct gv_slow *gv_slow_new(void)
{
	struct gv_slow *s = calloc(1, sizeof *s);
	if (s)
		s->period = 1;
	return s;
}

void gv_slow_free(struct gv_slow *s)
{
	free(s);
}

void gv_slow_set_interval(struct gv_slow *s, double interval_s)
{
	double n = (double)GV_SLOW_MAX_AGE_NS / 1e9 / interval_s;
	if (s)
		s->period = !(n >= 1) ? 1 : n > 1e6 ? 1000000 : (unsigned)n;
}

void gv_slow_forget(struct gv_slow *s)
{
	if (s) {
		s->knobs_ok = s->files_ok = s->ports_ok = s->ct_ok = 0;
		s->nrps = 0;
	}
}

/* Whether this reading reads the settings (else they come from s). */
static int slow_due(struct gv_slow *s, uint64_t now)
{
	if (!s)
		return 1;
	if (s->since + 1 >= s->period || now - s->at_ns >= GV_SLOW_MAX_AGE_NS || !s->at_ns) {
		s->since = 0;
		s->at_ns = now ? now : 1;
		return 1;
	}
	s->since++;
	return 0;
}

/* Read a file and run a parser over it; failures land in r->status[g]. */
static int read_parse(struct rd *d, const char *path, enum gv_group g,
		      int (*parse)(char *text, void *arg, char *err, size_t n), void *arg)
{
	struct gv_reading *r = d->r;
	char *text;
	size_t len;
	int e = kfs_cache_read(d->c, d->root, path, &text, &len);
	if (e) {
		set_err(r, g, e, path);
		return e;
	}
	/* The kernel ends every line of these files with a newline: without
	 * one the file was cut short, whatever the lines before it say. */
	if (len && text[len - 1] != '\n') {
		r->status[g] = -EINVAL;
		snprintf(r->error[g], sizeof r->error[g], "%.60s: truncated (no final newline)", path);
		return -EINVAL;
	}
	e = parse(text, arg, r->error[g], sizeof r->error[g]);
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
ADAPT(p_snmp, struct gv_reading, gv_parse_nstat(text, MS_SNMP, &p->nstat, err, n))
ADAPT(p_netstat, struct gv_reading, gv_parse_nstat(text, MS_NETSTAT, &p->nstat, err, n))
ADAPT(p_sock4, struct gv_reading, gv_parse_sockstat(text, 0, &p->sock, err, n))
ADAPT(p_sock6, struct gv_reading, gv_parse_sockstat(text, 1, &p->sock, err, n))
ADAPT(p_softnet, struct gv_reading, gv_parse_softnet(text, p, err, n))
ADAPT(p_softirqs, struct gv_reading, gv_parse_softirqs(text, p, err, n))
ADAPT(p_filenr, struct gv_reading, gv_parse_file_nr(text, &p->files_nr, err, n))
ADAPT(p_ports, struct gv_reading,
      gv_parse_port_range(text, &p->ports.lo, &p->ports.hi, err, n))

/* The table's count every reading; its size and timeouts from the kept
 * settings when this reading does not read them and they are kept. */
static void read_conntrack(struct rd *d)
{
	struct gv_reading *r = d->r;
	struct gv_slow *sl = d->sl;
	struct gv_conntrack *ct = &r->ct;
	/* the table's size and timeouts, read while each one is there */
	static const struct {
		const char *path;
		size_t off;
	} set[] = {
		{ "proc/sys/net/netfilter/nf_conntrack_max", offsetof(struct gv_conntrack, max) },
		{ "proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established",
		  offsetof(struct gv_conntrack, est_timeout) },
		{ "proc/sys/net/netfilter/nf_conntrack_tcp_timeout_time_wait",
		  offsetof(struct gv_conntrack, tw_timeout) },
	};
	const char *p = "proc/sys/net/netfilter/nf_conntrack_count";
	int e = kfs_cache_read_u64(d->c, d->root, p, &ct->count), counted = !e;
	if (e == -ENOENT) {
		ct->present = 0; /* module not loaded: absent, not an error */
		return;
	}
	if (!e && sl && !d->fresh && sl->ct_ok) {
		if (sl->ct_err) {
			set_err(r, GV_CONNTRACK, sl->ct_err, sl->ct_path);
			return;
		}
		ct->max = sl->ct_max;
		ct->est_timeout = sl->ct_est;
		ct->tw_timeout = sl->ct_tw;
		goto stats;
	}
	for (size_t i = 0; !e && i < sizeof set / sizeof *set; i++) {
		p = set[i].path;
		e = kfs_cache_read_u64(d->c, d->root, p, (uint64_t *)((char *)ct + set[i].off));
	}
	if (counted && sl) {
		sl->ct_ok = 1;
		sl->ct_err = e;
		sl->ct_path = p;
		sl->ct_max = ct->max;
		sl->ct_est = ct->est_timeout;
		sl->ct_tw = ct->tw_timeout;
	}
	if (e) {
		set_err(r, GV_CONNTRACK, e, p);
		return;
	}
stats:
	ct->present = 1;
	/* per-CPU statistics: absent on old kernels, a broken file is an error */
	char *t;
	size_t tl;
	e = kfs_cache_read(d->c, d->root, "proc/net/stat/nf_conntrack", &t, &tl);
	if (e == -ENOENT)
		return;
	if (!e && tl && t[tl - 1] != '\n') {
		r->status[GV_CONNTRACK] = -EINVAL;
		snprintf(r->error[GV_CONNTRACK], sizeof r->error[GV_CONNTRACK],
			 "proc/net/stat/nf_conntrack: truncated (no final newline)");
		return;
	}
	if (e)
		set_err(r, GV_CONNTRACK, e, "proc/net/stat/nf_conntrack");
	else if ((e = gv_parse_ctstat(t, &ct->st, r->error[GV_CONNTRACK],
				      sizeof r->error[GV_CONNTRACK])))
		r->status[GV_CONNTRACK] = e;
}

static int64_t knob(struct rd *d, const char *path)
{
	int64_t v;
	return kfs_cache_read_i64(d->c, d->root, path, &v) ? -1 : v;
}

/* "proc/sys/net/core/somaxconn" for the K row of net.core.somaxconn. */
static const char *knob_path(int slot)
{
	static char paths[MK_COUNT][96];
	char *p = paths[slot];
	if (!*p) {
		snprintf(p, sizeof paths[slot], "proc/sys/%s",
			 metric_defs[metric_of_knob[slot]].sysctl);
		for (p += 9; *p; p++)
			if (*p == '.')
				*p = '/';
	}
	return paths[slot];
}

static void read_knobs(struct rd *d)
{
	struct gv_reading *r = d->r;
	struct gv_knobs *k = &r->knobs;
	for (int i = 0; i < MK_COUNT; i++)
		/* nf_conntrack_max: the file the conntrack group read already, when it did */
		k->v[i] = i == MK_GUEST_NF_CONNTRACK_MAX && r->ct.present && r->ct.max <= INT64_MAX
				  ? (int64_t)r->ct.max : knob(d, knob_path(i));
	static const struct {
		const char *path;
		size_t off;
	} tri[] = {
		{ "proc/sys/net/ipv4/tcp_mem", offsetof(struct gv_knobs, tcp_mem) },
		{ "proc/sys/net/ipv4/tcp_rmem", offsetof(struct gv_knobs, tcp_rmem) },
		{ "proc/sys/net/ipv4/tcp_wmem", offsetof(struct gv_knobs, tcp_wmem) },
	};
	for (size_t i = 0; i < sizeof tri / sizeof *tri; i++) {
		int64_t *v = (int64_t *)((char *)k + tri[i].off);
		char buf[96], err[8];
		v[0] = v[1] = v[2] = -1;
		if (kfs_cache_read_str(d->c, d->root, tri[i].path, buf, sizeof buf) ||
		    gv_parse_triple(buf, v, err, sizeof err))
			v[0] = v[1] = v[2] = -1;
	}
	if (k->v[MK_GUEST_SOMAXCONN] < 0 && k->v[MK_GUEST_TCP_MAX_SYN_BACKLOG] < 0)
		set_err(r, GV_KNOBS, -ENOENT, "proc/sys/net");
}

/* The knobs, from the kept settings when this reading does not read them
 * and they are kept. */
static void read_knobs_kept(struct rd *d)
{
	struct gv_reading *r = d->r;
	struct gv_slow *sl = d->sl;
	if (sl && !d->fresh && sl->knobs_ok) {
		r->knobs = sl->knobs;
		r->status[GV_KNOBS] = sl->knobs_st;
		memcpy(r->error[GV_KNOBS], sl->knobs_why, sizeof sl->knobs_why);
		return;
	}
	read_knobs(d);
	if (sl) {
		sl->knobs_ok = 1;
		sl->knobs = r->knobs;
		sl->knobs_st = r->status[GV_KNOBS];
		memcpy(sl->knobs_why, r->error[GV_KNOBS], sizeof sl->knobs_why);
	}
}

/* /proc/interrupts: the NIC queue lines of this reading's interfaces (a
 * kept list's lines through sysfs between whole readings, live). */
static void read_irqs(struct rd *d, struct gv_irqkeep *k)
{
	struct gv_reading *r = d->r;
	const char *names[GV_MAX_IFACES];
	char *t;
	size_t tl;
	for (int i = 0; i < r->nifaces; i++)
		names[i] = r->ifaces[i].name;
	r->irq.irqbalance = -1;
	if (k && is_live(d->root) &&
	    gv_irqkeep_read(k, d->c, d->root, r->mono_ns, &r->irq) == 0)
		return;
	int e = kfs_cache_read(d->c, d->root, "proc/interrupts", &t, &tl);
	if (e == -ENOENT)
		return; /* present 0 */
	if (!e && tl && t[tl - 1] != '\n') {
		r->status[GV_IRQS] = -EINVAL;
		snprintf(r->error[GV_IRQS], sizeof r->error[GV_IRQS],
			 "proc/interrupts: truncated (no final newline)");
		return;
	}
	if (e)
		set_err(r, GV_IRQS, e, "proc/interrupts");
	else if ((e = gv_parse_interrupts(t, names, r->nifaces, &r->irq, r->error[GV_IRQS],
					  sizeof r->error[GV_IRQS])))
		r->status[GV_IRQS] = e;
	else if (k && is_live(d->root))
		gv_irqkeep_set(k, &r->irq, r->mono_ns);
}

/* Each interface's channels, from the kept list's answers while they are
 * younger than CHAN_MAX_AGE_NS (channels change only when someone sets
 * them), else asked again. */
#define CHAN_MAX_AGE_NS (30ull * 1000000000ull)
struct chan_keep {
	char name[GV_IFNAME_LEN];
	int r;
	struct ethchan c;
	uint64_t at_ns;
};

static void read_channels(struct rd *d, struct gv_iflist *l);

/* One interface's counters as /proc/net/dev gives them. */
struct netdev_row {
	char name[GV_IFNAME_LEN];
	uint64_t rx_packets, rx_errors, rx_dropped, tx_packets, tx_errors, tx_dropped;
};

struct iface_ctx {
	struct rd *d;
	struct gv_iface *cur;
	size_t cap;		/* of d->r->ifaces */
	int total;		/* names seen in sys/class/net */
	struct gv_iflist *rec;	/* where the kept names go (when listing) */
	int nrows;		/* rows of /proc/net/dev (0: sysfs for all) */
	struct netdev_row rows[GV_MAX_IFACES];
};

struct chan_keep;
struct gv_iflist {
	struct linkwatch *w;
	int valid;  /* names: the last listing's kept interfaces, still true */
	int total;  /* entries sys/class/net had then */
	int n;
	char names[GV_MAX_IFACES][GV_IFNAME_LEN];
	int nch;    /* channels asked, by name (read_channels) */
	struct chan_keep *ch;
};

struct gv_iflist *gv_iflist_new(void)
{
	struct gv_iflist *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->ch = calloc(GV_MAX_IFACES, sizeof *l->ch);
	if (!l->ch) {
		free(l);
		return NULL;
	}
	l->w = linkwatch_new(); /* NULL: list every time */
	return l;
}

void gv_iflist_free(struct gv_iflist *l)
{
	if (!l)
		return;
	linkwatch_free(l->w);
	free(l->ch);
	free(l);
}

/* One line of /proc/net/dev after the two header lines: "name: 8 rx
 * fields 8 tx fields" → *name (NUL-terminated in line) and the six
 * counters into w (name not copied). 0 or -EINVAL. */
static int netdev_line(char *line, char **name, struct netdev_row *w)
{
	char *colon = strchr(line, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	while (*line == ' ')
		line++;
	uint64_t v[16];
	char *p = colon + 1;
	for (int i = 0; i < 16; i++) {
		while (*p == ' ')
			p++;
		char *e = p;
		while (*e >= '0' && *e <= '9')
			e++;
		if (e == p || (*e && *e != ' '))
			return -EINVAL;
		char save = *e;
		*e = '\0';
		int pe = parse_u64(p, &v[i]);
		*e = save;
		if (pe)
			return -EINVAL;
		p = e;
	}
	*name = line;
	w->rx_packets = v[1];
	w->rx_errors = v[2];
	w->rx_dropped = v[3];
	w->tx_packets = v[9];
	w->tx_errors = v[10];
	w->tx_dropped = v[11];
	return 0;
}

/* Each row of a /proc/net/dev text (modified in place) through fn, which
 * stops the walk with a non-zero return (returned). 0, or -EINVAL when the
 * text is not /proc/net/dev's shape. */
static int netdev_rows(char *text, int (*fn)(void *arg, const char *name,
					     const struct netdev_row *w), void *arg)
{
	char *line = text, *next;
	for (int ln = 0; line && *line; ln++, line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (ln == 0)
			continue;
		if (ln == 1) {
			if (!strstr(line, "face |bytes"))
				return -EINVAL;
			continue;
		}
		char *name;
		struct netdev_row w;
		if (netdev_line(line, &name, &w))
			return -EINVAL;
		int r = fn(arg, name, &w);
		if (r)
			return r;
	}
	return 0;
}

static int keep_row(void *arg, const char *name, const struct netdev_row *w)
{
	struct iface_ctx *c = arg;
	if (strlen(name) >= GV_IFNAME_LEN || c->nrows == GV_MAX_IFACES)
		return 0;
	c->rows[c->nrows] = *w;
	strcpy(c->rows[c->nrows++].name, name);
	return 0;
}

/* /proc/net/dev: two header lines, then "name: 8 rx fields 8 tx fields".
 * 0, or -EINVAL when it is not that (the caller falls back to sysfs). Only
 * the first GV_MAX_IFACES rows are kept; others come from sysfs. */
static int parse_netdev(char *text, struct iface_ctx *c)
{
	c->nrows = 0;
	int r = netdev_rows(text, keep_row, c);
	if (r)
		c->nrows = 0;
	return r;
}

struct find_row {
	const char *name;
	struct netdev_row w;
	int found;
};

static int find_row(void *arg, const char *name, const struct netdev_row *w)
{
	struct find_row *f = arg;
	if (strcmp(name, f->name))
		return 0;
	f->w = *w;
	f->found = 1;
	return 1;
}

int gv_iface_read(const char *root, const char *name, struct gv_iface *f)
{
	char *text = NULL, p[256];
	size_t len;
	if (!name || !*name || strlen(name) >= GV_IFNAME_LEN || strchr(name, '/') || !f)
		return -EINVAL;
	memset(f, 0, sizeof *f);
	strcpy(f->name, name);
	int r = kfs_read_alloc(root, "proc/net/dev", &text, &len);
	if (!r) {
		struct find_row fr = { .name = name };
		r = netdev_rows(text, find_row, &fr);
		free(text);
		if (r < 0)
			return r;
		if (!fr.found)
			return -ENODEV;
		f->rx_packets = fr.w.rx_packets;
		f->tx_packets = fr.w.tx_packets;
		f->rx_dropped = fr.w.rx_dropped;
		f->tx_dropped = fr.w.tx_dropped;
		f->rx_errors = fr.w.rx_errors;
		f->tx_errors = fr.w.tx_errors;
		return 0;
	}
	if (r != -ENOENT)
		return r;
	/* a capture without proc/net/dev: the sysfs files (errors: older
	 * captures lack them, 0) */
	static const struct {
		const char *file;
		size_t off;
		int need;
	} stats[] = {
		{ "rx_packets", offsetof(struct gv_iface, rx_packets), 1 },
		{ "tx_packets", offsetof(struct gv_iface, tx_packets), 1 },
		{ "rx_dropped", offsetof(struct gv_iface, rx_dropped), 1 },
		{ "tx_dropped", offsetof(struct gv_iface, tx_dropped), 1 },
		{ "rx_errors", offsetof(struct gv_iface, rx_errors), 0 },
		{ "tx_errors", offsetof(struct gv_iface, tx_errors), 0 },
	};
	for (size_t i = 0; i < sizeof stats / sizeof *stats; i++) {
		snprintf(p, sizeof p, "sys/class/net/%s/statistics/%s", name, stats[i].file);
		int e = kfs_read_u64(root, p, (uint64_t *)((char *)f + stats[i].off));
		if (e && stats[i].need)
			return e == -ENOENT ? -ENODEV : e;
	}
	return 0;
}

static int rps_is_off(const char *mask)
{
	for (; *mask; mask++)
		if (*mask != '0' && *mask != ',')
			return 0;
	return 1;
}

static int add_rxq(const char *name, void *arg)
{
	struct iface_ctx *c = arg;
	struct gv_iface *f = c->cur;
	char p[256], mask[GV_MASK_LEN];
	if (strncmp(name, "rx-", 3) || f->nrxq >= GV_MAX_RXQ)
		return 0;
	/* Cached: sys/class/net and the queues directory are listed through
	 * the cache first, which drops it if the device is renamed or
	 * re-created, or the queue removed. */
	snprintf(p, sizeof p, "sys/class/net/%s/queues/%s/rps_cpus", f->name, name);
	if (kfs_cache_read_str(c->d->c, c->d->root, p, mask, sizeof mask))
		return 0;
	if (!f->nrxq++)
		memcpy(f->rps, mask, strlen(mask) + 1);
	f->rps_off += rps_is_off(mask);
	return 0;
}

/* The six counters of one interface: its /proc/net/dev row, else its
 * sysfs statistics files. 0, or -errno when it cannot be read. */
static int iface_counters(struct iface_ctx *c, struct gv_iface *f)
{
	for (int i = 0; i < c->nrows; i++) {
		const struct netdev_row *w = &c->rows[i];
		if (strcmp(w->name, f->name))
			continue;
		f->rx_packets = w->rx_packets;
		f->tx_packets = w->tx_packets;
		f->rx_dropped = w->rx_dropped;
		f->tx_dropped = w->tx_dropped;
		f->rx_errors = w->rx_errors;
		f->tx_errors = w->tx_errors;
		return 0;
	}
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
		snprintf(p, sizeof p, "sys/class/net/%s/statistics/%s", f->name, stats[i].file);
		int e = kfs_cache_read_u64(c->d->c, c->d->root, p,
					   (uint64_t *)((char *)f + stats[i].off));
		if (e)
			return e;
	}
	return 0;
}

static int add_iface(const char *name, void *arg);

/* One name of the sys/class/net listing. */
static int list_iface(const char *name, void *arg)
{
	((struct iface_ctx *)arg)->total++;
	return add_iface(name, arg);
}

static int add_iface(const char *name, void *arg)
{
	struct iface_ctx *c = arg;
	struct gv_reading *r = c->d->r;
	if (strlen(name) >= GV_IFNAME_LEN || r->nifaces >= GV_MAX_IFACES)
		return 0;
	if (VEC_RESERVE(r->ifaces, c->cap, (size_t)r->nifaces + 1))
		return -ENOMEM;
	struct gv_iface *f = &r->ifaces[r->nifaces];
	memset(f, 0, sizeof *f);
	strcpy(f->name, name);
	if (iface_counters(c, f))
		return 0; /* not a device we can read: skip it */
	r->nifaces++;
	c->cur = f;
	if (c->rec && c->rec->n < GV_MAX_IFACES)
		strcpy(c->rec->names[c->rec->n++], name);
	struct gv_slow *sl = c->d->sl;
	for (int i = 0; sl && !c->d->fresh && i < sl->nrps; i++)
		if (!strcmp(sl->rps[i].name, name)) {
			f->nrxq = sl->rps[i].nrxq;
			f->rps_off = sl->rps[i].rps_off;
			memcpy(f->rps, sl->rps[i].rps, sizeof f->rps);
			return 0;
		}
	char q[256];
	snprintf(q, sizeof q, "sys/class/net/%s/queues", name);
	kfs_cache_list(c->d->c, c->d->root, q, add_rxq, c);
	if (sl && sl->nrps < GV_MAX_IFACES) {
		strcpy(sl->rps[sl->nrps].name, name);
		sl->rps[sl->nrps].nrxq = f->nrxq;
		sl->rps[sl->nrps].rps_off = f->rps_off;
		memcpy(sl->rps[sl->nrps].rps, f->rps, sizeof f->rps);
		sl->nrps++;
	}
	return 0;
}

/* Interfaces: the names from sysfs (or those kept in l while no link
 * changed), the counters of all of them from the one /proc/net/dev when it
 * is there and well-formed and lists no more than are kept; else from each
 * one's sysfs files. 0 or -ENOMEM (other failures are the group's). */
static int read_ifaces(struct rd *d, struct gv_iflist *l)
{
	struct iface_ctx ic = { .d = d };
	int reuse = 0, e = 0;
	if (l && l->w && is_live(d->root))
		reuse = linkwatch_changed(l->w) == 0 && l->valid;
	char *t;
	size_t tl;
	if ((l && l->total > GV_MAX_IFACES) ||
	    kfs_cache_read(d->c, d->root, "proc/net/dev", &t, &tl) != 0 ||
	    (tl && t[tl - 1] != '\n') || parse_netdev(t, &ic) != 0)
		ic.nrows = 0;
	if (l && !reuse)
		l->nch = 0; /* links changed: ask for channels again */
	if (d->sl && (d->fresh || !reuse))
		d->sl->nrps = 0; /* each interface's queues read again */
	if (reuse) {
		for (int i = 0; i < l->n && !e; i++) {
			int had = d->r->nifaces;
			e = add_iface(l->names[i], &ic);
			if (d->r->nifaces == had)
				l->valid = 0; /* gone: list again next time */
		}
		return e == -ENOMEM ? e : 0;
	}
	if (l) {
		l->valid = 0;
		l->n = 0;
		ic.rec = l;
	}
	e = kfs_cache_list(d->c, d->root, "sys/class/net", list_iface, &ic);
	if (e == -ENOMEM)
		return e;
	if (e)
		set_err(d->r, GV_IFACES, e, "sys/class/net");
	else if (l) {
		l->valid = 1;
		l->total = ic.total;
	}
	return 0;
}

int gv_read_keep(const struct gv_keep *k, const char *root, int flags, struct gv_reading *r)
{
	struct kfs_cache *c = k->c;
	struct gv_ports_sched *ps = k->ports;
	struct rd d = { .c = c, .root = root, .r = r, .sl = k->slow };
	memset(r, 0, sizeof *r);
	r->mono_ns = vclock_mono_ns();
	d.fresh = slow_due(d.sl, r->mono_ns);

	read_parse(&d, "proc/stat", GV_CPU, p_stat, r);
	read_parse(&d, "proc/net/snmp", GV_SNMP, p_snmp, r);
	read_parse(&d, "proc/net/netstat", GV_NETSTAT, p_netstat, r);
	if (!read_parse(&d, "proc/net/sockstat", GV_SOCKSTAT, p_sock4, r)) {
		/* sockstat6 is absent without IPv6: then v4 is all there is. */
		char *t;
		if (kfs_cache_read(c, root, "proc/net/sockstat6", &t, NULL) == 0 &&
		    p_sock6(t, r, r->error[GV_SOCKSTAT], sizeof r->error[GV_SOCKSTAT]))
			r->status[GV_SOCKSTAT] = -EINVAL;
	}
	read_parse(&d, "proc/net/softnet_stat", GV_SOFTNET, p_softnet, r);
	read_parse(&d, "proc/softirqs", GV_SOFTIRQS, p_softirqs, r);
	struct gv_slow *sl = d.sl;
	int fresh = d.fresh;
	read_conntrack(&d);
	read_parse(&d, "proc/sys/fs/file-nr", GV_FILES, p_filenr, r);
	if (!r->status[GV_FILES]) {
		int e;
		if (sl && !fresh && sl->files_ok) {
			e = sl->files_err;
			r->files_max = sl->files_max;
		} else {
			e = kfs_cache_read_u64(c, root, "proc/sys/fs/file-max", &r->files_max);
			if (sl) {
				sl->files_ok = 1;
				sl->files_err = e;
				sl->files_max = r->files_max;
			}
		}
		if (e)
			set_err(r, GV_FILES, e, "proc/sys/fs/file-max");
	}
	if (sl && !fresh && sl->ports_ok) {
		r->ports.lo = sl->lo;
		r->ports.hi = sl->hi;
		r->status[GV_PORTS] = sl->ports_st;
		memcpy(r->error[GV_PORTS], sl->ports_why, sizeof sl->ports_why);
	} else {
		read_parse(&d, "proc/sys/net/ipv4/ip_local_port_range", GV_PORTS, p_ports, r);
		if (sl) {
			sl->ports_ok = 1;
			sl->lo = r->ports.lo;
			sl->hi = r->ports.hi;
			sl->ports_st = r->status[GV_PORTS];
			memcpy(sl->ports_why, r->error[GV_PORTS], sizeof sl->ports_why);
		}
	}

	int e = read_ifaces(&d, k->ifaces);
	if (e == -ENOMEM) {
		gv_reading_free(r);
		return e;
	}
	read_knobs_kept(&d);
	read_irqs(&d, k->irqs);
	if (flags & GV_READ_NETLINK)
		read_channels(&d, k->ifaces);
	char *t;
	if (kfs_cache_read(c, root, "proc/uptime", &t, NULL) == 0) {
		char err[8];
		r->has_uptime = gv_parse_uptime(t, &r->uptime_s, err, sizeof err) == 0;
	}
	if (k->kmsg || !is_live(root)) {
		e = k->kmsg && is_live(root)
			? gv_kmsg_read(k->kmsg, root, &r->kmsg, r->error[GV_KMSG], sizeof r->error[GV_KMSG])
			: gv_kmsg_read_file(root, &r->kmsg, r->error[GV_KMSG], sizeof r->error[GV_KMSG]);
		if (e)
			r->status[GV_KMSG] = e;
	}

	if (flags & GV_READ_NETLINK) {
		e = sockdiag_listeners(root, &r->listeners, &r->nlisteners);
		if (e)
			set_err(r, GV_LISTENERS, e, "sock_diag (listeners)");
		if (!r->status[GV_PORTS])
			gv_ports_fill(ps, root, r);
		gv_synq_fill(ps, root, r);
		if (!e)
			gv_procs_fill(k->procs, root, r);
		else
			set_err(r, GV_PROCS, e, "sock_diag (listeners)");
	} else {
		set_err(r, GV_LISTENERS, -EOPNOTSUPP, "sock_diag");
		set_err(r, GV_PROCS, -EOPNOTSUPP, "sock_diag");
	}
	return 0;
}

static void read_channels(struct rd *d, struct gv_iflist *l)
{
	uint64_t now = vclock_mono_ns();
	for (int i = 0; i < d->r->nifaces; i++) {
		struct gv_iface *f = &d->r->ifaces[i];
		struct chan_keep *k = NULL;
		if (!strcmp(f->name, "lo"))
			continue;
		for (int j = 0; l && j < l->nch && !k; j++)
			if (!strcmp(l->ch[j].name, f->name))
				k = &l->ch[j];
		if (!k && l && l->nch < GV_MAX_IFACES) {
			k = &l->ch[l->nch++];
			memset(k, 0, sizeof *k);
			snprintf(k->name, sizeof k->name, "%s", f->name);
		}
		struct chan_keep tmp;
		if (!k) {
			memset(&tmp, 0, sizeof tmp);
			k = &tmp;
		}
		if (!k->at_ns || now - k->at_ns >= CHAN_MAX_AGE_NS || !is_live(d->root)) {
			k->r = ethchan_get(d->root, f->name, &k->c);
			k->at_ns = now ? now : 1;
		}
		if (k->r)
			continue;
		f->has_ch = 1;
		f->ch_combined = k->c.combined;
		f->ch_combined_max = k->c.combined_max;
		f->ch_rx = k->c.rx;
		f->ch_rx_max = k->c.rx_max;
	}
}

void gv_channels_forget(struct gv_iflist *l)
{
	if (l)
		l->nch = 0;
}

int gv_read_cached(struct kfs_cache *c, const char *root, int flags, struct gv_reading *r)
{
	struct gv_keep k = { .c = c };
	return gv_read_keep(&k, root, flags, r);
}

int gv_read(const char *root, int flags, struct gv_reading *r)
{
	struct kfs_cache *c = kfs_cache_new();
	if (!c) {
		memset(r, 0, sizeof *r);
		return -ENOMEM;
	}
	int e = gv_read_cached(c, root, flags, r);
	kfs_cache_free(c);
	return e;
}

void gv_reading_free(struct gv_reading *r)
{
	gv_irqs_free(&r->irq);
	free(r->cpu);
	free(r->softnet);
	free(r->netrx);
	free(r->listeners);
	free(r->ifaces);
	memset(r, 0, sizeof *r);
}
