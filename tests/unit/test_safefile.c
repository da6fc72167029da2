/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_safefile: files written as root (lib/safefile): a regular target is
 * replaced whole; a symlink, device, FIFO or directory target is refused
 * and left as it was; a symlink planted at the temporary name redirects
 * nothing; a write error (/dev/full) is reported and leaves the target. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "safefile.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/vtune-safefile.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path(char *p, size_t n, const char *name)
{
	snprintf(p, n, "%s/%s", dir, name);
}

static void put(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void expect_text(const char *p, const char *text)
{
	char buf[256] = "";
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t l = fread(buf, 1, sizeof buf - 1, f);
	buf[l] = 0;
	fclose(f);
	assert_string_equal(buf, text);
}

/* Only the names in want are in the directory (no temporary file left). */
static void expect_entries(int want)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	assert_int_equal(n, want);
}

static int w(const char *p, const char *text, char *why, size_t n)
{
	return safefile_write_buf(p, 0644, text, strlen(text), why, n);
}

static void test_new_and_replace(void **state)
{
	char p[128], why[128];
	struct stat st;
	(void)state;
	path(p, sizeof p, "out.html");
	assert_int_equal(w(p, "one\n", why, sizeof why), 0);
	expect_text(p, "one\n");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0022, 0);
	ino_t first = st.st_ino;
	assert_int_equal(w(p, "two\n", why, sizeof why), 0);
	expect_text(p, "two\n");
	assert_int_equal(stat(p, &st), 0);
	assert_true(st.st_ino != first); /* a new file renamed over it */
	expect_entries(1);
	assert_int_equal(unlink(p), 0);
}

static void test_symlink_target_refused(void **state)
{
	char p[128], victim[128], why[128];
	struct stat st;
	(void)state;
	path(victim, sizeof victim, "victim");
	path(p, sizeof p, "link");
	put(victim, "precious\n");
	assert_int_equal(symlink(victim, p), 0);
	assert_int_equal(w(p, "evil\n", why, sizeof why), -EEXIST);
	assert_non_null(strstr(why, "symbolic link"));
	expect_text(victim, "precious\n");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	expect_entries(2);
	unlink(p);
	unlink(victim);
}

static void test_fifo_dir_device_refused(void **state)
{
	char p[128], why[128];
	struct stat st;
	(void)state;
	path(p, sizeof p, "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(w(p, "x", why, sizeof why), -EINVAL); /* and did not block */
	assert_non_null(strstr(why, "FIFO"));
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	unlink(p);

	path(p, sizeof p, "sub");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(w(p, "x", why, sizeof why), -EISDIR);
	rmdir(p);

	/* a character device (1,7 is /dev/full's number: writing would fail,
	 * replacing it would destroy the node) */
	path(p, sizeof p, "dev");
	if (mknod(p, S_IFCHR | 0600, makedev(1, 7)) < 0) {
		assert_true(errno == EPERM || errno == EACCES); /* not root: that part skipped */
	} else {
		assert_int_equal(w(p, "x", why, sizeof why), -EINVAL);
		assert_non_null(strstr(why, "character device"));
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(st.st_rdev, makedev(1, 7));
		unlink(p);
	}
	/* the real /dev/full too, and /dev/null */
	assert_int_equal(w("/dev/full", "x", why, sizeof why), -EINVAL);
	assert_int_equal(w("/dev/null", "x", why, sizeof why), -EINVAL);
	expect_entries(0);
}

/* A predictable random part, to plant things at the temporary name. */
static unsigned long long seq[32];
static int nseq, iseq;
static unsigned long long next_rand(void)
{
	return iseq < nseq ? seq[iseq++] : 0xabcdefull;
}

static void test_planted_temp_name(void **state)
{
	char p[128], victim[128], plant[160], plant2[160], why[128];
	(void)state;
	path(victim, sizeof victim, "victim");
	path(p, sizeof p, "report.html");
	put(victim, "precious\n");
	/* the old fixed name FILE.tmp and the first random name both point at
	 * the victim: the write takes the next name */
	snprintf(plant, sizeof plant, "%s/report.html.tmp", dir);
	assert_int_equal(symlink(victim, plant), 0);
	snprintf(plant2, sizeof plant2, "%s/.report.html.000001", dir);
	assert_int_equal(symlink(victim, plant2), 0);
	seq[0] = 1;
	seq[1] = 2;
	nseq = 2;
	iseq = 0;
	safefile_set_rand(next_rand);
	assert_int_equal(w(p, "new\n", why, sizeof why), 0);
	assert_int_equal(iseq, 2);
	expect_text(victim, "precious\n");
	expect_text(p, "new\n");
	expect_entries(4);

	/* every name taken: refused, nothing written anywhere */
	for (int i = 0; i < 32; i++)
		seq[i] = 1;
	nseq = 32;
	iseq = 0;
	assert_int_equal(w(p, "evil\n", why, sizeof why), -EEXIST);
	expect_text(victim, "precious\n");
	expect_text(p, "new\n");
	safefile_set_rand(NULL);
	expect_entries(4);
	unlink(plant);
	unlink(plant2);
	unlink(p);
	unlink(victim);
}

static int fill_fail(FILE *f, void *arg)
{
	(void)arg;
	fputs("half", f);
	return -ENOSPC;
}

static void test_errors_leave_target(void **state)
{
	char p[128], why[128];
	(void)state;
	path(p, sizeof p, "keep");
	put(p, "old\n");
	assert_int_equal(safefile_write(p, 0644, fill_fail, NULL, why, sizeof why), -ENOSPC);
	assert_non_null(strstr(why, "No space"));
	expect_text(p, "old\n");
	expect_entries(1);
	unlink(p);
	assert_int_equal(w("/nonexistent-dir/x", "x", why, sizeof why), -ENOENT);
	assert_int_equal(w("", "x", why, sizeof why), -EISDIR);
	assert_int_equal(w("dir/", "x", why, sizeof why), -EISDIR);
}

/* stdout to /dev/full: the loss is reported (in a child: stdout is closed). */
static void test_close_stdout_dev_full(void **state)
{
	(void)state;
	fflush(stdout);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int fd = open("/dev/full", O_WRONLY);
		int nul = open("/dev/null", O_WRONLY);
		if (fd < 0 || dup2(fd, 1) < 0 || nul < 0 || dup2(nul, 2) < 0)
			_exit(3);
		printf("lost\n");
		_exit(safefile_close_stdout("test") == -ENOSPC ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_replace),
		cmocka_unit_test(test_symlink_target_refused),
		cmocka_unit_test(test_fifo_dir_device_refused),
		cmocka_unit_test(test_planted_temp_name),
		cmocka_unit_test(test_errors_leave_target),
		cmocka_unit_test(test_close_stdout_dev_full),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
