/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_gv_procs: from listening sockets' inodes to the processes holding
 * them (gv_procs_walk) on a proc tree of descriptor links as the kernel
 * shows them: "socket:[N]" matched, every other link (pipes, anonymous
 * inodes, files, a bad or out-of-range inode) not; the first holder kept;
 * irqbalance noticed; the descriptor budget and the cursor that resumes the
 * walk. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "gv_procs.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void mkdirs(const char *root, const char *rel)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void put(const char *root, const char *rel, const char *content)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

/* proc/PID/fd/FD -> target (a link that need not resolve, as in /proc). */
static void fd_link(const char *root, int pid, int fd, const char *target)
{
	char p[512];
	snprintf(p, sizeof p, "%s/proc/%d/fd", root, pid);
	mkdirs(root, p + strlen(root) + 1);
	snprintf(p, sizeof p, "%s/proc/%d/fd/%d", root, pid, fd);
	assert_int_equal(symlink(target, p), 0);
}

static void proc(const char *root, int pid, const char *comm)
{
	char rel[64], c[64];
	snprintf(rel, sizeof rel, "proc/%d", pid);
	mkdirs(root, rel);
	snprintf(rel, sizeof rel, "proc/%d/comm", pid);
	snprintf(c, sizeof c, "%s\n", comm);
	put(root, rel, c);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	char *root = strdup("/tmp/vtune-procs-XXXXXX");
	if (!root || !mkdtemp(root))
		return -1;
	proc(root, 100, "nginx");
	fd_link(root, 100, 0, "/dev/null");
	fd_link(root, 100, 1, "pipe:[5001]");
	fd_link(root, 100, 2, "anon_inode:[eventpoll]");
	fd_link(root, 100, 3, "socket:[7001]");
	fd_link(root, 100, 4, "socket:[7002x]");	/* not an inode number */
	fd_link(root, 100, 5, "socket:[99999999999999999999]"); /* out of range */
	fd_link(root, 100, 6, "socket:[]");
	fd_link(root, 100, 7, "socket:[+7003]");
	proc(root, 200, "irqbalance");
	fd_link(root, 200, 0, "socket:[7003]");
	proc(root, 300, "worker");
	fd_link(root, 300, 0, "socket:[7001]"); /* a second holder (forked) */
	fd_link(root, 300, 1, "socket:[7002]");
	mkdirs(root, "proc/self"); /* not a pid */
	mkdirs(root, "proc/sys");
	*state = root;
	return 0;
}

static int teardown(void **state)
{
	char *root = *state;
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
	return 0;
}

static void test_walk(void **state)
{
	const char *root = *state;
	const uint32_t ino[] = { 7001, 7002, 7003, 5001, 8000 };
	int pids[5] = { 0 }, cursor = 0, ib = 0;
	assert_int_equal(gv_procs_walk(root, ino, 5, pids, &cursor, UINT64_MAX, &ib), 0);
	assert_int_equal(pids[0], 100); /* the first holder, in pid order */
	assert_int_equal(pids[1], 300); /* 100's "socket:[7002x]" is no socket link */
	assert_int_equal(pids[2], 200);
	assert_int_equal(pids[3], 0);	/* a pipe with that inode is not a socket */
	assert_int_equal(pids[4], 0);
	assert_int_equal(ib, 1);
	assert_int_equal(cursor, 0); /* the walk ended */
}

/* At most max_fds descriptors a call: the cursor says where to go on. */
static void test_budget_and_cursor(void **state)
{
	const char *root = *state;
	const uint32_t ino[] = { 7001, 7002, 7003 };
	int pids[3] = { 0 }, cursor = 0, ib = 0;
	/* pid 100 has 8 descriptors: the budget ends inside it */
	assert_int_equal(gv_procs_walk(root, ino, 3, pids, &cursor, 8, &ib), 0);
	assert_int_equal(cursor, 100);
	assert_int_equal(pids[0], 100);
	assert_int_equal(pids[2], 0);
	assert_int_equal(ib, 0);
	assert_int_equal(gv_procs_walk(root, ino, 3, pids, &cursor, 8, &ib), 0);
	assert_int_equal(cursor, 0);
	assert_int_equal(pids[1], 300);
	assert_int_equal(pids[2], 200);
	assert_int_equal(ib, 1);
	/* no inodes: only the processes are looked at */
	ib = 0;
	assert_int_equal(gv_procs_walk(root, NULL, 0, NULL, &cursor, 8, &ib), 0);
	assert_int_equal(ib, 1);
	assert_int_equal(cursor, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_and_cursor, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
