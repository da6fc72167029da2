/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_table: the action table. One row per kind of action a policy can name
 * (sysctl, rps, note, ...: actions/action.c): the sides it acts on,
 * how it runs on each side in each mode (vtune-hostd, the standalone agent,
 * `vtune-agent once`), the protocol version that carries it to a guest, how
 * it is parsed, planned and carried out, the knob kinds it writes and what
 * an administrator takes over when changing one by hand. The policy loader,
 * `policy check`, the engine, both programs' executors, privilege
 * separation and revert all read this table; nothing else lists actions.
 * It is declared here, in the policy layer, and filled in by actions/
 * (action.c and one act_*.c per kind): the loader and the engine reach
 * the actions through it alone; what an executor gets is action.h. */
#ifndef VTUNE_ACT_TABLE_H
#define VTUNE_ACT_TABLE_H

#include <stddef.h>
#include <yaml.h>

#include "engine.h"
#include "knob.h"
#include "policy.h"

struct act_ctx; /* what an executor gets: action.h */
struct pol_change;

/* What a host action needs of the backend under vtune-hostd (the backend
 * says whether it can: act_where.can). */
enum act_needs {
	ACT_NEEDS_NOTHING,
	ACT_NEEDS_PIN_MODE,   /* a pin mode the backend plans (its key) */
	ACT_NEEDS_PCI_ATTACH, /* the backend attaches a PCI function */
};

/* Where a policy runs. */
enum act_mode {
	ACT_HOSTD,  /* vtune-hostd: rules over both views, both sides */
	ACT_AGENT,  /* vtune-agent run --standalone: rules, the guest alone */
	ACT_ONCE,   /* vtune-agent once: the baseline only */
	ACT_NMODES,
};

/* How an action runs on one side in one mode. */
enum act_run {
	ACT_NO,	    /* it cannot: `policy check` refuses it */
	ACT_LOCAL,  /* this program's executor, through the journal */
	ACT_WIRE,   /* vtune-hostd asks the guest's agent over the channel */
	ACT_ADVICE, /* the standalone agent: a host change it cannot make, told
		     * as advice ("outside this VM: ask your provider") */
};

/* ---- what the loader and the check know about where a policy runs ---- */

struct act_where {
	enum act_mode mode;
	/* hostd: the backend's name and whether it can do what an action
	 * needs (enum act_needs) for key; can NULL: any backend is assumed
	 * able. */
	const char *backend;
	int (*can)(const char *backend, enum act_needs needs, const char *key);
	/* guest side over the wire: the protocol version the agents speak
	 * (0: the newest this build knows). */
	unsigned protocol;
};

/* ---- the table ---- */

struct pol_ld; /* the loader (policy_ld.h) */

/* An action as text (a wire message's fields), before it is checked and
 * built into a struct pol_action; absent fields are NULL. */
struct act_spec {
	const char *target, *key;
	const char *op;	   /* "set" (the default), "scale", "step", "widen" */
	const char *value; /* the op's operand */
	const char *min, *max;
};

/* A spec with room for its text (act_to_spec). */
struct act_spec_buf {
	struct act_spec s;
	char op[8], value[64], min[24], max[24];
};

/* Which field of a spec a problem is about (the loader points there). */
enum act_field { ACT_F_KEY, ACT_F_OP, ACT_F_VALUE, ACT_F_MIN, ACT_F_MAX };

typedef void (*act_err_fn)(void *arg, enum act_field f, const char *msg);

struct act_plan_in {
	const struct pol_rule *rule;
	const struct pol_action *a;
	const char *why;
	pol_current_fn current; /* may be NULL */
	void *arg;
	/* the views the rule fired on (a note names their values: "{metric}");
	 * NULL: unknown */
	const struct mvec *guest, *host;
};

struct act_def {
	const char *name;		   /* the policy key and the plan / wire kind */
	unsigned char run[2][ACT_NMODES];  /* [enum pol_side][enum act_mode] */
	unsigned wire_v;		   /* ACT_WIRE: the protocol version that
					    * carries it in full */
	/* ACT_WIRE below wire_v: can an older agent still be served this
	 * action? NULL: no. */
	int (*wire_old_ok)(const struct pol_action *a, unsigned protocol);
	enum act_needs needs;		   /* hostd host side: only where the backend
					    * can (act_where.can) */
	int tells;			   /* a note: it changes nothing, it says */
	const char *const *words;	   /* a one-word value: the words allowed */
	const char *const *mods;	   /* keys beside the kind's own (sysctl) */
	int ident_key;			   /* an administrator's change takes over
					    * kind + key, not the whole kind */
	/* Parse the kind's value node (an: the whole action's mapping; mods[i]
	 * and their key nodes, NULL when absent) into a; problems through
	 * pol_ld_err. NULL: one of words into a->key. */
	void (*parse)(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *node,
		      yaml_node_t *const *mods, yaml_node_t *const *modkeys,
		      struct pol_action *a);
	/* Build a from text (an action a guest is asked for): 0, or -EINVAL
	 * with each problem through err. NULL: one of words as the key. */
	int (*build)(const struct act_spec *s, struct pol_action *a, act_err_fn err,
		     void *arg);
	/* The opposite of build: a's fields as text into b (key and target are
	 * a's). NULL: the key alone. */
	void (*to_spec)(const struct pol_action *a, struct act_spec_buf *b);
	/* Plan one firing: append changes or notes to out. 0 or -ENOMEM. */
	int (*plan)(const struct act_plan_in *in, struct pol_plan *out);
	/* Carry out one planned change here (ACT_LOCAL), every knob through
	 * the journaled helper (apply_knob). The knobs changed (or that would
	 * be, in a dry run), or -errno when the journal cannot be written. */
	int (*exec)(const struct act_ctx *c, const struct pol_change *ch);
	const struct knob_ops *const *knobs; /* knob kinds exec writes */
};

/* The row of a policy key or plan kind ("sysctl"); NULL when there is
 * none. */
const struct act_def *act_by_name(const char *name);

/* Every row, in table order: *n rows. */
const struct act_def *act_table(size_t *n);

/* A row's place in the table (0 up: a bit in a set of kinds). */
unsigned act_index(const struct act_def *d);

/* The row a planned change is of: its action's, or the note's when it
 * has none. */
const struct act_def *act_of(const struct pol_change *c);

/* How row d runs on side in where's mode (backend and protocol ignored);
 * ACT_NO for a NULL d. */
enum act_run act_run_of(const struct act_def *d, enum pol_side side, enum act_mode mode);

/* Can action a run where? 1, or 0 with a one-line reason in why (n bytes):
 * the side, the mode, the backend and the wire protocol are all checked. */
int act_can_run(const struct pol_action *a, const struct act_where *where,
		char *why, size_t n);

/* Check every enabled-or-not rule (and, for ACT_ONCE, the baseline) of a
 * loaded set against where: each action that cannot run there is reported
 * as "file:line:col: rule NAME: why" in diag. Rules whose `backends:` leave
 * out where's backend are not checked (they never run there). Returns the
 * number of problems. */
int act_check_set(const struct pol_set *set, const struct act_where *where,
		  struct pol_diag *diag);

/* Build a guest action from a wire spec of kind name: 0, or -EINVAL /
 * -EPERM (not an action a guest carries out) with the reasons joined in
 * why (n bytes). */
int act_from_spec(const char *kind, const struct act_spec *s, struct pol_action *a,
		  char *why, size_t n);

/* Action a as text, to ask a guest for it: b->s is filled, its strings in
 * b or a. */
void act_to_spec(const struct pol_action *a, struct act_spec_buf *b);

/* What action a asks for, for people: "scale 2, min 1024, max 65535",
 * "set 1024 65000", "all". Into buf (n bytes). */
void act_describe(const struct pol_action *a, char *buf, size_t n);

/* Parse one action mapping of a policy file (the loader's part shared by
 * every kind: which kind, its side, its mods), into a. */
void act_parse(struct pol_ld *ld, yaml_node_t *node, enum pol_side side,
	       struct pol_action *a);

/* Plan one action of a firing rule through its row (notes, the
 * administrator's take-over and the kind's own planning). 0 or -ENOMEM. */
int act_plan(const struct act_plan_in *in, struct pol_plan *out);

/* Load a policy file with its drop-ins and check it for where
 * (pol_load_with_dropins, then act_check_set): the set, or NULL with every
 * problem in diag. */
struct pol_set *act_load_policy(const char *path, const struct act_where *where,
				struct pol_diag *diag);

/* What an administrator's hand change takes over, for the engine's list
 * of knobs it no longer manages: "sysctl net.core.somaxconn", "bridge_nf",
 * "offload tap", "rps". Into buf (n bytes). */
void act_ident(const struct act_def *d, const char *key, char *buf, size_t n);

/* "hostd", "agent", "once"; act_mode_parse gives -1 for anything else. */
const char *act_mode_name(enum act_mode m);
int act_mode_parse(const char *s);

#endif
