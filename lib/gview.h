/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gview: the guest view. One reading of the guest kernel's counters and
 * gauges (gv_read), and a sample that turns two readings into rates
 * (gv_sample_compute). Every file is read through kfs under a root prefix;
 * listeners come from NETLINK_SOCK_DIAG (see sockdiag.h). */
#ifndef VTUNE_GVIEW_H
#define VTUNE_GVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

#define GV_MAX_CPUS 1024
#define GV_MAX_LISTENERS 512
#define GV_MAX_IFACES 64
#define GV_MAX_RXQ 64
#define GV_ADDR_LEN 46
#define GV_IFNAME_LEN 16
#define GV_MASK_LEN 80

/* Groups of the catalogue; each is read (or fails) on its own. */
enum gv_group {
	GV_CPU, GV_SNMP, GV_NETSTAT, GV_SOCKSTAT, GV_LISTENERS, GV_SOFTNET,
	GV_SOFTIRQS, GV_CONNTRACK, GV_PORTS, GV_FILES, GV_IFACES, GV_KNOBS,
	GV_NGROUPS
};

const char *gv_group_name(enum gv_group g);

/* CPU time in USER_HZ ticks, as /proc/stat gives it. */
struct gv_cpu_ticks {
	int id; /* -1 for the "cpu" total line */
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
};

struct gv_tcp_counters {
	uint64_t passive_opens, active_opens;			  /* Tcp: */
	uint64_t out_segs, retrans_segs, in_csum_errors;	  /* Tcp: */
	uint64_t listen_overflows, listen_drops, backlog_drop;	  /* TcpExt: */
	uint64_t syncookies_sent, reqq_full_drop, reqq_full_do_cookies;
	uint64_t syncookies_recv, syncookies_failed;
};

/* Half-open connections (SYN_RECV request sockets) of the listener that has
 * the most: a dump of them is taken only when SYNs overflow a queue (see
 * gv_ports.h), so it may be older than the reading. */
struct gv_synq {
	int known;
	uint32_t port;	 /* that listener's port */
	uint64_t count;	 /* its half-open connections */
	double age_s;	 /* seconds since the dump (0: this reading) */
};

struct gv_sockstat {
	uint64_t tcp_inuse, tcp_orphan, tcp_tw, tcp_alloc, tcp6_inuse;
};

struct gv_softnet_row {
	int cpu;
	uint64_t processed, dropped, squeezed;
};

struct gv_listener {
	int family; /* AF_INET or AF_INET6 */
	char addr[GV_ADDR_LEN];
	uint16_t port;
	uint32_t queue;   /* connections waiting for accept() (ss Recv-Q) */
	uint32_t backlog; /* the listen() backlog as capped by the kernel (Send-Q) */
};

struct gv_conntrack {
	int present; /* 0: nf_conntrack not loaded (not an error) */
	uint64_t count, max, est_timeout, tw_timeout;
};

/* Ports in use: see gv_ports.h for when they are counted exactly. */
struct gv_ports {
	uint32_t lo, hi;  /* ip_local_port_range */
	uint64_t in_use;  /* TCP sockets (not listening) with a local port in it */
	int in_use_known;
	int in_use_bound; /* in_use is an upper bound (all TCP sockets) */
	double in_use_age_s;   /* seconds since in_use was counted (0: now) */
	uint64_t exact_counts; /* exact counts (sock_diag dumps) taken so far */
	uint64_t exact_cpu_ns; /* the CPU they took, in all */
};

/* Counters from /proc/net/dev when it lists the interface, else from its
 * sysfs statistics files. The two agree except that /proc/net/dev's rx drop
 * column is rx_dropped + rx_missed_errors (0 on virtio-net, veth, lo). */
struct gv_iface {
	char name[GV_IFNAME_LEN];
	uint64_t rx_packets, tx_packets, rx_dropped, tx_dropped, rx_errors, tx_errors;
	int nrxq;		/* rx queues read, at most GV_MAX_RXQ */
	int rps_off;		/* how many of them have an all-zero rps_cpus */
	char rps[GV_MASK_LEN];	/* rps_cpus of the first (rx-0) */
};

/* Knobs as read; -1 when the file is absent. */
struct gv_knobs {
	int64_t somaxconn, tcp_max_syn_backlog, netdev_max_backlog, netdev_budget,
		tcp_fin_timeout, slow_start_after_idle, syncookies, tw_reuse,
		nf_conntrack_max, rps_sock_flow_entries;
};

struct gv_reading {
	uint64_t mono_ns;
	int status[GV_NGROUPS];		/* 0 or -errno per group */
	char error[GV_NGROUPS][96];	/* why a group failed, for people */
	struct gv_cpu_ticks total;
	int ncpu;
	struct gv_cpu_ticks *cpu;
	struct gv_tcp_counters tcp;
	struct gv_sockstat sock;
	int nsoftnet;
	struct gv_softnet_row *softnet;
	int nnetrx;
	uint64_t *netrx; /* NET_RX softirqs per CPU column of /proc/softirqs */
	int nlisteners;
	struct gv_listener *listeners;
	struct gv_conntrack ct;
	struct gv_ports ports;
	uint64_t files_nr, files_max;
	int nifaces;
	struct gv_iface *ifaces;
	struct gv_knobs knobs;
	struct gv_synq synq;
};

/* Flags for gv_read: which costly sources to use. */
enum {
	GV_READ_NETLINK = 1, /* listeners and port use via sock_diag */
};

/* Read everything under root into r (which is reset first). A group that
 * cannot be read has its status and error set; others are still read.
 * Ports in use are counted exactly whenever they could be short (no
 * schedule: see gv_reader.h for samplers). Returns 0, or -ENOMEM. Free
 * with gv_reading_free. */
int gv_read(const char *root, int flags, struct gv_reading *r);
/* The same through c (see kfs.h): the files read every time stay open in
 * it between readings. */
struct kfs_cache;
int gv_read_cached(struct kfs_cache *c, const char *root, int flags,
		   struct gv_reading *r);

/* What a sampler keeps from one reading to the next, so that a reading
 * costs the same whatever the number of sockets and interfaces (a
 * gv_reader, gv_reader.h, makes and frees them all). */
struct gv_ports_sched;
struct gv_iflist;
struct gv_keep {
	struct kfs_cache *c;	      /* the files read every time, open */
	struct gv_ports_sched *ports; /* NULL: count ports whenever it could matter */
	struct gv_iflist *ifaces;     /* NULL: list the interfaces every time */
};
int gv_read_keep(const struct gv_keep *k, const char *root, int flags, struct gv_reading *r);

/* The interfaces kept from one reading to the next: listed again (sysfs)
 * only when rtnetlink reports a link change, and with more interfaces
 * than GV_MAX_IFACES their counters come from their own sysfs files, not
 * from /proc/net/dev (which prints every interface). Live root only; a
 * fixture root is listed every time. NULL on no memory. */
struct gv_iflist *gv_iflist_new(void);
void gv_iflist_free(struct gv_iflist *l);

void gv_reading_free(struct gv_reading *r);

/* The individual parsers, on text already read (tests and fuzzers feed
 * them directly). Each returns 0 or -EINVAL/-ENOMEM and, on error, puts a
 * reason in err. */
int gv_parse_stat(char *text, struct gv_reading *r, char *err, size_t n);
int gv_parse_snmp(char *text, struct gv_tcp_counters *t, char *err, size_t n);
int gv_parse_netstat(char *text, struct gv_tcp_counters *t, char *err, size_t n);
int gv_parse_sockstat(char *text, int v6, struct gv_sockstat *s, char *err, size_t n);
int gv_parse_softnet(char *text, struct gv_reading *r, char *err, size_t n);
int gv_parse_softirqs(char *text, struct gv_reading *r, char *err, size_t n);
int gv_parse_file_nr(char *text, uint64_t *nr, char *err, size_t n);
int gv_parse_port_range(char *text, uint32_t *lo, uint32_t *hi, char *err, size_t n);

/* Per-CPU percentages over an interval. */
struct gv_cpu_pct {
	int id;
	double user, system, softirq, steal, busy;
};

struct gv_softnet_rate {
	int cpu;
	double processed, dropped, squeezed;
};

struct gv_iface_rate {
	char name[GV_IFNAME_LEN];
	double rx_packets, tx_packets, rx_dropped, tx_dropped, rx_errors, tx_errors;
	int nrxq, rps_off; /* rx queues, and how many have an all-zero mask */
	char rps[GV_MASK_LEN]; /* mask of rx-0, for display */
};

/* A sample: the rates and gauges between two readings. */
struct gv_sample {
	double interval_s;
	int status[GV_NGROUPS];
	char error[GV_NGROUPS][96];
	struct gv_cpu_pct total;
	int ncpu;
	struct gv_cpu_pct *cpu;
	struct {
		double passive_opens, active_opens, listen_overflows, listen_drops,
			backlog_drop, syncookies_sent, reqq_full_drop, reqq_full_do_cookies,
			syncookies_recv, syncookies_failed;
		double csum_errors; /* InCsumErrors per second */
		double retrans_pct; /* RetransSegs / OutSegs, %, -1 when nothing was sent */
	} tcp;
	struct gv_synq synq;
	struct gv_sockstat sock;
	int nlisteners;
	struct gv_listener *listeners;
	int nsoftnet;
	struct gv_softnet_rate *softnet;
	int nnetrx;
	double *netrx;
	double netrx_imbalance; /* hottest CPU / mean (1.0 = even) */
	int netrx_hot_cpu;	/* -1 when no NET_RX at all */
	double netrx_hot_share; /* % of NET_RX on the hottest CPU */
	struct gv_conntrack ct;
	struct gv_ports ports;
	uint64_t files_nr, files_max;
	int nifaces;
	struct gv_iface_rate *ifaces;
	struct gv_knobs knobs;
	/* the later reading's raw counters (the *_total metrics), summed as the
	 * rates are: softnet over CPUs, interfaces over non-loopback ones */
	struct gv_tcp_counters tcp_total;
	uint64_t softnet_total[3]; /* processed, dropped, squeezed */
	uint64_t net_total[4];	   /* rx packets, tx packets, rx drops, tx drops */
};

/* Rates from a to b (b later). Counters that went backwards (reset, CPU
 * hot-plug) give 0, not huge numbers. Returns 0, -EINVAL (b not later than
 * a) or -ENOMEM. Free with gv_sample_free. */
int gv_sample_compute(const struct gv_reading *a, const struct gv_reading *b,
		      struct gv_sample *s);
void gv_sample_free(struct gv_sample *s);

/* Fill the flat metric vector (guest.* metrics) from a sample; metrics of
 * a group that failed stay unknown. */
void gv_sample_metrics(const struct gv_sample *s, struct mvec *m);


#endif
