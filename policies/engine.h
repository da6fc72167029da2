/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine: the deterministic policy engine. Per subject (one guest, by name)
 * it tracks each rule's timers, fires rules whose condition held long
 * enough, and plans the changes. It plans only: no I/O; the caller journals
 * and applies the plan. */
#ifndef VTUNE_ENGINE_H
#define VTUNE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* Current value of a knob, asked while planning: kind is an action kind of
 * the action table ("sysctl", "rps", "bridge_nf", ...); key as in struct
 * pol_change. Writes a NUL-terminated value to buf and returns 0, -EREMOTE
 * when the knob lives where this side cannot read it but the action will
 * be planned there (a guest whose agent plans it: the change is "deferred"),
 * or another -errno (unknown). For sysctls a value (or -EREMOTE) is
 * required; for the others it is optional: when it returns 0 and the
 * value equals what the plan would set, the action is skipped as already
 * done. */
typedef int (*pol_current_fn)(void *arg, enum pol_side side, const char *kind,
			      const char *key, char *buf, size_t n);

/* One planned change, or a note (kind "note": nothing to apply).
 * act is the policy action it comes from (owned by the policy set, valid
 * while the set is loaded); deferred changes leave old and new empty: the
 * side holding the knob plans them itself from act (vtune-agent, asked
 * over protocol 2).
 *   sysctl:    key = sysctl name, old = current, new = planned value
 *   rps:       key = "all", new = "all"
 *   bridge_nf: key = "bridge_nf", new = "on"/"off"
 *   offload:   key = where ("tap"/"bridge"/"uplink"), new = "tso,gso=on"
 *   pin:       key = mode ("dom0-away"/"emulator-away"/"vcpus-spread"), new = mode
 *   sriov:     key = "attach", new = "attach"
 *   note:      key = the knob it is about or "", note = the text
 * old is "" when unknown. why lists the values of the metrics in the rule's
 * `when`, e.g. "guest.tcp.listen_overflows=52.0/s guest.listen.fill_max=100%". */
struct pol_change {
	char rule[POL_NAME_MAX + 1];
	enum pol_side side;
	char kind[16];
	char key[POL_KEY_MAX];
	char old[POL_KEY_MAX];
	char new[POL_KEY_MAX];
	char note[512];
	char why[512];
	const struct pol_action *act;
	int deferred;
};

/* A growing list of changes; zero-initialise or pol_plan_init. */
struct pol_plan {
	struct pol_change *v;
	size_t n, cap;
};

void pol_plan_init(struct pol_plan *p);
/* Append a change of kind from rule r's action a (why: the metrics that
 * fired it): side, kind, key, rule and act filled, the rest zero. NULL when
 * out of memory. */
struct pol_change *pol_plan_add(struct pol_plan *p, const struct pol_rule *r,
				const struct pol_action *a, const char *kind,
				const char *why);
/* Append a note (kind "note") about action a: old is the knob's value
 * ("" or NULL when unknown), the text from fmt. 0 or -ENOMEM. */
int pol_plan_note(struct pol_plan *p, const struct pol_rule *r,
		  const struct pol_action *a, const char *why, const char *old,
		  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Append a deferred change of kind (see struct pol_change). 0 or -ENOMEM. */
int pol_plan_deferred(struct pol_plan *p, const struct pol_rule *r,
		      const struct pol_action *a, const char *kind, const char *why);
void pol_plan_clear(struct pol_plan *p);	/* n = 0, keep memory */
void pol_plan_free(struct pol_plan *p);

struct pol_engine;

/* New engine over a policy set. The set must outlive the engine and not
 * change. Returns NULL when out of memory. */
struct pol_engine *pol_engine_new(const struct pol_set *set);
void pol_engine_free(struct pol_engine *e);

/* Evaluate only the rules for this backend (their backends: list); NULL
 * (the default): every rule. name must outlive the engine. */
void pol_engine_set_backend(struct pol_engine *e, const char *name);

/* Evaluate every enabled rule for one subject at time now_ns (monotonic ns,
 * never going back; vclock_mono_ns() in daemons, a fake in tests) against
 * its guest and host metric vectors (NULL: all unknown). A rule fires when
 * `when` has held on every sample for at least `for` (a false or unknown
 * sample restarts the timer) and the last firing is at least `cooldown`
 * ago; it then stays active, not firing again, until `clear` (default: not
 * when) has held for `for`. Each firing appends the rule's actions to out
 * (out is not cleared first). current is asked for knob values (may be
 * NULL: sysctl actions are then skipped with a note). Returns the number of
 * rules that fired, or -EINVAL / -ENOMEM; unknown subjects are created. */
int pol_engine_step(struct pol_engine *e, const char *subject, uint64_t now_ns,
		    const struct mvec *guest, const struct mvec *host,
		    pol_current_fn current, void *arg, struct pol_plan *out);

/* Plan every action of one rule now, unconditionally (the guest baseline
 * of `vtune-agent once`), with why as the reason. Same planning as a
 * firing: bounds, "at max", allow-list. Returns 0 or -ENOMEM. */
int pol_plan_rule(const struct pol_rule *r, const char *why,
		  pol_current_fn current, void *arg, struct pol_plan *out);

/* Drop all state of a subject (a guest went away). Returns 0 or -ENOENT. */
int pol_engine_forget(struct pol_engine *e, const char *subject);

/* The administrator wrote a knob the engine manages: ident is what the
 * change takes over (act_ident: "sysctl net.core.somaxconn", "bridge_nf"),
 * now the value found (may be NULL). Later plans for this subject skip
 * those actions with the note "changed by the administrator, no longer
 * managed". Returns 0 or -ENOMEM / -EINVAL. */
int pol_engine_admin_changed(struct pol_engine *e, const char *subject,
			     const char *ident, const char *now);

/* The i-th thing the engine left to the administrator for subject: 0 with
 * its ident and the value found then, -ENOENT past the end. */
int pol_engine_unmanaged(const struct pol_engine *e, const char *subject, size_t i,
			 const char **ident, const char **now);

/* Is a rule active (fired, not yet cleared) for a subject? 1, 0 or
 * -ENOENT for an unknown subject or rule. For status and tests. */
int pol_engine_rule_active(const struct pol_engine *e, const char *subject,
			   const char *rule);

#endif
