/* SPDX-License-Identifier: GPL-2.0-or-later */
/* unix_listen: a control socket's listening end, made the same way for
 * vtune-hostd and vtune-agent. */
#ifndef VTUNE_UNIX_LISTEN_H
#define VTUNE_UNIX_LISTEN_H

/* Listen (non-blocking, close-on-exec, backlog) on the Unix socket path,
 * mode 0600, its folder made (0755) when missing. A socket left there by a
 * process that died is removed; one that answers is left: -EADDRINUSE;
 * something not a socket: -EEXIST. The fd, or -errno (-ENAMETOOLONG for a
 * path that does not fit). */
int unix_listen(const char *path, int backlog);

#endif
