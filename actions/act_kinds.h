/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_kinds: what each action kind's own file (act_*.c) gives the action
 * table (action.c): its parser, builder, planner and executor. Nothing but
 * the table and the kinds' files includes this. */
#ifndef VTUNE_ACT_KINDS_H
#define VTUNE_ACT_KINDS_H

#include "action.h"

/* sysctl */
void act_sysctl_parse(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *node,
		      yaml_node_t *const *mods, yaml_node_t *const *modkeys,
		      struct pol_action *a);
int act_sysctl_build(const struct act_spec *s, struct pol_action *a, act_err_fn err,
		     void *arg);
int act_sysctl_plan(const struct act_plan_in *in, struct pol_plan *out);
int act_sysctl_wire_old_ok(const struct pol_action *a, unsigned protocol);
void act_sysctl_to_spec(const struct pol_action *a, struct act_spec_buf *b);
int act_sysctl_exec(const struct act_ctx *c, const struct pol_change *ch);

/* one-word kinds (rps, bridge_nf, pin, sriov): the value is the key */
int act_word_plan(const struct act_plan_in *in, struct pol_plan *out);

/* rps */
void act_rps_parse(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *node,
		   yaml_node_t *const *mods, yaml_node_t *const *modkeys,
		   struct pol_action *a);
int act_rps_build(const struct act_spec *s, struct pol_action *a, act_err_fn err, void *arg);
int act_rps_exec(const struct act_ctx *c, const struct pol_change *ch);

/* bridge_nf */
void act_bridge_nf_parse(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *node,
			 yaml_node_t *const *mods, yaml_node_t *const *modkeys,
			 struct pol_action *a);
void act_bridge_nf_to_spec(const struct pol_action *a, struct act_spec_buf *b);
int act_bridge_nf_plan(const struct act_plan_in *in, struct pol_plan *out);
int act_bridge_nf_exec(const struct act_ctx *c, const struct pol_change *ch);

/* offload */
void act_offload_parse(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *node,
		       yaml_node_t *const *mods, yaml_node_t *const *modkeys,
		       struct pol_action *a);
int act_offload_plan(const struct act_plan_in *in, struct pol_plan *out);
int act_offload_exec(const struct act_ctx *c, const struct pol_change *ch);

/* pin */
int act_pin_exec(const struct act_ctx *c, const struct pol_change *ch);

/* irq: NIC queue interrupts spread over the CPUs (both sides) */
extern const struct knob_ops act_irq_knob_ops;
int act_irq_exec(const struct act_ctx *c, const struct pol_change *ch);
/* Does irqbalance run under root (it then owns IRQ affinity)? */
int act_irq_irqbalance(const char *root);

/* channels: every multiqueue NIC to its queues, one per CPU at most */
extern const struct knob_ops act_channels_knob_ops;
int act_channels_exec(const struct act_ctx *c, const struct pol_change *ch);

/* nofile: listeners' processes near RLIMIT_NOFILE get more (prlimit) */
extern const struct knob_ops act_nofile_knob_ops;
int act_nofile_exec(const struct act_ctx *c, const struct pol_change *ch);
/* xps: each CPU to a transmit queue of its own */
int act_xps_exec(const struct act_ctx *c, const struct pol_change *ch);

/* sriov (act_sriov.h has the rest) */
void act_sriov_parse(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *node,
		     yaml_node_t *const *mods, yaml_node_t *const *modkeys,
		     struct pol_action *a);
int act_sriov_exec(const struct act_ctx *c, const struct pol_change *ch);

/* note */
void act_note_parse(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *node,
		    yaml_node_t *const *mods, yaml_node_t *const *modkeys,
		    struct pol_action *a);
int act_note_plan(const struct act_plan_in *in, struct pol_plan *out);
/* A note's text with each "{metric.name}" replaced by its value from
 * guest / host (either may be NULL; whole numbers and values of 100 or
 * more without decimals, others to 2 significant digits), into out (n
 * bytes). */
void act_note_expand(const char *text, const struct mvec *guest, const struct mvec *host,
		     char *out, size_t n);
int act_note_exec(const struct act_ctx *c, const struct pol_change *ch);

#endif
