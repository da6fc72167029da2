/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_unix_listen: the control sockets' listening end: made 0600 in a
 * folder it creates, a live one left alone, a dead one's socket replaced,
 * anything that is not a socket refused, a path too long refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unix_listen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_listen(void **state)
{
	(void)state;
	char dir[] = "/tmp/vtune-ul-XXXXXX", path[128], sub[64];
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof sub, "%s/run", dir);
	snprintf(path, sizeof path, "%s/ctl.sock", sub);

	int fd = unix_listen(path, 4);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	/* someone answers there: left alone */
	assert_int_equal(unix_listen(path, 4), -EADDRINUSE);
	/* its process died (the fd closed, the socket file stays): replaced */
	close(fd);
	assert_int_equal(lstat(path, &st), 0);
	fd = unix_listen(path, 4);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	/* not a socket: refused, untouched */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(unix_listen(path, 4), -EEXIST);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(path);
	rmdir(sub);
	rmdir(dir);

	char longp[200];
	memset(longp, 'a', sizeof longp - 1);
	longp[0] = '/';
	longp[sizeof longp - 1] = '\0';
	assert_int_equal(unix_listen(longp, 4), -ENAMETOOLONG);
	assert_int_equal(unix_listen("", 4), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
