/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify: tell the service manager about the daemon's state, the sd_notify(3)
 * datagram protocol spoken directly to $NOTIFY_SOCKET (no libsystemd). */
#ifndef VTUNE_NOTIFY_H
#define VTUNE_NOTIFY_H

#include <stdint.h>

/* Each call sends one datagram to $NOTIFY_SOCKET (a path, or an abstract
 * socket when it starts with '@') and returns without waiting. Without
 * $NOTIFY_SOCKET (not started by systemd as Type=notify) they do nothing;
 * a send that fails is ignored: the service manager is told, never obeyed. */

/* "READY=1": start-up is done (sockets open, policy loaded). */
void notify_ready(void);
/* "RELOADING=1": a reload (SIGHUP) has started; call notify_ready() after. */
void notify_reloading(void);
/* "STOPPING=1": shutting down. */
void notify_stopping(void);
/* "WATCHDOG=1": the loop is alive; send at least every half watchdog period. */
void notify_watchdog(void);
/* "STATUS=<text>": one line shown by `systemctl status`; printf format,
 * truncated at 256 bytes, newlines turned into spaces. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog period asked for by the service manager ($WATCHDOG_USEC,
 * honoured only when $WATCHDOG_PID is absent or this process): returns 1 and
 * sets *usec when the watchdog is on, 0 when it is off, -EINVAL when the
 * variables are malformed. */
int notify_watchdog_usec(uint64_t *usec);

/* Send any "KEY=VALUE\n..." state string; 0, or -errno (-ENOENT without
 * $NOTIFY_SOCKET). The void helpers above are built on it. */
int notify_send(const char *state);

#endif
