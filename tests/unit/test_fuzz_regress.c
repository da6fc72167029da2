/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_fuzz_regress: every crash the fuzzers (tests/fuzz/) found, fed to the
 * function that crashed. Each input is kept byte for byte; the buffers are
 * allocated at their exact size, so the unit-asan run catches a read past
 * the end even where a plain build would not crash. */
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

#include "gview.h"
#include "policy.h"
#include "sockdiag.h"

static void *dup_exact(const void *p, size_t n)
{
	void *b = malloc(n ? n : 1);
	assert_non_null(b);
	memcpy(b, p, n);
	return b;
}

/* fuzz_sockdiag, crash-cf64edcf845421e8ee06fb1fc6ee4c94dbb696e8: one
 * SOCK_DIAG_BY_FAMILY message of 103 bytes (not padded to 4) and nothing
 * after it. NLMSG_NEXT took 104 from a size_t of 103 bytes left, which
 * wrapped, and walk() read the next header past the end (heap overflow,
 * lib/sockdiag.c walk). Truncated answer: -EINVAL. */
static const unsigned char sockdiag_unpadded_last[103] = {
	0x67, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x67, 0x00, 0x00, 0x00, 0x14,
	0x00, 0x00, 0x00, 0x10, 0x02, 0x00, 0x5d, 0x00, [0x38] = 0x10, 0x02,
	0x00, 0x00, 0x5d, [0x65] = 0x93, 0x20,
};

static void test_sockdiag_unpadded_last(void **state)
{
	(void)state;
	struct gv_listener *v = NULL;
	int n = -1;
	void *buf = dup_exact(sockdiag_unpadded_last, sizeof sockdiag_unpadded_last);
	assert_int_equal(sockdiag_parse_listeners(buf, sizeof sockdiag_unpadded_last,
						  &v, &n), -EINVAL);
	free(buf);
}

/* The same bytes as a recorded answer in a fixture root: parse_two() walked
 * the buffer with the same NLMSG_NEXT looking for DONE markers. */
static void test_sockdiag_unpadded_last_replay(void **state)
{
	(void)state;
	char root[] = "/tmp/test-fuzz-regress-XXXXXX", dir[64], file[96];
	struct gv_listener *v = NULL;
	uint64_t count = 0;
	int n = -1;
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof dir, "%s/netlink", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	const char *names[] = { "sock_diag_listen.bin", "sock_diag_ports.bin" };
	for (int i = 0; i < 2; i++) {
		snprintf(file, sizeof file, "%s/%s", dir, names[i]);
		FILE *f = fopen(file, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(sockdiag_unpadded_last, 1,
					sizeof sockdiag_unpadded_last, f),
				 sizeof sockdiag_unpadded_last);
		assert_int_equal(fclose(f), 0);
	}
	assert_int_equal(sockdiag_listeners(root, &v, &n), -EINVAL);
	assert_int_equal(sockdiag_count_ports(root, 1024, 65535, &count), -EINVAL);
	for (int i = 0; i < 2; i++) {
		snprintf(file, sizeof file, "%s/%s", dir, names[i]);
		unlink(file);
	}
	rmdir(dir);
	rmdir(root);
}

/* The fix leaves a good recorded answer (v4 part, DONE, v6 part, DONE) as
 * it was. */
static void test_sockdiag_fixture_still_parses(void **state)
{
	(void)state;
	struct gv_listener *v = NULL;
	int n = -1;
	assert_int_equal(sockdiag_listeners("tests/fixtures/host-6.18/t1", &v, &n), 0);
	assert_true(n > 0);
	free(v);
}

/* fuzz_policy, crash-3c8089ee062e6596c287f135a1e5d768c0a21b04 (1999 bytes,
 * cut down to this): a rule name that is a multi-line scalar came back
 * inside "name '...' must be ..." with its newline, so one problem printed
 * as two lines, the second not "file:line:col: ..." (policies/policy_load.c
 * diag_vadd). Control bytes in a message now print as '?'. */
static void test_policy_name_with_newline(void **state)
{
	(void)state;
	static const char *const texts[] = {
		/* the fuzzer's shape: a blank line inside a plain scalar */
		"version: 1\nrules:\n  - name: typo\n   \n      - uest\n"
		"    when: guest.cpu.steal > 5%\n",
		"version: 1\nrules:\n  - name: \"a\\nb\\r\\e[31mc\\x7f\"\n"
		"    when: guest.cpu.steal > 5%\n    guest:\n      - note: hi\n",
		"version: 1\nrules:\n  - name: ok\n    when: \"guest.cpu.steal >\\n\\x01\"\n"
		"    guest:\n      - note: hi\n",
	};
	for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
		struct pol_diag d;
		pol_diag_init(&d);
		assert_null(pol_load_string("f.yaml", texts[t], &d));
		assert_true(d.n > 0);
		for (size_t i = 0; i < d.n; i++) {
			assert_int_equal(strncmp(d.msgs[i], "f.yaml:", 7), 0);
			for (const char *p = d.msgs[i]; *p; p++)
				assert_false((unsigned char)*p < 0x20 || *p == 0x7f);
		}
		pol_diag_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sockdiag_unpadded_last),
		cmocka_unit_test(test_sockdiag_unpadded_last_replay),
		cmocka_unit_test(test_sockdiag_fixture_still_parses),
		cmocka_unit_test(test_policy_name_with_newline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
