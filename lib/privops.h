/* SPDX-License-Identifier: GPL-2.0-or-later */
/* privops: privilege separation for vtune-hostd. A privileged parent only
 * performs a small, checked set of requests (knob read/write/restore of
 * allowed kinds, connect to a guest channel, the host view of a network path)
 * sent over a socketpair by the unprivileged child that runs the daemon. */
#ifndef VTUNE_PRIVOPS_H
#define VTUNE_PRIVOPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "knob.h"
#include "metrics.h"

enum privop {
	PRIVOP_KNOB_READ = 1,	 /* kind, target, key -> value */
	PRIVOP_KNOB_WRITE = 2,	 /* kind, target, key, value (checked, then written) */
	PRIVOP_KNOB_RESTORE = 3, /* kind, target, key, value (the kind's restore) */
	PRIVOP_CONNECT_UNIX = 4, /* target = socket path -> a connected fd (SCM_RIGHTS) */
	PRIVOP_VIEW = 5,	 /* key = tap, value = bridge, target = netns, now_ns,
				  * state -> state, host metrics */
};

#define PRIVOPS_KIND_MAX 32
#define PRIVOPS_TARGET_MAX 256
#define PRIVOPS_KEY_MAX 128
#define PRIVOPS_STATE_MAX 128

/* One request. Every message is exactly this size; every string is
 * NUL-terminated inside its array (the parent checks both, like ntpd's
 * imsg): anything else is a corrupt message. */
struct privops_req {
	uint32_t op;	    /* enum privop */
	uint32_t state_len; /* PRIVOP_VIEW: bytes of state used */
	uint64_t now_ns;    /* PRIVOP_VIEW */
	char kind[PRIVOPS_KIND_MAX];
	char target[PRIVOPS_TARGET_MAX];
	char key[PRIVOPS_KEY_MAX];
	char value[KNOB_VALUE_MAX];
	unsigned char state[PRIVOPS_STATE_MAX];
};

/* One reply, exactly this size: rc is 0 or -errno; value for KNOB_READ;
 * state and host for VIEW. */
struct privops_reply {
	int32_t rc;
	uint32_t state_len;
	char value[KNOB_VALUE_MAX];
	unsigned char state[PRIVOPS_STATE_MAX];
	struct mvec host;
};

/* The privileged side's host view (hostnet_view's reads, run as root):
 * state is the caller's per-guest state of len bytes, updated in place.
 * 0 or -errno. */
typedef int (*privops_view_fn)(const char *root, const char *tap, const char *bridge,
			       const char *netns, uint64_t now_ns, void *state, size_t len,
			       struct mvec *host);

/* What the privileged side serves. */
struct privops_conf {
	const char *root;	   /* root prefix of every knob op ("/") */
	const char *const *kinds;  /* knob kinds served, NULL-terminated */
	const char *const *dirs;   /* directories CONNECT_UNIX may reach (absolute,
				    * no trailing '/'), NULL-terminated; NULL: none */
	privops_view_fn view;	   /* PRIVOP_VIEW, or NULL (refused) */
};

/* Serve requests read from fd (one end of a SOCK_SEQPACKET socketpair)
 * until the other end closes. Each request is checked again here: its kind
 * must be in c->kinds and registered (knob_find_real), writes pass the
 * kind's check (the allow-list for sysctls), sysctl reads only allow-listed
 * keys, strings must be printable, socket paths absolute, free of "..",
 * under c->dirs and a socket. A refused request gets -EPERM / -EINVAL /
 * -ERANGE and is logged. Returns 0 at end of stream, -EPROTO for a corrupt
 * message (wrong size, unterminated string, unknown op: the other side is
 * not our code any more; the caller kills it and exits non-zero) or the
 * -errno of the socket. */
int privops_serve(int fd, const struct privops_conf *c);

/* ---- the unprivileged side ---- */

/* Use fd (the other end of privops_serve's socketpair) for every request
 * below, and install the knob proxy: knob_find then hands out, for each
 * kind in kinds (NULL-terminated, copied), ops whose read / write / restore
 * go to the parent (check stays local). Other kinds stay local (kinds that
 * work through an already-open connection, such as libvirt pinning).
 * 0, -EINVAL or -ENOSPC (too many kinds). fd -1 turns it all off. */
int privops_client(int fd, const char *const *kinds);

/* 1 when privops_client is active, else 0. */
int privops_active(void);

/* One request to the parent; reply filled. 0 (the reply's rc is the
 * result), or -EPIPE when the parent is gone. A reply of the wrong size is
 * a corrupt message: the process exits. */
int privops_call(const struct privops_req *req, struct privops_reply *rep);

/* A non-blocking, close-on-exec stream socket connected to the unix socket
 * at path, made by the parent. The fd (>= 0) or -errno (-EPERM outside the
 * allowed directories). */
int privops_connect_unix(const char *path);

/* The host view through the parent (see privops_view_fn); state is len
 * bytes (at most PRIVOPS_STATE_MAX). Metrics the parent set are set in
 * host. 0 or -errno. */
int privops_view(void *state, size_t len, const char *tap, const char *bridge,
		 const char *netns, uint64_t now_ns, struct mvec *host);

/* ---- dropping privileges ---- */

/* Become uid/gid for good: empty the capability bounding set, drop
 * supplementary groups, set real/effective/saved gid and uid, set
 * no_new_privs, clear every capability set and check CapEff is 0. Must run
 * as root. 0 or -errno with a reason in why (n bytes). */
int privops_drop(uid_t uid, gid_t gid, char *why, size_t n);

/* Install the seccomp allow-list (SECCOMP_SET_MODE_FILTER): the syscalls
 * the daemon's loop needs; any other fails with EPERM (not a kill, so a
 * library taking an unexpected path fails that call, logged by its caller,
 * instead of taking the daemon down). Needs no_new_privs. 0 or -errno. */
int privops_seccomp(void);

/* The effective capability mask of this process (/proc/self/status
 * CapEff). 0 or -errno. */
int privops_cap_eff(uint64_t *mask);

/* Split the process: fork; the parent closes every descriptor but stdio and
 * its end of a socketpair, forwards SIGTERM / SIGINT / SIGHUP to the child,
 * serves c (privops_serve) until the child is gone and returns that in the
 * parent with *is_parent = 1: the child's exit status (0..255), or 1 after
 * a corrupt message (the child is killed). The child drops to uid/gid
 * (privops_drop, then privops_seccomp), installs the client for kinds
 * c->kinds and returns 0 with *is_parent = 0; it gets SIGTERM when the
 * parent dies. -errno (in the process that failed, before anything is
 * served) with a reason in why. */
int privops_split(const struct privops_conf *c, uid_t uid, gid_t gid, int *is_parent,
		  char *why, size_t n);

#endif
