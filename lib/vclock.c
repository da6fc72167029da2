/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vclock: real or test-driven time. */
#include "vclock.h"

#include <time.h>

static int fake;
static uint64_t fake_mono, fake_wall, fake_cpu;

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t vclock_mono_ns(void)
{
	return fake ? fake_mono : read_clock(CLOCK_MONOTONIC);
}

uint64_t vclock_wall_ns(void)
{
	return fake ? fake_wall : read_clock(CLOCK_REALTIME);
}

uint64_t vclock_cpu_ns(void)
{
	return fake ? fake_cpu : read_clock(CLOCK_THREAD_CPUTIME_ID);
}

void vclock_fake_start(uint64_t mono_ns, uint64_t wall_ns)
{
	fake = 1;
	fake_mono = mono_ns;
	fake_wall = wall_ns;
	fake_cpu = 0;
}

void vclock_fake_cpu_advance(uint64_t ns)
{
	fake_cpu += ns;
}

void vclock_fake_advance(uint64_t ns)
{
	fake_mono += ns;
	fake_wall += ns;
}

void vclock_fake_stop(void)
{
	fake = 0;
}
