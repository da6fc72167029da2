/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linkwatch: link events from rtnetlink, drained without blocking. */
#include "linkwatch.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define DRAIN_MAX 32 /* datagrams read per check */

struct linkwatch {
	int fd;
};

struct linkwatch *linkwatch_new(void)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct linkwatch *w = malloc(sizeof *w);
	if (!w)
		return NULL;
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&a, sizeof a)) {
		linkwatch_free(w);
		return NULL;
	}
	return w;
}

void linkwatch_free(struct linkwatch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

int linkwatch_changed(struct linkwatch *w)
{
	char buf[4096];
	int changed = 0;
	for (int i = 0; i < DRAIN_MAX; i++) {
		ssize_t n = recv(w->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
		if (n >= 0) {
			changed = 1; /* only link messages come to this group */
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return changed;
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS) { /* events were lost */
			changed = 1;
			continue;
		}
		return -errno;
	}
	return 1; /* more may be waiting */
}
