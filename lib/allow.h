/* SPDX-License-Identifier: GPL-2.0-or-later */
/* allow: the allow-list of sysctls vtune may ever write, with the range each
 * may take. Every sysctl write is checked here first; nothing outside the
 * list can be written by any rule. */
#ifndef VTUNE_ALLOW_H
#define VTUNE_ALLOW_H

#include <stddef.h>
#include <stdint.h>

enum {
	ALLOW_PAIR = 1, /* value is "LO HI" with LO < HI, both in [min, max] */
	ALLOW_POW2 = 2, /* value must be 0 or a power of two */
};

struct allow_rule {
	const char *key;   /* dotted sysctl name, e.g. "net.core.somaxconn" */
	uint64_t min, max; /* inclusive bounds of each number */
	unsigned flags;    /* ALLOW_* */
	const char *note;  /* why these bounds, for messages and docs */
};

/* Check that vtune may write value to sysctl key. Returns 0 when allowed,
 * -EPERM when key is not on the list, -EINVAL when value is malformed
 * (not plain decimal, leading zeros, wrong token count), -ERANGE when a
 * number is out of bounds or breaks a flag rule. On error a one-line human
 * reason is written to why (whylen bytes; why may be NULL). */
int allow_check(const char *key, const char *value, char *why, size_t whylen);

/* Like allow_check() without the range and flag rules: for restoring an
 * original value the kernel itself held (vtune revert). Same errors except
 * -ERANGE. */
int allow_check_restore(const char *key, const char *value, char *why,
			size_t whylen);

/* The rule for key, or NULL when it is not listed. Static storage. */
const struct allow_rule *allow_find(const char *key);

/* The whole list: *count entries in static storage. */
const struct allow_rule *allow_list(size_t *count);

/* Map a dotted sysctl key to its path below the root prefix:
 * "net.core.somaxconn" -> "proc/sys/net/core/somaxconn". Components must be
 * non-empty and made of [A-Za-z0-9_-] only, so "..", "/" and empty parts are
 * refused (-EINVAL). -ENAMETOOLONG when path (n bytes) is too small. Does
 * not require the key to be listed. */
int allow_sysctl_path(const char *key, char *path, size_t n);

#endif
