/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vport: the agent's end of the channel to the host daemon — a virtio-serial
 * port found by name (opened once and kept), any character device, or a unix
 * socket (connected as a client, for tests) — with a bounded output queue. */
#ifndef VTUNE_VPORT_H
#define VTUNE_VPORT_H

#include <stddef.h>
#include <stdint.h>

#define VPORT_NAME_DEFAULT "org.vtune.agent.0"

/* Output queue bounds: bytes handed to the kernel-facing linebuf_outq, and
 * bytes of whole messages waiting behind it. */
#define VPORT_OUTQ_BYTES (2 * 65536)
#define VPORT_PENDING_BYTES (4 * 65536)

struct vport;

/* Find the character device of the virtio-serial port called name under
 * root: the vport* entry of <root>/sys/class/virtio-ports whose "name" file
 * holds name, its "dev" file (MAJ:MIN) giving <root>/dev/<vportNpM>, which
 * is created with mknod when missing (an initramfs without udev). Falls
 * back to <root>/dev/virtio-ports/<name>. The path goes to path (n bytes).
 * Returns 0, -ENOENT (no such port) or -errno. */
int vport_find(const char *root, const char *name, char *path, size_t n);

/* A channel to open later with vport_open. Exactly one of:
 *   name   a virtio-serial port name, looked up under root (vport_find);
 *   device a path: a character device (opened like a port) or a unix
 *          stream socket (connected as a client; reconnected after EOF).
 * Returns NULL with -errno in *err (-EINVAL, -ENOMEM). */
struct vport *vport_new(const char *root, const char *name, const char *device,
			int *err);

/* A channel on an already connected stream socket (tests: one end of a
 * socketpair). The vport owns fd; once the peer goes away it cannot be
 * reopened (vport_open returns -ENOTCONN). NULL on no memory. */
struct vport *vport_new_fd(int fd);

/* Close and free; NULL is fine. */
void vport_free(struct vport *p);

/* Open the channel if it is not open. A port or device is opened once,
 * O_RDWR|O_NONBLOCK, and kept for the life of the vport; a socket is
 * connected. Returns 0 (open), -EBUSY (another process holds the port:
 * retry later), -ENOENT / -ECONNREFUSED (not there yet: retry later) or
 * another -errno. */
int vport_open(struct vport *p);

/* The file descriptor to poll, or -1 when not open. */
int vport_fd(const struct vport *p);

/* 1 when the channel is a port or device, where the host end comes and goes
 * while the descriptor stays open; 0 for a socket. */
int vport_is_port(const struct vport *p);

/* Wait up to timeout_ms for input, writability (when output is queued) or
 * a change of the host's presence. Returns 1 when the host end is there
 * (*readable set when input waits), 0 when it is not (a port in POLLHUP:
 * the host side is not connected; a socket that hung up is closed here),
 * or -errno. A port whose host is absent reports that at once: the caller
 * backs off instead of polling again (poll would not block). */
int vport_wait(struct vport *p, int timeout_ms, int *readable);

/* Read what is there into buf. Returns the byte count (> 0), -EAGAIN
 * (nothing now), -ENOTCONN (the host end is not connected: read() gave 0
 * on a port, EOF on a socket, which is then closed) or -errno. */
long vport_read(struct vport *p, void *buf, size_t n);

/* Queue one whole message (it is sent as is; lines end in "\n"). A message
 * marked droppable (a report) is the first to go: when the queue is full
 * the oldest droppable message that has not started to be sent is dropped
 * to make room. Returns 0, -ENOBUFS (full of undroppable messages: nothing
 * queued) or -ENOMEM. */
int vport_send(struct vport *p, const char *data, size_t len, int droppable);

/* Write queued bytes without blocking. Returns 0 (all sent), -EAGAIN (bytes
 * remain: the host is slow or absent) or -errno of a failed write. */
int vport_flush(struct vport *p);

/* Drop everything queued (the host went away: nothing queued for the old
 * connection is meant for the next one). */
void vport_clear(struct vport *p);

/* Bytes queued and not yet written; messages dropped so far. */
size_t vport_pending(const struct vport *p);
uint64_t vport_dropped(const struct vport *p);

/* Close a socket channel (it is connected again by vport_open). A port is
 * kept open: the host end reconnects to the same descriptor. */
void vport_hangup(struct vport *p);

#endif
