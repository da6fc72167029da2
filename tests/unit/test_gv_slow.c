/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The settings kept between their reads (gview.h gv_slow_new): read every
 * 10 s / interval readings, at once after vtune changed something, and
 * within 10 s of an administrator's change whatever the interval. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include "gv_reader.h"
#include "gview.h"
#include "vclock.h"

#define SEC 1000000000ull

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

static int setup(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(root, sizeof root, "/tmp/vtune-gvslow.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(cmd, sizeof cmd, "cp -a tests/fixtures/ports-6.18/. %s/", root);
	assert_int_equal(system(cmd), 0);
	vclock_fake_start(1000 * SEC, 1000 * SEC);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	vclock_fake_stop();
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	return system(cmd);
}

/* somaxconn and the port range as one reading gives them */
static void reading(struct gv_reader *rd, int64_t *somax, uint32_t *hi)
{
	struct gv_reading r;
	assert_int_equal(gv_reader_read(rd, root, 0, &r), 0);
	*somax = r.knobs.v[MK_GUEST_SOMAXCONN];
	*hi = r.ports.hi;
	gv_reading_free(&r);
}

static void test_every_tenth_at_one_second(void **state)
{
	(void)state;
	struct gv_reader *rd = gv_reader_new(NULL);
	assert_non_null(rd);
	gv_reader_set_interval(rd, 1.0);
	int64_t s;
	uint32_t hi;
	put("proc/sys/net/core/somaxconn", "4096\n");
	reading(rd, &s, &hi);
	assert_int_equal(s, 4096);
	/* an administrator's change at t = 0.5 s: kept values until the tenth
	 * reading after the last read, 10 s after it */
	put("proc/sys/net/core/somaxconn", "128\n");
	put("proc/sys/net/ipv4/ip_local_port_range", "40000\t40199\n");
	for (int i = 1; i < 10; i++) {
		vclock_fake_advance(SEC);
		reading(rd, &s, &hi);
		assert_int_equal(s, 4096);
		assert_int_equal(hi, 40099);
	}
	vclock_fake_advance(SEC);
	reading(rd, &s, &hi);
	assert_int_equal(s, 128);
	assert_int_equal(hi, 40199);
	/* vtune changed something: the next reading reads them */
	put("proc/sys/net/core/somaxconn", "1024\n");
	vclock_fake_advance(SEC);
	reading(rd, &s, &hi);
	assert_int_equal(s, 128);
	gv_reader_changed(rd);
	vclock_fake_advance(SEC);
	reading(rd, &s, &hi);
	assert_int_equal(s, 1024);
	gv_reader_free(rd);
}

static void test_ten_seconds_whatever_the_readings(void **state)
{
	(void)state;
	struct gv_reader *rd = gv_reader_new(NULL);
	assert_non_null(rd);
	gv_reader_set_interval(rd, 0.1); /* every 100 readings */
	int64_t s;
	uint32_t hi;
	put("proc/sys/net/core/somaxconn", "4096\n");
	reading(rd, &s, &hi);
	put("proc/sys/net/core/somaxconn", "256\n");
	/* readings late (3 s apart, not 0.1): the age decides */
	for (int i = 0; i < 3; i++) {
		vclock_fake_advance(3 * SEC);
		reading(rd, &s, &hi);
		assert_int_equal(s, 4096);
	}
	vclock_fake_advance(SEC);
	reading(rd, &s, &hi);
	assert_int_equal(s, 256);
	gv_reader_free(rd);
}

/* A group's failure is kept with the settings: the kept readings say
 * what the reading that read them said. */
static void test_failure_kept(void **state)
{
	(void)state;
	char p[256];
	snprintf(p, sizeof p, "%s/proc/sys/net/netfilter/nf_conntrack_max", root);
	assert_int_equal(unlink(p), 0);
	put("proc/sys/net/netfilter/nf_conntrack_count", "7\n");
	struct gv_reader *rd = gv_reader_new(NULL);
	assert_non_null(rd);
	gv_reader_set_interval(rd, 5.0); /* every second reading */
	for (int i = 0; i < 4; i++) {
		struct gv_reading r;
		assert_int_equal(gv_reader_read(rd, root, 0, &r), 0);
		assert_int_equal(r.ct.count, 7);
		if (i < 2) {
			assert_false(r.ct.present);
			assert_int_equal(r.status[GV_CONNTRACK], -ENOENT);
			assert_string_equal(r.error[GV_CONNTRACK],
					    "proc/sys/net/netfilter/nf_conntrack_max: No such file or directory");
		} else {
			assert_true(r.ct.present);
			assert_int_equal(r.ct.max, 512);
			assert_int_equal(r.knobs.v[MK_GUEST_NF_CONNTRACK_MAX], 512);
		}
		gv_reading_free(&r);
		vclock_fake_advance(5 * SEC);
		if (i == 1) /* the file appears: seen at the next read */
			put("proc/sys/net/netfilter/nf_conntrack_max", "512\n");
	}
	gv_reader_free(rd);
}

static void test_default_reads_every_time(void **state)
{
	(void)state;
	struct gv_reader *rd = gv_reader_new(NULL);
	assert_non_null(rd);
	int64_t s;
	uint32_t hi;
	put("proc/sys/net/core/somaxconn", "4096\n");
	reading(rd, &s, &hi);
	put("proc/sys/net/core/somaxconn", "512\n");
	reading(rd, &s, &hi);
	assert_int_equal(s, 512);
	gv_reader_free(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_tenth_at_one_second, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ten_seconds_whatever_the_readings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_reads_every_time, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
