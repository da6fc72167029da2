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
	GV_IRQS, GV_KMSG, GV_PROCS,
	GV_NGROUPS
};

/* A guest row's source in the catalogue (enum metric_src) is its group. */
_Static_assert((int)MS_CPU == (int)GV_CPU && (int)MS_SNMP == (int)GV_SNMP &&
		       (int)MS_NETSTAT == (int)GV_NETSTAT && (int)MS_KNOBS == (int)GV_KNOBS &&
		       (int)MS_PROCS == (int)GV_PROCS && (int)MS_HOST == (int)GV_NGROUPS,
	       "enum metric_src lists the groups of enum gv_group in its order");

const char *gv_group_name(enum gv_group g);

/* CPU time in USER_HZ ticks, as /proc/stat gives it. */
struct gv_cpu_ticks {
	int id; /* -1 for the "cpu" total line */
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
};

/* The catalogue's counters (the C rows of metrics.h) as read, by slot
 * (enum metric_counter_id); seen says the kernel has the column. */
struct gv_counters {
	uint64_t v[MC_COUNT];
	uint64_t seen[(MC_COUNT + 63) / 64];
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
	uint64_t tcp_mem; /* pages charged to TCP ("mem"), as tcp_mem counts */
	int has_mem;
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
	uint32_t inode;   /* the socket's inode (0: unknown) */
	int pid;	  /* its process (gv_procs.h), 0 when not known */
};

/* /proc/net/stat/nf_conntrack summed over CPUs (gv_ctstat.c). */
struct gv_ctstat {
	int present; /* 0: the file is absent (conntrack not loaded) */
	uint64_t found, new_, invalid, insert, insert_failed, drop, early_drop,
		search_restart;
};

struct gv_conntrack {
	int present; /* 0: nf_conntrack not loaded (not an error) */
	uint64_t count, max, est_timeout, tw_timeout;
	struct gv_ctstat st;
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
	/* ethtool channels (lib/ethchan.h): combined in use and at most, and
	 * rx/tx-only ones; has_ch 0 when the device does not say */
	int has_ch;
	uint32_t ch_combined, ch_combined_max, ch_rx, ch_rx_max;
};

/* One interface's six counters under root (the host view's tap), as the
 * guest view reads them: its row of proc/net/dev, which the kernel prints
 * for the reading thread's network namespace (sysfs shows the namespace it
 * was mounted in, not one entered with setns); a tree with no
 * proc/net/dev (an older capture) gives its sysfs statistics files. Only
 * the counters and name of f are set. 0, -ENODEV (no such interface),
 * -EINVAL (bad name or file) or -errno. */
int gv_iface_read(const char *root, const char *name, struct gv_iface *f);

/* Knobs as read; -1 when the file is absent. */
struct gv_knobs {
	int64_t v[MK_COUNT]; /* the catalogue's K rows, by slot */
	/* the three-number knobs: min, pressure/default, max; [0] -1: absent */
	int64_t tcp_mem[3], tcp_rmem[3], tcp_wmem[3];
};

/* NIC queue interrupts from /proc/interrupts (gv_irq.h): the lines of
 * network devices' receive queues, summed per CPU. */
#define GV_MAX_NIC_IRQS 64
struct gv_irq_line {
	int irq;
	char name[32];	 /* its action name, "virtio0-input.0", "eth0-q0-rx" */
	uint64_t total;	 /* over every CPU */
};
struct gv_irqs {
	int present;	 /* 0: no /proc/interrupts (not an error) */
	int ncpu;	 /* CPU columns */
	int *cpu_id;	 /* column -> CPU number (ncpu entries; NULL in a sample) */
	uint64_t *per_cpu; /* NIC queue interrupts per column (NULL in a sample) */
	int nlines;	 /* NIC queue lines found (all, even past the list) */
	int nlist;
	struct gv_irq_line lines[GV_MAX_NIC_IRQS];
	int irqbalance;	 /* 1 running, 0 not, -1 unknown (gv_procs.h) */
};

/* Known kernel log messages since the previous reading (gv_kmsg.h). */
enum gv_kmsg_kind {
	GV_KM_CONNTRACK_FULL, GV_KM_SYN_FLOOD, GV_KM_TW_OVERFLOW, GV_KM_ORPHANS,
	GV_KM_TCP_OOM, GV_KM_DST_OVERFLOW, GV_KM_NEIGH_OVERFLOW, GV_KM_ALLOC_FAIL, GV_KM_N
};
#define GV_KMSG_LINE 200
struct gv_kmsg_counts {
	int present;	      /* 0: no kernel log to read (not an error) */
	uint64_t n[GV_KM_N];  /* known lines */
	uint64_t lines;	      /* every line read */
	uint64_t skipped;     /* lines not read: over the per-reading limit or lost */
	char latest[GV_KMSG_LINE]; /* the latest known line ("" none yet; a live
				    * reader keeps it from one reading to the next) */
	double latest_ts_s;   /* its kernel time stamp, seconds since boot */
};

/* The processes of the listeners and their open-file limits (gv_procs.h). */
#define GV_MAX_PROCS 16
struct gv_proc {
	int pid;
	char comm[16];
	uint64_t fds;	      /* open descriptors (or an upper bound) */
	int fds_bound;	      /* fds is the fd table's size, an upper bound */
	double fds_age_s;     /* seconds since fds was counted */
	uint64_t soft, hard;  /* RLIMIT_NOFILE (UINT64_MAX: unlimited) */
	int listeners;	      /* listeners it holds */
};
struct gv_procs {
	int known;	      /* listeners' processes looked up at least once */
	int nproc;
	struct gv_proc p[GV_MAX_PROCS];
	int unmapped;	      /* listeners whose process is not known */
	double map_age_s;     /* since the /proc scan that mapped them */
	uint64_t scans, scan_cpu_ns; /* /proc scans so far, and their CPU */
};

struct gv_reading {
	uint64_t mono_ns;
	int status[GV_NGROUPS];		/* 0 or -errno per group */
	char error[GV_NGROUPS][96];	/* why a group failed, for people */
	struct gv_cpu_ticks total;
	int ncpu;
	struct gv_cpu_ticks *cpu;
	struct gv_counters nstat;	/* /proc/net/snmp and netstat */
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
	struct gv_irqs irq;
	struct gv_kmsg_counts kmsg;
	struct gv_procs procs;
	double uptime_s; /* /proc/uptime: a capture's own clock (replay) */
	int has_uptime;
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
struct gv_kmsg;
struct gv_procs_sched;
struct gv_irqkeep;
struct gv_slow;
struct gv_keep {
	struct kfs_cache *c;	      /* the files read every time, open */
	struct gv_ports_sched *ports; /* NULL: count ports whenever it could matter */
	struct gv_iflist *ifaces;     /* NULL: list the interfaces every time */
	struct gv_kmsg *kmsg;	      /* NULL: no kernel log (a fixture's is read whole) */
	struct gv_procs_sched *procs; /* NULL: look the processes up every time */
	struct gv_irqkeep *irqs;      /* NULL: read /proc/interrupts whole every time */
	struct gv_slow *slow;	      /* NULL: read the settings every time */
};
int gv_read_keep(const struct gv_keep *k, const char *root, int flags, struct gv_reading *r);

/* The interfaces kept from one reading to the next: listed again (sysfs)
 * only when rtnetlink reports a link change, and with more interfaces
 * than GV_MAX_IFACES their counters come from their own sysfs files, not
 * from /proc/net/dev (which prints every interface). Live root only; a
 * fixture root is listed every time. NULL on no memory. */
struct gv_iflist *gv_iflist_new(void);
void gv_iflist_free(struct gv_iflist *l);
/* Ask every interface for its channels again at the next reading (after
 * vtune changed them). NULL is fine. */
void gv_channels_forget(struct gv_iflist *l);

/* The settings that change only when someone sets them (the knobs, the
 * local port range, file-max, conntrack's table size and timeouts, each
 * interface's receive queues and RPS masks: those again at once when a
 * link changes), kept
 * from one reading to the next and read again every `period` readings and
 * whenever GV_SLOW_MAX_AGE_NS has passed since they were read, so that a
 * change is seen within GV_SLOW_MAX_AGE_NS. A new keep reads them at every
 * reading (period 1). NULL on no memory. */
#define GV_SLOW_MAX_AGE_NS (10ull * 1000000000ull)
struct gv_slow *gv_slow_new(void);
void gv_slow_free(struct gv_slow *s);
/* The period for readings every interval_s seconds: as many readings as
 * fit in GV_SLOW_MAX_AGE_NS (at least 1). */
void gv_slow_set_interval(struct gv_slow *s, double interval_s);
/* Read them again at the next reading (vtune changed one). NULL is fine. */
void gv_slow_forget(struct gv_slow *s);

void gv_reading_free(struct gv_reading *r);

/* The individual parsers, on text already read (tests and fuzzers feed
 * them directly). Each returns 0 or -EINVAL/-ENOMEM and, on error, puts a
 * reason in err. */
int gv_parse_stat(char *text, struct gv_reading *r, char *err, size_t n);
/* /proc/net/snmp (file MS_SNMP) or /proc/net/netstat (MS_NETSTAT): the
 * catalogue's C rows of that file. */
int gv_parse_nstat(char *text, enum metric_src file, struct gv_counters *c, char *err,
		   size_t n);
int gv_counter_seen(const struct gv_counters *c, int slot);
int gv_parse_sockstat(char *text, int v6, struct gv_sockstat *s, char *err, size_t n);
int gv_parse_softnet(char *text, struct gv_reading *r, char *err, size_t n);
int gv_parse_softirqs(char *text, struct gv_reading *r, char *err, size_t n);
int gv_parse_file_nr(char *text, uint64_t *nr, char *err, size_t n);
int gv_parse_port_range(char *text, uint32_t *lo, uint32_t *hi, char *err, size_t n);
/* "a b c" (tcp_mem, tcp_rmem, tcp_wmem): three non-negative numbers. */
int gv_parse_triple(char *text, int64_t v[3], char *err, size_t n);
/* /proc/net/stat/nf_conntrack: a header of names, one hex row per CPU,
 * summed by name (gv_ctstat.c). */
int gv_parse_ctstat(char *text, struct gv_ctstat *st, char *err, size_t n);
/* /proc/uptime: "SECONDS IDLE". */
int gv_parse_uptime(char *text, double *up, char *err, size_t n);

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
	int has_ch;	       /* channels, as struct gv_iface */
	uint32_t ch_combined, ch_combined_max, ch_rx, ch_rx_max;
};

/* A sample: the rates and gauges between two readings. */
struct gv_sample {
	double interval_s;
	int status[GV_NGROUPS];
	char error[GV_NGROUPS][96];
	struct gv_cpu_pct total;
	int ncpu;
	struct gv_cpu_pct *cpu;
	/* the C rows: a rate (MU_RATE) or the later reading's value, by slot;
	 * known when both readings had the column (gv_counter_seen) */
	double nstat[MC_COUNT];
	uint64_t nstat_known[(MC_COUNT + 63) / 64];
	double retrans_pct; /* RetransSegs / OutSegs, %, -1 when nothing was sent */
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
	/* seeds' sources: rates of the counters, gauges as read */
	struct {
		double new_, invalid, insert_failed, drop, early_drop, search_restart;
	} ctr;	/* conntrack statistics as rates (ct.st.present) */
	struct gv_irqs irq;   /* the later reading's (cpu_id, per_cpu NULL) */
	int irq_ncpu;
	double *irq_cpu_rate; /* NIC queue interrupts per second, per CPU column */
	int *irq_cpu_id;      /* the CPU of each column */
	double irq_rate;      /* NIC queue interrupts per second, all CPUs */
	int irq_hot_cpu;      /* -1 when none */
	double irq_hot_share; /* % on the hottest CPU */
	int irq_cpus;	      /* CPUs that took NIC queue interrupts */
	struct gv_kmsg_counts kmsg;
	double kmsg_latest_age_s; /* -1: unknown */
	struct gv_procs procs;
	/* the later reading's raw counters (the *_total metrics), summed as the
	 * rates are: softnet over CPUs, interfaces over non-loopback ones */
	uint64_t softnet_total[3]; /* processed, dropped, squeezed */
	uint64_t net_total[4];	   /* rx packets, tx packets, rx drops, tx drops */
};

/* Rates from a to b (b later). Counters that went backwards (reset, CPU
 * hot-plug) give 0, not huge numbers. Returns 0, -EINVAL (b not later than
 * a) or -ENOMEM. Free with gv_sample_free. */
int gv_sample_compute(const struct gv_reading *a, const struct gv_reading *b,
		      struct gv_sample *s);
void gv_sample_free(struct gv_sample *s);

/* Whether C row slot has a value in s (its file read both times, the
 * column in both). */
int gv_sample_has_counter(const struct gv_sample *s, int slot);

/* Fill the flat metric vector (guest.* metrics) from a sample; metrics of
 * a group that failed stay unknown. */
void gv_sample_metrics(const struct gv_sample *s, struct mvec *m);

/* The seeds' rows of the catalogue (IRQs, channels, listeners'
 * processes, socket memory, TIME_WAIT, retransmits, the kernel log,
 * conntrack statistics), set by gv_sample_metrics. */
void gv_sample_seed_metrics(const struct gv_sample *s, struct mvec *m);

/* Every NIC queue interrupt of the interval on one CPU, with 2 or more
 * online. */
int gv_sample_irq_one_cpu(const struct gv_sample *s);

/* The busiest listener not bound to loopback (most queued, then largest
 * backlog, then lowest port), or -1. */
int gv_sample_busy_listener(const struct gv_sample *s);

/* The interface with combined channels and the most received packets, or -1. */
int gv_sample_busy_iface(const struct gv_sample *s);


#endif
