/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netns: setns(CLONE_NEWNET) into a namespace file for the length of one
 * function call, and back to the thread's own namespace afterwards. */
#include "netns.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 64 || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (*s == '/' || !isprint((unsigned char)*s))
			return 0;
	return 1;
}

int netns_path_ok(const char *path)
{
	static const char *const dirs[] = { "/run/netns/", "/var/run/netns/" };
	if (!path || !*path)
		return 1;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (!strncmp(path, dirs[i], strlen(dirs[i])))
			return name_ok(path + strlen(dirs[i]));
	if (!strcmp(path, "/proc/self/ns/net"))
		return 1;
	if (strncmp(path, "/proc/", 6))
		return 0;
	const char *p = path + 6;
	if (!isdigit((unsigned char)*p) || *p == '0')
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	return p - (path + 6) <= 10 && !strcmp(p, "/ns/net");
}

int netns_run(const char *netns_path, int (*fn)(void *arg), void *arg)
{
	int self, target, r;

	if (!fn || !netns_path_ok(netns_path))
		return -EINVAL;
	if (!netns_path || !*netns_path)
		return fn(arg);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	target = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		r = -errno;
		goto out_self;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		r = -errno;
		goto out_target;
	}
	r = fn(arg);
	if (setns(self, CLONE_NEWNET) < 0) {
		log_err("netns: cannot return from %s to the original network "
			"namespace: %s", netns_path, strerror(errno));
		abort();
	}
out_target:
	close(target);
out_self:
	close(self);
	return r;
}
