/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_kvm_sriov: the KVM SR-IOV pieces against libvirt's test:///default
 * driver (no daemon) and the sriov-nvme fixture: the "kvm-hostdev" kind's
 * reads and refusals (the test driver cannot attach: the real attach is
 * tests/e2e/test-sriov-kvm.sh), the host view with domains' hostdevs, the
 * metrics, the migration mark, the KVM plan, domains defined from libvirt's
 * own XML (fixtures); and the Xen kinds' checks without a hypervisor. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend.h"
#include "knob.h"
#include "kvm.h"
#include "kvm_sriov.h"
#include "metrics.h"
#include "xen_sriov.h"

#include <errno.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define URI "test:///default"
#define FX "tests/fixtures/sriov-nvme"

static const char hd_xml[] =
	"<domain type='test'><name>hd</name><memory>131072</memory><vcpu>1</vcpu>"
	"<os><type arch='x86_64'>hvm</type></os><devices>"
	"<hostdev mode='subsystem' type='pci' managed='yes'><source>"
	"<address domain='0x0000' bus='0x00' slot='0x03' function='0x1'/></source></hostdev>"
	"</devices></domain>";

static struct backend *b;

static int setup(void **state)
{
	(void)state;
	int err = 0;
	char why[256];
	b = backend_kvm_ops.open(URI, "/", &err, why, sizeof why);
	if (!b)
		return -1;
	virConnectPtr c = kvm_conn(b);
	virDomainPtr d = virDomainDefineXML(c, hd_xml);
	if (!d || virDomainCreate(d) < 0)
		return -1;
	virDomainFree(d);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	backend_kvm_ops.close(b);
	return 0;
}

static void test_hostdev_kind(void **state)
{
	(void)state;
	const struct knob k = { &kvm_knob_hostdev_ops, b }, none = { &kvm_knob_hostdev_ops, NULL };
	char buf[64], why[128];
	assert_int_equal(knob_read(&k, "/", "hd", "0000:00:03.1", buf, sizeof buf), 0);
	assert_string_equal(buf, "attached-persistent"); /* running and defined */
	assert_int_equal(knob_read(&k, "/", "hd", "0000:00:03.2", buf, sizeof buf), 0);
	assert_string_equal(buf, "detached");
	assert_int_equal(knob_read(&k, "/", "test", "0000:00:03.1", buf, sizeof buf), 0);
	assert_string_equal(buf, "detached");
	assert_int_equal(knob_read(&k, "/", "nosuch", "0000:00:03.1", buf, sizeof buf), -ENOENT);
	assert_int_equal(knob_read(&none, "/", "hd", "0000:00:03.1", buf, sizeof buf), -ENOTCONN);
	assert_int_equal(knob_read(&k, "/", "hd", "0000:00:03.1", buf, 4), -EOVERFLOW);
	/* the test driver has no device attach: the request goes out, libvirt says no */
	assert_int_equal(knob_write(&k, "/", "test", "0000:00:03.2", "attached"), -ENOTSUP);
	assert_int_equal(knob_write(&k, "/", "test", "0000:00:03.2", "detached"), 0); /* nothing to do */
	assert_int_equal(knob_check(&k, "hd", "0000:00:03.1", "attached", why, sizeof why), 0);
	assert_int_equal(knob_check(&k, "hd", "0000:00:03.1", "plugged", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(&k, "hd", "00:03.1", "attached", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(&k, "", "0000:00:03.1", "attached", why, sizeof why), -EINVAL);
}

static void test_view_metrics(void **state)
{
	(void)state;
	struct sriov_view *v = malloc(sizeof *v);
	struct mvec m;
	struct bk_guest g = { .name = "hd" };
	assert_non_null(v);
	assert_int_equal(kvm_sriov_view(b, FX "/assigned", v), 0);
	const struct sriov_vf *vf = sriov_view_vf(v, "0000:00:03.1");
	assert_non_null(vf);
	assert_int_equal(vf->state, SRIOV_VF_ASSIGNED);
	assert_string_equal(vf->guest, "hd");
	assert_int_equal(v->assigned_vfs, 1);
	assert_int_equal(v->free_vfs, 1);
	mvec_clear(&m);
	assert_int_equal(kvm_sriov_metrics(b, FX "/assigned", &g, 5000000000ull, &m), 0);
	assert_true(mvec_get(&m, M_HOST_SRIOV_GUEST_VFS) == 1);
	assert_true(mvec_get(&m, M_HOST_SRIOV_FREE_VFS) == 1);
	assert_true(mvec_get(&m, M_HOST_SRIOV_TOTAL_VFS) == 2);
	/* within a second: the same scan, even for another root */
	mvec_clear(&m);
	assert_int_equal(kvm_sriov_metrics(b, FX "/idle", &g, 5500000000ull, &m), 0);
	assert_true(mvec_get(&m, M_HOST_SRIOV_GUEST_VFS) == 1);
	assert_int_equal(kvm_sriov_metrics(b, FX "/idle", &g, 6500000000ull, &m), 0);
	assert_true(mvec_get(&m, M_HOST_SRIOV_GUEST_VFS) == 0);
	assert_true(mvec_get(&m, M_HOST_SRIOV_FREE_VFS) == 2);
	/* no PCI at all: nothing said, no error */
	mvec_clear(&m);
	assert_int_equal(kvm_sriov_metrics(b, "/nonexistent-vtune", &g, 9000000000ull, &m), 0);
	assert_false(mvec_has(&m, M_HOST_SRIOV_FREE_VFS));
	assert_int_equal(kvm_sriov_view(NULL, FX "/idle", v), -ENOTCONN);
	free(v);
}

struct rec {
	char line[8][128];
	int n;
};

static int record(void *arg, const char *kind, const char *target, const char *key, const char *value)
{
	struct rec *r = arg;
	if (r->n < 8)
		snprintf(r->line[r->n++], sizeof r->line[0], "%s %s %s %s", kind, target, key, value);
	return 0;
}

static void test_migration_plan(void **state)
{
	(void)state;
	int mig = -1, must = -1;
	char why[256];
	struct sriov_conf c = { .npfs = 1, .persistent = 1 };
	struct bk_guest g = { .name = "test" };
	struct rec r = { .n = 0 };
	snprintf(c.pfs[0], sizeof c.pfs[0], "0000:00:03.0");
	assert_int_equal(kvm_sriov_migration(b, "test", &mig, &must, why, sizeof why), 0);
	assert_int_equal(mig, 0);
	assert_int_equal(must, 0);
	assert_int_equal(kvm_sriov_plan(b, FX "/idle", &g, &c, NULL, record, &r, why, sizeof why), 0);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.line[3], "kvm-hostdev test 0000:00:03.1 attached-persistent");
	/* an operator marks the domain as one that must stay migratable */
	virDomainPtr d = virDomainLookupByName(kvm_conn(b), "test");
	assert_non_null(d);
	assert_int_equal(virDomainSetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, "<migratable/>", "vtune",
					      KVM_SRIOV_META_NS, VIR_DOMAIN_AFFECT_LIVE), 0);
	assert_int_equal(kvm_sriov_migration(b, "test", &mig, &must, why, sizeof why), 0);
	assert_int_equal(must, 1);
	r.n = 0;
	assert_int_equal(kvm_sriov_plan(b, FX "/idle", &g, &c, NULL, record, &r, why, sizeof why), -EPERM);
	assert_non_null(strstr(why, "must stay migratable"));
	assert_int_equal(r.n, 0);
	c.allow_migration_loss = 1;
	assert_int_equal(kvm_sriov_plan(b, FX "/idle", &g, &c, NULL, record, &r, why, sizeof why), 0);
	assert_int_equal(virDomainSetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, NULL, NULL,
					      KVM_SRIOV_META_NS, VIR_DOMAIN_AFFECT_LIVE), 0);
	virDomainFree(d);
	/* the guest that holds a VF gets none more */
	struct bk_guest hd = { .name = "hd" };
	assert_int_equal(kvm_sriov_plan(b, FX "/assigned", &hd, &c, NULL, record, &r, why, sizeof why),
			 SRIOV_PLAN_HOLDS);
	assert_int_equal(kvm_sriov_migration(b, "nosuch", &mig, &must, why, sizeof why), -ENOENT);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	char *buf = calloc(1, 65536);
	assert_non_null(buf);
	assert_true(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return buf;
}

static virDomainPtr define_file(const char *path)
{
	char *xml = slurp(path);
	virDomainPtr d = virDomainDefineXML(kvm_conn(b), xml);
	free(xml);
	assert_non_null(d);
	return d;
}

/* Domains defined from libvirt's own XML: the L2 guest's live XML with a VF
 * (its host address, not the guest-side one), and the test driver's
 * rich-devices.xml, inactive, with two hostdevs and the migratable mark in
 * its <metadata> beside a decoy hostdev. */
static void test_fixture_domains(void **state)
{
	(void)state;
	const struct knob k = { &kvm_knob_hostdev_ops, b };
	char buf[64], why[256];
	int mig = -1, must = -1;
	virDomainPtr l2 = define_file(FX "/l2-live.xml");
	assert_int_equal(virDomainCreate(l2), 0);
	assert_int_equal(knob_read(&k, "/", "l2", "0000:00:03.1", buf, sizeof buf), 0);
	assert_string_equal(buf, "attached-persistent");
	assert_int_equal(knob_read(&k, "/", "l2", "0000:00:02.0", buf, sizeof buf), 0);
	assert_string_equal(buf, "detached");
	assert_int_equal(kvm_sriov_migration(b, "l2", &mig, &must, why, sizeof why), 0);
	assert_int_equal(must, 0);
	assert_int_equal(virDomainDestroy(l2), 0);
	assert_int_equal(virDomainUndefine(l2), 0);
	virDomainFree(l2);

	virDomainPtr rich = define_file("tests/fixtures/libvirt/rich-devices.xml");
	assert_int_equal(knob_read(&k, "/", "vtune-rich", "0001:81:02.7", buf, sizeof buf), 0);
	assert_string_equal(buf, "persistent");
	assert_int_equal(knob_read(&k, "/", "vtune-rich", "0000:03:10.1", buf, sizeof buf), 0);
	assert_string_equal(buf, "persistent");
	assert_int_equal(knob_read(&k, "/", "vtune-rich", "0000:66:00.0", buf, sizeof buf), 0);
	assert_string_equal(buf, "detached"); /* the decoy in <metadata> */
	assert_int_equal(kvm_sriov_migration(b, "vtune-rich", &mig, &must, why, sizeof why), 0);
	assert_int_equal(mig, 0);
	assert_int_equal(must, 1);
	assert_non_null(strstr(why, "marks it migratable"));
	assert_int_equal(virDomainUndefine(rich), 0);
	virDomainFree(rich);
}

static void test_xen_kinds(void **state)
{
	(void)state;
	const struct knob k = { &xen_knob_pci_attach_ops, NULL };
	char why[128], buf[32];
	assert_string_equal(k.ops->kind, "xen-pci");
	assert_int_equal(knob_check(&k, "3", "0000:00:03.1", "assigned", why, sizeof why), 0);
	assert_int_equal(knob_check(&k, "3", "0000:00:03.1", "", why, sizeof why), 0);
	assert_int_equal(knob_check(&k, "0", "0000:00:03.1", "assigned", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(&k, "03", "0000:00:03.1", "assigned", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(&k, "32752", "0000:00:03.1", "assigned", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(&k, "3", "0000:00:03.1", "yes", why, sizeof why), -EINVAL);
	assert_int_equal(knob_check(&k, "3", "03.1", "assigned", why, sizeof why), -EINVAL);
	/* no Xen backend bound: nothing is tried */
	assert_int_equal(knob_read(&k, "/", "3", "0000:00:03.1", buf, sizeof buf), -ENOTCONN);
	assert_int_equal(knob_write(&k, "/", "3", "0000:00:03.1", "assigned"), -ENOTCONN);
	struct sriov_view *v = malloc(sizeof *v);
	assert_int_equal(xen_sriov_view(NULL, FX "/idle", v), -ENOTCONN);
	assert_int_equal(xen_sriov_iommu(NULL), -ENOTCONN);
	free(v);
	assert_string_equal(xen_pci_last_error(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostdev_kind),
		cmocka_unit_test(test_view_metrics),
		cmocka_unit_test(test_migration_plan),
		cmocka_unit_test(test_fixture_domains),
		cmocka_unit_test(test_xen_kinds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
