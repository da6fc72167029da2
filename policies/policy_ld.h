/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_ld: the policy loader's helpers that the action kinds use to parse
 * their own part of a policy file (actions/act_*.c): every problem goes to
 * the loader's diagnostics as `file:line:col: message`. */
#ifndef VTUNE_POLICY_LD_H
#define VTUNE_POLICY_LD_H

#include <stddef.h>
#include <stdint.h>
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

/* A condition of the expression language (expr.h) at n, its source text
 * copied to *src_out: the AST, or NULL (reported, at the column of the
 * problem). */
struct expr;
struct expr *pol_ld_cond(struct pol_ld *ld, yaml_node_t *n, const char *what,
			 char **src_out);

/* A duration ("10s", "500ms", "2m", "1h", "0"; at most 24h) into *ns:
 * 0 or -EINVAL (reported). */
int pol_ld_duration(struct pol_ld *ld, yaml_node_t *n, const char *what, uint64_t *ns);

/* A rule's effect verification keys (policies/policy_verify.c), any of the
 * nodes NULL when absent: fills r->verify with them and the defaults. */
struct pol_rule;
void pol_ld_verify(struct pol_ld *ld, struct pol_rule *r, yaml_node_t *improve,
		   yaml_node_t *guard, yaml_node_t *window, yaml_node_t *bound,
		   yaml_node_t *quarantine);

/* A number with an optional k/M/G (x1000) suffix. 0 or -EINVAL. */
int pol_parse_num(const char *s, double *out);

#endif
