/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vclock: the one clock every module reads, so tests can drive time. */
#ifndef VTUNE_VCLOCK_H
#define VTUNE_VCLOCK_H

#include <stdint.h>

/* Monotonic nanoseconds. */
uint64_t vclock_mono_ns(void);
/* Wall-clock nanoseconds since the epoch. */
uint64_t vclock_wall_ns(void);
/* CPU time of the calling thread, user and kernel (what it costs to run a
 * piece of code, system calls included), in nanoseconds. */
uint64_t vclock_cpu_ns(void);

/* Tests: replace the clocks with a fixed time (ns) that only moves when
 * vclock_fake_advance() is called (the CPU clock starts at 0 and moves
 * only with vclock_fake_cpu_advance()). vclock_fake_stop() restores real
 * time. */
void vclock_fake_start(uint64_t mono_ns, uint64_t wall_ns);
void vclock_fake_advance(uint64_t ns);
void vclock_fake_cpu_advance(uint64_t ns);
void vclock_fake_stop(void);

#endif
