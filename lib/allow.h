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
	ALLOW_TRIPLE = 4, /* value is "A B C" with A <= B <= C, each in [min, max];
			   * a change moves all three (tcp_mem) */
	ALLOW_TRIPLE_MAX = 8, /* as ALLOW_TRIPLE, but a change moves C alone
			       * (tcp_rmem, tcp_wmem: the per-socket default
			       * stays, only the ceiling grows) */
};

struct allow_rule {
	const char *key;   /* dotted sysctl name, e.g. "net.core.somaxconn" */
	uint64_t min, max; /* inclusive bounds of each number */
	unsigned flags;    /* ALLOW_* */
	const char *note;  /* why these bounds, for messages and docs */
	/* memory bound: no number above physical memory / mem_div (bytes,
	 * or pages with mem_pages); 0: none */
	uint64_t mem_div;
	int mem_pages;
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

/* The largest number r allows on this machine now: r->max, or less when
 * physical memory bounds it (mem_div). */
uint64_t allow_max_now(const struct allow_rule *r);

/* Is key's value three numbers (ALLOW_TRIPLE or ALLOW_TRIPLE_MAX)? */
int allow_is_triple(const struct allow_rule *r);

/* Tests: pretend physical memory is bytes (0: the machine's own). */
void allow_set_phys_bytes(uint64_t bytes);

/* Map a dotted sysctl key to its path below the root prefix:
 * "net.core.somaxconn" -> "proc/sys/net/core/somaxconn". Components must be
 * non-empty and made of [A-Za-z0-9_-] only, so "..", "/" and empty parts are
 * refused (-EINVAL). -ENAMETOOLONG when path (n bytes) is too small. Does
 * not require the key to be listed. */
int allow_sysctl_path(const char *key, char *path, size_t n);

#endif
