/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log: stderr/syslog output with a rate limit on repeated messages. */
#include "log.h"
#include "vclock.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define RECENT 64

static const char *log_prog = "vtune";
static int log_dest = LOG_TO_STDERR;
static int log_max = LOG_INFO;
static int log_window = 60;
static unsigned long log_dropped;

static struct {
	uint64_t hash;
	uint64_t until_ns;
	unsigned long repeats;
} recent[RECENT];

void log_init(const char *prog, int dest, int max_level)
{
	log_prog = prog;
	log_dest = dest;
	log_max = max_level;
	if (dest & LOG_TO_SYSLOG)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_ratelimit(int seconds)
{
	log_window = seconds;
	memset(recent, 0, sizeof recent);
}

unsigned long log_suppressed(void)
{
	return log_dropped;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* Returns 1 when the message must be suppressed; otherwise the count of
 * suppressed repeats to mention, via *repeats. */
static int ratelimited(const char *msg, unsigned long *repeats)
{
	*repeats = 0;
	if (log_window <= 0)
		return 0;
	uint64_t now = vclock_mono_ns(), h = fnv1a(msg);
	unsigned slot = (unsigned)(h % RECENT);
	if (recent[slot].hash == h && now < recent[slot].until_ns) {
		recent[slot].repeats++;
		log_dropped++;
		return 1;
	}
	if (recent[slot].hash == h)
		*repeats = recent[slot].repeats;
	recent[slot].hash = h;
	recent[slot].until_ns = now + (uint64_t)log_window * 1000000000ull;
	recent[slot].repeats = 0;
	return 0;
}

void log_msg(int level, const char *fmt, ...)
{
	if (level > log_max)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	unsigned long repeats;
	if (ratelimited(msg, &repeats))
		return;
	static const char *names[] = { "emerg", "alert", "crit", "error",
				       "warning", "notice", "info", "debug" };
	if (log_dest & LOG_TO_STDERR) {
		if (repeats)
			fprintf(stderr, "%s: %s: %s (repeated %lu times)\n",
				log_prog, names[level & 7], msg, repeats);
		else
			fprintf(stderr, "%s: %s: %s\n", log_prog,
				names[level & 7], msg);
	}
	if (log_dest & LOG_TO_SYSLOG)
		syslog(level, "%s", msg);
}
