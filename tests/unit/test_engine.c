/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_engine: the policy engine on scripted metric sequences with a fake
 * clock: for, gaps, cooldown, bounds, hysteresis, several subjects and
 * knobs the administrator took over. */
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

/* A fake knob table the current() callback reads. */
struct knobs {
	const char *key[8];
	char val[8][48];
	int n, calls;
};

static void knob_set(struct knobs *k, const char *key, const char *val)
{
	for (int i = 0; i < k->n; i++)
		if (!strcmp(k->key[i], key)) {
			snprintf(k->val[i], sizeof k->val[i], "%s", val);
			return;
		}
	k->key[k->n] = key;
	snprintf(k->val[k->n++], sizeof k->val[0], "%s", val);
}

static int current(void *arg, enum pol_side side, const char *kind,
		   const char *key, char *buf, size_t n)
{
	struct knobs *k = arg;
	(void)side;
	k->calls++;
	/* a one-word action's knob is its kind's ("bridge_nf": on or off) */
	if (strcmp(kind, "sysctl"))
		key = kind;
	for (int i = 0; i < k->n; i++)
		if (!strcmp(k->key[i], key)) {
			snprintf(buf, n, "%s\n", k->val[i]);
			return 0;
		}
	return -ENOENT;
}

/* Apply a plan's sysctl changes to the knob table, like an executor. */
static void apply(struct knobs *k, const struct pol_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].kind, "sysctl"))
			knob_set(k, p->v[i].key, p->v[i].new);
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

static const char overflow_policy[] =
	"version: 1\n"
	"rules:\n"
	"  - name: overflow\n"
	"    when: guest.tcp.listen_overflows > 10/s\n"
	"    clear: guest.tcp.listen_overflows < 1/s\n"
	"    for: 10s\n"
	"    cooldown: 60s\n"
	"    guest:\n"
	"      - sysctl: net.core.somaxconn\n"
	"        scale: 2\n"
	"        max: 4096\n"
	"      - note: check the backlog\n";

struct fx {
	struct pol_set *set;
	struct pol_engine *e;
	struct knobs k;
	struct pol_plan plan;
	struct mvec g;
};

static struct fx *fx_new(const char *policy)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->set = load(policy);
	f->e = pol_engine_new(f->set);
	assert_non_null(f->e);
	knob_set(&f->k, "net.core.somaxconn", "128");
	mvec_clear(&f->g);
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

/* One sample of listen_overflows for a subject at the fake clock's time,
 * then advance the clock by dt seconds. Returns how many rules fired. */
static int sample(struct fx *f, const char *subj, double overflows, unsigned dt)
{
	mvec_set(&f->g, M_GUEST_TCP_LISTEN_OVERFLOWS, overflows);
	pol_plan_clear(&f->plan);
	int r = pol_engine_step(f->e, subj, vclock_mono_ns(), &f->g, NULL,
				current, &f->k, &f->plan);
	assert_true(r >= 0);
	apply(&f->k, &f->plan);
	vclock_fake_advance(dt * SEC);
	return r;
}

static void test_fires_after_for(void **state)
{
	(void)state;
	struct fx *f = fx_new(overflow_policy);
	/* true at t = 0..9 s: not yet */
	for (int i = 0; i < 10; i++)
		assert_int_equal(sample(f, "vm1", 52, 1), 0);
	assert_int_equal(f->plan.n, 0);
	/* t = 10 s: held for 10 s */
	assert_int_equal(sample(f, "vm1", 52, 1), 1);
	assert_int_equal(f->plan.n, 2);
	const struct pol_change *c = &f->plan.v[0];
	assert_string_equal(c->rule, "overflow");
	assert_int_equal(c->side, POL_GUEST);
	assert_string_equal(c->kind, "sysctl");
	assert_string_equal(c->key, "net.core.somaxconn");
	assert_string_equal(c->old, "128");
	assert_string_equal(c->new, "256");
	assert_string_equal(c->why, "guest.tcp.listen_overflows=52.0/s");
	assert_string_equal(f->plan.v[1].kind, "note");
	assert_string_equal(f->plan.v[1].note, "check the backlog");
	assert_int_equal(pol_engine_rule_active(f->e, "vm1", "overflow"), 1);
	/* active: no second firing within the cooldown, however true the
	 * condition stays (t = 11 .. 70) */
	for (int i = 0; i < 60; i++)
		assert_int_equal(sample(f, "vm1", 52, 1), 0);
	/* held through a whole cooldown: it escalates, 256 -> 512 */
	assert_int_equal(sample(f, "vm1", 52, 1), 1);
	assert_string_equal(f->plan.v[0].old, "256");
	assert_string_equal(f->plan.v[0].new, "512");
	fx_free(f);
}

static void test_gap_resets_timer(void **state)
{
	(void)state;
	struct fx *f = fx_new(overflow_policy);
	for (int i = 0; i < 9; i++)
		assert_int_equal(sample(f, "vm1", 50, 1), 0);
	assert_int_equal(sample(f, "vm1", 5, 1), 0);	/* one false sample */
	/* t = 10..19: the timer restarted at t = 10 */
	for (int i = 0; i < 10; i++)
		assert_int_equal(sample(f, "vm1", 50, 1), 0);
	assert_int_equal(sample(f, "vm1", 50, 1), 1);	/* t = 20 */
	/* a missing metric is no sample of truth either */
	fx_free(f);

	f = fx_new(overflow_policy);
	for (int i = 0; i < 9; i++)
		assert_int_equal(sample(f, "vm1", 50, 1), 0);
	mvec_clear(&f->g);
	pol_plan_clear(&f->plan);
	assert_int_equal(pol_engine_step(f->e, "vm1", vclock_mono_ns(), &f->g, NULL,
					 current, &f->k, &f->plan), 0);
	vclock_fake_advance(SEC);
	for (int i = 0; i < 10; i++)
		assert_int_equal(sample(f, "vm1", 50, 1), 0);
	assert_int_equal(sample(f, "vm1", 50, 1), 1);
	fx_free(f);
}

static void test_cooldown(void **state)
{
	(void)state;
	struct fx *f = fx_new(overflow_policy);
	for (int i = 0; i < 10; i++)
		sample(f, "vm1", 50, 1);
	assert_int_equal(sample(f, "vm1", 50, 1), 1);	/* fired at t = 10 */
	/* clear holds t = 11..21: inactive from t = 21 */
	for (int i = 0; i < 10; i++)
		assert_int_equal(sample(f, "vm1", 0, 1), 0);
	assert_int_equal(sample(f, "vm1", 0, 1), 0);	/* t = 21 */
	assert_int_equal(pol_engine_rule_active(f->e, "vm1", "overflow"), 0);
	/* true again from t = 22: for is met at 32, cooldown only at 70 */
	int fired_at = -1;
	for (int t = 22; t < 100; t++)
		if (sample(f, "vm1", 50, 1) && fired_at < 0)
			fired_at = t;
	assert_int_equal(fired_at, 70);
	assert_string_equal(f->plan.v[0].old, "256");
	fx_free(f);
}

static void test_stops_at_max(void **state)
{
	(void)state;
	struct fx *f = fx_new(overflow_policy);
	static const char *const seq[] = { "256", "512", "1024", "2048", "4096" };
	knob_set(&f->k, "net.core.somaxconn", "128");
	for (int round = 0; round < 7; round++) {
		/* fire: 11 true samples, then clear for 11 s, then wait out
		 * the cooldown */
		int fired = 0;
		for (int i = 0; i < 11; i++)
			fired += sample(f, "vm1", 50, 1);
		assert_int_equal(fired, 1);
		const struct pol_change *c = &f->plan.v[0];
		if (round < 5) {
			assert_string_equal(c->kind, "sysctl");
			assert_string_equal(c->new, seq[round]);
		} else {
			assert_string_equal(c->kind, "note");
			assert_string_equal(c->key, "net.core.somaxconn");
			assert_string_equal(c->old, "4096");
			assert_string_equal(c->note, "net.core.somaxconn at max (4096), not changed");
		}
		for (int i = 0; i < 60; i++)
			sample(f, "vm1", 0, 1);
	}
	/* a value above max is never lowered by a raising rule */
	knob_set(&f->k, "net.core.somaxconn", "8192");
	for (int i = 0; i < 11; i++)
		sample(f, "vm1", 50, 1);
	assert_string_equal(f->plan.v[0].kind, "note");
	assert_non_null(strstr(f->plan.v[0].note, "at max"));
	fx_free(f);
}

/* The metric oscillates around the threshold: with hysteresis the rule
 * fires once; without (default clear) it fires again after each dip. */
static void test_hysteresis_no_flapping(void **state)
{
	(void)state;
	static const char flappy[] =
		"version: 1\n"
		"rules:\n"
		"  - name: flappy\n"
		"    when: guest.tcp.listen_overflows > 10/s\n"
		"    for: 5s\n"
		"    cooldown: 30s\n"
		"    guest:\n"
		"      - note: x\n";
	static const char steady[] =
		"version: 1\n"
		"rules:\n"
		"  - name: steady\n"
		"    when: guest.tcp.listen_overflows > 10/s\n"
		"    clear: guest.tcp.listen_overflows < 1/s\n"
		"    for: 5s\n"
		"    cooldown: 30s\n"
		"    guest:\n"
		"      - note: x\n";
	int fires[2] = { 0, 0 };
	for (int p = 0; p < 2; p++) {
		struct fx *f = fx_new(p ? steady : flappy);
		/* 10 minutes: 12/s for 10 s, 9/s for 10 s, ... */
		for (int t = 0; t < 600; t++)
			fires[p] += sample(f, "vm1", (t / 10) % 2 ? 9 : 12, 1);
		fx_free(f);
	}
	assert_true(fires[0] > 5);
	assert_int_equal(fires[1], 1);
}

/* A problem that persists: the active rule fires again once the condition
 * has held through a whole cooldown after the last firing, never sooner. */
static void test_persistent_escalates(void **state)
{
	(void)state;
	static const char text[] =
		"version: 1\n"
		"rules:\n"
		"  - name: persist\n"
		"    when: guest.tcp.listen_overflows > 10/s\n"
		"    clear: guest.tcp.listen_overflows < 1/s\n"
		"    for: 5s\n"
		"    cooldown: 30s\n"
		"    guest:\n"
		"      - note: x\n";
	struct fx *f = fx_new(text);
	int fired_at[8], n = 0;
	for (int t = 0; t < 100; t++)
		if (sample(f, "vm1", 12, 1) && n < 8)
			fired_at[n++] = t;
	fx_free(f);
	/* t = 5, then a full 30 s cooldown of holding each time: 36, 66, 96 */
	assert_int_equal(n, 4);
	assert_int_equal(fired_at[0], 5);
	for (int i = 1; i < n; i++)
		assert_true(fired_at[i] - fired_at[i - 1] >= 30);
}

static void test_subjects_independent(void **state)
{
	(void)state;
	struct fx *f = fx_new(overflow_policy);
	struct mvec quiet;
	mvec_clear(&quiet);
	mvec_set(&quiet, M_GUEST_TCP_LISTEN_OVERFLOWS, 0);
	int fired_b = 0;
	for (int i = 0; i < 11; i++) {
		uint64_t now = vclock_mono_ns();
		assert_true(sample(f, "vm-a", 50, 0) >= 0);
		pol_plan_clear(&f->plan);
		fired_b += pol_engine_step(f->e, "vm-b", now, &quiet, NULL, current,
					   &f->k, &f->plan);
		vclock_fake_advance(SEC);
	}
	assert_int_equal(fired_b, 0);
	assert_int_equal(pol_engine_rule_active(f->e, "vm-a", "overflow"), 1);
	assert_int_equal(pol_engine_rule_active(f->e, "vm-b", "overflow"), 0);
	assert_int_equal(pol_engine_rule_active(f->e, "vm-c", "overflow"), -ENOENT);
	assert_int_equal(pol_engine_rule_active(f->e, "vm-a", "nope"), -ENOENT);
	/* b's timer starts on its own */
	for (int i = 0; i < 10; i++)
		assert_int_equal(sample(f, "vm-b", 50, 1), 0);
	assert_int_equal(sample(f, "vm-b", 50, 1), 1);
	/* forgetting a subject drops its state: a fires afresh after for */
	assert_int_equal(pol_engine_forget(f->e, "vm-a"), 0);
	assert_int_equal(pol_engine_forget(f->e, "vm-a"), -ENOENT);
	assert_int_equal(pol_engine_rule_active(f->e, "vm-a", "overflow"), -ENOENT);
	for (int i = 0; i < 10; i++)
		assert_int_equal(sample(f, "vm-a", 50, 1), 0);
	assert_int_equal(sample(f, "vm-a", 50, 1), 1);
	fx_free(f);
}

static void test_admin_changed(void **state)
{
	(void)state;
	struct fx *f = fx_new(overflow_policy);
	assert_int_equal(pol_engine_admin_changed(f->e, "vm1", "sysctl net.core.somaxconn", "9000"), 0);
	assert_int_equal(pol_engine_admin_changed(f->e, "vm1", "sysctl net.core.somaxconn", "9000"), 0);
	assert_int_equal(pol_engine_admin_changed(f->e, "vm1", "", NULL), -EINVAL);
	const char *id, *now;
	assert_int_equal(pol_engine_unmanaged(f->e, "vm1", 0, &id, &now), 0);
	assert_string_equal(id, "sysctl net.core.somaxconn");
	assert_string_equal(now, "9000");
	assert_int_equal(pol_engine_unmanaged(f->e, "vm1", 1, &id, &now), -ENOENT);
	int calls = f->k.calls;
	for (int i = 0; i < 11; i++)
		sample(f, "vm1", 50, 1);
	assert_int_equal(f->plan.n, 2);
	assert_string_equal(f->plan.v[0].kind, "note");
	assert_string_equal(f->plan.v[0].key, "net.core.somaxconn");
	assert_string_equal(f->plan.v[0].note,
			    "sysctl net.core.somaxconn: changed by the administrator, no longer managed");
	assert_int_equal(f->k.calls, calls);	/* not even read */
	/* another subject still manages it */
	for (int i = 0; i < 11; i++)
		sample(f, "vm2", 50, 1);
	assert_string_equal(f->plan.v[0].kind, "sysctl");
	fx_free(f);
}

static void test_other_actions(void **state)
{
	(void)state;
	static const char pol[] =
		"version: 1\n"
		"rules:\n"
		"  - name: many\n"
		"    when: guest.cpu.steal >= 10% and host.dom0.busy >= 80%\n"
		"    guest:\n"
		"      - sysctl: net.ipv4.ip_local_port_range\n"
		"        widen: 30000\n"
		"      - sysctl: net.ipv4.tcp_slow_start_after_idle\n"
		"        set: 0\n"
		"      - sysctl: net.ipv4.tcp_max_syn_backlog\n"
		"        step: 1024\n"
		"      - rps: all\n"
		"    host:\n"
		"      - bridge_nf: off\n"
		"      - offload: { features: [tso, gso], state: on }\n"
		"      - pin: dom0-away\n";
	struct fx *f = fx_new(pol);
	struct mvec h;
	mvec_clear(&h);
	mvec_set(&f->g, M_GUEST_CPU_STEAL, 12.5);
	mvec_set(&h, M_HOST_DOM0_BUSY, 95);
	knob_set(&f->k, "net.ipv4.ip_local_port_range", "32768\t60999");
	knob_set(&f->k, "net.ipv4.tcp_slow_start_after_idle", "0");
	knob_set(&f->k, "bridge_nf", "off");
	/* tcp_max_syn_backlog unknown: the callback fails */
	assert_int_equal(pol_engine_step(f->e, "vm1", 0, &f->g, &h, current, &f->k,
					 &f->plan), 1);
	assert_int_equal(f->plan.n, 7);
	const struct pol_change *c = f->plan.v;
	for (size_t i = 0; i < f->plan.n; i++)
		assert_string_equal(c[i].why, "guest.cpu.steal=12.5% host.dom0.busy=95%");
	assert_string_equal(c[0].kind, "sysctl");
	assert_string_equal(c[0].key, "net.ipv4.ip_local_port_range");
	assert_string_equal(c[0].old, "32768 60999");
	assert_string_equal(c[0].new, "2768 60999");
	assert_string_equal(c[1].kind, "note");
	assert_string_equal(c[1].note, "net.ipv4.tcp_slow_start_after_idle already 0, not changed");
	assert_string_equal(c[2].kind, "note");
	assert_string_equal(c[2].note, "net.ipv4.tcp_max_syn_backlog: current value unknown (No such file or directory), not changed");
	assert_string_equal(c[3].kind, "rps");
	assert_int_equal(c[3].side, POL_GUEST);
	assert_string_equal(c[3].key, "all");
	assert_string_equal(c[3].new, "all");
	assert_string_equal(c[4].kind, "note");
	assert_int_equal(c[4].side, POL_HOST);
	assert_string_equal(c[4].note, "bridge_nf already off, nothing to do");
	assert_string_equal(c[5].kind, "offload");
	assert_string_equal(c[5].key, "tap");
	assert_string_equal(c[5].new, "tso,gso=on");
	assert_string_equal(c[6].kind, "pin");
	assert_string_equal(c[6].new, "dom0-away");

	/* widening again stops at the floor (1024) */
	knob_set(&f->k, "net.ipv4.ip_local_port_range", "2768 60999");
	pol_plan_clear(&f->plan);
	assert_int_equal(pol_engine_step(f->e, "vm2", 0, &f->g, &h, current, &f->k,
					 &f->plan), 1);
	assert_string_equal(f->plan.v[0].new, "1024 60999");
	knob_set(&f->k, "net.ipv4.ip_local_port_range", "1024 60999");
	pol_plan_clear(&f->plan);
	assert_int_equal(pol_engine_step(f->e, "vm3", 0, &f->g, &h, current, &f->k,
					 &f->plan), 1);
	assert_string_equal(f->plan.v[0].kind, "note");
	assert_string_equal(f->plan.v[0].note, "net.ipv4.ip_local_port_range at min (1024 60999), not changed");
	/* no callback: sysctls are skipped, other actions planned */
	pol_plan_clear(&f->plan);
	assert_int_equal(pol_engine_step(f->e, "vm4", 0, &f->g, &h, NULL, NULL,
					 &f->plan), 1);
	assert_string_equal(f->plan.v[0].kind, "note");
	assert_string_equal(f->plan.v[3].kind, "rps");
	/* host metric missing: never fires */
	pol_plan_clear(&f->plan);
	assert_int_equal(pol_engine_step(f->e, "vm5", 0, &f->g, NULL, current, &f->k,
					 &f->plan), 0);
	assert_int_equal(f->plan.n, 0);
	/* bad arguments */
	assert_int_equal(pol_engine_step(f->e, NULL, 0, &f->g, &h, NULL, NULL, &f->plan), -EINVAL);
	assert_null(pol_engine_new(NULL));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fires_after_for),
		cmocka_unit_test(test_gap_resets_timer),
		cmocka_unit_test(test_cooldown),
		cmocka_unit_test(test_stops_at_max),
		cmocka_unit_test(test_hysteresis_no_flapping),
		cmocka_unit_test(test_persistent_escalates),
		cmocka_unit_test(test_subjects_independent),
		cmocka_unit_test(test_admin_changed),
		cmocka_unit_test(test_other_actions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
