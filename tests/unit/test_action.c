/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_action: the action table walked whole — every (action, side, mode)
 * either has what runs it there or is refused by the policy check with a
 * precise file:line:col message; guest actions survive the trip to the
 * wire and back; the knob kinds the executors write are all registered and
 * served by privilege separation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "action.h"
#include "apply.h"
#include "backend_table.h"
#include "knob.h"
#include "policy.h"
#include "privops.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One action of kind d as a policy file would write it, for side. */
static void action_yaml(const struct act_def *d, char *buf, size_t n)
{
	if (!strcmp(d->name, "sysctl"))
		snprintf(buf, n, "{ sysctl: net.core.somaxconn, set: 4096 }");
	else if (!strcmp(d->name, "offload"))
		snprintf(buf, n, "offload: { features: [tso], state: off, on: tap }");
	else if (d->tells)
		snprintf(buf, n, "note: \"a line\"");
	else
		snprintf(buf, n, "%s: %s", d->name, d->words[0]);
}

static struct pol_set *one_rule(const struct act_def *d, enum pol_side side)
{
	char act[128], text[512];
	struct pol_diag diag;
	action_yaml(d, act, sizeof act);
	/* the baseline holds guest actions only */
	snprintf(text, sizeof text,
		 "version: 1\n"
		 "rules:\n"
		 "  - name: r\n"
		 "    when: guest.cpu.steal > 1%%\n"
		 "    %s:\n"
		 "      - %s\n"
		 "%s%s%s",
		 side == POL_GUEST ? "guest" : "host", act,
		 side == POL_GUEST ? "baseline:\n  - " : "", side == POL_GUEST ? act : "",
		 side == POL_GUEST ? "\n" : "");
	pol_diag_init(&diag);
	struct pol_set *s = pol_load_string("t.yaml", text, &diag);
	pol_diag_free(&diag);
	return s;
}

static int runs_anywhere(const struct act_def *d, enum pol_side side)
{
	for (int m = 0; m < ACT_NMODES; m++)
		if (d->run[side][m] != ACT_NO)
			return 1;
	return 0;
}

static void test_every_cell(void **state)
{
	(void)state;
	size_t n;
	const struct act_def *t = act_table(&n);
	int cells = 0, refused = 0;
	assert_true(n >= 7);
	for (size_t i = 0; i < n; i++) {
		const struct act_def *d = &t[i];
		assert_ptr_equal(act_by_name(d->name), d);
		assert_int_equal(act_index(d), i);
		assert_non_null(d->plan);
		for (int side = POL_GUEST; side <= POL_HOST; side++) {
			struct pol_set *s = one_rule(d, (enum pol_side)side);
			if (!runs_anywhere(d, (enum pol_side)side)) {
				/* the loader refuses it on this side outright */
				assert_null(s);
				continue;
			}
			assert_non_null(s);
			for (int m = 0; m < ACT_NMODES; m++) {
				enum act_run r = (enum act_run)d->run[side][m];
				struct pol_diag diag;
				struct act_where w = { (enum act_mode)m, NULL, NULL, 0 };
				pol_diag_init(&diag);
				int bad = act_check_set(s, &w, &diag);
				cells++;
				if (m == ACT_ONCE && side == POL_HOST) {
					/* once runs the baseline, which holds guest actions */
					pol_diag_free(&diag);
					continue;
				}
				switch (r) {
				case ACT_LOCAL:
					assert_non_null(d->exec);
					assert_int_equal(bad, 0);
					break;
				case ACT_WIRE:
					/* what the host sends, the agent runs itself */
					assert_int_equal(m, ACT_HOSTD);
					assert_int_equal(side, POL_GUEST);
					assert_int_equal(d->run[POL_GUEST][ACT_AGENT], ACT_LOCAL);
					assert_true(d->build || d->words);
					assert_true(d->wire_v >= 1);
					assert_int_equal(bad, 0);
					break;
				case ACT_ADVICE:
					assert_int_equal(m, ACT_AGENT);
					assert_int_equal(side, POL_HOST);
					assert_int_equal(bad, 0);
					break;
				case ACT_NO:
					refused++;
					/* refused at the action's own line and column */
					assert_int_equal(bad, 1);
					assert_int_equal(diag.n, 1);
					assert_non_null(strstr(diag.msgs[0], m == ACT_ONCE ? "t.yaml:9:5: the baseline: "
										   : "t.yaml:6:9: rule r: "));
					assert_non_null(strstr(diag.msgs[0], d->name));
					break;
				}
				pol_diag_free(&diag);
			}
			pol_set_free(s);
		}
	}
	assert_true(cells > 20);
	/* every kind that runs on a side runs in each mode there (sriov under
	 * hostd too, since the backends' plan_pci_attach slot; which backend
	 * can is test_backend_cells') */
	assert_int_equal(refused, 0);
	assert_int_equal(act_run_of(act_by_name("sriov"), POL_HOST, ACT_HOSTD), ACT_LOCAL);
	assert_int_equal(act_run_of(act_by_name("sriov"), POL_HOST, ACT_AGENT), ACT_ADVICE);
}

/* A pin mode runs under hostd only where the backend can do it. */
static void test_backend_cells(void **state)
{
	(void)state;
	static const char text[] =
		"version: 1\n"
		"rules:\n"
		"  - name: p\n"
		"    when: guest.cpu.steal > 10%\n"
		"    host:\n"
		"      - pin: dom0-away\n"
		"  - name: q\n"
		"    backends: [kvm]\n"
		"    when: guest.cpu.steal > 10%\n"
		"    host:\n"
		"      - pin: emulator-away\n";
	struct pol_diag d;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_string("b.yaml", text, &d);
	assert_non_null(s);
	struct act_where kvm = { ACT_HOSTD, "kvm", backend_can, 0 };
	struct act_where xen = { ACT_HOSTD, "xen", backend_can, 0 };
	assert_int_equal(act_check_set(s, &kvm, &d), 1);
	assert_string_equal(d.msgs[0], "b.yaml:6:9: rule p: pin dom0-away: the kvm backend cannot do this");
	pol_diag_free(&d);
	pol_diag_init(&d);
	/* q is for kvm only: on xen it is not checked (it never runs there) */
	assert_int_equal(act_check_set(s, &xen, &d), 0);
	pol_diag_free(&d);
	pol_set_free(s);
}

/* sriov runs under hostd where the backend has plan_pci_attach (KVM, Xen),
 * and is refused with its place elsewhere (sim). */
static void test_sriov_cells(void **state)
{
	(void)state;
	static const char text[] =
		"version: 1\n"
		"rules:\n"
		"  - name: s\n"
		"    when: host.sriov.free_vfs > 0\n"
		"    host:\n"
		"      - sriov: { pfs: [0000:00:03.0], vfs: 2 }\n";
	struct pol_diag d;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_string("s.yaml", text, &d);
	assert_non_null(s);
	struct act_where kvm = { ACT_HOSTD, "kvm", backend_can, 0 };
	struct act_where xen = { ACT_HOSTD, "xen", backend_can, 0 };
	struct act_where sim = { ACT_HOSTD, "sim", backend_can, 0 };
	struct act_where agent = { ACT_AGENT, NULL, NULL, 0 };
	assert_int_equal(act_check_set(s, &kvm, &d), 0);
	assert_int_equal(act_check_set(s, &xen, &d), 0);
	assert_int_equal(act_check_set(s, &agent, &d), 0);
	assert_int_equal(act_check_set(s, &sim, &d), 1);
	assert_string_equal(d.msgs[0], "s.yaml:6:9: rule s: sriov attach: the sim backend cannot do this");
	assert_int_equal(backend_can("kvm", ACT_NEEDS_PCI_ATTACH, "attach"), 1);
	assert_int_equal(backend_can("xen", ACT_NEEDS_PCI_ATTACH, "attach"), 1);
	assert_int_equal(backend_can("sim", ACT_NEEDS_PCI_ATTACH, "attach"), 0);
	pol_diag_free(&d);
	pol_set_free(s);
}

/* Protocol 1 carries the sysctls a report holds; the rest needs 2. */
static void test_protocol_cells(void **state)
{
	(void)state;
	static const char text[] =
		"version: 1\n"
		"rules:\n"
		"  - name: p\n"
		"    when: guest.cpu.steal > 10%\n"
		"    guest:\n"
		"      - sysctl: net.core.somaxconn\n"
		"        scale: 2\n"
		"      - sysctl: net.ipv4.ip_local_port_range\n"
		"        set: \"1024 65000\"\n"
		"      - rps: all\n";
	struct pol_diag d;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_string("p.yaml", text, &d);
	assert_non_null(s);
	struct act_where v1 = { ACT_HOSTD, "sim", backend_can, 1 };
	struct act_where v2 = { ACT_HOSTD, "sim", backend_can, 2 };
	assert_int_equal(act_check_set(s, &v2, &d), 0);
	assert_int_equal(act_check_set(s, &v1, &d), 2);
	assert_string_equal(d.msgs[0], "p.yaml:8:9: rule p: sysctl net.ipv4.ip_local_port_range needs protocol 2 in the guest's agent (it speaks 1)");
	assert_string_equal(d.msgs[1], "p.yaml:10:9: rule p: rps all needs protocol 2 in the guest's agent (it speaks 1)");
	pol_diag_free(&d);
	pol_set_free(s);
}

/* Under hostd a rule that changes the host may read only guest metrics the
 * host can corroborate; refused where the metric is (when or clear). */
static void test_corroboration_cells(void **state)
{
	(void)state;
	static const char text[] =
		"version: 1\n"
		"rules:\n"
		"  - name: a\n"
		"    when: guest.conntrack.fill > 80% and host.bridge_nf == 1\n"
		"    host:\n"
		"      - bridge_nf: off\n"
		"  - name: b\n"
		"    when: guest.tcp.passive_opens > 500/s\n"
		"    clear: guest.sysctl.somaxconn > 1\n"
		"    host:\n"
		"      - bridge_nf: off\n"
		"  - name: guest-side\n"
		"    when: guest.conntrack.fill > 80%\n"
		"    guest:\n"
		"      - sysctl: net.core.somaxconn\n"
		"        set: 4096\n"
		"    host:\n"
		"      - note: only advice\n"
		"  - name: backed\n"
		"    when: guest.cpu.steal > 10% and guest.tcp.listen_overflows > 1/s\n"
		"    host:\n"
		"      - bridge_nf: off\n";
	struct pol_diag d;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_string("c.yaml", text, &d);
	assert_non_null(s);
	struct act_where hostd = { ACT_HOSTD, "sim", backend_can, 0 };
	struct act_where agent = { ACT_AGENT, NULL, NULL, 0 };
	assert_int_equal(act_check_set(s, &hostd, &d), 2);
	assert_string_equal(d.msgs[0], "c.yaml:4:11: rule a: changes the host but reads "
			    "guest.conntrack.fill, which the host cannot corroborate (a host action "
			    "never fires on a guest's report alone; see vtune-policies(5))");
	assert_non_null(strstr(d.msgs[1], "c.yaml:9:12: rule b: changes the host but reads "
				"guest.sysctl.somaxconn"));
	pol_diag_free(&d);
	pol_diag_init(&d);
	/* the standalone agent only gives host advice: nothing to corroborate */
	assert_int_equal(act_check_set(s, &agent, &d), 0);
	pol_diag_free(&d);
	pol_set_free(s);
}

/* What the host sends is what the agent rebuilds. */
static void test_wire_round_trip(void **state)
{
	(void)state;
	static const char text[] =
		"version: 1\n"
		"rules:\n"
		"  - name: p\n"
		"    when: guest.cpu.steal > 10%\n"
		"    guest:\n"
		"      - sysctl: net.core.somaxconn\n"
		"        scale: 2\n"
		"        min: 1024\n"
		"        max: 65535\n"
		"      - sysctl: net.ipv4.ip_local_port_range\n"
		"        widen: 4096\n"
		"        min: 10000\n"
		"      - sysctl: net.netfilter.nf_conntrack_tcp_timeout_established\n"
		"        scale: 0.1\n"
		"      - sysctl: net.ipv4.tcp_tw_reuse\n"
		"        set: 1\n"
		"      - rps: all\n";
	struct pol_diag d;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_string("w.yaml", text, &d);
	assert_non_null(s);
	const struct pol_rule *r = &s->rules[0];
	for (size_t i = 0; i < r->n_actions; i++) {
		const struct pol_action *a = &r->actions[i];
		struct act_spec_buf b;
		struct pol_action back;
		char why[256];
		act_to_spec(a, &b);
		assert_int_equal(act_from_spec(a->act->name, &b.s, &back, why, sizeof why), 0);
		assert_ptr_equal(back.act, a->act);
		assert_string_equal(back.key, a->key);
		assert_int_equal(back.op, a->op);
		assert_true(back.value == a->value);
		assert_string_equal(back.set_str, a->set_str);
		assert_int_equal(back.has_min, a->has_min);
		assert_int_equal(back.has_max, a->has_max);
		assert_true(!a->has_min || back.min == a->min);
		assert_true(!a->has_max || back.max == a->max);
	}
	pol_diag_free(&d);
	pol_set_free(s);
	/* what a guest refuses, with the reason */
	struct pol_action a;
	char why[256];
	assert_int_equal(act_from_spec("bridge_nf", &(struct act_spec){ .key = "off" }, &a, why,
				       sizeof why), -EPERM);
	assert_string_equal(why, "'bridge_nf' is not an action a guest carries out");
	assert_int_equal(act_from_spec("sysctl", &(struct act_spec){ .key = "kernel.panic",
								      .value = "1" }, &a, why, sizeof why),
			 -EINVAL);
	assert_string_equal(why, "key: sysctl 'kernel.panic' is not in the allow-list");
	assert_int_equal(act_from_spec("sysctl", &(struct act_spec){ .key = "net.core.somaxconn",
								      .op = "scale", .value = "99" },
				       &a, why, sizeof why), -EINVAL);
	assert_string_equal(why, "value: scale: 99 is out of range (above 0, at most 16)");
	assert_int_equal(act_from_spec("rps", &(struct act_spec){ .key = "some" }, &a, why,
				       sizeof why), -EINVAL);
	assert_int_equal(act_from_spec("nosuch", &(struct act_spec){ .key = "x" }, &a, why,
				       sizeof why), -EPERM);
}

static void test_knobs_and_privsep(void **state)
{
	(void)state;
	size_t n;
	const struct act_def *t = act_table(&n);
	backend_register_knobs();
	const char *const *served = act_privileged_kinds();
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; t[i].knobs && t[i].knobs[k]; k++) {
			const char *kind = t[i].knobs[k]->kind;
			assert_non_null(knob_find_real(kind));
			size_t j = 0;
			while (served[j] && strcmp(served[j], kind))
				j++;
			assert_non_null(served[j]);
		}
	/* the unprivileged daemon proxies them all, with each backend's own
	 * root-only kinds (SR-IOV: sriov-numvfs, pci-driver; sriov-vf is the
	 * sriov row's) */
	for (size_t b = 0; b < 2; b++) {
		const struct backend_ops *ops = b ? &backend_xen_ops : &backend_kvm_ops;
		const char *kinds[48];
		size_t nk = 0;
		int sp[2];
		for (const char *const *k = served; *k; k++)
			kinds[nk++] = *k;
		for (size_t i = 0; ops->privileged_knobs && ops->privileged_knobs[i]; i++) {
			assert_non_null(knob_find_real(ops->privileged_knobs[i]));
			kinds[nk++] = ops->privileged_knobs[i];
		}
		kinds[nk] = NULL;
		const char *want[] = { "sriov-numvfs", "pci-driver", "sriov-vf" };
		for (size_t w = 0; w < 3; w++) {
			size_t j = 0;
			while (kinds[j] && strcmp(kinds[j], want[w]))
				j++;
			assert_non_null(kinds[j]);
		}
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
		assert_int_equal(privops_client(sp[0], kinds), 0);
		assert_int_equal(privops_client(-1, NULL), 0);
		close(sp[0]);
		close(sp[1]);
	}
	/* what an administrator's change takes over */
	char id[64];
	act_ident(act_by_name("sysctl"), "net.core.somaxconn", id, sizeof id);
	assert_string_equal(id, "sysctl net.core.somaxconn");
	act_ident(act_by_name("bridge_nf"), "off", id, sizeof id);
	assert_string_equal(id, "bridge_nf");
	act_ident(act_by_name("offload"), "tap", id, sizeof id);
	assert_string_equal(id, "offload tap");
	assert_int_equal(act_mode_parse("agent"), ACT_AGENT);
	assert_int_equal(act_mode_parse("nope"), -1);
}

/* The standalone agent cannot make a host change: it tells it as advice,
 * journaling and changing nothing. */
static void test_advice(void **state)
{
	(void)state;
	static const char text[] =
		"version: 1\n"
		"rules:\n"
		"  - name: nf\n"
		"    when: guest.tcp.passive_opens > 1/s\n"
		"    host:\n"
		"      - bridge_nf: off\n";
	struct pol_diag d;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_string("a.yaml", text, &d);
	assert_non_null(s);
	struct pol_plan plan;
	pol_plan_init(&plan);
	struct act_plan_in in = { &s->rules[0], &s->rules[0].actions[0], "guest.tcp.passive_opens=9.0/s",
				  NULL, NULL, NULL, NULL };
	assert_int_equal(act_plan(&in, &plan), 0);
	assert_int_equal(plan.n, 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct apply_ctx ac = { .journal = NULL, .root = "/nonexistent", .dry_run = 0, .out = out };
	assert_int_equal(apply_plan(&ac, NULL, &plan, POL_HOST, ACT_AGENT), 0);
	fclose(out);
	assert_string_equal(buf, "rule nf: the fix is outside this VM: ask your provider for host "
				 "bridge_nf off\n");
	free(buf);
	pol_plan_free(&plan);
	pol_set_free(s);
	pol_diag_free(&d);
}

/* What the port-range plan reads: the range, the listening and reserved
 * ports, as the kernel and the sampler print them. */
static const char *cur_range, *cur_listening, *cur_reserved;

static int port_current(void *arg, enum pol_side side, const char *kind, const char *key,
			char *buf, size_t n)
{
	(void)arg, (void)side;
	const char *v = !strcmp(kind, "sysctl") ? cur_range
			: !strcmp(key, "listening") ? cur_listening : cur_reserved;
	if (!v)
		return -ENOENT;
	snprintf(buf, n, "%s", v);
	return 0;
}

/* One plan of "widen: 4096, min: 10000" on ip_local_port_range: the
 * change's new value, or the note's text. */
static const char *plan_widen(const char *range, const char *listening, const char *reserved)
{
	static char out[600];
	static const char text[] =
		"version: 1\n"
		"rules:\n"
		"  - name: ports\n"
		"    when: guest.cpu.steal > 10%\n"
		"    guest:\n"
		"      - sysctl: net.ipv4.ip_local_port_range\n"
		"        widen: 4096\n"
		"        min: 10000\n";
	struct pol_set *s = pol_load_string("p.yaml", text, NULL);
	assert_non_null(s);
	cur_range = range, cur_listening = listening, cur_reserved = reserved;
	struct pol_plan plan;
	pol_plan_init(&plan);
	struct act_plan_in in = { &s->rules[0], &s->rules[0].actions[0], "why", port_current, NULL,
				  NULL, NULL };
	assert_int_equal(act_plan(&in, &plan), 0);
	assert_int_equal(plan.n, 1);
	if (!strcmp(plan.v[0].kind, "note"))
		snprintf(out, sizeof out, "note: %s", plan.v[0].note);
	else
		snprintf(out, sizeof out, "%s -> %s", plan.v[0].old, plan.v[0].new);
	pol_plan_free(&plan);
	pol_set_free(s);
	return out;
}

/* Widening the local port range stops above every port a listener uses or
 * the kernel keeps reserved just below it; what cannot be read is said. */
static void test_port_range_plan(void **state)
{
	(void)state;
	assert_string_equal(plan_widen("32768\t60999", "", ""), "32768 60999 -> 28672 60999");
	/* a listener at 30000: the new low end just above it */
	assert_string_equal(plan_widen("32768\t60999", "22 8080 30000 40000", "29000-29500"),
			    "32768 60999 -> 30001 60999");
	/* a reserved range reaching higher wins */
	assert_string_equal(plan_widen("32768\t60999", "30000", "8080,31000-31500"),
			    "32768 60999 -> 31501 60999");
	assert_string_equal(plan_widen("32768\t60999", "", "31000"), "32768 60999 -> 31001 60999");
	/* a port right below the range: not widened over it */
	assert_string_equal(plan_widen("32768\t60999", "32767", ""),
			    "note: net.ipv4.ip_local_port_range: port 32767 just below it is a "
			    "listener's, not widened over it");
	assert_string_equal(plan_widen("32768\t60999", "", "32000-32767"),
			    "note: net.ipv4.ip_local_port_range: port 32767 just below it is "
			    "reserved, not widened over it");
	/* what is not a port in those lists is passed over */
	assert_string_equal(plan_widen("32768\t60999", "x 99999999999999999999 ,", "31000-, -"),
			    "32768 60999 -> 31001 60999");
	/* the floor: min 10000 */
	assert_string_equal(plan_widen("12000 60999", "", ""), "12000 60999 -> 10000 60999");
	assert_string_equal(plan_widen("10000 60999", "", ""),
			    "note: net.ipv4.ip_local_port_range at min (10000 60999), not changed");
	/* a current value that is not two numbers */
	static const char *const bad[] = { "32768", "32768 60999 1", "32768 x", "-1 60999",
					   "32768 99999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *o = plan_widen(bad[i], "", "");
		if (!strstr(o, "cannot read the current value"))
			print_message("%s -> %s\n", bad[i], o);
		assert_non_null(strstr(o, "cannot read the current value"));
	}
}

/* Every row is documented in vtune-policies(5): a tagged paragraph whose
 * tag begins "NAME:" (".B irq: spread", ".BI \"sysctl: \" key"). */
static void test_documented(void **state)
{
	(void)state;
	size_t n;
	const struct act_def *t = act_table(&n);
	FILE *f = fopen("man/vtune-policies.5", "r");
	assert_non_null(f);
	char line[512], tags[8192] = "";
	int tag = 0;
	while (fgets(line, sizeof line, f)) {
		if (tag && line[0] == '.' && strlen(tags) + strlen(line) + 1 < sizeof tags) {
			/* the tag's text: past the macro, without a quote */
			const char *p = line + strcspn(line, " ");
			p += strspn(p, " \"");
			strcat(tags, "|");
			strncat(tags, p, strcspn(p, "\"\n"));
		}
		tag = !strncmp(line, ".TP", 3) || !strncmp(line, ".TQ", 3);
	}
	fclose(f);
	strcat(tags, "|");
	for (size_t i = 0; i < n; i++) {
		char want[64];
		snprintf(want, sizeof want, "|%s:", t[i].name);
		if (!strstr(tags, want))
			print_error("action %s: not in man/vtune-policies.5\n", t[i].name);
		assert_non_null(strstr(tags, want));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cell),
		cmocka_unit_test(test_backend_cells),
		cmocka_unit_test(test_sriov_cells),
		cmocka_unit_test(test_protocol_cells),
		cmocka_unit_test(test_corroboration_cells),
		cmocka_unit_test(test_wire_round_trip),
		cmocka_unit_test(test_knobs_and_privsep),
		cmocka_unit_test(test_advice),
		cmocka_unit_test(test_port_range_plan),
		cmocka_unit_test(test_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
