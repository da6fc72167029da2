/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_log: the log's limits hold whatever the text: a flood of distinct
 * messages from one source and class, distinct sources, the limit coming
 * back with time, the count of what was dropped, and every line escaped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "vclock.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEC 1000000000ull

static char path[64];
static int saved = -1;

/* stderr into a file from here */
static void capture(void)
{
	strcpy(path, "/tmp/vtune-log-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	log_init("t", LOG_TO_STDERR, LOG_DEBUG);
	log_set_ratelimit(60);
}

/* back to the real stderr; the lines written, in a malloc'd text */
static char *release(int *lines)
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 22);
	size_t n = fread(buf, 1, (1 << 22) - 1, f);
	fclose(f);
	unlink(path);
	*lines = 0;
	for (size_t i = 0; i < n; i++)
		*lines += buf[i] == '\n';
	return buf;
}

/* 100 distinct messages a second from one guest, for 60 s: 6000 lines
 * asked, LOG_SRC_BURST then one per LOG_SRC_PERIOD_S given. */
static void test_distinct_flood(void **state)
{
	(void)state;
	vclock_fake_start(1000 * SEC, 0);
	capture();
	for (int s = 0; s < 60; s++) {
		for (int k = 0; k < 100; k++)
			log_src(LOG_WARNING, "evil", "input", "guest evil: line dropped: field 'x%d-%d'",
				s, k);
		vclock_fake_advance(SEC);
	}
	int lines;
	char *out = release(&lines);
	vclock_fake_stop();
	print_message("6000 distinct messages in 60 s: %d lines\n", lines);
	assert_true(lines >= LOG_SRC_BURST && lines <= LOG_SRC_BURST + 60 / LOG_SRC_PERIOD_S + 1);
	/* what was dropped is counted in the next line given */
	assert_non_null(strstr(out, "more like it dropped)"));
	free(out);
}

/* 100 distinct sources (50 reconnecting channels, their hellos...): the
 * limit over all of them holds too. */
static void test_many_sources(void **state)
{
	(void)state;
	vclock_fake_start(1000 * SEC, 0);
	capture();
	char name[32];
	for (int s = 0; s < 15; s++) {
		for (int g = 0; g < 100; g++) {
			snprintf(name, sizeof name, "g%d", g);
			log_src(LOG_INFO, name, "channel", "guest %s: channel closed: %d", name, s);
			log_src(LOG_INFO, name, "hello", "guest %s: agent 0.1.%d, protocol v1", name, s);
		}
		vclock_fake_advance(SEC);
	}
	int lines;
	char *out = release(&lines);
	vclock_fake_stop();
	print_message("3000 messages from 100 sources in 15 s: %d lines\n", lines);
	assert_true(lines <= LOG_SRC_ALL_BURST + 15 * LOG_SRC_ALL_PER_S + 1);
	assert_true(lines >= LOG_SRC_ALL_BURST);
	free(out);
	/* another class of the same source has a limit of its own; a quiet
	 * source gets its burst back */
	vclock_fake_start(5000 * SEC, 0);
	capture();
	for (int k = 0; k < 20; k++)
		log_src(LOG_INFO, "vm1", "channel", "guest vm1: connected %d", k);
	log_src(LOG_WARNING, "vm1", "ack", "guest vm1: an ack");
	vclock_fake_advance(120 * SEC);
	for (int k = 0; k < 20; k++)
		log_src(LOG_INFO, "vm1", "channel", "guest vm1: connected again %d", k);
	out = release(&lines);
	vclock_fake_stop();
	assert_int_equal(lines, 2 * LOG_SRC_BURST + 1);
	assert_non_null(strstr(out, "guest vm1: an ack"));
	free(out);
}

/* Escaped: an escape sequence or a newline from a guest is shown, not
 * obeyed, and cannot forge a line. */
static void test_escaped(void **state)
{
	(void)state;
	capture();
	log_warn("guest %s: agent says: %s", "vm1", "\x1b]0;x\x07\nt: error: forged\xe2\x80\xae");
	int lines;
	char *out = release(&lines);
	assert_int_equal(lines, 1);
	assert_non_null(strstr(out, "\\x1b]0;x\\x07\\x0at: error: forged\\u{202e}"));
	free(out);
}

/* The same line twice within the window: a repeated warning is said once,
 * a change made twice is logged twice (each is an event). */
static void test_changes_not_limited(void **state)
{
	(void)state;
	capture();
	for (int i = 0; i < 3; i++) {
		log_warn("guest vm1: same warning");
		log_change(LOG_INFO, "set sysctl net.core.somaxconn 4096 -> 8192 (rule r)");
	}
	int lines;
	char *out = release(&lines);
	assert_int_equal(lines, 4);
	const char *p = out;
	int changes = 0;
	while ((p = strstr(p, "-> 8192 (rule r)\n")) != NULL) {
		changes++;
		p++;
	}
	assert_int_equal(changes, 3);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distinct_flood),
		cmocka_unit_test(test_many_sources),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_changes_not_limited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
