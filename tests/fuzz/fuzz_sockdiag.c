/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_sockdiag: a buffer of netlink messages, as a recorded or live
 * NETLINK_SOCK_DIAG dump answer. It goes to lib/netlink's walk alone
 * (netlink_parse, with the extended ack's text) and through
 * sockdiag_parse_listeners (copied to a buffer of its exact size, aligned as
 * recv() gives it, so any read past the end is caught) and, as the recorded
 * answers of a fixture root in a temporary directory, through the replay
 * path of sockdiag_listeners and sockdiag_count_ports (lib/netlink reads
 * the v4 answer, then the v6 one after its DONE). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netlink.h"
#include "sockdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];
static char listen_bin[128], ports_bin[128], nl_dir[96];

static void cleanup(void)
{
	unlink(listen_bin);
	unlink(ports_bin);
	rmdir(nl_dir);
	rmdir(root);
}

static int setup(void)
{
	/* tmpfs: a disk-backed /tmp makes the two writes per input 40x slower */
	const char *tmp = getenv("TMPDIR");
	if (!access("/dev/shm", W_OK | X_OK))
		tmp = "/dev/shm";
	else if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(root, sizeof root, "%s/fuzz-sockdiag-XXXXXX", tmp);
	if (!mkdtemp(root))
		return -1;
	snprintf(nl_dir, sizeof nl_dir, "%s/netlink", root);
	snprintf(listen_bin, sizeof listen_bin, "%s/sock_diag_listen.bin", nl_dir);
	snprintf(ports_bin, sizeof ports_bin, "%s/sock_diag_ports.bin", nl_dir);
	if (mkdir(nl_dir, 0700))
		return -1;
	atexit(cleanup);
	return 0;
}

static int put(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, size, f);
	return fclose(f) || w != size ? -1 : 0;
}

static void check(int r, struct gv_listener *v, int n)
{
	if (r > 0 || r < -4095)
		abort();
	if (r)
		return;
	if (n < 0 || n > GV_MAX_LISTENERS || (n > 0 && !v))
		abort();
	for (int i = 0; i < n; i++)
		if ((v[i].family != AF_INET && v[i].family != AF_INET6) ||
		    !memchr(v[i].addr, 0, sizeof v[i].addr))
			abort();
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct gv_listener *v = NULL;
	int n = -1;

	void *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	char ext[32];
	size_t used = 0;
	int r = netlink_parse(buf, size, NULL, NULL, ext, sizeof ext, &used);
	if (r > 0 || r < -4095 || used > size || !memchr(ext, 0, sizeof ext))
		abort();
	check(sockdiag_parse_listeners(buf, size, &v, &n), v, n);
	free(buf);

	if (!ready)
		ready = setup() ? -1 : 1;
	if (ready > 0 && !put(listen_bin, data, size) && !put(ports_bin, data, size)) {
		uint64_t count = 0;
		v = NULL;
		n = -1;
		check(sockdiag_listeners(root, &v, &n), v, n);
		r = sockdiag_count_ports(root, 1024, 65535, NULL, 0, &count);
		if (r > 0 || r < -4095 || (r == 0 && count > size))
			abort();
	}
	return 0;
}
