/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sample_pair: the sample of two fixture readings, for tests (see
 * sample_pair.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sample_pair.h"

void sample_pair(const char *t0, const char *t1, double secs, int flags, struct gv_sample *s)
{
	struct gv_reading a, b;
	assert_int_equal(gv_read(t0, flags, &a), 0);
	assert_int_equal(gv_read(t1, flags, &b), 0);
	if (secs <= 0) {
		assert_true(a.has_uptime && b.has_uptime && b.uptime_s > a.uptime_s);
		secs = b.uptime_s - a.uptime_s;
	}
	a.mono_ns = 1000000000ull;
	b.mono_ns = a.mono_ns + (uint64_t)(secs * 1e9);
	assert_int_equal(gv_sample_compute(&a, &b, s), 0);
	gv_reading_free(&a);
	gv_reading_free(&b);
}
