/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the common host view (hostnet/host_view.h) end to end on
 * fixture trees, as the guest view is tested: host CPU from /proc/stat, the
 * tap's counters from /proc/net/dev or sysfs, the network path, the host
 * NICs' interrupts, host.pinned from a journal; and that every host.* row
 * of the catalogue has exactly one producer, this module on a fixture or a
 * backend (listed below with the test that proves it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "gview.h"
#include "host_view.h"
#include "journal.h"
#include "kfs.h"
#include "metrics.h"
#include "procstat.h"
#include "sriov_view.h"
#include "xen.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FX "tests/fixtures/"
#define S 1000000000ull

/* Every row the common module set in any test of this file. */
static struct mvec common_seen;
/* Every row a backend's own producer set here (backend table below). */
static struct mvec backend_seen;

static void seen(struct mvec *into, const struct mvec *m)
{
	for (int i = 0; i < M_COUNT; i++)
		if (mvec_has(m, i))
			mvec_set(into, i, mvec_get(m, i));
}

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

/* One guest's view of root at now (seconds), collected in common_seen. */
static void view(struct host_view *hv, struct hostnet_state *st, const char *root,
		 const struct journal *j, const struct host_view_guest *g, double now_s,
		 struct mvec *m)
{
	mvec_clear(m);
	assert_int_equal(host_view_guest(hv, st, root, j, g, (uint64_t)(now_s * 1e9), S, m), 0);
	seen(&common_seen, m);
}

/* host-6.18: the build machine from a network namespace (veth vt0 as the
 * tap, sysfs statistics, no proc/net/dev), 2 s between t0 and t1. */
static void test_host_6_18(void **state)
{
	(void)state;
	struct host_view *hv = host_view_new();
	struct hostnet_state st = { 0 };
	struct host_view_guest g = { "vm1", -1, "vt0", "br0", "" };
	struct mvec m;
	assert_non_null(hv);

	view(hv, &st, FX "host-6.18/t0", NULL, &g, 1, &m);
	assert_false(mvec_has(&m, M_HOST_CPU_BUSY_MAX)); /* first reading: no rates */
	assert_false(mvec_has(&m, M_HOST_TAP_RX_PACKETS));
	assert_false(mvec_has(&m, M_HOST_VCPUS_PINNED)); /* no journal */
	assert_true(mvec_get(&m, M_HOST_BRIDGE_NF) == 0);   /* no br_netfilter there */

	view(hv, &st, FX "host-6.18/t1", NULL, &g, 3, &m);
	/* cpu0 and cpu1 each +26 busy of +87 ticks. The "cpu" line says +53
	 * of +175 (30.3 %, more than either CPU: the kernel sums it first);
	 * the mean is over the CPUs' own figures. */
	assert_true(near(mvec_get(&m, M_HOST_CPU_BUSY_MAX), 2600.0 / 87));
	assert_true(near(mvec_get(&m, M_HOST_DOM0_BUSY_MAX), 2600.0 / 87));
	assert_true(near(mvec_get(&m, M_HOST_DOM0_BUSY), 2600.0 / 87));
	/* vt0 (sysfs): rx 0 -> 619, tx 1 -> 599 over 2 s */
	assert_true(near(mvec_get(&m, M_HOST_TAP_RX_PACKETS), 309.5));
	assert_true(near(mvec_get(&m, M_HOST_TAP_TX_PACKETS), 299.0));
	assert_true(mvec_get(&m, M_HOST_TAP_RX_DROPS) == 0);
	assert_true(mvec_get(&m, M_HOST_TAP_TX_DROPS) == 0);
	assert_true(mvec_get(&m, M_HOST_TAP_ERRORS) == 0);
	assert_true(mvec_has(&m, M_HOST_SOFTNET_DROPPED));
	assert_true(near(mvec_get(&m, M_HOST_CONNTRACK_FILL), 100.0 * 401 / 262144));

	/* a second guest of the same step (0.1 s later) sees the same host
	 * CPU figures: one reading for the step */
	struct hostnet_state st2 = { 0 };
	struct host_view_guest g2 = { "vm2", -1, "", "", "" };
	view(hv, &st2, FX "host-6.18/t0", NULL, &g2, 3.1, &m);
	assert_true(near(mvec_get(&m, M_HOST_CPU_BUSY_MAX), 2600.0 / 87));
	assert_false(mvec_has(&m, M_HOST_TAP_RX_PACKETS)); /* no tap: no network path */
	host_view_free(hv);
}

/* host-6.18-seeds: conntrack statistics, the kernel log, /proc/interrupts;
 * the captures' own clocks are 3.25 s apart (proc/uptime). */
static void test_host_6_18_seeds(void **state)
{
	(void)state;
	struct host_view *hv = host_view_new();
	struct hostnet_state st = { 0 };
	struct host_view_guest g = { "vm1", -1, "vt0", "", "" };
	struct mvec m;
	view(hv, &st, FX "host-6.18-seeds/t0", NULL, &g, 5137.26, &m);
	view(hv, &st, FX "host-6.18-seeds/t1", NULL, &g, 5140.51, &m);
	/* cpu0 +325 busy of +325: a CPU fully busy */
	assert_true(near(mvec_get(&m, M_HOST_CPU_BUSY_MAX), 100));
	assert_true(mvec_get(&m, M_HOST_DOM0_BUSY) > 99 && mvec_get(&m, M_HOST_DOM0_BUSY) <= 100);
	/* vt0: rx 123 -> 2213, tx 66 -> 1768 */
	assert_true(near(mvec_get(&m, M_HOST_TAP_RX_PACKETS), 2090 / 3.25));
	assert_true(near(mvec_get(&m, M_HOST_TAP_TX_PACKETS), 1702 / 3.25));
	assert_true(mvec_has(&m, M_HOST_CONNTRACK_DROPS));
	assert_true(mvec_has(&m, M_HOST_CONNTRACK_EARLY_DROPS));
	assert_true(mvec_has(&m, M_HOST_CONNTRACK_INSERT_FAILED));
	assert_true(mvec_get(&m, M_HOST_CSUM_FAILURES) == 0); /* no "hw csum failure" */
	assert_true(mvec_has(&m, M_HOST_IRQ_NIC_RATE));
	assert_true(mvec_has(&m, M_HOST_IRQ_NIC_HOT_SHARE));
	assert_true(mvec_has(&m, M_HOST_IRQ_ONE_CPU));
	assert_true(mvec_get(&m, M_HOST_IRQBALANCE) == 0);
	host_view_free(hv);
}

/* The tap's counters come from proc/net/dev when the tree has it: on
 * host-6.18-procnetdev its row and the sysfs files agree. */
static void test_procnetdev(void **state)
{
	(void)state;
	struct gv_iface f;
	uint64_t sys;
	assert_int_equal(gv_iface_read(FX "host-6.18-procnetdev/t0", "vta0", &f), 0);
	assert_int_equal(kfs_read_u64(FX "host-6.18-procnetdev/t0",
				      "sys/class/net/vta0/statistics/rx_packets", &sys), 0);
	assert_true(f.rx_packets == sys && sys > 0);
	assert_int_equal(kfs_read_u64(FX "host-6.18-procnetdev/t0",
				      "sys/class/net/vta0/statistics/tx_packets", &sys), 0);
	assert_true(f.tx_packets == sys);
	assert_int_equal(gv_iface_read(FX "host-6.18-procnetdev/t0", "nosuch", &f), -ENODEV);
	assert_int_equal(gv_iface_read(FX "host-6.18-procnetdev/t0", "../x", &f), -EINVAL);
	/* a tree without proc/net/dev: sysfs */
	assert_int_equal(gv_iface_read(FX "host-6.18/t1", "vt0", &f), 0);
	assert_true(f.rx_packets == 619 && f.tx_packets == 599);
	assert_int_equal(gv_iface_read(FX "host-6.18/t1", "nosuch", &f), -ENODEV);
}

/* Offloads from the recorded ethtool answers (root tests/fixtures). */
static void test_offloads(void **state)
{
	(void)state;
	struct host_view *hv = host_view_new();
	struct hostnet_state st = { 0 };
	struct host_view_guest g = { "vm1", -1, "tap0", "", "" };
	struct mvec m;
	view(hv, &st, "tests/fixtures", NULL, &g, 1, &m);
	assert_true(mvec_get(&m, M_HOST_OFFLOADS_OFF) == 2); /* tso, tx checksumming */
	host_view_free(hv);
}

/* host.pinned from the journal: an applied vCPU pin change made for the
 * guest or aimed at it; reverted, other kinds and other guests are not. */
static void test_pinned(void **state)
{
	(void)state;
	char dir[] = "/tmp/vtune-hv-XXXXXX", path[96];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/journal", dir);
	int err = 0;
	struct journal *j = journal_open(path, &err);
	assert_non_null(j);
	struct host_view_guest web = { "web", 7, "", "", "" }, db = { "db", 8, "", "", "" };
	assert_int_equal(host_view_pinned(j, &web), 0);
	assert_int_equal(host_view_pinned(NULL, &web), -EINVAL);

	struct jrec off = { .side = "host", .domain = "", .kind = "offload", .target = "vnet0",
			    .key = "tso", .old = "on", .new = "off", .guest = "web" };
	int64_t s1 = journal_intent(j, &off);
	assert_true(s1 > 0);
	assert_int_equal(journal_mark(j, s1, "applied", NULL), 0);
	assert_int_equal(host_view_pinned(j, &web), 0); /* not a pin */

	struct jrec pin = { .side = "host", .domain = "", .kind = "kvm-vcpupin", .target = "web",
			    .key = "vcpu0", .old = "0-3", .new = "2", .guest = "web" };
	int64_t s2 = journal_intent(j, &pin);
	assert_int_equal(host_view_pinned(j, &web), 0); /* intent only */
	assert_int_equal(journal_mark(j, s2, "applied", NULL), 0);
	assert_int_equal(host_view_pinned(j, &web), 1);
	assert_int_equal(host_view_pinned(j, &db), 0);

	/* Xen: the target is the domid; a dom0 pin ("0") made for db */
	struct jrec xpin = { .side = "host", .domain = "", .kind = "xen-vcpupin", .target = "8",
			     .key = "vcpu0", .old = "0-3", .new = "3", .guest = "" };
	int64_t s3 = journal_intent(j, &xpin);
	assert_int_equal(journal_mark(j, s3, "applied", NULL), 0);
	assert_int_equal(host_view_pinned(j, &db), 1);
	assert_int_equal(journal_mark(j, s3, "reverted", NULL), 0);
	assert_int_equal(host_view_pinned(j, &db), 0);
	struct jrec d0 = { .side = "host", .domain = "", .kind = "xen-vcpupin", .target = "0",
			   .key = "vcpu1", .old = "0-3", .new = "0", .guest = "db" };
	int64_t s4 = journal_intent(j, &d0);
	assert_int_equal(journal_mark(j, s4, "applied", NULL), 0);
	assert_int_equal(host_view_pinned(j, &db), 1);

	/* through the whole view */
	struct host_view *hv = host_view_new();
	struct hostnet_state st = { 0 };
	struct mvec m;
	view(hv, &st, FX "host-6.18/t0", j, &web, 1, &m);
	assert_true(mvec_get(&m, M_HOST_VCPUS_PINNED) == 1);
	host_view_free(hv);
	journal_close(j);
	unlink(path);
	rmdir(dir);
}

/* The rows only a hypervisor gives, and the test that proves each
 * backend produces it (kvm: libvirt's domain stats and QEMU's threads;
 * xen: libxenctrl; both: the SR-IOV view with the guests that hold VFs). */
static const struct {
	enum metric_id id;
	const char *proof;
} backend_rows[] = {
	{ M_HOST_VCPU_DELAY, "kvm: test_kvm live (tests/integration/test-kvm-libvirt.sh; "
			     "libvirt's test:///default has no vcpu.N.delay)" },
	{ M_HOST_VCPU_DELAY_MAX, "kvm: test_kvm live (test-kvm-libvirt.sh)" },
	{ M_HOST_VCPU_BUSY_MAX, "kvm: test_kvm live (test-kvm-libvirt.sh); xen: test-xen-e2e.sh" },
	{ M_HOST_VCPU_CONTENTION, "xen: test_xen.c test_contention, test-xen-e2e.sh" },
	{ M_HOST_NETTHREAD_CPU, "kvm/xen: test_netthreads.c (vhost-6.1, xen-netback-6.1)" },
	{ M_HOST_NETTHREAD_DELAY, "kvm/xen: test_netthreads.c (vhost-6.1, xen-netback-6.1)" },
	{ M_HOST_CPUS, "xen: test_seeds.c test_dom0_sizing (xen-dom0), here" },
	{ M_HOST_DOM0_VCPUS, "xen: test_seeds.c test_dom0_sizing (xen-dom0), here" },
	{ M_HOST_DOM0_VCPUS_PINNED, "xen: test_seeds.c test_dom0_sizing (xen-dom0), here" },
	{ M_HOST_DOM0_MEM_MB, "xen: test_seeds.c test_dom0_sizing (xen-dom0), here" },
	{ M_HOST_DOM0_MEM_FIXED, "xen: test_seeds.c test_dom0_sizing (xen-dom0), here" },
	{ M_HOST_DOM0_VCPUS_ADVISED, "xen: test_seeds.c test_dom0_sizing (xen-dom0), here" },
	{ M_HOST_SRIOV_TOTAL_VFS, "kvm: test_kvm_sriov.c; test_sriov_view.c (sriov-nvme), here" },
	{ M_HOST_SRIOV_FREE_VFS, "kvm: test_kvm_sriov.c; test_sriov_view.c (sriov-nvme), here" },
	{ M_HOST_SRIOV_ASSIGNED_VFS, "test_sriov_view.c test_view_assigned (sriov-nvme), here" },
	{ M_HOST_SRIOV_GUEST_VFS, "kvm: test_kvm_sriov.c; test_sriov_view.c (sriov-nvme), here" },
};
#define NBACKEND (sizeof backend_rows / sizeof backend_rows[0])

/* The backends' producers that need no hypervisor to run, on fixtures:
 * Xen's dom0 sizing from `xl info` / `xl list`, the SR-IOV view. */
static void test_backend_producers(void **state)
{
	(void)state;
	char *info = NULL, *list = NULL;
	size_t n;
	struct xen_dom0_size d;
	struct mvec m;
	assert_int_equal(kfs_read_alloc(FX "xen-dom0", "xl-info.txt", &info, &n), 0);
	assert_int_equal(kfs_read_alloc(FX "xen-dom0", "xl-list.txt", &list, &n), 0);
	assert_int_equal(xen_dom0_from_xl(info, list, &d), 0);
	mvec_clear(&m);
	xen_dom0_metrics(&d, &m);
	assert_true(mvec_get(&m, M_HOST_CPUS) == 2 && mvec_get(&m, M_HOST_DOM0_MEM_MB) == 768);
	seen(&backend_seen, &m);
	free(info);
	free(list);

	struct sriov_view *v = calloc(1, sizeof *v);
	assert_non_null(v);
	assert_int_equal(sriov_view_read(FX "sriov-nvme/idle", v), 0);
	sriov_view_finish(v);
	mvec_clear(&m);
	sriov_view_metrics(v, "vm1", &m);
	assert_true(mvec_get(&m, M_HOST_SRIOV_FREE_VFS) == 2); /* both creatable */
	assert_true(mvec_get(&m, M_HOST_SRIOV_GUEST_VFS) == 0);
	seen(&backend_seen, &m);
	free(v);
}

/* Every host.* row of the catalogue: set by the common module on a
 * fixture above, or listed as a backend's (never both: one producer). */
static void test_every_row_has_a_producer(void **state)
{
	(void)state;
	int missing = 0;
	for (int i = 0; i < M_COUNT; i++) {
		if (strncmp(metric_defs[i].name, "host.", 5))
			continue;
		const char *proof = NULL;
		for (size_t k = 0; k < NBACKEND; k++)
			if ((int)backend_rows[k].id == i)
				proof = backend_rows[k].proof;
		int common = mvec_has(&common_seen, i);
		if (common && proof) {
			print_error("%s: produced by the common host view and listed as the "
				    "backend's (%s)\n", metric_defs[i].name, proof);
			missing++;
		} else if (!common && !proof) {
			print_error("%s: no producer on the fixture trees\n", metric_defs[i].name);
			missing++;
		}
	}
	for (size_t k = 0; k < NBACKEND; k++) {
		assert_true(!strncmp(metric_defs[backend_rows[k].id].name, "host.", 5));
		if (strstr(backend_rows[k].proof, "here") && !mvec_has(&backend_seen, backend_rows[k].id)) {
			print_error("%s: its backend producer did not set it here\n",
				    metric_defs[backend_rows[k].id].name);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_6_18),
		cmocka_unit_test(test_host_6_18_seeds),
		cmocka_unit_test(test_procnetdev),
		cmocka_unit_test(test_offloads),
		cmocka_unit_test(test_pinned),
		cmocka_unit_test(test_backend_producers),
		/* last: it counts what the tests above produced */
		cmocka_unit_test(test_every_row_has_a_producer),
	};
	mvec_clear(&common_seen);
	mvec_clear(&backend_seen);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
