/* SPDX-License-Identifier: GPL-2.0-or-later */
/* knob: the registry of knob kinds vtune can read and change ("sysctl" built
 * in; offloads, bridge-nf, vCPU pinning ... register their own ops). */
#ifndef VTUNE_KNOB_H
#define VTUNE_KNOB_H

#include <stddef.h>

#define KNOB_MAX_KINDS 32
#define KNOB_VALUE_MAX 512 /* longest value a kind reads or writes, with NUL */

/* One kind of knob. Every function gets the context the kind was
 * registered with (knob_register: a backend's connection, a proxy slot, or
 * NULL), the root prefix ("/" in production, a fixture tree in tests), a
 * target (what the knob belongs to: an interface, a domain's vCPU ...; ""
 * or NULL where a kind has none) and the knob's key, and returns 0 or
 * -errno. */
struct knob_ops {
	const char *kind;
	/* Current value into buf (n bytes, NUL-terminated); -EOVERFLOW when it
	 * does not fit. */
	int (*read)(void *ctx, const char *root, const char *target, const char *key,
		    char *buf, size_t n);
	/* Set value, after checking the kind's own bounds (the allow-list for
	 * sysctls): a value outside them is refused and nothing is written. */
	int (*write)(void *ctx, const char *root, const char *target, const char *key,
		     const char *value);
	/* Optional: check value against the bounds without writing; a human
	 * reason goes to why (n bytes). NULL: no separate check. */
	int (*check)(void *ctx, const char *target, const char *key, const char *value,
		     char *why, size_t n);
	/* Optional: put back a value read earlier from this very knob (revert).
	 * May skip range bounds the original value lies outside of, never the
	 * list of writable keys. NULL: write is used. */
	int (*restore)(void *ctx, const char *root, const char *target, const char *key,
		       const char *value);
	/* Optional: do a and b, values of key, mean the same setting (the
	 * kernel may print a value differently from how it was written)?
	 * 1 or 0. NULL: knob_value_equal. */
	int (*equal)(const char *key, const char *a, const char *b);
};

/* A registered kind: its operations and the context they get. */
struct knob {
	const struct knob_ops *ops;
	void *ctx;
};

/* The built-in sysctl kind: key is the dotted name, target must be empty;
 * read values are normalised to single-space-separated tokens. */
extern const struct knob_ops knob_sysctl_ops;

/* Register a kind with its context (may be NULL). ops must stay valid for
 * the life of the process (static storage), ctx until knob_unregister.
 * Returns 0, -EINVAL (no kind name / read / write), -EEXIST (that kind is
 * registered), -ENOSPC (KNOB_MAX_KINDS reached). */
int knob_register(const struct knob_ops *ops, void *ctx);

/* Register ops with ctx, or when these very ops are registered already,
 * give them ctx (a backend binding its kinds to its connection when it
 * opens, and to NULL when it closes). 0, -EEXIST (other ops hold the
 * name), or as knob_register. */
int knob_bind(const struct knob_ops *ops, void *ctx);

/* Remove a kind (tests, a backend closing). Returns 0 or -ENOENT. The
 * built-in sysctl kind can be removed too and registered again. */
int knob_unregister(const char *kind);

/* The knob of a kind, or NULL when it is not registered. With a proxy set
 * (knob_set_proxy), what the proxy returns for the registered one. The
 * pointer stays valid until the kind is unregistered. */
const struct knob *knob_find(const char *kind);

/* The registered knob of a kind, never proxied (the privileged side of
 * privops performs requests with these), or NULL. */
const struct knob *knob_find_real(const char *kind);

/* The operations of k, with k's context. check returns 0 when the kind has
 * no check; restore falls back to write; equal to knob_value_equal. */
int knob_read(const struct knob *k, const char *root, const char *target,
	      const char *key, char *buf, size_t n);
int knob_write(const struct knob *k, const char *root, const char *target,
	       const char *key, const char *value);
int knob_check(const struct knob *k, const char *target, const char *key,
	       const char *value, char *why, size_t n);
int knob_restore(const struct knob *k, const char *root, const char *target,
		 const char *key, const char *value);
int knob_equal(const struct knob *k, const char *key, const char *a, const char *b);

/* Called once per knob change an expanding action makes (hostnet plans,
 * backend plans); non-zero stops the expansion and is returned. The action
 * table's name (action.h), declared here so that the backend contract
 * (backend/backend.h) needs nothing from actions/. */
typedef int (*act_change_fn)(void *arg, const char *kind, const char *target,
			     const char *key, const char *value);

/* Privilege separation (privops.h): given a kind's registered knob, return
 * the knob knob_find hands out instead (e.g. one whose operations send each
 * read and write to a privileged process), or real itself to leave the kind
 * local. The result must stay valid while the kind is registered. */
typedef const struct knob *(*knob_proxy_fn)(const struct knob *real);

/* Set (or with NULL remove) the proxy knob_find applies. */
void knob_set_proxy(knob_proxy_fn fn);

/* 1 when a and b hold the same whitespace-separated tokens ("32768\t60999"
 * equals "32768 60999 \n"), else 0. NULL equals only NULL. */
int knob_value_equal(const char *a, const char *b);

/* Copy in to out (n bytes) with runs of whitespace turned into one space
 * and none at either end. Returns 0 or -EOVERFLOW (out is then truncated). */
int knob_value_normalize(const char *in, char *out, size_t n);

/* Has someone changed the knob since vtune set it to expected? Reads the
 * current value (into now, n bytes, when now is not NULL) and returns 1 if
 * it differs from expected (knob_equal), 0 if equal, -ENOENT for an
 * unknown kind or a read error (-errno). */
int knob_changed(const char *root, const char *kind, const char *target,
		 const char *key, const char *expected, char *now, size_t n);

#endif
