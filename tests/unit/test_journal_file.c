/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_journal_file: the journal is a file vtune owns: symlinks, files of
 * others, loose modes, open directories, FIFOs and files without the header
 * are refused and left untouched; an old journal is converted; bit flips,
 * zeroed blocks and overlong lines are found, listed and never restored
 * from while every other change is; closed history is compacted with the
 * previous file kept; `vtune revert` says so on stderr and exits 1;
 * journal_in_use sees a holder's lock (another process's too) and takes none. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "commands.h"
#include "crc32c.h"
#include "journal.h"
#include "kfs.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define SOMAX "proc/sys/net/core/somaxconn"
#define SYNB "proc/sys/net/ipv4/tcp_max_syn_backlog"
#define BUDGET "proc/sys/net/core/netdev_budget"

struct fx {
	char root[64];
	char dir[128];
	char jpath[160];
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

static char *slurp(const char *path, size_t *len)
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

static void spit(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	fchmod(fd, mode);
	close(fd);
}

static const char *val(const struct fx *fx, const char *rel)
{
	static char buf[256];
	char p[512];
	snprintf(p, sizeof p, "%s/%s", fx->root, rel);
	char *b = slurp(p, NULL);
	snprintf(buf, sizeof buf, "%s", b);
	free(b);
	return buf;
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
	strcpy(fx->root, "/tmp/vtune-jfile-XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	snprintf(fx->dir, sizeof fx->dir, "%s/state", fx->root);
	mkdir(fx->dir, 0700);
	snprintf(fx->jpath, sizeof fx->jpath, "%s/journal", fx->dir);
	put(fx->root, SOMAX, "4096\n");
	put(fx->root, SYNB, "512\n");
	put(fx->root, BUDGET, "300\n");
	log_init("test_journal_file", 0, LOG_DEBUG); /* quiet */
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	nftw(fx->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
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

static void apply(struct journal *j, const struct fx *fx, const char *key, const char *new,
		  const char *why)
{
	char msg[256];
	struct jrec c = { .side = "guest", .domain = "", .kind = "sysctl", .target = "",
			  .key = key, .new = new, .rule = "r", .why = why };
	assert_int_equal(journal_apply(j, fx->root, &c, 0, msg, sizeof msg), 0);
}

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

static void test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(crc32c(0, "", 0), 0);
	/* in pieces: the same */
	assert_int_equal(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
}

/* What the attack did: the journal a symlink to a copy of /etc/passwd. */
static void test_refused_files(void **state)
{
	struct fx *fx = *state;
	static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\n"
				     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
				     "user:x:1000:1000::/home/user:/bin/sh\n";
	char copy[200], *now;
	size_t len;
	int err = 0;
	snprintf(copy, sizeof copy, "%s/passwd", fx->dir);
	spit(copy, passwd, strlen(passwd), 0600);
	/* a symlink: refused, whatever it points to */
	assert_int_equal(symlink(copy, fx->jpath), 0);
	assert_null(journal_open(fx->jpath, &err));
	assert_int_equal(err, -ELOOP);
	assert_null(journal_open_ro(fx->jpath, &err));
	assert_int_equal(err, -ELOOP);
	assert_int_equal(run_cli("revert", "--all", "--journal", fx->jpath, "--root", fx->root,
				 NULL), 1);
	now = slurp(copy, &len);
	assert_int_equal(len, strlen(passwd));
	assert_memory_equal(now, passwd, len);
	free(now);
	unlink(fx->jpath);
	/* a file with no header: not ours, left as it is */
	spit(fx->jpath, passwd, strlen(passwd), 0600);
	assert_null(journal_open(fx->jpath, &err));
	assert_int_equal(err, -EBADMSG);
	assert_int_equal(run_cli("revert", "--all", "--journal", fx->jpath, "--root", fx->root,
				 NULL), 1);
	now = slurp(fx->jpath, &len);
	assert_int_equal(len, strlen(passwd));
	assert_memory_equal(now, passwd, len);
	free(now);
	/* one line, no newline, no header */
	spit(fx->jpath, "root:x:0:0", 10, 0600);
	assert_null(journal_open(fx->jpath, &err));
	assert_int_equal(err, -EBADMSG);
	now = slurp(fx->jpath, &len);
	assert_int_equal(len, 10);
	free(now);
	unlink(fx->jpath);
	/* a journal readable by others */
	struct journal *j = jopen(fx);
	journal_close(j);
	chmod(fx->jpath, 0644);
	assert_null(journal_open(fx->jpath, &err));
	assert_int_equal(err, -EPERM);
	chmod(fx->jpath, 0600);
	/* owned by someone else */
	assert_int_equal(chown(fx->jpath, 1234, 1234), 0);
	assert_null(journal_open(fx->jpath, &err));
	assert_int_equal(err, -EPERM);
	assert_int_equal(chown(fx->jpath, 0, 0), 0);
	/* in a directory others may write */
	chmod(fx->dir, 0777);
	assert_null(journal_open(fx->jpath, &err));
	assert_int_equal(err, -EPERM);
	chmod(fx->dir, 0700);
	j = jopen(fx);
	journal_close(j);
	/* a FIFO: refused at once, never read (it would block) */
	unlink(fx->jpath);
	assert_int_equal(mkfifo(fx->jpath, 0600), 0);
	assert_null(journal_open(fx->jpath, &err));
	assert_int_equal(err, -EINVAL);
	assert_null(journal_open_ro(fx->jpath, &err));
	assert_int_equal(err, -EINVAL);
	unlink(fx->jpath);
}

/* A journal of format 1 (no header, no checksums): read once, rewritten
 * with both, the old file kept as PATH.1; a read-only open converts
 * nothing. */
static void test_legacy(void **state)
{
	struct fx *fx = *state;
	static const char old[] =
		"{\"seq\":1,\"time\":1,\"op\":\"set\",\"side\":\"guest\",\"domain\":\"\",\"kind\":\"sysctl\","
		"\"target\":\"\",\"key\":\"net.core.somaxconn\",\"old\":\"4096\",\"new\":\"8192\",\"rule\":\"r\"}\n"
		"{\"seq\":2,\"time\":2,\"ref\":1,\"op\":\"applied\",\"side\":\"guest\",\"domain\":\"\","
		"\"kind\":\"sysctl\",\"target\":\"\",\"key\":\"net.core.somaxconn\",\"old\":\"\",\"new\":\"8192\"}\n";
	char one[200], *now;
	size_t len;
	int err;
	spit(fx->jpath, old, strlen(old), 0600);
	put(fx->root, SOMAX, "8192\n");
	struct journal *j = journal_open_ro(fx->jpath, &err);
	assert_non_null(j);
	assert_int_equal(journal_count(j), 2);
	journal_close(j);
	now = slurp(fx->jpath, &len);
	assert_memory_equal(now, old, strlen(old));
	free(now);
	j = jopen(fx);
	assert_int_equal(journal_count(j), 2);
	assert_string_equal(journal_state(j, 1), "applied");
	journal_close(j);
	now = slurp(fx->jpath, &len);
	assert_int_equal(strncmp(now, "{\"vtune_journal\":2,\"base_seq\":2,\"crc\":\"", 38), 0);
	free(now);
	snprintf(one, sizeof one, "%s.1", fx->jpath);
	now = slurp(one, &len);
	assert_int_equal(len, strlen(old));
	free(now);
	assert_int_equal(run_cli("revert", "--all", "--journal", fx->jpath, "--root", fx->root,
				 NULL), 0);
	assert_string_equal(val(fx, SOMAX), "4096\n");
}

/* Flip one digit of a record, zero a 4 KiB block: those records are
 * listed, nothing is restored from them, every other change is, and the
 * CLI exits 1 with the damage on stderr. */
static void test_damage(void **state)
{
	struct fx *fx = *state;
	char why[3001];
	memset(why, 'w', sizeof why - 1);
	why[sizeof why - 1] = '\0';
	struct journal *j = jopen(fx);
	apply(j, fx, "net.core.somaxconn", "8192", "short");
	apply(j, fx, "net.ipv4.tcp_max_syn_backlog", "1024", why); /* ~3.3 KB */
	apply(j, fx, "net.ipv4.tcp_max_syn_backlog", "2048", why);
	apply(j, fx, "net.core.netdev_budget", "600", "short");
	journal_close(j);
	size_t len;
	char *text = slurp(fx->jpath, &len);
	/* one byte: the somaxconn record's old value 4096 -> 4097 */
	char *p = strstr(text, "\"old\":\"4096\"");
	assert_non_null(p);
	p[10] = '7';
	spit(fx->jpath, text, len, 0600);
	j = jopen(fx);
	assert_int_equal(journal_damage_count(j), 1);
	assert_non_null(strstr(journal_damage(j, 0), "bad checksum"));
	journal_close(j);
	/* and 4 KiB of zeros from the first syn_backlog record on */
	char *b = strstr(text, "\"key\":\"net.ipv4.tcp_max_syn_backlog\"");
	assert_non_null(b);
	while (b > text && b[-1] != '\n')
		b--;
	char *c = strstr(text, "\"key\":\"net.core.netdev_budget\"");
	assert_true(c - b > 4096);
	memset(b, 0, 4096);
	spit(fx->jpath, text, len, 0600);
	free(text);
	j = jopen(fx);
	assert_true(journal_damage_count(j) >= 2);
	int zero = 0;
	for (size_t i = 0; journal_damage(j, i); i++)
		zero |= strstr(journal_damage(j, i), "NUL bytes") != NULL;
	assert_true(zero);
	journal_close(j);
	/* revert: what is intact comes back; the rest is said, exit 1 */
	char errf[200];
	snprintf(errf, sizeof errf, "%s/stderr", fx->root);
	fflush(stderr);
	int saved = dup(2), efd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(efd, 2);
	int rc = run_cli("revert", "--all", "--journal", fx->jpath, "--root", fx->root, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(efd);
	assert_int_equal(rc, 1);
	char *err = slurp(errf, NULL);
	assert_non_null(strstr(err, "bad checksum: skipped, nothing restored from it"));
	assert_non_null(strstr(err, "NUL bytes"));
	assert_non_null(strstr(err, "cannot be restored by vtune"));
	free(err);
	/* intact: budget back; damaged: nothing written from them (no wrong
	 * value from the flipped digit) */
	assert_string_equal(val(fx, BUDGET), "300\n");
	assert_string_equal(val(fx, SOMAX), "8192\n");
	assert_string_equal(val(fx, SYNB), "2048\n");
}

/* An overlong line (no record is that long) is skipped in bounded memory;
 * records after it load. */
static void test_overlong_line(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx);
	apply(j, fx, "net.core.somaxconn", "8192", "a");
	journal_close(j);
	size_t big = 3 * JOURNAL_LINE_MAX;
	char *junk = malloc(big + 1);
	memset(junk, 'x', big);
	junk[big] = '\n';
	int fd = open(fx->jpath, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, junk, big + 1), (ssize_t)(big + 1));
	close(fd);
	j = jopen(fx);
	apply(j, fx, "net.ipv4.tcp_max_syn_backlog", "1024", "b");
	journal_close(j);
	j = jopen(fx);
	assert_int_equal(journal_damage_count(j), 1);
	assert_string_equal(journal_damage(j, 0), "line 4: line too long: skipped");
	assert_int_equal(journal_count(j), 4);
	journal_close(j);
	/* and one that never ends (a crash, or a sparse tail): cut */
	struct stat st;
	assert_int_equal(stat(fx->jpath, &st), 0);
	off_t before = st.st_size;
	fd = open(fx->jpath, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, junk, big), (ssize_t)big);
	close(fd);
	free(junk);
	j = jopen(fx);
	assert_int_equal(journal_count(j), 4);
	journal_close(j);
	assert_int_equal(stat(fx->jpath, &st), 0);
	assert_int_equal(st.st_size, before);
}

/* Closed history goes: the file is rewritten with what is open, the old
 * one kept as PATH.1, numbering carries on, memory holds the open only. */
static void test_compaction(void **state)
{
	struct fx *fx = *state;
	struct journal *j = jopen(fx);
	struct jrec r = { .side = "guest", .domain = "vm1", .kind = "sysctl", .target = "",
			  .key = "net.core.somaxconn", .old = "128", .new = "4096", .rule = "r",
			  .guest = "vm1" };
	journal_batch_begin(j);
	int64_t keep = journal_intent(j, &r);
	for (int i = 0; i < 3000; i++) {
		int64_t s = journal_intent(j, &r);
		assert_true(s > 0);
		assert_int_equal(journal_mark(j, s, i % 2 ? "reverted" : "failed", NULL), 0);
	}
	assert_int_equal(journal_mark(j, keep, "applied", NULL), 0);
	assert_int_equal(journal_batch_end(j), 0);
	assert_int_equal(journal_count(j), 6002);
	assert_int_equal(journal_maintain(j), 1);
	assert_int_equal(journal_count(j), 2);
	assert_int_equal(journal_maintain(j), 0);
	int64_t next = journal_intent(j, &r);
	assert_int_equal(next, 6003);
	journal_close(j);
	size_t len;
	char *text = slurp(fx->jpath, &len);
	int lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, 4); /* header, the open change, its mark, the new one */
	assert_non_null(strstr(text, "\"base_seq\":6002"));
	free(text);
	char one[200];
	struct stat st;
	snprintf(one, sizeof one, "%s.1", fx->jpath);
	assert_int_equal(stat(one, &st), 0);
	assert_true(st.st_size > 6000 * 100);
	j = jopen(fx);
	assert_int_equal(journal_count(j), 3);
	assert_string_equal(journal_state(j, keep), "applied");
	assert_string_equal(journal_state(j, next), "set");
	journal_close(j);
	/* a file of closed history read at open: compacted there */
	j = jopen(fx);
	journal_batch_begin(j);
	for (int i = 0; i < 2000; i++) {
		int64_t s = journal_intent(j, &r);
		journal_mark(j, s, "reverted", NULL);
	}
	journal_batch_end(j);
	journal_set_compact(j, 0);
	assert_int_equal(journal_maintain(j), 0);
	journal_close(j);
	j = jopen(fx);
	assert_int_equal(journal_count(j), 3);
	journal_close(j);
	text = slurp(fx->jpath, &len);
	lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, 4);
	free(text);
}

/* journal_in_use: the kernel's list of locks, read without taking one. */
static void test_in_use(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(journal_in_use(fx->jpath), 0); /* no file */
	struct journal *j = jopen(fx);
	assert_int_equal(journal_in_use(fx->jpath), 1);
	journal_close(j);
	assert_int_equal(journal_in_use(fx->jpath), 0);
	int err = 0;
	j = journal_open_ro(fx->jpath, &err);
	assert_non_null(j);
	assert_int_equal(journal_in_use(fx->jpath), 0); /* a reader holds nothing */
	journal_close(j);
	/* another process holds it (as vtune-hostd would) */
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(fx->jpath, O_RDWR);
		char c = flock(fd, LOCK_EX | LOCK_NB) == 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c = 0;
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(journal_in_use(fx->jpath), 1);
	/* it took no lock itself: the holder's is the only one */
	int fd = open(fx->jpath, O_RDONLY);
	assert_int_equal(flock(fd, LOCK_SH | LOCK_NB), -1);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
	assert_int_equal(journal_in_use(fx->jpath), 0);
	fd = open(fx->jpath, O_RDONLY);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);

	/* lines of a recorded /proc/locks: only an FLOCK on this very inode */
	struct stat st;
	assert_int_equal(stat(fx->jpath, &st), 0);
	char locks[256], text[1024];
	snprintf(locks, sizeof locks, "%s/locks", fx->root);
	unsigned ma = major(st.st_dev), mi = minor(st.st_dev);
	unsigned long long ino = (unsigned long long)st.st_ino;
	snprintf(text, sizeof text,
		 "1: POSIX  ADVISORY  WRITE 99 %02x:%02x:%llu 0 EOF\n"
		 "2: FLOCK  ADVISORY  WRITE 98 %02x:%02x:%llu 0 EOF\n"
		 "3: FLOCK  ADVISORY  WRITE 97 %02x:%02x:%llu 0 EOF\n"
		 "3: -> FLOCK  ADVISORY  WRITE 96 %02x:%02x:%llu 0 EOF\n",
		 ma, mi, ino, ma, mi + 1, ino, ma, mi, ino + 1, ma, mi, ino);
	spit(locks, text, strlen(text), 0600);
	assert_int_equal(journal_in_use_from(locks, fx->jpath), 0);
	size_t l = strlen(text);
	snprintf(text + l, sizeof text - l, "4: FLOCK  ADVISORY  WRITE 95 %02x:%02x:%llu 0 EOF\n",
		 ma, mi, ino);
	spit(locks, text, strlen(text), 0600);
	assert_int_equal(journal_in_use_from(locks, fx->jpath), 1);
	assert_int_equal(journal_in_use_from("/nonexistent/locks", fx->jpath), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test_setup_teardown(test_refused_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_use, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
