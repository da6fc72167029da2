/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_journal: the change journal on a temporary fixture tree: round trip,
 * torn and corrupt records, journaled apply, crash at every step, chained,
 * admin-changed, dry-run, by-rule and since reverts, remote reverts queued
 * without a host daemon, `vtune revert`, and verify (lib/jverify). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "commands.h"
#include "journal.h"
#include "jverify.h"
#include "kfs.h"
#include "knob.h"
#include "log.h"
#include "vclock.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SOMAX "proc/sys/net/core/somaxconn"
#define SYNB "proc/sys/net/ipv4/tcp_max_syn_backlog"
#define PORTS "proc/sys/net/ipv4/ip_local_port_range"
#define BUDGET "proc/sys/net/core/netdev_budget"

struct fx {
	char root[64];
	char jpath[128];
};

/* ---- fixture helpers ---- */

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

/* Whole file (malloc'd; caller frees); *len its size. */
static char *slurp_n(const char *path, size_t *len)
{
	char *b = NULL;
	size_t n = 0;
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	FILE *m = open_memstream(&b, &n);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	fclose(f);
	if (len)
		*len = n;
	return b;
}

/* The content of a fixture file, in a static buffer. */
static const char *val(const struct fx *fx, const char *rel)
{
	static char buf[256];
	char p[512];
	snprintf(p, sizeof p, "%s/%s", fx->root, rel);
	char *b = slurp_n(p, NULL);
	snprintf(buf, sizeof buf, "%s", b);
	free(b);
	return buf;
}

static void append_raw(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	strcpy(fx->root, "/tmp/vtune-journal-XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	snprintf(fx->jpath, sizeof fx->jpath, "%s/var/lib/vtune/journal", fx->root);
	put(fx->root, SOMAX, "4096\n");
	put(fx->root, SYNB, "512\n");
	put(fx->root, PORTS, "32768\t60999\n");
	put(fx->root, BUDGET, "300\n");
	log_init("test_journal", 0, LOG_DEBUG); /* quiet */
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	nftw(fx->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	vclock_fake_stop();
	journal_set_hook(NULL);
	return 0;
}

static struct journal *jopen(const struct fx *fx)
{
	int err = 0;
	struct journal *j = journal_open(fx->jpath, &err);
	if (!j)
		fail_msg("journal_open: %s", strerror(-err));
	return j;
}

static struct jrec sysctl_change(const char *key, const char *new, const char *rule)
{
	return (struct jrec){ .side = "guest", .domain = "", .kind = "sysctl",
			      .target = "", .key = key, .new = new, .rule = rule,
			      .why = "guest.listen_overflows=120/s" };
}

static int apply(struct journal *j, const struct fx *fx, const char *key,
		 const char *new, const char *rule)
{
	char msg[256];
	struct jrec c = sysctl_change(key, new, rule);
	return journal_apply(j, fx->root, &c, 0, msg, sizeof msg);
}

/* Run a revert, capture its report in *out (malloc'd). */
static int revert(struct journal *j, const struct fx *fx, struct revert_sel sel,
		  int dry, int force, char **out)
{
	size_t n;
	*out = NULL;
	FILE *m = open_memstream(out, &n);
	int r = journal_revert(j, fx->root, &sel, dry, force, m, NULL, NULL);
	fclose(m);
	return r;
}

static int count_op(const struct journal *j, const char *op)
{
	int n = 0;
	for (size_t i = 0; i < journal_count(j); i++)
		n += !strcmp(journal_record(j, i)->op, op);
	return n;
}

static const struct revert_sel ALL = { .by = REVERT_ALL };

/* ---- round trip ---- */

static void test_round_trip(void **state)
{
	struct fx *fx = *state;
	struct stat st;
	vclock_fake_start(1, 1700000000123456789ull);
	struct journal *j = jopen(fx);
	char dir[160];
	snprintf(dir, sizeof dir, "%s/var/lib/vtune", fx->root);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(fx->jpath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(journal_count(j), 0);

	struct jrec r = {
		.side = "host", .domain = "web1", .kind = "offload", .target = "vnet0",
		.key = "tso", .old = "on", .new = "off", .rule = "tap-offload",
		.why = "quote \" backslash \\ tab \t newline \n é",
	};
	assert_int_equal(journal_intent(j, &r), 1);
	assert_int_equal(journal_mark(j, 1, "applied", NULL), 0);
	assert_int_equal(journal_mark(j, 1, "set", NULL), -EINVAL);
	assert_int_equal(journal_mark(j, 1, "bogus", NULL), -EINVAL);
	assert_int_equal(journal_mark(j, 2, "failed", "x"), -ENOENT); /* a mark */
	assert_int_equal(journal_mark(j, 99, "failed", "x"), -ENOENT);
	struct jrec bad = r;
	bad.side = "dom0";
	assert_int_equal(journal_intent(j, &bad), -EINVAL);
	bad = r;
	bad.old = NULL;
	assert_int_equal(journal_intent(j, &bad), -EINVAL);
	assert_int_equal(journal_count(j), 2);
	assert_string_equal(journal_state(j, 1), "applied");
	assert_null(journal_state(j, 2));
	journal_close(j);

	j = jopen(fx);
	/* the lock: a second handle on the same journal is refused */
	int err = 0;
	assert_null(journal_open(fx->jpath, &err));
	assert_true(err == -EWOULDBLOCK || err == -EAGAIN);
	assert_int_equal(journal_count(j), 2);
	assert_int_equal(journal_corrupt_count(j), 0);
	const struct jrec *a = journal_record(j, 0);
	assert_int_equal(a->seq, 1);
	assert_int_equal(a->ref, 0);
	assert_true(a->time_ns == 1700000000123456789ull);
	assert_string_equal(a->op, "set");
	assert_string_equal(a->side, "host");
	assert_string_equal(a->domain, "web1");
	assert_string_equal(a->kind, "offload");
	assert_string_equal(a->target, "vnet0");
	assert_string_equal(a->key, "tso");
	assert_string_equal(a->old, "on");
	assert_string_equal(a->new, "off");
	assert_string_equal(a->rule, "tap-offload");
	/* what a guest or anyone wrote is kept escaped: no raw control byte */
	assert_string_equal(a->why, "quote \" backslash \\ tab \t newline \\x0a é");
	assert_string_equal(a->detail, "");
	const struct jrec *b = journal_record(j, 1);
	assert_int_equal(b->seq, 2);
	assert_int_equal(b->ref, 1);
	assert_string_equal(b->op, "applied");
	assert_string_equal(b->key, "tso");
	assert_ptr_equal(journal_find(j, 2), b);
	assert_null(journal_record(j, 2));
	assert_string_equal(journal_state(j, 1), "applied");
	/* seq carries on after a reopen */
	assert_int_equal(journal_intent(j, &r), 3);
	journal_close(j);
	/* the header, then one JSON object per line with its checksum */
	size_t len;
	char *text = slurp_n(fx->jpath, &len);
	int lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, 4);
	assert_int_equal(text[len - 1], '\n');
	static const char hdr[] = "{\"vtune_journal\":2,\"base_seq\":0,\"crc\":\"";
	assert_int_equal(strncmp(text, hdr, strlen(hdr)), 0);
	char *rec1 = strchr(text, '\n') + 1;
	assert_int_equal(strncmp(rec1, "{\"seq\":1,\"time\":1700000000123456789,", 36), 0);
	char *crc = strstr(rec1, ",\"crc\":\"");
	assert_non_null(crc);
	assert_int_equal(strspn(crc + 8, "0123456789abcdef"), 8);
	assert_int_equal(strncmp(crc + 16, "\"}\n", 3), 0);
	free(text);
}

/* ---- repair on open ---- */

static void two_records(const struct fx *fx)
{
	struct journal *j = jopen(fx);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "8192", "r1"), 0);
	journal_close(j);
}

static void test_torn_last(void **state)
{
	struct fx *fx = *state;
	size_t good_len, len;
	two_records(fx);
	char *good = slurp_n(fx->jpath, &good_len);
	const char *torn = "{\"seq\":3,\"time\":17000";
	append_raw(fx->jpath, torn);
	/* read-only open sees the damage but repairs nothing */
	int err;
	struct journal *j = journal_open_ro(fx->jpath, &err);
	assert_non_null(j);
	assert_int_equal(journal_count(j), 2);
	assert_int_equal(journal_corrupt_count(j), 1);
	assert_int_equal(journal_mark(j, 1, "skipped", "x"), -EROFS);
	journal_close(j);
	char *now = slurp_n(fx->jpath, &len);
	assert_int_equal(len, good_len + strlen(torn));
	free(now);

	j = jopen(fx);
	assert_int_equal(journal_count(j), 2);
	assert_int_equal(journal_corrupt_count(j), 1);
	now = slurp_n(fx->jpath, &len);
	assert_int_equal(len, good_len);
	assert_memory_equal(now, good, len);
	free(now);
	/* and the journal goes on cleanly */
	assert_int_equal(apply(j, fx, "net.ipv4.tcp_max_syn_backlog", "1024", "r2"), 0);
	assert_int_equal(journal_record(j, 2)->seq, 3);
	journal_close(j);
	j = jopen(fx);
	assert_int_equal(journal_count(j), 4);
	assert_int_equal(journal_corrupt_count(j), 0);
	journal_close(j);
	free(good);
}

static void test_corrupt_last_line(void **state)
{
	struct fx *fx = *state;
	size_t good_len, len;
	two_records(fx);
	/* a whole line, newline and all, that is not a valid record: damage,
	 * not a crash (that leaves no newline), so it stays and is listed */
	append_raw(fx->jpath, "{\"seq\":3,\"time\":1,\"op\":\"set\"}\n");
	char *good = slurp_n(fx->jpath, &good_len);
	struct journal *j = jopen(fx);
	assert_int_equal(journal_count(j), 2);
	assert_int_equal(journal_corrupt_count(j), 1);
	assert_int_equal(journal_damage_count(j), 1);
	assert_string_equal(journal_damage(j, 0), "line 4: bad checksum: skipped, nothing restored from it");
	assert_null(journal_damage(j, 1));
	journal_close(j);
	char *now = slurp_n(fx->jpath, &len);
	assert_int_equal(len, good_len);
	assert_memory_equal(now, good, len);
	free(now);
	free(good);
}

static void test_corrupt_middle(void **state)
{
	struct fx *fx = *state;
	size_t len1, len2;
	struct journal *j = jopen(fx);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "8192", "r1"), 0);
	journal_close(j);
	append_raw(fx->jpath, "garbage {{{\n");
	append_raw(fx->jpath, "[1,2]\n");
	append_raw(fx->jpath, "{\"seq\":7,\"time\":1,\"op\":\"applied\",\"ref\":99}\n");
	j = jopen(fx);
	assert_int_equal(journal_count(j), 2);
	assert_int_equal(journal_corrupt_count(j), 3); /* whole lines: kept, listed */
	assert_int_equal(apply(j, fx, "net.ipv4.tcp_max_syn_backlog", "1024", "r2"), 0);
	journal_close(j);
	char *t1 = slurp_n(fx->jpath, &len1);
	assert_non_null(strstr(t1, "garbage {{{\n[1,2]\n{\"seq\":7,\"time\":1,\"op\":\"applied\",\"ref\":99}\n{\"seq\":3,"));
	j = jopen(fx);
	assert_int_equal(journal_count(j), 4);
	assert_int_equal(journal_corrupt_count(j), 3); /* they stay, skipped */
	/* both changes revert despite the garbage in between */
	char *out;
	assert_int_equal(revert(j, fx, ALL, 0, 0, &out), 0);
	free(out);
	assert_string_equal(val(fx, SOMAX), "4096\n");
	assert_string_equal(val(fx, SYNB), "512\n");
	journal_close(j);
	char *t2 = slurp_n(fx->jpath, &len2);
	assert_memory_equal(t1, t2, len1); /* nothing before was rewritten */
	free(t1);
	free(t2);
}

/* ---- apply ---- */

static void test_apply(void **state)
{
	struct fx *fx = *state;
	char msg[256];
	struct journal *j = jopen(fx);
	struct jrec c = sysctl_change("net.core.somaxconn", "8192", "listen-overflow");
	assert_int_equal(journal_apply(j, fx->root, &c, 0, msg, sizeof msg), 0);
	assert_string_equal(msg, "set sysctl net.core.somaxconn 4096 -> 8192 (rule listen-overflow)");
	assert_string_equal(val(fx, SOMAX), "8192\n");
	assert_int_equal(journal_count(j), 2);
	const struct jrec *s = journal_record(j, 0);
	assert_string_equal(s->op, "set");
	assert_string_equal(s->old, "4096");
	assert_string_equal(s->new, "8192");
	assert_string_equal(s->why, "guest.listen_overflows=120/s");
	assert_string_equal(journal_record(j, 1)->op, "applied");
	assert_string_equal(journal_record(j, 1)->new, "8192");

	/* already there: nothing recorded */
	assert_int_equal(journal_apply(j, fx->root, &c, 0, msg, sizeof msg), JOURNAL_UNCHANGED);
	assert_string_equal(msg, "unchanged sysctl net.core.somaxconn already 8192 (rule listen-overflow)");
	assert_int_equal(journal_count(j), 2);

	/* outside the allow-list range: refused before any record */
	c.new = "100";
	assert_int_equal(journal_apply(j, fx->root, &c, 0, msg, sizeof msg), -ERANGE);
	assert_non_null(strstr(msg, "refused sysctl net.core.somaxconn 100: "));
	assert_string_equal(val(fx, SOMAX), "8192\n");
	assert_int_equal(journal_count(j), 2);
	c.key = "kernel.panic";
	c.new = "1";
	assert_int_equal(journal_apply(j, fx->root, &c, 0, msg, sizeof msg), -ENOENT); /* no file */
	put(fx->root, "proc/sys/kernel/panic", "0\n");
	assert_int_equal(journal_apply(j, fx->root, &c, 0, msg, sizeof msg), -EPERM);
	assert_string_equal(val(fx, "proc/sys/kernel/panic"), "0\n");
	assert_int_equal(journal_count(j), 2);

	/* a remote change cannot be applied locally */
	c = sysctl_change("net.core.somaxconn", "16384", "r");
	c.domain = "web1";
	assert_int_equal(journal_apply(j, fx->root, &c, 0, msg, sizeof msg), -EINVAL);
	c.domain = "";
	c.kind = "nosuch";
	assert_int_equal(journal_apply(j, fx->root, &c, 0, msg, sizeof msg), -ENOENT);

	/* dry run: same text, nothing written */
	size_t l1, l2;
	char *before = slurp_n(fx->jpath, &l1);
	c = sysctl_change("net.ipv4.ip_local_port_range", "10000 65000", "ports");
	assert_int_equal(journal_apply(j, fx->root, &c, 1, msg, sizeof msg), 0);
	assert_string_equal(msg, "would set sysctl net.ipv4.ip_local_port_range 32768 60999 -> 10000 65000 (rule ports)");
	assert_string_equal(val(fx, PORTS), "32768\t60999\n");
	char *after = slurp_n(fx->jpath, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(before, after, l1);
	assert_int_equal(journal_count(j), 2);
	free(before);
	free(after);
	journal_close(j);
}

/* A kind whose write fails, after clobbering the knob: the old value must be
 * put back and the failure journaled. Backed by the somaxconn file. */
static int clobber_read(void *ctx, const char *root, const char *target, const char *key,
			char *buf, size_t n)
{
	(void)ctx;
	(void)target; (void)key;
	return kfs_read_str(root, SOMAX, buf, n);
}

static int clobber_write(void *ctx, const char *root, const char *target, const char *key,
			 const char *value)
{
	(void)ctx;
	(void)target; (void)key; (void)value;
	kfs_write_str(root, SOMAX, "1");
	return -EIO;
}

static int clobber_restore(void *ctx, const char *root, const char *target, const char *key,
			   const char *value)
{
	(void)ctx;
	(void)target; (void)key;
	return kfs_write_str(root, SOMAX, value);
}

static const struct knob_ops clobber_ops = {
	.kind = "clobber", .read = clobber_read, .write = clobber_write,
	.restore = clobber_restore,
};

static void test_apply_failed(void **state)
{
	struct fx *fx = *state;
	char msg[256];
	assert_int_equal(knob_register(&clobber_ops, NULL), 0);
	struct journal *j = jopen(fx);
	struct jrec c = sysctl_change("x", "8192", "r");
	c.kind = "clobber";
	assert_int_equal(journal_apply(j, fx->root, &c, 0, msg, sizeof msg), -EIO);
	assert_string_equal(msg, "failed clobber x 4096 -> 8192 (rule r): Input/output error");
	assert_string_equal(val(fx, SOMAX), "4096\n");
	assert_int_equal(journal_count(j), 2);
	assert_string_equal(journal_record(j, 1)->op, "failed");
	assert_string_equal(journal_record(j, 1)->detail, "Input/output error");
	assert_string_equal(journal_state(j, 1), "failed");
	/* a failed change has nothing to revert */
	char *out;
	assert_int_equal(revert(j, fx, ALL, 0, 0, &out), 0);
	assert_string_equal(out, "nothing to revert\n");
	free(out);
	journal_close(j);
	assert_int_equal(knob_unregister("clobber"), 0);
}

/* ---- crash at every step of a 3-knob action ---- */

static const char *crash_key;
static enum journal_point crash_at;

static void crash_hook(enum journal_point pt, const struct jrec *rec)
{
	if (pt == crash_at && !strcmp(rec->key, crash_key))
		raise(SIGKILL);
}

static const char *const action_keys[3] = {
	"net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog",
	"net.ipv4.ip_local_port_range",
};
static const char *const action_vals[3] = { "8192", "2048", "10000 65000" };

static void run_action(const struct fx *fx)
{
	int err;
	struct journal *j = journal_open(fx->jpath, &err);
	if (!j)
		_exit(3);
	for (int k = 0; k < 3; k++)
		if (apply(j, fx, action_keys[k], action_vals[k], "multi") != 0)
			_exit(4);
	journal_close(j);
	_exit(0);
}

static void test_crash_every_point(void **state)
{
	struct fx *fx = *state;
	const enum journal_point pts[] = {
		JOURNAL_BEFORE_INTENT, JOURNAL_AFTER_INTENT, JOURNAL_AFTER_WRITE,
		JOURNAL_AFTER_MARK, /* = between knobs / after the last */
	};
	int scenarios = 0;
	/* k == 3: no crash at all */
	for (int k = 0; k <= 3; k++) {
		for (size_t p = 0; p < sizeof pts / sizeof *pts; p++) {
			if (k == 3 && p)
				break;
			put(fx->root, SOMAX, "4096\n");
			put(fx->root, SYNB, "512\n");
			put(fx->root, PORTS, "32768\t60999\n");
			unlink(fx->jpath);
			crash_key = k < 3 ? action_keys[k] : "none";
			crash_at = pts[p];
			journal_set_hook(crash_hook);
			fflush(NULL);
			pid_t pid = fork();
			assert_true(pid >= 0);
			if (pid == 0)
				run_action(fx);
			journal_set_hook(NULL);
			int st;
			assert_int_equal(waitpid(pid, &st, 0), pid);
			if (k < 3) {
				assert_true(WIFSIGNALED(st));
				assert_int_equal(WTERMSIG(st), SIGKILL);
			} else {
				assert_true(WIFEXITED(st));
				assert_int_equal(WEXITSTATUS(st), 0);
			}
			/* how far the child got */
			int sets = k < 3 ? k + (pts[p] != JOURNAL_BEFORE_INTENT) : 3;
			struct journal *j = jopen(fx);
			assert_int_equal(count_op(j, "set"), sets);
			char *out;
			assert_int_equal(revert(j, fx, ALL, 0, 0, &out), 0);
			if (sets == 0)
				assert_string_equal(out, "nothing to revert\n");
			free(out);
			assert_string_equal(val(fx, SOMAX), "4096\n");
			assert_string_equal(val(fx, SYNB), "512\n");
			assert_true(knob_value_equal(val(fx, PORTS), "32768 60999"));
			assert_int_equal(count_op(j, "reverted"), sets);
			for (size_t i = 0; i < journal_count(j); i++) {
				const struct jrec *r = journal_record(j, i);
				if (!strcmp(r->op, "set"))
					assert_string_equal(journal_state(j, r->seq), "reverted");
			}
			/* a second revert finds nothing left */
			assert_int_equal(revert(j, fx, ALL, 0, 0, &out), 0);
			assert_string_equal(out, "nothing to revert\n");
			free(out);
			journal_close(j);
			scenarios++;
		}
	}
	assert_int_equal(scenarios, 13);
}

/* ---- revert semantics ---- */

static void test_chain(void **state)
{
	struct fx *fx = *state;
	put(fx->root, SOMAX, "128\n");
	struct journal *j = jopen(fx);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "256", "a"), 0);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "512", "b"), 0);
	assert_string_equal(val(fx, SOMAX), "512\n");
	char *out;
	/* dry run walks the chain as if it had been reverted */
	assert_int_equal(revert(j, fx, ALL, 1, 0, &out), 0);
	assert_string_equal(out,
		"would revert sysctl net.core.somaxconn 512 -> 256 (rule b)\n"
		"would revert sysctl net.core.somaxconn 256 -> 128 (rule a)\n");
	free(out);
	assert_string_equal(val(fx, SOMAX), "512\n");
	assert_int_equal(revert(j, fx, ALL, 0, 0, &out), 0);
	assert_string_equal(out,
		"reverted sysctl net.core.somaxconn 512 -> 256 (rule b)\n"
		"reverted sysctl net.core.somaxconn 256 -> 128 (rule a)\n");
	free(out);
	assert_string_equal(val(fx, SOMAX), "128\n");
	journal_close(j);
}

static void test_admin_changed(void **state)
{
	struct fx *fx = *state;
	char now[32];
	struct journal *j = jopen(fx);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "8192", "listen-overflow"), 0);
	assert_int_equal(apply(j, fx, "net.core.netdev_budget", "600", "squeeze"), 0);
	assert_int_equal(journal_managed_changed(j, fx->root, "guest", "sysctl", "",
						 "net.core.somaxconn", now, sizeof now), 0);
	put(fx->root, SOMAX, "9000\n");
	assert_int_equal(journal_managed_changed(j, fx->root, "guest", "sysctl", "",
						 "net.core.somaxconn", now, sizeof now), 1);
	assert_string_equal(now, "9000");
	assert_int_equal(journal_managed_changed(j, fx->root, "host", "sysctl", "",
						 "net.core.somaxconn", now, sizeof now), -ENOENT);
	assert_int_equal(journal_managed_changed(j, fx->root, "guest", "sysctl", "",
						 "net.core.netdev_max_backlog", now, sizeof now), -ENOENT);
	char *out;
	assert_int_equal(revert(j, fx, ALL, 0, 0, &out), 1);
	assert_string_equal(out,
		"reverted sysctl net.core.netdev_budget 600 -> 300 (rule squeeze)\n"
		"skipped sysctl net.core.somaxconn: changed by someone else "
		"(now 9000; vtune set 8192, was 4096) (rule listen-overflow)\n");
	free(out);
	assert_string_equal(val(fx, SOMAX), "9000\n");
	assert_string_equal(val(fx, BUDGET), "300\n");
	assert_string_equal(journal_state(j, 1), "skipped");
	/* skipped stays selectable: without force it is skipped again */
	assert_int_equal(revert(j, fx, ALL, 0, 0, &out), 1);
	free(out);
	assert_string_equal(val(fx, SOMAX), "9000\n");
	assert_int_equal(revert(j, fx, ALL, 0, 1, &out), 0);
	assert_string_equal(out, "reverted sysctl net.core.somaxconn 9000 -> 4096 "
			    "(rule listen-overflow; forced over a change by someone else)\n");
	free(out);
	assert_string_equal(val(fx, SOMAX), "4096\n");
	assert_string_equal(journal_state(j, 1), "reverted");
	assert_int_equal(journal_managed_changed(j, fx->root, "guest", "sysctl", "",
						 "net.core.somaxconn", now, sizeof now), -ENOENT);
	journal_close(j);
}

static void test_dry_run_changes_nothing(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "8192", "a"), 0);
	assert_int_equal(apply(j, fx, "net.ipv4.ip_local_port_range", "10000 65000", "b"), 0);
	put(fx->root, SYNB, "512\n");
	journal_close(j);
	size_t lj, ls, lp, lj2, ls2, lp2;
	char p1[256], p2[256];
	snprintf(p1, sizeof p1, "%s/%s", fx->root, SOMAX);
	snprintf(p2, sizeof p2, "%s/%s", fx->root, PORTS);
	char *bj = slurp_n(fx->jpath, &lj), *bs = slurp_n(p1, &ls), *bp = slurp_n(p2, &lp);
	int err;
	j = journal_open_ro(fx->jpath, &err);
	assert_non_null(j);
	char *out;
	assert_int_equal(revert(j, fx, ALL, 0, 0, &out), -EROFS);
	free(out);
	assert_int_equal(revert(j, fx, ALL, 1, 0, &out), 0);
	assert_string_equal(out,
		"would revert sysctl net.ipv4.ip_local_port_range 10000 65000 -> 32768 60999 (rule b)\n"
		"would revert sysctl net.core.somaxconn 8192 -> 4096 (rule a)\n");
	free(out);
	journal_close(j);
	char *aj = slurp_n(fx->jpath, &lj2), *as = slurp_n(p1, &ls2), *ap = slurp_n(p2, &lp2);
	assert_int_equal(lj, lj2);
	assert_memory_equal(bj, aj, lj);
	assert_int_equal(ls, ls2);
	assert_memory_equal(bs, as, ls);
	assert_int_equal(lp, lp2);
	assert_memory_equal(bp, ap, lp);
	free(bj); free(bs); free(bp); free(aj); free(as); free(ap);
}

static void test_by_rule_and_since(void **state)
{
	struct fx *fx = *state;
	const uint64_t t0 = 1700000000ull * 1000000000ull, hour = 3600ull * 1000000000ull;
	vclock_fake_start(1, t0);
	struct journal *j = jopen(fx);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "8192", "listen"), 0);
	vclock_fake_advance(hour);
	assert_int_equal(apply(j, fx, "net.ipv4.tcp_max_syn_backlog", "2048", "syn"), 0);
	vclock_fake_advance(hour);
	assert_int_equal(apply(j, fx, "net.core.netdev_budget", "600", "listen"), 0);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "16384", "other"), 0);

	char *out;
	struct revert_sel by_rule = { .by = REVERT_RULE, .rule = "listen" };
	/* somaxconn was changed again later by rule "other": not ours to undo */
	assert_int_equal(revert(j, fx, by_rule, 0, 0, &out), 1);
	assert_string_equal(out,
		"reverted sysctl net.core.netdev_budget 600 -> 300 (rule listen)\n"
		"skipped sysctl net.core.somaxconn: changed later by vtune (rule other, "
		"seq 7), not reverted (rule listen)\n");
	free(out);
	assert_string_equal(val(fx, BUDGET), "300\n");
	assert_string_equal(val(fx, SOMAX), "16384\n");
	assert_string_equal(val(fx, SYNB), "2048\n");

	struct revert_sel since = { .by = REVERT_SINCE, .since_ns = t0 + hour / 2 };
	assert_int_equal(revert(j, fx, since, 0, 0, &out), 0);
	assert_string_equal(out,
		"reverted sysctl net.core.somaxconn 16384 -> 8192 (rule other)\n"
		"reverted sysctl net.ipv4.tcp_max_syn_backlog 2048 -> 512 (rule syn)\n");
	free(out);
	assert_string_equal(val(fx, SYNB), "512\n");
	assert_string_equal(val(fx, SOMAX), "8192\n");
	/* now the first change is free to go */
	assert_int_equal(revert(j, fx, by_rule, 0, 0, &out), 0);
	assert_string_equal(out, "reverted sysctl net.core.somaxconn 8192 -> 4096 (rule listen)\n");
	free(out);
	assert_string_equal(val(fx, SOMAX), "4096\n");
	struct revert_sel none = { .by = REVERT_RULE, .rule = "nosuch" };
	assert_int_equal(revert(j, fx, none, 0, 0, &out), 0);
	assert_string_equal(out, "nothing to revert\n");
	free(out);
	journal_close(j);
}

/* Effect verification's revert: the records of one firing by seq, the
 * verdict in each mark's detail and report line. */
static void test_by_seq_with_why(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "8192", "listen"), 0);       /* 1, 2 */
	assert_int_equal(apply(j, fx, "net.ipv4.tcp_max_syn_backlog", "2048", "listen"), 0); /* 3, 4 */
	assert_int_equal(apply(j, fx, "net.core.netdev_budget", "600", "listen"), 0);   /* 5, 6 */
	int64_t seqs[] = { 1, 5 };
	char *out;
	struct revert_sel sel = { .by = REVERT_SEQ, .refs = seqs, .nrefs = 2,
				  .why = "reverted: no effect — accepts 1,000 → 1,000/s" };
	assert_int_equal(revert(j, fx, sel, 0, 0, &out), 0);
	assert_string_equal(out,
		"reverted sysctl net.core.netdev_budget 600 -> 300 (rule listen): "
		"reverted: no effect — accepts 1,000 → 1,000/s\n"
		"reverted sysctl net.core.somaxconn 8192 -> 4096 (rule listen): "
		"reverted: no effect — accepts 1,000 → 1,000/s\n");
	free(out);
	assert_string_equal(val(fx, SOMAX), "4096\n");
	assert_string_equal(val(fx, BUDGET), "300\n");
	assert_string_equal(val(fx, SYNB), "2048\n"); /* not one of the records */
	assert_string_equal(journal_state(j, 3), "applied");
	const struct jrec *m = journal_record(j, journal_count(j) - 1);
	assert_string_equal(m->op, "reverted");
	assert_int_equal(m->ref, 1);
	assert_string_equal(m->detail, "restored; reverted: no effect — accepts 1,000 → 1,000/s");
	journal_close(j);
}

static const struct jrec *remote_seen;
static int remote_ret, remote_dry;

static int remote_cb(void *arg, const struct jrec *rec, int dry_run)
{
	*(int *)arg += 1;
	remote_seen = rec;
	remote_dry = dry_run;
	return remote_ret;
}

/* journal_revert with remote, its lines in *out */
static int revert_remote(struct journal *j, const struct fx *fx, int dry, int *calls, char **out)
{
	size_t n;
	*out = NULL;
	FILE *m = open_memstream(out, &n);
	int r = journal_revert(j, fx->root, &ALL, dry, 0, m, remote_cb, calls);
	fclose(m);
	return r;
}

static void test_remote(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx);
	struct jrec r = sysctl_change("net.core.somaxconn", "8192", "listen");
	r.domain = "web1";
	r.old = "4096";
	int64_t seq = journal_intent(j, &r);
	assert_int_equal(seq, 1);
	assert_int_equal(journal_mark(j, seq, "applied", NULL), 0);
	char *out;
	/* no host daemon: the dry run says what the real run does, which
	 * queues the revert (marked "asked": hostd asks at the guest's hello) */
	assert_int_equal(revert(j, fx, ALL, 1, 0, &out), 1);
	assert_string_equal(out, "would queue: guest web1 sysctl net.core.somaxconn 8192 -> 4096 "
			    "(rule listen): asked when the guest's agent reconnects\n");
	free(out);
	assert_string_equal(journal_state(j, seq), "applied");
	assert_int_equal(revert(j, fx, ALL, 0, 0, &out), 1);
	assert_string_equal(out, "queued: guest web1 sysctl net.core.somaxconn 8192 -> 4096 "
			    "(rule listen): asked when the guest's agent reconnects\n");
	free(out);
	assert_string_equal(journal_state(j, seq), "asked");
	assert_string_equal(journal_record(j, journal_count(j) - 1)->detail,
			    "queued while vtune-hostd was not running");
	size_t marks = journal_count(j);
	assert_int_equal(revert(j, fx, ALL, 0, 0, &out), 1); /* queued once */
	free(out);
	assert_int_equal(journal_count(j), marks);
	assert_string_equal(val(fx, SOMAX), "4096\n"); /* local knob untouched */
	int calls = 0;
	/* a daemon whose guest is not connected: queued the same way */
	remote_ret = -ENOTCONN;
	assert_int_equal(revert_remote(j, fx, 1, &calls, &out), 1);
	assert_true(remote_dry);
	assert_non_null(strstr(out, "would queue: guest web1"));
	free(out);
	/* connected: the dry run asks remote what it would do, sends nothing */
	remote_ret = JOURNAL_ASKED;
	assert_int_equal(revert_remote(j, fx, 1, &calls, &out), 0);
	assert_true(remote_dry);
	assert_string_equal(out, "would ask the guest to revert guest web1 sysctl net.core.somaxconn "
			    "8192 -> 4096 (rule listen)\n");
	free(out);
	assert_int_equal(journal_count(j), marks);
	assert_int_equal(revert_remote(j, fx, 0, &calls, &out), 0);
	assert_false(remote_dry);
	assert_string_equal(out, "asked the guest to revert guest web1 sysctl net.core.somaxconn "
			    "8192 -> 4096 (rule listen)\n");
	free(out);
	assert_int_equal(journal_count(j), marks); /* already "asked" */
	remote_ret = -EINVAL;
	assert_int_equal(revert_remote(j, fx, 1, &calls, &out), 1);
	assert_string_equal(out, "failed guest web1 sysctl net.core.somaxconn: cannot ask the guest: "
			    "Invalid argument (rule listen)\n");
	free(out);
	calls = 0;
	remote_ret = 1;
	assert_int_equal(journal_revert(j, fx->root, &ALL, 0, 0, NULL, remote_cb, &calls), 1);
	assert_int_equal(calls, 1);
	assert_string_equal(journal_state(j, seq), "skipped");
	remote_ret = 0;
	assert_int_equal(journal_revert(j, fx->root, &ALL, 0, 0, NULL, remote_cb, &calls), 0);
	assert_int_equal(calls, 2);
	assert_string_equal(remote_seen->key, "net.core.somaxconn");
	assert_string_equal(remote_seen->old, "4096");
	assert_string_equal(journal_state(j, seq), "reverted");
	journal_close(j);
}

/* A guest change planned from a report's older reading (2048) and made
 * by the guest from its live value (64): the guest's ack is the original,
 * what journal_values gives, a remote revert asks for and the "reverted"
 * mark records; it survives reopening the journal. An ack with no old
 * leaves the record's. */
static void test_remote_ack_original(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx);
	struct jrec r = sysctl_change("net.netfilter.nf_conntrack_max", "4096", "ct");
	const char *old, *new;
	r.domain = "web1";
	r.old = "2048";
	int64_t seq = journal_intent(j, &r);
	assert_true(seq > 0);
	assert_int_equal(journal_last_seq(j), seq);
	assert_int_equal(journal_mark_values(j, seq, "applied", "guest: old 64 new 4096", "64",
					     "4096"), 0);
	assert_int_equal(journal_last_seq(j), seq + 1);
	assert_int_equal(journal_values(j, seq, &old, &new), 0);
	assert_string_equal(old, "64");
	assert_string_equal(new, "4096");
	/* the guest's word is no original for a knob of this machine */
	assert_false(journal_is_original(j, "sysctl", "", "net.netfilter.nf_conntrack_max", "64"));
	assert_false(journal_is_original(j, "sysctl", "", "net.netfilter.nf_conntrack_max",
					 "2048"));
	r.key = "net.core.somaxconn";
	r.old = "128";
	int64_t seq2 = journal_intent(j, &r);
	assert_int_equal(journal_mark_values(j, seq2, "applied", NULL, NULL, "4096"), 0);
	assert_int_equal(journal_values(j, seq2, &old, &new), 0);
	assert_string_equal(old, "128");
	journal_close(j);
	j = jopen(fx);
	assert_int_equal(journal_values(j, seq, &old, &new), 0);
	assert_string_equal(old, "64");
	char *out;
	int calls = 0;
	remote_ret = 0;
	struct revert_sel one = { .by = REVERT_SEQ, .refs = &seq, .nrefs = 1 };
	size_t n = 0;
	FILE *m = open_memstream(&out, &n);
	assert_int_equal(journal_revert(j, fx->root, &one, 0, 0, m, remote_cb, &calls), 0);
	fclose(m);
	assert_int_equal(calls, 1);
	assert_string_equal(out, "reverted guest web1 sysctl net.netfilter.nf_conntrack_max "
			    "4096 -> 64 (rule ct)\n");
	free(out);
	const struct jrec *mk = journal_record(j, journal_count(j) - 1);
	assert_string_equal(mk->op, "reverted");
	assert_int_equal(mk->ref, seq);
	assert_string_equal(mk->new, "64");
	journal_close(j);
}

/* A kind whose kernel keeps a different value than asked (like rounding): the
 * applied mark records what was kept and revert expects that. */
static int round_write(void *ctx, const char *root, const char *target, const char *key,
		       const char *value)
{
	(void)ctx;
	(void)target; (void)key;
	char b[32];
	snprintf(b, sizeof b, "%s0", value);
	return kfs_write_str(root, SOMAX, b);
}

static const struct knob_ops round_ops = {
	.kind = "round", .read = clobber_read, .write = round_write,
	.restore = clobber_restore,
};

static void test_kernel_kept_other_value(void **state)
{
	struct fx *fx = *state;
	char msg[256];
	assert_int_equal(knob_register(&round_ops, NULL), 0);
	struct journal *j = jopen(fx);
	struct jrec c = sysctl_change("k", "500", "r");
	c.kind = "round";
	assert_int_equal(journal_apply(j, fx->root, &c, 0, msg, sizeof msg), 0);
	assert_string_equal(msg, "set round k 4096 -> 5000 (rule r)");
	assert_string_equal(journal_record(j, 1)->new, "5000");
	char *out;
	assert_int_equal(revert(j, fx, ALL, 0, 0, &out), 0);
	assert_string_equal(out, "reverted round k 5000 -> 4096 (rule r)\n");
	free(out);
	assert_string_equal(val(fx, SOMAX), "4096\n");
	journal_close(j);
	assert_int_equal(knob_unregister("round"), 0);
}

/* ---- group commit ---- */

static void test_batch_syncs(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx);
	struct jrec c = sysctl_change("net.core.somaxconn", "8192", "r");
	c.domain = "web1"; /* a guest's change, as hostd journals it */
	c.old = "4096";

	/* an intent alone: one sync; its outcome: none until journal_sync */
	int64_t s1 = journal_intent(j, &c);
	assert_true(s1 > 0);
	assert_int_equal(journal_sync_count(j), 1);
	assert_int_equal(journal_mark(j, s1, "applied", NULL), 0);
	assert_int_equal(journal_sync_count(j), 1);
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(journal_sync_count(j), 2);
	assert_int_equal(journal_sync(j), 0); /* nothing new: no sync */
	assert_int_equal(journal_sync_count(j), 2);

	/* a batch of three intents: one sync at its end */
	journal_batch_begin(j);
	for (int i = 0; i < 3; i++) {
		c.domain = i == 0 ? "web2" : i == 1 ? "web3" : "web4";
		assert_true(journal_intent(j, &c) > 0);
	}
	assert_int_equal(journal_sync_count(j), 2);
	/* a local change inside a batch still syncs before it is made */
	assert_int_equal(apply(j, fx, "net.ipv4.tcp_max_syn_backlog", "1024", "r"), 0);
	assert_int_equal(journal_sync_count(j), 3);
	assert_true(journal_intent(j, &c) > 0);
	assert_int_equal(journal_batch_end(j), 0);
	assert_int_equal(journal_sync_count(j), 4);
	assert_int_equal(count_op(j, "set"), 6);
	journal_close(j);

	/* all of it on disk, read back */
	j = jopen(fx);
	assert_int_equal(count_op(j, "set"), 6);
	assert_int_equal(count_op(j, "applied"), 2);
	journal_close(j);
}

static void test_parse_time(void **state)
{
	uint64_t t;
	const uint64_t NS = 1000000000ull, now = 1700000000ull * NS;
	(void)state;
	assert_int_equal(journal_parse_time("1700000000", now, &t), 0);
	assert_true(t == 1700000000ull * NS);
	assert_int_equal(journal_parse_time("-10m", now, &t), 0);
	assert_true(t == now - 600 * NS);
	assert_int_equal(journal_parse_time("-2h", now, &t), 0);
	assert_true(t == now - 7200 * NS);
	assert_int_equal(journal_parse_time("-30s", now, &t), 0);
	assert_true(t == now - 30 * NS);
	assert_int_equal(journal_parse_time("-1d", now, &t), 0);
	assert_true(t == now - 86400 * NS);
	assert_int_equal(journal_parse_time("2023-11-14T22:13:20", now, &t), 0);
	assert_true(t == 1700000000ull * NS);
	assert_int_equal(journal_parse_time("2023-11-14T22:13:20Z", now, &t), 0);
	assert_true(t == 1700000000ull * NS);
	const char *bad[] = {
		"", "-", "-m", "-10x", "-1.5h", "10m", "yesterday", "2023-02-30T00:00:00",
		"2023-11-14T22:13:20+01", "2023-11-14 22:13:20", "17e8", "-99999999999d",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_not_equal(journal_parse_time(bad[i], now, &t), 0);
	assert_int_equal(journal_parse_time(NULL, now, &t), -EINVAL);
}

/* ---- vtune revert ---- */

static int run_cli(const char *a0, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;
	va_start(ap, a0);
	for (const char *a = a0; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	return cmd_revert_main(argc, argv);
}

static void test_cli(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "8192", "listen"), 0);
	assert_int_equal(apply(j, fx, "net.ipv4.tcp_max_syn_backlog", "2048", "syn"), 0);
	journal_close(j);
	const char *J = fx->jpath, *R = fx->root;
	assert_int_equal(run_cli("revert", "--journal", J, "--root", R, NULL), 2);
	assert_int_equal(run_cli("revert", "--all", "--rule", "x", "--journal", J, NULL), 2);
	assert_int_equal(run_cli("revert", "--since", "soon", "--journal", J, NULL), 2);
	assert_int_equal(run_cli("revert", "--all", "--bogus", NULL), 2);
	assert_int_equal(run_cli("revert", "--all", "extra", NULL), 2);
	assert_int_equal(run_cli("revert", "--help", NULL), 0);
	assert_int_equal(run_cli("revert", "--all", "--journal", J, "--root", R, "--dry-run", NULL), 0);
	assert_string_equal(val(fx, SOMAX), "8192\n");
	assert_int_equal(run_cli("revert", "--rule", "syn", "--journal", J, "--root", R, NULL), 0);
	assert_string_equal(val(fx, SYNB), "512\n");
	assert_string_equal(val(fx, SOMAX), "8192\n");
	put(fx->root, SOMAX, "9000\n");
	assert_int_equal(run_cli("revert", "--since", "-10m", "--journal", J, "--root", R, NULL), 1);
	assert_string_equal(val(fx, SOMAX), "9000\n");
	setenv("VTUNE_JOURNAL", J, 1);
	assert_int_equal(run_cli("revert", "--all", "--force", "--root", R, NULL), 0);
	unsetenv("VTUNE_JOURNAL");
	assert_string_equal(val(fx, SOMAX), "4096\n");
	/* no journal: nothing to do, and nothing is created */
	char nj[160];
	snprintf(nj, sizeof nj, "%s/none/journal", fx->root);
	assert_int_equal(run_cli("revert", "--all", "--journal", nj, NULL), 0);
	assert_int_equal(access(nj, F_OK), -1);
}

/* A guest's knob for jv_check: "4096" for somaxconn, unknown otherwise. */
static int guest_read(void *arg, const struct jrec *rec, char *now, size_t n, char *how,
		      size_t hn)
{
	(void)arg;
	if (strcmp(rec->key, "net.core.somaxconn"))
		return -ENOENT;
	snprintf(now, n, "4096");
	snprintf(how, hn, "as its last report said");
	return 0;
}

static void test_verify(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx);
	struct jv_item *it;
	size_t n;
	char line[1024];
	assert_int_equal(jv_check(j, fx->root, NULL, NULL, &it, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "8192", "listen"), 0);
	assert_int_equal(apply(j, fx, "net.core.somaxconn", "9000", "listen2"), 0);
	assert_int_equal(apply(j, fx, "net.ipv4.tcp_max_syn_backlog", "2048", "syn"), 0);
	assert_int_equal(apply(j, fx, "net.core.netdev_budget", "600", "budget"), 0);
	/* one item a knob, the newest change's value; oldest knob first */
	assert_int_equal(jv_check(j, fx->root, NULL, NULL, &it, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(it[i].state, JV_OK);
	jv_line(&it[0], line, sizeof line);
	assert_string_equal(line, "ok: sysctl net.core.somaxconn 9000 (rule listen2)");
	free(it);
	/* by hand: one differs, one is gone */
	kfs_write_str(fx->root, SYNB, "1024");
	char p[512];
	snprintf(p, sizeof p, "%s/%s", fx->root, BUDGET);
	unlink(p);
	assert_int_equal(jv_check(j, fx->root, NULL, NULL, &it, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(it[0].state, JV_OK);
	assert_int_equal(it[1].state, JV_DIFFERS);
	assert_true(jv_bad(it[1].state));
	jv_line(&it[1], line, sizeof line);
	assert_string_equal(line, "differs: sysctl net.ipv4.tcp_max_syn_backlog: now 1024, vtune set "
			    "2048 (rule syn)");
	assert_int_equal(it[2].state, JV_GONE);
	jv_line(&it[2], line, sizeof line);
	assert_string_equal(line, "gone: sysctl net.core.netdev_budget: no longer there (vtune set "
			    "600; rule budget)");
	json_object *o = jv_json(&it[1]);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "state")), "differs");
	assert_string_equal(json_object_get_string(json_object_object_get(o, "now")), "1024");
	json_object_put(o);
	free(it);
	/* reverted (here: by hand, then revert skips it): a skipped change is
	 * still open and still differs; reverted ones leave the list */
	char *out;
	revert(j, fx, (struct revert_sel){ .by = REVERT_RULE, .rule = "syn" }, 0, 0, &out);
	free(out);
	revert(j, fx, (struct revert_sel){ .by = REVERT_RULE, .rule = "listen2" }, 0, 0, &out);
	free(out);
	/* guest changes: read through the callback, else left to the agent;
	 * a queued revert is pending */
	struct jrec r = sysctl_change("net.core.somaxconn", "4096", "g1");
	r.domain = "web1";
	r.old = "128";
	int64_t s1 = journal_intent(j, &r);
	journal_mark_values(j, s1, "applied", NULL, NULL, "4096");
	r.key = "net.core.rmem_max";
	int64_t s2 = journal_intent(j, &r);
	journal_mark(j, s2, "applied", NULL);
	r.key = "net.core.wmem_max";
	int64_t s3 = journal_intent(j, &r);
	journal_mark(j, s3, "asked", "queued while vtune-hostd was not running");
	assert_int_equal(jv_check(j, fx->root, guest_read, NULL, &it, &n), 0);
	assert_int_equal(n, 6);
	jv_line(&it[0], line, sizeof line); /* listen2 undone: listen's value is back */
	assert_string_equal(line, "ok: sysctl net.core.somaxconn 8192 (rule listen)");
	assert_int_equal(it[1].state, JV_DIFFERS); /* the "syn" change, skipped */
	assert_int_equal(it[2].state, JV_GONE);
	it++; /* the guest's from here */
	assert_int_equal(it[2].state, JV_OK);
	jv_line(&it[2], line, sizeof line);
	assert_string_equal(line, "ok: guest web1 sysctl net.core.somaxconn 4096 (rule g1; as its last "
			    "report said)");
	assert_int_equal(it[3].state, JV_GUEST);
	assert_false(jv_bad(it[3].state));
	jv_line(&it[3], line, sizeof line);
	assert_string_equal(line, "guest change: guest web1 sysctl net.core.rmem_max 4096 (rule g1): "
			    "checked by the guest's agent (vtune-agent verify)");
	assert_int_equal(it[4].state, JV_PENDING);
	jv_line(&it[4], line, sizeof line);
	assert_string_equal(line, "pending revert: guest web1 sysctl net.core.wmem_max (rule g1): "
			    "queued while vtune-hostd was not running");
	free(it - 1);
	journal_close(j);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_torn_last),
		T(test_corrupt_last_line),
		T(test_corrupt_middle),
		T(test_apply),
		T(test_apply_failed),
		T(test_crash_every_point),
		T(test_chain),
		T(test_admin_changed),
		T(test_dry_run_changes_nothing),
		T(test_by_rule_and_since),
		T(test_by_seq_with_why),
		T(test_remote),
		T(test_remote_ack_original),
		T(test_verify),
		T(test_kernel_kept_other_value),
		T(test_batch_syncs),
		cmocka_unit_test(test_parse_time),
		T(test_cli),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
