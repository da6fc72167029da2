/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log: one place for messages from every vtune program. Messages go to
 * stderr (and syslog when enabled); identical messages repeated within a
 * window are counted and suppressed instead of printed again. */
#ifndef VTUNE_LOG_H
#define VTUNE_LOG_H

#include <syslog.h>

enum { LOG_TO_STDERR = 1, LOG_TO_SYSLOG = 2 };

/* Configure: program name, destinations (LOG_TO_*), lowest level printed
 * (LOG_ERR .. LOG_DEBUG). Safe to call again. */
void log_init(const char *prog, int dest, int max_level);

/* Seconds an identical message stays suppressed (default 60; 0 disables). */
void log_set_ratelimit(int seconds);

void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A change vtune made, undid or judged: an event, so never rate-limited
 * (the second identical change within the window is a change too). */
void log_change(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* A message about something from outside (a guest, by its name) of a
 * class ("channel", "hello", "input", "ack", ...): rate-limited per source
 * and class with a token bucket (LOG_SRC_BURST lines, then one every
 * LOG_SRC_PERIOD_S seconds), whatever the text, and all sources together
 * under one more bucket (LOG_SRC_ALL_BURST, LOG_SRC_ALL_PER_S a second):
 * a flood of distinct messages, or of sources, stays bounded. Sources and
 * classes share a fixed table (colliding ones share a limit: stricter,
 * never looser). The next line let through says how many were dropped. */
#define LOG_SRC_BURST 5
#define LOG_SRC_PERIOD_S 10
#define LOG_SRC_ALL_BURST 60
#define LOG_SRC_ALL_PER_S 5
void log_src(int level, const char *source, const char *class, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* How many messages were suppressed by the rate limits so far. */
unsigned long log_suppressed(void);

#endif
