/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_verify: effect verification in the policy engine on scripted metric
 * sequences with a fake clock: a change that improves is kept; one without
 * effect is reverted and its rule quarantined; a guard that falls reverts
 * it; noise inside the bound keeps it; the quarantine ends and the rule may
 * act again. Also the rule keys that set it up, and the goals of a
 * condition. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine.h"
#include "vclock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ull

static int current(void *arg, enum pol_side side, const char *kind,
		   const char *key, char *buf, size_t n)
{
	(void)arg, (void)side, (void)kind, (void)key;
	snprintf(buf, n, "128");
	return 0;
}

static struct pol_set *load(const char *text)
{
	struct pol_diag d;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_string("t.yaml", text, &d);
	for (size_t i = 0; i < d.n; i++)
		print_message("%s\n", d.msgs[i]);
	pol_diag_free(&d);
	assert_non_null(s);
	return s;
}

static const char rx_policy[] =
	"version: 1\n"
	"rules:\n"
	"  - name: rx\n"
	"    when: guest.netrx.imbalance >= 3\n"
	"    clear: guest.netrx.imbalance < 1.5\n"
	"    for: 2s\n"
	"    cooldown: 10s\n"
	"    quarantine: 1m\n"
	"    guest:\n"
	"      - sysctl: net.core.somaxconn\n"
	"        scale: 2\n"
	"        max: 4096\n";

struct fx {
	struct pol_set *set;
	struct pol_engine *e;
	struct pol_plan plan;
	struct mvec g;
	int64_t next_seq;
	int records; /* tell the engine the records of each firing */
};

static struct fx *fx_new(const char *policy)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->set = load(policy);
	f->e = pol_engine_new(f->set);
	assert_non_null(f->e);
	f->next_seq = 7;
	f->records = 1;
	vclock_fake_start(1000 * SEC, 0);
	return f;
}

static void fx_free(struct fx *f)
{
	vclock_fake_stop();
	pol_plan_free(&f->plan);
	pol_engine_free(f->e);
	pol_set_free(f->set);
	free(f);
}

/* One sample (imbalance, accepts) at the fake clock's time, then one
 * second on. A firing's changes are "journaled" as one record each.
 * Returns how many rules fired. */
static int step(struct fx *f, double imbalance, double accepts)
{
	mvec_set(&f->g, M_GUEST_NETRX_IMBALANCE, imbalance);
	mvec_set(&f->g, M_GUEST_TCP_PASSIVE_OPENS, accepts);
	pol_plan_clear(&f->plan);
	int r = pol_engine_step(f->e, "vm1", vclock_mono_ns(), &f->g, NULL, current, NULL,
				&f->plan);
	assert_true(r >= 0);
	if (r > 0) {
		int64_t seq[8];
		size_t n = 0;
		for (size_t i = 0; i < f->plan.n && n < 8; i++)
			if (strcmp(f->plan.v[i].kind, "note"))
				seq[n++] = f->next_seq++;
		assert_int_equal(pol_engine_records(f->e, "vm1", "rx", seq, f->records ? n : 0), 0);
	}
	vclock_fake_advance(SEC);
	return r;
}

/* Fire at t = 2 s on imbalance 6 and 1,000 accepts/s. */
static void fire(struct fx *f)
{
	assert_int_equal(step(f, 6, 1000), 0);
	assert_int_equal(step(f, 6, 1000), 0);
	assert_int_equal(step(f, 6, 1000), 1);
}

static int verdict(struct fx *f, struct pol_verdict *v)
{
	return pol_engine_take_verdict(f->e, "vm1", v);
}

static void test_improves_kept(void **state)
{
	(void)state;
	struct pol_verdict v;
	struct fx *f = fx_new(rx_policy);
	fire(f);
	/* t = 3: the sample of the change itself; t = 4, 5, 6: the window */
	step(f, 3, 1000);
	step(f, 1.2, 1010);
	step(f, 1.1, 1000);
	assert_int_equal(verdict(f, &v), 0);
	step(f, 1.2, 990);
	assert_int_equal(verdict(f, &v), 1);
	assert_int_equal(v.revert, 0);
	assert_string_equal(v.reason, "cleared");
	assert_string_equal(v.rule, "rx");
	assert_string_equal(v.text,
			    "kept: cleared — guest.netrx.imbalance 6 → 1.2, accepts 1,000 → 1,000/s");
	assert_int_equal(v.nseq, 1);
	assert_int_equal(v.seq[0], 7);
	pol_verdict_free(&v);
	assert_int_equal(verdict(f, &v), 0);
	fx_free(f);

	/* a move by more than the bound the right way, short of clear: kept */
	f = fx_new(rx_policy);
	fire(f);
	for (int i = 0; i < 4; i++)
		step(f, 4, 1000);
	assert_int_equal(verdict(f, &v), 1);
	assert_int_equal(v.revert, 0);
	assert_string_equal(v.reason, "improved");
	pol_verdict_free(&v);
	fx_free(f);
}

static void test_no_effect_reverted_quarantined(void **state)
{
	(void)state;
	struct pol_verdict v;
	const char *text;
	int reverted;
	uint64_t until;
	struct fx *f = fx_new(rx_policy);
	fire(f);
	uint64_t t_fire = vclock_mono_ns() - SEC;
	for (int i = 0; i < 4; i++)
		assert_int_equal(step(f, 5.8, 1000), 0);
	assert_int_equal(verdict(f, &v), 1);
	assert_int_equal(v.revert, 1);
	assert_string_equal(v.reason, "no_effect");
	assert_string_equal(v.text,
			    "reverted: no effect — guest.netrx.imbalance 6 → 5.8, accepts 1,000 → 1,000/s");
	assert_int_equal(v.nseq, 1);
	assert_int_equal(v.seq[0], 7);
	/* quarantined for a minute from the verdict at t = 6 */
	assert_int_equal(v.until_ns, t_fire + 4 * SEC + 60 * SEC);
	pol_verdict_free(&v);
	assert_int_equal(pol_engine_last_verdict(f->e, "vm1", "rx", &text, &reverted, &until), 0);
	assert_int_equal(reverted, 1);
	assert_int_equal(until, t_fire + 64 * SEC);
	assert_non_null(strstr(text, "no effect"));
	assert_int_equal(pol_engine_rule_active(f->e, "vm1", "rx"), 0);
	/* the symptom goes on: no firing for the whole quarantine, though
	 * the cooldown (10 s) is long over */
	for (int i = 0; i < 59; i++)
		assert_int_equal(step(f, 6, 1000), 0);
	fx_free(f);
}

static void test_quarantine_expires(void **state)
{
	(void)state;
	struct pol_verdict v;
	struct fx *f = fx_new(rx_policy);
	fire(f);
	for (int i = 0; i < 4; i++)
		step(f, 6, 1000);
	assert_int_equal(verdict(f, &v), 1);
	assert_int_equal(v.revert, 1);
	uint64_t until = v.until_ns;
	pol_verdict_free(&v);
	int fired_at = -1;
	for (int i = 0; i < 70 && fired_at < 0; i++) {
		uint64_t t = vclock_mono_ns();
		if (step(f, 6, 1000) == 1) {
			fired_at = i;
			assert_true(t >= until);
			assert_true(t < until + SEC);
		}
	}
	assert_true(fired_at >= 0);
	assert_int_equal(pol_engine_rule_active(f->e, "vm1", "rx"), 1);
	/* a new trial: this time it works */
	for (int i = 0; i < 4; i++)
		step(f, 1, 1100);
	assert_int_equal(verdict(f, &v), 1);
	assert_int_equal(v.revert, 0);
	assert_int_equal(v.seq[0], 8);
	pol_verdict_free(&v);
	fx_free(f);
}

static void test_guard_falls_reverted(void **state)
{
	(void)state;
	struct pol_verdict v;
	struct fx *f = fx_new(rx_policy);
	fire(f);
	step(f, 1.2, 900);
	step(f, 1.2, 820);
	step(f, 1.1, 790);
	step(f, 1.2, 805);
	assert_int_equal(verdict(f, &v), 1);
	assert_int_equal(v.revert, 1);
	assert_string_equal(v.reason, "accept_rate_fell");
	assert_string_equal(v.text, "reverted: accept rate fell — accepts 1,000 → 805/s, "
				    "guest.netrx.imbalance 6 → 1.2");
	pol_verdict_free(&v);
	fx_free(f);

	/* another guard the rule names */
	static const char pol2[] =
		"version: 1\n"
		"rules:\n"
		"  - name: rx\n"
		"    when: guest.netrx.imbalance >= 3\n"
		"    for: 2s\n"
		"    guard: [guest.softnet.processed]\n"
		"    window: 2\n"
		"    bound: 20%\n"
		"    guest:\n"
		"      - sysctl: net.core.somaxconn\n"
		"        scale: 2\n";
	f = fx_new(pol2);
	mvec_set(&f->g, M_GUEST_SOFTNET_PROCESSED, 5000);
	fire(f);
	mvec_set(&f->g, M_GUEST_SOFTNET_PROCESSED, 3000);
	for (int i = 0; i < 3; i++)
		step(f, 1, 1000);
	assert_int_equal(verdict(f, &v), 1);
	assert_int_equal(v.revert, 1);
	assert_string_equal(v.reason, "guard_fell");
	assert_string_equal(v.text, "reverted: guest.softnet.processed fell — "
				    "guest.softnet.processed 5,000 → 3,000/s, "
				    "guest.netrx.imbalance 6 → 1, accepts 1,000 → 1,000/s");
	pol_verdict_free(&v);
	fx_free(f);
}

static void test_noise_inside_bound_kept(void **state)
{
	(void)state;
	struct pol_verdict v;
	struct fx *f = fx_new(rx_policy);
	assert_int_equal(step(f, 6, 1000), 0);
	assert_int_equal(step(f, 6, 1060), 0);
	assert_int_equal(step(f, 6, 940), 1);
	step(f, 1.3, 700); /* the sample of the change: not counted */
	step(f, 1.3, 930);
	step(f, 1.3, 1050);
	step(f, 1.3, 950);
	assert_int_equal(verdict(f, &v), 1);
	assert_int_equal(v.revert, 0);
	pol_verdict_free(&v);
	fx_free(f);

	/* a mean 14 % lower, but the window's median as high as the lowest
	 * sample before: not a fall beyond the noise */
	f = fx_new(rx_policy);
	step(f, 6, 1000);
	step(f, 6, 1100);
	assert_int_equal(step(f, 6, 900), 1);
	step(f, 1, 900);
	step(f, 1, 700);
	step(f, 1, 950);
	step(f, 1, 920);
	assert_int_equal(verdict(f, &v), 1);
	assert_int_equal(v.revert, 0);
	pol_verdict_free(&v);
	fx_free(f);
}

/* Nothing changed (no records): no trial, no verdict, no quarantine. */
static void test_no_records_no_trial(void **state)
{
	(void)state;
	struct pol_verdict v;
	struct fx *f = fx_new(rx_policy);
	f->records = 0;
	fire(f);
	for (int i = 0; i < 5; i++)
		step(f, 6, 500);
	assert_int_equal(verdict(f, &v), 0);
	fx_free(f);
}

/* improve: none — only the guards are judged. */
static void test_improve_none(void **state)
{
	(void)state;
	static const char pol[] =
		"version: 1\n"
		"rules:\n"
		"  - name: rx\n"
		"    when: guest.netrx.imbalance >= 3\n"
		"    for: 2s\n"
		"    improve: none\n"
		"    guest:\n"
		"      - sysctl: net.core.somaxconn\n"
		"        scale: 2\n";
	struct pol_verdict v;
	struct fx *f = fx_new(pol);
	fire(f);
	for (int i = 0; i < 4; i++)
		step(f, 6, 1000);
	assert_int_equal(verdict(f, &v), 1);
	assert_int_equal(v.revert, 0);
	assert_string_equal(v.reason, "guards_held");
	pol_verdict_free(&v);
	fx_free(f);
}

/* The keys, their defaults and their errors. */
static void test_keys(void **state)
{
	(void)state;
	struct pol_set *s = load(rx_policy);
	const struct pol_rule *r = pol_set_rule(s, "rx");
	assert_int_equal(r->verify.window, 3);
	assert_true(r->verify.bound > 0.0999 && r->verify.bound < 0.1001);
	assert_int_equal(r->verify.quarantine_ns, 60 * SEC);
	char d[512];
	pol_verify_describe(r, d, sizeof d);
	assert_string_equal(d, "expect within 3 intervals: guest.netrx.imbalance < 1.5 (or its "
			       "metrics moving that way by more than 10 %), accepts "
			       "(guest.tcp.passive_opens) not falling by more than 10 %; else "
			       "reverted and quarantined 1m");
	pol_set_free(s);

	static const char bad[] =
		"version: 1\n"
		"rules:\n"
		"  - name: a\n"
		"    when: guest.netrx.imbalance >= 3\n"
		"    cooldown: 2m\n"
		"    improve: guest.nope > 1\n"
		"    guard: [guest.tcp.passive_opens, guest.what, guest.softnet.processed, guest.softnet.processed]\n"
		"    window: 0\n"
		"    bound: 10\n"
		"    quarantine: 1m\n"
		"    guest:\n"
		"      - note: x\n";
	struct pol_diag dg;
	pol_diag_init(&dg);
	assert_null(pol_load_string("b.yaml", bad, &dg));
	const char *want[] = {
		"b.yaml:6:14: improve: unknown metric 'guest.nope'",
		"b.yaml:7:38: guard: 'guest.what' is not a metric (see vtune-policies(5))",
		"b.yaml:7:75: guard: 'guest.softnet.processed' twice",
		"b.yaml:8:13: window: '0' is not a number of intervals in 1..20",
		"b.yaml:9:12: bound: '10' is not a percentage like 10%",
		"b.yaml:10:17: quarantine: shorter than the rule's cooldown (120s): it is a longer cooldown",
	};
	for (size_t i = 0; i < dg.n; i++)
		print_message("%s\n", dg.msgs[i]);
	assert_int_equal(dg.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < dg.n; i++)
		assert_string_equal(dg.msgs[i], want[i]);
	pol_diag_free(&dg);
}

static void test_goals(void **state)
{
	(void)state;
	struct expr *e;
	char err[128];
	int col, ids[8], dirs[8];
	assert_int_equal(expr_parse("guest.tcp.reqq_full_drops < 0.1/s and "
				    "not (5 < guest.netrx.imbalance) or "
				    "guest.tcp.time_wait / guest.ports.range > 0.7 or "
				    "guest.cpus == 2", &e, &col, err, sizeof err), 0);
	assert_int_equal(expr_goals(e, ids, dirs, 8), 2);
	assert_int_equal(ids[0], M_GUEST_TCP_REQQ_FULL_DROPS);
	assert_int_equal(dirs[0], -1);
	assert_int_equal(ids[1], M_GUEST_NETRX_IMBALANCE);
	assert_int_equal(dirs[1], -1);
	expr_free(e);
}

/* Two rules on one knob: the second waits while the first one's change is
 * watched (one change per knob at a time), a rule on another knob does
 * not; once the first is judged, the second acts. */
static void test_one_change_per_knob(void **state)
{
	(void)state;
	static const char pol[] =
		"version: 1\n"
		"rules:\n"
		"  - name: first\n"
		"    when: guest.netrx.imbalance >= 3\n"
		"    improve: none\n"
		"    guest:\n"
		"      - sysctl: net.core.somaxconn\n"
		"        scale: 2\n"
		"  - name: second\n"
		"    when: guest.tcp.passive_opens >= 500/s\n"
		"    improve: none\n"
		"    guest:\n"
		"      - sysctl: net.core.somaxconn\n"
		"        scale: 2\n"
		"  - name: other\n"
		"    when: guest.tcp.passive_opens >= 500/s\n"
		"    improve: none\n"
		"    guest:\n"
		"      - sysctl: net.core.netdev_max_backlog\n"
		"        scale: 2\n";
	struct fx *f = fx_new(pol);
	struct pol_verdict v;
	int64_t seq = 1;
	mvec_set(&f->g, M_GUEST_NETRX_IMBALANCE, 6);
	mvec_set(&f->g, M_GUEST_TCP_PASSIVE_OPENS, 1000);
	/* t = 0: first and other fire; second waits for first's verdict */
	assert_int_equal(pol_engine_step(f->e, "vm1", vclock_mono_ns(), &f->g, NULL, current,
					 NULL, &f->plan), 2);
	for (size_t i = 0; i < f->plan.n; i++)
		assert_string_not_equal(f->plan.v[i].rule, "second");
	assert_int_equal(pol_engine_records(f->e, "vm1", "first", &seq, 1), 0);
	seq++;
	assert_int_equal(pol_engine_records(f->e, "vm1", "other", &seq, 1), 0);
	/* the change's own sample, then the window of 3: second still waits */
	for (int t = 1; t <= 3; t++) {
		vclock_fake_advance(SEC);
		pol_plan_clear(&f->plan);
		assert_int_equal(pol_engine_step(f->e, "vm1", vclock_mono_ns(), &f->g, NULL,
						 current, NULL, &f->plan), 0);
	}
	/* t = 4: both judged (kept: nothing fell); second acts in that step */
	vclock_fake_advance(SEC);
	pol_plan_clear(&f->plan);
	assert_int_equal(pol_engine_step(f->e, "vm1", vclock_mono_ns(), &f->g, NULL, current,
					 NULL, &f->plan), 1);
	assert_string_equal(f->plan.v[0].rule, "second");
	for (int k = 0; k < 2; k++) {
		assert_int_equal(verdict(f, &v), 1);
		assert_int_equal(v.revert, 0);
		pol_verdict_free(&v);
	}
	fx_free(f);
}

/* A firing whose records all changed nothing (the guest found its knobs
 * already there) ends without a verdict; one record left keeps the trial. */
static void test_unrecord(void **state)
{
	(void)state;
	struct pol_verdict v;
	struct fx *f = fx_new(rx_policy);
	f->records = 0; /* told by hand below */
	assert_int_equal(step(f, 6, 1000), 0);
	assert_int_equal(step(f, 6, 1000), 0);
	assert_int_equal(step(f, 6, 1000), 1);
	int64_t seq[2] = { 40, 41 };
	/* step() told "no records" (records = 0): no trial left; fire anew */
	assert_int_equal(pol_engine_unrecord(f->e, "vm1", "rx", 40), -ENOENT);
	fx_free(f);

	f = fx_new(rx_policy);
	assert_int_equal(step(f, 6, 1000), 0);
	assert_int_equal(step(f, 6, 1000), 0);
	mvec_set(&f->g, M_GUEST_NETRX_IMBALANCE, 6);
	pol_plan_clear(&f->plan);
	assert_int_equal(pol_engine_step(f->e, "vm1", vclock_mono_ns(), &f->g, NULL, current,
					 NULL, &f->plan), 1);
	assert_int_equal(pol_engine_records(f->e, "vm1", "rx", seq, 2), 0);
	vclock_fake_advance(SEC);
	assert_int_equal(pol_engine_unrecord(f->e, "vm1", "rx", 99), -ENOENT);
	assert_int_equal(pol_engine_unrecord(f->e, "vm1", "rx", 41), 0);
	assert_int_equal(pol_engine_unrecord(f->e, "vm1", "rx", 40), 1);
	for (int i = 0; i < 6; i++)
		step(f, 6, 500); /* a fall that would revert it: nothing to judge */
	assert_int_equal(verdict(f, &v), 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_improves_kept),
		cmocka_unit_test(test_no_effect_reverted_quarantined),
		cmocka_unit_test(test_quarantine_expires),
		cmocka_unit_test(test_guard_falls_reverted),
		cmocka_unit_test(test_noise_inside_bound_kept),
		cmocka_unit_test(test_no_records_no_trial),
		cmocka_unit_test(test_improve_none),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_goals),
		cmocka_unit_test(test_one_change_per_knob),
		cmocka_unit_test(test_unrecord),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
