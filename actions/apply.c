/* SPDX-License-Identifier: GPL-2.0-or-later */
/* apply: the journaled change helper and plans carried out through the
 * action table. */
#include "apply.h"
#include "knob.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void apply_init(void)
{
	act_register_knobs();
}

const char *apply_root(const struct apply_ctx *c)
{
	return c->root ? c->root : "/";
}

void apply_say_why(const struct apply_ctx *c, int level, const char *line, const char *why)
{
	const char *g = c->guest && *c->guest ? c->guest : NULL;
	if (why && *why)
		log_msg(level, "%s%s%s%s; because %s", g ? "guest " : "", g ? g : "", g ? ": " : "",
			line, why);
	else
		log_msg(level, "%s%s%s%s", g ? "guest " : "", g ? g : "", g ? ": " : "", line);
	if (c->out) {
		fprintf(c->out, "%s\n", line);
		fflush(c->out);
	}
}

void apply_say(const struct apply_ctx *c, int level, const char *line)
{
	apply_say_why(c, level, line, NULL);
}

static void count(const struct apply_ctx *c, const char *outcome)
{
	if (c->count)
		c->count(c->count_arg, outcome);
}

static int is_guest(const struct apply_ctx *c)
{
	return c->guest && *c->guest;
}

int apply_knob(const struct apply_ctx *c, const struct pol_change *ch, const char *kind,
	       const char *target, const char *key, const char *value)
{
	char now[KNOB_VALUE_MAX], msg[768], ident[POL_KEY_MAX + 24];
	const char *side = pol_side_name(ch->side);
	const char *for_guest = is_guest(c) ? c->guest : "";
	if (c->journal &&
	    journal_managed_changed(c->journal, apply_root(c), side, kind, target, key, now,
				    sizeof now) == 1) {
		snprintf(msg, sizeof msg,
			 "%s %s%s%s changed by someone else (now %s): left alone, no longer managed (rule %s)",
			 kind, *target ? target : "", *target ? " " : "", key, now, ch->rule);
		apply_say(c, LOG_WARNING, msg);
		count(c, "left_alone");
		if (c->engine && ch->act) {
			act_ident(ch->act->act, ch->act->key, ident, sizeof ident);
			pol_engine_admin_changed(c->engine, c->subject, ident, now);
		}
		return 0;
	}
	struct jrec rec = {
		.side = side, .domain = "", .kind = kind, .target = target, .key = key,
		.new = value, .rule = ch->rule, .why = c->why_prefix ? c->why_prefix : ch->why,
		.guest = for_guest, .host_ref = c->host_ref,
	};
	if (!c->journal && !c->dry_run)
		return -EINVAL;
	int r = journal_apply(c->journal, apply_root(c), &rec, c->dry_run, msg, sizeof msg);
	if (r == JOURNAL_UNCHANGED) {
		count(c, "unchanged");
		return 0;
	}
	if (r == 0) {
		/* journal_apply has logged the change with its why already */
		count(c, c->dry_run ? "dry_run" : "applied");
		if (c->out) {
			fprintf(c->out, "%s\n", msg);
			fflush(c->out);
		}
		return 1;
	}
	if (r == -ENOENT && !c->dry_run && knob_find(kind)) {
		/* e.g. a global-only sysctl seen from a network namespace, or a
		 * knob this kernel lacks: nothing to change, not a failure */
		apply_say(c, LOG_INFO, msg);
		count(c, "unchanged");
		return 0;
	}
	apply_say(c, LOG_WARNING, msg);
	count(c, "failed");
	if (c->failed)
		(*c->failed)++;
	/* A refused or failed knob is not fatal; a journal that cannot be
	 * written is: nothing may change without its record. */
	return r == -EIO || r == -ENOSPC || r == -EROFS ? r : 0;
}

struct expand_ctx {
	const struct act_ctx *c;
	const struct pol_change *ch;
	int changed, err;
};

static int expand_one(void *arg, const char *kind, const char *target, const char *key,
		      const char *value)
{
	struct expand_ctx *x = arg;
	int r = apply_knob(x->c->ac, x->ch, kind, target, key, value);
	if (r < 0)
		return x->err = r;
	x->changed += r;
	return 0;
}

int apply_expand(const struct act_ctx *c, const struct pol_change *ch, apply_expand_fn plan)
{
	struct expand_ctx x = { c, ch, 0, 0 };
	char why[256] = "", line[512];
	int r = plan(c, ch, expand_one, &x, why, sizeof why);
	if (x.err)
		return x.err;
	if (r < 0) {
		snprintf(line, sizeof line, "%s %s: %s (rule %s)", ch->kind, ch->key,
			 why[0] ? why : strerror(-r), ch->rule);
		apply_say(c->ac, LOG_WARNING, line);
		count(c->ac, "failed");
		if (c->ac->failed)
			(*c->ac->failed)++;
		return 0;
	}
	return x.changed;
}

/* ACT_ADVICE: a host change (or a host note) the guest cannot act on. */
static int advise(const struct act_ctx *c, const struct pol_change *ch)
{
	char line[768];
	if (!strcmp(ch->kind, "note"))
		snprintf(line, sizeof line, "rule %s: the fix is outside this VM: ask your provider: %s",
			 ch->rule, ch->note);
	else
		snprintf(line, sizeof line,
			 "rule %s: the fix is outside this VM: ask your provider for host %s %s%s%s",
			 ch->rule, ch->kind, ch->key,
			 ch->new[0] && strcmp(ch->new, ch->key) ? " " : "",
			 ch->new[0] && strcmp(ch->new, ch->key) ? ch->new : "");
	apply_say_why(c->ac, LOG_NOTICE, line, ch->why);
	return 0;
}

int apply_change(const struct act_ctx *c, const struct pol_change *ch, enum act_mode mode)
{
	const struct act_def *d = act_by_name(ch->kind);
	if (!d)
		return -EINVAL;
	apply_init();
	switch (act_run_of(d, ch->side, mode)) {
	case ACT_LOCAL:
		return d->exec ? d->exec(c, ch) : -EINVAL;
	case ACT_ADVICE:
		return advise(c, ch);
	default:
		return -EINVAL;
	}
}

int apply_plan(const struct apply_ctx *c, const struct act_host *host,
	       const struct pol_plan *plan, enum pol_side side, enum act_mode mode)
{
	struct act_ctx x = { c, host };
	int changed = 0;
	apply_init();
	for (size_t i = 0; i < plan->n; i++) {
		const struct pol_change *ch = &plan->v[i];
		if (ch->side != side)
			continue;
		int r = apply_change(&x, ch, mode);
		if (r < 0 && r != -EINVAL)
			return r;
		if (r == -EINVAL) {
			char line[256];
			snprintf(line, sizeof line, "rule %s: %s %s cannot run here (%s)", ch->rule,
				 ch->kind, ch->key, act_mode_name(mode));
			apply_say(c, LOG_ERR, line);
			continue;
		}
		changed += r;
	}
	return changed;
}
