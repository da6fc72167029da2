/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_policy_load: loading policy files: the default set, a file using
 * every key, and broken files whose every problem must be reported at the
 * right file:line:col. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "act_table.h"
#include "policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define FIX "tests/fixtures/policies/"

static void dump(const struct pol_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  diag[%zu] %s\n", i, d->msgs[i]);
}

/* The default rules that undo each other cannot flap: one's condition is
 * the other's clear, word for word. */
static void test_default_pairs(void **state)
{
	static const char *const pairs[][2] = {
		{ "bridge-nf-busy", "bridge-nf-idle" },
		{ "offloads-hurt", "offloads-help" },
	};
	(void)state;
	struct pol_set *s = pol_load_file("policies/default.yaml", NULL);
	assert_non_null(s);
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		const struct pol_rule *a = pol_set_rule(s, pairs[i][0]), *b = pol_set_rule(s, pairs[i][1]);
		assert_non_null(a);
		assert_non_null(b);
		assert_non_null(a->clear_src);
		assert_non_null(b->clear_src);
		assert_string_equal(a->when_src, b->clear_src);
		assert_string_equal(b->when_src, a->clear_src);
		/* and they do opposite things */
		assert_ptr_equal(a->actions[0].act, b->actions[0].act);
		assert_string_not_equal(a->actions[0].features ? (a->actions[0].state ? "on" : "off")
									: a->actions[0].key,
					b->actions[0].features ? (b->actions[0].state ? "on" : "off")
									: b->actions[0].key);
	}
	pol_set_free(s);
}

static void test_default_loads(void **state)
{
	struct pol_diag d;
	(void)state;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_file("policies/default.yaml", &d);
	dump(&d);
	assert_non_null(s);
	assert_int_equal(d.n, 0);
	assert_int_equal(s->n_rules, 36);
	/* the seeds' rules: a guest action of each new kind, bounded sysctls */
	const struct pol_rule *q = pol_set_rule(s, "nofile-near-limit");
	assert_non_null(q);
	assert_string_equal(q->actions[0].act->name, "nofile");
	assert_non_null(q = pol_set_rule(s, "nic-irqs-one-cpu"));
	assert_string_equal(q->actions[0].act->name, "irq");
	assert_non_null(q = pol_set_rule(s, "host-nic-irqs-one-cpu"));
	assert_int_equal(q->actions[0].side, POL_HOST);
	assert_non_null(q = pol_set_rule(s, "multiqueue-unused"));
	assert_string_equal(q->actions[0].act->name, "channels");
	assert_non_null(q = pol_set_rule(s, "socket-buffers"));
	assert_true(q->actions[0].has_max && q->actions[0].max == 16777216);
	assert_non_null(q = pol_set_rule(s, "single-queue-nic"));
	assert_int_equal(q->actions[0].side, POL_HOST);
	assert_non_null(strstr(q->actions[0].text, "queues='{guest.cpus}'"));

	/* the guest baseline of `vtune-agent once`: tcp_tw_reuse is left at
	 * the kernel's default */
	assert_int_equal(s->baseline.n_actions, 5);
	assert_string_equal(s->baseline.actions[0].key, "net.core.somaxconn");
	assert_string_equal(s->baseline.actions[4].act->name, "rps");
	for (size_t i = 0; i < s->baseline.n_actions; i++)
		assert_string_not_equal(s->baseline.actions[i].key, "net.ipv4.tcp_tw_reuse");

	const struct pol_rule *r = pol_set_rule(s, "listen-overflow");
	assert_non_null(r);
	assert_true(r->enabled);
	assert_true(r->for_ns == 10ull * 1000000000ull);
	assert_true(r->cooldown_ns == 120ull * 1000000000ull);
	assert_non_null(r->clear);
	assert_int_equal(r->n_actions, 3);
	assert_string_equal(r->actions[0].act->name, "sysctl");
	assert_string_equal(r->actions[0].key, "net.core.somaxconn");
	assert_int_equal(r->actions[0].op, POL_OP_SCALE);
	assert_true(r->actions[0].has_max && r->actions[0].max == 65535);
	assert_string_equal(r->actions[2].act->name, "note");
	assert_non_null(strstr(r->actions[2].text, "listen()"));

	r = pol_set_rule(s, "conntrack-full");
	assert_non_null(r);
	assert_true(r->actions[0].max == 4000000);	/* 4M */

	/* widened under outgoing pressure only, never below 10000 */
	r = pol_set_rule(s, "port-exhaustion");
	assert_non_null(r);
	assert_int_equal(r->actions[0].op, POL_OP_WIDEN);
	assert_true(r->actions[0].has_min && r->actions[0].min == 10000);
	assert_string_equal(r->when_src, "guest.ports.fill >= 70%");

	/* effect verification: the queue caps need a new listen(), so only the
	 * accept rate judges them; the rest inherit their clear condition */
	assert_true(pol_set_rule(s, "listen-overflow")->verify.improve_none);
	assert_true(pol_set_rule(s, "syn-queue-full")->verify.improve_none);
	r = pol_set_rule(s, "netrx-one-core");
	assert_false(r->verify.improve_none);
	assert_null(r->verify.improve);
	assert_int_equal(r->verify.window, 3);
	/* a SYN flood is said, nothing changed */
	r = pol_set_rule(s, "syn-flood");
	assert_non_null(r);
	for (size_t i = 0; i < r->n_actions; i++)
		assert_string_equal(r->actions[i].act->name, "note");

	/* SR-IOV is opt-in, on the backends that can attach, and names no PF
	 * (a drop-in does) */
	r = pol_set_rule(s, "sriov-attach");
	assert_non_null(r);
	assert_false(r->enabled);
	assert_true(pol_rule_for_backend(r, "kvm") && pol_rule_for_backend(r, "xen"));
	assert_false(pol_rule_for_backend(r, "sim"));
	assert_string_equal(r->actions[0].act->name, "sriov");
	assert_null(r->actions[0].text);
	assert_true(r->verify.improve_none);

	/* pinning is per backend: each rule names the one that can do it */
	r = pol_set_rule(s, "steal-host-busy");
	assert_int_equal(r->n_backends, 1);
	assert_string_equal(r->backends[0], "xen");
	assert_true(pol_rule_for_backend(r, "xen"));
	assert_false(pol_rule_for_backend(r, "kvm"));
	r = pol_set_rule(s, "vcpu-run-delay");
	assert_string_equal(r->backends[0], "kvm");
	assert_true(pol_rule_for_backend(pol_set_rule(s, "listen-overflow"), "sim"));

	/* every rule of the default set is enabled, but the opt-in one */
	for (size_t i = 0; i < s->n_rules; i++)
		assert_true(s->rules[i].enabled == !!strcmp(s->rules[i].name, "sriov-attach"));
	assert_null(pol_set_rule(s, "no-such-rule"));
	pol_set_free(s);
	pol_diag_free(&d);
}

static void test_every_key(void **state)
{
	struct pol_diag d;
	(void)state;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_file(FIX "good.yaml", &d);
	dump(&d);
	assert_non_null(s);
	assert_int_equal(s->n_rules, 2);
	const struct pol_rule *r = &s->rules[0];
	assert_string_equal(r->name, "everything-1");
	assert_string_equal(r->description, "all guest keys");
	assert_true(r->for_ns == 500000000ull);
	assert_true(r->cooldown_ns == 3600ull * 1000000000ull);
	assert_string_equal(r->clear_src, "guest.tcp.listen_overflows < 1/s");
	assert_int_equal(r->n_actions, 6);
	assert_true(r->actions[0].value == 1.5 && r->actions[0].min == 1000);
	assert_int_equal(r->actions[1].op, POL_OP_STEP);
	assert_true(r->actions[2].value == 4e6);
	assert_int_equal(r->actions[3].op, POL_OP_WIDEN);
	assert_true(r->actions[3].value == 8192 && r->actions[3].min == 10000);
	assert_string_equal(r->actions[4].act->name, "rps");
	assert_string_equal(r->actions[5].text, "a diagnosis line");
	assert_int_equal(r->actions[5].line, 25);
	assert_int_equal(r->actions[5].col, 9);

	r = &s->rules[1];
	assert_false(r->enabled);
	assert_true(r->cooldown_ns == 60ull * 1000000000ull);	/* default */
	assert_true(r->for_ns == 0);
	assert_null(r->clear);
	assert_int_equal(r->n_actions, 6);
	assert_string_equal(r->actions[0].act->name, "bridge_nf");
	assert_string_equal(r->actions[0].key, "off");
	assert_string_equal(r->actions[1].act->name, "offload");
	assert_int_equal(r->actions[1].features, POL_OFF_TSO | POL_OFF_GRO);
	assert_int_equal(r->actions[1].state, 0);
	assert_string_equal(r->actions[1].key, "tap");
	assert_int_equal(r->actions[2].features, POL_OFF_SG);
	assert_int_equal(r->actions[2].state, 1);
	assert_string_equal(r->actions[2].key, "bridge");
	assert_string_equal(r->actions[3].key, "vcpus-spread");
	assert_string_equal(r->actions[4].act->name, "sriov");
	assert_int_equal(r->actions[5].side, POL_HOST);
	pol_set_free(s);
	pol_diag_free(&d);
}

/* Every problem of broken.yaml, in order, at its line and column. */
static const char *const broken_expected[] = {
	FIX "broken.yaml:4:1: unknown key 'colour' in the policy file (known: version, rules, baseline)",
	FIX "broken.yaml:6:11: name 'Bad_Name' must be 1-48 characters of a-z, 0-9 and '-'",
	FIX "broken.yaml:12:9: 'scale' and 'step' in one action: use exactly one of set, scale, step",
	FIX "broken.yaml:14:11: when: unknown metric 'guest.tcp.listen_overflow'",
	FIX "broken.yaml:15:15: cooldown: -5s is out of range (0s to 24h)",
	FIX "broken.yaml:17:17: sysctl 'kernel.panic' is not in the allow-list",
	FIX "broken.yaml:19:11: duplicate rule name 'dup' (first at line 13)",
	FIX "broken.yaml:20:29: when: unit mismatch: 'guest.cpu.steal' is a percentage (%) but '10/s' is a rate (/s)",
	FIX "broken.yaml:21:10: for: '2d' is not a duration (like 10s, 500ms, 2m, 1h)",
	FIX "broken.yaml:24:16: scale: 40 is out of range (above 0, at most 16)",
	FIX "broken.yaml:25:14: min 5000 is above max 2000",
	FIX "broken.yaml:28:55: when: unit mismatch: 'guest.tcp.inuse' is a count or value (no unit) but '1h' is a duration (s)",
	FIX "broken.yaml:30:7: 'host' must be a list of actions, not a mapping",
	FIX "broken.yaml:33:5: duplicate key 'when' (first at line 32)",
	FIX "broken.yaml:35:9: sysctl net.ipv4.tcp_fin_timeout needs one of set, scale, step",
	FIX "broken.yaml:37:9: 'rps' and 'note' in one action: an action does one thing",
	FIX "broken.yaml:38:9: 'pin' is a host action",
	FIX "broken.yaml:43:9: 'scale' does not apply to net.ipv4.ip_local_port_range (use set: \"LO HI\" or widen: N)",
	FIX "broken.yaml:45:14: set: net.ipv4.ip_local_port_range needs \"LO HI\" with 1 <= LO < HI <= 65535, not '70000 100'",
	FIX "broken.yaml:47:36: features: 'xyz' is not one of tso, gso, gro, sg, txcsum",
	FIX "broken.yaml:47:49: state: 'maybe' is not one of off, on",
	FIX "broken.yaml:48:5: rule has no 'name'",
	FIX "broken.yaml:48:5: rule has no 'when' condition",
	FIX "broken.yaml:49:10: for: 'soon' is not a duration (like 10s, 500ms, 2m, 1h)",
};

static void test_baseline_guest_only(void **state)
{
	struct pol_diag d;
	(void)state;
	pol_diag_init(&d);
	const char *text = "version: 1\nrules: []\nbaseline:\n"
			   "  - sysctl: net.core.somaxconn\n    set: 4096\n"
			   "  - bridge_nf: off\n";
	assert_null(pol_load_string("b.yaml", text, &d));
	dump(&d);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], "b.yaml:6:5: 'bridge_nf' is a host action");
	pol_diag_free(&d);
}

static void test_broken_file(void **state)
{
	struct pol_diag d;
	size_t n = sizeof broken_expected / sizeof *broken_expected;
	(void)state;
	pol_diag_init(&d);
	assert_null(pol_load_file(FIX "broken.yaml", &d));
	for (size_t i = 0; i < d.n && i < n; i++)
		if (strcmp(d.msgs[i], broken_expected[i]))
			fail_msg("line %zu:\n got  %s\n want %s", i, d.msgs[i], broken_expected[i]);
	if (d.n != n)
		dump(&d);
	assert_int_equal(d.n, n);
	pol_diag_free(&d);
}

/* Load text; expect it refused with exactly the given first message. */
static void refused(const char *text, const char *msg)
{
	struct pol_diag d;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_string("t.yaml", text, &d);
	if (s || d.n == 0 || strcmp(d.msgs[0], msg)) {
		dump(&d);
		fail_msg("want '%s'", msg);
	}
	pol_set_free(s);
	pol_diag_free(&d);
}

#define HDR "version: 1\nrules:\n  - name: r\n"

static void test_small_cases(void **state)
{
	(void)state;
	refused("", "t.yaml:1:1: empty policy file (expected 'version: 1' and 'rules:')");
	refused("version: 1\nrules: [\n", "t.yaml:3:1: YAML syntax error: did not find expected node content while parsing a flow node");
	refused("version: 2\nrules: []\n", "t.yaml:1:10: version 2 is not supported (this vtune reads version 1)");
	refused("rules: []\n", "t.yaml:1:1: missing 'version: 1'");
	refused("version: 1\n", "t.yaml:1:1: missing 'rules'");
	refused("- a\n- b\n", "t.yaml:1:1: the policy file must be a mapping, not a list");
	refused("version: 1\nrules: {a: 1}\n", "t.yaml:2:8: 'rules' must be a list of rules, not a mapping");
	refused("version: 1\nrules:\n  - [a]\n", "t.yaml:3:5: a rule must be a mapping, not a list");
	refused(HDR "    when: [a]\n    guest: [{note: x}]\n", "t.yaml:4:11: when must be a single value, not a list");
	refused(HDR "    when: 'guest.cpu.steal > 5 and guest.foo > 1'\n    guest: [{note: x}]\n",
		"t.yaml:4:36: when: unknown metric 'guest.foo'");
	refused(HDR "    when: \"guest.cpu.steal > 5%\"\n    clear: guest.cpu.steal <\n    guest: [{note: x}]\n",
		"t.yaml:5:29: clear: expression ends too early: expected a metric, a number or '('");
	/* a block scalar: the message points at the scalar */
	refused(HDR "    when: |\n      guest.cpu.steal > 5 and bad\n    guest: [{note: x}]\n",
		"t.yaml:4:11: when: unknown metric 'bad'");
	refused(HDR "    when: guest.cpu.steal > 5%\n", "t.yaml:3:5: rule has no actions (add 'guest:' or 'host:')");
	refused(HDR "    when: guest.cpu.steal > 5%\n    enabled: yes\n    guest: [{note: x}]\n",
		"t.yaml:5:14: enabled: 'yes' is not true or false");
	refused(HDR "    when: guest.cpu.steal > 5%\n    for: 25h\n    guest: [{note: x}]\n",
		"t.yaml:5:10: for: 25h is out of range (0s to 24h)");
	refused(HDR "    when: guest.cpu.steal > 5%\n    guest:\n      - sysctl: net.core.somaxconn\n        scale: 0\n",
		"t.yaml:7:16: scale: 0 is out of range (above 0, at most 16)");
	refused(HDR "    when: guest.cpu.steal > 5%\n    guest:\n      - sysctl: net.core.somaxconn\n        set: 1M\n",
		"t.yaml:7:14: set: 1000000 is outside the allowed range 128..65535 for net.core.somaxconn");
	refused(HDR "    when: guest.cpu.steal > 5%\n    guest:\n      - sysctl: net.core.somaxconn\n        set: 12.5\n",
		"t.yaml:7:14: set: 12.5 for net.core.somaxconn must be a whole number");
	refused(HDR "    when: guest.cpu.steal > 5%\n    guest:\n      - sysctl: net.core.rps_sock_flow_entries\n        set: 1000\n",
		"t.yaml:7:14: set: net.core.rps_sock_flow_entries: 1000 is not 0 or a power of two (RFS flow table; the kernel rounds up to a power of two, so only those read back equal)");
	refused(HDR "    when: guest.cpu.steal > 5%\n    guest:\n      - sysctl: net.core.somaxconn\n        widen: 5\n",
		"t.yaml:7:9: 'widen' only applies to net.ipv4.ip_local_port_range");
	refused(HDR "    when: guest.cpu.steal > 5%\n    host:\n      - note: x\n        max: 5\n",
		"t.yaml:7:9: 'max' only goes with 'sysctl'");
	refused(HDR "    when: guest.cpu.steal > 5%\n    host:\n      - rps: all\n",
		"t.yaml:6:9: 'rps' is a guest action");
	/* an empty action: every kind of the table named, in its order */
	char want[256] = "t.yaml:6:9: an action needs one of ";
	size_t nrows;
	const struct act_def *rows = act_table(&nrows);
	for (size_t i = 0; i < nrows; i++)
		snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? ", " : "",
			 rows[i].name);
	assert_non_null(strstr(want, "sysctl, rps, bridge_nf"));
	refused(HDR "    when: guest.cpu.steal > 5%\n    host:\n      - {}\n", want);
	refused(HDR "    when: guest.cpu.steal > 5%\n    host:\n      - offload: {state: on}\n",
		"t.yaml:6:18: offload needs 'features' (a list of tso, gso, gro, sg, txcsum)");
	refused("version: 1\nrules: []\n---\nversion: 1\n", "t.yaml:4:1: a second YAML document: a policy file holds one");
	refused(HDR "    name: s\n    when: guest.cpu.steal > 5%\n    guest: [{note: x}]\n",
		"t.yaml:4:5: duplicate key 'name' (first at line 3)");
	refused("version: 1\nrules:\n  - name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n    when: 1 > 0\n    guest: [{note: x}]\n",
		"t.yaml:3:11: name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' must be 1-48 characters of a-z, 0-9 and '-'");
}

static void test_file_errors(void **state)
{
	struct pol_diag d;
	(void)state;
	pol_diag_init(&d);
	assert_null(pol_load_file(FIX "no-such-file.yaml", &d));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], FIX "no-such-file.yaml: cannot open: No such file or directory");
	pol_diag_free(&d);
	/* a NULL diag is allowed */
	assert_null(pol_load_string("x", "rules: 5", NULL));
	struct pol_set *s = pol_load_string("x", "version: 1\nrules: []\n", NULL);
	assert_non_null(s);
	assert_int_equal(s->n_rules, 0);
	pol_set_free(s);
}

/* Every message of a text refused, in order. */
static void refused_all(const char *text, const char *const *want, size_t n)
{
	struct pol_diag d;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_string("t.yaml", text, &d);
	assert_null(s);
	if (d.n != n)
		dump(&d);
	assert_int_equal(d.n, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(d.msgs[i], want[i])) {
			dump(&d);
			fail_msg("message %zu: want '%s'", i, want[i]);
		}
	pol_diag_free(&d);
}

/* What the attack found: deep flow nesting (quadratic in libyaml: now cut
 * before it costs), a FIFO (hung), a duplicate key after an unknown one
 * (never reported), an unclosed flow (reported where the file ended). */
static void test_hostile_files(void **state)
{
	(void)state;
	/* 100k deep: refused at the 65th level, where it is */
	size_t deep = 100000, len = 20 + 2 * deep;
	char *t = malloc(len + 1);
	strcpy(t, "version: 1\nrules: ");
	size_t o = strlen(t);
	memset(t + o, '[', deep);
	memset(t + o + deep, ']', deep);
	t[o + 2 * deep] = '\0';
	refused(t, "t.yaml:2:71: nested deeper than 64 lists and mappings: not a policy file");
	/* a mapping 100k deep too */
	strcpy(t, "version: 1\nrules: ");
	o = strlen(t);
	for (size_t i = 0; i < 70; i++, o += 4)
		memcpy(t + o, "{a: ", 4);
	strcpy(t + o, "1}");
	refused(t, "t.yaml:2:260: nested deeper than 64 lists and mappings: not a policy file");
	/* wide: more nodes than any policy has */
	strcpy(t, "version: 1\nrules: [");
	o = strlen(t);
	for (size_t i = 0; i < 100001 && o + 3 < len; i++, o += 2)
		memcpy(t + o, "a,", 2);
	strcpy(t + o, "a]");
	refused(t, "t.yaml:2:199999: more than 100000 values, lists and mappings: not a policy file");
	free(t);
	/* every duplicate key, after an unknown key too, each where it is */
	static const char *const dups[] = {
		"t.yaml:4:5: unknown key 'colour' in a rule (known: name, description, enabled, when, "
		"for, clear, cooldown, backends, guest, host, improve, guard, window, bound, "
		"quarantine)",
		"t.yaml:5:5: duplicate key 'colour' (first at line 4)",
		"t.yaml:7:5: duplicate key 'when' (first at line 6)",
		"t.yaml:11:9: duplicate key 'set' (first at line 10)",
	};
	refused_all(HDR "    colour: red\n    colour: blue\n    when: guest.cpu.steal > 5%\n"
		    "    when: guest.cpu.steal > 6%\n    guest:\n      - sysctl: net.core.somaxconn\n"
		    "        set: 4096\n        set: 8192\n", dups, 4);
	/* an unclosed flow: where it was opened */
	refused(HDR "    when: guest.cpu.steal > 5%\n    guest: [ {note: x}\n\n\n",
		"t.yaml:5:12: YAML syntax error: this '[' opened here is not closed (did not find "
		"expected ',' or ']' at line 8)");
	refused(HDR "    when: guest.cpu.steal > 5%\n    guest: [ {note: x\n    host: []\n",
		"t.yaml:5:14: YAML syntax error: this '{' opened here is not closed (did not find "
		"expected ',' or '}' at line 6)");
}

/* Not a regular file: refused at once, never read (a FIFO would block). */
static void test_not_regular(void **state)
{
	(void)state;
	char dir[] = "/tmp/vtune-pol-XXXXXX", fifo[64];
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof fifo, "%s/p.yaml", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	struct pol_diag d;
	pol_diag_init(&d);
	assert_null(pol_load_file(fifo, &d));
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], "p.yaml: not a regular file: refused"));
	pol_diag_free(&d);
	pol_diag_init(&d);
	assert_null(pol_load_file(dir, &d));
	assert_non_null(strstr(d.msgs[0], "not a regular file"));
	pol_diag_free(&d);
	unlink(fifo);
	rmdir(dir);
}

static void test_allow_list(void **state)
{
	double lo, hi;
	char why[160];
	(void)state;
	assert_int_equal(pol_sysctl_allowed("net.core.somaxconn", &lo, &hi, why, sizeof why), 0);
	assert_true(lo == 128 && hi == 65535);
	assert_int_equal(pol_sysctl_allowed("kernel.panic", NULL, NULL, why, sizeof why), -EPERM);
	assert_int_equal(pol_sysctl_value_ok("net.core.somaxconn", "70000", why, sizeof why), -EPERM);
	assert_int_equal(pol_sysctl_value_ok("net.ipv4.ip_local_port_range", "1024 65000", why, sizeof why), 0);
}

/* Drop-ins: a folder policy.d beside the policy, merged in name order. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_dropins(void **state)
{
	(void)state;
	char dir[] = "/tmp/vtune-dropin-XXXXXX", p[128], d[128], f[160];
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof p, "%s/policies.yaml", dir);
	snprintf(d, sizeof d, "%s/policy.d", dir);
	write_file(p, "version: 1\n"
		      "rules:\n"
		      "  - name: a\n"
		      "    when: guest.cpu.steal > 10%\n"
		      "    for: 10s\n"
		      "    guest:\n"
		      "      - sysctl: net.core.somaxconn\n"
		      "        scale: 2\n"
		      "      - note: keep me\n"
		      "    host:\n"
		      "      - bridge_nf: off\n"
		      "  - name: b\n"
		      "    when: guest.cpu.steal > 20%\n"
		      "    guest:\n"
		      "      - rps: all\n"
		      "baseline:\n"
		      "  - rps: all\n");
	/* no folder: the file alone */
	struct pol_diag g;
	pol_diag_init(&g);
	struct pol_set *s = pol_load_with_dropins(p, NULL, &g);
	assert_non_null(s);
	assert_int_equal(s->nfiles, 1);
	pol_set_free(s);
	assert_int_equal(mkdir(d, 0755), 0);
	snprintf(f, sizeof f, "%s/20-more.yaml", d);
	write_file(f, "version: 1\n"
		      "rules:\n"
		      "  - name: b\n"
		      "    enabled: false\n");
	snprintf(f, sizeof f, "%s/10-site.yaml", d);
	write_file(f, "version: 1\n"
		      "rules:\n"
		      "  - name: a\n"
		      "    for: 30s\n"
		      "    guest:\n"
		      "      - sysctl: net.core.netdev_max_backlog\n"
		      "        step: 1000\n"
		      "  - name: c\n"
		      "    when: guest.conntrack.fill > 90%\n"
		      "    guest:\n"
		      "      - note: new\n"
		      "baseline:\n"
		      "  - sysctl: net.core.somaxconn\n"
		      "    set: 4096\n");
	snprintf(f, sizeof f, "%s/not-yaml.txt", d);
	write_file(f, "this is no policy\n");
	s = pol_load_with_dropins(p, NULL, &g);
	dump(&g);
	assert_non_null(s);
	assert_int_equal(s->nfiles, 3); /* in name order, .txt left out */
	assert_non_null(strstr(s->files[1], "10-site.yaml"));
	const struct pol_rule *a = pol_set_rule(s, "a");
	assert_true(a->for_ns == 30ull * 1000000000ull);
	assert_int_equal(a->key_file[4], 1); /* "for" from 10-site.yaml, line 4 */
	assert_int_equal(a->key_line[4], 4);
	assert_int_equal(a->key_file[3], 0); /* "when" still the policy's */
	/* guest: replaced, host: kept */
	assert_int_equal(a->n_actions, 2);
	assert_string_equal(a->actions[0].act->name, "bridge_nf");
	assert_string_equal(a->actions[1].key, "net.core.netdev_max_backlog");
	assert_int_equal(a->actions[1].file, 1);
	assert_false(pol_set_rule(s, "b")->enabled);
	assert_non_null(pol_set_rule(s, "c"));
	assert_int_equal(s->baseline.n_actions, 1);
	assert_string_equal(s->baseline.actions[0].key, "net.core.somaxconn");
	pol_set_free(s);
	/* a broken drop-in: refused, at its own file:line:col */
	snprintf(f, sizeof f, "%s/30-bad.yaml", d);
	write_file(f, "version: 1\n"
		      "rules:\n"
		      "  - name: a\n"
		      "    cooldown: soon\n"
		      "  - name: d\n"
		      "    guest:\n"
		      "      - rps: all\n");
	pol_diag_free(&g);
	pol_diag_init(&g);
	assert_null(pol_load_with_dropins(p, NULL, &g));
	assert_int_equal(g.n, 2);
	char want[256];
	snprintf(want, sizeof want, "%s:4:15: cooldown: 'soon' is not a duration (like 10s, 500ms, 2m, 1h)", f);
	assert_string_equal(g.msgs[0], want);
	snprintf(want, sizeof want, "%s:5:5: rule has no 'when' condition", f); /* a new rule is whole */
	assert_string_equal(g.msgs[1], want);
	pol_diag_free(&g);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_loads),
		cmocka_unit_test(test_default_pairs),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_broken_file),
		cmocka_unit_test(test_baseline_guest_only),
		cmocka_unit_test(test_small_cases),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_dropins),
		cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_not_regular),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
