/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics: the catalogue of scalar metrics that policies, reports and the
 * wire protocol name: every guest.* and host.* metric with its unit and the
 * range a valid value must lie in. A metric vector holds one value each. */
#ifndef VTUNE_METRICS_H
#define VTUNE_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum metric_unit {
	MU_PCT,		/* percent, 0..100 */
	MU_RATE,	/* events per second */
	MU_COUNT,	/* a gauge: items */
	MU_RATIO,	/* a plain ratio (e.g. max/mean) */
	MU_SECONDS,	/* a duration in seconds */
	MU_BOOL,	/* 0 or 1 */
	MU_VALUE,	/* a tuning knob's current value */
	MU_TOTAL,	/* a counter: events since the guest booted (never a rate) */
};

/* Where a row's value comes from: a group of the guest view (the order of
 * enum gv_group, gview.h), the host view common to every backend
 * (hostnet/), or the hypervisor (a backend's host view slot). A test
 * (test_catalogue) checks that each row is produced by its source on the
 * fixture trees. */
enum metric_src {
	MS_CPU, MS_SNMP, MS_NETSTAT, MS_SOCKSTAT, MS_LISTENERS, MS_SOFTNET,
	MS_SOFTIRQS, MS_CONNTRACK, MS_PORTS, MS_FILES, MS_IFACES, MS_KNOBS,
	MS_IRQS, MS_KMSG, MS_PROCS,
	MS_HOST,	/* the host view (hostnet/), any backend */
	MS_HYPERVISOR,	/* the backend alone knows it */
};

/* The rows, three kinds:
 * X(id, name, unit, src, help): computed by src's code (gv_sample.c for a
 *   guest group, the host view, or a backend);
 * C(id, name, unit, file, section, field, help): a counter of
 *   /proc/net/snmp (file SNMP) or /proc/net/netstat (NETSTAT), "section:"
 *   lines, column field, produced by the catalogue alone (gv_parse.c,
 *   gv_sample.c): its rate for MU_RATE, its value for MU_TOTAL (since boot)
 *   and MU_COUNT (a gauge such as CurrEstab); unknown when the kernel does
 *   not have the column;
 * K(id, name, sysctl, help): a knob's current value (unit MU_VALUE), read
 *   from /proc/sys/<sysctl with dots as slashes> by the catalogue alone.
 * Adding a C or K row is all it takes to read, send, report and write
 * policies on a counter or a knob (plus its entry in vtune-policies(5)). */
#define METRIC_LIST(X, C, K)                                                  \
	/* guest: CPU */                                                      \
	X(GUEST_CPU_STEAL, "guest.cpu.steal", MU_PCT, MS_CPU, "steal time, all CPUs") \
	X(GUEST_CPU_STEAL_MAX, "guest.cpu.steal_max", MU_PCT, MS_CPU, "steal time of the worst CPU") \
	X(GUEST_CPU_BUSY_MAX, "guest.cpu.busy_max", MU_PCT, MS_CPU, "busy time (not idle/iowait/steal) of the busiest CPU") \
	X(GUEST_CPU_SOFTIRQ_MAX, "guest.cpu.softirq_max", MU_PCT, MS_CPU, "softirq time of the busiest CPU") \
	/* guest: TCP counters as rates, and socket gauges */                 \
	C(GUEST_TCP_PASSIVE_OPENS, "guest.tcp.passive_opens", MU_RATE, SNMP, "Tcp", "PassiveOpens", "accepted connections (PassiveOpens)") \
	C(GUEST_TCP_ACTIVE_OPENS, "guest.tcp.active_opens", MU_RATE, SNMP, "Tcp", "ActiveOpens", "outgoing connections (ActiveOpens)") \
	C(GUEST_TCP_LISTEN_OVERFLOWS, "guest.tcp.listen_overflows", MU_RATE, NETSTAT, "TcpExt", "ListenOverflows", "accept queue overflows (ListenOverflows)") \
	C(GUEST_TCP_LISTEN_DROPS, "guest.tcp.listen_drops", MU_RATE, NETSTAT, "TcpExt", "ListenDrops", "SYNs dropped at a listener (ListenDrops)") \
	C(GUEST_TCP_BACKLOG_DROPS, "guest.tcp.backlog_drops", MU_RATE, NETSTAT, "TcpExt", "TCPBacklogDrop", "socket backlog drops (TCPBacklogDrop)") \
	C(GUEST_TCP_SYNCOOKIES_SENT, "guest.tcp.syncookies_sent", MU_RATE, NETSTAT, "TcpExt", "SyncookiesSent", "SYN cookies sent (SyncookiesSent)") \
	C(GUEST_TCP_REQQ_FULL_DROPS, "guest.tcp.reqq_full_drops", MU_RATE, NETSTAT, "TcpExt", "TCPReqQFullDrop", "SYNs dropped, request queue full (TCPReqQFullDrop)") \
	C(GUEST_TCP_REQQ_FULL_COOKIES, "guest.tcp.reqq_full_cookies", MU_RATE, NETSTAT, "TcpExt", "TCPReqQFullDoCookies", "cookies sent, request queue full (TCPReqQFullDoCookies)") \
	X(GUEST_TCP_INUSE, "guest.tcp.inuse", MU_COUNT, MS_SOCKSTAT, "TCP sockets in use, v4 and v6") \
	X(GUEST_TCP_ORPHANS, "guest.tcp.orphans", MU_COUNT, MS_SOCKSTAT, "orphaned TCP sockets") \
	X(GUEST_TCP_TIME_WAIT, "guest.tcp.time_wait", MU_COUNT, MS_SOCKSTAT, "TCP sockets in TIME_WAIT") \
	/* guest: listeners */                                                \
	X(GUEST_LISTEN_FILL_MAX, "guest.listen.fill_max", MU_PCT, MS_LISTENERS, "fullest listener's accept queue vs its backlog") \
	X(GUEST_LISTEN_FULL, "guest.listen.full", MU_COUNT, MS_LISTENERS, "listeners whose accept queue is at their backlog") \
	X(GUEST_LISTEN_BACKLOG_MIN, "guest.listen.backlog_min", MU_COUNT, MS_LISTENERS, "smallest backlog among listeners") \
	/* guest: softnet and NET_RX */                                       \
	X(GUEST_SOFTNET_PROCESSED, "guest.softnet.processed", MU_RATE, MS_SOFTNET, "packets processed by softnet, all CPUs") \
	X(GUEST_SOFTNET_DROPPED, "guest.softnet.dropped", MU_RATE, MS_SOFTNET, "packets dropped, netdev backlog full, all CPUs") \
	X(GUEST_SOFTNET_SQUEEZED, "guest.softnet.squeezed", MU_RATE, MS_SOFTNET, "NET_RX runs out of budget or time (time_squeeze)") \
	X(GUEST_NETRX_RATE, "guest.netrx.rate", MU_RATE, MS_SOFTIRQS, "NET_RX softirqs, all CPUs") \
	X(GUEST_NETRX_IMBALANCE, "guest.netrx.imbalance", MU_RATIO, MS_SOFTIRQS, "NET_RX of the hottest CPU / mean over CPUs (1 = even)") \
	X(GUEST_NETRX_HOT_SHARE, "guest.netrx.hot_share", MU_PCT, MS_SOFTIRQS, "share of NET_RX softirqs on the hottest CPU") \
	/* guest: conntrack (absent module: not present) */                   \
	X(GUEST_CONNTRACK_COUNT, "guest.conntrack.count", MU_COUNT, MS_CONNTRACK, "conntrack entries") \
	X(GUEST_CONNTRACK_MAX, "guest.conntrack.max", MU_COUNT, MS_CONNTRACK, "conntrack table size") \
	X(GUEST_CONNTRACK_FILL, "guest.conntrack.fill", MU_PCT, MS_CONNTRACK, "conntrack entries vs max") \
	X(GUEST_CONNTRACK_EST_TIMEOUT, "guest.conntrack.established_timeout", MU_SECONDS, MS_CONNTRACK, "conntrack established timeout") \
	X(GUEST_CONNTRACK_TW_TIMEOUT, "guest.conntrack.time_wait_timeout", MU_SECONDS, MS_CONNTRACK, "conntrack time_wait timeout") \
	/* guest: ports and files */                                          \
	X(GUEST_PORTS_RANGE, "guest.ports.range", MU_COUNT, MS_PORTS, "size of ip_local_port_range") \
	X(GUEST_PORTS_USED, "guest.ports.used", MU_COUNT, MS_PORTS, "ephemeral ports of that range held by outgoing connections (sockets on a listener's port not counted)") \
	X(GUEST_PORTS_FILL, "guest.ports.fill", MU_PCT, MS_PORTS, "ephemeral ports held by outgoing connections vs range") \
	X(GUEST_FILES_NR, "guest.files.nr", MU_COUNT, MS_FILES, "allocated file handles (fs.file-nr)") \
	X(GUEST_FILES_MAX, "guest.files.max", MU_COUNT, MS_FILES, "fs.file-max") \
	X(GUEST_FILES_FILL, "guest.files.fill", MU_PCT, MS_FILES, "file handles vs file-max") \
	/* guest: interfaces, summed over non-loopback interfaces */          \
	X(GUEST_NET_RX_PACKETS, "guest.net.rx_packets", MU_RATE, MS_IFACES, "received packets") \
	X(GUEST_NET_TX_PACKETS, "guest.net.tx_packets", MU_RATE, MS_IFACES, "sent packets") \
	X(GUEST_NET_RX_DROPS, "guest.net.rx_drops", MU_RATE, MS_IFACES, "receive drops") \
	X(GUEST_NET_TX_DROPS, "guest.net.tx_drops", MU_RATE, MS_IFACES, "transmit drops") \
	X(GUEST_NET_ERRORS, "guest.net.errors", MU_RATE, MS_IFACES, "receive and transmit errors") \
	X(GUEST_NET_RPS_OFF, "guest.net.rps_off", MU_COUNT, MS_IFACES, "rx queues with an empty RPS mask") \
	X(GUEST_NCPU, "guest.cpus", MU_COUNT, MS_CPU, "online CPUs") \
	/* guest: the raw counters behind the rates, for Prometheus (rate() of \
	 * a counter survives lost scrapes; agents before 0.2 do not send them) */ \
	C(GUEST_TCP_PASSIVE_OPENS_TOTAL, "guest.tcp.passive_opens_total", MU_TOTAL, SNMP, "Tcp", "PassiveOpens", "accepted connections since boot (PassiveOpens)") \
	C(GUEST_TCP_ACTIVE_OPENS_TOTAL, "guest.tcp.active_opens_total", MU_TOTAL, SNMP, "Tcp", "ActiveOpens", "outgoing connections since boot (ActiveOpens)") \
	C(GUEST_TCP_LISTEN_OVERFLOWS_TOTAL, "guest.tcp.listen_overflows_total", MU_TOTAL, NETSTAT, "TcpExt", "ListenOverflows", "accept queue overflows since boot (ListenOverflows)") \
	C(GUEST_TCP_LISTEN_DROPS_TOTAL, "guest.tcp.listen_drops_total", MU_TOTAL, NETSTAT, "TcpExt", "ListenDrops", "SYNs dropped at a listener since boot (ListenDrops)") \
	C(GUEST_TCP_BACKLOG_DROPS_TOTAL, "guest.tcp.backlog_drops_total", MU_TOTAL, NETSTAT, "TcpExt", "TCPBacklogDrop", "socket backlog drops since boot (TCPBacklogDrop)") \
	C(GUEST_TCP_SYNCOOKIES_SENT_TOTAL, "guest.tcp.syncookies_sent_total", MU_TOTAL, NETSTAT, "TcpExt", "SyncookiesSent", "SYN cookies sent since boot (SyncookiesSent)") \
	C(GUEST_TCP_REQQ_FULL_DROPS_TOTAL, "guest.tcp.reqq_full_drops_total", MU_TOTAL, NETSTAT, "TcpExt", "TCPReqQFullDrop", "SYNs dropped, request queue full, since boot (TCPReqQFullDrop)") \
	C(GUEST_TCP_REQQ_FULL_COOKIES_TOTAL, "guest.tcp.reqq_full_cookies_total", MU_TOTAL, NETSTAT, "TcpExt", "TCPReqQFullDoCookies", "cookies sent, request queue full, since boot (TCPReqQFullDoCookies)") \
	X(GUEST_SOFTNET_PROCESSED_TOTAL, "guest.softnet.processed_total", MU_TOTAL, MS_SOFTNET, "packets processed by softnet since boot, all CPUs") \
	X(GUEST_SOFTNET_DROPPED_TOTAL, "guest.softnet.dropped_total", MU_TOTAL, MS_SOFTNET, "packets dropped, netdev backlog full, since boot, all CPUs") \
	X(GUEST_SOFTNET_SQUEEZED_TOTAL, "guest.softnet.squeezed_total", MU_TOTAL, MS_SOFTNET, "NET_RX runs out of budget or time since boot (time_squeeze)") \
	X(GUEST_NET_RX_PACKETS_TOTAL, "guest.net.rx_packets_total", MU_TOTAL, MS_IFACES, "received packets since boot, non-loopback interfaces") \
	X(GUEST_NET_TX_PACKETS_TOTAL, "guest.net.tx_packets_total", MU_TOTAL, MS_IFACES, "sent packets since boot, non-loopback interfaces") \
	X(GUEST_NET_RX_DROPS_TOTAL, "guest.net.rx_drops_total", MU_TOTAL, MS_IFACES, "receive drops since boot, non-loopback interfaces") \
	X(GUEST_NET_TX_DROPS_TOTAL, "guest.net.tx_drops_total", MU_TOTAL, MS_IFACES, "transmit drops since boot, non-loopback interfaces") \
	/* guest: tuning knobs' current values */                            \
	K(GUEST_SOMAXCONN, "guest.sysctl.somaxconn", "net.core.somaxconn", "accept queue cap per listener") \
	K(GUEST_TCP_MAX_SYN_BACKLOG, "guest.sysctl.tcp_max_syn_backlog", "net.ipv4.tcp_max_syn_backlog", "SYN (request) queue cap per listener") \
	K(GUEST_NETDEV_MAX_BACKLOG, "guest.sysctl.netdev_max_backlog", "net.core.netdev_max_backlog", "per-CPU input queue of packets") \
	K(GUEST_NETDEV_BUDGET, "guest.sysctl.netdev_budget", "net.core.netdev_budget", "packets per NET_RX softirq run") \
	K(GUEST_TCP_FIN_TIMEOUT, "guest.sysctl.tcp_fin_timeout", "net.ipv4.tcp_fin_timeout", "seconds in FIN_WAIT_2") \
	K(GUEST_SLOW_START_AFTER_IDLE, "guest.sysctl.tcp_slow_start_after_idle", "net.ipv4.tcp_slow_start_after_idle", "slow start after idle (0 off, 1 on)") \
	K(GUEST_TCP_SYNCOOKIES, "guest.sysctl.tcp_syncookies", "net.ipv4.tcp_syncookies", "SYN cookies (0 off, 1 on overflow, 2 always)") \
	K(GUEST_TCP_TW_REUSE, "guest.sysctl.tcp_tw_reuse", "net.ipv4.tcp_tw_reuse", "reuse of TIME_WAIT ports by outgoing connections") \
	K(GUEST_NF_CONNTRACK_MAX, "guest.sysctl.nf_conntrack_max", "net.netfilter.nf_conntrack_max", "conntrack table size") \
	K(GUEST_RPS_SOCK_FLOW_ENTRIES, "guest.sysctl.rps_sock_flow_entries", "net.core.rps_sock_flow_entries", "RFS flow table size") \
	/* guest: how fresh the figures counted at a bounded rate are */     \
	X(GUEST_PORTS_USED_AGE, "guest.ports.used_age", MU_SECONDS, MS_PORTS, "seconds since guest.ports.used was counted (0: this sample)") \
	/* guest: what offloads going wrong look like from inside */        \
	C(GUEST_TCP_CSUM_ERRORS, "guest.tcp.csum_errors", MU_RATE, SNMP, "Tcp", "InCsumErrors", "TCP segments received with a bad checksum (InCsumErrors)") \
	X(GUEST_TCP_RETRANS_PCT, "guest.tcp.retrans_pct", MU_PCT, MS_SNMP, "segments retransmitted vs sent (RetransSegs / OutSegs)") \
	/* guest: SYN cookies coming back, and half-open connections: a burst \
	 * of real clients completes its handshakes, a spoofed flood does not */ \
	C(GUEST_TCP_SYNCOOKIES_RECV, "guest.tcp.syncookies_recv", MU_RATE, NETSTAT, "TcpExt", "SyncookiesRecv", "handshakes completed with a valid SYN cookie (SyncookiesRecv)") \
	C(GUEST_TCP_SYNCOOKIES_FAILED, "guest.tcp.syncookies_failed", MU_RATE, NETSTAT, "TcpExt", "SyncookiesFailed", "ACKs with an invalid SYN cookie (SyncookiesFailed)") \
	X(GUEST_TCP_SYN_RECV_MAX, "guest.tcp.syn_recv_max", MU_COUNT, MS_LISTENERS, "half-open connections (SYN_RECV) of the listener with the most, counted when SYNs overflow a queue") \
	X(GUEST_TCP_SYN_RECV_PORT, "guest.tcp.syn_recv_port", MU_COUNT, MS_LISTENERS, "the port of that listener") \
	/* guest: NIC queue interrupts (/proc/interrupts: virtio inputs, Xen  \
	 * netfront, PCI NIC queues) */                                       \
	X(GUEST_IRQ_NIC_RATE, "guest.irq.nic_rate", MU_RATE, MS_IRQS, "NIC receive-queue interrupts, all CPUs") \
	X(GUEST_IRQ_NIC_QUEUES, "guest.irq.nic_queues", MU_COUNT, MS_IRQS, "NIC receive-queue interrupt lines") \
	X(GUEST_IRQ_NIC_CPUS, "guest.irq.nic_cpus", MU_COUNT, MS_IRQS, "CPUs that took NIC receive-queue interrupts") \
	X(GUEST_IRQ_NIC_HOT_SHARE, "guest.irq.nic_hot_share", MU_PCT, MS_IRQS, "share of NIC receive-queue interrupts on the hottest CPU") \
	X(GUEST_IRQ_ONE_CPU, "guest.irq.one_cpu", MU_BOOL, MS_IRQS, "all NIC interrupts on one CPU while more are online") \
	X(GUEST_IRQBALANCE, "guest.irqbalance", MU_BOOL, MS_PROCS, "irqbalance is running (it owns IRQ affinity)") \
	/* guest: multiqueue (ethtool channels of the busiest interface) */  \
	X(GUEST_NET_CHANNELS, "guest.net.channels", MU_COUNT, MS_IFACES, "queue pairs (combined channels) in use on the busiest interface") \
	X(GUEST_NET_CHANNELS_MAX, "guest.net.channels_max", MU_COUNT, MS_IFACES, "queue pairs the busiest interface offers") \
	/* guest: the listeners' processes and their open-file limits */     \
	X(GUEST_PROC_NOFILE_FILL_MAX, "guest.proc.nofile_fill_max", MU_PCT, MS_PROCS, "open files of the listener process nearest its RLIMIT_NOFILE, vs that limit") \
	X(GUEST_PROC_NOFILE_MIN, "guest.proc.nofile_min", MU_COUNT, MS_PROCS, "smallest soft RLIMIT_NOFILE among the listeners' processes") \
	X(GUEST_PROC_AT_NOFILE, "guest.proc.at_nofile", MU_COUNT, MS_PROCS, "listener processes at their RLIMIT_NOFILE: accept() fails with EMFILE") \
	X(GUEST_PROC_FDS_AGE, "guest.proc.fds_age", MU_SECONDS, MS_PROCS, "seconds since the nearest process's descriptors were counted") \
	/* guest: socket memory (pages, as tcp_mem) and its pressure */      \
	X(GUEST_TCP_MEM, "guest.tcp.mem", MU_COUNT, MS_SOCKSTAT, "pages of memory charged to TCP (sockstat mem)") \
	X(GUEST_TCP_MEM_FILL, "guest.tcp.mem_fill", MU_PCT, MS_SOCKSTAT, "TCP memory vs tcp_mem's hard limit (its third value)") \
	X(GUEST_TCP_MEM_PRESSURE, "guest.tcp.mem_pressure", MU_BOOL, MS_SOCKSTAT, "TCP memory at or above tcp_mem's pressure value") \
	C(GUEST_TCP_MEM_PRESSURES, "guest.tcp.mem_pressures", MU_RATE, NETSTAT, "TcpExt", "TCPMemoryPressures", "TCP memory pressure entered (TCPMemoryPressures)") \
	C(GUEST_TCP_ABORT_ON_MEMORY, "guest.tcp.abort_on_memory", MU_RATE, NETSTAT, "TcpExt", "TCPAbortOnMemory", "connections reset for lack of memory (TCPAbortOnMemory)") \
	C(GUEST_TCP_RCV_PRUNED, "guest.tcp.rcv_pruned", MU_RATE, NETSTAT, "TcpExt", "RcvPruned", "packets pruned from receive queues (RcvPruned)") \
	C(GUEST_TCP_RCVQ_DROPS, "guest.tcp.rcvq_drops", MU_RATE, NETSTAT, "TcpExt", "TCPRcvQDrop", "packets dropped, receive buffer or memory full (TCPRcvQDrop)") \
	/* guest: TIME_WAIT buckets and orphans */                           \
	C(GUEST_TCP_TW_OVERFLOWS, "guest.tcp.tw_overflows", MU_RATE, NETSTAT, "TcpExt", "TCPTimeWaitOverflow", "TIME_WAIT sockets not kept, bucket table full (TCPTimeWaitOverflow)") \
	X(GUEST_TCP_TIME_WAIT_FILL, "guest.tcp.time_wait_fill", MU_PCT, MS_SOCKSTAT, "TIME_WAIT sockets vs tcp_max_tw_buckets") \
	X(GUEST_TCP_ORPHANS_FILL, "guest.tcp.orphans_fill", MU_PCT, MS_SOCKSTAT, "orphaned sockets vs tcp_max_orphans") \
	/* guest: retransmits and connection lifetime */                     \
	C(GUEST_TCP_RETRANS_SEGS, "guest.tcp.retrans_segs", MU_RATE, SNMP, "Tcp", "RetransSegs", "segments retransmitted (RetransSegs)") \
	C(GUEST_TCP_OUT_SEGS, "guest.tcp.out_segs", MU_RATE, SNMP, "Tcp", "OutSegs", "segments sent (OutSegs)") \
	C(GUEST_TCP_ESTAB_RESETS, "guest.tcp.estab_resets", MU_RATE, SNMP, "Tcp", "EstabResets", "connections reset while established or closing (EstabResets)") \
	C(GUEST_TCP_SYN_RETRANS, "guest.tcp.syn_retrans", MU_RATE, NETSTAT, "TcpExt", "TCPSynRetrans", "SYNs and SYN-ACKs retransmitted (TCPSynRetrans)") \
	C(GUEST_TCP_ESTABLISHED, "guest.tcp.established", MU_COUNT, SNMP, "Tcp", "CurrEstab", "TCP connections established or closing (CurrEstab)") \
	X(GUEST_TCP_CONN_LIFE, "guest.tcp.conn_life", MU_SECONDS, MS_SNMP, "mean connection lifetime: established / new connections per second") \
	/* guest: the kernel log (/dev/kmsg since the agent started), known  \
	 * lines in the last interval */                                      \
	X(GUEST_KMSG_CONNTRACK_FULL, "guest.kmsg.conntrack_full", MU_COUNT, MS_KMSG, "'nf_conntrack: table full, dropping packet' lines") \
	X(GUEST_KMSG_SYN_FLOOD, "guest.kmsg.syn_flood", MU_COUNT, MS_KMSG, "'Possible SYN flooding on port' lines") \
	X(GUEST_KMSG_TW_OVERFLOW, "guest.kmsg.tw_overflow", MU_COUNT, MS_KMSG, "'time wait bucket table overflow' lines") \
	X(GUEST_KMSG_ORPHANS, "guest.kmsg.orphans", MU_COUNT, MS_KMSG, "'too many orphaned sockets' lines") \
	X(GUEST_KMSG_TCP_OOM, "guest.kmsg.tcp_oom", MU_COUNT, MS_KMSG, "'out of memory -- consider tuning tcp_mem' lines") \
	X(GUEST_KMSG_DST_OVERFLOW, "guest.kmsg.dst_overflow", MU_COUNT, MS_KMSG, "'dst cache overflow' lines") \
	X(GUEST_KMSG_NEIGH_OVERFLOW, "guest.kmsg.neigh_overflow", MU_COUNT, MS_KMSG, "'neighbor table overflow' lines") \
	X(GUEST_KMSG_ALLOC_FAIL, "guest.kmsg.alloc_fail", MU_COUNT, MS_KMSG, "'page allocation failure' lines") \
	/* guest: conntrack statistics (/proc/net/stat/nf_conntrack, all CPUs) */ \
	X(GUEST_CONNTRACK_DROPS, "guest.conntrack.drops", MU_RATE, MS_CONNTRACK, "packets dropped by conntrack (table full)") \
	X(GUEST_CONNTRACK_EARLY_DROPS, "guest.conntrack.early_drops", MU_RATE, MS_CONNTRACK, "entries evicted early to make room") \
	X(GUEST_CONNTRACK_INSERT_FAILED, "guest.conntrack.insert_failed", MU_RATE, MS_CONNTRACK, "entries that could not be inserted (clashes)") \
	X(GUEST_CONNTRACK_INVALID, "guest.conntrack.invalid", MU_RATE, MS_CONNTRACK, "packets conntrack found invalid") \
	X(GUEST_CONNTRACK_ACCEPTS_TRACKED, "guest.conntrack.accepts_tracked", MU_PCT, MS_CONNTRACK, "conntrack entries vs the accepts of one time_wait timeout (near 100: every accepted connection is tracked)") \
	/* guest: the listener most connections wait on (notrack advice) */  \
	X(GUEST_LISTEN_PORT, "guest.listen.port", MU_COUNT, MS_LISTENERS, "port of the busiest listener not bound to loopback") \
	/* guest: more tuning knobs' current values */                       \
	K(GUEST_TCP_MAX_TW_BUCKETS, "guest.sysctl.tcp_max_tw_buckets", "net.ipv4.tcp_max_tw_buckets", "TIME_WAIT sockets kept at most") \
	K(GUEST_TCP_MAX_ORPHANS, "guest.sysctl.tcp_max_orphans", "net.ipv4.tcp_max_orphans", "orphaned sockets kept at most") \
	K(GUEST_RMEM_MAX, "guest.sysctl.rmem_max", "net.core.rmem_max", "largest receive buffer an application may set") \
	K(GUEST_WMEM_MAX, "guest.sysctl.wmem_max", "net.core.wmem_max", "largest send buffer an application may set") \
	K(GUEST_MIN_FREE_KBYTES, "guest.sysctl.min_free_kbytes", "vm.min_free_kbytes", "memory kept free for atomic allocations (KiB)") \
	X(GUEST_TCP_MEM_MAX, "guest.sysctl.tcp_mem_max", MU_VALUE, MS_KNOBS, "tcp_mem's third value: pages TCP may use at most") \
	X(GUEST_TCP_RMEM_MAX, "guest.sysctl.tcp_rmem_max", MU_VALUE, MS_KNOBS, "tcp_rmem's third value: a socket's receive buffer at most") \
	X(GUEST_TCP_WMEM_MAX, "guest.sysctl.tcp_wmem_max", MU_VALUE, MS_KNOBS, "tcp_wmem's third value: a socket's send buffer at most") \
	/* host: the hypervisor side of one guest */                          \
	X(HOST_VCPU_DELAY, "host.vcpu.delay", MU_PCT, MS_HYPERVISOR, "time the guest's vCPUs waited to run (KVM run delay), mean") \
	X(HOST_VCPU_DELAY_MAX, "host.vcpu.delay_max", MU_PCT, MS_HYPERVISOR, "run delay of the worst vCPU") \
	X(HOST_CPU_BUSY_MAX, "host.cpu.busy_max", MU_PCT, MS_HOST, "busiest host / dom0 CPU") \
	X(HOST_DOM0_BUSY, "host.dom0.busy", MU_PCT, MS_HOST, "dom0 (Xen) or host (KVM) CPU load, mean over its CPUs") \
	X(HOST_TAP_RX_PACKETS, "host.tap.rx_packets", MU_RATE, MS_HOST, "packets from the guest on its tap/vif") \
	X(HOST_TAP_TX_PACKETS, "host.tap.tx_packets", MU_RATE, MS_HOST, "packets to the guest on its tap/vif") \
	X(HOST_TAP_TX_DROPS, "host.tap.tx_drops", MU_RATE, MS_HOST, "packets to the guest dropped on its tap/vif") \
	X(HOST_TAP_RX_DROPS, "host.tap.rx_drops", MU_RATE, MS_HOST, "packets from the guest dropped on its tap/vif") \
	X(HOST_BRIDGE_NF, "host.bridge_nf", MU_BOOL, MS_HOST, "bridge-nf-call-iptables/ip6tables/arptables on the guest's bridge") \
	X(HOST_OFFLOADS_OFF, "host.offloads_off", MU_COUNT, MS_HOST, "offloads (tso, gso, gro, sg) off on the guest's tap/vif") \
	X(HOST_SOFTNET_DROPPED, "host.softnet.dropped", MU_RATE, MS_HOST, "host softnet drops") \
	X(HOST_CONNTRACK_FILL, "host.conntrack.fill", MU_PCT, MS_HOST, "host conntrack entries vs max") \
	X(HOST_VCPUS_PINNED, "host.pinned", MU_BOOL, MS_HYPERVISOR, "dom0 / guest vCPUs pinned by vtune") \
	X(HOST_SRIOV_FREE_VFS, "host.sriov.free_vfs", MU_COUNT, MS_HOST, "SR-IOV VFs free to give a guest (existing, or creatable on a PF with none)") \
	X(HOST_DOM0_BUSY_MAX, "host.dom0.busy_max", MU_PCT, MS_HOST, "dom0's busiest vCPU (Xen); the host's busiest CPU (KVM)") \
	X(HOST_NETTHREAD_CPU, "host.netthread.cpu", MU_PCT, MS_HOST, "CPU time of the guest's vhost workers (KVM) / its vif's netback kthreads (Xen dom0), the busiest thread, % of one CPU") \
	X(HOST_NETTHREAD_DELAY, "host.netthread.delay", MU_PCT, MS_HOST, "run delay (schedstat) of those threads, the worst one, % of wall time") \
	X(HOST_TAP_ERRORS, "host.tap.errors", MU_RATE, MS_HOST, "receive and transmit errors on the guest's tap/vif") \
	X(HOST_CSUM_FAILURES, "host.csum_failures", MU_RATE, MS_HOST, "\"hw csum failure\" in the host's kernel log for the guest's tap/vif or bridge") \
	/* host: evidence that corroborates a guest's CPU claims (corroborate.h) */ \
	X(HOST_VCPU_BUSY_MAX, "host.vcpu.busy_max", MU_PCT, MS_HYPERVISOR, "CPU time of the guest's busiest vCPU thread / vCPU") \
	X(HOST_VCPU_CONTENTION, "host.vcpu.contention", MU_PCT, MS_HYPERVISOR, "time the physical CPUs under the guest's vCPUs ran something else (Xen), mean") \
	/* host: conntrack statistics in the guest's bridge namespace */     \
	X(HOST_CONNTRACK_DROPS, "host.conntrack.drops", MU_RATE, MS_HOST, "packets dropped by host conntrack (table full)") \
	X(HOST_CONNTRACK_EARLY_DROPS, "host.conntrack.early_drops", MU_RATE, MS_HOST, "host conntrack entries evicted early") \
	X(HOST_CONNTRACK_INSERT_FAILED, "host.conntrack.insert_failed", MU_RATE, MS_HOST, "host conntrack entries that could not be inserted") \
	/* host: the physical NICs' queue interrupts */                       \
	X(HOST_IRQ_NIC_RATE, "host.irq.nic_rate", MU_RATE, MS_HOST, "host NIC receive-queue interrupts") \
	X(HOST_IRQ_NIC_HOT_SHARE, "host.irq.nic_hot_share", MU_PCT, MS_HOST, "share of host NIC interrupts on the hottest host CPU") \
	X(HOST_IRQ_ONE_CPU, "host.irq.one_cpu", MU_BOOL, MS_HOST, "all host NIC interrupts on one host CPU") \
	X(HOST_IRQBALANCE, "host.irqbalance", MU_BOOL, MS_HOST, "irqbalance runs on the host") \
	/* host: Xen dom0 sizing (xl info: physinfo, dom0, the Xen command line) */ \
	X(HOST_CPUS, "host.cpus", MU_COUNT, MS_HYPERVISOR, "physical CPUs the hypervisor has") \
	X(HOST_DOM0_VCPUS, "host.dom0.vcpus", MU_COUNT, MS_HYPERVISOR, "dom0's vCPUs") \
	X(HOST_DOM0_VCPUS_PINNED, "host.dom0.vcpus_pinned", MU_BOOL, MS_HYPERVISOR, "dom0_vcpus_pin on the Xen command line") \
	X(HOST_DOM0_MEM_MB, "host.dom0.mem_mb", MU_COUNT, MS_HYPERVISOR, "dom0's memory in MiB") \
	X(HOST_DOM0_MEM_FIXED, "host.dom0.mem_fixed", MU_BOOL, MS_HYPERVISOR, "dom0_mem on the Xen command line (no ballooning)") \
	X(HOST_DOM0_VCPUS_ADVISED, "host.dom0.vcpus_advised", MU_COUNT, MS_HYPERVISOR, "dom0_max_vcpus vtune advises when dom0 is saturated") \
	X(HOST_SRIOV_TOTAL_VFS, "host.sriov.total_vfs", MU_COUNT, MS_HOST, "SR-IOV VFs the host's PFs can have (sum of sriov_totalvfs)") \
	X(HOST_SRIOV_ASSIGNED_VFS, "host.sriov.assigned_vfs", MU_COUNT, MS_HOST, "SR-IOV VFs held by guests") \
	X(HOST_SRIOV_GUEST_VFS, "host.sriov.guest_vfs", MU_COUNT, MS_HYPERVISOR, "SR-IOV VFs this guest holds")

enum metric_id {
#define X(id, name, unit, src, help) M_##id,
#define C(id, name, unit, file, section, field, help) M_##id,
#define K(id, name, sysctl, help) M_##id,
	METRIC_LIST(X, C, K)
#undef X
#undef C
#undef K
	M_COUNT
};

/* The C rows and the K rows numbered among themselves: a reading keeps one
 * value per counter and per knob (gview.h). */
#define METRIC_SKIP_X(id, name, unit, src, help)
#define METRIC_SKIP_C(id, name, unit, file, section, field, help)
#define METRIC_SKIP_K(id, name, sysctl, help)
enum metric_counter_id {
#define C(id, name, unit, file, section, field, help) MC_##id,
	METRIC_LIST(METRIC_SKIP_X, C, METRIC_SKIP_K)
#undef C
	MC_COUNT
};
enum metric_knob_id {
#define K(id, name, sysctl, help) MK_##id,
	METRIC_LIST(METRIC_SKIP_X, METRIC_SKIP_C, K)
#undef K
	MK_COUNT
};

struct metric_def {
	const char *name;
	enum metric_unit unit;
	const char *help;
	enum metric_src src;
	const char *sysctl; /* K rows: the sysctl whose value it is; else NULL */
	/* C rows: the file's "section:" lines and the column; else NULL */
	const char *section, *field;
	int slot; /* C rows: its enum metric_counter_id, K rows: its
		   * enum metric_knob_id; else -1 */
};

/* The catalogue id of counter slot c / knob slot k. */
extern const short metric_of_counter[MC_COUNT];
extern const short metric_of_knob[MK_COUNT];

extern const struct metric_def metric_defs[M_COUNT];

/* Find a metric by its full name; returns its id or -1. */
int metric_lookup(const char *name);
/* The same for name[0..n), which need not be NUL-terminated. */
int metric_lookup_n(const char *name, size_t n);

/* The catalogue metric holding the current value of sysctl key (a K row),
 * or -1. */
int metric_by_sysctl(const char *key);

/* Unit as text: "%", "/s", "", "s", "bool", ... */
const char *metric_unit_str(enum metric_unit u);

/* Valid range of a metric by its unit: what a report or a policy may hold. */
void metric_range(enum metric_unit u, double *min, double *max);

/* One value per metric; a bit says whether the value is known. */
struct mvec {
	double v[M_COUNT];
	uint64_t known[(M_COUNT + 63) / 64];
};

void mvec_clear(struct mvec *m);
void mvec_set(struct mvec *m, int id, double v);
int mvec_has(const struct mvec *m, int id);
/* Value or NAN when unknown. */
double mvec_get(const struct mvec *m, int id);

#endif
