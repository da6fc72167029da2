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

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* How many messages were suppressed by the rate limit so far. */
unsigned long log_suppressed(void);

#endif
