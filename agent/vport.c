/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vport: the agent's end of the channel to the host daemon: a virtio-serial
 * port (found by name, opened once, kept while the host comes and goes), a
 * character device, or a unix socket; writes go through a bounded queue. */
#include "vport.h"
#include "kfs.h"
#include "linebuf.h"
#include "log.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

enum vport_kind { VK_PORT, VK_DEVICE, VK_FD };

/* A whole message waiting behind the byte queue. */
struct pmsg {
	struct pmsg *next;
	size_t len;
	int droppable;
	char data[];
};

struct vport {
	enum vport_kind kind;
	char *root, *name, *device;
	int fd;
	int is_sock; /* the open descriptor is a socket */
	struct linebuf_outq *q;
	struct pmsg *head, *tail;
	size_t pending; /* bytes in the pmsg list */
	uint64_t dropped;
};

/* ---- finding the port ---- */

struct find_arg {
	const char *root, *name;
	char entry[64];
};

static int match_port(const char *ent, void *arg)
{
	struct find_arg *fa = arg;
	char rel[256], buf[256];
	if (strncmp(ent, "vport", 5) || strlen(ent) >= sizeof fa->entry)
		return 0;
	snprintf(rel, sizeof rel, "sys/class/virtio-ports/%s/name", ent);
	if (kfs_read_str(fa->root, rel, buf, sizeof buf) || strcmp(buf, fa->name))
		return 0;
	snprintf(fa->entry, sizeof fa->entry, "%s", ent);
	return 1;
}

/* "MAJ:MIN" into a dev_t. */
static int parse_devnum(const char *s, dev_t *out)
{
	const char *colon = strchr(s, ':');
	uint64_t maj, mn;
	if (!colon || parse_u64_n(s, (size_t)(colon - s), &maj) ||
	    parse_u64(colon + 1, &mn) || maj > 0xfff || mn > 0xfffff)
		return -EINVAL;
	*out = makedev((unsigned)maj, (unsigned)mn);
	return 0;
}

int vport_find(const char *root, const char *name, char *path, size_t n)
{
	struct find_arg fa = { .root = root, .name = name };
	char rel[256], devs[64];
	struct stat st;
	dev_t dev;
	int r;

	if (!name || !*name || strchr(name, '/'))
		return -EINVAL;
	r = kfs_list(root, "sys/class/virtio-ports", match_port, &fa);
	if (r == 1) {
		snprintf(rel, sizeof rel, "sys/class/virtio-ports/%s/dev", fa.entry);
		r = kfs_read_str(root, rel, devs, sizeof devs);
		if (!r)
			r = parse_devnum(devs, &dev);
		if (r)
			return r;
		snprintf(rel, sizeof rel, "dev/%s", fa.entry);
		r = kfs_path(root, rel, path, n);
		if (r)
			return r;
		if (stat(path, &st) == 0) {
			if (S_ISCHR(st.st_mode) && st.st_rdev == dev)
				return 0;
			log_warn("vport: %s is not the character device %s of port %s",
				 path, devs, name);
		} else if (errno == ENOENT) {
			/* no udev, no devtmpfs: make the node ourselves */
			if (mknod(path, S_IFCHR | 0600, dev) == 0 || errno == EEXIST) {
				log_info("vport: created %s (%s) for port %s", path, devs, name);
				return 0;
			}
			log_warn("vport: mknod %s: %s", path, strerror(errno));
		}
	}
	snprintf(rel, sizeof rel, "dev/virtio-ports/%s", name);
	r = kfs_path(root, rel, path, n);
	if (r)
		return r;
	return access(path, F_OK) == 0 ? 0 : -ENOENT;
}

/* ---- life cycle ---- */

static struct vport *alloc_port(void)
{
	struct vport *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fd = -1;
	p->q = linebuf_outq_new(VPORT_OUTQ_BYTES);
	if (!p->q) {
		free(p);
		return NULL;
	}
	return p;
}

struct vport *vport_new(const char *root, const char *name, const char *device,
			int *err)
{
	struct vport *p;
	if (!!name == !!device || (name && !*name) || (device && !*device)) {
		*err = -EINVAL;
		return NULL;
	}
	p = alloc_port();
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	p->kind = name ? VK_PORT : VK_DEVICE;
	p->root = strdup(root ? root : "/");
	p->name = name ? strdup(name) : NULL;
	p->device = device ? strdup(device) : NULL;
	if (!p->root || (name && !p->name) || (device && !p->device)) {
		vport_free(p);
		*err = -ENOMEM;
		return NULL;
	}
	return p;
}

struct vport *vport_new_fd(int fd)
{
	struct vport *p = alloc_port();
	if (!p)
		return NULL;
	p->kind = VK_FD;
	p->fd = fd;
	p->is_sock = 1;
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return p;
}

static void close_fd(struct vport *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

void vport_free(struct vport *p)
{
	if (!p)
		return;
	vport_clear(p);
	close_fd(p);
	linebuf_outq_free(p->q);
	free(p->root);
	free(p->name);
	free(p->device);
	free(p);
}

static int connect_unix(struct vport *p, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		return e == EINPROGRESS ? -EAGAIN : -e;
	}
	p->fd = fd;
	p->is_sock = 1;
	return 0;
}

static int open_dev(struct vport *p, const char *path)
{
	int fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	p->fd = fd;
	p->is_sock = 0;
	return 0;
}

int vport_open(struct vport *p)
{
	char path[512];
	struct stat st;
	int r;

	if (p->fd >= 0)
		return 0;
	switch (p->kind) {
	case VK_FD:
		return -ENOTCONN;
	case VK_PORT:
		r = vport_find(p->root, p->name, path, sizeof path);
		return r ? r : open_dev(p, path);
	case VK_DEVICE:
		if (stat(p->device, &st) < 0)
			return -errno;
		return S_ISSOCK(st.st_mode) ? connect_unix(p, p->device)
					    : open_dev(p, p->device);
	}
	return -EINVAL;
}

int vport_fd(const struct vport *p)
{
	return p->fd;
}

int vport_is_port(const struct vport *p)
{
	return !p->is_sock;
}

void vport_hangup(struct vport *p)
{
	if (p->is_sock)
		close_fd(p);
}

/* ---- I/O ---- */

int vport_wait(struct vport *p, int timeout_ms, int *readable)
{
	*readable = 0;
	if (p->fd < 0)
		return 0;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	if (vport_pending(p))
		pfd.events |= POLLOUT;
	int n = poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);
	if (n < 0)
		return errno == EINTR ? 1 : -errno;
	if (n == 0)
		return 1;
	if (pfd.revents & POLLNVAL) {
		p->fd = -1; /* not ours any more */
		return -EBADF;
	}
	/* A port without its host polls POLLHUP, and POLLIN too (a read
	 * would not block: it returns 0), so HUP comes first there; what
	 * the old host left unread is of no use to the next one. A socket
	 * may hold the peer's last words before its EOF: read them. */
	if (!p->is_sock && (pfd.revents & (POLLHUP | POLLERR)))
		return 0;
	if (pfd.revents & POLLIN) {
		*readable = 1;
		return 1;
	}
	if (pfd.revents & (POLLHUP | POLLERR)) {
		vport_hangup(p);
		return 0;
	}
	return 1;
}

long vport_read(struct vport *p, void *buf, size_t n)
{
	if (p->fd < 0)
		return -ENOTCONN;
	for (;;) {
		ssize_t r = read(p->fd, buf, n);
		if (r > 0)
			return (long)r;
		if (r == 0) {
			/* a port: the host is not connected (not an EOF);
			 * a socket: the peer closed */
			vport_hangup(p);
			return -ENOTCONN;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return -EAGAIN;
		int e = errno;
		if (e == ENODEV || p->is_sock) {
			/* port unplugged (found again by name later), socket
			 * reset: start over */
			close_fd(p);
			return -ENOTCONN;
		}
		return -e;
	}
}

/* Move whole messages from the list into the byte queue while they fit. */
static void feed_outq(struct vport *p)
{
	while (p->head && linebuf_outq_push(p->q, p->head->data, p->head->len) == 0) {
		struct pmsg *m = p->head;
		p->head = m->next;
		if (!p->head)
			p->tail = NULL;
		p->pending -= m->len;
		free(m);
	}
}

/* Drop the oldest droppable message in the list; 0 when there was none. */
static int drop_oldest(struct vport *p)
{
	struct pmsg **pp = &p->head, *prev = NULL;
	for (; *pp; prev = *pp, pp = &(*pp)->next) {
		struct pmsg *m = *pp;
		if (!m->droppable)
			continue;
		*pp = m->next;
		if (p->tail == m)
			p->tail = prev;
		p->pending -= m->len;
		p->dropped++;
		free(m);
		return 1;
	}
	return 0;
}

int vport_send(struct vport *p, const char *data, size_t len, int droppable)
{
	if (!len)
		return 0;
	if (len > VPORT_PENDING_BYTES)
		return -ENOBUFS;
	feed_outq(p);
	if (!p->head && linebuf_outq_push(p->q, data, len) == 0)
		return 0;
	while (p->pending + len > VPORT_PENDING_BYTES)
		if (!drop_oldest(p))
			return -ENOBUFS;
	struct pmsg *m = malloc(sizeof *m + len);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->len = len;
	m->droppable = droppable;
	memcpy(m->data, data, len);
	if (p->tail)
		p->tail->next = m;
	else
		p->head = m;
	p->tail = m;
	p->pending += len;
	return 0;
}

int vport_flush(struct vport *p)
{
	if (p->fd < 0)
		return vport_pending(p) ? -ENOTCONN : 0;
	for (;;) {
		feed_outq(p);
		int r = linebuf_outq_flush(p->q, p->fd);
		if (r)
			return r;
		if (!p->head)
			return 0;
	}
}

void vport_clear(struct vport *p)
{
	while (p->head) {
		struct pmsg *m = p->head;
		p->head = m->next;
		free(m);
	}
	p->tail = NULL;
	p->pending = 0;
	/* a half-sent line leaves a resync queued: harmless, the next
	 * connection starts with one anyway */
	linebuf_outq_clear(p->q);
}

size_t vport_pending(const struct vport *p)
{
	return linebuf_outq_pending(p->q) + p->pending;
}

uint64_t vport_dropped(const struct vport *p)
{
	return p->dropped;
}
