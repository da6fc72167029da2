/* sockdiag: TCP sockets through NETLINK_SOCK_DIAG: listeners with their
 * accept queue and backlog (what `ss -lnt` shows), and a count of sockets
 * holding a local port in a range. One netlink socket stays open between
 * dumps (single-threaded callers only). A fixture root may hold recorded
 * kernel answers instead (<root>/netlink/sock_diag_*.bin), which are parsed
 * by the same code. */
#ifndef VTUNE_SOCKDIAG_H
#define VTUNE_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

#include "gview.h"

/* Listening TCP sockets, v4 and v6. Allocates *out (free it) and sets *n.
 * root "/" (or NULL) asks the kernel; any other root replays
 * <root>/netlink/sock_diag_listen.bin. Returns 0 or -errno. */
int sockdiag_listeners(const char *root, struct gv_listener **out, int *n);

/* TCP sockets in any state but LISTEN whose local port is in [lo, hi]
 * (a filter runs in the kernel). Replays sock_diag_ports.bin likewise. */
int sockdiag_count_ports(const char *root, uint32_t lo, uint32_t hi, uint64_t *count);

/* Parse a buffer of netlink messages (a dump answer) into listeners. Used
 * for replay and by tests/fuzzers. Returns 0, -EINVAL on a malformed
 * buffer, or the -errno an NLMSG_ERROR carried. */
int sockdiag_parse_listeners(const void *buf, size_t len, struct gv_listener **out, int *n);

/* If set (tests, `vtune-agent sample --record-netlink DIR`), every live
 * answer is also written to DIR/sock_diag_{listen,ports}.bin. */
void sockdiag_set_record_dir(const char *dir);

#endif
