/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_act_rps: the queue steering actions carried out through the action
 * table on sysfs trees. "rps": the debian-6.1 capture (one receive queue, 2
 * CPUs) and trees of 3 and 64 queues: every queue but lo's gets the mask of
 * every online CPU (or of a CPU list) and a power-of-two share of the RFS
 * flow table, journaled; run again over what the kernel prints back (masks
 * zero-padded, in 32-bit words) nothing changes; fewer than 2 CPUs or no
 * queue: nothing to do. "xps": each CPU to a transmit queue of its own on
 * multiqueue NICs only, and reverted from the journal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "action.h"
#include "apply.h"
#include "journal.h"
#include "log.h"
#include "policy.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CAPTURE "tests/fixtures/debian-6.1/t0"
#define FLOW_ENTRIES "proc/sys/net/core/rps_sock_flow_entries"

struct fx {
	char root[64], jpath[96];
	struct pol_set *set;
	struct pol_plan plan;
	struct journal *j;
	int applied, unchanged, other;
};

static void put(const char *root, const char *rel, const char *content)
{
	char p[512], d[512];
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
	static char b[128];
	char p[512];
	snprintf(p, sizeof p, "%s/%s", f->root, rel);
	FILE *fp = fopen(p, "r");
	assert_non_null(fp);
	size_t n = fread(b, 1, sizeof b - 1, fp);
	fclose(fp);
	b[n] = '\0';
	b[strcspn(b, "\n")] = '\0';
	return b;
}

/* A file of the capture, copied into the tree. */
static void copy(struct fx *f, const char *rel)
{
	char p[256], b[256];
	snprintf(p, sizeof p, CAPTURE "/%s", rel);
	FILE *fp = fopen(p, "r");
	assert_non_null(fp);
	size_t n = fread(b, 1, sizeof b - 1, fp);
	fclose(fp);
	b[n] = '\0';
	put(f->root, rel, b);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void count(void *arg, const char *outcome)
{
	struct fx *f = arg;
	if (!strcmp(outcome, "applied"))
		f->applied++;
	else if (!strcmp(outcome, "unchanged"))
		f->unchanged++;
	else
		f->other++;
}

/* A fresh tree and journal, and the plan of rule "spread" (KIND: KEY). */
static struct fx *fx_new_kind(const char *kind, const char *key)
{
	char text[256];
	snprintf(text, sizeof text,
		 "version: 1\n"
		 "rules:\n"
		 "  - name: spread\n"
		 "    when: guest.cpu.steal > 1%%\n"
		 "    guest:\n"
		 "      - %s: \"%s\"\n", kind, key);
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->root, sizeof f->root, "/tmp/vtune-actrps-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->jpath, sizeof f->jpath, "%s/journal", f->root);
	f->set = pol_load_string("t.yaml", text, NULL);
	assert_non_null(f->set);
	pol_plan_init(&f->plan);
	const struct pol_rule *r = &f->set->rules[0];
	struct pol_change *c = pol_plan_add(&f->plan, r, &r->actions[0], kind, "guest.cpu.steal=5%");
	assert_non_null(c);
	assert_string_equal(c->key, key);
	snprintf(c->new, sizeof c->new, "%s", key);
	int err;
	f->j = journal_open(f->jpath, &err);
	assert_non_null(f->j);
	return f;
}

static struct fx *fx_new(const char *key)
{
	return fx_new_kind("rps", key);
}

static void fx_free(struct fx *f)
{
	journal_close(f->j);
	pol_plan_free(&f->plan);
	pol_set_free(f->set);
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
}

/* The tree of a guest with n receive queues on eth0 (and lo's one) as a
 * kernel with 64 possible CPUs shows it before any change. */
static void queues(struct fx *f, const char *online, int n)
{
	char rel[128];
	put(f->root, "sys/devices/system/cpu/online", online);
	put(f->root, FLOW_ENTRIES, "0\n");
	put(f->root, "sys/class/net/lo/queues/rx-0/rps_cpus", "00000000,00000000\n");
	put(f->root, "sys/class/net/lo/queues/rx-0/rps_flow_cnt", "0\n");
	put(f->root, "sys/class/net/eth0/queues/tx-0/xps_cpus", "00000000,00000000\n");
	for (int q = 0; q < n; q++) {
		snprintf(rel, sizeof rel, "sys/class/net/eth0/queues/rx-%d/rps_cpus", q);
		put(f->root, rel, "00000000,00000000\n");
		snprintf(rel, sizeof rel, "sys/class/net/eth0/queues/rx-%d/rps_flow_cnt", q);
		put(f->root, rel, "0\n");
	}
}

/* apply_plan as vtune-agent run --standalone does it. Knobs changed. */
static int run(struct fx *f)
{
	struct apply_ctx ac = { .journal = f->j, .root = f->root, .count = count, .count_arg = f };
	f->applied = f->unchanged = f->other = 0;
	return apply_plan(&ac, NULL, &f->plan, POL_GUEST, ACT_AGENT);
}

/* Every eth0 queue's two knobs, checked. */
static void check_queues(struct fx *f, int n, const char *mask, const char *flow_cnt)
{
	char rel[128];
	for (int q = 0; q < n; q++) {
		snprintf(rel, sizeof rel, "sys/class/net/eth0/queues/rx-%d/rps_cpus", q);
		assert_string_equal(val(f, rel), mask);
		snprintf(rel, sizeof rel, "sys/class/net/eth0/queues/rx-%d/rps_flow_cnt", q);
		assert_string_equal(val(f, rel), flow_cnt);
	}
	/* lo is never touched */
	assert_string_equal(val(f, "sys/class/net/lo/queues/rx-0/rps_cpus"), "00000000,00000000");
	assert_string_equal(val(f, "sys/class/net/lo/queues/rx-0/rps_flow_cnt"), "0");
}

/* What the kernel prints back: each mask zero-padded to its 64 possible
 * CPUs, in 32-bit words. */
static void kernel_reprints(struct fx *f, int n, const char *printed)
{
	char rel[128];
	for (int q = 0; q < n; q++) {
		snprintf(rel, sizeof rel, "sys/class/net/eth0/queues/rx-%d/rps_cpus", q);
		put(f->root, rel, printed);
	}
}

/* The capture: one queue on eth0, CPUs 0-1 online. The capture has no
 * rps_flow_cnt files: added as a 6.1 kernel shows them (0). */
static void test_one_queue_capture(void **state)
{
	(void)state;
	struct fx *f = fx_new("all");
	copy(f, "sys/devices/system/cpu/online");
	copy(f, FLOW_ENTRIES);
	copy(f, "sys/class/net/eth0/queues/rx-0/rps_cpus");
	copy(f, "sys/class/net/lo/queues/rx-0/rps_cpus");
	put(f->root, "sys/class/net/eth0/queues/rx-0/rps_flow_cnt", "0\n");
	put(f->root, "sys/class/net/lo/queues/rx-0/rps_flow_cnt", "0\n");
	assert_string_equal(val(f, "sys/class/net/eth0/queues/rx-0/rps_cpus"), "0");

	assert_int_equal(run(f), 3); /* the flow table, the queue's mask and share */
	assert_int_equal(f->applied, 3);
	assert_string_equal(val(f, FLOW_ENTRIES), "32768");
	assert_string_equal(val(f, "sys/class/net/eth0/queues/rx-0/rps_cpus"), "3");
	assert_string_equal(val(f, "sys/class/net/eth0/queues/rx-0/rps_flow_cnt"), "32768");
	assert_string_equal(val(f, "sys/class/net/lo/queues/rx-0/rps_cpus"), "0");
	/* journaled: a record and its mark for each */
	assert_int_equal(journal_count(f->j), 6);
	assert_string_equal(journal_record(f->j, 2)->kind, "rps");
	assert_string_equal(journal_record(f->j, 2)->target, "eth0/rx-0");
	assert_string_equal(journal_record(f->j, 2)->key, "rps_cpus");
	assert_string_equal(journal_record(f->j, 2)->old, "0");

	/* a second run changes nothing */
	assert_int_equal(run(f), 0);
	assert_int_equal(f->unchanged, 3);
	assert_int_equal(f->applied + f->other, 0);
	assert_int_equal(journal_count(f->j), 6);
	fx_free(f);
}

/* Three queues, four CPUs: the share is 32768 / 3 rounded down to a power
 * of two (the kernel would round 10922 up to 16384 and every run would
 * rewrite it). */
static void test_three_queues(void **state)
{
	(void)state;
	struct fx *f = fx_new("all");
	queues(f, "0-3\n", 3);
	assert_int_equal(run(f), 1 + 3 * 2);
	check_queues(f, 3, "f", "8192");
	kernel_reprints(f, 3, "00000000,0000000f\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->unchanged, 1 + 3 * 2);
	assert_int_equal(f->other, 0);
	check_queues(f, 3, "00000000,0000000f", "8192");
	fx_free(f);
}

/* 64 queues, 64 CPUs: a mask of two 32-bit words, a share of 512. */
static void test_64_queues(void **state)
{
	(void)state;
	struct fx *f = fx_new("all");
	queues(f, "0-63\n", 64);
	assert_int_equal(run(f), 1 + 64 * 2);
	assert_int_equal(f->applied, 1 + 64 * 2);
	check_queues(f, 64, "ffffffff,ffffffff", "512");
	assert_int_equal(journal_count(f->j), 2 * (1 + 64 * 2));
	kernel_reprints(f, 64, "ffffffff,ffffffff\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->unchanged, 1 + 64 * 2);
	assert_int_equal(f->other, 0);
	assert_int_equal(journal_count(f->j), 2 * (1 + 64 * 2));
	fx_free(f);
}

/* A CPU list: NET_RX onto those CPUs only. */
static void test_cpu_list(void **state)
{
	(void)state;
	struct fx *f = fx_new("1,3");
	queues(f, "0-3\n", 2);
	assert_int_equal(run(f), 1 + 2 * 2);
	check_queues(f, 2, "a", "16384");
	kernel_reprints(f, 2, "00000000,0000000a\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->unchanged, 1 + 2 * 2); /* not taken for an administrator's */
	assert_int_equal(f->other, 0);
	fx_free(f);
}

/* Nothing to spread: one CPU online, or no receive queue but lo's. */
static void test_nothing_to_do(void **state)
{
	(void)state;
	struct fx *f = fx_new("all");
	queues(f, "0\n", 3);
	assert_int_equal(run(f), 0);
	check_queues(f, 3, "00000000,00000000", "0");
	assert_string_equal(val(f, FLOW_ENTRIES), "0");
	assert_int_equal(journal_count(f->j), 0);
	fx_free(f);

	f = fx_new("all");
	queues(f, "0-3\n", 0);
	assert_int_equal(run(f), 0);
	assert_string_equal(val(f, FLOW_ENTRIES), "0");
	assert_int_equal(journal_count(f->j), 0);
	fx_free(f);
}

/* XPS, 4 CPUs: eth0's two transmit queues get CPUs 0,2 and 1,3; eth1's
 * one queue and lo are left alone; what the kernel prints back is the
 * same; the journal's revert puts the masks back. */
static void test_xps(void **state)
{
	(void)state;
	struct fx *f = fx_new_kind("xps", "spread");
	queues(f, "0-3\n", 1);
	put(f->root, "sys/class/net/eth0/queues/tx-1/xps_cpus", "00000000,00000000\n");
	put(f->root, "sys/class/net/eth1/queues/tx-0/xps_cpus", "00000000,00000000\n");
	assert_int_equal(run(f), 2);
	assert_int_equal(f->applied, 2);
	assert_string_equal(val(f, "sys/class/net/eth0/queues/tx-0/xps_cpus"), "5");
	assert_string_equal(val(f, "sys/class/net/eth0/queues/tx-1/xps_cpus"), "a");
	assert_string_equal(val(f, "sys/class/net/eth1/queues/tx-0/xps_cpus"), "00000000,00000000");
	assert_string_equal(val(f, "sys/class/net/eth0/queues/rx-0/rps_cpus"), "00000000,00000000");
	assert_string_equal(journal_record(f->j, 0)->target, "eth0/tx-0");
	assert_string_equal(journal_record(f->j, 0)->key, "xps_cpus");
	put(f->root, "sys/class/net/eth0/queues/tx-0/xps_cpus", "00000000,00000005\n");
	put(f->root, "sys/class/net/eth0/queues/tx-1/xps_cpus", "00000000,0000000a\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->unchanged, 2);
	struct revert_sel all = { .by = REVERT_ALL };
	assert_int_equal(journal_revert(f->j, f->root, &all, 0, 0, NULL, NULL, NULL), 0);
	assert_string_equal(val(f, "sys/class/net/eth0/queues/tx-0/xps_cpus"), "00000000,00000000");
	assert_string_equal(val(f, "sys/class/net/eth0/queues/tx-1/xps_cpus"), "00000000,00000000");
	fx_free(f);

	/* three queues, two CPUs: the third gets none */
	f = fx_new_kind("xps", "spread");
	queues(f, "0-1\n", 0);
	put(f->root, "sys/class/net/eth0/queues/tx-1/xps_cpus", "0\n");
	put(f->root, "sys/class/net/eth0/queues/tx-2/xps_cpus", "3\n");
	assert_int_equal(run(f), 3);
	assert_string_equal(val(f, "sys/class/net/eth0/queues/tx-0/xps_cpus"), "1");
	assert_string_equal(val(f, "sys/class/net/eth0/queues/tx-1/xps_cpus"), "2");
	assert_string_equal(val(f, "sys/class/net/eth0/queues/tx-2/xps_cpus"), "0");
	fx_free(f);
}

int main(void)
{
	log_init("test_act_rps", LOG_TO_STDERR, LOG_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_queue_capture),
		cmocka_unit_test(test_three_queues),
		cmocka_unit_test(test_64_queues),
		cmocka_unit_test(test_cpu_list),
		cmocka_unit_test(test_nothing_to_do),
		cmocka_unit_test(test_xps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
