/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netns: run a function inside another network namespace (setns in the
 * calling thread, then back), and check the netns paths hostd accepts. */
#ifndef VTUNE_NETNS_H
#define VTUNE_NETNS_H

/* Run fn(arg) with the calling thread in the network namespace of the file
 * netns_path (/run/netns/NAME, /var/run/netns/NAME or /proc/PID/ns/net);
 * "" or NULL runs fn in the current namespace. Files under /proc/sys/net
 * and netlink/ioctl sockets that fn opens belong to that namespace (sysfs
 * does not: it shows the namespace that mounted it). The thread is put back
 * into its original namespace before returning; if that fails the process
 * aborts, as going on in the wrong namespace would change the wrong host
 * objects. Returns fn's value, -EINVAL for a path netns_path_ok refuses, or
 * the -errno of opening the file / setns. */
int netns_run(const char *netns_path, int (*fn)(void *arg), void *arg);

/* 1 when path is "" or a netns path netns_run accepts: /run/netns/NAME,
 * /var/run/netns/NAME (NAME without '/', not "." or ".."), /proc/PID/ns/net
 * (PID decimal) or /proc/self/ns/net; else 0. */
int netns_path_ok(const char *path);

#endif
