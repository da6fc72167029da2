/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sockdiag: TCP sockets through NETLINK_SOCK_DIAG: listeners with their
 * accept queue and backlog (what `ss -lnt` shows), and a count of sockets
 * holding a local port in a range. One netlink socket stays open between
 * dumps (single-threaded callers only). A live answer is parsed as it
 * arrives, one datagram at a time in a fixed buffer: memory does not grow
 * with the number of sockets. A fixture root may hold recorded kernel
 * answers instead (<root>/netlink/sock_diag_*.bin), parsed by the same code.
 *
 * Cost: the listeners' dump asks for LISTEN only, so the kernel walks only
 * its listening hash. The ports count asks for every other state, so the
 * kernel walks its whole established hash (every TCP socket of every
 * namespace sharing it): call it only when it matters (lib/gv_ports.h). */
#ifndef VTUNE_SOCKDIAG_H
#define VTUNE_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

#include "gview.h"

/* Listening TCP sockets, v4 and v6, the first GV_MAX_LISTENERS of them.
 * Allocates *out (free it) and sets *n.
 * root "/" (or NULL) asks the kernel; any other root replays
 * <root>/netlink/sock_diag_listen.bin. Returns 0 or -errno. */
int sockdiag_listeners(const char *root, struct gv_listener **out, int *n);

/* TCP sockets in any state but LISTEN whose local port is in [lo, hi]
 * (a filter runs in the kernel) and is none of the nskip ports of skip
 * (sorted; may be NULL): with the listeners' ports as skip, the ephemeral
 * ports outgoing connections hold, not a server's own connections (nor
 * their TIME_WAIT) on a port it listens on inside the range. Replays
 * sock_diag_ports.bin likewise. Its cost grows with the number of
 * sockets: see above. */
int sockdiag_count_ports(const char *root, uint32_t lo, uint32_t hi, const uint16_t *skip,
			 size_t nskip, uint64_t *count);

/* Half-open connections (SYN_RECV request sockets, v4 and v6) per
 * listener: counts[i] for the n listeners ls[i], matched by local port
 * (cleared first). Walks the established hash like the ports count: call
 * it only when SYNs overflow a queue (lib/gv_ports.h). Replays
 * sock_diag_synrecv.bin for a fixture root. Returns 0 or -errno. */
int sockdiag_synrecv(const char *root, const struct gv_listener *ls, int n, uint64_t *counts);

/* Parse a buffer of netlink messages (a dump answer) into listeners. Used
 * for replay and by tests/fuzzers. Returns 0, -EINVAL on a malformed
 * buffer, or the -errno an NLMSG_ERROR carried. */
int sockdiag_parse_listeners(const void *buf, size_t len, struct gv_listener **out, int *n);

/* If set (tests, `vtune-agent sample --record-netlink DIR`), every live
 * answer is also written to DIR/netlink/sock_diag_{listen,ports,synrecv}.bin
 * as it arrives (lib/netlink: renamed into place when whole), so DIR is a
 * fixture root. */
void sockdiag_set_record_dir(const char *dir);

#endif
