/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy: a policy file parsed into typed rules (see vtune-policies(5)),
 * the loader that checks every problem as `file:line:col: message`, and
 * the diagnostics it collects. */
#ifndef VTUNE_POLICY_H
#define VTUNE_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "expr.h"

#define POL_NAME_MAX 48		/* longest rule name */
#define POL_KEY_MAX 96		/* longest sysctl key */
#define POL_MAX_BACKENDS 4	/* names in a rule's backends: list */
#define POL_MAX_FILES 64	/* a policy file and its drop-ins */
#define POL_RULE_KEYS_MAX 24	/* keys a rule may have, with room to grow */

enum pol_side { POL_GUEST, POL_HOST };

struct act_def; /* a row of the action table: act_table.h */

/* How a sysctl action computes its new value. */
enum pol_op {
	POL_OP_SET,	/* value (or set_str for ip_local_port_range) */
	POL_OP_SCALE,	/* current * value */
	POL_OP_STEP,	/* current + value */
	POL_OP_WIDEN,	/* ip_local_port_range: low end - value */
};

/* bridge_nf modifiers: the namespace-wide sysctls instead of the guest's
 * bridge; act even when a firewall needs the bridged frames. */
enum { POL_F_SCOPE_NS = 1, POL_F_ALLOW_UNFILTERED = 2 };

/* Offload features, a bit each. */
enum { POL_OFF_TSO = 1, POL_OFF_GSO = 2, POL_OFF_GRO = 4, POL_OFF_SG = 8, POL_OFF_TXCSUM = 16 };

struct pol_action {
	enum pol_side side;
	const struct act_def *act; /* its kind: a row of the action table */
	/* sysctl: the key; offload: where ("tap"/"bridge"); a kind whose
	 * value is one of its row's words (rps: "all"): that word */
	char key[POL_KEY_MAX];
	enum pol_op op;
	double value;		/* set / scale / step / widen amount */
	char set_str[64];	/* set for ip_local_port_range "LO HI", tcp_mem "A B C" */
	int has_min, has_max;
	double min, max;	/* bounds for the result (min: LO for widen) */
	unsigned features;	/* offload: POL_OFF_* */
	unsigned flags;		/* bridge_nf: POL_F_* */
	int state;		/* offload: 1 on, 0 off */
	char *text;		/* note: the line; sriov: its options as
				 * act_sriov_conf_text writes them, NULL for
				 * none (owned) */
	int line, col;		/* where the action is, 1-based */
	unsigned char file;	/* in which of the set's files (pol_set.files) */
};

/* Effect verification of a rule's changes (vtune-policies(5): improve,
 * guard, window, bound, quarantine; policies/verify.c judges them). */
#define POL_MAX_GUARDS 4
#define POL_WINDOW_DEFAULT 3	   /* intervals watched after a change */
#define POL_WINDOW_MAX 20
#define POL_BOUND_DEFAULT 0.10	   /* a guard may fall by 10 % */
#define POL_QUARANTINE_MIN_NS (3600ull * 1000000000ull) /* default: 1h, >= cooldown */
struct pol_verify {
	struct expr *improve;	/* what must hold after the change; NULL: the
				 * rule's clear, else `not when` */
	char *improve_src;	/* owned; NULL when inherited */
	int improve_none;	/* improve: none (only the guards are checked) */
	int guards[POL_MAX_GUARDS]; /* metrics that must not fall, besides the
				     * accept rate guest.tcp.passive_opens */
	size_t n_guards;
	unsigned window;	/* intervals watched (POL_WINDOW_DEFAULT) */
	double bound;		/* fraction (POL_BOUND_DEFAULT) */
	uint64_t quarantine_ns;	/* after a revert, no firing for this long */
};

struct pol_rule {
	char name[POL_NAME_MAX + 1];
	char *description;	/* owned, may be NULL */
	char *when_src, *clear_src;	/* owned; clear_src may be NULL */
	struct expr *when, *clear;	/* clear NULL: `not when` */
	int when_line, when_col, clear_line, clear_col; /* where they are, 1-based */
	uint64_t for_ns, cooldown_ns;
	int enabled;
	char backends[POL_MAX_BACKENDS][8]; /* only on these backends (none: all) */
	size_t n_backends;
	struct pol_action *actions;
	size_t n_actions;
	struct pol_verify verify;
	int line, col;
	/* where each key (pol_rule_keys order) was last set: key_line 0 =
	 * not given (the default), else that line of pol_set.files[key_file] */
	int key_line[POL_RULE_KEYS_MAX];
	unsigned char key_file[POL_RULE_KEYS_MAX];
};

struct pol_set {
	char *name;		/* file name it came from */
	struct pol_rule *rules;
	size_t n_rules;
	struct pol_rule baseline; /* `baseline:` guest actions (n_actions 0: none) */
	char *files[POL_MAX_FILES]; /* files[0] = name, then the drop-ins merged in */
	size_t nfiles;
};

/* The keys of a rule, in the order of pol_rule.key_line: *n of them. */
const char *const *pol_rule_keys(size_t *n);

/* Every problem found, each a full "file:line:col: message" line. */
struct pol_diag {
	char **msgs;
	size_t n, cap;
};

void pol_diag_init(struct pol_diag *d);
void pol_diag_free(struct pol_diag *d);
/* Append one message (formatted as file:line:col: message; line/col
 * 1-based). Out of memory drops the message. */
void pol_diag_add(struct pol_diag *d, const char *file, int line, int col,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Append one whole message line as it is (copied). */
void pol_diag_push(struct pol_diag *d, const char *line);
/* Print every message, one a line. */
void pol_diag_print(const struct pol_diag *d, FILE *f);

/* Load and check a policy file. Returns a new set (free with pol_set_free)
 * or NULL when the file has any problem or cannot be read; every problem is
 * appended to diag (may be NULL) as "path:line:col: message". */
struct pol_set *pol_load_file(const char *path, struct pol_diag *diag);

/* The same for text in memory; name is used in messages and as set name. */
struct pol_set *pol_load_string(const char *name, const char *text,
				struct pol_diag *diag);

void pol_set_free(struct pol_set *s);

/* Merge a drop-in file into s: each rule it names that s has is changed
 * key by key (the keys it gives replace those of s: `enabled: false`
 * disables a rule, `guest:` / `host:` replace that side's actions);
 * a rule s has not is added whole (checked like any rule); `baseline:`
 * replaces the baseline. Every problem goes to diag as file:line:col.
 * 0, or -EINVAL (s is then half merged: free it). */
int pol_merge_file(struct pol_set *s, const char *path, struct pol_diag *diag);

/* Load path and then the drop-ins of dir (NULL: the folder "policy.d"
 * beside path; a folder that does not exist is none): every regular
 * "*.yaml" file in it, in name order. The merged set, or NULL with every
 * problem in diag. */
struct pol_set *pol_load_with_dropins(const char *path, const char *dir,
				      struct pol_diag *diag);

/* Find a rule by name or NULL. */
const struct pol_rule *pol_set_rule(const struct pol_set *s, const char *name);

/* Is a sysctl key on the allow-list (lib/allow.h)? Returns 0 (and the range
 * a value must lie in, when lo/hi are not NULL) or -EPERM with a reason in
 * why. */
int pol_sysctl_allowed(const char *key, double *lo, double *hi,
		       char *why, size_t whylen);

/* Check a value a plan would write to a sysctl with allow_check(): 0, or
 * -EPERM with the reason in why. */
int pol_sysctl_value_ok(const char *key, const char *value,
			char *why, size_t whylen);

/* Is rule r for the backend named (its backends: list, none = all)? */
int pol_rule_for_backend(const struct pol_rule *r, const char *backend);

/* "guest" / "host". */
const char *pol_side_name(enum pol_side s);

#endif
