/* test_kfs_cache: the open-file cache's directory listings — sorted like
 * kfs_list, and a device directory renamed, re-created or removed between
 * two listings never leaves a descriptor reading the old object. */
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

static char root[64];

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_sorted_and_renames),
		cmocka_unit_test(test_list_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
