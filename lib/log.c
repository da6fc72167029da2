/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log: stderr/syslog output, every line escaped, with a rate limit on
 * repeated messages and one per source and class (log_src). */
#include "log.h"
#include "sanitize.h"
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

#define SRC_SLOTS 1024

struct bucket {
	double tokens;
	uint64_t at_ns;	 /* when tokens was counted */
	unsigned long dropped;
};

static struct bucket src_tab[SRC_SLOTS], all_bucket;

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
	memset(src_tab, 0, sizeof src_tab);
	memset(&all_bucket, 0, sizeof all_bucket);
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

static void emit(int level, const char *msg, unsigned long repeats, unsigned long dropped)
{
	static const char *names[] = { "emerg", "alert", "crit", "error",
				       "warning", "notice", "info", "debug" };
	char tail[96] = "";
	if (repeats)
		snprintf(tail, sizeof tail, " (repeated %lu times)", repeats);
	else if (dropped)
		snprintf(tail, sizeof tail, " (%lu more like it dropped)", dropped);
	if (log_dest & LOG_TO_STDERR)
		fprintf(stderr, "%s: %s: %s%s\n", log_prog, names[level & 7], msg, tail);
	if (log_dest & LOG_TO_SYSLOG)
		syslog(level, "%s%s", msg, tail);
}

/* The text, escaped: no raw bytes from outside reach a terminal or the
 * log (control, C1 and bidi characters; a newline would forge a line). */
static void format(char *msg, size_t n, const char *fmt, va_list ap)
{
	char raw[1024];
	vsnprintf(raw, sizeof raw, fmt, ap);
	san_text(raw, strlen(raw), msg, n);
}

void log_msg(int level, const char *fmt, ...)
{
	if (level > log_max)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	format(msg, sizeof msg, fmt, ap);
	va_end(ap);
	unsigned long repeats;
	if (ratelimited(msg, &repeats))
		return;
	emit(level, msg, repeats, 0);
}

void log_change(int level, const char *fmt, ...)
{
	if (level > log_max)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	format(msg, sizeof msg, fmt, ap);
	va_end(ap);
	emit(level, msg, 0, 0);
}

/* ---- per source and class ---- */

/* Take a token from b (burst, rate per second); 0 when there is none. */
static int take(struct bucket *b, double burst, double per_s, uint64_t now)
{
	if (!b->at_ns) {
		b->tokens = burst;
	} else if (now > b->at_ns) {
		b->tokens += (double)(now - b->at_ns) / 1e9 * per_s;
		if (b->tokens > burst)
			b->tokens = burst;
	}
	b->at_ns = now;
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

void log_src(int level, const char *source, const char *class, const char *fmt, ...)
{
	if (level > log_max)
		return;
	uint64_t now = vclock_mono_ns(), h = fnv1a(source ? source : "") * 31 + fnv1a(class ? class : "");
	struct bucket *b = &src_tab[h % SRC_SLOTS];
	/* another source and class hashed to the slot share its limit */
	if (log_window > 0 && (!take(b, LOG_SRC_BURST, 1.0 / LOG_SRC_PERIOD_S, now) ||
			       !take(&all_bucket, LOG_SRC_ALL_BURST, LOG_SRC_ALL_PER_S, now))) {
		b->dropped++;
		log_dropped++;
		return;
	}
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	format(msg, sizeof msg, fmt, ap);
	va_end(ap);
	unsigned long dropped = b->dropped;
	b->dropped = 0;
	emit(level, msg, 0, dropped);
}
