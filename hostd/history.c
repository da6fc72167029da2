/* SPDX-License-Identifier: GPL-2.0-or-later */
/* history: per-guest ring buffers of key metrics (see history.h). Values
 * are floats (NAN: unknown), times wall ns; one ring per guest, allocated
 * on its first point, freed when the guest goes. */
#include "history.h"
#include "vec.h"
#include "guest.h"
#include "journal.h"
#include "strmap.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS 1000000000.0

static const int series_metric[HS_COUNT] = {
#define X(m) m,
	HIST_SERIES(X)
#undef X
};

struct ring {
	char *name;
	size_t head, n;		/* next slot, points held */
	uint64_t *t;		/* cap wall times */
	float *v;		/* cap x HS_COUNT values */
};

struct hist_store {
	size_t cap;		/* points per guest */
	uint64_t period_ns;	/* least distance between points */
	struct ring *r;
	size_t nr, rcap;
	struct strmap *index; /* guest name -> ring index + 1 */
};

int hist_series_metric(int i)
{
	return i >= 0 && i < HS_COUNT ? series_metric[i] : -1;
}

struct hist_store *hist_store_new(double interval_s, unsigned minutes)
{
	if (!(interval_s > 0) || minutes > 24 * 60)
		return NULL;
	if (!minutes)
		minutes = HIST_DEFAULT_MINUTES;
	struct hist_store *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	if (!(s->index = strmap_new())) {
		free(s);
		return NULL;
	}
	double window = minutes * 60.0, pts = ceil(window / interval_s);
	s->cap = pts > HIST_MAX_POINTS ? HIST_MAX_POINTS : pts < 2 ? 2 : (size_t)pts;
	double period = window / (double)s->cap;
	if (period < interval_s)
		period = interval_s;
	/* tolerate timer jitter: a point a little early still counts */
	s->period_ns = (uint64_t)(period * NS * 0.9);
	return s;
}

static void ring_free(struct ring *r)
{
	free(r->name);
	free(r->t);
	free(r->v);
}

void hist_store_free(struct hist_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr; i++)
		ring_free(&s->r[i]);
	free(s->r);
	strmap_free(s->index);
	free(s);
}

static struct ring *find(const struct hist_store *s, const char *name)
{
	uintptr_t i = (uintptr_t)strmap_get(s->index, name); /* index + 1 */
	return i ? &s->r[i - 1] : NULL;
}

static struct ring *ring_get(struct hist_store *s, const char *name)
{
	struct ring *r = find(s, name);
	if (r)
		return r;
	if (VEC_RESERVE(s->r, s->rcap, s->nr + 1))
		return NULL;
	r = &s->r[s->nr];
	memset(r, 0, sizeof *r);
	r->name = strdup(name);
	r->t = calloc(s->cap, sizeof *r->t);
	r->v = calloc(s->cap * HS_COUNT, sizeof *r->v);
	if (!r->name || !r->t || !r->v ||
	    strmap_put(s->index, r->name, (void *)(uintptr_t)(s->nr + 1))) {
		ring_free(r);
		return NULL;
	}
	s->nr++;
	return r;
}

int hist_record(struct hist_store *s, const char *name, uint64_t t_ns,
		const struct mvec *gm, const struct mvec *hm)
{
	if (!s || !name || !*name)
		return -EINVAL;
	struct ring *r = ring_get(s, name);
	if (!r)
		return -ENOMEM;
	if (r->n) {
		uint64_t last = r->t[(r->head + s->cap - 1) % s->cap];
		if (t_ns < last + s->period_ns)
			return 1;
	}
	float *v = &r->v[r->head * HS_COUNT];
	for (int i = 0; i < HS_COUNT; i++) {
		int id = series_metric[i];
		const struct mvec *m = !strncmp(metric_defs[id].name, "host.", 5) ? hm : gm;
		v[i] = m && mvec_has(m, id) ? (float)mvec_get(m, id) : NAN;
	}
	r->t[r->head] = t_ns;
	r->head = (r->head + 1) % s->cap;
	if (r->n < s->cap)
		r->n++;
	return 0;
}

void hist_forget(struct hist_store *s, const char *name)
{
	struct ring *r = s && name ? find(s, name) : NULL;
	if (!r)
		return;
	strmap_del(s->index, r->name);
	ring_free(r);
	*r = s->r[--s->nr];
	if (r != &s->r[s->nr])
		strmap_put(s->index, r->name, (void *)(uintptr_t)(r - s->r + 1)); /* replaces: no memory */
}

size_t hist_points(const struct hist_store *s, const char *name)
{
	const struct ring *r = s && name ? find(s, name) : NULL;
	return r ? r->n : 0;
}

/* A number with a short text form (json-c would print 17 digits): times
 * with 3 decimals (prec 0), values with 6 significant digits. */
static json_object *num(double v, int prec)
{
	char b[32];
	if (prec)
		snprintf(b, sizeof b, "%.6g", v);
	else
		snprintf(b, sizeof b, "%.3f", v);
	return json_object_new_double_s(v, b);
}

json_object *hist_json(const struct hist_store *s, const char *name, uint64_t since_ns)
{
	json_object *o = json_object_new_object(), *t = json_object_new_array(),
		    *ser = json_object_new_object(), *a[HS_COUNT];
	const struct ring *r = s && name ? find(s, name) : NULL;
	if (!o || !t || !ser) {
		json_object_put(o);
		json_object_put(t);
		json_object_put(ser);
		return NULL;
	}
	json_object_object_add(o, "period_s", num(s ? s->period_ns / 0.9 / NS : 0, 0));
	json_object_object_add(o, "t", t);
	json_object_object_add(o, "series", ser);
	for (int i = 0; i < HS_COUNT; i++) {
		a[i] = json_object_new_array();
		json_object_object_add(ser, metric_defs[series_metric[i]].name, a[i]);
	}
	for (size_t k = 0; r && k < r->n; k++) {
		size_t slot = (r->head + s->cap - r->n + k) % s->cap;
		if (r->t[slot] < since_ns)
			continue;
		json_object_array_add(t, num(r->t[slot] / NS, 0));
		for (int i = 0; i < HS_COUNT; i++) {
			float v = r->v[slot * HS_COUNT + i];
			json_object_array_add(a[i], isnan(v) ? NULL : num(v, 1));
		}
	}
	return o;
}

/* ---- {"cmd":"report"} ---- */

static json_object *get(json_object *o, const char *k)
{
	json_object *v;
	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

/* The busiest CPU of the guest's latest sample: {"cpu","busy","softirq"}. */
static json_object *hot_cpu(json_object *sample)
{
	json_object *pc = get(get(sample, "cpu"), "per_cpu"), *best = NULL;
	double bb = -1;
	size_t n = pc && json_object_is_type(pc, json_type_array) ? json_object_array_length(pc) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(pc, i), *b = get(c, "busy");
		if (b && json_object_get_double(b) > bb) {
			bb = json_object_get_double(b);
			best = c;
		}
	}
	if (!best)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "cpu", json_object_get(get(best, "cpu")));
	json_object_object_add(o, "busy", json_object_get(get(best, "busy")));
	json_object_object_add(o, "softirq", json_object_get(get(best, "softirq")));
	return o;
}

static json_object *change_rec_json(const struct journal *j, const struct jrec *r)
{
	json_object *o = json_object_new_object();
	const char *st = journal_state(j, r->seq);
	json_object_object_add(o, "time_s", num((double)r->time_ns / NS, 0));
	json_object_object_add(o, "seq", json_object_new_int64(r->seq));
	json_object_object_add(o, "side", json_object_new_string(r->side));
	json_object_object_add(o, "kind", json_object_new_string(r->kind));
	json_object_object_add(o, "target", json_object_new_string(r->target));
	json_object_object_add(o, "key", json_object_new_string(r->key));
	/* as they stand: a guest's agent reports the values it found */
	const char *old = r->old, *new = r->new;
	journal_values(j, r->seq, &old, &new);
	json_object_object_add(o, "old", json_object_new_string(old));
	json_object_object_add(o, "new", json_object_new_string(new));
	json_object_object_add(o, "rule", json_object_new_string(r->rule));
	json_object_object_add(o, "why", json_object_new_string(r->why));
	json_object_object_add(o, "state", json_object_new_string(st ? st : "set"));
	return o;
}

/* Is journal record r about guest g: made for it (sent to it, or a host
 * change its report drove), or from journals older than that field, a host
 * change on its tap or bridge? */
static int rec_is_for(const struct jrec *r, const struct guest *g)
{
	if (strcmp(r->op, "set"))
		return 0;
	if (!strcmp(r->domain, g->bk.name) || !strcmp(r->guest, g->bk.name))
		return 1;
	return !strcmp(r->side, "host") && r->target[0] &&
	       ((g->bk.tap[0] && !strcmp(r->target, g->bk.tap)) ||
		(g->bk.bridge[0] && !strcmp(r->target, g->bk.bridge)));
}

static json_object *guest_changes(const struct journal *j, const struct guest *g)
{
	json_object *a = json_object_new_array();
	size_t n = j ? journal_count(j) : 0, first = n, taken = 0;
	while (first > 0 && taken < HIST_REPORT_CHANGES) /* newest N, oldest first */
		if (rec_is_for(journal_record(j, --first), g))
			taken++;
	for (size_t i = first; i < n; i++) {
		const struct jrec *r = journal_record(j, i);
		if (rec_is_for(r, g))
			json_object_array_add(a, change_rec_json(j, r));
	}
	return a;
}

static json_object *fail_reply(const char *why)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(why));
	return o;
}

json_object *hist_report_json(const struct hist_report_in *in, json_object *req)
{
	json_object *v, *o = in->status, *plan = get(in->plan, "plan");
	json_object *guests = get(o, "guests"), *kept = json_object_new_array();
	const char *only = NULL;
	int64_t minutes = HIST_DEFAULT_MINUTES;
	int with_hist = 1;

	if ((v = get(req, "guest"))) {
		if (!json_object_is_type(v, json_type_string))
			goto bad_guest;
		only = json_object_get_string(v);
	}
	if ((v = get(req, "minutes"))) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1 ||
		    json_object_get_int64(v) > 24 * 60) {
			json_object_put(kept);
			json_object_put(in->status);
			json_object_put(in->plan);
			return fail_reply("field 'minutes': want whole minutes in 1..1440");
		}
		minutes = json_object_get_int64(v);
	}
	if ((v = get(req, "history")))
		with_hist = json_object_get_boolean(v);
	uint64_t span = (uint64_t)minutes * 60 * 1000000000ull;
	uint64_t since = in->now_wall_ns > span ? in->now_wall_ns - span : 0;

	for (size_t i = 0; guests && i < json_object_array_length(guests) && i < in->nguests; i++) {
		json_object *go = json_object_array_get_idx(guests, i);
		struct guest *g = in->guests[i];
		if (only && strcmp(only, g->bk.name))
			continue;
		json_object_object_add(go, "hypervisor", json_object_new_string(in->hypervisor));
		json_object_object_add(go, "tap", json_object_new_string(g->bk.tap));
		json_object_object_add(go, "bridge", json_object_new_string(g->bk.bridge));
		json_object_object_add(go, "nvcpus", json_object_new_int(g->bk.nvcpus));
		json_object *sample = guest_sample(g);
		json_object *ls = get(sample, "listeners"), *sn = get(sample, "softnet");
		json_object_object_add(go, "listeners", ls ? json_object_get(ls) : json_object_new_array());
		json_object_object_add(go, "guest_hot_cpu", hot_cpu(sample));
		json_object_object_add(go, "net_rx_hot_cpu", json_object_get(get(sn, "net_rx_hot_cpu")));
		json_object_object_add(go, "kmsg", json_object_get(get(sample, "kmsg")));
		json_object_object_add(go, "processes", json_object_get(get(sample, "processes")));
		json_object_object_add(go, "changes", guest_changes(in->journal, g));
		json_object *pa = json_object_new_array();
		for (size_t k = 0; plan && k < json_object_array_length(plan); k++) {
			json_object *c = json_object_array_get_idx(plan, k);
			if (!strcmp(json_object_get_string(get(c, "guest")), g->bk.name))
				json_object_array_add(pa, json_object_get(c));
		}
		json_object_object_add(go, "plan", pa);
		if (with_hist)
			json_object_object_add(go, "history", hist_json(in->hist, g->bk.name, since));
		json_object_array_add(kept, json_object_get(go));
	}
	json_object_object_add(o, "guests", kept);
	json_object_object_add(o, "captured_at", num((double)in->now_wall_ns / NS, 0));
	json_object_object_add(o, "history_minutes", json_object_new_int64(minutes));
	json_object_put(in->plan);
	return o;
bad_guest:
	json_object_put(kept);
	json_object_put(in->status);
	json_object_put(in->plan);
	return fail_reply("field 'guest': not a guest name");
}
