/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kmsg: "hw csum failure" in the host's kernel log, counted per device: the
 * kernel's netdev_rx_csum_fault() prints "DEV: hw csum failure" when a
 * device's checksum offload handed up a bad checksum. Live, /dev/kmsg is
 * opened once (non-blocking, from its end: only what happens while vtune
 * runs) and read on demand; another root reads ROOT/dev/kmsg, a capture of
 * its records ("PRIO,SEQ,USEC,FLAGS;TEXT" lines), whole each time. */
#include "hostnet.h"
#include "kfs.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KMSG_DEVS 256

static struct {
	char dev[IFNAMSIZ];
	uint64_t n;
} devs[KMSG_DEVS];
static size_t ndevs;
static int kfd = -2; /* -2 not opened yet, -1 cannot */

static void count(const char *text)
{
	const char *m = strstr(text, ": hw csum failure");
	if (!m)
		return;
	const char *start = m;
	while (start > text && start[-1] != ' ' && start[-1] != ';')
		start--;
	size_t len = (size_t)(m - start);
	if (!len || len >= IFNAMSIZ)
		return;
	for (size_t i = 0; i < ndevs; i++)
		if (strlen(devs[i].dev) == len && !memcmp(devs[i].dev, start, len)) {
			devs[i].n++;
			return;
		}
	if (ndevs < KMSG_DEVS) {
		memcpy(devs[ndevs].dev, start, len);
		devs[ndevs].dev[len] = '\0';
		devs[ndevs++].n = 1;
	}
}

static uint64_t total(const char *dev)
{
	for (size_t i = 0; dev && *dev && i < ndevs; i++)
		if (!strcmp(devs[i].dev, dev))
			return devs[i].n;
	return 0;
}

int hostnet_csum_failures(const char *root, const char *tap, const char *bridge, uint64_t *n)
{
	if (!n)
		return -EINVAL;
	if (root && *root && strcmp(root, "/")) {
		char *text = NULL, *line, *cur;
		size_t len;
		int r = kfs_read_alloc(root, "dev/kmsg", &text, &len);
		if (r)
			return r;
		ndevs = 0;
		for (cur = text; (line = strsep(&cur, "\n"));)
			count(line);
		free(text);
		*n = total(tap) + total(bridge);
		return 0;
	}
	if (kfd == -2) {
		kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (kfd >= 0)
			lseek(kfd, 0, SEEK_END);
	}
	if (kfd < 0)
		return -ENOENT;
	char rec[8192];
	for (int i = 0; i < 4096; i++) { /* one record per read; bounded */
		ssize_t got = read(kfd, rec, sizeof rec - 1);
		if (got < 0 && errno == EPIPE)
			continue; /* records overwritten before we read them */
		if (got <= 0)
			break;
		rec[got] = '\0';
		count(rec);
	}
	*n = total(tap) + total(bridge);
	return 0;
}
