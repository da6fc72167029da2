/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_act_sriov: the "sriov" host action — its policy options (parsed,
 * kept as text, read back; bad ones refused at file:line:col), and runs of
 * it through the KVM backend's real planner (kvm_sriov_plan, libvirt's
 * test:///default driver) on a copy of the sriov-nvme fixture tree (QEMU
 * 7.2's emulated NVMe PF captured on Debian's 6.1 kernel): the dry run, a
 * refusal (a domain marked migratable) that changes and journals nothing,
 * a guest that holds a VF already, an expanding plan stopped at its first
 * failed change and reverted from the journal, the table's executor, and
 * the journal selectors detach and that revert use. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "act_sriov.h"
#include "action.h"
#include "apply.h"
#include "backend_table.h"
#include "journal.h"
#include "knob.h"
#include "kvm.h"
#include "kvm_sriov.h"
#include "policy.h"

#include <errno.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PF "0000:00:03.0"
#define PFDIR "sys/devices/pci0000:00/" PF

static struct backend *b;
static char tmp[64], root[128], jpath[160];

static void sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/* A file of the tree, its first line. */
static const char *rd(const char *rel)
{
	static char buf[64];
	char path[256];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	FILE *f = fopen(path, "r");
	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, sizeof buf, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static int setup(void **state)
{
	(void)state;
	int err = 0;
	char why[256];
	b = backend_kvm_ops.open("test:///default", "/", &err, why, sizeof why);
	if (!b)
		return -1;
	backend_register_knobs();
	knob_bind(&kvm_knob_hostdev_ops, b);
	snprintf(tmp, sizeof tmp, "/tmp/vtune-actsriov-XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	knob_bind(&kvm_knob_hostdev_ops, NULL);
	backend_kvm_ops.close(b);
	sh("rm -rf %s", tmp);
	return 0;
}

/* A fresh copy of the idle tree (the PF, no VFs yet) and no journal. */
static void fresh(void)
{
	snprintf(root, sizeof root, "%s/idle", tmp);
	snprintf(jpath, sizeof jpath, "%s/journal", tmp);
	sh("rm -rf %s/idle %s && cp -a tests/fixtures/sriov-nvme/idle %s/", tmp, jpath, tmp);
}

/* act_host.plan_pci_attach: the KVM backend's planner under the copy. */
static int plan_kvm(void *bk, const void *g, const struct sriov_conf *conf, const char *want,
		    act_change_fn fn, void *arg, char *why, size_t n)
{
	return kvm_sriov_plan(bk, root, g, conf, want, fn, arg, why, n);
}

struct refusals {
	int n;
	char kind[16], reason[32];
};

static void on_refuse(void *arg, const struct pol_change *ch, const char *kind, const char *reason,
		      const char *text)
{
	struct refusals *r = arg;
	(void)ch, (void)text;
	r->n++;
	snprintf(r->kind, sizeof r->kind, "%s", kind);
	snprintf(r->reason, sizeof r->reason, "%s", reason);
}

static struct pol_set *load(const char *text, struct pol_diag *d)
{
	pol_diag_init(d);
	return pol_load_string("s.yaml", text, d);
}

static const char policy[] =
	"version: 1\n"
	"rules:\n"
	"  - name: sriov-attach\n"
	"    when: host.sriov.free_vfs > 0\n"
	"    host:\n"
	"      - sriov:\n"
	"          pfs: [" PF ", enp3s0f0]\n"
	"          vfs: 2\n"
	"          persistent: true\n"
	"          accept_migration_loss: false\n"
	"          vf: { mac: \"52:54:00:12:34:56\", vlan: \"100:3\", spoofchk: on, trust: off,"
	" link_state: auto }\n";

static void test_parse(void **state)
{
	(void)state;
	struct pol_diag d;
	struct sriov_conf c;
	struct pol_set *s = load(policy, &d);
	assert_non_null(s);
	const struct pol_action *a = &s->rules[0].actions[0];
	assert_string_equal(a->act->name, "sriov");
	assert_string_equal(a->key, "attach");
	assert_string_equal(a->text, "pfs=" PF ",enp3s0f0 vfs=2 persistent=1 mac=52:54:00:12:34:56 "
				     "vlan=100:3 spoofchk=on trust=off link_state=auto");
	assert_int_equal(act_sriov_conf(a, &c), 0);
	assert_int_equal(c.npfs, 2);
	assert_string_equal(c.pfs[0], PF);
	assert_string_equal(c.pfs[1], "enp3s0f0");
	assert_int_equal(c.create_vfs, 2);
	assert_int_equal(c.persistent, 1);
	assert_int_equal(c.allow_migration_loss, 0);
	assert_string_equal(c.vf_vlan, "100:3");
	assert_string_equal(c.vf_link_state, "auto");
	/* text and conf say the same */
	char again[512];
	act_sriov_conf_text(&c, again, sizeof again);
	assert_string_equal(again, a->text);
	pol_set_free(s);
	pol_diag_free(&d);

	/* the one-word form allows no PF: the planner refuses it */
	s = load("version: 1\nrules:\n  - name: r\n    when: host.sriov.free_vfs > 0\n"
		 "    host:\n      - sriov: attach\n", &d);
	assert_non_null(s);
	assert_null(s->rules[0].actions[0].text);
	assert_int_equal(act_sriov_conf(&s->rules[0].actions[0], &c), 0);
	assert_int_equal(c.npfs, 0);
	pol_set_free(s);
	pol_diag_free(&d);

	/* each bad option at its place */
	static const struct {
		const char *action, *msg;
	} bad[] = {
		{ "sriov: { vfs: 2 }", "s.yaml:6:16: sriov needs 'pfs'" },
		{ "sriov: { pfs: [eth/0] }", "s.yaml:6:24: pfs: 'eth/0' is neither a PCI address" },
		{ "sriov: { pfs: [], vfs: 2 }", "s.yaml:6:23: pfs: the list is empty" },
		{ "sriov: { pfs: [eth0], vfs: 0 }", "s.yaml:6:36: vfs: '0' is not a number of VFs" },
		{ "sriov: { pfs: [eth0], vfs: 1.5 }", "s.yaml:6:36: vfs: '1.5' is not a number of VFs" },
		{ "sriov: { pfs: [eth0], driver: nvme }", "s.yaml:6:39: driver: 'nvme' is not one of vfio-pci, pciback" },
		{ "sriov: { pfs: [eth0], persistent: yes }", "s.yaml:6:43: persistent: 'yes'" },
		{ "sriov: { pfs: [eth0], vf: { mac: 52-54 } }", "s.yaml:6:42: mac: '52-54' is not a MAC" },
		{ "sriov: { pfs: [eth0], vf: { vlan: \"5000\" } }", "s.yaml:6:43: vlan: '5000' is not VLAN" },
		{ "sriov: { pfs: [eth0], vf: { vlan: \"10:9\" } }", "s.yaml:6:43: vlan: '10:9' is not VLAN" },
		{ "sriov: { pfs: [eth0], vf: { vlan: \"4095\" } }", "s.yaml:6:43: vlan: '4095' is not VLAN" },
		{ "sriov: { pfs: [eth0], vf: { vlan: \"-1\" } }", "s.yaml:6:43: vlan: '-1' is not VLAN" },
		{ "sriov: { pfs: [eth0], vf: { vlan: \"+5\" } }", "s.yaml:6:43: vlan: '+5' is not VLAN" },
		{ "sriov: { pfs: [eth0], vf: { vlan: \"10:\" } }", "s.yaml:6:43: vlan: '10:' is not VLAN" },
		{ "sriov: { pfs: [eth0], vf: { vlan: \"10:+1\" } }", "s.yaml:6:43: vlan: '10:+1' is not VLAN" },
		{ "sriov: { pfs: [eth0], vf: { vlan: \"10:1x\" } }", "s.yaml:6:43: vlan: '10:1x' is not VLAN" },
		{ "sriov: { pfs: [eth0], vf: { vlan: \"99999999999999999999\" } }",
		  "s.yaml:6:43: vlan: '99999999999999999999' is not VLAN" },
		{ "sriov: { pfs: [eth0], numvfs: 2 }", "s.yaml:6:31: unknown key 'numvfs'" },
		{ "sriov: detach", "s.yaml:6:16: sriov: 'detach' is not one of attach" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[512];
		snprintf(text, sizeof text, "version: 1\nrules:\n  - name: r\n"
			 "    when: host.sriov.free_vfs > 0\n    host:\n      - %s\n", bad[i].action);
		s = load(text, &d);
		if (s || d.n < 1 || !strstr(d.msgs[0], bad[i].msg))
			print_message("%s -> %s\n", bad[i].action, d.n ? d.msgs[0] : "(no message)");
		assert_null(s);
		assert_true(d.n >= 1);
		assert_non_null(strstr(d.msgs[0], bad[i].msg));
		pol_diag_free(&d);
	}
}

/* What a run needs: the helper's context for guest "test" and its host. */
struct run {
	struct journal *j;
	FILE *out;
	char *buf;
	size_t len;
	int failed;
	struct refusals rf;
	struct apply_ctx ac;
	struct act_host host;
	struct act_ctx x;
	struct bk_guest g;
	struct pol_change ch;
};

static void run_init(struct run *r, int dry)
{
	int err = 0;
	memset(r, 0, sizeof *r);
	r->j = dry ? NULL : journal_open(jpath, &err);
	assert_true(dry || r->j);
	r->out = open_memstream(&r->buf, &r->len);
	snprintf(r->g.name, sizeof r->g.name, "test");
	r->ac = (struct apply_ctx){ .journal = r->j, .root = root, .dry_run = dry, .guest = "test",
				    .subject = "test", .out = r->out, .failed = &r->failed };
	r->host = (struct act_host){ .guest = "test", .bk = b, .bk_guest = &r->g,
				     .plan_pci_attach = plan_kvm, .refuse = on_refuse,
				     .refuse_arg = &r->rf };
	r->x = (struct act_ctx){ &r->ac, &r->host };
	snprintf(r->ch.rule, sizeof r->ch.rule, "sriov-attach");
	r->ch.side = POL_HOST;
	snprintf(r->ch.kind, sizeof r->ch.kind, "sriov");
	snprintf(r->ch.key, sizeof r->ch.key, "attach");
	snprintf(r->ch.new, sizeof r->ch.new, "attach");
}

static void run_done(struct run *r)
{
	fclose(r->out);
	free(r->buf);
	journal_close(r->j);
}

static struct sriov_conf conf_pf(void)
{
	struct sriov_conf c = { .npfs = 1, .create_vfs = 2 };
	snprintf(c.pfs[0], sizeof c.pfs[0], PF);
	return c;
}

static void test_dry_run(void **state)
{
	(void)state;
	struct run r;
	struct act_sriov_result res;
	struct sriov_conf c = conf_pf();
	fresh();
	run_init(&r, 1);
	assert_int_equal(act_sriov_run(&r.x, &r.ch, &c, NULL, &res), 4);
	fflush(r.out);
	assert_string_equal(r.buf,
		"would set sriov-numvfs " PF " sriov_drivers_autoprobe -> 0 (rule sriov-attach)\n"
		"would set sriov-numvfs " PF " sriov_numvfs -> 2 (rule sriov-attach)\n"
		"would set pci-driver 0000:00:03.1 driver -> vfio-pci (rule sriov-attach)\n"
		"would set kvm-hostdev test 0000:00:03.1 -> attached (rule sriov-attach)\n");
	assert_string_equal(res.vf, "0000:00:03.1");
	assert_int_equal(res.refused, 0);
	assert_int_equal(res.failed, 0);
	/* nothing changed, no journal */
	assert_string_equal(rd(PFDIR "/sriov_numvfs"), "0");
	assert_string_equal(rd(PFDIR "/sriov_drivers_autoprobe"), "1");
	assert_int_equal(access(jpath, F_OK), -1);
	run_done(&r);
}

static void test_refused_migratable(void **state)
{
	(void)state;
	struct run r;
	struct act_sriov_result res;
	struct sriov_conf c = conf_pf();
	virDomainPtr d = virDomainLookupByName(kvm_conn(b), "test");
	assert_non_null(d);
	assert_int_equal(virDomainSetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, "<migratable/>", "vtune",
					      KVM_SRIOV_META_NS, VIR_DOMAIN_AFFECT_LIVE), 0);
	fresh();
	run_init(&r, 0);
	assert_int_equal(act_sriov_run(&r.x, &r.ch, &c, NULL, &res), 0);
	assert_int_equal(res.refused, -EPERM);
	assert_non_null(strstr(res.why, "must stay migratable"));
	assert_int_equal(r.rf.n, 1);
	assert_string_equal(r.rf.kind, "sriov");
	assert_string_equal(r.rf.reason, "not_allowed");
	assert_int_equal(journal_count(r.j), 0);
	assert_string_equal(rd(PFDIR "/sriov_numvfs"), "0");
	/* the rule may accept losing migration */
	c.allow_migration_loss = 1;
	struct run r2;
	run_done(&r);
	run_init(&r2, 1);
	assert_int_equal(act_sriov_run(&r2.x, &r2.ch, &c, NULL, &res), 4);
	assert_int_equal(res.refused, 0);
	run_done(&r2);
	assert_int_equal(virDomainSetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, NULL, NULL,
					      KVM_SRIOV_META_NS, VIR_DOMAIN_AFFECT_LIVE), 0);
	virDomainFree(d);
	/* no PF allowed (the one-word form): refused, and says so */
	struct sriov_conf none = { 0 };
	run_init(&r, 0);
	assert_int_equal(act_sriov_run(&r.x, &r.ch, &none, NULL, &res), 0);
	assert_int_equal(res.refused, -EPERM);
	assert_int_equal(journal_count(r.j), 0);
	run_done(&r);
	/* a wanted VF on a PF that is not allowed */
	run_init(&r, 0);
	snprintf(c.pfs[0], sizeof c.pfs[0], "0000:00:04.0");
	assert_int_equal(act_sriov_run(&r.x, &r.ch, &c, "0000:00:03.1", &res), 0);
	assert_true(res.refused < 0);
	assert_int_equal(journal_count(r.j), 0);
	run_done(&r);
}

/* The plan's third change (pci-driver on a VF the fixture's plain files
 * cannot bring to life: sriov_numvfs is a plain file there) fails: the
 * plan stops there (no hostdev is tried), the two changes before it are
 * reverted, newest first, and the journal says so. */
static void test_failed_change_reverts(void **state)
{
	(void)state;
	struct run r;
	struct act_sriov_result res;
	struct sriov_conf c = conf_pf();
	fresh();
	run_init(&r, 0);
	assert_int_equal(act_sriov_run(&r.x, &r.ch, &c, NULL, &res), 0);
	fflush(r.out);
	assert_int_equal(res.failed, 1);
	assert_int_equal(res.not_restored, 0);
	assert_int_equal(res.changed, 0);
	assert_string_equal(res.why, "pci-driver 0000:00:03.1 driver: cannot read: No such file or directory");
	assert_int_equal(r.failed, 1);
	/* sriov_numvfs and autoprobe are back */
	assert_string_equal(rd(PFDIR "/sriov_numvfs"), "0");
	assert_string_equal(rd(PFDIR "/sriov_drivers_autoprobe"), "1");
	/* the journal: two sets, both reverted; no hostdev change was tried */
	int sets = 0, reverted = 0;
	for (size_t i = 0; i < journal_count(r.j); i++) {
		const struct jrec *x = journal_record(r.j, i);
		assert_string_not_equal(x->kind, "kvm-hostdev");
		if (!strcmp(x->op, "set")) {
			sets++;
			assert_string_equal(x->guest, "test");
			assert_string_equal(x->rule, "sriov-attach");
			const char *st = journal_state(r.j, x->seq);
			reverted += !strcmp(st, "reverted");
		}
	}
	assert_int_equal(sets, 2);
	assert_int_equal(reverted, 2);
	assert_non_null(strstr(r.buf, "reverted sriov-numvfs " PF " sriov_numvfs"));
	run_done(&r);
}

/* The table's executor: a policy's sriov action under hostd, the options
 * from the action; the guest that holds a VF (assigned tree) gets none. */
static void test_exec_holds(void **state)
{
	(void)state;
	static const char hd_xml[] =
		"<domain type='test'><name>hd</name><memory>131072</memory><vcpu>1</vcpu>"
		"<os><type arch='x86_64'>hvm</type></os><devices>"
		"<hostdev mode='subsystem' type='pci' managed='yes'><source>"
		"<address domain='0x0000' bus='0x00' slot='0x03' function='0x1'/></source></hostdev>"
		"</devices></domain>";
	struct pol_diag d;
	struct pol_set *s = load(policy, &d);
	struct run r;
	assert_non_null(s);
	virDomainPtr dom = virDomainDefineXML(kvm_conn(b), hd_xml);
	assert_non_null(dom);
	assert_int_equal(virDomainCreate(dom), 0);
	snprintf(root, sizeof root, "%s/assigned", tmp);
	sh("rm -rf %s && cp -a tests/fixtures/sriov-nvme/assigned %s/", root, tmp);
	snprintf(jpath, sizeof jpath, "%s/journal2", tmp);
	run_init(&r, 0);
	snprintf(r.g.name, sizeof r.g.name, "hd");
	r.ch.act = &s->rules[0].actions[0];
	assert_int_equal(apply_change(&r.x, &r.ch, ACT_HOSTD), 0);
	fflush(r.out);
	assert_non_null(strstr(r.buf, "sriov attach: nothing to do"));
	assert_non_null(strstr(r.buf, "0000:00:03.1"));
	assert_int_equal(journal_count(r.j), 0);
	/* the standalone agent only advises it */
	struct act_ctx agent = { &r.ac, NULL };
	assert_int_equal(apply_change(&agent, &r.ch, ACT_AGENT), 0);
	fflush(r.out);
	assert_non_null(strstr(r.buf, "ask your provider for host sriov attach"));
	run_done(&r);
	virDomainDestroy(dom);
	virDomainUndefine(dom);
	virDomainFree(dom);
	pol_set_free(s);
	pol_diag_free(&d);
}

/* The selectors detach (a guest's SR-IOV records) and a failed plan's
 * revert (records after a seq) use. */
static void test_revert_selectors(void **state)
{
	(void)state;
	int err = 0;
	char msg[256];
	fresh();
	struct journal *j = journal_open(jpath, &err);
	assert_non_null(j);
	struct jrec a = { .side = "host", .domain = "", .kind = "sriov-numvfs", .target = PF,
			  .key = "sriov_drivers_autoprobe", .new = "0", .rule = "r", .why = "",
			  .guest = "a" };
	struct jrec bb = a;
	bb.key = "sriov_numvfs";
	bb.new = "2";
	bb.guest = "b";
	assert_int_equal(journal_apply(j, root, &a, 0, msg, sizeof msg), 0);
	int64_t after_a = journal_record(j, journal_count(j) - 1)->seq;
	assert_int_equal(journal_apply(j, root, &bb, 0, msg, sizeof msg), 0);
	/* guest b, but only pci-driver records: none */
	static const char *const drv[] = { "pci-driver", NULL };
	struct revert_sel sel = { .by = REVERT_GUEST, .guest = "b", .kinds = drv };
	assert_int_equal(journal_revert(j, root, &sel, 0, 0, NULL, NULL, NULL), 0);
	assert_string_equal(rd(PFDIR "/sriov_numvfs"), "2");
	/* guest a's SR-IOV records: autoprobe back, numvfs stays */
	sel = (struct revert_sel){ .by = REVERT_GUEST, .guest = "a", .kinds = act_sriov_kinds };
	assert_int_equal(journal_revert(j, root, &sel, 0, 0, NULL, NULL, NULL), 0);
	assert_string_equal(rd(PFDIR "/sriov_drivers_autoprobe"), "1");
	assert_string_equal(rd(PFDIR "/sriov_numvfs"), "2");
	/* what came after a's record: b's */
	sel = (struct revert_sel){ .by = REVERT_AFTER, .after_seq = after_a };
	assert_int_equal(journal_revert(j, root, &sel, 0, 0, NULL, NULL, NULL), 0);
	assert_string_equal(rd(PFDIR "/sriov_numvfs"), "0");
	journal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_refused_migratable),
		cmocka_unit_test(test_failed_change_reverts),
		cmocka_unit_test(test_exec_holds),
		cmocka_unit_test(test_revert_selectors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
