/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xs_dl: libxenstore loaded when the xenstore transport is first used, so
 * that the packaged vtune-agent needs no Xen library in a KVM guest. Linked
 * into the dynamic vtune-agent only (the static agent and the unit tests
 * link libxenstore itself). */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <xenstore.h>

#include "log.h"

#define XS_LIB "libxenstore.so.4"

static struct {
	int tried;
	struct xs_handle *(*open)(unsigned long);
	void (*close)(struct xs_handle *);
	const char *(*daemon_socket)(void);
	void *(*read)(struct xs_handle *, xs_transaction_t, const char *, unsigned int *);
	bool (*write)(struct xs_handle *, xs_transaction_t, const char *, const void *, unsigned int);
	bool (*rm)(struct xs_handle *, xs_transaction_t, const char *);
	xs_transaction_t (*tstart)(struct xs_handle *);
	bool (*tend)(struct xs_handle *, xs_transaction_t, bool);
} xs;

/* 0 once every function is found; else -ENOENT, said once. */
static int load(void)
{
	if (xs.tried)
		return xs.open ? 0 : -ENOENT;
	xs.tried = 1;
	void *h = dlopen(XS_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_err("xenstore: %s (Debian: apt install libxenstore4)", dlerror());
		return -ENOENT;
	}
#define SYM(f, name)                                             \
	if (!(*(void **)&xs.f = dlsym(h, name))) {               \
		log_err("xenstore: %s has no %s", XS_LIB, name); \
		xs.open = NULL;                                  \
		return -ENOENT;                                  \
	}
	SYM(close, "xs_close")
	SYM(daemon_socket, "xs_daemon_socket")
	SYM(read, "xs_read")
	SYM(write, "xs_write")
	SYM(rm, "xs_rm")
	SYM(tstart, "xs_transaction_start")
	SYM(tend, "xs_transaction_end")
	SYM(open, "xs_open")
	return 0;
}

struct xs_handle *xs_open(unsigned long flags)
{
	if (load()) {
		errno = ENOENT;
		return NULL;
	}
	return xs.open(flags);
}

void xs_close(struct xs_handle *h)
{
	if (!load())
		xs.close(h);
}

const char *xs_daemon_socket(void)
{
	return load() ? "/run/xenstored/socket" : xs.daemon_socket();
}

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len)
{
	return load() ? NULL : xs.read(h, t, path, len);
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data,
	      unsigned int len)
{
	return load() ? false : xs.write(h, t, path, data, len);
}

bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	return load() ? false : xs.rm(h, t, path);
}

xs_transaction_t xs_transaction_start(struct xs_handle *h)
{
	return load() ? XBT_NULL : xs.tstart(h);
}

bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort)
{
	return load() ? false : xs.tend(h, t, abort);
}
