/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_sriov_view: the SR-IOV host view, the pure VF planner and the
 * "pci-driver" knob on copies of tests/fixtures/sriov-nvme (real captures of
 * QEMU's emulated SR-IOV NVMe PF under Linux 6.1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kfs.h"
#include "knob.h"
#include "metrics.h"
#include "pci_conf.h"
#include "pci_driver.h"
#include "sriov.h"
#include "sriov_plan.h"
#include "sriov_view.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PF "0000:00:03.0"
#define VF0 "0000:00:03.1"
#define VF1 "0000:00:03.2"
#define PFDIR "sys/devices/pci0000:00/" PF

static char root[64];
static char idle[96], assigned[96];
static struct sriov_view view;

static void sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(root, sizeof root, "/tmp/vtune-sriovv-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(cmd, sizeof cmd, "cp -a tests/fixtures/sriov-nvme/idle tests/fixtures/sriov-nvme/assigned %s/",
		 root);
	snprintf(idle, sizeof idle, "%s/idle", root);
	snprintf(assigned, sizeof assigned, "%s/assigned", root);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *rd(const char *r, const char *rel)
{
	static char buf[256];
	assert_int_equal(kfs_read_str(r, rel, buf, sizeof buf), 0);
	return buf;
}

/* ---- the view ---- */

static void test_view_idle(void **state)
{
	(void)state;
	char a[SRIOV_NAME_MAX];
	assert_int_equal(sriov_view_read(idle, &view), 0);
	assert_int_equal(view.npf, 1);
	const struct sriov_pf *pf = &view.pf[0];
	assert_string_equal(pf->addr, PF);
	assert_int_equal(pf->vendor, 0x1b36);
	assert_int_equal(pf->device, 0x0010);
	assert_int_equal(pf->class_code, 0x010802);
	assert_string_equal(pf->driver, "nvme");
	assert_string_equal(pf->netdev, ""); /* an NVMe PF: no interface */
	assert_int_equal(pf->total_vfs, 2);
	assert_int_equal(pf->num_vfs, 0);
	assert_int_equal(pf->offset, 1);
	assert_int_equal(pf->stride, 1);
	assert_int_equal(pf->iommu_group, 1);
	assert_string_equal(pf->host_traffic, "");
	assert_int_equal(view.nvf, 0);
	sriov_view_finish(&view);
	assert_int_equal(view.total_vfs, 2);
	assert_int_equal(view.free_vfs, 2); /* both can be created */
	assert_int_equal(view.assigned_vfs, 0);
	/* routing IDs: 00:03.0 + 1 + i * 1 */
	assert_int_equal(sriov_view_vf_addr(pf, 0, a), 0);
	assert_string_equal(a, VF0);
	assert_int_equal(sriov_view_vf_addr(pf, 1, a), 0);
	assert_string_equal(a, VF1);
	assert_int_equal(sriov_view_vf_addr(pf, 2, a), -ERANGE);
	struct sriov_pf big = *pf;
	snprintf(big.addr, sizeof big.addr, "0000:3b:1f.7");
	big.offset = 0x80;
	big.stride = 2;
	big.total_vfs = 64;
	assert_int_equal(sriov_view_vf_addr(&big, 3, a), 0);
	assert_string_equal(a, "0000:3c:10.5"); /* 0x3bff + 0x80 + 6 = 0x3c85: devfn 0x85 */
	/* the PF by its PCI address works for the sriov-numvfs helpers too */
	unsigned v;
	assert_int_equal(sriov_total_vfs(idle, PF, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(sriov_view_read("/nonexistent-vtune", &view), -ENOENT);
}

static void test_view_assigned(void **state)
{
	(void)state;
	struct mvec m;
	assert_int_equal(sriov_view_read(assigned, &view), 0);
	assert_int_equal(view.npf, 1);
	assert_int_equal(view.nvf, 2);
	const struct sriov_vf *v0 = sriov_view_vf(&view, VF0), *v1 = sriov_view_vf(&view, "0000:00:03.2");
	assert_non_null(v0);
	assert_non_null(v1);
	assert_string_equal(v0->driver, "vfio-pci");
	assert_int_equal(v0->iommu_group, 3);
	assert_int_equal(v0->vfio_open, 1); /* QEMU pid 344 holds /dev/vfio/3 */
	assert_int_equal(v0->index, 0);
	assert_string_equal(v1->driver, "");
	assert_int_equal(v1->iommu_group, 4);
	assert_int_equal(v1->vfio_open, 0);
	assert_int_equal(v1->index, 1);
	/* no guest named yet: VF0 is open by some process */
	sriov_view_finish(&view);
	assert_int_equal(v0->state, SRIOV_VF_OPEN);
	assert_int_equal(v1->state, SRIOV_VF_FREE);
	assert_int_equal(view.free_vfs, 1);
	assert_int_equal(sriov_view_hold(&view, "0000:00:1f.2", "l2"), 0); /* no VF */
	assert_int_equal(sriov_view_hold(&view, "0000:00:03.1", "l2"), 1);
	sriov_view_finish(&view);
	assert_int_equal(v0->state, SRIOV_VF_ASSIGNED);
	assert_int_equal(view.free_vfs, 1);
	assert_int_equal(view.assigned_vfs, 1);
	mvec_clear(&m);
	sriov_view_metrics(&view, "l2", &m);
	assert_true(mvec_get(&m, M_HOST_SRIOV_TOTAL_VFS) == 2);
	assert_true(mvec_get(&m, M_HOST_SRIOV_FREE_VFS) == 1);
	assert_true(mvec_get(&m, M_HOST_SRIOV_ASSIGNED_VFS) == 1);
	assert_true(mvec_get(&m, M_HOST_SRIOV_GUEST_VFS) == 1);
	sriov_view_metrics(&view, "other", &m);
	assert_true(mvec_get(&m, M_HOST_SRIOV_GUEST_VFS) == 0);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	sriov_view_print(&view, f);
	fclose(f);
	assert_non_null(strstr(out, "PF 0000:00:03.0 1b36:0010 class 010802 driver nvme VFs 2/2"));
	assert_non_null(strstr(out, "VF 0 0000:00:03.1 assigned driver vfio-pci iommu_group 3 guest l2"));
	assert_non_null(strstr(out, "VF 1 0000:00:03.2 free driver - iommu_group 4"));
	free(out);
	json_object *j = sriov_view_json(&view);
	assert_non_null(j);
	assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			    "{\"pfs\":[{\"addr\":\"0000:00:03.0\",\"vendor\":\"0x1b36\",\"device\":\"0x0010\","
			    "\"class\":\"0x010802\",\"driver\":\"nvme\",\"netdev\":\"\",\"total_vfs\":2,"
			    "\"num_vfs\":2,\"iommu_group\":1,\"host_traffic\":\"\",\"vfs\":["
			    "{\"index\":0,\"addr\":\"0000:00:03.1\",\"state\":\"assigned\",\"driver\":\"vfio-pci\","
			    "\"iommu_group\":3,\"netdev\":\"\",\"guest\":\"l2\"},"
			    "{\"index\":1,\"addr\":\"0000:00:03.2\",\"state\":\"free\",\"driver\":\"\","
			    "\"iommu_group\":4,\"netdev\":\"\",\"guest\":\"\"}]}],"
			    "\"total_vfs\":2,\"existing_vfs\":2,\"free_vfs\":1,\"assigned_vfs\":1,\"truncated\":false}");
	json_object_put(j);
}

/* A network PF: the NVMe PF given an interface, with the host's routes. */
static void make_net_pf(const char *r)
{
	sh("mkdir -p %s/%s/net/eth0 %s/sys/class/net/eth0", r, PFDIR, r);
	sh("echo 0x1003 > %s/sys/class/net/eth0/flags", r);
}

static void write_file(const char *r, const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", r, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char route_hdr[] = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

static void test_view_host_traffic(void **state)
{
	(void)state;
	char r[128], line[512];
	snprintf(r, sizeof r, "%s/net", root);
	sh("cp -a %s %s", idle, r);
	make_net_pf(r);
	assert_int_equal(sriov_view_read(r, &view), 0);
	assert_string_equal(view.pf[0].netdev, "eth0");
	assert_string_equal(view.pf[0].host_traffic, "");
	/* the default route (a line of the host's own /proc/net/route) */
	snprintf(line, sizeof line, "%seth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", route_hdr);
	write_file(r, "proc/net/route", line);
	assert_int_equal(sriov_view_read(r, &view), 0);
	assert_string_equal(view.pf[0].host_traffic, "default route via eth0");
	sriov_view_finish(&view);
	assert_int_equal(view.free_vfs, 0); /* a PF the host uses is not offered */
	snprintf(line, sizeof line, "%seth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", route_hdr);
	write_file(r, "proc/net/route", line);
	assert_int_equal(sriov_view_read(r, &view), 0);
	assert_string_equal(view.pf[0].host_traffic, "IPv4 route via eth0");
	write_file(r, "proc/net/route", route_hdr);
	/* link-local IPv6 is on every interface: not host traffic */
	write_file(r, "proc/net/if_inet6", "fe80000000000000505400fffe123456 02 40 20 80     eth0\n");
	write_file(r, "proc/net/ipv6_route",
		   "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
		   "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n");
	assert_int_equal(sriov_view_read(r, &view), 0);
	assert_string_equal(view.pf[0].host_traffic, "");
	write_file(r, "proc/net/if_inet6", "20010db8000000000000000000000001 02 40 00 80     eth0\n");
	assert_int_equal(sriov_view_read(r, &view), 0);
	assert_string_equal(view.pf[0].host_traffic, "IPv6 address on eth0");
	write_file(r, "proc/net/if_inet6", "");
	sh("ln -s ../br0 %s/sys/class/net/eth0/master", r);
	assert_int_equal(sriov_view_read(r, &view), 0);
	assert_string_equal(view.pf[0].host_traffic, "eth0 is enslaved to br0");
}

/* ---- the planner ---- */

struct rec {
	char line[8][160];
	int n, fail_at;
};

static int record(void *arg, const char *kind, const char *target, const char *key, const char *value)
{
	struct rec *r = arg;
	if (r->n == r->fail_at)
		return -EIO;
	snprintf(r->line[r->n++], sizeof r->line[0], "%s %s %s %s", kind, target, key, value);
	return 0;
}

static const struct sriov_hv kvm_hv = {
	.name = "KVM", .stub_driver = "vfio-pci", .attach_kind = "kvm-hostdev",
	.attach_value = "attached", .iommu = -1, .iommu_hint = "intel_iommu=on / amd_iommu=on",
};

static void conf_pf(struct sriov_conf *c, const char *pf)
{
	memset(c, 0, sizeof *c);
	snprintf(c->pfs[0], sizeof c->pfs[0], "%s", pf);
	c->npfs = 1;
}

static void test_plan_create(void **state)
{
	(void)state;
	struct sriov_conf c;
	struct sriov_guest g = { .name = "web", .attach_target = "web" };
	struct rec r = { .fail_at = -1 };
	char why[256];
	assert_int_equal(sriov_view_read(idle, &view), 0);
	sriov_view_finish(&view);
	conf_pf(&c, PF);
	assert_int_equal(view.pf[0].autoprobe, 1);
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), 0);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.line[0], "sriov-numvfs 0000:00:03.0 sriov_drivers_autoprobe 0");
	assert_string_equal(r.line[1], "sriov-numvfs 0000:00:03.0 sriov_numvfs 1");
	assert_string_equal(r.line[2], "pci-driver 0000:00:03.1 driver vfio-pci");
	assert_string_equal(r.line[3], "kvm-hostdev web 0000:00:03.1 attached");
	/* create 2 (capped at sriov_totalvfs), ask for VF 1 by address;
	 * autoprobe off already: not planned again */
	c.create_vfs = 5;
	r.n = 0;
	view.pf[0].autoprobe = 0;
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, VF1, record, &r, why, sizeof why), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.line[0], "sriov-numvfs 0000:00:03.0 sriov_numvfs 2");
	assert_string_equal(r.line[1], "pci-driver 0000:00:03.2 driver vfio-pci");
	/* the caller's error stops the plan and is its result */
	r.n = 0;
	r.fail_at = 1;
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), -EIO);
	assert_int_equal(r.n, 1);
}

static void test_plan_refusals(void **state)
{
	(void)state;
	struct sriov_conf c;
	struct sriov_guest g = { .name = "web", .attach_target = "web" };
	struct rec r = { .fail_at = -1 };
	char why[256], r2[128];
	assert_int_equal(sriov_view_read(idle, &view), 0);
	sriov_view_finish(&view);
	memset(&c, 0, sizeof c);
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), -EPERM);
	assert_non_null(strstr(why, "no PF is allowed"));
	conf_pf(&c, "0000:00:04.0");
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), -ENOENT);
	conf_pf(&c, PF);
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, "0000:00:09.0", record, &r, why, sizeof why),
			 -ENOENT);
	assert_non_null(strstr(why, "no VF 0000:00:09.0"));
	/* migration */
	g.migrating = 1;
	g.migration_why = "libvirt runs a migration job on it";
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), -EPERM);
	assert_non_null(strstr(why, "is migrating (libvirt runs a migration job on it)"));
	g.migrating = 0;
	g.must_migrate = 1;
	g.migration_why = "its XML marks it migratable";
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), -EPERM);
	assert_non_null(strstr(why, "must stay migratable"));
	c.allow_migration_loss = 1;
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), 0);
	assert_int_equal(r.n, 4);
	g.must_migrate = 0;
	/* no IOMMU: the PF (and so its VFs to be) has no group */
	snprintf(r2, sizeof r2, "%s/noiommu", root);
	sh("cp -a %s %s && rm %s/%s/iommu_group", idle, r2, r2, PFDIR);
	assert_int_equal(sriov_view_read(r2, &view), 0);
	sriov_view_finish(&view);
	r.n = 0;
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), -ENODEV);
	assert_non_null(strstr(why, "intel_iommu=on"));
	assert_int_equal(r.n, 0);
	/* Xen says for the whole machine */
	struct sriov_hv xen = { .name = "Xen", .stub_driver = "pciback", .attach_kind = "xen-pci",
				.attach_value = "assigned", .iommu = 0, .iommu_hint = "iommu=1" };
	assert_int_equal(sriov_view_read(idle, &view), 0);
	sriov_view_finish(&view);
	assert_int_equal(sriov_plan(&view, &c, &xen, &g, NULL, record, &r, why, sizeof why), -ENODEV);
	assert_non_null(strstr(why, "Xen has no IOMMU"));
	xen.iommu = 1;
	g.attach_target = "3";
	assert_int_equal(sriov_plan(&view, &c, &xen, &g, NULL, record, &r, why, sizeof why), 0);
	assert_string_equal(r.line[2], "pci-driver 0000:00:03.1 driver pciback");
	assert_string_equal(r.line[3], "xen-pci 3 0000:00:03.1 assigned");
}

static void test_plan_existing(void **state)
{
	(void)state;
	struct sriov_conf c;
	struct sriov_guest g = { .name = "web", .attach_target = "web" };
	struct rec r = { .fail_at = -1 };
	char why[256];
	conf_pf(&c, PF);
	assert_int_equal(sriov_view_read(assigned, &view), 0);
	sriov_view_finish(&view);
	/* VF0's group is open (QEMU): VF1 is taken, no numvfs change */
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.line[0], "pci-driver 0000:00:03.2 driver vfio-pci");
	assert_string_equal(r.line[1], "kvm-hostdev web 0000:00:03.2 attached");
	r.n = 0;
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, VF0, record, &r, why, sizeof why), -EBUSY);
	assert_non_null(strstr(why, "open through vfio"));
	sriov_view_hold(&view, VF0, "l2");
	sriov_view_finish(&view);
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, VF0, record, &r, why, sizeof why), -EBUSY);
	assert_non_null(strstr(why, "held by guest l2"));
	struct sriov_guest l2 = { .name = "l2", .attach_target = "l2" };
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &l2, NULL, record, &r, why, sizeof why),
			 SRIOV_PLAN_HOLDS);
	assert_non_null(strstr(why, "holds VF 0000:00:03.1"));
	sriov_view_hold(&view, VF1, "other");
	sriov_view_finish(&view);
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), -EBUSY);
	assert_non_null(strstr(why, "all 2 VFs in use"));
	assert_int_equal(r.n, 0);
}

static void test_plan_net_pf(void **state)
{
	(void)state;
	struct sriov_conf c;
	struct sriov_guest g = { .name = "web", .attach_target = "web" };
	struct rec r = { .fail_at = -1 };
	char why[256], rr[128], line[512];
	snprintf(rr, sizeof rr, "%s/netplan", root);
	sh("cp -a %s %s", idle, rr);
	make_net_pf(rr);
	snprintf(line, sizeof line, "%seth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", route_hdr);
	write_file(rr, "proc/net/route", line);
	assert_int_equal(sriov_view_read(rr, &view), 0);
	sriov_view_finish(&view);
	conf_pf(&c, "eth0"); /* by interface name */
	snprintf(c.vf_mac, sizeof c.vf_mac, "52:54:00:aa:bb:01");
	snprintf(c.vf_trust, sizeof c.vf_trust, "off");
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), -EPERM);
	assert_non_null(strstr(why, "carries the host's own traffic (default route via eth0)"));
	assert_int_equal(r.n, 0);
	c.allow_host_traffic_pf = 1;
	assert_int_equal(sriov_plan(&view, &c, &kvm_hv, &g, NULL, record, &r, why, sizeof why), 0);
	assert_int_equal(r.n, 6);
	assert_string_equal(r.line[1], "sriov-numvfs 0000:00:03.0 sriov_numvfs 1");
	assert_string_equal(r.line[2], "sriov-vf eth0 vf0.mac 52:54:00:aa:bb:01");
	assert_string_equal(r.line[3], "sriov-vf eth0 vf0.trust off");
	assert_string_equal(r.line[4], "pci-driver 0000:00:03.1 driver vfio-pci");
}

/* ---- the sriov-numvfs knob on a PF named by its PCI address ---- */

static void test_numvfs_knob(void **state)
{
	(void)state;
	char r[128], buf[32], why[128];
	const struct knob k = { &sriov_knob_numvfs_ops, NULL };
	snprintf(r, sizeof r, "%s/numvfs", root);
	sh("cp -a %s %s", idle, r);
	assert_int_equal(knob_read(&k, r, PF, "sriov_numvfs", buf, sizeof buf), 0);
	assert_string_equal(buf, "0");
	assert_int_equal(knob_read(&k, r, PF, "sriov_drivers_autoprobe", buf, sizeof buf), 0);
	assert_string_equal(buf, "1");
	assert_int_equal(knob_check(&k, PF, "sriov_drivers_autoprobe", "2", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(&k, "../x", "sriov_numvfs", "1", why, sizeof why), -EINVAL);
	assert_int_equal(knob_write(&k, r, PF, "sriov_drivers_autoprobe", "0"), 0);
	assert_string_equal(rd(r, PFDIR "/sriov_drivers_autoprobe"), "0");
	assert_int_equal(knob_write(&k, r, PF, "sriov_numvfs", "2"), 0);
	assert_string_equal(rd(r, PFDIR "/sriov_numvfs"), "2");
	assert_int_equal(knob_write(&k, r, PF, "sriov_numvfs", "3"), -ERANGE);
	/* the assigned tree: VF0 is on vfio-pci, so 2 -> 0 is refused */
	snprintf(r, sizeof r, "%s/numvfs2", root);
	sh("cp -a %s %s", assigned, r);
	assert_int_equal(knob_write(&k, r, PF, "sriov_numvfs", "0"), -EBUSY);
	assert_string_equal(rd(r, PFDIR "/sriov_numvfs"), "2");
}

/* ---- the pci-driver knob ---- */

static void test_pci_driver(void **state)
{
	(void)state;
	char r[128], buf[64], why[128];
	const struct knob_ops *k = &pci_driver_knob_ops;
	snprintf(r, sizeof r, "%s/drv", root);
	sh("cp -a %s %s", assigned, r);
	assert_int_equal(k->read(NULL, r, VF0, "driver", buf, sizeof buf), 0);
	assert_string_equal(buf, "vfio-pci");
	assert_int_equal(k->read(NULL, r, VF1, "driver", buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(k->read(NULL, r, "0000:00:09.0", "driver", buf, sizeof buf), -ENOENT);
	assert_int_equal(k->check(NULL, "00:03.1", "driver", "vfio-pci", why, sizeof why), -EINVAL);
	assert_int_equal(k->check(NULL, VF0, "drv", "vfio-pci", why, sizeof why), -EINVAL);
	assert_int_equal(k->check(NULL, VF0, "driver", "../x", why, sizeof why), -EINVAL);
	assert_int_equal(k->check(NULL, VF0, "driver", "", why, sizeof why), 0);
	/* unbound VF1 -> vfio-pci: override, probe, nothing to unbind */
	assert_int_equal(k->write(NULL, r, VF1, "driver", "vfio-pci"), 0);
	assert_string_equal(rd(r, "sys/bus/pci/devices/" VF1 "/driver_override"), "vfio-pci");
	assert_string_equal(rd(r, "sys/bus/pci/drivers_probe"), VF1);
	assert_string_equal(rd(r, "sys/bus/pci/drivers/vfio-pci/unbind"), "");
	assert_int_equal(k->write(NULL, r, VF1, "driver", "nosuch"), -ENODEV);
	/* VF0 is held through vfio (QEMU's fd): refused, nothing written */
	assert_int_equal(k->write(NULL, r, VF0, "driver", ""), -EBUSY);
	assert_int_equal(k->restore(NULL, r, VF0, "driver", "nvme"), -EBUSY);
	assert_string_equal(rd(r, "sys/bus/pci/drivers/vfio-pci/unbind"), "");
	sh("rm -r %s/proc/344", r); /* QEMU gone */
	assert_int_equal(k->write(NULL, r, VF0, "driver", ""), 0);
	assert_string_equal(rd(r, "sys/bus/pci/drivers/vfio-pci/unbind"), VF0);
	assert_string_equal(rd(r, "sys/bus/pci/devices/" VF0 "/driver_override"), "");
	/* restore to nvme: unbind vfio-pci, clear the override, nvme's own bind */
	sh("echo > %s/sys/bus/pci/drivers/vfio-pci/unbind; echo vfio-pci > %s/sys/bus/pci/devices/%s/driver_override",
	   r, r, VF0);
	assert_int_equal(k->restore(NULL, r, VF0, "driver", "nvme"), 0);
	assert_string_equal(rd(r, "sys/bus/pci/drivers/vfio-pci/unbind"), VF0);
	assert_string_equal(rd(r, "sys/bus/pci/devices/" VF0 "/driver_override"), "");
	assert_string_equal(rd(r, "sys/bus/pci/drivers/nvme/bind"), VF0);
	/* pciback (xen-pciback): leaving it also removes its slot */
	sh("mkdir %s/sys/bus/pci/drivers/pciback && touch %s/sys/bus/pci/drivers/pciback/bind "
	   "%s/sys/bus/pci/drivers/pciback/unbind %s/sys/bus/pci/drivers/pciback/remove_slot", r, r, r, r);
	sh("ln -sfn ../../../bus/pci/drivers/pciback %s/%s/../0000:00:03.1/driver", r, PFDIR);
	assert_int_equal(k->read(NULL, r, VF0, "driver", buf, sizeof buf), 0);
	assert_string_equal(buf, "pciback");
	assert_int_equal(k->restore(NULL, r, VF0, "driver", ""), 0);
	assert_string_equal(rd(r, "sys/bus/pci/drivers/pciback/unbind"), VF0);
	assert_string_equal(rd(r, "sys/bus/pci/drivers/pciback/remove_slot"), VF0);
	/* the registered kind and its name */
	assert_int_equal(knob_bind(k, NULL), 0);
	assert_non_null(knob_find("pci-driver"));
	assert_int_equal(pci_driver_name_ok("vfio-pci"), 1);
	assert_int_equal(pci_driver_name_ok("a/b"), 0);
	assert_int_equal(pci_driver_name_ok(""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_view_idle),
		cmocka_unit_test(test_view_assigned),
		cmocka_unit_test(test_view_host_traffic),
		cmocka_unit_test(test_plan_create),
		cmocka_unit_test(test_plan_refusals),
		cmocka_unit_test(test_plan_existing),
		cmocka_unit_test(test_plan_net_pf),
		cmocka_unit_test(test_numvfs_knob),
		cmocka_unit_test(test_pci_driver),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
