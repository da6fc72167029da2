/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_kfs_cache: the open-file cache's directory listings — sorted like
 * kfs_list, and a device directory renamed, re-created or removed between
 * two listings never leaves a descriptor reading the old object — and its
 * index: more files than it keeps, entries dropped from the middle, every
 * file still read as itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kfs.h"

#include <dirent.h>

static char root[64];

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *name)
{
	char p[256];
	snprintf(p, sizeof p, "%s/net/%s", root, name);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/net/%s/queues", root, name);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/net/%s/queues/rx-0", root, name);
	assert_int_equal(mkdir(p, 0755), 0);
}

struct seen {
	char names[8][32];
	int n;
};

static int collect(const char *name, void *arg)
{
	struct seen *s = arg;
	if (s->n < 8)
		snprintf(s->names[s->n++], sizeof s->names[0], "%s", name);
	return 0;
}

/* List net/ and eth0's queues, then read eth0's mask through the cache. */
static void mask(struct kfs_cache *c, char *out, size_t n, int want)
{
	struct seen s = { 0 };
	assert_int_equal(kfs_cache_list(c, root, "net", collect, &s), 0);
	kfs_cache_list(c, root, "net/eth0/queues", collect, &s);
	assert_int_equal(kfs_cache_read_str(c, root, "net/eth0/queues/rx-0/rps_cpus", out, n),
			 want);
}

static void test_list_sorted_and_renames(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/vtune-kfsc-XXXXXX", p[256], m[16];
	assert_non_null(mkdtemp(tmpl));
	snprintf(root, sizeof root, "%s", tmpl);
	snprintf(p, sizeof p, "%s/net", root);
	assert_int_equal(mkdir(p, 0755), 0);
	mkdirs("eth0");
	mkdirs("lo");
	mkdirs("br0");
	put("net/eth0/queues/rx-0/rps_cpus", "1\n");

	struct kfs_cache *c = kfs_cache_new();
	assert_non_null(c);
	struct seen s = { 0 };
	assert_int_equal(kfs_cache_list(c, root, "net", collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.names[0], "br0");
	assert_string_equal(s.names[1], "eth0");
	assert_string_equal(s.names[2], "lo");

	mask(c, m, sizeof m, 0);
	assert_string_equal(m, "1");

	/* eth0 renamed eth1, a new eth0 made: the cached descriptor, which
	 * now reads eth1's file, must not answer for eth0 */
	char a[256], b[256];
	snprintf(a, sizeof a, "%s/net/eth0", root);
	snprintf(b, sizeof b, "%s/net/eth1", root);
	assert_int_equal(rename(a, b), 0);
	mkdirs("eth0");
	put("net/eth0/queues/rx-0/rps_cpus", "2\n");
	mask(c, m, sizeof m, 0);
	assert_string_equal(m, "2");

	/* eth0 removed: gone, not read from a kept descriptor */
	snprintf(p, sizeof p, "rm -rf %s/net/eth0", root);
	assert_int_equal(system(p), 0);
	mask(c, m, sizeof m, -ENOENT);

	kfs_cache_free(c);
	snprintf(p, sizeof p, "rm -rf %s", root);
	assert_int_equal(system(p), 0);
}

static void test_list_missing(void **state)
{
	(void)state;
	struct kfs_cache *c = kfs_cache_new();
	struct seen s = { 0 };
	assert_int_equal(kfs_cache_list(c, "/nonexistent-vtune-root", "net", collect, &s),
			 -ENOENT);
	assert_int_equal(s.n, 0);
	kfs_cache_free(c);
}

/* KFS_CACHE_MAX + 100 devices with one file each, read twice through the
 * cache (the last 100 uncached); then every tenth device removed and
 * re-made with another value, the directory listed (their descriptors
 * dropped, others moved in the table), and every file read again. */
static void test_many_and_drops(void **state)
{
	(void)state;
	enum { N = KFS_CACHE_MAX + 100 };
	char tmpl[] = "/tmp/vtune-kfsc-XXXXXX", p[256], v[32], want[32];
	assert_non_null(mkdtemp(tmpl));
	snprintf(root, sizeof root, "%s", tmpl);
	snprintf(p, sizeof p, "%s/net", root);
	assert_int_equal(mkdir(p, 0755), 0);
	for (int i = 0; i < N; i++) {
		char name[16], rel[64];
		snprintf(name, sizeof name, "d%04d", i);
		mkdirs(name);
		snprintf(rel, sizeof rel, "net/%s/queues/rx-0/rps_cpus", name);
		snprintf(v, sizeof v, "%d\n", i);
		put(rel, v);
	}
	int fds0 = open_fds();
	struct kfs_cache *c = kfs_cache_new();
	assert_non_null(c);
	struct seen s = { 0 };
	for (int round = 0; round < 3; round++) {
		if (round == 2) { /* every tenth re-made, another value */
			for (int i = 0; i < N; i += 10) {
				char name[16], rel[64];
				snprintf(name, sizeof name, "d%04d", i);
				snprintf(p, sizeof p, "rm -rf %s/net/%s", root, name);
				assert_int_equal(system(p), 0);
				mkdirs(name);
				snprintf(rel, sizeof rel, "net/%s/queues/rx-0/rps_cpus", name);
				snprintf(v, sizeof v, "%d\n", 100000 + i);
				put(rel, v);
			}
		}
		s.n = 0;
		assert_int_equal(kfs_cache_list(c, root, "net", collect, &s), 0);
		for (int i = 0; i < N; i++) {
			char rel[64];
			snprintf(rel, sizeof rel, "net/d%04d/queues/rx-0/rps_cpus", i);
			assert_int_equal(kfs_cache_read_str(c, root, rel, v, sizeof v), 0);
			snprintf(want, sizeof want, "%d", round == 2 && i % 10 == 0 ? 100000 + i : i);
			assert_string_equal(v, want);
		}
		/* at most one descriptor per entry, however many files */
		assert_true(open_fds() <= fds0 + KFS_CACHE_MAX);
	}
	kfs_cache_free(c);
	assert_int_equal(open_fds(), fds0);
	snprintf(p, sizeof p, "rm -rf %s", root);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_sorted_and_renames),
		cmocka_unit_test(test_list_missing),
		cmocka_unit_test(test_many_and_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
