/* vclock: the one clock every module reads, so tests can drive time. */
#ifndef VTUNE_VCLOCK_H
#define VTUNE_VCLOCK_H

#include <stdint.h>

/* Monotonic nanoseconds. */
uint64_t vclock_mono_ns(void);
/* Wall-clock nanoseconds since the epoch. */
uint64_t vclock_wall_ns(void);

/* Tests: replace both clocks with a fixed time (ns) that only moves when
 * vclock_fake_advance() is called. vclock_fake_stop() restores real time. */
void vclock_fake_start(uint64_t mono_ns, uint64_t wall_ns);
void vclock_fake_advance(uint64_t ns);
void vclock_fake_stop(void);

#endif
