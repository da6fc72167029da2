/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_apply: the one journaled change helper on a /proc/sys fixture tree —
 * a change is journaled and made, made once, refused values and absent knobs
 * counted, a dry run changes nothing, a knob an administrator set by hand is
 * left alone (and the engine stops managing it), a journal that cannot be
 * written stops everything, an expanding action's planning error is said;
 * plans carried out through the action table by side and mode (the
 * agent's own changes made, the host's told as advice, a guest change
 * under hostd refused here), a journal error stopping a plan, the host's
 * request journaled, an expanding plan's count, the log and output lines. */
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
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	struct act_plan_in in = { &f->set->rules[0], &f->set->rules[0].actions[0], "why", NULL, NULL,
				  NULL, NULL };
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

/* ---- carrying out plans through the action table ---- */

struct fx2 {
	struct fx f;
	struct pol_set *set2;
	struct pol_plan plan2; /* guest sysctl, host bridge_nf, host note */
	struct journal *j;
	char *out;
	size_t outlen, seen;
	FILE *outf;
};

static int setup2(void **state)
{
	static const char text[] =
		"version: 1\n"
		"rules:\n"
		"  - name: r2\n"
		"    when: guest.cpu.steal > 1%\n"
		"    guest:\n"
		"      - sysctl: net.core.somaxconn\n"
		"        set: 8192\n"
		"      - sysctl: net.core.netdev_max_backlog\n"
		"        set: 2000\n"
		"    host:\n"
		"      - bridge_nf: off\n";
	struct fx2 *x = calloc(1, sizeof *x);
	if (!x)
		return -1;
	snprintf(x->f.root, sizeof x->f.root, "/tmp/vtune-apply-XXXXXX");
	if (!mkdtemp(x->f.root))
		return -1;
	snprintf(x->f.jpath, sizeof x->f.jpath, "%s/journal", x->f.root);
	put(x->f.root, SOMAX, "4096\n");
	put(x->f.root, "proc/sys/net/core/netdev_max_backlog", "1000\n");
	x->set2 = pol_load_string("t2.yaml", text, NULL);
	if (!x->set2)
		return -1;
	const struct pol_rule *r = &x->set2->rules[0];
	pol_plan_init(&x->plan2);
	struct pol_change *c = pol_plan_add(&x->plan2, r, &r->actions[0], "sysctl", "guest.cpu.steal=5%");
	snprintf(c->new, sizeof c->new, "8192");
	c = pol_plan_add(&x->plan2, r, &r->actions[1], "sysctl", "guest.cpu.steal=5%");
	snprintf(c->new, sizeof c->new, "2000");
	c = pol_plan_add(&x->plan2, r, &r->actions[2], "bridge_nf", "guest.cpu.steal=5%");
	snprintf(c->new, sizeof c->new, "off");
	if (pol_plan_note(&x->plan2, r, &r->actions[2], "guest.cpu.steal=5%", "",
			  "the host's bridge filters every packet"))
		return -1;
	int err;
	x->j = journal_open(x->f.jpath, &err);
	x->outf = open_memstream(&x->out, &x->outlen);
	*state = x;
	return x->j && x->outf ? 0 : -1;
}

static int teardown2(void **state)
{
	struct fx2 *x = *state;
	if (x->outf)
		fclose(x->outf);
	free(x->out);
	journal_close(x->j);
	pol_plan_free(&x->plan2);
	pol_set_free(x->set2);
	nftw(x->f.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(x);
	return 0;
}

/* What was written to the output since the last call. */
static const char *out_text(struct fx2 *x)
{
	static char b[4096];
	fflush(x->outf);
	snprintf(b, sizeof b, "%s", x->out ? x->out + x->seen : "");
	x->seen = x->outlen;
	return b;
}

static void test_root(void **state)
{
	(void)state;
	struct apply_ctx none = { 0 }, some = { .root = "/tmp/x" };
	assert_string_equal(apply_root(&none), "/");
	assert_string_equal(apply_root(&some), "/tmp/x");
}

/* The standalone agent: its guest's changes made, the host's told as
 * advice, nothing else; under hostd a guest change is the agent's (sent
 * over the channel), so it cannot run here. */
static void test_plan_by_side_and_mode(void **state)
{
	struct fx2 *x = *state;
	struct fx *f = &x->f;
	int failed = 0;
	struct apply_ctx ac = { .journal = x->j, .root = f->root, .out = x->outf,
				.failed = &failed, .count = count, .count_arg = f };
	assert_int_equal(apply_plan(&ac, NULL, &x->plan2, POL_GUEST, ACT_AGENT), 2);
	assert_string_equal(val(f, SOMAX), "8192");
	assert_string_equal(val(f, "proc/sys/net/core/netdev_max_backlog"), "2000");
	const char *o = out_text(x);
	assert_non_null(strstr(o, "net.core.somaxconn 4096 -> 8192 (rule r2)"));
	assert_non_null(strstr(o, "net.core.netdev_max_backlog 1000 -> 2000 (rule r2)"));
	assert_null(strstr(o, "bridge_nf"));
	assert_int_equal(journal_count(x->j), 4);

	/* the host side from inside the VM: advice only, nothing journaled */
	assert_int_equal(apply_plan(&ac, NULL, &x->plan2, POL_HOST, ACT_AGENT), 0);
	o = out_text(x);
	assert_non_null(strstr(o, "rule r2: the fix is outside this VM: ask your provider for host "
				  "bridge_nf off\n"));
	assert_non_null(strstr(o, "rule r2: the fix is outside this VM: ask your provider: "
				  "the host's bridge filters every packet\n"));
	assert_int_equal(journal_count(x->j), 4);

	/* a guest change under hostd: not this program's to run */
	assert_int_equal(apply_plan(&ac, NULL, &x->plan2, POL_GUEST, ACT_HOSTD), 0);
	o = out_text(x);
	assert_non_null(strstr(o, "rule r2: sysctl net.core.somaxconn cannot run here (hostd)\n"));
	assert_non_null(strstr(o, "rule r2: sysctl net.core.netdev_max_backlog cannot run here (hostd)\n"));
	assert_int_equal(journal_count(x->j), 4);
	assert_int_equal(failed, 0);

	/* apply_change alone: an unknown kind, a mode that is the caller's */
	struct act_ctx c = { &ac, NULL };
	struct pol_change bad = x->plan2.v[0];
	snprintf(bad.kind, sizeof bad.kind, "nope");
	assert_int_equal(apply_change(&c, &bad, ACT_AGENT), -EINVAL);
	assert_int_equal(apply_change(&c, &x->plan2.v[0], ACT_HOSTD), -EINVAL);
	assert_int_equal(apply_change(&c, &x->plan2.v[0], ACT_AGENT), 0); /* already there */
}

/* A journal that cannot be written stops the plan at the first change. */
static void test_plan_stops_on_journal_error(void **state)
{
	struct fx2 *x = *state;
	struct fx *f = &x->f;
	int err, failed = 0;
	journal_close(x->j);
	x->j = journal_open_ro(f->jpath, &err);
	assert_non_null(x->j);
	struct apply_ctx ac = { .journal = x->j, .root = f->root, .failed = &failed,
				.count = count, .count_arg = f };
	assert_int_equal(apply_plan(&ac, NULL, &x->plan2, POL_GUEST, ACT_AGENT), -EROFS);
	assert_string_equal(f->outcomes, "failed "); /* the second was not tried */
	assert_string_equal(val(f, SOMAX), "4096");
	assert_string_equal(val(f, "proc/sys/net/core/netdev_max_backlog"), "1000");
}

/* On the host's request the agent journals the host's record number and
 * the request instead of the rule's why. */
static void test_host_request_journaled(void **state)
{
	struct fx2 *x = *state;
	struct fx *f = &x->f;
	struct apply_ctx ac = { .journal = x->j, .root = f->root, .host_ref = 12,
				.why_prefix = "host request 12" };
	assert_int_equal(apply_knob(&ac, &x->plan2.v[0], "sysctl", "", "net.core.somaxconn", "8192"), 1);
	const struct jrec *r = journal_record(x->j, 0);
	assert_string_equal(r->why, "host request 12");
	assert_int_equal(r->host_ref, 12);
	assert_string_equal(r->side, "guest");
	assert_string_equal(r->rule, "r2");
}

static int plan_two(const struct act_ctx *c, const struct pol_change *ch, act_change_fn fn,
		    void *arg, char *why, size_t n)
{
	(void)c, (void)ch, (void)why, (void)n;
	int r = fn(arg, "sysctl", "", "net.core.somaxconn", "8192");
	return r ? r : fn(arg, "sysctl", "", "net.core.netdev_max_backlog", "2000");
}

/* An expanding plan: each knob through the helper, the count of changed
 * ones returned; a journal error from a knob is the plan's. */
static void test_expand_ok_and_journal_error(void **state)
{
	struct fx2 *x = *state;
	struct fx *f = &x->f;
	int err;
	struct apply_ctx ac = { .journal = x->j, .root = f->root };
	struct act_ctx c = { &ac, NULL };
	assert_int_equal(apply_expand(&c, &x->plan2.v[0], plan_two), 2);
	assert_string_equal(val(f, SOMAX), "8192");
	assert_string_equal(val(f, "proc/sys/net/core/netdev_max_backlog"), "2000");
	assert_int_equal(apply_expand(&c, &x->plan2.v[0], plan_two), 0); /* there already */

	/* the knobs as they were, an empty journal that cannot be written */
	put(f->root, SOMAX, "4096\n");
	put(f->root, "proc/sys/net/core/netdev_max_backlog", "1000\n");
	journal_close(x->j);
	unlink(f->jpath);
	int fd = open(f->jpath, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	x->j = journal_open_ro(f->jpath, &err);
	assert_non_null(x->j);
	ac.journal = x->j;
	assert_int_equal(apply_expand(&c, &x->plan2.v[0], plan_two), -EROFS);
	assert_string_equal(val(f, SOMAX), "4096");
	assert_string_equal(val(f, "proc/sys/net/core/netdev_max_backlog"), "1000");
}

static char logpath[64];
static int saved_err = -1;

static void capture(void)
{
	strcpy(logpath, "/tmp/vtune-applylog-XXXXXX");
	int fd = mkstemp(logpath);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
	log_init("t", LOG_TO_STDERR, LOG_DEBUG);
}

static char *release(void)
{
	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	log_init("test_apply", LOG_TO_STDERR, LOG_ERR);
	FILE *fp = fopen(logpath, "r");
	assert_non_null(fp);
	char *b = calloc(1, 8192);
	assert_non_null(b);
	size_t n = fread(b, 1, 8191, fp);
	b[n] = '\0';
	fclose(fp);
	unlink(logpath);
	return b;
}

/* A line goes to the log (with the guest it is about and why) and, bare,
 * to the output. */
static void test_say(void **state)
{
	struct fx2 *x = *state;
	struct apply_ctx g = { .guest = "vm1", .out = x->outf }, none = { .guest = "" };
	capture();
	apply_say_why(&g, LOG_NOTICE, "a line", "steal 5%");
	apply_say(&g, LOG_NOTICE, "another");
	apply_say_why(&none, LOG_NOTICE, "hostless", "");
	char *log = release();
	assert_non_null(strstr(log, "guest vm1: a line; because steal 5%\n"));
	assert_non_null(strstr(log, "guest vm1: another\n"));
	assert_non_null(strstr(log, ": hostless\n"));
	assert_null(strstr(log, "guest : hostless"));
	free(log);
	assert_string_equal(out_text(x), "a line\nanother\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_change_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_and_journal_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand, setup, teardown),
		cmocka_unit_test(test_root),
		cmocka_unit_test_setup_teardown(test_plan_by_side_and_mode, setup2, teardown2),
		cmocka_unit_test_setup_teardown(test_plan_stops_on_journal_error, setup2, teardown2),
		cmocka_unit_test_setup_teardown(test_host_request_journaled, setup2, teardown2),
		cmocka_unit_test_setup_teardown(test_expand_ok_and_journal_error, setup2, teardown2),
		cmocka_unit_test_setup_teardown(test_say, setup2, teardown2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
