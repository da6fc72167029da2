/* knob: the registry of knob kinds vtune can read and change ("sysctl" built
 * in; offloads, bridge-nf, vCPU pinning ... register their own ops). */
#ifndef VTUNE_KNOB_H
#define VTUNE_KNOB_H

#include <stddef.h>

#define KNOB_MAX_KINDS 16
#define KNOB_VALUE_MAX 512 /* longest value a kind reads or writes, with NUL */

/* One kind of knob. All functions take the root prefix ("/" in production,
 * a fixture tree in tests), a target (what the knob belongs to: an
 * interface, a domain's vCPU ...; "" or NULL where a kind has none) and the
 * knob's key, and return 0 or -errno. */
struct knob_ops {
	const char *kind;
	/* Current value into buf (n bytes, NUL-terminated); -EOVERFLOW when it
	 * does not fit. */
	int (*read)(const char *root, const char *target, const char *key,
		    char *buf, size_t n);
	/* Set value, after checking the kind's own bounds (the allow-list for
	 * sysctls): a value outside them is refused and nothing is written. */
	int (*write)(const char *root, const char *target, const char *key,
		     const char *value);
	/* Optional: check value against the bounds without writing; a human
	 * reason goes to why (n bytes). NULL: no separate check. */
	int (*check)(const char *target, const char *key, const char *value,
		     char *why, size_t n);
	/* Optional: put back a value read earlier from this very knob (revert).
	 * May skip range bounds the original value lies outside of, never the
	 * list of writable keys. NULL: write is used. */
	int (*restore)(const char *root, const char *target, const char *key,
		       const char *value);
};

/* The built-in sysctl kind: key is the dotted name, target must be empty;
 * read values are normalised to single-space-separated tokens. */
extern const struct knob_ops knob_sysctl_ops;

/* Register a kind. ops must stay valid for the life of the process (static
 * storage). Returns 0, -EINVAL (no kind name / read / write), -EEXIST (that
 * kind is registered), -ENOSPC (KNOB_MAX_KINDS reached). */
int knob_register(const struct knob_ops *ops);

/* Remove a kind (tests). Returns 0 or -ENOENT. The built-in sysctl kind can
 * be removed too and registered again. */
int knob_unregister(const char *kind);

/* The ops of a kind, or NULL when it is not registered. With a proxy set
 * (knob_set_proxy), what the proxy returns for the registered ops. */
const struct knob_ops *knob_find(const char *kind);

/* The registered ops of a kind, never proxied (the privileged side of
 * privops performs requests with these), or NULL. */
const struct knob_ops *knob_find_real(const char *kind);

/* Privilege separation (privops.h): given a kind's registered ops, return
 * the ops knob_find hands out instead (e.g. ones that send each read and
 * write to a privileged process), or real itself to leave the kind local.
 * The result must stay valid for the life of the process. */
typedef const struct knob_ops *(*knob_proxy_fn)(const struct knob_ops *real);

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
 * it differs from expected, 0 if equal, -ENOENT for an unknown kind or a
 * read error (-errno). */
int knob_changed(const char *root, const char *kind, const char *target,
		 const char *key, const char *expected, char *now, size_t n);

#endif
