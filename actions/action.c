/* SPDX-License-Identifier: GPL-2.0-or-later */
/* action: the action table (see action.h) and what every layer asks of it:
 * parsing an action of a policy file, building one from a wire request,
 * planning, whether an action can run in a mode / on a backend / over a
 * protocol version, and the knob kinds the executors write. */
#include "action.h"
#include "act_kinds.h"
#include "corroborate.h"
#include "hostnet.h"
#include "hostnet_vf.h"
#include "knob.h"
#include "policy_ld.h"
#include "rps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A row's lists, written in the row: its words, its mods, its knob kinds. */
#define WORDS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define KNOBS(...) ((const struct knob_ops *const[]){ __VA_ARGS__, NULL })

/* The agent's build of this file (ACT_GUEST_VIEW: Makefile, AGENT_VIEW)
 * has the same rows, but the executors and knob kinds of the actions only
 * vtune-hostd carries out are NULL: the agent never runs a host action (it
 * tells it as advice or refuses it, from the rest of the row), so it links
 * neither them nor what they need (hostnet's bridge, firewall, offload and
 * VF code, rtnetlink's library). */
#ifdef ACT_GUEST_VIEW
#define HOST_ONLY(x) NULL
#else
#define HOST_ONLY(x) x
#endif

/*              hostd       agent       once */
#define NEVER { ACT_NO, ACT_NO, ACT_NO }
#define GUEST { ACT_WIRE, ACT_LOCAL, ACT_LOCAL }
#define HOST { ACT_LOCAL, ACT_ADVICE, ACT_NO }

static const struct act_def table[] = {
	{ .name = "sysctl", .run = { GUEST, HOST }, .wire_v = 2,
	  .wire_old_ok = act_sysctl_wire_old_ok, .ident_key = 1,
	  .mods = WORDS("set", "scale", "step", "widen", "min", "max"),
	  .parse = act_sysctl_parse, .build = act_sysctl_build, .to_spec = act_sysctl_to_spec,
	  .plan = act_sysctl_plan, .exec = act_sysctl_exec, .knobs = KNOBS(&knob_sysctl_ops) },
	{ .name = "rps", .run = { GUEST, NEVER }, .wire_v = 2, .words = WORDS("all"),
	  .parse = act_rps_parse, .build = act_rps_build, .plan = act_word_plan,
	  .exec = act_rps_exec, .knobs = KNOBS(&knob_rps_ops, &knob_sysctl_ops) },
	{ .name = "bridge_nf", .run = { NEVER, HOST }, .words = WORDS("off", "on"),
	  .parse = act_bridge_nf_parse, .to_spec = act_bridge_nf_to_spec,
	  .plan = act_bridge_nf_plan, .exec = HOST_ONLY(act_bridge_nf_exec),
	  .knobs = HOST_ONLY(KNOBS(&hostnet_bridge_nf_ops, &hostnet_bridge_br_ops,
				   &hostnet_firewall_ops)) },
	{ .name = "offload", .run = { NEVER, HOST }, .ident_key = 1,
	  .parse = act_offload_parse, .plan = act_offload_plan,
	  .exec = HOST_ONLY(act_offload_exec), .knobs = HOST_ONLY(KNOBS(&hostnet_offload_ops)) },
	{ .name = "pin", .run = { NEVER, HOST }, .needs = ACT_NEEDS_PIN_MODE,
	  .words = WORDS("dom0-away", "emulator-away", "vcpus-spread", "housekeeping",
			 "net-threads"),
	  .plan = act_word_plan, .exec = HOST_ONLY(act_pin_exec) },
	/* SR-IOV: the backend plans the VF (plan_pci_attach), so only where
	 * it can; the network VF settings are rtnetlink knobs of their own */
	{ .name = "sriov", .run = { NEVER, HOST }, .needs = ACT_NEEDS_PCI_ATTACH,
	  .words = WORDS("attach"), .parse = act_sriov_parse, .plan = act_word_plan,
	  .exec = HOST_ONLY(act_sriov_exec), .knobs = HOST_ONLY(KNOBS(&hostnet_vf_ops)) },
	/* the seeds' guest actions, carried by protocol 2 */
	{ .name = "irq", .run = { GUEST, HOST }, .wire_v = 2, .words = WORDS("spread"),
	  .plan = act_word_plan, .exec = act_irq_exec, .knobs = KNOBS(&act_irq_knob_ops) },
	{ .name = "channels", .run = { GUEST, NEVER }, .wire_v = 2, .words = WORDS("max"),
	  .plan = act_word_plan, .exec = act_channels_exec, .knobs = KNOBS(&act_channels_knob_ops) },
	{ .name = "nofile", .run = { GUEST, NEVER }, .wire_v = 2, .words = WORDS("raise"),
	  .plan = act_word_plan, .exec = act_nofile_exec, .knobs = KNOBS(&act_nofile_knob_ops) },
	{ .name = "xps", .run = { GUEST, NEVER }, .wire_v = 2, .words = WORDS("spread"),
	  .plan = act_word_plan, .exec = act_xps_exec, .knobs = KNOBS(&knob_rps_ops) },
	{ .name = "note", .tells = 1,
	  /* a host note in a guest without a host daemon: advice for the provider */
	  .run = { { ACT_LOCAL, ACT_LOCAL, ACT_LOCAL }, { ACT_LOCAL, ACT_ADVICE, ACT_NO } },
	  .parse = act_note_parse, .plan = act_note_plan, .exec = act_note_exec },
};

#define NROWS (sizeof table / sizeof table[0])
/* a guest's hello names its kinds as bits of a 32-bit set (act_index) */
_Static_assert(NROWS <= 32, "more action kinds than a hello's set holds");

const struct act_def *act_table(size_t *n)
{
	*n = NROWS;
	return table;
}

unsigned act_index(const struct act_def *d)
{
	return (unsigned)(d - table);
}

const struct act_def *act_of(const struct pol_change *c)
{
	if (c->act && c->act->act)
		return c->act->act;
	for (size_t i = 0; i < NROWS; i++)
		if (table[i].tells)
			return &table[i];
	return NULL;
}

const struct act_def *act_by_name(const char *name)
{
	for (size_t i = 0; name && i < NROWS; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

const char *act_mode_name(enum act_mode m)
{
	static const char *const names[] = { "hostd", "agent", "once" };
	return (unsigned)m < ACT_NMODES ? names[m] : "?";
}

int act_mode_parse(const char *s)
{
	for (int m = 0; s && m < ACT_NMODES; m++)
		if (!strcmp(s, act_mode_name((enum act_mode)m)))
			return m;
	return -1;
}

enum act_run act_run_of(const struct act_def *d, enum pol_side side, enum act_mode mode)
{
	if (!d || (unsigned)mode >= ACT_NMODES || (side != POL_GUEST && side != POL_HOST))
		return ACT_NO;
	return (enum act_run)d->run[side][mode];
}

void act_ident(const struct act_def *d, const char *key, char *buf, size_t n)
{
	if (!d)
		snprintf(buf, n, "?");
	else if (d->ident_key)
		snprintf(buf, n, "%s %s", d->name, key);
	else
		snprintf(buf, n, "%s", d->name);
}

/* ---- can it run ---- */

/* Does d run on side in any mode? */
static int runs_on(const struct act_def *d, enum pol_side side)
{
	for (int m = 0; m < ACT_NMODES; m++)
		if (d->run[side][m] != ACT_NO)
			return 1;
	return 0;
}

static const char *const mode_scope[] = {
	[ACT_HOSTD] = "vtune-hostd",
	[ACT_AGENT] = "the standalone agent (vtune-agent run --standalone)",
	[ACT_ONCE] = "vtune-agent once (the guest baseline)",
};

int act_can_run(const struct pol_action *a, const struct act_where *w, char *why, size_t n)
{
	const struct act_def *d = a->act;
	enum pol_side other = a->side == POL_GUEST ? POL_HOST : POL_GUEST;
	if (!d)
		return snprintf(why, n, "unknown action"), 0;
	enum act_run r = act_run_of(d, a->side, w->mode);
	if (r == ACT_NO) {
		int anywhere = runs_on(d, a->side);
		if (!anywhere && runs_on(d, other))
			snprintf(why, n, "'%s' is a %s action", d->name, pol_side_name(other));
		else if (d->run[a->side][ACT_HOSTD] == ACT_NO && w->mode == ACT_HOSTD &&
			 !d->exec)
			snprintf(why, n, "'%s' cannot run under vtune-hostd in this version of vtune: "
				 "nothing carries it out yet", d->name);
		else if (!anywhere)
			snprintf(why, n, "'%s' cannot run in this version of vtune: nothing carries it out",
				 d->name);
		else
			snprintf(why, n, "'%s' on the %s side cannot run under %s", d->name,
				 pol_side_name(a->side), mode_scope[w->mode]);
		return 0;
	}
	if (r == ACT_LOCAL && a->side == POL_HOST && d->needs && w->mode == ACT_HOSTD &&
	    w->can && !w->can(w->backend, d->needs, a->key)) {
		snprintf(why, n, "%s %s: the %s backend cannot do this", d->name, a->key,
			 w->backend ? w->backend : "?");
		return 0;
	}
	if (r == ACT_WIRE && w->protocol && w->protocol < d->wire_v &&
	    !(d->wire_old_ok && d->wire_old_ok(a, w->protocol))) {
		snprintf(why, n, "%s %s needs protocol %u in the guest's agent (it speaks %u)",
			 d->name, a->key, d->wire_v, w->protocol);
		return 0;
	}
	return 1;
}

/* Does a rule run on this backend at all (its `backends:` list)? */
static int rule_here(const struct pol_rule *r, const struct act_where *w)
{
	return w->mode != ACT_HOSTD || pol_rule_for_backend(r, w->backend);
}

static int check_rule(const struct pol_set *set, const struct pol_rule *r,
		      const struct act_where *w, struct pol_diag *diag)
{
	int bad = 0;
	for (size_t i = 0; i < r->n_actions; i++) {
		char why[256];
		if (act_can_run(&r->actions[i], w, why, sizeof why))
			continue;
		unsigned f = r->actions[i].file;
		pol_diag_add(diag, f < set->nfiles ? set->files[f] : set->name, r->actions[i].line,
			     r->actions[i].col, "%s %s: %s", r == &set->baseline ? "the" : "rule",
			     r->name, why);
		bad++;
	}
	return bad;
}

/* Under vtune-hostd a rule that changes the host may read only guest
 * metrics the host can corroborate (corroborate.h): a host action never
 * fires on a guest's report alone. */
static int check_corroborated(const struct pol_set *set, const struct pol_rule *r,
			      struct pol_diag *diag)
{
	int id = corr_rule_on_host(r) ? corr_rule_unbacked(r) : -1;
	if (id < 0)
		return 0;
	int ids[M_COUNT], n = expr_metrics(r->when, ids, M_COUNT), in_when = 0;
	for (int i = 0; i < n; i++)
		in_when |= ids[i] == id;
	pol_diag_add(diag, set->name, in_when ? r->when_line : r->clear_line,
		     in_when ? r->when_col : r->clear_col,
		     "rule %s: changes the host but reads %s, which the host cannot corroborate "
		     "(a host action never fires on a guest's report alone; see vtune-policies(5))",
		     r->name, metric_defs[id].name);
	return 1;
}

int act_check_set(const struct pol_set *set, const struct act_where *w, struct pol_diag *diag)
{
	int bad = 0;
	if (w->mode == ACT_ONCE)
		return check_rule(set, &set->baseline, w, diag);
	for (size_t i = 0; i < set->n_rules; i++) {
		if (!rule_here(&set->rules[i], w))
			continue;
		bad += check_rule(set, &set->rules[i], w, diag);
		if (w->mode == ACT_HOSTD)
			bad += check_corroborated(set, &set->rules[i], diag);
	}
	return bad;
}

struct pol_set *act_load_policy(const char *path, const struct act_where *w,
				struct pol_diag *diag)
{
	struct pol_set *s = pol_load_with_dropins(path, NULL, diag);
	if (s && act_check_set(s, w, diag)) {
		pol_set_free(s);
		return NULL;
	}
	return s;
}

/* ---- parsing a policy file's action ---- */

void act_parse(struct pol_ld *ld, yaml_node_t *an, enum pol_side side, struct pol_action *a)
{
	/* every kind's key, then every kind's mods: one mapping, checked once */
	const char *keys[NROWS + 16];
	size_t nk = 0, nkinds = NROWS;
	for (size_t i = 0; i < NROWS; i++)
		keys[nk++] = table[i].name;
	for (size_t i = 0; i < NROWS; i++)
		for (size_t j = 0; table[i].mods && table[i].mods[j]; j++)
			keys[nk++] = table[i].mods[j];
	yaml_node_t *v[NROWS + 16], *k[NROWS + 16];
	const char *what = side == POL_GUEST ? "a guest action" : "a host action";

	memset(a, 0, sizeof *a);
	a->side = side;
	a->line = (int)an->start_mark.line + 1;
	a->col = (int)an->start_mark.column + 1;
	if (pol_ld_map(ld, an, what, keys, nk, v, k))
		return;
	int kind = -1;
	for (size_t i = 0; i < nkinds; i++) {
		if (!v[i])
			continue;
		if (kind >= 0) {
			pol_ld_err(ld, k[i], "'%s' and '%s' in one action: an action does one thing",
				   table[kind].name, table[i].name);
			continue;
		}
		kind = (int)i;
	}
	if (kind < 0) {
		char list[160] = "";
		for (size_t i = 0; i < nkinds; i++) {
			size_t l = strlen(list);
			snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", table[i].name);
		}
		pol_ld_err(ld, an, "an action needs one of %s", list);
		return;
	}
	const struct act_def *d = &table[kind];
	a->act = d;
	/* mods of other kinds (or of none) do not belong here */
	yaml_node_t *mv[16] = { 0 }, *mk[16] = { 0 };
	for (size_t i = nkinds; i < nk; i++) {
		if (!v[i])
			continue;
		size_t j = 0;
		while (d->mods && d->mods[j] && strcmp(d->mods[j], keys[i]))
			j++;
		if (d->mods && d->mods[j]) {
			mv[j] = v[i];
			mk[j] = k[i];
		} else {
			pol_ld_err(ld, k[i], "'%s' only goes with 'sysctl'", keys[i]);
		}
	}
	if (!runs_on(d, side) && runs_on(d, side == POL_GUEST ? POL_HOST : POL_GUEST))
		pol_ld_err(ld, k[kind], "'%s' is a %s action", d->name,
			   side == POL_GUEST ? "host" : "guest");
	if (d->parse)
		d->parse(ld, an, v[kind], mv, mk, a);
	else
		pol_ld_word(ld, v[kind], d->name, d->words, a->key, sizeof a->key);
}

/* ---- a guest action from a wire request ---- */

struct spec_err {
	char *why;
	size_t n;
};

static void spec_bad(void *arg, enum act_field f, const char *msg)
{
	static const char *const fields[] = { "key", "op", "value", "min", "max" };
	struct spec_err *e = arg;
	size_t l = strlen(e->why);
	snprintf(e->why + l, e->n - l, "%s%s: %s", l ? "; " : "", fields[f], msg);
}

int act_from_spec(const char *kind, const struct act_spec *s, struct pol_action *a,
		  char *why, size_t n)
{
	const struct act_def *d = act_by_name(kind);
	struct spec_err e = { why, n };
	why[0] = '\0';
	memset(a, 0, sizeof *a);
	a->side = POL_GUEST;
	if (!d || d->run[POL_GUEST][ACT_HOSTD] != ACT_WIRE) {
		snprintf(why, n, "'%s' is not an action a guest carries out", kind ? kind : "");
		return -EPERM;
	}
	a->act = d;
	if (s->target && *s->target) {
		snprintf(why, n, "%s takes no target", d->name);
		return -EINVAL;
	}
	if (d->build)
		return d->build(s, a, spec_bad, &e);
	for (size_t i = 0; s->key && d->words[i]; i++)
		if (!strcmp(s->key, d->words[i])) {
			snprintf(a->key, sizeof a->key, "%s", s->key);
			return 0;
		}
	snprintf(why, n, "%s: key '%.40s' is not one of its values", d->name, s->key ? s->key : "");
	return -EINVAL;
}

void act_to_spec(const struct pol_action *a, struct act_spec_buf *b)
{
	const struct act_def *d = a->act;
	memset(b, 0, sizeof *b);
	b->s.key = a->key;
	b->s.target = "";
	if (d && d->to_spec)
		d->to_spec(a, b);
}

void act_describe(const struct pol_action *a, char *buf, size_t n)
{
	struct act_spec_buf b;
	act_to_spec(a, &b);
	snprintf(buf, n, "%s%s%s%s%s%s%s", b.s.op ? b.s.op : a->key, b.s.value ? " " : "",
		 b.s.value ? b.s.value : "", b.s.min ? ", min " : "", b.s.min ? b.s.min : "",
		 b.s.max ? ", max " : "", b.s.max ? b.s.max : "");
}

/* ---- planning ---- */

int act_plan(const struct act_plan_in *in, struct pol_plan *out)
{
	const struct act_def *d = in->a->act;
	if (!d || !d->plan)
		return pol_plan_note(out, in->rule, in->a, in->why, NULL,
				     "action of an unknown kind, not planned");
	return d->plan(in, out);
}

/* ---- knob kinds ---- */

void act_register_knobs(void)
{
	for (size_t i = 0; i < NROWS; i++)
		for (size_t j = 0; table[i].knobs && table[i].knobs[j]; j++)
			if (!knob_find_real(table[i].knobs[j]->kind))
				knob_register(table[i].knobs[j], NULL);
}

const char *const *act_privileged_kinds(void)
{
	static const char *kinds[NROWS * 4 + 1];
	static int done;
	if (!done) {
		size_t n = 0;
		for (size_t i = 0; i < NROWS; i++) {
			for (size_t j = 0; table[i].knobs && table[i].knobs[j]; j++) {
				const char *k = table[i].knobs[j]->kind;
				size_t m = 0;
				while (m < n && strcmp(kinds[m], k))
					m++;
				if (m == n && n < NROWS * 4)
					kinds[n++] = k;
			}
		}
		kinds[n] = NULL;
		done = 1;
	}
	return kinds;
}
