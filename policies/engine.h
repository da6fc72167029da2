/* engine: the deterministic policy engine. Per subject (one guest, by name)
 * it tracks each rule's timers, fires rules whose condition held long
 * enough, and plans the changes. It plans only: no I/O; the caller journals
 * and applies the plan. */
#ifndef VTUNE_ENGINE_H
#define VTUNE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* Current value of a knob, asked while planning: kind is "sysctl", "rps",
 * "bridge_nf", "offload", "pin" or "sriov"; key as in struct pol_change.
 * Writes a NUL-terminated value to buf and returns 0, or -errno (unknown).
 * For sysctls a value is required; for the others it is optional: when it
 * returns 0 and the value equals what the plan would set, the action is
 * skipped as already done. */
typedef int (*pol_current_fn)(void *arg, enum pol_side side, const char *kind,
			      const char *key, char *buf, size_t n);

/* One planned change, or a note (kind "note": nothing to apply).
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
	char note[256];
	char why[512];
};

/* A growing list of changes; zero-initialise or pol_plan_init. */
struct pol_plan {
	struct pol_change *v;
	size_t n, cap;
};

void pol_plan_init(struct pol_plan *p);
void pol_plan_clear(struct pol_plan *p);	/* n = 0, keep memory */
void pol_plan_free(struct pol_plan *p);

struct pol_engine;

/* New engine over a policy set. The set must outlive the engine and not
 * change. Returns NULL when out of memory. */
struct pol_engine *pol_engine_new(const struct pol_set *set);
void pol_engine_free(struct pol_engine *e);

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

/* The administrator wrote a knob the engine manages (key as in
 * pol_change.key, e.g. "net.core.somaxconn"): later plans for this subject
 * skip it with the note "changed by the administrator, no longer managed".
 * Returns 0 or -ENOMEM / -EINVAL. */
int pol_engine_admin_changed(struct pol_engine *e, const char *subject,
			     const char *key);

/* Is a rule active (fired, not yet cleared) for a subject? 1, 0 or
 * -ENOENT for an unknown subject or rule. For status and tests. */
int pol_engine_rule_active(const struct pol_engine *e, const char *subject,
			   const char *rule);

#endif
