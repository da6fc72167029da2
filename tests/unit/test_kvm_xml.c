/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_kvm_xml: the libvirt domain XML reader (kvm/kvm_xml.c) on libvirt's
 * own output (tests/fixtures/libvirt, sriov-nvme/l2-live.xml), on made-up
 * corner cases and on hostile documents: entities, a DOCTYPE, XInclude,
 * deep nesting, oversize, malformed text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend.h"
#include "kvm_xml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FX "tests/fixtures/libvirt/"

/* The recipe guest (shared/recipes/libvirt/vtune-guest.xml), with live-XML
 * additions: the channel's state, a decoy channel in <metadata>, an escaped
 * path, a hostdev (source address vs the guest's own PCI address). */
static const char guest_xml[] =
	"<?xml version='1.0'?>\n"
	"<!-- a comment with <channel type='unix'> in it -->\n"
	"<domain type='qemu' id='7'>\n"
	"  <name>vtune-guest</name>\n"
	"  <metadata><x:y xmlns:x='urn:x'><channel type='unix'><source path='/evil'/>"
	"<target type='virtio' name='org.vtune.agent.0'/></channel></x:y></metadata>\n"
	"  <vcpu placement='static'>2</vcpu>\n"
	"  <devices>\n"
	"    <serial type='unix'>\n"
	"      <source mode='bind' path='/vt/libvirt/console.sock'/>\n"
	"      <target port='0'/>\n"
	"    </serial>\n"
	"    <channel type='unix'>\n"
	"      <source mode='bind' path='/vt/other.sock'/>\n"
	"      <target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>\n"
	"    </channel>\n"
	"    <channel type='unix'>\n"
	"      <source mode='bind' path=\"/vt/lib&amp;virt/agent.sock\"/>\n"
	"      <target type='virtio' name='org.vtune.agent.0' state='disconnected'/>\n"
	"      <address type='virtio-serial' controller='0' bus='0' port='1'/>\n"
	"    </channel>\n"
	"    <interface type='network'>\n"
	"      <source network='default' bridge='virbr0'/>\n"
	"      <target dev='vnet9'/>\n"
	"    </interface>\n"
	"    <interface type='bridge'>\n"
	"      <mac address='52:54:00:12:34:60'/>\n"
	"      <source bridge='br0'/>\n"
	"      <target dev='vnet-vt0'/>\n"
	"      <model type='virtio'/>\n"
	"    </interface>\n"
	"    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
	"      <source><address domain='0x0000' bus='0x03' slot='0x10' function='0x1'/></source>\n"
	"      <address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/>\n"
	"    </hostdev>\n"
	"  </devices>\n"
	"</domain>\n";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	char *buf = calloc(1, 65536);
	assert_non_null(buf);
	size_t n = fread(buf, 1, 65535, f);
	fclose(f);
	assert_true(n > 0);
	return buf;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The guest's channel, tap and bridge. */
static void test_guest(void **state)
{
	(void)state;
	struct bk_guest g;
	enum kvm_chan_state st;
	memset(&g, 0, sizeof g);
	assert_int_equal(kvm_xml_guest(guest_xml, &g, &st), 0);
	assert_string_equal(g.channel, "/vt/lib&virt/agent.sock");
	assert_int_equal(st, KVM_CHAN_DISCONNECTED);
	assert_string_equal(g.tap, "vnet-vt0"); /* bridge wins over network */
	assert_string_equal(g.bridge, "br0");

	/* Only a network interface: it is taken; no unix channel: "". */
	const char *net = "<domain><devices><interface type='network'><source network='default' "
			  "bridge='virbr0'/><target dev='vnet3'/></interface>"
			  "<channel type='pty'><target type='virtio' name='org.vtune.agent.0'/>"
			  "</channel></devices></domain>";
	assert_int_equal(kvm_xml_guest(net, &g, &st), 0);
	assert_string_equal(g.channel, "");
	assert_int_equal(st, KVM_CHAN_UNKNOWN);
	assert_string_equal(g.tap, "vnet3");
	assert_string_equal(g.bridge, "virbr0");

	/* connected; character references and the five entities decoded; the
	 * first unix channel with our port wins */
	assert_int_equal(kvm_xml_guest("<domain><devices><channel type='unix'><source "
				       "path='/a&amp;b&#47;c&#x41;&lt;&gt;&quot;&apos;'/><target "
				       "type='virtio' name='org.vtune.agent.0' state='connected'/>"
				       "</channel><channel type='unix'><source path='/second'/>"
				       "<target type='virtio' name='org.vtune.agent.0'/></channel>"
				       "</devices></domain>", &g, &st), 0);
	assert_string_equal(g.channel, "/a&b/cA<>\"'");
	assert_int_equal(st, KVM_CHAN_CONNECTED);

	/* Only <devices> of <domain> counts: not elsewhere, not in <metadata> */
	assert_int_equal(kvm_xml_guest("<domain><interface type='bridge'><target dev='x'/>"
				       "</interface><os><devices><interface type='bridge'>"
				       "<target dev='y'/></interface></devices></os></domain>",
				       &g, NULL), 0);
	assert_string_equal(g.tap, "");

	/* Oversize values: that field is left "", the others are filled. */
	assert_int_equal(kvm_xml_guest("<domain><devices><interface type='bridge'><source "
				       "bridge='br0'/><target dev='a-very-long-tap-name0'/>"
				       "</interface></devices></domain>", &g, NULL),
			 -ENAMETOOLONG);
	assert_string_equal(g.tap, "");
	assert_string_equal(g.bridge, "br0");

	/* Broken XML, or not a domain: -EINVAL, the fields emptied. */
	snprintf(g.tap, sizeof g.tap, "stale");
	assert_int_equal(kvm_xml_guest("<domain><devices><channel type='unix", &g, &st), -EINVAL);
	assert_string_equal(g.tap, "");
	assert_int_equal(st, KVM_CHAN_UNKNOWN);
	assert_int_equal(kvm_xml_guest("<domain><!-- never closed", &g, NULL), -EINVAL);
	assert_int_equal(kvm_xml_guest("<a b='&#65;'/>", &g, NULL), -EINVAL);
	assert_int_equal(kvm_xml_guest("", &g, NULL), -EINVAL);
	assert_int_equal(kvm_xml_guest("<domain><devices><channel type='unix'><source "
				       "path='&bogus;'/><target type='virtio' "
				       "name='org.vtune.agent.0'/></channel></devices></domain>",
				       &g, NULL), -EINVAL);
	assert_string_equal(g.channel, "");
}

/* Fleet labels from <metadata>: libvirt's own dumpxml of domains carrying
 * Nova's and KubeVirt's blocks (tests/fixtures/libvirt/README.md). */
static void test_labels(void **state)
{
	(void)state;
	struct bk_guest g;
	char *xml = slurp(FX "nova-instance.xml");
	memset(&g, 0, sizeof g);
	snprintf(g.name, sizeof g.name, "instance-0000002a");
	assert_int_equal(kvm_xml_guest(xml, &g, NULL), 0);
	assert_string_equal(g.uuid, "6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11");
	assert_string_equal(g.nova_instance, "6d5c2a4e-0d9f-4c53-9b0e-2f1a7e3c1b11");
	assert_string_equal(g.nova_project, "8a3f1c2d4e5f46a7b8c9d0e1f2a3b4c5");
	assert_string_equal(g.nova_project_name, "shop & co");
	assert_string_equal(g.kubevirt_vmi, "");
	assert_string_equal(g.tap, "tap1234abcd-ef");
	assert_string_equal(g.bridge, "qbr1234abcd-ef");
	/* the UUID libvirt gave (virDomainGetUUIDString) stands */
	snprintf(g.uuid, sizeof g.uuid, "11111111-2222-3333-4444-555555555555");
	assert_int_equal(kvm_xml_labels(xml, &g), 0);
	assert_string_equal(g.nova_instance, "11111111-2222-3333-4444-555555555555");
	free(xml);

	xml = slurp(FX "kubevirt-vmi.xml");
	memset(&g, 0, sizeof g);
	snprintf(g.name, sizeof g.name, "shop_web-vmi");
	assert_int_equal(kvm_xml_labels(xml, &g), 0);
	assert_string_equal(g.uuid, "e4686d2c-6e8d-4335-b8fd-81bee22f4814");
	assert_string_equal(g.kubevirt_namespace, "shop");
	assert_string_equal(g.kubevirt_vmi, "web-vmi");
	assert_string_equal(g.nova_instance, "");
	free(xml);

	/* no metadata; a foreign namespace that reuses the names; a <uuid> and a
	 * project inside someone else's metadata do not count */
	memset(&g, 0, sizeof g);
	snprintf(g.name, sizeof g.name, "ns_x");
	assert_int_equal(kvm_xml_labels("<domain><name>ns_x</name><metadata>"
					"<evil:instance xmlns:evil='urn:evil'><evil:owner>"
					"<evil:project uuid='p'>x</evil:project></evil:owner>"
					"<uuid>u</uuid></evil:instance>"
					"<kubevirt xmlns='urn:not-kubevirt'><uid>1</uid></kubevirt>"
					"</metadata></domain>", &g), 0);
	assert_string_equal(g.uuid, "");
	assert_string_equal(g.nova_project, "");
	assert_string_equal(g.nova_instance, "");
	assert_string_equal(g.kubevirt_vmi, "");
	/* Nova's namespace on another prefix; KubeVirt with a prefix; a
	 * project outside Nova's namespace is not Nova's */
	assert_int_equal(kvm_xml_labels("<domain><uuid>abc</uuid><metadata>"
					"<n:instance xmlns:n='http://openstack.org/xmlns/libvirt/nova/1.0'>"
					"<n:owner><n:project uuid='p1'> proj </n:project>"
					"<project uuid='p2'>other</project></n:owner></n:instance>"
					"<k:kubevirt xmlns:k='http://kubevirt.io'><k:uid>1</k:uid></k:kubevirt>"
					"</metadata></domain>", &g), 0);
	assert_string_equal(g.uuid, "abc");
	assert_string_equal(g.nova_instance, "abc");
	assert_string_equal(g.nova_project, "p1");
	assert_string_equal(g.nova_project_name, "proj");
	assert_string_equal(g.kubevirt_namespace, "ns");
	assert_string_equal(g.kubevirt_vmi, "x");
	/* too long a value is refused, the field left empty; a broken XML too */
	memset(&g, 0, sizeof g);
	char big[512];
	snprintf(big, sizeof big, "<domain><metadata><n:instance xmlns:n='"
		 "http://openstack.org/xmlns/libvirt/nova/1.1'><n:owner><n:project uuid='%0100d'>"
		 "p</n:project></n:owner></n:instance></metadata></domain>", 7);
	assert_int_equal(kvm_xml_labels(big, &g), -ENAMETOOLONG);
	assert_string_equal(g.nova_project, "");
	assert_string_equal(g.nova_project_name, "p");
	assert_int_equal(kvm_xml_labels("<domain><uuid>x</uuid><metadata><a", &g), -EINVAL);
}

static void test_hostdevs(void **state)
{
	(void)state;
	char a[4][16];
	size_t n;
	assert_int_equal(kvm_xml_hostdevs(guest_xml, a, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(a[0], "0000:03:10.1");
	assert_int_equal(kvm_xml_hostdevs("<domain/>", a, 4, &n), 0);
	assert_int_equal(n, 0);
	/* malformed addresses and non-PCI hostdevs are skipped */
	assert_int_equal(kvm_xml_hostdevs("<domain><devices>"
					  "<hostdev type='pci'><source><address domain='0x0000' "
					  "bus='0x100' slot='0x00' function='0x0'/></source></hostdev>"
					  "<hostdev type='pci'><source><address domain='0' bus='0x01' "
					  "slot='0x00' function='0x0'/></source></hostdev>"
					  "<hostdev type='usb'><source><address bus='1' device='2'/>"
					  "</source></hostdev>"
					  "<hostdev type='pci'><source><address domain='0x0000' "
					  "bus='0x01' slot='0x1f' function='0x7'/></source></hostdev>"
					  "</devices></domain>", a, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(a[0], "0000:01:1f.7");
	assert_int_equal(kvm_xml_hostdevs("<domain><devices>", a, 4, &n), -EINVAL);
	assert_int_equal(n, 0);
}

struct names {
	char text[256];
	int n;
};

static void collect(void *arg, const char *name)
{
	struct names *l = arg;
	size_t used = strlen(l->text);
	snprintf(l->text + used, sizeof l->text - used, "%s%s", used ? "," : "", name);
	l->n++;
}

/* libvirt's own XML: a running QEMU guest, the test driver's domain with
 * everything vtune reads, an L2 guest holding a VF. */
static void test_fixtures(void **state)
{
	(void)state;
	struct bk_guest g;
	enum kvm_chan_state st;
	char a[4][16];
	size_t n;
	struct names l;

	char *xml = slurp(FX "qemu-live.xml");
	memset(&g, 0, sizeof g);
	assert_int_equal(kvm_xml_guest(xml, &g, &st), 0);
	assert_string_equal(g.channel, "/tmp/vtune-kvm-WdEBDj/guest/agent.sock");
	assert_int_equal(st, KVM_CHAN_DISCONNECTED);
	assert_string_equal(g.tap, "vt-tap0");
	assert_string_equal(g.bridge, "br0");
	assert_string_equal(g.uuid, "aae41ff6-56c9-412a-83c8-4d9e564a13b3");
	assert_string_equal(g.nova_instance, "");
	assert_int_equal(kvm_xml_hostdevs(xml, a, 4, &n), 0);
	assert_int_equal(n, 0);
	memset(&l, 0, sizeof l);
	assert_int_equal(kvm_xml_each_filterref(xml, NULL, collect, &l), 0);
	assert_int_equal(l.n, 0);
	free(xml);

	xml = slurp(FX "rich-devices.xml");
	memset(&g, 0, sizeof g);
	assert_int_equal(kvm_xml_guest(xml, &g, &st), 0);
	/* not qemu-ga's channel, nor the decoy in <metadata> */
	assert_string_equal(g.channel,
			    "/var/lib/libvirt/qemu/channel/target/vtune rich & co.org.vtune.agent.0");
	assert_int_equal(st, KVM_CHAN_UNKNOWN); /* inactive: no state */
	assert_string_equal(g.tap, "vt-rich0");
	assert_string_equal(g.bridge, "br-guests");
	assert_string_equal(g.uuid, "3f0b7c1e-5a2d-4e8f-9c61-0d2b4a6e8f13");
	/* the hostdevs' host addresses, not the guest-side one nor the decoy */
	assert_int_equal(kvm_xml_hostdevs(xml, a, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a[0], "0000:03:10.1");
	assert_string_equal(a[1], "0001:81:02.7");
	assert_int_equal(kvm_xml_hostdevs(xml, a, 1, &n), 0);
	assert_int_equal(n, 2); /* counted beyond max */
	memset(&l, 0, sizeof l);
	assert_int_equal(kvm_xml_each_filterref(xml, NULL, collect, &l), 0);
	assert_string_equal(l.text, "clean-traffic,no-ip-spoofing");
	memset(&l, 0, sizeof l);
	assert_int_equal(kvm_xml_each_filterref(xml, "vt-rich0", collect, &l), 0);
	assert_string_equal(l.text, "no-ip-spoofing");
	memset(&l, 0, sizeof l);
	assert_int_equal(kvm_xml_each_filterref(xml, "testnet0", collect, &l), 0);
	assert_string_equal(l.text, "clean-traffic");
	free(xml);

	xml = slurp("tests/fixtures/sriov-nvme/l2-live.xml");
	memset(&g, 0, sizeof g);
	assert_int_equal(kvm_xml_guest(xml, &g, &st), 0);
	assert_string_equal(g.channel, "");
	assert_string_equal(g.tap, "");
	assert_int_equal(kvm_xml_hostdevs(xml, a, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(a[0], "0000:00:03.1"); /* not the guest's 00:02.0 */
	free(xml);
}

/* virDomainGetMetadata's element: libvirt drops the namespace. */
static void test_root_is(void **state)
{
	(void)state;
	assert_int_equal(kvm_xml_root_is("<migratable/>", "migratable"), 1);
	assert_int_equal(kvm_xml_root_is("<vtune:migratable xmlns:vtune='urn:vtune:libvirt:1'/>",
					 "migratable"), 1);
	assert_int_equal(kvm_xml_root_is("<notmigratable/>", "migratable"), 0);
	assert_int_equal(kvm_xml_root_is("<x a='migratable'><migratable/></x>", "migratable"), 0);
	assert_int_equal(kvm_xml_root_is("<migratable>", "migratable"), -EINVAL);
	assert_int_equal(kvm_xml_root_is("<!DOCTYPE migratable><migratable/>", "migratable"),
			 -EINVAL);
}

/* Every reader on one hostile document: the same error from each, and
 * nothing taken from it. */
static void all_readers(const char *xml, int want)
{
	struct bk_guest g;
	enum kvm_chan_state st = KVM_CHAN_CONNECTED;
	char a[4][16];
	size_t n = 9;
	struct names l;
	memset(&g, 0, sizeof g);
	memset(&l, 0, sizeof l);
	snprintf(g.name, sizeof g.name, "ns_vmi");
	snprintf(g.nova_project, sizeof g.nova_project, "stale"); /* cleared */
	assert_int_equal(kvm_xml_guest(xml, &g, &st), want);
	assert_int_equal(kvm_xml_labels(xml, &g), want);
	assert_int_equal(kvm_xml_hostdevs(xml, a, 4, &n), want);
	assert_int_equal(kvm_xml_each_filterref(xml, NULL, collect, &l), want);
	if (want == -EINVAL || want == -EFBIG)
		assert_int_equal(kvm_xml_root_is(xml, "domain"), want);
	assert_string_equal(g.channel, "");
	assert_int_equal(st, KVM_CHAN_UNKNOWN);
	assert_string_equal(g.tap, "");
	assert_string_equal(g.bridge, "");
	assert_string_equal(g.uuid, "");
	assert_string_equal(g.kubevirt_vmi, "");
	assert_string_equal(g.nova_project, "");
	assert_int_equal(n, 0);
	assert_int_equal(l.n, 0);
}

static void test_hostile_fixtures(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		int want;
	} cases[] = {
		{ "billion-laughs.xml", -EINVAL }, { "external-entity.xml", -EINVAL },
		{ "parameter-entity.xml", -EINVAL }, { "external-dtd.xml", -EINVAL },
		{ "mismatched.xml", -EINVAL }, { "truncated.xml", -EINVAL },
		{ "undeclared-entity.xml", -EINVAL }, { "two-roots.xml", -EINVAL },
		{ "bad-utf8.xml", -EINVAL },
		{ "xinclude.xml", 0 }, /* well-formed, never processed */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char path[128];
		snprintf(path, sizeof path, FX "hostile/%s", cases[i].file);
		char *xml = slurp(path);
		double t0 = now_s();
		all_readers(xml, cases[i].want);
		/* nothing expanded, fetched or waited for */
		double dt = now_s() - t0;
		if (dt > 0.5)
			fail_msg("%s: %.3f s", cases[i].file, dt);
		free(xml);
	}
}

/* Nesting libxml2 refuses (over 256 deep), and a flat document. */
static char *nested(size_t depth)
{
	char *s = malloc(depth * 7 + 64), *p = s;
	assert_non_null(s);
	p += sprintf(p, "<domain><metadata>");
	for (size_t i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (size_t i = 0; i < depth; i++)
		p += sprintf(p, "</a>");
	sprintf(p, "</metadata></domain>");
	return s;
}

static void test_limits(void **state)
{
	(void)state;
	struct bk_guest g;
	char *xml = nested(200);
	all_readers(xml, 0);
	free(xml);
	xml = nested(300);
	all_readers(xml, -EINVAL);
	free(xml);
	double t0 = now_s();
	xml = nested(100000);
	all_readers(xml, -EINVAL);
	free(xml);
	assert_true(now_s() - t0 < 1.0);

	/* KVM_XML_MAX bytes: read, up to the tap named at its very end; one
	 * more: -EFBIG before any parsing */
	static const char head[] = "<domain><devices>", tail[] =
		"<interface type='bridge'><target dev='vnet-end'/></interface></devices></domain>";
	static const char item[] = "<interface type='ethernet'/>";
	xml = malloc(KVM_XML_MAX + 2);
	assert_non_null(xml);
	char *p = xml + sprintf(xml, "%s", head);
	while ((size_t)(p - xml) + sizeof item + sizeof tail < KVM_XML_MAX)
		p += sprintf(p, "%s", item);
	memset(p, ' ', KVM_XML_MAX - (size_t)(p - xml) - (sizeof tail - 1));
	sprintf(xml + KVM_XML_MAX - (sizeof tail - 1), "%s", tail);
	assert_int_equal(strlen(xml), KVM_XML_MAX);
	memset(&g, 0, sizeof g);
	t0 = now_s();
	assert_int_equal(kvm_xml_guest(xml, &g, NULL), 0);
	assert_true(now_s() - t0 < 2.0);
	assert_string_equal(g.tap, "vnet-end");
	memmove(xml + 1, xml, KVM_XML_MAX + 1);
	xml[0] = ' ';
	all_readers(xml, -EFBIG);

	/* a value of almost all of it: too long for its field */
	p = xml + sprintf(xml, "<domain><uuid>");
	memset(p, 'u', KVM_XML_MAX / 2);
	sprintf(p + KVM_XML_MAX / 2, "</uuid><devices><channel type='unix'><source path='/ok'/>"
		"<target type='virtio' name='org.vtune.agent.0'/></channel></devices></domain>");
	memset(&g, 0, sizeof g);
	assert_int_equal(kvm_xml_guest(xml, &g, NULL), -ENAMETOOLONG);
	assert_string_equal(g.uuid, "");
	assert_string_equal(g.channel, "/ok");
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_hostdevs),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_root_is),
		cmocka_unit_test(test_hostile_fixtures),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
