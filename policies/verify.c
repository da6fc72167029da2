/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verify: effect verification — after a rule's change, watch its window of
 * samples and judge it against the samples before: kept when the symptom
 * improved and no guard fell, else a verdict to revert it and a quarantine
 * for the rule on that subject (see engine.h). */
#include "engine_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "strmap.h"
#include "vec.h"

struct vf_trial {
	int pending;		/* fired, records not told yet */
	unsigned seen;		/* samples since the firing */
	unsigned held, judged;	/* window samples: improve held / could be told */
	int64_t *seq;
	size_t nseq;
	unsigned nb[VF_MAX_M], na[VF_MAX_M];
	double before[VF_MAX_M][POL_WINDOW_MAX];
	double after[VF_MAX_M][POL_WINDOW_MAX];
};

static int is_host(int id)
{
	return !strncmp(metric_defs[id].name, "host.", 5);
}

static double value_of(int id, const struct mvec *g, const struct mvec *h)
{
	const struct mvec *m = is_host(id) ? h : g;
	double v = m ? mvec_get(m, id) : NAN;
	return isfinite(v) ? v : NAN;
}

/* ---- set-up ---- */

static int watch_slot(struct pol_engine *e, int id)
{
	for (int i = 0; i < e->nwatch; i++)
		if (e->watch[i] == id)
			return i;
	if (e->nwatch == (int)(sizeof e->watch / sizeof e->watch[0]))
		return -1;
	e->watch[e->nwatch] = id;
	return e->nwatch++;
}

static void add_metric(struct pol_engine *e, struct vf_rule *v, int id, int dir, int guard)
{
	for (int k = 0; k < v->n; k++)
		if (v->ids[k] == id && v->guard[k] == guard)
			return;
	int slot = watch_slot(e, id);
	if (v->n == VF_MAX_M || slot < 0)
		return;
	v->ids[v->n] = id;
	v->dirs[v->n] = dir;
	v->guard[v->n] = guard;
	v->slot[v->n++] = slot;
}

int vf_engine_init(struct pol_engine *e)
{
	size_t n = e->set->n_rules;
	e->vf = calloc(n + 1, sizeof *e->vf);
	if (!e->vf)
		return -ENOMEM;
	e->vf_depth = 1;
	for (size_t i = 0; i < n; i++) {
		const struct pol_rule *r = &e->set->rules[i];
		struct vf_rule *v = &e->vf[i];
		int ids[VF_MAX_M], dirs[VF_MAX_M];
		if (!r->verify.improve_none) {
			v->improve = r->verify.improve ? r->verify.improve
				   : r->clear ? r->clear : r->when;
			v->improve_not = !r->verify.improve && !r->clear;
		}
		int ng = v->improve ? expr_goals(v->improve, ids, dirs, VF_MAX_M / 2) : 0;
		for (int k = 0; k < ng && k < VF_MAX_M / 2; k++)
			add_metric(e, v, ids[k], v->improve_not ? -dirs[k] : dirs[k], 0);
		add_metric(e, v, M_GUEST_TCP_PASSIVE_OPENS, 1, 1);
		for (size_t k = 0; k < r->verify.n_guards; k++)
			add_metric(e, v, r->verify.guards[k], 1, 1);
		unsigned w = r->verify.window ? r->verify.window : POL_WINDOW_DEFAULT;
		if (w > e->vf_depth)
			e->vf_depth = w;
	}
	if (e->vf_depth > POL_WINDOW_MAX)
		e->vf_depth = POL_WINDOW_MAX;
	return 0;
}

void vf_engine_free(struct pol_engine *e)
{
	free(e->vf);
	e->vf = NULL;
}

static void trial_free(struct vf_trial *t)
{
	if (t)
		free(t->seq);
	free(t);
}

int vf_subject_init(const struct pol_engine *e, struct subject *s)
{
	size_t n = e->set->n_rules, cells = (size_t)e->vf_depth * (size_t)(e->nwatch ? e->nwatch : 1);
	s->ring = malloc(cells * sizeof *s->ring);
	s->trials = calloc(n + 1, sizeof *s->trials);
	s->last = calloc(n + 1, sizeof *s->last);
	if (!s->ring || !s->trials || !s->last)
		return -ENOMEM;
	for (size_t i = 0; i < cells; i++)
		s->ring[i] = NAN;
	return 0;
}

void vf_subject_free(const struct pol_engine *e, struct subject *s)
{
	for (size_t i = 0; s->trials && i < e->set->n_rules; i++)
		trial_free(s->trials[i]);
	for (size_t i = 0; s->last && i < e->set->n_rules; i++)
		free(s->last[i].text);
	for (size_t i = 0; i < s->n_verdicts; i++)
		pol_verdict_free(&s->verdicts[i]);
	free(s->verdicts);
	free(s->trials);
	free(s->last);
	free(s->ring);
}

int vf_open(const struct subject *s, size_t i)
{
	return s->trials && s->trials[i] != NULL;
}

/* ---- figures ---- */

static double mean(const double *v, unsigned n)
{
	double sum = 0;
	for (unsigned i = 0; i < n; i++)
		sum += v[i];
	return n ? sum / n : NAN;
}

static double min_of(const double *v, unsigned n)
{
	double m = INFINITY;
	for (unsigned i = 0; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static double median(const double *v, unsigned n)
{
	double s[POL_WINDOW_MAX];
	memcpy(s, v, n * sizeof *s);
	for (unsigned i = 1; i < n; i++) /* insertion sort: n <= 20 */
		for (unsigned j = i; j > 0 && s[j - 1] > s[j]; j--) {
			double t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* A figure for people: "21,363", "7.6", "85". */
static void num(double v, char *b, size_t n)
{
	double a = fabs(v);
	if (!isfinite(v)) {
		snprintf(b, n, "?");
	} else if (a >= 1000) {
		char digits[32], *o = b;
		long long x = llround(a);
		int len = snprintf(digits, sizeof digits, "%lld", x);
		size_t left = n;
		if (v < 0 && left > 1) {
			*o++ = '-';
			left--;
		}
		for (int i = 0; i < len && left > 1; i++) {
			*o++ = digits[i];
			left--;
			if ((len - i - 1) % 3 == 0 && i < len - 1 && left > 1) {
				*o++ = ',';
				left--;
			}
		}
		*o = '\0';
	} else if (a >= 10 || v == floor(v)) {
		snprintf(b, n, "%.0f", v);
	} else {
		snprintf(b, n, "%.2g", v);
	}
}

static const char *unit_of(int id)
{
	switch (metric_defs[id].unit) {
	case MU_RATE: return "/s";
	case MU_PCT: return " %";
	case MU_SECONDS: return " s";
	default: return "";
	}
}

/* "accepts 21,363 → 18,589/s" or "guest.netrx.imbalance 7.6 → 1.2" */
static size_t figure(char *b, size_t n, int id, double before, double after)
{
	char x[32], y[32];
	num(before, x, sizeof x);
	num(after, y, sizeof y);
	int w = snprintf(b, n, "%s %s → %s%s",
			 id == M_GUEST_TCP_PASSIVE_OPENS ? "accepts" : metric_defs[id].name, x, y,
			 unit_of(id));
	return w < 0 ? 0 : (size_t)w >= n ? n - 1 : (size_t)w;
}

/* ---- judging ---- */

struct judged {
	int revert;
	const char *reason;
	int fell;		/* index of the guard that fell, or -1 */
};

static struct judged judge(const struct pol_rule *r, const struct vf_rule *v,
			   const struct vf_trial *t)
{
	double bound = r->verify.bound > 0 ? r->verify.bound : POL_BOUND_DEFAULT;
	struct judged j = { 0, "improved", -1 };
	for (int k = 0; k < v->n; k++) {
		if (!v->guard[k] || !t->nb[k] || !t->na[k])
			continue;
		double mb = mean(t->before[k], t->nb[k]), ma = mean(t->after[k], t->na[k]);
		if (mb > 0 && ma < mb * (1 - bound) &&
		    median(t->after[k], t->na[k]) < min_of(t->before[k], t->nb[k])) {
			j.revert = 1;
			j.fell = k;
			j.reason = v->ids[k] == M_GUEST_TCP_PASSIVE_OPENS ? "accept_rate_fell"
									   : "guard_fell";
			return j;
		}
	}
	if (!v->improve) {
		j.reason = "guards_held";
		return j;
	}
	int known = t->judged > 0, better = 0, worse = 0;
	for (int k = 0; k < v->n; k++) {
		if (v->guard[k] || !t->nb[k] || !t->na[k])
			continue;
		known = 1;
		double mb = mean(t->before[k], t->nb[k]), ma = mean(t->after[k], t->na[k]);
		double scale = fabs(mb) > 1e-9 ? fabs(mb) : fabs(ma) > 1e-9 ? fabs(ma) : 1;
		double rel = v->dirs[k] * (ma - mb) / scale;
		if (rel > bound)
			better = 1;
		else if (rel < -bound)
			worse = 1;
	}
	if (!known) {
		j.reason = "no_data";
		return j;
	}
	if (t->judged && t->held * 2 > t->judged) {
		j.reason = "cleared";
		return j;
	}
	if (better && !worse)
		return j;
	j.revert = 1;
	j.reason = "no_effect";
	return j;
}

static const char *reason_words(const char *reason)
{
	static const struct { const char *k, *w; } t[] = {
		{ "improved", "improved" }, { "cleared", "cleared" },
		{ "guards_held", "nothing fell" }, { "no_data", "not verified, no figures" },
		{ "no_effect", "no effect" }, { "accept_rate_fell", "accept rate fell" },
		{ "guard_fell", "fell" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(t[i].k, reason))
			return t[i].w;
	return reason;
}

static void verdict_text(const struct vf_rule *v, const struct vf_trial *t,
			 const struct judged *j, char *b, size_t n)
{
	size_t len = 0;
	int w;
	if (j->fell >= 0 && !strcmp(j->reason, "guard_fell"))
		w = snprintf(b, n, "reverted: %s fell —", metric_defs[v->ids[j->fell]].name);
	else
		w = snprintf(b, n, "%s: %s —", j->revert ? "reverted" : "kept",
			     reason_words(j->reason));
	len = w < 0 ? 0 : (size_t)w;
	/* the guard that fell first, then the goals, then the other guards */
	int first = 1;
	for (int pass = 0; pass < 3; pass++)
		for (int k = 0; k < v->n && len + 1 < n; k++) {
			int want = pass == 0 ? k == j->fell : pass == 1 ? !v->guard[k]
									: v->guard[k] && k != j->fell;
			if (!want || !t->nb[k] || !t->na[k])
				continue;
			len += (size_t)snprintf(b + len, n - len, "%s", first ? " " : ", ");
			if (len + 1 >= n)
				break;
			len += figure(b + len, n - len, v->ids[k], mean(t->before[k], t->nb[k]),
				      mean(t->after[k], t->na[k]));
			first = 0;
		}
	if (first && len + 1 < n)
		snprintf(b + len, n - len, " no figures");
}

static int queue_verdict(struct subject *s, const struct pol_verdict *v)
{
	return VEC_PUSH(s->verdicts, s->n_verdicts, s->cap_verdicts, *v);
}

static int conclude(struct pol_engine *e, struct subject *s, size_t i, uint64_t now)
{
	const struct pol_rule *r = &e->set->rules[i];
	struct vf_trial *t = s->trials[i];
	struct judged j = judge(r, &e->vf[i], t);
	struct pol_verdict v;
	memset(&v, 0, sizeof v);
	snprintf(v.rule, sizeof v.rule, "%s", r->name);
	v.revert = j.revert;
	v.reason = j.reason;
	verdict_text(&e->vf[i], t, &j, v.text, sizeof v.text);
	v.seq = t->seq;
	v.nseq = t->nseq;
	t->seq = NULL;
	if (j.revert) {
		struct rstate *st = &s->rs[i];
		v.until_ns = now + r->verify.quarantine_ns;
		st->quarantine_until = v.until_ns;
		st->active = 0;
		st->when_on = 0;
		st->clear_on = 0;
	}
	struct vf_last *l = &s->last[i];
	free(l->text);
	l->text = strdup(v.text);
	l->reason = v.reason;
	l->reverted = v.revert;
	l->at_ns = now;
	trial_free(t);
	s->trials[i] = NULL;
	if (queue_verdict(s, &v)) {
		pol_verdict_free(&v);
		return -ENOMEM;
	}
	return 0;
}

int vf_sample(struct pol_engine *e, struct subject *s, uint64_t now,
	      const struct mvec *guest, const struct mvec *host)
{
	double *row = s->ring + (size_t)s->ring_head * (size_t)e->nwatch;
	for (int c = 0; c < e->nwatch; c++)
		row[c] = value_of(e->watch[c], guest, host);
	s->ring_head = (s->ring_head + 1) % e->vf_depth;
	if (s->ring_fill < e->vf_depth)
		s->ring_fill++;
	int rc = 0;
	for (size_t i = 0; i < e->set->n_rules; i++) {
		struct vf_trial *t = s->trials[i];
		if (!t)
			continue;
		if (t->pending) { /* the firing's records were never told: nothing changed */
			trial_free(t);
			s->trials[i] = NULL;
			continue;
		}
		/* the first sample after the firing may have been taken while the
		 * change was being made: it counts for neither side */
		if (++t->seen == 1)
			continue;
		const struct pol_rule *r = &e->set->rules[i];
		const struct vf_rule *v = &e->vf[i];
		for (int k = 0; k < v->n; k++) {
			double x = row[v->slot[k]];
			if (!isnan(x) && t->na[k] < POL_WINDOW_MAX)
				t->after[k][t->na[k]++] = x;
		}
		double val;
		if (v->improve && expr_eval(v->improve, guest, host, &val) == 0) {
			t->judged++;
			t->held += v->improve_not ? val == 0 : val != 0;
		}
		unsigned w = r->verify.window ? r->verify.window : POL_WINDOW_DEFAULT;
		if (t->seen - 1 >= w && conclude(e, s, i, now))
			rc = -ENOMEM;
	}
	return rc;
}

int vf_fired(struct pol_engine *e, struct subject *s, size_t i, uint64_t now)
{
	(void)now;
	const struct pol_rule *r = &e->set->rules[i];
	const struct vf_rule *v = &e->vf[i];
	trial_free(s->trials[i]);
	struct vf_trial *t = s->trials[i] = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->pending = 1;
	unsigned w = r->verify.window ? r->verify.window : POL_WINDOW_DEFAULT;
	if (w > s->ring_fill)
		w = s->ring_fill;
	for (unsigned back = 0; back < w; back++) {
		unsigned pos = (s->ring_head + e->vf_depth - 1 - back) % e->vf_depth;
		const double *row = s->ring + (size_t)pos * (size_t)e->nwatch;
		for (int k = 0; k < v->n; k++)
			if (!isnan(row[v->slot[k]]))
				t->before[k][t->nb[k]++] = row[v->slot[k]];
	}
	return 0;
}

/* ---- the engine's API ---- */

static struct subject *subject_of(const struct pol_engine *e, const char *name)
{
	return e && name ? strmap_get(e->by_name, name) : NULL;
}

static long rule_index(const struct pol_engine *e, const char *rule)
{
	for (size_t i = 0; rule && i < e->set->n_rules; i++)
		if (!strcmp(e->set->rules[i].name, rule))
			return (long)i;
	return -1;
}

int pol_engine_records(struct pol_engine *e, const char *subject, const char *rule,
		       const int64_t *seq, size_t n)
{
	struct subject *s = subject_of(e, subject);
	long i = s ? rule_index(e, rule) : -1;
	if (i < 0 || !s->trials[i] || !s->trials[i]->pending)
		return -ENOENT;
	struct vf_trial *t = s->trials[i];
	if (!n) {
		trial_free(t);
		s->trials[i] = NULL;
		return 0;
	}
	t->seq = malloc(n * sizeof *t->seq);
	if (!t->seq) {
		trial_free(t);
		s->trials[i] = NULL;
		return -ENOMEM;
	}
	memcpy(t->seq, seq, n * sizeof *seq);
	t->nseq = n;
	t->pending = 0;
	return 0;
}

int pol_engine_unrecord(struct pol_engine *e, const char *subject, const char *rule,
			int64_t seq)
{
	struct subject *s = subject_of(e, subject);
	long i = s ? rule_index(e, rule) : -1;
	struct vf_trial *t = i >= 0 ? s->trials[i] : NULL;
	if (!t || t->pending)
		return -ENOENT;
	size_t k;
	for (k = 0; k < t->nseq && t->seq[k] != seq; k++)
		;
	if (k == t->nseq)
		return -ENOENT;
	t->seq[k] = t->seq[--t->nseq];
	if (t->nseq)
		return 0;
	trial_free(t);
	s->trials[i] = NULL;
	return 1;
}

int pol_engine_take_verdict(struct pol_engine *e, const char *subject, struct pol_verdict *out)
{
	struct subject *s = subject_of(e, subject);
	if (!s || !s->n_verdicts)
		return 0;
	*out = s->verdicts[0];
	memmove(s->verdicts, s->verdicts + 1, (s->n_verdicts - 1) * sizeof *s->verdicts);
	s->n_verdicts--;
	return 1;
}

void pol_verdict_free(struct pol_verdict *v)
{
	if (!v)
		return;
	free(v->seq);
	v->seq = NULL;
	v->nseq = 0;
}

int pol_engine_last_verdict(const struct pol_engine *e, const char *subject,
			    const char *rule, const char **text, int *reverted,
			    uint64_t *quarantine_until)
{
	struct subject *s = subject_of(e, subject);
	long i = s ? rule_index(e, rule) : -1;
	if (i < 0 || !s->last[i].text)
		return -ENOENT;
	*text = s->last[i].text;
	*reverted = s->last[i].reverted;
	*quarantine_until = s->rs[i].quarantine_until;
	return 0;
}

static void dur(uint64_t ns, char *b, size_t n)
{
	double s = (double)ns / 1e9;
	if (s >= 3600 && fmod(s, 3600) == 0)
		snprintf(b, n, "%.0fh", s / 3600);
	else if (s >= 60 && fmod(s, 60) == 0)
		snprintf(b, n, "%.0fm", s / 60);
	else
		snprintf(b, n, "%gs", s);
}

void pol_verify_describe(const struct pol_rule *r, char *buf, size_t n)
{
	const struct pol_verify *v = &r->verify;
	char q[32], guards[256] = "";
	size_t len = 0;
	dur(v->quarantine_ns, q, sizeof q);
	len += (size_t)snprintf(guards, sizeof guards, "accepts (guest.tcp.passive_opens)");
	for (size_t k = 0; k < v->n_guards && len < sizeof guards; k++)
		len += (size_t)snprintf(guards + len, sizeof guards - len, ", %s",
					metric_defs[v->guards[k]].name);
	unsigned w = v->window ? v->window : POL_WINDOW_DEFAULT;
	double b = (v->bound > 0 ? v->bound : POL_BOUND_DEFAULT) * 100;
	if (v->improve_none)
		snprintf(buf, n, "expect within %u intervals: %s not falling by more than %.0f %% "
			 "(no symptom check: improve: none); else reverted and quarantined %s",
			 w, guards, b, q);
	else
		snprintf(buf, n, "expect within %u intervals: %s%s%s (or its metrics moving that way "
			 "by more than %.0f %%), %s not falling by more than %.0f %%; else reverted "
			 "and quarantined %s", w,
			 v->improve_src ? v->improve_src : r->clear_src ? r->clear_src : "not (",
			 v->improve_src || r->clear_src ? "" : r->when_src,
			 v->improve_src || r->clear_src ? "" : ")", b, guards, b, q);
}
