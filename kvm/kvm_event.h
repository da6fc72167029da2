/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_event: libvirt's event-loop callbacks (virEventRegisterImpl) served by
 * one epoll fd, so hostd's single epoll loop drives libvirt: the fd is
 * readable whenever a libvirt handle is ready or a libvirt timeout is due. */
#ifndef VTUNE_KVM_EVENT_H
#define VTUNE_KVM_EVENT_H

#include <libvirt/libvirt.h>

/* Register the implementation with libvirt (once per process; later calls
 * return the same result). Must run before the first virConnectOpen.
 * 0 or -errno. */
int kvm_event_init(void);

/* The epoll fd to watch for readability, -1 before kvm_event_init. */
int kvm_event_fd(void);

/* Run, without blocking, every handle callback whose fd is ready and every
 * due timeout, then release removed entries (their free callbacks run
 * here, never inside a remove call). Not re-entrant. 0 or -errno. */
int kvm_event_run(void);

/* Release removed entries now (run their free callbacks). */
void kvm_event_purge(void);

/* Milliseconds until the next libvirt timeout is due (0 = now), -1 none. */
int kvm_event_next_timeout_ms(void);

/* The same add/remove functions libvirt gets, for the backend's own timers
 * (freq in ms, -1 disabled, 0 every run). */
int kvm_event_add_timeout(int freq, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff);
void kvm_event_update_timeout(int id, int freq);
int kvm_event_remove_timeout(int id);

#endif
