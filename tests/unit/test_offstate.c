/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_offstate: the `vtune off` state file beside the journal
 * (lib/offstate): written whole with mode 0600 (its directory made when
 * missing), read back with its time, a damaged one still reads as off, a
 * symlink / directory / FIFO at its name is refused and never followed,
 * and `vtune on` removes it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "offstate.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/vtune-offstate.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Entries of d other than . and .. */
static int entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;
	assert_non_null(dp);
	while ((e = readdir(dp)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(dp);
	return n;
}

static void test_path(void **state)
{
	char p[32];
	(void)state;
	assert_int_equal(offstate_path("/var/lib/vtune/journal", p, sizeof p), 0);
	assert_string_equal(p, "/var/lib/vtune/journal.off");
	assert_int_equal(offstate_path("/var/lib/vtune/journal-of-a-long-name", p, sizeof p),
			 -ENAMETOOLONG);
	char d[128];
	assert_string_equal(offstate_describe(1700000000, d, sizeof d),
			    "tuning off since 2023-11-14T22:13:20Z (vtune off); vtune on resumes");
	assert_string_equal(offstate_describe(0, d, sizeof d),
			    "tuning off since a time not recorded (vtune off); vtune on resumes");
}

static void test_write_read_clear(void **state)
{
	char sub[128], p[160], why[256] = "";
	uint64_t since = 99;
	struct stat st;
	(void)state;
	/* the journal's directory does not exist yet: made, mode 0700 */
	snprintf(sub, sizeof sub, "%s/state", dir);
	snprintf(p, sizeof p, "%s/journal.off", sub);
	assert_int_equal(offstate_read(p, &since), 0);
	assert_int_equal(since, 0);
	assert_int_equal(offstate_write(p, 1700000000, why, sizeof why), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(offstate_read(p, &since), 1);
	assert_int_equal(since, 1700000000);
	assert_int_equal(entries(sub), 1); /* no temporary file left */
	/* written again: replaced whole */
	assert_int_equal(offstate_write(p, 1700000100, why, sizeof why), 0);
	assert_int_equal(offstate_read(p, &since), 1);
	assert_int_equal(since, 1700000100);
	assert_int_equal(entries(sub), 1);
	/* damaged: still off (the safe reading), time unknown */
	put(p, "off since yesterday\n");
	assert_int_equal(offstate_read(p, &since), 1);
	assert_int_equal(since, 0);
	put(p, "");
	assert_int_equal(offstate_read(p, &since), 1);
	assert_int_equal(since, 0);
	/* on: removed; removing again finds none */
	assert_int_equal(offstate_clear(p), 1);
	assert_int_equal(offstate_read(p, &since), 0);
	assert_int_equal(offstate_clear(p), 0);
}

static void test_refused(void **state)
{
	char p[160], target[160], why[256] = "";
	uint64_t since = 0;
	(void)state;
	/* a symlink at its name: not read, not followed when written */
	snprintf(p, sizeof p, "%s/journal.off", dir);
	snprintf(target, sizeof target, "%s/elsewhere", dir);
	put(target, "precious\n");
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(offstate_read(p, &since), -ELOOP);
	assert_true(offstate_write(p, 1, why, sizeof why) < 0);
	assert_true(why[0] != 0);
	char buf[32] = "";
	FILE *f = fopen(target, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	assert_string_equal(buf, "precious\n");
	unlink(p);
	/* a directory, a FIFO */
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(offstate_read(p, &since), -EINVAL);
	rmdir(p);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(offstate_read(p, &since), -EINVAL);
	unlink(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test_setup_teardown(test_write_read_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
