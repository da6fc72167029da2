/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_catalogue: every row of the metric catalogue (lib/metrics.h) is
 * produced by its source, and by nothing else: each guest row gets a value
 * from the guest view on at least one fixture tree (real captures, see
 * tests/fixtures/README.md), and none when its source group failed; each
 * row is documented in vtune-policies(5). The host rows' producers are
 * tested on fixture trees by test_host_view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gview.h"
#include "metrics.h"
#include "sample_pair.h"

#define FX "tests/fixtures/"

static const char *const pairs[][2] = {
	{ FX "host-6.18/t0", FX "host-6.18/t1" },
	{ FX "debian-6.1/t0", FX "debian-6.1/t1" },
	{ FX "host-6.18-seeds/t0", FX "host-6.18-seeds/t1" },
	{ FX "debian-6.1-seeds/t0", FX "debian-6.1-seeds/t1" },
	{ FX "ports-6.18", FX "ports-6.18" },
	{ FX "ports-listen-6.18", FX "ports-listen-6.18" },
	{ FX "synq-6.18", FX "synq-6.18" },
};
#define NPAIRS (sizeof pairs / sizeof *pairs)

static int guest_row(int id)
{
	return metric_defs[id].src < MS_HOST;
}

/* Each guest row has a value on some fixture, and no host row comes out of
 * the guest view. */
static void test_guest_rows_produced(void **state)
{
	(void)state;
	static char seen[M_COUNT];
	for (size_t i = 0; i < NPAIRS; i++) {
		struct gv_sample s;
		struct mvec m;
		sample_pair(pairs[i][0], pairs[i][1], 2, GV_READ_NETLINK, &s);
		gv_sample_metrics(&s, &m);
		for (int id = 0; id < M_COUNT; id++)
			if (mvec_has(&m, id)) {
				if (!guest_row(id))
					fail_msg("%s: host row from the guest view", metric_defs[id].name);
				seen[id] = 1;
			}
		gv_sample_free(&s);
	}
	int missing = 0;
	for (int id = 0; id < M_COUNT; id++)
		if (guest_row(id) && !seen[id]) {
			print_error("%s: no fixture produces it\n", metric_defs[id].name);
			missing++;
		}
	assert_int_equal(missing, 0);
}

/* The half-open connections of a SYN flood (tests/fixtures/capture-synq):
 * the listener on 9400 with backlog 4 holds some in SYN_RECV. */
static void test_synq_capture(void **state)
{
	(void)state;
	struct gv_sample s;
	struct mvec m;
	sample_pair(FX "synq-6.18", FX "synq-6.18", 2, GV_READ_NETLINK, &s);
	gv_sample_metrics(&s, &m);
	assert_true(mvec_has(&m, M_GUEST_TCP_SYN_RECV_MAX));
	assert_true(mvec_get(&m, M_GUEST_TCP_SYN_RECV_PORT) == 9400);
	print_message("half-open on 9400: %.0f\n", mvec_get(&m, M_GUEST_TCP_SYN_RECV_MAX));
	assert_true(mvec_get(&m, M_GUEST_TCP_SYN_RECV_MAX) >= 4);
	gv_sample_free(&s);
}

/* A row's value comes from its source: with that group failed, it has
 * none. */
static void test_failed_source_gives_nothing(void **state)
{
	(void)state;
	for (size_t i = 0; i < NPAIRS; i++)
		for (int g = 0; g < GV_NGROUPS; g++) {
			struct gv_sample s;
			struct mvec m;
			sample_pair(pairs[i][0], pairs[i][1], 2, GV_READ_NETLINK, &s);
			s.status[g] = -EIO;
			gv_sample_metrics(&s, &m);
			for (int id = 0; id < M_COUNT; id++)
				if (metric_defs[id].src == (enum metric_src)g && mvec_has(&m, id))
					fail_msg("%s: a value with its group %s failed (%s)",
						 metric_defs[id].name, gv_group_name(g), pairs[i][0]);
			gv_sample_free(&s);
		}
}

/* The C and K rows carry what the catalogue reads them with. */
static void test_row_kinds(void **state)
{
	(void)state;
	int nc = 0, nk = 0;
	for (int id = 0; id < M_COUNT; id++) {
		const struct metric_def *d = &metric_defs[id];
		if (d->section) {
			assert_true(d->src == MS_SNMP || d->src == MS_NETSTAT);
			assert_non_null(d->field);
			assert_int_equal(metric_of_counter[d->slot], id);
			assert_true(d->unit == MU_RATE || d->unit == MU_TOTAL || d->unit == MU_COUNT);
			nc++;
		} else if (d->sysctl) {
			assert_int_equal(d->src, MS_KNOBS);
			assert_int_equal(d->unit, MU_VALUE);
			assert_int_equal(metric_of_knob[d->slot], id);
			nk++;
		} else {
			assert_int_equal(d->slot, -1);
		}
	}
	assert_int_equal(nc, MC_COUNT);
	assert_int_equal(nk, MK_COUNT);
}

/* Every row has its entry in vtune-policies(5): ".B name" on a line. */
static void test_rows_documented(void **state)
{
	(void)state;
	FILE *f = fopen("man/vtune-policies.5", "r");
	assert_non_null(f);
	static char documented[M_COUNT];
	char line[512];
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, ".B ", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		int id = metric_lookup(line + 3);
		if (id >= 0)
			documented[id] = 1;
	}
	fclose(f);
	int missing = 0;
	for (int id = 0; id < M_COUNT; id++)
		if (!documented[id]) {
			print_error("%s: not in man/vtune-policies.5\n", metric_defs[id].name);
			missing++;
		}
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_rows_produced),
		cmocka_unit_test(test_synq_capture),
		cmocka_unit_test(test_failed_source_gives_nothing),
		cmocka_unit_test(test_row_kinds),
		cmocka_unit_test(test_rows_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
