/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sim: the simulated backend (`--backend sim --uri DIR`): every unix socket
 * DIR/NAME.sock is the agent channel of a guest NAME, watched with inotify;
 * an optional DIR/NAME.host file ("host.metric value" lines) is its host
 * view and may name its network path ("tap IFNAME", "bridge IFNAME",
 * "netns PATH" lines, read when the guest is found), an optional
 * DIR/NAME.xml (a libvirt domain XML, read by the kvm module's reader) its
 * UUID and fleet labels. Serves tests and dry runs. */
#include "backend.h"
#include "backend_mod.h"
#include "netns.h"
#include "log.h"
#include "parse.h"
#include "sriov_view.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIM_HOST_FILE_MAX 8192
#define SIM_XML_MAX 65536

struct backend {
	char dir[PATH_MAX];
	char root[PATH_MAX]; /* the SR-IOV view is read under it */
	int ifd;
};

/* DIR/NAME.host of guest g, NUL-terminated into text (SIM_HOST_FILE_MAX +
 * 1 bytes). 0, or -errno (-ENOENT: none). */
static int host_file(const struct backend *b, const char *name, char *text)
{
	char path[PATH_MAX + BK_NAME_MAX + 8];
	snprintf(path, sizeof path, "%s/%s.host", b->dir, name);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(text, 1, SIM_HOST_FILE_MAX, f);
	fclose(f);
	text[n] = 0;
	return 0;
}

/* The "tap", "bridge" and "netns" lines of g's host file into g. */
static void net_path(const struct backend *b, struct bk_guest *g)
{
	char text[SIM_HOST_FILE_MAX + 1], *cur = text, *line;
	if (host_file(b, g->name, text))
		return;
	while ((line = parse_next_line(&cur))) {
		char *tok[3];
		if (parse_split(line, tok, 3) != 2)
			continue;
		if (!strcmp(tok[0], "tap") && strlen(tok[1]) < sizeof g->tap)
			snprintf(g->tap, sizeof g->tap, "%s", tok[1]);
		else if (!strcmp(tok[0], "bridge") && strlen(tok[1]) < sizeof g->bridge)
			snprintf(g->bridge, sizeof g->bridge, "%s", tok[1]);
		else if (!strcmp(tok[0], "netns") && strlen(tok[1]) < sizeof g->netns &&
			 netns_path_ok(tok[1]))
			snprintf(g->netns, sizeof g->netns, "%s", tok[1]);
	}
}

/* NAME.sock in dir with a sane NAME -> g. 0 or -EINVAL. */
static int sim_guest(const struct backend *b, const char *file, struct bk_guest *g)
{
	size_t len = strlen(file);
	if (len <= 5 || strcmp(file + len - 5, ".sock") || len - 5 >= BK_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len - 5; i++) {
		char c = file[i];
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    c != '_' && c != '-' && c != '.')
			return -EINVAL;
	}
	memset(g, 0, sizeof *g);
	memcpy(g->name, file, len - 5);
	g->domid = -1;
	int n = snprintf(g->channel, sizeof g->channel, "%s/%s", b->dir, file);
	if (n < 0 || (size_t)n >= sizeof g->channel)
		return -EINVAL;
	char path[PATH_MAX + BK_NAME_MAX + 8], *xml = calloc(1, SIM_XML_MAX + 1);
	snprintf(path, sizeof path, "%s/%s.xml", b->dir, g->name);
	FILE *f = xml ? fopen(path, "re") : NULL;
	if (f) {
		int r = fread(xml, 1, SIM_XML_MAX, f) > 0 ? kvm_xml_labels(xml, g) : 0;
		if (r < 0)
			log_warn("sim: %s: labels not read: %s", path, strerror(-r));
		fclose(f);
	}
	free(xml);
	net_path(b, g);
	return 0;
}

static int is_socket(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static struct backend *sim_open(const char *uri, const char *root, int *err, char *why,
				size_t n)
{
	struct stat st;
	/* a simulated host: its view comes from DIR/NAME.host; only the
	 * SR-IOV view (pci_view) reads root */
	if (!uri || !*uri) {
		*err = -EINVAL;
		snprintf(why, n, "the sim backend needs --uri DIR");
		return NULL;
	}
	if (stat(uri, &st) < 0 || !S_ISDIR(st.st_mode)) {
		*err = -ENOTDIR;
		snprintf(why, n, "%s: not a directory", uri);
		return NULL;
	}
	struct backend *b = calloc(1, sizeof *b);
	if (!b) {
		*err = -ENOMEM;
		snprintf(why, n, "out of memory");
		return NULL;
	}
	snprintf(b->dir, sizeof b->dir, "%s", uri);
	snprintf(b->root, sizeof b->root, "%s", root && *root ? root : "/");
	b->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (b->ifd < 0 || inotify_add_watch(b->ifd, b->dir, IN_CREATE | IN_DELETE | IN_MOVED_TO |
					   IN_MOVED_FROM | IN_DELETE_SELF) < 0) {
		*err = -errno;
		snprintf(why, n, "inotify on %s: %s", uri, strerror(errno));
		if (b->ifd >= 0)
			close(b->ifd);
		free(b);
		return NULL;
	}
	return b;
}

static void sim_close(struct backend *b)
{
	if (!b)
		return;
	close(b->ifd);
	free(b);
}

static int sim_list(struct backend *b, bk_event_fn fn, void *arg)
{
	DIR *d = opendir(b->dir);
	struct dirent *e;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct bk_guest g;
		if (sim_guest(b, e->d_name, &g) == 0 && is_socket(g.channel))
			fn(arg, BK_GUEST_UP, &g);
	}
	closedir(d);
	return 0;
}

static int sim_event_fd(struct backend *b)
{
	return b->ifd;
}

static int sim_dispatch(struct backend *b, bk_event_fn fn, void *arg)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(b->ifd, buf, sizeof buf);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return 0;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			struct bk_guest g;
			p += sizeof *ev + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				sim_list(b, fn, arg);
				continue;
			}
			if (!ev->len || sim_guest(b, ev->name, &g) < 0)
				continue;
			if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
				if (is_socket(g.channel))
					fn(arg, BK_GUEST_UP, &g);
			} else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
				fn(arg, BK_GUEST_DOWN, &g);
			}
		}
	}
}

static int sim_host_view(struct backend *b, const struct bk_guest *g, uint64_t now_ns,
			 struct mvec *host)
{
	char text[SIM_HOST_FILE_MAX + 1], *cur = text, *line;
	(void)now_ns;
	int r = host_file(b, g->name, text);
	if (r)
		return r == -ENOENT ? 0 : r;
	while ((line = parse_next_line(&cur))) {
		char *tok[3];
		double v, lo, hi;
		if (parse_split(line, tok, 3) != 2)
			continue;
		int id = strncmp(tok[0], "host.", 5) ? -1 : metric_lookup(tok[0]);
		if (id < 0 || parse_double(tok[1], &v))
			continue;
		metric_range(metric_defs[id].unit, &lo, &hi);
		if (v >= lo && v <= hi)
			mvec_set(host, id, v);
	}
	return 0;
}

/* The channel sockets are in the sim directory itself. */
static int sim_privsep_dirs(const char *uri, const char **dirs, size_t max, char *buf,
			    size_t bufn, char *why, size_t n)
{
	char real[PATH_MAX];
	if (!uri || !realpath(uri, real)) {
		snprintf(why, n, "sim directory %s: %s", uri ? uri : "(none)", strerror(errno));
		return -ENOENT;
	}
	if (max < 2 || strlen(real) >= bufn) {
		snprintf(why, n, "sim directory %s: path too long", real);
		return -ENAMETOOLONG;
	}
	strcpy(buf, real);
	dirs[0] = buf;
	dirs[1] = NULL;
	return 1;
}

/* pci_view: the PFs and VFs of the sysfs under root (a fixture tree in
 * tests); no guest holds any (the sim backend cannot attach). */
static int sim_pci_view(struct backend *b, struct sriov_view *v)
{
	int r = sriov_view_read(b->root, v);
	if (r == 0)
		sriov_view_finish(v);
	return r;
}

const struct backend_ops backend_sim_ops = {
	.name = "sim",
	.open = sim_open,
	.close = sim_close,
	.list = sim_list,
	.event_fd = sim_event_fd,
	.dispatch = sim_dispatch,
	.host_view = sim_host_view,
	.pci_view = sim_pci_view,
	.privsep_dirs = sim_privsep_dirs,
};
