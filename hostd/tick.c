/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tick: vtune-hostd's timer and step: every tick the guests' channels and
 * the journal, every interval each guest with a recent report evaluated
 * (host view, engine, verdicts) and its plan carried out (plan_exec.c). */
#include "hostd_int.h"
#include "host_view.h"
#include "knob.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "vclock.h"
#include "verdict.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- knobs' current values ---- */

/* "on" while netfilter runs for the guest's bridge (key "bridge": the
 * namespace sysctl or the bridge's own option) or any of the namespace's
 * sysctls is on (key "namespace"). */
static int bridge_nf_current(struct cur_ctx *c, const char *key, char *buf, size_t n)
{
	struct hostnet_brnf_ns *s = calloc(1, sizeof *s);
	int r = s ? hostnet_brnf_ns_read(c->h->o.root, c->g->bk.netns, s) : -ENOMEM;
	if (!r)
		snprintf(buf, n, "%s", hostnet_brnf_effective(s, strcmp(key, "namespace") ?
							c->g->bk.bridge : "") ? "on" : "off");
	free(s);
	return r ? -ENOENT : 0;
}

int hostd_current_knob(void *arg, enum pol_side side, const char *kind, const char *key,
		       char *buf, size_t n)
{
	struct cur_ctx *c = arg;
	if (side == POL_GUEST) {
		if (!strcmp(kind, "sysctl") && guest_sysctl_value(c->g, key, buf, n) == 0)
			return 0;
		return hostd_guest_plans(c->g, kind) ? -EREMOTE : -ENOENT;
	}
	if (!strcmp(kind, "bridge_nf"))
		return bridge_nf_current(c, key, buf, n);
	if (strcmp(kind, "sysctl"))
		return -ENOENT;
	return knob_read(knob_find("sysctl"), c->h->o.root, "", key, buf, n);
}

/* ---- the step ---- */

/* The engine held g's host rules: its report claims what the host does
 * not see. Said when it starts, then at most once a minute. */
static void implausible_said(struct guest *g, const struct pol_engine *e, uint64_t now)
{
	uint64_t count = 0;
	const char *why = "";
	int ok = pol_engine_plausibility(e, g->bk.name, &count, &why);
	if (ok != 0) {
		g->implausible_logged = 0;
		return;
	}
	if (g->implausible_logged && now - g->implausible_log_ns < GUEST_LOG_EVERY_NS)
		return;
	g->implausible_logged = 1;
	g->implausible_log_ns = now;
	log_warn("guest %s: implausible report (%llu so far), its host rules held: %s", g->bk.name,
		 (unsigned long long)count, why);
}

/* verdict_ctx.begin: the verdict's text goes with the guest's reverts. */
static void verdict_begin(void *arg, const struct pol_verdict *v)
{
	struct cur_ctx *c = arg;
	c->h->revert_why = v->text;
}

/* verdict_ctx.done: counted for Prometheus. */
static void verdict_done(void *arg, const struct pol_verdict *v, int not_restored)
{
	struct cur_ctx *c = arg;
	(void)not_restored;
	c->h->revert_why = NULL;
	if (v->revert)
		mh_count_rollback(c->h->mhc, c->g->bk.name, v->rule, v->reason);
}

static void step_guest(struct hostd *h, struct guest *g, uint64_t now)
{
	if (guest_report_age_ns(g, now) > HOSTD_REPORT_MAX_AGE * h->interval_ns)
		return;
	mvec_clear(&g->hm);
	/* the host view: the rows that need no hypervisor, then the backend's */
	struct host_view_guest hg = { g->bk.name, g->bk.domid, g->bk.tap, g->bk.bridge,
				      g->bk.netns };
	if (h->hv)
		host_view_guest(h->hv, &g->hn, h->o.root, h->journal, &hg, now, h->interval_ns,
				&g->hm);
	if (h->bk && h->ops->host_view) {
		int r = h->ops->host_view(h->bk, &g->bk, now, &g->hm);
		if (r < 0)
			log_debug("guest %s: host view: %s", g->bk.name, strerror(-r));
	}
	g->have_host = 1;
	hist_record(h->hist, g->bk.name, vclock_wall_ns(), &g->gm, &g->hm);
	if (h->tuning.off)
		return; /* `vtune off`: seen and kept for `vtune report`, never acted on */
	struct cur_ctx cc = { h, g };
	pol_plan_clear(&h->plan);
	int r = pol_engine_step(h->engine, g->bk.name, now, &g->gm, &g->hm, hostd_current_knob, &cc,
				&h->plan);
	if (r < 0) {
		log_warn("guest %s: engine: %s", g->bk.name, strerror(-r));
		return;
	}
	implausible_said(g, h->engine, now);
	/* changes whose window is over: kept, or undone on both sides (guest
	 * records by number through its agent) and the rule quarantined */
	struct verdict_ctx vc = {
		.journal = h->o.dry_run ? NULL : h->journal, .root = h->o.root,
		.remote = hostd_revert_remote, .remote_arg = h, .begin = verdict_begin,
		.done = verdict_done, .arg = &cc,
	};
	if (verdict_carry_out(h->engine, g->bk.name, &vc) < 0)
		mh_count_journal_error(h->mhc);
	for (size_t i = 0; i < h->plan.n; i++) { /* one firing per rule with changes */
		size_t k = 0;
		while (k < i && strcmp(h->plan.v[k].rule, h->plan.v[i].rule))
			k++;
		if (k == i)
			mh_count_firing(h->mhc, g->bk.name, h->plan.v[i].rule);
	}
	size_t from = h->journal ? journal_count(h->journal) : 0;
	if (h->plan.n)
		hostd_act_on_plan(h, g, &h->plan);
	/* what each firing changed, on both sides, is watched over its window */
	if (h->plan.n && !h->o.dry_run &&
	    verdict_tell_records(h->engine, g->bk.name, &h->plan, h->journal, from,
				 g->bk.name) < 0)
		log_warn("guest %s: out of memory: this step's changes are not verified", g->bk.name);
}

void hostd_step(struct hostd *h, uint64_t now_ns)
{
	/* group commit: one journal sync for every guest's intents, not one each */
	journal_batch_begin(h->journal);
	for (size_t i = 0; i < h->nguests; i++)
		step_guest(h, h->guests[i], now_ns);
	hostd_send_held(h);
}

void hostd_tick(void *arg)
{
	struct hostd *h = arg;
	uint64_t now = vclock_mono_ns();
	/* systemd's watchdog: ping at half its period */
	if (h->wd_usec && now >= h->wd_next_ns) {
		notify_watchdog();
		h->wd_next_ns = now + h->wd_usec * 500;
	}
	for (size_t i = 0; i < h->nguests; i++)
		guest_tick(h->guests[i], now);
	journal_sync(h->journal); /* the acks' marks of the last tick, in one sync */
	journal_maintain(h->journal); /* closed history compacted away when large */
	if (now >= h->next_step_ns) {
		hostd_step(h, now);
		h->next_step_ns += h->interval_ns;
		if (h->next_step_ns <= now)
			h->next_step_ns = now + h->interval_ns;
	}
	uint64_t next = now + HOSTD_TICK_NS;
	if (h->next_step_ns < next)
		next = h->next_step_ns;
	if (loop_timer_add(h->loop, next, hostd_tick, h) < 0)
		log_err("no memory for the timer");
}

