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
 * done. The port range's planner also asks kind "ports": key "listening"
 * (the ports listeners use, "22 80 8080") and "reserved" (the
 * ip_local_reserved_ports list): a widened range stops above them;
 * -ENOENT when unknown. */
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

/* Corroboration (corroborate.h), on by default: each step, the guest
 * metrics that rules changing the host read are checked against the host
 * vector; a report that fails is implausible and those rules are held (the
 * step counts as an unknown sample for them), while rules acting on the
 * guest alone go on. Off only where host actions are advice (the
 * standalone agent has no host view). */
void pol_engine_set_corroborate(struct pol_engine *e, int on);

/* The subject's last verdict: 1 its last report was plausible, 0 it was
 * not; *count (may be NULL) the steps whose report was implausible, *why
 * (may be NULL) the latest failure ("" when none). -ENOENT: unknown. */
int pol_engine_plausibility(const struct pol_engine *e, const char *subject,
			    uint64_t *count, const char **why);

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

/* ---- effect verification ----
 * Every firing that changed something is a trial: the caller tells the
 * engine which journal records it made (pol_engine_records); the engine
 * then watches the rule's window (after the sample in which the change was
 * made) and judges it against the samples before: the rule's `improve`
 * (default: its clear condition, else `not when`) must hold on most of the
 * window or its metrics must move the right way by more than the bound, and
 * the guards (guest.tcp.passive_opens and the rule's `guard:` metrics) must
 * not fall by more than the bound (mean below before x (1 - bound) and
 * median below the lowest sample before: noise inside the bound is not a
 * fall). A change that fails is to be reverted by the caller (the
 * verdict's records) and the rule is quarantined for the subject. */

#define POL_VERDICT_TEXT 384

struct pol_verdict {
	char rule[POL_NAME_MAX + 1];
	int revert;		/* 1: undo the records; the rule is quarantined */
	const char *reason;	/* static: "improved", "cleared", "guards_held"
				 * (improve: none), "no_data" (kept, not
				 * verifiable); "no_effect", "accept_rate_fell",
				 * "guard_fell" (revert) */
	char text[POL_VERDICT_TEXT]; /* "reverted: no effect — accepts 21,363 → 18,589/s" */
	int64_t *seq;		/* the firing's journal records (owned) */
	size_t nseq;
	uint64_t until_ns;	/* revert: end of the quarantine (engine clock) */
};

/* The journal records (seq of "set" records) the latest firing of rule
 * made for subject, told after carrying out its plan; n 0 (nothing
 * changed) ends the trial. Call before the next step. 0, -ENOENT (no
 * firing of that rule awaits its records) or -ENOMEM. */
int pol_engine_records(struct pol_engine *e, const char *subject, const char *rule,
		       const int64_t *seq, size_t n);

/* Record seq of rule's open trial for subject changed nothing after all (a
 * guest answered that the knob was already there): it leaves the trial,
 * and a trial left without records ends without a verdict. 1 when the
 * trial ended, 0 when it goes on, -ENOENT when no trial holds seq. */
int pol_engine_unrecord(struct pol_engine *e, const char *subject, const char *rule,
			int64_t seq);

/* Take the oldest verdict judged for subject: 1 with *out filled (free
 * with pol_verdict_free), 0 when none is waiting. */
int pol_engine_take_verdict(struct pol_engine *e, const char *subject,
			    struct pol_verdict *out);
void pol_verdict_free(struct pol_verdict *v);

/* The last verdict on rule for subject: 0 with its text, whether it was
 * reverted and the end of the quarantine (engine clock, 0 when none), or
 * -ENOENT. */
int pol_engine_last_verdict(const struct pol_engine *e, const char *subject,
			    const char *rule, const char **text, int *reverted,
			    uint64_t *quarantine_until);

/* What a change of rule r is expected to do, for dry runs: "expect
 * guest.netrx.imbalance < 1.5 (or falling) within 3 intervals, accepts
 * (guest.tcp.passive_opens) not falling by more than 10 %; else reverted
 * and quarantined 1h". */
void pol_verify_describe(const struct pol_rule *r, char *buf, size_t n);

/* ---- what each rule is doing (`vtune report`'s diagnosis) ---- */

enum pol_rstate {
	POL_RS_QUIET,	    /* its condition does not hold */
	POL_RS_UNKNOWN,	    /* its condition cannot be told: a metric is missing */
	POL_RS_WAITING,	    /* it holds, not yet for its `for` */
	POL_RS_FIRING,	    /* it holds long enough: it fires (would, in a dry run) */
	POL_RS_ACTIVE,	    /* fired: its change is being verified, or kept while
			     * the condition has not cleared */
	POL_RS_COOLDOWN,    /* it holds again, fired less than its cooldown ago */
	POL_RS_QUARANTINED, /* its change was undone (no effect / a guard fell) */
	POL_RS_HELD,	    /* it holds, but every change stops at its bound or is
			     * already made */
	POL_RS_REFUSED,	    /* it holds, but none of its actions can run here */
	POL_RS_OFF,	    /* disabled, or not for this backend */
};

struct act_where;

/* One rule's state: why (its `when` metrics with their values) and a
 * detail for people ("held 8s of 30s", "1h00m left; reverted: ...",
 * "net.core.somaxconn at max (65535), not changed", a refusal's reason). */
struct pol_rule_eval {
	const struct pol_rule *rule;
	enum pol_rstate state;
	char why[512];
	char detail[512];
	char fix[768];	/* what it changes (pol_rule_fix), or for a rule that
			 * only says something, its notes with their figures */
};

/* Every rule's state for subject at now on the views g and h (the engine's
 * timers, cooldowns and quarantines for a subject it knows; a subject it
 * does not know — or NULL — is judged as if each condition that holds had
 * held for its `for`, as a dry run does). current (may be NULL) is asked
 * for knob values to tell a rule held by its bounds; where (may be NULL)
 * says where it runs, for refusals. Fills up to max entries, in rule
 * order; returns how many, or -EINVAL. Changes nothing. */
int pol_engine_explain(const struct pol_engine *e, const char *subject, uint64_t now,
		       const struct mvec *g, const struct mvec *h, pol_current_fn current,
		       void *arg, const struct act_where *where, struct pol_rule_eval *out,
		       size_t max);

/* "quiet", "waiting", "firing", ... */
const char *pol_rstate_name(enum pol_rstate s);
/* A rule's changes for people: "guest rps all; guest sysctl
 * net.core.rps_sock_flow_entries step 32768, max 32768". */
void pol_rule_fix(const struct pol_rule *r, char *buf, size_t n);
/* The side a rule acts on: "guest", "host" or "both". */
const char *pol_rule_side(const struct pol_rule *r);

/* One evaluation as the JSON object `vtune report` shows: rule, state,
 * side, description, why, detail, fix (the caller puts it). */
struct json_object;
struct json_object *pol_rule_eval_json(const struct pol_rule_eval *x);

/* Is a rule active (fired, not yet cleared) for a subject? 1, 0 or
 * -ENOENT for an unknown subject or rule. For status and tests. */
int pol_engine_rule_active(const struct pol_engine *e, const char *subject,
			   const char *rule);

#endif
