/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_ld: the policy loader's helpers that the action kinds use to parse
 * their own part of a policy file (actions/act_*.c): every problem goes to
 * the loader's diagnostics as `file:line:col: message`. */
#ifndef VTUNE_POLICY_LD_H
#define VTUNE_POLICY_LD_H

#include <stddef.h>
#include <yaml.h>

struct pol_ld;

/* Report a problem at node n (counted: the file is refused). */
void pol_ld_err(struct pol_ld *ld, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The node with this index in the document, or NULL. */
yaml_node_t *pol_ld_node(struct pol_ld *ld, int idx);

/* "a scalar", "a list", "a mapping". */
const char *pol_ld_type_name(const yaml_node_t *n);

/* A scalar's text, or NULL (reported, naming what) for lists, mappings and
 * scalars holding a NUL byte. */
const char *pol_ld_scalar(struct pol_ld *ld, yaml_node_t *n, const char *what);

/* Walk a mapping's keys: each must be one of keys[] and appear once; the
 * value nodes go to vals[] (NULL when absent), key nodes to knodes[].
 * Problems are reported; -EINVAL when map is not a mapping, else 0. */
int pol_ld_map(struct pol_ld *ld, yaml_node_t *map, const char *what,
	       const char *const *keys, size_t nkeys, yaml_node_t **vals,
	       yaml_node_t **knodes);

/* One word of allowed (NULL-terminated) copied to out: its index, or
 * -EINVAL (reported). */
int pol_ld_word(struct pol_ld *ld, yaml_node_t *n, const char *what,
		const char *const *allowed, char *out, size_t outlen);

/* A number with an optional k/M/G (x1000) suffix. 0 or -EINVAL. */
int pol_parse_num(const char *s, double *out);

#endif
