/* SPDX-License-Identifier: GPL-2.0-or-later */
/* transport: the channel a session talks through, as a table of operations —
 * the virtio-serial port (vport.h, the default) or xenstore (xs.h). Each
 * operation has the contract of the vport_* function of the same name. */
#ifndef VTUNE_TRANSPORT_H
#define VTUNE_TRANSPORT_H

#include <stddef.h>

/* chan is the transport's own object, passed back to every operation. */
struct transport_ops {
	const char *name;
	int (*open)(void *chan);		/* vport_open */
	int (*fd)(const void *chan);		/* vport_fd */
	int (*is_port)(const void *chan);	/* vport_is_port */
	int (*wait)(void *chan, int timeout_ms, int *readable); /* vport_wait */
	long (*read)(void *chan, void *buf, size_t n);	      /* vport_read */
	int (*send)(void *chan, const char *data, size_t len, int droppable); /* vport_send */
	int (*flush)(void *chan);		/* vport_flush */
	void (*clear)(void *chan);		/* vport_clear */
	void (*hangup)(void *chan);		/* vport_hangup */
};

/* The vport functions as a table (chan: a struct vport *). */
extern const struct transport_ops transport_vport_ops;

#endif
