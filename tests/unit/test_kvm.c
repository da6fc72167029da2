/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_kvm: the KVM backend against libvirt's test:///default driver (no
 * daemon): guests as their domain XML shows them (the reader itself is
 * test_kvm_xml's), list, events through hostd-style polling, filters,
 * pinning knobs, host view and pin plans. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend.h"
#include "knob.h"
#include "cpulist.h"
#include "kvm.h"
#include "metrics.h"
#include "vclock.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define URI "test:///default"

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

static void test_cpulist(void **state)
{
	(void)state;
	unsigned char m[2];
	char out[64];
	assert_int_equal(kvm_cpulist_parse("0-2,5", m, sizeof m, 16), 0);
	assert_int_equal(m[0], 0x27);
	assert_int_equal(cpulist_format(m, 16, out, sizeof out), 0);
	assert_string_equal(out, "0-2,5");
	assert_int_equal(kvm_cpulist_parse(" 7,6 ,3 ", m, sizeof m, 16), 0);
	assert_int_equal(cpulist_format(m, 16, out, sizeof out), 0);
	assert_string_equal(out, "3,6-7");
	assert_int_equal(kvm_cpulist_parse("16", m, sizeof m, 16), -ERANGE);
	assert_int_equal(kvm_cpulist_parse("", m, sizeof m, 16), -EINVAL);
	assert_int_equal(kvm_cpulist_parse("1,,2", m, sizeof m, 16), -EINVAL);
	assert_int_equal(kvm_cpulist_parse("3-1", m, sizeof m, 16), -EINVAL);
	assert_int_equal(kvm_cpulist_parse("x", m, sizeof m, 16), -EINVAL);
	assert_int_equal(kvm_cpulist_parse("-1", m, sizeof m, 16), -EINVAL);
	assert_int_equal(kvm_cpulist_parse("0-2,5", m, sizeof m, 16), 0);
	assert_int_equal(cpulist_format(m, 16, out, 4), -EOVERFLOW);
	assert_string_equal(out, "");
}

/* ---- the test driver ---- */

struct seen {
	int n;
	struct {
		enum bk_event_type t;
		struct bk_guest g;
	} ev[32];
};

static void record(void *arg, enum bk_event_type t, const struct bk_guest *g)
{
	struct seen *s = arg;
	if (s->n < 32) {
		s->ev[s->n].t = t;
		s->ev[s->n].g = *g;
		s->n++;
	}
}

static const struct bk_guest *find(const struct seen *s, enum bk_event_type t, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (s->ev[i].t == t && !strcmp(s->ev[i].g.name, name))
			return &s->ev[i].g;
	return NULL;
}

/* Drive the backend as hostd's loop would: poll its fd, dispatch. */
static void pump(struct backend *b, struct seen *s, int want, int ms)
{
	int fd = backend_kvm_ops.event_fd(b);
	assert_true(fd >= 0);
	for (int waited = 0; waited < ms && s->n < want; waited += 10) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 10) > 0)
			assert_int_equal(backend_kvm_ops.dispatch(b, record, s), 0);
	}
}

static struct backend *open_test(void)
{
	int err = 0;
	char why[256] = "";
	struct backend *b = backend_kvm_ops.open(URI, "/", &err, why, sizeof why);
	if (!b)
		fail_msg("open: %d %s", err, why);
	return b;
}

static void test_open_list(void **state)
{
	(void)state;
	assert_string_equal(backend_kvm_ops.name, "kvm");
	int err = 0;
	char why[256] = "";
	assert_null(backend_kvm_ops.open("bogus:///nothing", "/", &err, why, sizeof why));
	assert_true(err < 0);
	assert_true(why[0] != '\0');

	struct backend *b = open_test();
	struct seen s = { 0 };
	assert_int_equal(backend_kvm_ops.list(b, record, &s), 0);
	const struct bk_guest *g = find(&s, BK_GUEST_UP, "test");
	assert_non_null(g);
	assert_int_equal(strnlen(g->uuid, sizeof g->uuid), 36);
	assert_true(g->domid > 0);
	assert_int_equal(g->nvcpus, 2);
	assert_string_equal(g->channel, "");
	assert_string_equal(g->tap, "testnet0"); /* its <interface type='network'> */
	backend_kvm_ops.close(b);
}

/* Define the recipe guest on the test driver, start it: an event and list()
 * both show its channel and tap; destroy it: a down event. */
static void test_define_events(void **state)
{
	(void)state;
	struct backend *b = open_test();
	kvm_set_resync_ms(b, 0); /* events only */
	struct seen s = { 0 };
	assert_int_equal(backend_kvm_ops.list(b, NULL, NULL), 0);

	const char *xml =
		"<domain type='qemu'><name>vtune-guest</name><memory unit='MiB'>256</memory>"
		"<vcpu placement='static'>2</vcpu><os><type arch='x86_64' machine='pc'>hvm</type>"
		"<kernel>/vt/vmlinuz</kernel><initrd>/vt/initramfs.gz</initrd></os><devices>"
		"<channel type='unix'><source mode='bind' path='/vt/libvirt/agent.sock'/>"
		"<target type='virtio' name='org.vtune.agent.0'/></channel>"
		"<interface type='bridge'><source bridge='br0'/><target dev='vnet-vt0'/>"
		"<mac address='52:54:00:12:34:60'/><model type='virtio'/></interface>"
		"<memballoon model='none'/></devices></domain>";
	virDomainPtr dom = virDomainDefineXML(kvm_conn(b), xml);
	assert_non_null(dom);
	assert_int_equal(virDomainCreate(dom), 0);
	pump(b, &s, 1, 2000);
	const struct bk_guest *g = find(&s, BK_GUEST_UP, "vtune-guest");
	assert_non_null(g);
	assert_string_equal(g->channel, "/vt/libvirt/agent.sock");
	/* The test driver renames every started domain's tap to testnet0. */
	assert_string_equal(g->tap, "testnet0");
	assert_string_equal(g->bridge, "br0");

	struct seen l = { 0 };
	assert_int_equal(backend_kvm_ops.list(b, record, &l), 0);
	g = find(&l, BK_GUEST_UP, "vtune-guest");
	assert_non_null(g);
	assert_string_equal(g->channel, "/vt/libvirt/agent.sock");
	assert_non_null(find(&l, BK_GUEST_UP, "test"));

	/* Resync after list finds nothing new; a destroy is one DOWN. */
	s.n = 0;
	assert_int_equal(virDomainDestroy(dom), 0);
	pump(b, &s, 1, 2000);
	assert_true(s.n >= 1); /* other events may slip in; the DOWN must be there */
	const struct bk_guest *down = find(&s, BK_GUEST_DOWN, "vtune-guest");
	assert_non_null(down);
	assert_string_equal(down->channel, "/vt/libvirt/agent.sock");

	/* Missed events: the periodic re-list reports the guest anyway. */
	s.n = 0;
	kvm_set_resync_ms(b, 20);
	assert_int_equal(virDomainCreate(dom), 0);
	pump(b, &s, 1, 2000);
	assert_non_null(find(&s, BK_GUEST_UP, "vtune-guest"));
	assert_int_equal(virDomainDestroy(dom), 0);
	pump(b, &s, 2, 2000);
	assert_non_null(find(&s, BK_GUEST_DOWN, "vtune-guest"));
	assert_int_equal(virDomainUndefine(dom), 0);
	virDomainFree(dom);
	backend_kvm_ops.close(b);
}

/* Filters bound to a guest's traffic: <filterref> of the guest's own
 * interface only (a second NIC's filter is another tap's), names once. */
static void test_xml_filterrefs(void **state)
{
	(void)state;
	const char *xml =
		"<domain type='kvm'><name>g</name><devices>"
		"<interface type='bridge'><source bridge='br0'/><target dev='vnet1'/>"
		"<filterref filter='clean-traffic'><parameter name='IP' value='10.0.0.2'/>"
		"</filterref></interface>"
		"<interface type='network'><source network='default'/><target dev='vnet2'/>"
		"<filterref filter='no-arp-spoofing'/></interface>"
		"<interface type='bridge'><source bridge='br1'/><target dev='vnet3'/></interface>"
		"</devices><metadata><x:interface xmlns:x='urn:x'><filterref filter='decoy'/>"
		"</x:interface></metadata></domain>";
	char buf[128];
	assert_int_equal(kvm_filterrefs(xml, "vnet1", buf, sizeof buf), 1);
	assert_string_equal(buf, "clean-traffic");
	assert_int_equal(kvm_filterrefs(xml, "vnet3", buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(kvm_filterrefs(xml, NULL, buf, sizeof buf), 2);
	assert_string_equal(buf, "clean-traffic,no-arp-spoofing");
	/* libvirt's own XML: one filter per interface */
	char *rich = slurp("tests/fixtures/libvirt/rich-devices.xml");
	assert_int_equal(kvm_filterrefs(rich, "vt-rich0", buf, sizeof buf), 1);
	assert_string_equal(buf, "no-ip-spoofing");
	assert_int_equal(kvm_filterrefs(rich, "", buf, sizeof buf), 2);
	assert_string_equal(buf, "clean-traffic,no-ip-spoofing");
	assert_int_equal(kvm_filterrefs(rich, NULL, buf, 10), 2); /* cut, counted */
	assert_string_equal(buf, "");
	free(rich);
	assert_int_equal(kvm_filterrefs("<domain><devices>", NULL, buf, sizeof buf), -EINVAL);
	assert_int_equal(kvm_filterrefs("<network/>", NULL, buf, sizeof buf), -EINVAL);
}

/* The backend's guest_filters slot on the test driver (which has no
 * nwfilter driver, so no bindings): a started guest whose interface names a
 * filter has it; the driver's own guest has none. */
static void test_guest_filters(void **state)
{
	(void)state;
	struct backend *b = open_test();
	kvm_set_resync_ms(b, 0);
	const char *xml =
		"<domain type='qemu'><name>vtune-filtered</name><memory unit='MiB'>256</memory>"
		"<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
		"<interface type='bridge'><source bridge='br0'/><target dev='vnet-f0'/>"
		"<filterref filter='clean-traffic'/></interface></devices></domain>";
	virDomainPtr dom = virDomainDefineXML(kvm_conn(b), xml);
	assert_non_null(dom);
	assert_int_equal(virDomainCreate(dom), 0);
	struct seen l = { 0 };
	assert_int_equal(backend_kvm_ops.list(b, record, &l), 0);
	const struct bk_guest *g = find(&l, BK_GUEST_UP, "vtune-filtered");
	assert_non_null(g);
	char buf[128];
	assert_ptr_equal(backend_kvm_ops.guest_filters, kvm_guest_filters);
	assert_int_equal(kvm_guest_filters(b, g, buf, sizeof buf), 1);
	assert_string_equal(buf, "clean-traffic");
	g = find(&l, BK_GUEST_UP, "test");
	assert_non_null(g);
	assert_int_equal(kvm_guest_filters(b, g, buf, sizeof buf), 0);
	struct bk_guest gone = { .name = "no-such-guest" };
	assert_int_equal(kvm_guest_filters(b, &gone, buf, sizeof buf), -ENOENT);
	assert_int_equal(virDomainDestroy(dom), 0);
	assert_int_equal(virDomainUndefine(dom), 0);
	virDomainFree(dom);
	backend_kvm_ops.close(b);
}

/* A domain defined from libvirt's own XML (tests/fixtures/libvirt/
 * rich-devices.xml) and started: list() takes its channel (not qemu-ga's,
 * not the decoy in <metadata>), tap and bridge from the live XML, and
 * guest_filters the filter of that tap's interface only. */
static void test_fixture_guest(void **state)
{
	(void)state;
	struct backend *b = open_test();
	kvm_set_resync_ms(b, 0);
	char *xml = slurp("tests/fixtures/libvirt/rich-devices.xml");
	virDomainPtr dom = virDomainDefineXML(kvm_conn(b), xml);
	free(xml);
	assert_non_null(dom);
	assert_int_equal(virDomainCreate(dom), 0);
	struct seen l = { 0 };
	assert_int_equal(backend_kvm_ops.list(b, record, &l), 0);
	const struct bk_guest *g = find(&l, BK_GUEST_UP, "vtune-rich");
	assert_non_null(g);
	assert_string_equal(g->channel,
			    "/var/lib/libvirt/qemu/channel/target/vtune rich & co.org.vtune.agent.0");
	assert_string_equal(g->tap, "vt-rich0");
	assert_string_equal(g->bridge, "br-guests");
	assert_string_equal(g->uuid, "3f0b7c1e-5a2d-4e8f-9c61-0d2b4a6e8f13");
	char buf[128];
	assert_int_equal(kvm_guest_filters(b, g, buf, sizeof buf), 1);
	assert_string_equal(buf, "no-ip-spoofing");
	assert_int_equal(virDomainDestroy(dom), 0);
	assert_int_equal(virDomainUndefine(dom), 0);
	virDomainFree(dom);
	backend_kvm_ops.close(b);
}

static void test_pin_knobs(void **state)
{
	(void)state;
	char buf[KNOB_VALUE_MAX], why[128];
	const struct knob_ops *vp = &kvm_knob_vcpupin_ops, *ep = &kvm_knob_emulatorpin_ops;

	assert_int_equal(vp->read(NULL, "/", "test", "vcpu0", buf, sizeof buf), -ENOTCONN);
	struct backend *b = open_test();
	assert_int_equal(kvm_knobs_register(), 0);
	assert_int_equal(kvm_knobs_register(), 0); /* again: fine */
	assert_ptr_equal(knob_find("kvm-vcpupin")->ops, vp);
	assert_ptr_equal(knob_find("kvm-emulatorpin")->ops, ep);
	assert_non_null(knob_find("sriov-numvfs"));
	/* registered without a backend: not connected until bound to one */
	assert_int_equal(knob_changed("/", "kvm-vcpupin", "test", "vcpu0", "0-7", NULL, 0), -ENOTCONN);
	assert_int_equal(knob_bind(vp, b), 0);

	/* The test domain starts unpinned: all 8 CPUs. */
	char orig0[KNOB_VALUE_MAX], orige[KNOB_VALUE_MAX];
	assert_int_equal(vp->read(b, "/", "test", "vcpu0", orig0, sizeof orig0), 0);
	assert_string_equal(orig0, "0-7");
	assert_int_equal(ep->read(b, "/", "test", "emulator", orige, sizeof orige), 0);
	assert_string_equal(orige, "0-7");

	/* The test driver's online CPUs are 0, 2, 4 of 8. */
	assert_int_equal(vp->write(b, "/", "test", "vcpu0", "2,4"), 0);
	assert_int_equal(vp->read(b, "/", "test", "vcpu0", buf, sizeof buf), 0);
	assert_string_equal(buf, "2,4");
	assert_int_equal(knob_changed("/", "kvm-vcpupin", "test", "vcpu0", "2,4", NULL, 0), 0);
	assert_int_equal(vp->write(b, "/", "test", "vcpu0", "1"), -ERANGE); /* offline */
	assert_int_equal(vp->write(b, "/", "test", "vcpu0", "8"), -ERANGE); /* no such CPU */
	assert_int_equal(vp->write(b, "/", "test", "vcpu0", "a"), -EINVAL);
	assert_int_equal(vp->write(b, "/", "test", "vcpu9", "0"), -EINVAL); /* libvirt: bad vcpu */
	assert_int_equal(vp->read(b, "/", "test", "vcpu2", buf, sizeof buf), -ENOENT);
	assert_int_equal(vp->read(b, "/", "test", "cpu0", buf, sizeof buf), -EINVAL);
	assert_int_equal(vp->read(b, "/", "nosuch", "vcpu0", buf, sizeof buf), -ENOENT);
	assert_int_equal(vp->restore(b, "/", "test", "vcpu0", orig0), 0); /* offline, but restore */
	assert_int_equal(vp->read(b, "/", "test", "vcpu0", buf, sizeof buf), 0);
	assert_string_equal(buf, "0-7");

	assert_int_equal(ep->write(b, "/", "test", "emulator", "0,2"), 0);
	assert_int_equal(ep->read(b, "/", "test", "emulator", buf, sizeof buf), 0);
	assert_string_equal(buf, "0,2");
	assert_int_equal(ep->write(b, "/", "test", "vcpu0", "0"), -EINVAL);
	assert_int_equal(ep->restore(b, "/", "test", "emulator", orige), 0);
	assert_int_equal(ep->read(b, "/", "test", "emulator", buf, sizeof buf), 0);
	assert_string_equal(buf, "0-7");

	assert_int_equal(vp->check(b, "test", "vcpu1", "0-3", why, sizeof why), 0);
	assert_int_equal(vp->check(b, "test", "vcpux", "0", why, sizeof why), -EINVAL);
	assert_int_equal(vp->check(b, "", "vcpu1", "0", why, sizeof why), -EINVAL);
	assert_int_equal(ep->check(b, "test", "emulator", "1,", why, sizeof why), -EINVAL);

	for (int i = 0; backend_kvm_ops.knobs[i]; i++)
		knob_unregister(backend_kvm_ops.knobs[i]->kind);
	backend_kvm_ops.close(b);
	assert_int_equal(vp->read(NULL, "/", "test", "vcpu0", buf, sizeof buf), -ENOTCONN);
}

struct planned {
	char line[16][96];
	int n;
};

static int plan_rec(void *arg, const char *kind, const char *target, const char *key,
		    const char *value)
{
	struct planned *p = arg;
	if (p->n < 16)
		snprintf(p->line[p->n++], sizeof p->line[0], "%s %s %s %s", kind, target, key, value);
	return 0;
}

/* I/O threads (libvirt <iothreads>): the kvm-iothreadpin kind reads,
 * writes and restores one; the host-wide housekeeping plan puts them with
 * the emulator on the housekeeping CPUs. */
static void test_iothread_pin(void **state)
{
	(void)state;
	const struct knob_ops *io = &kvm_knob_iothreadpin_ops;
	struct backend *b = open_test();
	kvm_set_resync_ms(b, 0);
	const char *xml =
		"<domain type='test'><name>vtune-io</name><memory>262144</memory><vcpu>2</vcpu>"
		"<iothreads>2</iothreads><os><type>hvm</type></os></domain>";
	virDomainPtr dom = virDomainDefineXML(kvm_conn(b), xml);
	assert_non_null(dom);
	assert_int_equal(virDomainCreate(dom), 0);
	char buf[KNOB_VALUE_MAX], orig[KNOB_VALUE_MAX], why[128];
	assert_int_equal(io->read(b, "/", "vtune-io", "iothread1", orig, sizeof orig), 0);
	assert_int_equal(io->write(b, "/", "vtune-io", "iothread1", "2"), 0);
	assert_int_equal(io->read(b, "/", "vtune-io", "iothread1", buf, sizeof buf), 0);
	assert_string_equal(buf, "2");
	assert_int_equal(io->write(b, "/", "vtune-io", "iothread1", "1"), -ERANGE); /* offline */
	assert_int_equal(io->read(b, "/", "vtune-io", "iothread3", buf, sizeof buf), -ENOENT);
	assert_int_equal(io->read(b, "/", "vtune-io", "iothread0", buf, sizeof buf), -EINVAL);
	assert_int_equal(io->check(b, "vtune-io", "emulator", "0", why, sizeof why), -EINVAL);
	assert_int_equal(io->check(b, "vtune-io", "iothread2", "0,2", why, sizeof why), 0);
	assert_int_equal(io->restore(b, "/", "vtune-io", "iothread1", orig), 0);
	assert_int_equal(io->read(b, "/", "vtune-io", "iothread1", buf, sizeof buf), 0);
	assert_string_equal(buf, orig);

	struct seen l = { 0 };
	assert_int_equal(backend_kvm_ops.list(b, record, &l), 0);
	const struct bk_guest *g = find(&l, BK_GUEST_UP, "vtune-io");
	assert_non_null(g);
	struct planned p = { .n = 0 };
	assert_int_equal(backend_kvm_ops.plan_pin_host(b, &g, 1, "housekeeping", plan_rec, &p, why,
						       sizeof why), 0);
	const char *emu = NULL, *io1 = NULL, *io2 = NULL;
	for (int i = 0; i < p.n; i++) {
		printf("plan: %s\n", p.line[i]);
		if (!strncmp(p.line[i], "kvm-emulatorpin vtune-io emulator ", 34))
			emu = p.line[i] + 34;
		if (!strncmp(p.line[i], "kvm-iothreadpin vtune-io iothread1 ", 35))
			io1 = p.line[i] + 35;
		if (!strncmp(p.line[i], "kvm-iothreadpin vtune-io iothread2 ", 35))
			io2 = p.line[i] + 35;
	}
	assert_non_null(emu);
	assert_non_null(io1);
	assert_non_null(io2);
	assert_string_equal(io1, emu);
	assert_string_equal(io2, emu);
	assert_int_equal(virDomainDestroy(dom), 0);
	assert_int_equal(virDomainUndefine(dom), 0);
	virDomainFree(dom);
	backend_kvm_ops.close(b);
}

static void put(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void test_host_view(void **state)
{
	(void)state;
	char root[] = "/tmp/vtune-kvm-XXXXXX", dir[128], stat[160];
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof dir, "%s/proc", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(stat, sizeof stat, "%s/proc/stat", root);
	put(stat, "cpu  100 0 100 800 0 0 0 0 0 0\n"
		  "cpu0 50 0 50 400 0 0 0 0 0 0\n"
		  "cpu1 50 0 50 400 0 0 0 0 0 0\nintr 1 2\n");

	struct backend *b = open_test();
	assert_int_equal(kvm_set_root(b, root), 0);
	struct seen l = { 0 };
	assert_int_equal(backend_kvm_ops.list(b, record, &l), 0);
	const struct bk_guest *g = find(&l, BK_GUEST_UP, "test");
	assert_non_null(g);
	struct mvec m;
	mvec_clear(&m);
	assert_int_equal(backend_kvm_ops.host_view(b, g, 1000000000ull, &m), 0);
	put(stat, "cpu  200 0 100 900 0 0 0 0 0 0\n"
		  "cpu0 150 0 50 400 0 0 0 0 0 0\n"
		  "cpu1 50 0 50 500 0 0 0 0 0 0\n");
	mvec_clear(&m);
	assert_int_equal(backend_kvm_ops.host_view(b, g, 2000000000ull, &m), 0);
	/* The host's CPU and the tap are the common host view's
	 * (test_host_view.c), never the backend's: one producer each. */
	assert_false(mvec_has(&m, M_HOST_CPU_BUSY_MAX));
	assert_false(mvec_has(&m, M_HOST_DOM0_BUSY));
	assert_false(mvec_has(&m, M_HOST_DOM0_BUSY_MAX));
	/* The test driver has no vcpu.N.delay: left unset. */
	assert_false(mvec_has(&m, M_HOST_VCPU_DELAY));
	assert_false(mvec_has(&m, M_HOST_VCPU_DELAY_MAX));
	assert_false(mvec_has(&m, M_HOST_TAP_RX_PACKETS));
	assert_false(mvec_has(&m, M_HOST_VCPU_BUSY_MAX)); /* nor vcpu.N.time */

	struct bk_guest gone = *g;
	snprintf(gone.name, sizeof gone.name, "nosuch");
	gone.uuid[0] = '\0';
	assert_int_equal(backend_kvm_ops.host_view(b, &gone, 3000000000ull, &m), -ENOENT);
	backend_kvm_ops.close(b);
	unlink(stat);
	rmdir(dir);
	rmdir(root);
}

static void test_plan_pin(void **state)
{
	(void)state;
	struct backend *b = open_test();
	struct bk_guest g;
	memset(&g, 0, sizeof g);
	snprintf(g.name, sizeof g.name, "test");
	struct kvm_pin_change c[8];
	size_t n;
	char orig[2][KNOB_VALUE_MAX], orige[KNOB_VALUE_MAX];
	assert_int_equal(kvm_knob_vcpupin_ops.read(b, "/", "test", "vcpu0", orig[0], sizeof orig[0]), 0);
	assert_int_equal(kvm_knob_vcpupin_ops.read(b, "/", "test", "vcpu1", orig[1], sizeof orig[1]), 0);
	assert_int_equal(kvm_knob_emulatorpin_ops.read(b, "/", "test", "emulator", orige, sizeof orige), 0);

	assert_int_equal(kvm_plan_pin(b, &g, "sideways", c, 8, &n), -EINVAL);
	assert_int_equal(kvm_plan_pin(b, &g, "vcpus-spread", c, 1, &n), -ENOSPC);

	/* vcpu0 is pinned to CPU 1, vcpu1 runs on CPU 15 (past the host's 8:
	 * unknown); no host view yet: every vCPU counts as busy. */
	assert_int_equal(kvm_plan_pin(b, &g, "emulator-away", c, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].kind, "kvm-emulatorpin");
	assert_string_equal(c[0].target, "test");
	assert_string_equal(c[0].key, "emulator");
	assert_string_equal(c[0].value, "0,2,4");

	/* Spread over the online CPUs 0, 2, 4; apply it. */
	assert_int_equal(kvm_plan_pin(b, &g, "vcpus-spread", c, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(c[0].kind, "kvm-vcpupin");
	assert_string_equal(c[0].key, "vcpu0");
	assert_string_equal(c[0].value, "0");
	assert_string_equal(c[1].key, "vcpu1");
	assert_string_equal(c[1].value, "2");
	for (size_t i = 0; i < n; i++)
		assert_int_equal(kvm_knob_vcpupin_ops.write(b, "/", c[i].target, c[i].key, c[i].value), 0);
	/* Now the emulator goes where no vCPU is. */
	assert_int_equal(kvm_plan_pin(b, &g, "emulator-away", c, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].value, "4");
	assert_int_equal(kvm_knob_emulatorpin_ops.write(b, "/", "test", "emulator", c[0].value), 0);

	snprintf(g.name, sizeof g.name, "nosuch");
	assert_int_equal(kvm_plan_pin(b, &g, "vcpus-spread", c, 8, &n), -ENOENT);

	/* Revert. */
	assert_int_equal(kvm_knob_vcpupin_ops.restore(b, "/", "test", "vcpu0", orig[0]), 0);
	assert_int_equal(kvm_knob_vcpupin_ops.restore(b, "/", "test", "vcpu1", orig[1]), 0);
	assert_int_equal(kvm_knob_emulatorpin_ops.restore(b, "/", "test", "emulator", orige), 0);
	char buf[KNOB_VALUE_MAX];
	assert_int_equal(kvm_knob_vcpupin_ops.read(b, "/", "test", "vcpu1", buf, sizeof buf), 0);
	assert_string_equal(buf, orig[1]);
	backend_kvm_ops.close(b);
}

/* Live: run by tests/integration/test-kvm-libvirt.sh against a real libvirtd
 * (VTUNE_KVM_LIVE_URI, _GUEST, _CHANNEL, _TAP; _FILTER: the nwfilter binding
 * the script made on the tap); skipped otherwise. Leaves
 * the guest's vcpu0 pinned to CPU 0 for the script to check with virsh. */
static void test_live(void **state)
{
	(void)state;
	const char *uri = getenv("VTUNE_KVM_LIVE_URI"), *name = getenv("VTUNE_KVM_LIVE_GUEST");
	const char *chan = getenv("VTUNE_KVM_LIVE_CHANNEL"), *tap = getenv("VTUNE_KVM_LIVE_TAP");
	if (!uri || !name || !chan || !tap)
		skip();
	int err = 0;
	char why[256] = "";
	struct backend *b = backend_kvm_ops.open(uri, "/", &err, why, sizeof why);
	if (!b)
		fail_msg("open %s: %d %s", uri, err, why);
	kvm_set_resync_ms(b, 0);
	struct seen l = { 0 };
	assert_int_equal(backend_kvm_ops.list(b, record, &l), 0);
	const struct bk_guest *g0 = find(&l, BK_GUEST_UP, name);
	assert_non_null(g0);
	struct bk_guest g = *g0;
	printf("live: %s uuid=%s id=%d vcpus=%d channel=%s tap=%s bridge=%s\n", g.name, g.uuid,
	       g.domid, g.nvcpus, g.channel, g.tap, g.bridge);
	assert_string_equal(g.channel, chan);
	assert_string_equal(g.tap, tap);

	/* A filter binding the script created on the tap (nwfilter driver). */
	const char *filter = getenv("VTUNE_KVM_LIVE_FILTER");
	if (filter) {
		char names[128];
		int nf = kvm_guest_filters(b, &g, names, sizeof names);
		printf("live: filters on %s: %d %s\n", g.tap, nf, names);
		assert_int_equal(nf, 1);
		assert_string_equal(names, filter);
	}

	struct mvec m;
	mvec_clear(&m);
	assert_int_equal(backend_kvm_ops.host_view(b, &g, vclock_mono_ns(), &m), 0);
	usleep(1500000);
	mvec_clear(&m);
	assert_int_equal(backend_kvm_ops.host_view(b, &g, vclock_mono_ns(), &m), 0);
	printf("live: delay=%.3f delay_max=%.3f vcpu busy_max=%.1f\n",
	       mvec_get(&m, M_HOST_VCPU_DELAY), mvec_get(&m, M_HOST_VCPU_DELAY_MAX),
	       mvec_get(&m, M_HOST_VCPU_BUSY_MAX));
	assert_true(mvec_has(&m, M_HOST_VCPU_DELAY));
	assert_true(mvec_has(&m, M_HOST_VCPU_DELAY_MAX));
	/* the host's CPU and the tap's counters are the common host view's */
	assert_false(mvec_has(&m, M_HOST_CPU_BUSY_MAX));
	assert_false(mvec_has(&m, M_HOST_TAP_RX_PACKETS));
	/* the vCPU threads' CPU time, which corroborates guest.cpu.busy_max */
	assert_true(mvec_has(&m, M_HOST_VCPU_BUSY_MAX));
	assert_true(mvec_get(&m, M_HOST_VCPU_BUSY_MAX) >= 0 &&
		    mvec_get(&m, M_HOST_VCPU_BUSY_MAX) <= 100);

	char buf[KNOB_VALUE_MAX];
	assert_int_equal(kvm_knob_vcpupin_ops.write(b, "/", name, "vcpu0", "0"), 0);
	assert_int_equal(kvm_knob_vcpupin_ops.read(b, "/", name, "vcpu0", buf, sizeof buf), 0);
	assert_string_equal(buf, "0");
	assert_int_equal(kvm_knob_emulatorpin_ops.read(b, "/", name, "emulator", buf, sizeof buf), 0);
	printf("live: emulator pinned to %s\n", buf);
	struct kvm_pin_change c[8];
	size_t n;
	assert_int_equal(kvm_plan_pin(b, &g, "emulator-away", c, 8, &n), 0);
	printf("live: emulator-away plan: %zu change(s) %s\n", n, n ? c[0].value : "");

	/* The host-wide housekeeping plan on a real QEMU: carried out through
	 * the knobs, the emulator ends on the housekeeping CPUs and every vCPU
	 * off them. */
	struct planned p = { .n = 0 };
	const struct bk_guest *gp = &g;
	assert_int_equal(backend_kvm_ops.plan_pin_host(b, &gp, 1, "housekeeping", plan_rec, &p, why,
						       sizeof why), 0);
	char hk[KNOB_VALUE_MAX] = "", vc[KNOB_VALUE_MAX] = "";
	for (int i = 0; i < p.n; i++) {
		char kind[32], target[64], key[32], value[KNOB_VALUE_MAX];
		assert_int_equal(sscanf(p.line[i], "%31s %63s %31s %63s", kind, target, key, value), 4);
		printf("live: housekeeping: %s\n", p.line[i]);
		if (!strcmp(kind, "task_affinity"))
			continue; /* vhost workers: none on this host (no vhost-net) */
		const struct knob_ops *k = !strcmp(kind, "kvm-vcpupin") ? &kvm_knob_vcpupin_ops
					 : !strcmp(kind, "kvm-emulatorpin") ? &kvm_knob_emulatorpin_ops
					 : !strcmp(kind, "kvm-iothreadpin") ? &kvm_knob_iothreadpin_ops : NULL;
		assert_non_null(k);
		assert_int_equal(k->write(b, "/", target, key, value), 0);
		snprintf(!strcmp(kind, "kvm-emulatorpin") ? hk : vc, sizeof hk, "%s", value);
	}
	assert_true(hk[0] && vc[0]);
	assert_int_equal(kvm_knob_emulatorpin_ops.read(b, "/", name, "emulator", buf, sizeof buf), 0);
	assert_string_equal(buf, hk);
	assert_int_equal(kvm_knob_vcpupin_ops.read(b, "/", name, "vcpu1", buf, sizeof buf), 0);
	assert_string_equal(buf, vc);
	assert_string_not_equal(hk, vc);

	/* Events through the remote driver's socket, driven by our loop. */
	virDomainPtr dom = virDomainLookupByName(kvm_conn(b), name);
	assert_non_null(dom);
	struct seen s = { 0 };
	assert_int_equal(virDomainDestroy(dom), 0);
	pump(b, &s, 1, 10000);
	assert_non_null(find(&s, BK_GUEST_DOWN, name));
	assert_int_equal(virDomainCreate(dom), 0);
	pump(b, &s, 2, 10000);
	const struct bk_guest *up = find(&s, BK_GUEST_UP, name);
	assert_non_null(up);
	assert_string_equal(up->channel, chan);
	assert_int_equal(kvm_knob_vcpupin_ops.write(b, "/", name, "vcpu0", "0"), 0);
	virDomainFree(dom);
	backend_kvm_ops.close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_filterrefs),
		cmocka_unit_test(test_guest_filters),
		cmocka_unit_test(test_fixture_guest),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_open_list),
		cmocka_unit_test(test_define_events),
		cmocka_unit_test(test_pin_knobs),
		cmocka_unit_test(test_iothread_pin),
		cmocka_unit_test(test_host_view),
		cmocka_unit_test(test_plan_pin),
		cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
