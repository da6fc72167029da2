/* apply: local changes of a plan through the journal. */
#include "apply.h"
#include "knob.h"
#include "log.h"
#include "rps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* RFS: the global flow table and its share per receive queue. */
#define RFS_FLOW_ENTRIES "32768"
#define RFS_FLOW_ENTRIES_N 32768

void apply_init(void)
{
	if (!knob_find("rps"))
		knob_register(&knob_rps_ops, NULL);
}

static void say(const struct apply_ctx *c, int level, const char *line, const char *why)
{
	if (why && *why)
		log_msg(level, "%s; because %s", line, why);
	else
		log_msg(level, "%s", line);
	if (c->out) {
		fprintf(c->out, "%s\n", line);
		fflush(c->out);
	}
}

/* One knob: skip it if the administrator changed it since vtune set it,
 * else journal and apply. Returns 1 changed, 0 not, -errno journal error. */
static int one(const struct apply_ctx *c, const struct pol_change *ch, const char *kind,
	       const char *target, const char *key, const char *value)
{
	char now[KNOB_VALUE_MAX], msg[768];
	const char *side = pol_side_name(ch->side);
	if (c->journal &&
	    journal_managed_changed(c->journal, c->root, side, kind, target, key, now,
				    sizeof now) == 1) {
		snprintf(msg, sizeof msg,
			 "%s %s%s%s changed by someone else (now %s): no longer managed, not touched (rule %s)",
			 kind, target, *target ? " " : "", key, now, ch->rule);
		say(c, LOG_WARNING, msg, NULL);
		if (c->engine)
			pol_engine_admin_changed(c->engine, c->subject, key);
		return 0;
	}
	struct jrec rec = {
		.side = side, .domain = "", .kind = kind, .target = target, .key = key,
		.new = value, .rule = ch->rule, .why = ch->why,
	};
	if (!c->journal && !c->dry_run)
		return -EINVAL;
	int r = journal_apply(c->journal, c->root, &rec, c->dry_run, msg, sizeof msg);
	if (r == JOURNAL_UNCHANGED)
		return 0;
	if (r == 0) {
		/* journal_apply has logged the change with its why already */
		if (c->out) {
			fprintf(c->out, "%s\n", msg);
			fflush(c->out);
		}
		return 1;
	}
	if (r == -ENOENT && !c->dry_run && knob_find(kind)) {
		/* e.g. a global-only sysctl seen from a network namespace, or a
		 * knob this kernel lacks: nothing to change, not a failure */
		say(c, LOG_INFO, msg, NULL);
		return 0;
	}
	say(c, LOG_WARNING, msg, NULL);
	if (c->failed)
		(*c->failed)++;
	/* A refused or failed knob is not fatal; a journal that cannot be
	 * written is: nothing may change without its record. */
	return r == -EIO || r == -ENOSPC || r == -EROFS ? r : 0;
}

struct rps_ctx {
	const struct apply_ctx *c;
	const struct pol_change *ch;
	char mask[320];
	char flow_cnt[16];
	int changed, err;
};

static int rps_queue(const char *target, void *arg)
{
	struct rps_ctx *x = arg;
	int r = one(x->c, x->ch, "rps", target, "rps_cpus", x->mask);
	if (r > 0)
		x->changed++;
	if (r >= 0) {
		r = one(x->c, x->ch, "rps", target, "rps_flow_cnt", x->flow_cnt);
		if (r > 0)
			x->changed++;
	}
	if (r < 0)
		x->err = r;
	return r < 0 ? r : 0;
}

static int count_queue(const char *target, void *arg)
{
	(void)target;
	(*(int *)arg)++;
	return 0;
}

/* rps: all: every CPU on every receive queue, plus RFS flow tables. */
static int apply_rps(const struct apply_ctx *c, const struct pol_change *ch)
{
	struct rps_ctx x = { .c = c, .ch = ch };
	int ncpu = rps_online_cpus(c->root), nq = 0;
	if (ncpu < 2) {
		say(c, LOG_INFO, "rps: fewer than 2 CPUs online, nothing to spread", NULL);
		return 0;
	}
	rps_each_queue(c->root, count_queue, &nq);
	if (!nq)
		return 0;
	rps_all_mask(ncpu, x.mask, sizeof x.mask);
	snprintf(x.flow_cnt, sizeof x.flow_cnt, "%d", RFS_FLOW_ENTRIES_N / nq);
	int r = one(c, ch, "sysctl", "", "net.core.rps_sock_flow_entries", RFS_FLOW_ENTRIES);
	if (r < 0)
		return r;
	x.changed = r;
	rps_each_queue(c->root, rps_queue, &x);
	return x.err ? x.err : x.changed;
}

int apply_plan(const struct apply_ctx *c, const struct pol_plan *plan,
	       enum pol_side side, int *skipped)
{
	int changed = 0, skip = 0;
	apply_init();
	for (size_t i = 0; i < plan->n; i++) {
		const struct pol_change *ch = &plan->v[i];
		int r = 0;
		if (ch->side != side)
			continue;
		if (!strcmp(ch->kind, "note")) {
			char line[512];
			snprintf(line, sizeof line, "rule %s: %s", ch->rule, ch->note);
			say(c, LOG_NOTICE, line, ch->why);
		} else if (!strcmp(ch->kind, "sysctl")) {
			r = one(c, ch, "sysctl", "", ch->key, ch->new);
		} else if (!strcmp(ch->kind, "rps")) {
			r = apply_rps(c, ch);
		} else {
			skip++;
		}
		if (r < 0) {
			if (skipped)
				*skipped = skip;
			return r;
		}
		changed += r;
	}
	if (skipped)
		*skipped = skip;
	return changed;
}
