/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_apply: the one journaled change helper on a /proc/sys fixture tree —
 * a change is journaled and made, made once, refused values and absent knobs
 * counted, a dry run changes nothing, a knob an administrator set by hand is
 * left alone (and the engine stops managing it), a journal that cannot be
 * written stops everything, an expanding action's planning error is said. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "action.h"
#include "apply.h"
#include "journal.h"
#include "policy.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct fx {
	char root[64], jpath[96];
	struct pol_set *set;
	struct pol_engine *e;
	struct pol_plan plan;
	char outcomes[512];
};

static void put(const char *root, const char *rel, const char *content)
{
	char p[256], d[256];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(d, sizeof d, "%.*s", (int)(s - p), p);
		mkdir(d, 0755);
	}
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static const char *val(const struct fx *f, const char *rel)
{
	static char b[64];
	char p[256];
	snprintf(p, sizeof p, "%s/%s", f->root, rel);
	FILE *fp = fopen(p, "r");
	assert_non_null(fp);
	size_t n = fread(b, 1, sizeof b - 1, fp);
	fclose(fp);
	b[n] = '\0';
	b[strcspn(b, "\n")] = '\0';
	return b;
}

static void count(void *arg, const char *outcome)
{
	struct fx *f = arg;
	strcat(f->outcomes, outcome);
	strcat(f->outcomes, " ");
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

#define SOMAX "proc/sys/net/core/somaxconn"

static int setup(void **state)
{
	static const char text[] =
		"version: 1\n"
		"rules:\n"
		"  - name: r\n"
		"    when: guest.cpu.steal > 1%\n"
		"    guest:\n"
		"      - sysctl: net.core.somaxconn\n"
		"        set: 8192\n";
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->root, sizeof f->root, "/tmp/vtune-apply-XXXXXX");
	if (!f || !mkdtemp(f->root))
		return -1;
	snprintf(f->jpath, sizeof f->jpath, "%s/journal", f->root);
	put(f->root, SOMAX, "4096\n");
	f->set = pol_load_string("t.yaml", text, NULL);
	f->e = pol_engine_new(f->set);
	pol_plan_init(&f->plan);
	struct act_plan_in in = { &f->set->rules[0], &f->set->rules[0].actions[0], "why", NULL, NULL, NULL, NULL };
	/* no current value: a note; plan the change by hand instead */
	struct pol_change *c = pol_plan_add(&f->plan, in.rule, in.a, "sysctl", "guest.cpu.steal=5%");
	snprintf(c->new, sizeof c->new, "8192");
	*state = f;
	return f->set && f->e ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	pol_plan_free(&f->plan);
	pol_engine_free(f->e);
	pol_set_free(f->set);
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void test_change_once(void **state)
{
	struct fx *f = *state;
	int err, failed = 0;
	struct journal *j = journal_open(f->jpath, &err);
	assert_non_null(j);
	struct apply_ctx ac = { .journal = j, .root = f->root, .engine = f->e, .subject = "vm1",
				.guest = "vm1", .failed = &failed, .count = count, .count_arg = f };
	const struct pol_change *ch = &f->plan.v[0];
	assert_int_equal(apply_knob(&ac, ch, "sysctl", "", "net.core.somaxconn", "8192"), 1);
	assert_string_equal(val(f, SOMAX), "8192");
	assert_int_equal(apply_knob(&ac, ch, "sysctl", "", "net.core.somaxconn", "8192"), 0);
	/* journaled before, for the guest it was made for */
	assert_int_equal(journal_count(j), 2);
	assert_string_equal(journal_record(j, 0)->op, "set");
	assert_string_equal(journal_record(j, 0)->guest, "vm1");
	assert_string_equal(journal_record(j, 0)->old, "4096");
	assert_string_equal(journal_record(j, 1)->op, "applied");
	/* refused by the allow-list, and a knob this kernel lacks */
	assert_int_equal(apply_knob(&ac, ch, "sysctl", "", "net.core.somaxconn", "99999999"), 0);
	assert_int_equal(apply_knob(&ac, ch, "sysctl", "", "net.core.netdev_budget", "600"), 0);
	assert_int_equal(failed, 1);
	assert_string_equal(f->outcomes, "applied unchanged failed unchanged ");
	assert_int_equal(journal_count(j), 2);
	journal_close(j);
}

static void test_left_alone(void **state)
{
	struct fx *f = *state;
	int err;
	struct journal *j = journal_open(f->jpath, &err);
	struct apply_ctx ac = { .journal = j, .root = f->root, .engine = f->e, .subject = "vm1",
				.count = count, .count_arg = f };
	const struct pol_change *ch = &f->plan.v[0];
	assert_int_equal(apply_knob(&ac, ch, "sysctl", "", "net.core.somaxconn", "8192"), 1);
	put(f->root, SOMAX, "9000\n"); /* the administrator */
	assert_int_equal(apply_knob(&ac, ch, "sysctl", "", "net.core.somaxconn", "8192"), 0);
	assert_string_equal(val(f, SOMAX), "9000");
	assert_int_equal(journal_count(j), 2); /* nothing journaled */
	const char *id, *now;
	assert_int_equal(pol_engine_unmanaged(f->e, "vm1", 0, &id, &now), 0);
	assert_string_equal(id, "sysctl net.core.somaxconn");
	assert_string_equal(now, "9000");
	assert_string_equal(f->outcomes, "applied left_alone ");
	journal_close(j);
}

static void test_dry_run_and_journal_errors(void **state)
{
	struct fx *f = *state;
	int err;
	const struct pol_change *ch = &f->plan.v[0];
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct apply_ctx dry = { .root = f->root, .dry_run = 1, .out = out };
	assert_int_equal(apply_knob(&dry, ch, "sysctl", "", "net.core.somaxconn", "8192"), 1);
	fclose(out);
	assert_string_equal(buf, "would set sysctl net.core.somaxconn 4096 -> 8192 (rule r)\n");
	free(buf);
	assert_string_equal(val(f, SOMAX), "4096");
	/* without a journal nothing may change */
	struct apply_ctx none = { .root = f->root };
	assert_int_equal(apply_knob(&none, ch, "sysctl", "", "net.core.somaxconn", "8192"), -EINVAL);
	/* a journal that cannot be written stops everything */
	struct journal *j = journal_open(f->jpath, &err);
	journal_close(j);
	j = journal_open_ro(f->jpath, &err);
	assert_non_null(j);
	struct apply_ctx ro = { .journal = j, .root = f->root };
	assert_int_equal(apply_knob(&ro, ch, "sysctl", "", "net.core.somaxconn", "8192"), -EROFS);
	assert_string_equal(val(f, SOMAX), "4096");
	journal_close(j);
}

static int plan_fails(const struct act_ctx *c, const struct pol_change *ch, act_change_fn fn,
		      void *arg, char *why, size_t n)
{
	(void)c, (void)ch;
	/* one knob made, then the plan gives up */
	fn(arg, "sysctl", "", "net.core.somaxconn", "8192");
	snprintf(why, n, "no such thing here");
	return -ENOENT;
}

static void test_expand(void **state)
{
	struct fx *f = *state;
	int err, failed = 0;
	struct journal *j = journal_open(f->jpath, &err);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct apply_ctx ac = { .journal = j, .root = f->root, .out = out, .failed = &failed };
	struct act_ctx x = { &ac, NULL };
	assert_int_equal(apply_expand(&x, &f->plan.v[0], plan_fails), 0);
	fclose(out);
	assert_string_equal(val(f, SOMAX), "8192"); /* what was made stays journaled */
	assert_int_equal(failed, 1);
	assert_non_null(strstr(buf, "sysctl net.core.somaxconn: no such thing here (rule r)"));
	free(buf);
	journal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_change_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_and_journal_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
