/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_seeds: the seeds' sources on real captures of both kernels
 * (tests/fixtures/host-6.18-seeds and debian-6.1-seeds: /proc/interrupts,
 * conntrack statistics, kernel log lines, processes' limits and
 * descriptors, sock_diag and ethtool answers) and their broken variants;
 * their metrics; the planning of three-number sysctls within memory; the
 * irq, channels and nofile knobs; note templates; Xen dom0 sizing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "act_kinds.h"
#include "allow.h"
#include "apply.h"
#include "hostnet.h"
#include "journal.h"
#include "report.h"
#include "ethchan.h"
#include "gv_irq.h"
#include "gv_kmsg.h"
#include "gv_procs.h"
#include "gview.h"
#include "kfs.h"
#include "knob.h"
#include "sample_pair.h"
#include "xen.h"

#define FX "tests/fixtures/"
#define HOST FX "host-6.18-seeds/"
#define GUEST FX "debian-6.1-seeds/"

__attribute__((noinline)) static char *slurp(const char *root, const char *path)
{
	char *t = NULL;
	size_t n;
	assert_int_equal(kfs_read_alloc(root, path, &t, &n), 0);
	return t;
}

/* A sample of a capture pair; rates over their /proc/uptime. */
static void pair(const char *dir, int flags, struct gv_sample *s, struct mvec *m)
{
	char a0[256], a1[256];
	snprintf(a0, sizeof a0, "%st0", dir);
	snprintf(a1, sizeof a1, "%st1", dir);
	sample_pair(a0, a1, 0, flags, s);
	gv_sample_metrics(s, m);
}

/* ---- /proc/interrupts ---- */

static void test_nic_names(void **state)
{
	(void)state;
	const char *ifs[] = { "eth0", "ens5", "lo" };
	static const struct {
		const char *name;
		int nic;
	} cases[] = {
		{ "virtio1-input.0", 1 }, { "virtio12-input.3", 1 },
		{ "virtio1-output.0", 0 }, { "virtio4-input", 0 }, /* virtio-rng's queue */
		{ "virtio1-config", 0 }, { "virtio0-virtqueues", 0 },
		{ "eth0", 1 }, { "eth0-rx", 1 }, { "eth0-q1-rx", 1 }, /* netfront */
		{ "eth0-tx", 0 }, { "eth0-q1-tx", 0 },
		{ "eth0-TxRx-3", 1 }, { "i40e-eth0-TxRx-0", 1 }, { "ens5-Tx-Rx-0", 1 },
		{ "eth0-rxtx-1", 1 }, { "eth0-fp-2", 1 }, { "eth00", 0 }, { "xeth0", 0 },
		{ "mlx5_comp3@pci:0000:00:05.0", 1 }, { "mlx4-2@0000:00:04.0", 1 },
		{ "gve-ntfy-blk0@pci:0000:00:04.0", 1 }, { "ena-mgmnt@pci:0000:00:05.0", 0 },
		{ "lo", 0 }, { "ACPI:Ged", 0 }, { "timer", 0 }, { "", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		if (gv_irq_is_nic(cases[i].name, ifs, 3) != cases[i].nic)
			fail_msg("%s: want %d", cases[i].name, cases[i].nic);
}

static void test_interrupts_both_kernels(void **state)
{
	(void)state;
	struct gv_irqs q;
	char err[128];
	memset(&q, 0, sizeof q);
	/* 6.18 (the build machine, a VM itself): eth0 is virtio2, one queue */
	assert_int_equal(gv_irq_read(HOST "t1", &q, err, sizeof err), 0);
	assert_true(q.present);
	assert_int_equal(q.ncpu, 2);
	assert_int_equal(q.nlines, 1);
	assert_int_equal(q.lines[0].irq, 38);
	assert_string_equal(q.lines[0].name, "virtio2-input.0");
	assert_int_equal(q.lines[0].total, 7348);
	assert_int_equal(q.per_cpu[1], 7348);
	gv_irqs_free(&q);
	/* 6.1 in the QEMU guest: two queue pairs, both inputs on CPU 0 */
	memset(&q, 0, sizeof q);
	assert_int_equal(gv_irq_read(GUEST "t1", &q, err, sizeof err), 0);
	assert_int_equal(q.nlines, 2);
	assert_string_equal(q.lines[0].name, "virtio1-input.0");
	assert_string_equal(q.lines[1].name, "virtio1-input.1");
	gv_irqs_free(&q);
	/* no file: absent, not an error */
	memset(&q, 0, sizeof q);
	assert_int_equal(gv_irq_read(FX "host-6.18/t0", &q, err, sizeof err), 0);
	assert_false(q.present);
}

static void test_interrupts_broken(void **state)
{
	(void)state;
	static const char *const kinds[] = { "truncated", "empty", "garbage" };
	for (size_t i = 0; i < 3; i++) {
		char root[128], err[128] = "";
		struct gv_irqs q;
		memset(&q, 0, sizeof q);
		snprintf(root, sizeof root, FX "broken/%s", kinds[i]);
		int r = gv_irq_read(root, &q, err, sizeof err);
		if (r != -EINVAL)
			fail_msg("%s: %d", kinds[i], r);
		assert_true(strlen(err) > 10);
		assert_null(q.per_cpu);
		/* and through the guest view: its group fails with the reason */
		struct gv_reading rd;
		assert_int_equal(gv_read(root, 0, &rd), 0);
		assert_int_equal(rd.status[GV_IRQS], -EINVAL);
		gv_reading_free(&rd);
	}
}

/* ---- conntrack statistics ---- */

static void test_ctstat(void **state)
{
	(void)state;
	char err[128];
	struct gv_ctstat st;
	char *t = slurp(GUEST "t1", "proc/net/stat/nf_conntrack");
	assert_int_equal(gv_parse_ctstat(t, &st, err, sizeof err), 0);
	free(t);
	assert_true(st.present);
	assert_true(st.drop > 0); /* the table was full: drops counted per CPU */
	/* the columns are found by name: a header in another order */
	char odd[] = "entries drop found\n00000001 0000000a 00000002\n00000001 00000001 00000000\n";
	assert_int_equal(gv_parse_ctstat(odd, &st, err, sizeof err), 0);
	assert_int_equal(st.drop, 11);
	assert_int_equal(st.found, 2);
	static const char *const kinds[] = { "truncated", "empty", "garbage" };
	for (size_t i = 0; i < 3; i++) {
		char root[128];
		snprintf(root, sizeof root, FX "broken/%s", kinds[i]);
		t = slurp(root, "proc/net/stat/nf_conntrack");
		if (!i) { /* cut in a row: the row is short */
			assert_int_equal(gv_parse_ctstat(t, &st, err, sizeof err), -EINVAL);
		} else {
			assert_int_equal(gv_parse_ctstat(t, &st, err, sizeof err), -EINVAL);
			assert_true(strlen(err) > 10);
		}
		free(t);
	}
}

/* ---- the kernel log ---- */

static void test_kmsg_captures(void **state)
{
	(void)state;
	struct gv_kmsg_counts c;
	char err[96];
	/* 6.18: the SYN flood on port 9400 between the captures */
	assert_int_equal(gv_kmsg_read_file(HOST "t1", &c, err, sizeof err), 0);
	assert_true(c.present);
	assert_int_equal(c.n[GV_KM_SYN_FLOOD], 1);
	assert_non_null(strstr(c.latest, "Possible SYN flooding on port 10.97.0.1:9400"));
	assert_true(c.latest_ts_s > 5000);
	/* 6.1: the guest's conntrack table full */
	assert_int_equal(gv_kmsg_read_file(GUEST "t1", &c, err, sizeof err), 0);
	assert_true(c.n[GV_KM_CONNTRACK_FULL] >= 3);
	assert_string_equal(c.latest, "nf_conntrack: nf_conntrack: table full, dropping packet");
	/* absent: not present, no error */
	assert_int_equal(gv_kmsg_read_file(FX "host-6.18/t0", &c, err, sizeof err), 0);
	assert_false(c.present);
}

static void test_kmsg_records(void **state)
{
	(void)state;
	struct gv_kmsg_counts c;
	memset(&c, 0, sizeof c);
	static const char *const ok[] = {
		"4,1,2,-;nf_conntrack: nf_conntrack: table full, dropping packet",
		"6,3,4,-;TCP: request_sock_TCP: Possible SYN flooding on port [::]:80. Sending cookies.",
		"6,5,6,-;TCP: time wait bucket table overflow",
		"6,7,8,c;TCP: too many orphaned sockets\n SUBSYSTEM=net",
		"4,9,10,-;TCP: out of memory -- consider tuning tcp_mem",
		"4,11,12,-;dst cache overflow",
		"4,13,14,-;neighbour: arp_cache: neighbor table overflow!",
		"4,15,16,-;swapper/0: page allocation failure: order:0, mode:0x820(GFP_ATOMIC), nodemask=(null)",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		assert_int_equal(gv_kmsg_record(ok[i], strlen(ok[i]), &c), 0);
	for (int k = 0; k < GV_KM_N; k++)
		assert_int_equal(c.n[k], 1);
	/* user space writing to /dev/kmsg (facility 1) is not the kernel */
	const char *fake = "12,20,21,-;nf_conntrack: table full, dropping packet";
	assert_int_equal(gv_kmsg_record(fake, strlen(fake), &c), 0);
	assert_int_equal(c.n[GV_KM_CONNTRACK_FULL], 1);
	/* not a record */
	assert_int_equal(gv_kmsg_record("no prefix", 9, &c), -EINVAL);
	assert_int_equal(gv_kmsg_record("4,x,y,-;dst cache overflow", 26, &c), -EINVAL);
	assert_int_equal(c.skipped, 2);
}

static void test_kmsg_broken(void **state)
{
	(void)state;
	struct gv_kmsg_counts c;
	char err[96];
	assert_int_equal(gv_kmsg_read_file(FX "broken/garbage", &c, err, sizeof err), 0);
	assert_true(c.skipped >= 3);			/* no ';', letters, the junk */
	assert_int_equal(c.n[GV_KM_TW_OVERFLOW], 0);	/* its prefix was bad */
	/* the user-space fake is not counted; the control bytes never pass */
	assert_int_equal(c.n[GV_KM_CONNTRACK_FULL], 0);
	for (const char *p = c.latest; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	assert_int_equal(gv_kmsg_read_file(FX "broken/empty", &c, err, sizeof err), 0);
	assert_int_equal(c.lines, 0);
	assert_int_equal(gv_kmsg_read_file(FX "broken/truncated", &c, err, sizeof err), 0);
	assert_true(c.lines >= 1);
}

/* The live reader starts at the end of the log: what was there before is
 * not counted. A record written by user space (root only) is not counted
 * either. */
static void test_kmsg_live(void **state)
{
	(void)state;
	struct gv_kmsg *k = gv_kmsg_new();
	struct gv_kmsg_counts c;
	char err[96];
	assert_non_null(k);
	int r = gv_kmsg_read(k, "/", &c, err, sizeof err);
	if (r || !c.present) {
		gv_kmsg_free(k);
		skip(); /* no /dev/kmsg readable here */
	}
	assert_int_equal(c.lines, 0); /* the first call only opens, at the end */
	FILE *w = fopen("/dev/kmsg", "w");
	if (w) {
		fprintf(w, "<4>vtune test_seeds: nf_conntrack: table full, dropping packet\n");
		fclose(w);
	}
	assert_int_equal(gv_kmsg_read(k, "/", &c, err, sizeof err), 0);
	assert_int_equal(c.n[GV_KM_CONNTRACK_FULL], 0);
	if (w)
		assert_true(c.lines >= 1);
	gv_kmsg_free(k);
}

/* ---- processes and limits ---- */

static void test_limits(void **state)
{
	(void)state;
	uint64_t s, h;
	char err[96];
	char *t = slurp(HOST "t1", "proc/23235/limits");
	assert_int_equal(gv_parse_limits(t, &s, &h, err, sizeof err), 0);
	free(t);
	assert_int_equal(s, 40);
	assert_int_equal(h, 20000);
	t = slurp(GUEST "t1", "proc/127/limits");
	assert_int_equal(gv_parse_limits(t, &s, &h, err, sizeof err), 0);
	free(t);
	assert_int_equal(s, 40);
	char unl[] = "Max open files            unlimited            unlimited            files\n";
	assert_int_equal(gv_parse_limits(unl, &s, &h, err, sizeof err), 0);
	assert_true(s == UINT64_MAX && h == UINT64_MAX);
	static const char *const kinds[] = { "truncated", "empty", "garbage" };
	for (size_t i = 0; i < 3; i++) {
		char root[128];
		snprintf(root, sizeof root, FX "broken/%s", kinds[i]);
		t = slurp(root, "proc/23234/limits");
		assert_int_equal(gv_parse_limits(t, &s, &h, err, sizeof err), -EINVAL);
		free(t);
	}
}

/* The listeners' processes from a capture's sock_diag answer and fd links:
 * holdsrv at its limit of 40 open files, busybox httpd far from its. */
static void test_procs_capture(void **state)
{
	(void)state;
	struct gv_sample s;
	struct mvec m;
	pair(HOST, GV_READ_NETLINK, &s, &m);
	assert_int_equal(s.status[GV_PROCS], 0);
	assert_int_equal(s.procs.nproc, 2);
	const struct gv_proc *hold = NULL;
	for (int i = 0; i < s.procs.nproc; i++)
		if (!strcmp(s.procs.p[i].comm, "holdsrv"))
			hold = &s.procs.p[i];
	assert_non_null(hold);
	assert_int_equal(hold->pid, 23235);
	assert_int_equal(hold->soft, 40);
	assert_false(hold->fds_bound); /* its table is near the limit: counted */
	assert_int_equal(hold->fds, 41);
	assert_true(mvec_get(&m, M_GUEST_PROC_AT_NOFILE) == 1);
	assert_true(mvec_get(&m, M_GUEST_PROC_NOFILE_FILL_MAX) == 100);
	assert_true(mvec_get(&m, M_GUEST_PROC_NOFILE_MIN) == 40);
	/* the listener on 9300 names its process */
	int found = 0;
	for (int i = 0; i < s.nlisteners; i++)
		if (s.listeners[i].port == 9300)
			found = s.listeners[i].pid == 23235;
	assert_true(found);
	gv_sample_free(&s);
}

/* ---- metrics of the capture pairs ---- */

static void test_metrics_host(void **state)
{
	(void)state;
	struct gv_sample s;
	struct mvec m;
	pair(HOST, GV_READ_NETLINK, &s, &m);
	assert_true(fabs(s.interval_s - 3.25) < 1e-6); /* 5140.51 - 5137.26 */
	/* TIME_WAIT overflow: 85 in 3.25 s with 32 buckets */
	assert_true(fabs(mvec_get(&m, M_GUEST_TCP_TW_OVERFLOWS) - 85 / 3.25) < 1e-6);
	assert_true(mvec_get(&m, M_GUEST_TCP_TIME_WAIT_FILL) == 100);
	assert_true(mvec_get(&m, M_GUEST_TCP_MAX_TW_BUCKETS) == 32);
	assert_true(mvec_get(&m, M_GUEST_KMSG_SYN_FLOOD) == 1);
	assert_true(fabs(mvec_get(&m, M_GUEST_TCP_SYN_RETRANS) - 10 / 3.25) < 1e-6);
	assert_true(mvec_get(&m, M_GUEST_TCP_MEM) == 171);
	assert_false(mvec_has(&m, M_GUEST_TCP_MEM_FILL)); /* tcp_mem is the init namespace's */
	assert_true(mvec_get(&m, M_GUEST_LISTEN_PORT) == 9300); /* 25 waiting there */
	/* a veth has rx/tx channels, no combined ones: no queue metrics */
	assert_false(mvec_has(&m, M_GUEST_NET_CHANNELS));
	assert_true(mvec_get(&m, M_GUEST_IRQ_NIC_QUEUES) == 1);
	assert_true(mvec_get(&m, M_GUEST_IRQ_ONE_CPU) == 0); /* no NIC interrupt in between */
	gv_sample_free(&s);
}

static void test_metrics_guest(void **state)
{
	(void)state;
	struct gv_sample s;
	struct mvec m;
	pair(GUEST, GV_READ_NETLINK, &s, &m);
	/* both input IRQs on CPU 0, with interrupts in between */
	assert_true(mvec_get(&m, M_GUEST_IRQ_ONE_CPU) == 1);
	assert_true(mvec_get(&m, M_GUEST_IRQ_NIC_HOT_SHARE) == 100);
	assert_true(mvec_get(&m, M_GUEST_IRQ_NIC_QUEUES) == 2);
	/* one queue pair of two in use (ethtool -L eth0 combined 1) */
	assert_true(mvec_get(&m, M_GUEST_NET_CHANNELS) == 1);
	assert_true(mvec_get(&m, M_GUEST_NET_CHANNELS_MAX) == 2);
	/* conntrack full: drops and the kernel's lines */
	assert_true(mvec_get(&m, M_GUEST_CONNTRACK_FILL) == 100);
	assert_true(mvec_get(&m, M_GUEST_CONNTRACK_DROPS) > 0);
	assert_true(mvec_get(&m, M_GUEST_KMSG_CONNTRACK_FULL) >= 3);
	/* tcp_mem "16 32 64" */
	assert_true(mvec_get(&m, M_GUEST_TCP_MEM_MAX) == 64);
	assert_true(mvec_get(&m, M_GUEST_PROC_AT_NOFILE) == 1);
	/* one connection reset between the captures (EstabResets 0 -> 1) */
	assert_true(fabs(mvec_get(&m, M_GUEST_TCP_ESTAB_RESETS) * s.interval_s - 1) < 1e-9);
	gv_sample_free(&s);
}

/* ---- channels ---- */

static void test_channels_answers(void **state)
{
	(void)state;
	struct ethchan c;
	assert_int_equal(ethchan_get(GUEST "t1", "eth0", &c), 0);
	assert_int_equal(c.combined, 1);
	assert_int_equal(c.combined_max, 2);
	assert_int_equal(ethchan_get(HOST "t1", "vt0", &c), 0);
	assert_int_equal(c.combined_max, 0);
	assert_int_equal(c.rx, 1);
	assert_int_equal(ethchan_get(HOST "t1", "nosuch0", &c), -ENOENT);
	assert_int_equal(ethchan_get(HOST "t1", "../x", &c), -EINVAL);
	/* a cut answer */
	char *t;
	size_t n;
	assert_int_equal(kfs_read_alloc(GUEST "t1", "ethtool/channels-eth0.bin", &t, &n), 0);
	assert_int_equal(ethchan_parse(t, n / 2, &c), -EINVAL);
	assert_int_equal(ethchan_parse(t, 3, &c), -EINVAL);
	free(t);
}

/* ---- three-number sysctls ---- */

struct cur {
	const char *key, *value;
};

static int cur_fn(void *arg, enum pol_side side, const char *kind, const char *key, char *buf,
		  size_t n)
{
	const struct cur *c = arg;
	(void)side;
	if (strcmp(kind, "sysctl") || strcmp(key, c->key))
		return -ENOENT;
	snprintf(buf, n, "%s", c->value);
	return 0;
}

static const struct pol_change *plan_one(const char *yaml, const char *key, const char *cur,
					 struct pol_set **set, struct pol_plan *p)
{
	struct pol_diag d;
	pol_diag_init(&d);
	*set = pol_load_string("t.yaml", yaml, &d);
	if (!*set) {
		for (size_t i = 0; i < d.n; i++)
			printf("%s\n", d.msgs[i]);
	}
	pol_diag_free(&d);
	assert_non_null(*set);
	struct cur c = { key, cur };
	pol_plan_init(p);
	assert_int_equal(pol_plan_rule(&(*set)->rules[0], "test", cur_fn, &c, p), 0);
	assert_true(p->n >= 1);
	return &p->v[0];
}

#define RULE(actions) "version: 1\nrules:\n  - name: r\n    when: guest.cpus > 0\n    guest:\n" actions

static void test_triples(void **state)
{
	(void)state;
	struct pol_set *set;
	struct pol_plan p;
	allow_set_phys_bytes(4ull << 30);
	long psz = sysconf(_SC_PAGESIZE);
	unsigned long long quarter = (4ull << 30) / 4 / (unsigned long long)psz;
	/* tcp_mem: all three double */
	const struct pol_change *c = plan_one(RULE("      - sysctl: net.ipv4.tcp_mem\n        scale: 2\n"),
					      "net.ipv4.tcp_mem", "1024 2048 4096", &set, &p);
	assert_string_equal(c->kind, "sysctl");
	assert_string_equal(c->old, "1024 2048 4096");
	assert_string_equal(c->new, "2048 4096 8192");
	pol_plan_free(&p);
	pol_set_free(set);
	/* ... never past a quarter of memory, in order */
	char cur[64], want[64];
	snprintf(cur, sizeof cur, "%llu %llu %llu", quarter / 2, quarter * 3 / 4, quarter - 10);
	snprintf(want, sizeof want, "%llu %llu %llu", quarter, quarter, quarter);
	c = plan_one(RULE("      - sysctl: net.ipv4.tcp_mem\n        scale: 2\n"), "net.ipv4.tcp_mem",
		     cur, &set, &p);
	assert_string_equal(c->new, want);
	pol_plan_free(&p);
	pol_set_free(set);
	/* at the memory bound: a note, no change */
	snprintf(cur, sizeof cur, "%llu %llu %llu", quarter, quarter, quarter);
	c = plan_one(RULE("      - sysctl: net.ipv4.tcp_mem\n        scale: 2\n"), "net.ipv4.tcp_mem",
		     cur, &set, &p);
	assert_string_equal(c->kind, "note");
	assert_non_null(strstr(c->note, "at max"));
	pol_plan_free(&p);
	pol_set_free(set);
	/* tcp_rmem: only the ceiling grows, to the action's max */
	c = plan_one(RULE("      - sysctl: net.ipv4.tcp_rmem\n        scale: 2\n        max: 16777216\n"),
		     "net.ipv4.tcp_rmem", "4096 131072 6291456", &set, &p);
	assert_string_equal(c->new, "4096 131072 12582912");
	pol_plan_free(&p);
	pol_set_free(set);
	c = plan_one(RULE("      - sysctl: net.ipv4.tcp_rmem\n        scale: 4\n        max: 16777216\n"),
		     "net.ipv4.tcp_rmem", "4096 131072 6291456", &set, &p);
	assert_string_equal(c->new, "4096 131072 16777216");
	pol_plan_free(&p);
	pol_set_free(set);
	/* a small guest: 64 MiB of memory allows 1 MiB buffers */
	allow_set_phys_bytes(64ull << 20);
	c = plan_one(RULE("      - sysctl: net.ipv4.tcp_wmem\n        scale: 2\n        max: 16777216\n"),
		     "net.ipv4.tcp_wmem", "4096 16384 4194304", &set, &p);
	assert_string_equal(c->kind, "note"); /* 4 MiB is already above 1 MiB: not raised */
	pol_plan_free(&p);
	pol_set_free(set);
	c = plan_one(RULE("      - sysctl: net.ipv4.tcp_wmem\n        scale: 2\n        max: 16777216\n"),
		     "net.ipv4.tcp_wmem", "4096 16384 262144", &set, &p);
	assert_string_equal(c->new, "4096 16384 524288");
	pol_plan_free(&p);
	pol_set_free(set);
	/* a value the kernel printed that is not three numbers */
	c = plan_one(RULE("      - sysctl: net.ipv4.tcp_mem\n        scale: 2\n"), "net.ipv4.tcp_mem",
		     "1 2", &set, &p);
	assert_string_equal(c->kind, "note");
	pol_plan_free(&p);
	pol_set_free(set);
	allow_set_phys_bytes(0);
	/* the policy check: set needs three numbers in order, in bounds */
	struct pol_diag d;
	pol_diag_init(&d);
	assert_null(pol_load_string("t.yaml", RULE("      - sysctl: net.ipv4.tcp_rmem\n        set: \"4096 8192\"\n"), &d));
	assert_null(pol_load_string("t.yaml", RULE("      - sysctl: net.ipv4.tcp_rmem\n        set: \"9000 8192 8000\"\n"), &d));
	assert_null(pol_load_string("t.yaml", RULE("      - sysctl: net.ipv4.tcp_rmem\n        widen: 2\n"), &d));
	assert_null(pol_load_string("t.yaml", RULE("      - sysctl: net.core.rmem_max\n        set: 2147483647\n"), &d));
	assert_true(d.n >= 4);
	pol_diag_free(&d);
}

/* ---- knobs ---- */

static void test_irq_knob(void **state)
{
	(void)state;
	char why[128];
	const struct knob_ops *k = &act_irq_knob_ops;
	assert_int_equal(k->check(NULL, "38", "smp_affinity_list", "0-1,3", why, sizeof why), 0);
	assert_int_equal(k->check(NULL, "038", "smp_affinity_list", "1", why, sizeof why), -EINVAL);
	assert_int_equal(k->check(NULL, "../38", "smp_affinity_list", "1", why, sizeof why), -EINVAL);
	assert_int_equal(k->check(NULL, "38", "smp_affinity", "1", why, sizeof why), -EINVAL);
	assert_int_equal(k->check(NULL, "38", "smp_affinity_list", "1-", why, sizeof why), -EINVAL);
	assert_int_equal(k->check(NULL, "38", "smp_affinity_list", "f", why, sizeof why), -EINVAL);
	/* the kernel prints "0-1" for "0,1" */
	assert_true(k->equal("smp_affinity_list", "0-1", "0,1"));
	assert_false(k->equal("smp_affinity_list", "0", "1"));
}

static void test_channels_knob(void **state)
{
	(void)state;
	char why[128], buf[16];
	const struct knob_ops *k = &act_channels_knob_ops;
	assert_int_equal(k->check(NULL, "eth0", "combined", "2", why, sizeof why), 0);
	assert_int_equal(k->check(NULL, "eth0", "combined", "0", why, sizeof why), -EINVAL);
	assert_int_equal(k->check(NULL, "eth0", "combined", "4097", why, sizeof why), -EINVAL);
	assert_int_equal(k->check(NULL, "eth0", "rx", "2", why, sizeof why), -EINVAL);
	assert_int_equal(k->check(NULL, "a/b", "combined", "2", why, sizeof why), -EINVAL);
	assert_int_equal(k->read(NULL, GUEST "t1", "eth0", "combined", buf, sizeof buf), 0);
	assert_string_equal(buf, "1");
}

/* The nofile knob on a real child process: raised, read back, restored;
 * a process that has exited reads "gone", equal to anything. */
static void test_nofile_knob(void **state)
{
	(void)state;
	const struct knob_ops *k = &act_nofile_knob_ops;
	char why[128], buf[64], target[48], stat[600];
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max < 2048)
		skip();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct rlimit low = { 256, rl.rlim_max };
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setrlimit(RLIMIT_NOFILE, &low);
		pause();
		_exit(0);
	}
	usleep(100000);
	/* its start time, field 22 of /proc/PID/stat */
	snprintf(target, sizeof target, "proc/%d/stat", (int)pid);
	assert_int_equal(kfs_read_str("/", target, stat, sizeof stat), 0);
	char *p = strrchr(stat, ')');
	unsigned long long start = 0;
	for (int f = 2; p && (p = strchr(p + 1, ' ')); )
		if (++f == 22) {
			start = strtoull(p + 1, NULL, 10);
			break;
		}
	snprintf(target, sizeof target, "%d@%llu", (int)pid, start);
	assert_int_equal(k->check(NULL, target, "RLIMIT_NOFILE", "1024 2048", why, sizeof why), 0);
	assert_int_equal(k->check(NULL, target, "RLIMIT_NOFILE", "4096 2048", why, sizeof why), -EINVAL);
	assert_int_equal(k->check(NULL, "12x", "RLIMIT_NOFILE", "1 2", why, sizeof why), -EINVAL);
	assert_int_equal(k->read(NULL, "/", target, "RLIMIT_NOFILE", buf, sizeof buf), 0);
	char old[64];
	snprintf(old, sizeof old, "%s", buf);
	assert_int_equal(strtoul(old, NULL, 10), 256);
	/* the soft limit up to the hard one (more needs CAP_SYS_RESOURCE) */
	char raised[64];
	snprintf(raised, sizeof raised, "1024 %llu", (unsigned long long)rl.rlim_max);
	assert_int_equal(k->write(NULL, "/", target, "RLIMIT_NOFILE", raised), 0);
	assert_int_equal(k->read(NULL, "/", target, "RLIMIT_NOFILE", buf, sizeof buf), 0);
	assert_string_equal(buf, raised);
	assert_int_equal(k->restore(NULL, "/", target, "RLIMIT_NOFILE", old), 0);
	assert_int_equal(k->read(NULL, "/", target, "RLIMIT_NOFILE", buf, sizeof buf), 0);
	assert_string_equal(buf, old);
	/* another process behind the same pid is never touched */
	char other[48];
	snprintf(other, sizeof other, "%d@%llu", (int)pid, start + 1);
	assert_int_equal(k->read(NULL, "/", other, "RLIMIT_NOFILE", buf, sizeof buf), 0);
	assert_string_equal(buf, "gone");
	assert_int_equal(k->write(NULL, "/", other, "RLIMIT_NOFILE", raised), -ESRCH);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(k->read(NULL, "/", target, "RLIMIT_NOFILE", buf, sizeof buf), 0);
	assert_string_equal(buf, "gone");
	assert_true(k->equal("RLIMIT_NOFILE", "gone", "256 4096"));
	assert_int_equal(k->restore(NULL, "/", target, "RLIMIT_NOFILE", old), 0);
}

/* ---- notes ---- */

static void test_note_expand(void **state)
{
	(void)state;
	struct mvec g, h;
	char out[256];
	mvec_clear(&g);
	mvec_clear(&h);
	mvec_set(&g, M_GUEST_NCPU, 4);
	mvec_set(&g, M_GUEST_TCP_CONN_LIFE, 0.123);
	mvec_set(&h, M_HOST_DOM0_VCPUS, 2);
	act_note_expand("queues='{guest.cpus}' life {guest.tcp.conn_life} s dom0 {host.dom0.vcpus} "
			"port {guest.listen.port} { type filter hook prerouting priority raw; } {nope}",
			&g, &h, out, sizeof out);
	assert_string_equal(out, "queues='4' life 0.12 s dom0 2 port PORT "
				 "{ type filter hook prerouting priority raw; } {nope}");
	act_note_expand("{guest.cpus}", NULL, NULL, out, 4);
	assert_string_equal(out, "CPU");
}

/* ---- Xen dom0 sizing ---- */

static void test_dom0_sizing(void **state)
{
	(void)state;
	struct xen_dom0_size s;
	xen_dom0_sizing("dom0_mem=768M,max:768M console=com1 dom0_vcpus_pin smap=0", 16, 2,
			768 * 1024, &s);
	assert_true(s.pinned && s.mem_fixed);
	assert_int_equal(s.advised, 4);
	assert_int_equal(s.dom0_mem_mb, 768);
	xen_dom0_sizing("console=com1 dom0_vcpus_pin=0", 16, 6, 0, &s);
	assert_false(s.pinned);
	assert_false(s.mem_fixed);
	assert_int_equal(s.advised, 8); /* half the machine at most */
	xen_dom0_sizing("", 2, 2, 0, &s);
	assert_int_equal(s.advised, 2); /* never below today's */
	/* `xl info` / `xl list` of a real dom0 (Xen 4.17 under QEMU) */
	char *info = slurp(FX "xen-dom0", "xl-info.txt"), *list = slurp(FX "xen-dom0", "xl-list.txt");
	assert_int_equal(xen_dom0_from_xl(info, list, &s), 0);
	assert_int_equal(s.nr_cpus, 2);
	assert_int_equal(s.dom0_vcpus, 2);
	assert_int_equal(s.dom0_mem_mb, 768);
	assert_true(s.mem_fixed);
	assert_false(s.pinned);
	assert_int_equal(s.advised, 2);
	struct mvec m;
	mvec_clear(&m);
	xen_dom0_metrics(&s, &m);
	assert_true(mvec_get(&m, M_HOST_DOM0_VCPUS) == 2 && mvec_get(&m, M_HOST_DOM0_MEM_FIXED) == 1);
	/* cut before xen_commandline: refused */
	size_t at = (size_t)(strstr(info, "xen_commandline") - info);
	info[at] = '\0';
	assert_int_equal(xen_dom0_from_xl(info, list, &s), -EINVAL);
	assert_int_equal(xen_dom0_from_xl("garbage\n\001", NULL, &s), -EINVAL);
	/* numbers that are none */
	assert_int_equal(xen_dom0_from_xl("nr_cpus : x\nxen_commandline : \n", NULL, &s), -EINVAL);
	assert_int_equal(xen_dom0_from_xl("nr_cpus : -2\nxen_commandline : \n", NULL, &s), -EINVAL);
	assert_int_equal(xen_dom0_from_xl("nr_cpus : 99999999999\nxen_commandline : \n", NULL, &s),
			 -EINVAL);
	assert_int_equal(xen_dom0_from_xl("nr_cpus : 4\nxen_commandline : \n",
					  "Domain-0 0 lots 2 r----- 1.0\n", &s), 0);
	assert_int_equal(s.nr_cpus, 4);
	assert_int_equal(s.dom0_vcpus, 0); /* unknown */
	assert_int_equal(s.dom0_mem_mb, 0);
	assert_int_equal(xen_dom0_from_xl("nr_cpus : 4\nxen_commandline : \n",
					  "Domain-0 \t0\t512 3\n", &s), 0);
	assert_int_equal(s.dom0_vcpus, 3);
	assert_int_equal(s.dom0_mem_mb, 512);
	free(info);
	free(list);
}

/* ---- the host side: the physical NICs' interrupts ---- */

static void cp_file(const char *from_root, const char *to_root, const char *path)
{
	char *t = slurp(from_root, path), full[512];
	snprintf(full, sizeof full, "%s/%s", to_root, path);
	FILE *f = fopen(full, "w");
	assert_non_null(f);
	fputs(t, f);
	fclose(f);
	free(t);
}

static void mkdirs(const char *root, const char *path)
{
	char cmd[700];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", root, path);
	assert_int_equal(system(cmd), 0);
}

static void test_host_irq_view(void **state)
{
	(void)state;
	char root[] = "/tmp/vtune-seeds-XXXXXX";
	assert_non_null(mkdtemp(root));
	mkdirs(root, "proc");
	mkdirs(root, "sys/class/net/eth0");
	cp_file(GUEST "t0", root, "proc/interrupts");
	struct hostnet_irqs *h = hostnet_irqs_new();
	struct mvec m;
	mvec_clear(&m);
	assert_int_equal(hostnet_irq_view(h, root, 1000000000ull, 1000000000ull, &m), 0);
	assert_false(mvec_has(&m, M_HOST_IRQ_ONE_CPU)); /* rates from the second on */
	assert_true(mvec_get(&m, M_HOST_IRQBALANCE) == 0);
	cp_file(GUEST "t1", root, "proc/interrupts");
	mvec_clear(&m);
	/* within half an interval: the same figures, not read again */
	assert_int_equal(hostnet_irq_view(h, root, 1200000000ull, 1000000000ull, &m), 0);
	assert_false(mvec_has(&m, M_HOST_IRQ_ONE_CPU));
	assert_int_equal(hostnet_irq_view(h, root, 18000000000ull, 1000000000ull, &m), 0);
	assert_true(mvec_get(&m, M_HOST_IRQ_ONE_CPU) == 1);
	assert_true(mvec_get(&m, M_HOST_IRQ_NIC_HOT_SHARE) == 100);
	assert_true(mvec_get(&m, M_HOST_IRQ_NIC_RATE) > 0);
	hostnet_irqs_free(h);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* "irq: spread" run on the host side (as vtune-hostd runs it) on a copy of
 * the guest capture: both input lines get a CPU each, journaled; with
 * irqbalance running it only says so. */
static void test_irq_exec(void **state)
{
	(void)state;
	char root[] = "/tmp/vtune-seeds-XXXXXX", jpath[600], cmd[700];
	assert_non_null(mkdtemp(root));
	mkdirs(root, "proc/irq/27");
	mkdirs(root, "proc/irq/29");
	mkdirs(root, "sys/devices/system/cpu");
	mkdirs(root, "sys/class/net/eth0");
	cp_file(GUEST "t1", root, "proc/interrupts");
	cp_file(GUEST "t1", root, "sys/devices/system/cpu/online");
	snprintf(cmd, sizeof cmd, "echo 0 > %s/proc/irq/27/smp_affinity_list; "
		 "echo 0 > %s/proc/irq/29/smp_affinity_list", root, root);
	assert_int_equal(system(cmd), 0);
	snprintf(jpath, sizeof jpath, "%s/journal", root);
	int err = 0;
	struct journal *j = journal_open(jpath, &err);
	assert_non_null(j);
	apply_init();
	struct apply_ctx ac = { .journal = j, .root = root };
	struct act_ctx x = { &ac, NULL };
	struct pol_change ch;
	memset(&ch, 0, sizeof ch);
	snprintf(ch.rule, sizeof ch.rule, "host-nic-irqs-one-cpu");
	snprintf(ch.kind, sizeof ch.kind, "irq");
	snprintf(ch.key, sizeof ch.key, "spread");
	snprintf(ch.new, sizeof ch.new, "spread");
	ch.side = POL_HOST;
	assert_int_equal(apply_change(&x, &ch, ACT_HOSTD), 1); /* 27 stays on 0 */
	char v[16];
	assert_int_equal(kfs_read_str(root, "proc/irq/27/smp_affinity_list", v, sizeof v), 0);
	assert_string_equal(v, "0");
	assert_int_equal(kfs_read_str(root, "proc/irq/29/smp_affinity_list", v, sizeof v), 0);
	assert_string_equal(v, "1");
	/* a standalone guest cannot spread the host's: advice */
	assert_int_equal(apply_change(&x, &ch, ACT_AGENT), 0);
	/* irqbalance running: left to it */
	mkdirs(root, "run/irqbalance");
	mkdirs(root, "proc/4242");
	snprintf(cmd, sizeof cmd, "touch %s/run/irqbalance/irqbalance4242.sock; echo irqbalance > %s/proc/4242/comm; "
		 "echo 0 > %s/proc/irq/29/smp_affinity_list", root, root, root);
	assert_int_equal(system(cmd), 0);
	assert_true(act_irq_irqbalance(root));
	assert_int_equal(apply_change(&x, &ch, ACT_HOSTD), 0);
	assert_int_equal(kfs_read_str(root, "proc/irq/29/smp_affinity_list", v, sizeof v), 0);
	assert_string_equal(v, "0");
	journal_close(j);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* A sampler reads /proc/interrupts whole once a minute and the NIC lines
 * it found through sysfs in between. */
static void test_irqkeep(void **state)
{
	(void)state;
	char root[] = "/tmp/vtune-seeds-XXXXXX", cmd[700], err[128];
	assert_non_null(mkdtemp(root));
	mkdirs(root, "sys/kernel/irq/27");
	mkdirs(root, "sys/kernel/irq/29");
	snprintf(cmd, sizeof cmd, "echo 500,7 > %s/sys/kernel/irq/27/per_cpu_count; "
		 "echo 3,40 > %s/sys/kernel/irq/29/per_cpu_count", root, root);
	assert_int_equal(system(cmd), 0);
	struct gv_irqs whole, q;
	memset(&whole, 0, sizeof whole);
	memset(&q, 0, sizeof q);
	char *t = slurp(GUEST "t1", "proc/interrupts");
	const char *ifs[] = { "eth0" };
	assert_int_equal(gv_parse_interrupts(t, ifs, 1, &whole, err, sizeof err), 0);
	free(t);
	struct gv_irqkeep *k = gv_irqkeep_new();
	struct kfs_cache *c = kfs_cache_new();
	assert_int_equal(gv_irqkeep_read(k, c, root, 1, &q), -EAGAIN); /* none yet */
	gv_irqkeep_set(k, &whole, 1000000000ull);
	assert_int_equal(gv_irqkeep_read(k, c, root, 2000000000ull, &q), 0);
	assert_true(q.present);
	assert_int_equal(q.nlist, 2);
	assert_int_equal(q.lines[0].irq, 27);
	assert_int_equal(q.lines[0].total, 507);
	assert_int_equal(q.lines[1].total, 43);
	assert_int_equal(q.per_cpu[0], 503); /* CPU 0: 500 + 3 */
	assert_int_equal(q.per_cpu[1], 47);
	/* a minute on: the whole file again */
	assert_int_equal(gv_irqkeep_read(k, c, root, 62000000000ull, &q), -EAGAIN);
	/* a line's file gone: not kept any more */
	snprintf(cmd, sizeof cmd, "rm %s/sys/kernel/irq/29/per_cpu_count", root);
	assert_int_equal(system(cmd), 0);
	kfs_cache_free(c);
	c = kfs_cache_new();
	assert_true(gv_irqkeep_read(k, c, root, 3000000000ull, &q) < 0);
	assert_int_equal(gv_irqkeep_read(k, c, root, 3000000000ull, &q), -EAGAIN);
	gv_irqs_free(&q);
	gv_irqs_free(&whole);
	gv_irqkeep_free(k);
	kfs_cache_free(c);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* ---- vtune report: the policy's notes and the kernel's line ---- */

/* vtune report's diagnosis (the engine's evaluation) ends with the kernel's
 * latest known line, escapes removed: no guest byte reaches a terminal. */
static void test_report_diag_notes(void **state)
{
	(void)state;
	const char *cap =
		"{\"name\":\"g\",\"hypervisor\":\"kvm\",\"guest_metrics\":{\"guest.cpus\":2},"
		"\"kmsg\":{\"present\":true,\"conntrack_full\":3,\"latest\":\"nf_conntrack: table full\\u001b[2J\"}}";
	json_object *g = json_tokener_parse(cap), *d = json_object_new_array();
	assert_non_null(g);
	assert_true(rep_diagnose(g, d) >= 1);
	json_object *x = NULL;
	for (size_t i = 0; i < json_object_array_length(d); i++)
		if (!strcmp(rep_str(json_object_array_get_idx(d, i), "rule"), "kernel-log"))
			x = json_object_array_get_idx(d, i);
	assert_non_null(x);
	assert_string_equal(rep_str(x, "side"), "guest");
	const char *t = rep_str(x, "text");
	assert_non_null(strstr(t, "3 known lines"));
	assert_non_null(strstr(t, "nf_conntrack: table full"));
	for (; *t; t++)
		assert_true((unsigned char)*t >= 0x20); /* no escape reaches a terminal */
	json_object_put(g);
	json_object_put(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nic_names),
		cmocka_unit_test(test_interrupts_both_kernels),
		cmocka_unit_test(test_interrupts_broken),
		cmocka_unit_test(test_ctstat),
		cmocka_unit_test(test_kmsg_captures),
		cmocka_unit_test(test_kmsg_records),
		cmocka_unit_test(test_kmsg_broken),
		cmocka_unit_test(test_kmsg_live),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_procs_capture),
		cmocka_unit_test(test_metrics_host),
		cmocka_unit_test(test_metrics_guest),
		cmocka_unit_test(test_channels_answers),
		cmocka_unit_test(test_triples),
		cmocka_unit_test(test_irq_knob),
		cmocka_unit_test(test_channels_knob),
		cmocka_unit_test(test_nofile_knob),
		cmocka_unit_test(test_note_expand),
		cmocka_unit_test(test_dom0_sizing),
		cmocka_unit_test(test_host_irq_view),
		cmocka_unit_test(test_irq_exec),
		cmocka_unit_test(test_irqkeep),
		cmocka_unit_test(test_report_diag_notes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
