/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report_scan: one pass over a report line (see report_scan.h). Each
 * container's role comes from its parent's role and key, so the reader
 * knows where it is without building anything. */
#include "report_scan.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "wire.h"

enum role {
	R_NONE,
	R_ENV,	      /* the message */
	R_SAMPLE,     /* .sample */
	R_METRICS,    /* .sample.metrics */
	R_LISTENERS,  /* .sample.listeners */
	R_CPU,	      /* .sample.cpu */
	R_PERCPU,     /* .sample.cpu.per_cpu */
	R_PERCPU_EL,  /* .sample.cpu.per_cpu[i] */
	R_SOFTNET,    /* .sample.softnet */
};

/* A value whose text is kept when it ends. */
enum keep { K_NONE, K_LISTENER, K_CPU, K_HOT, K_KMSG, K_PROCS };

/* The largest kmsg object and processes array kept (bigger: left out). */
#define KEEP_KMSG_MAX 1024
#define KEEP_PROCS_MAX 4096

struct span {
	const char *p;
	size_t n;
};

struct rs {
	struct report_scan *out;
	enum role role[WIRE_MAX_DEPTH + 2]; /* of the container at each depth */
	enum keep keep[WIRE_MAX_DEPTH + 2];
	struct span key[WIRE_MAX_DEPTH + 2]; /* current key of the object at each depth */
	bool kesc[WIRE_MAX_DEPTH + 2];
	bool is_report, env_bad, have_v, have_seq, have_mono, have_iv, have_sample;
	bool have_metrics, sample_bad, have_listeners;
	struct span listeners[RSCAN_KEEP_LISTENERS];
	unsigned nlisteners;
	double best_busy, cur_busy;
	bool cur_has_busy;
	struct span best_cpu, hot, kmsg, procs;
};

/* Whether the key of the object at depth d is name (decoded). */
static bool key_is(const struct rs *st, unsigned d, const char *name)
{
	const struct span *k = &st->key[d];
	size_t n = strlen(name);
	if (!st->kesc[d])
		return k->n == n && !memcmp(k->p, name, n);
	char buf[WIRE_MAX_KEY + 1];
	if (k->n >= sizeof buf)
		return false;
	return jscan_unescape(k->p, k->n, buf) == n && !memcmp(buf, name, n);
}

/* An unsigned JSON integer within [min, max]. */
static bool uint_in(const struct jscan_tok *t, uint64_t min, uint64_t max, uint64_t *out)
{
	if (t->type != JS_NUMBER || !t->integer || (t->neg && t->mag))
		return false;
	*out = t->mag;
	return t->mag >= min && t->mag <= max;
}

/* A value as json-c's json_object_get_double reads it (the kept busiest
 * CPU must be the one the report showed before this reader existed):
 * numbers, true 1, a string holding just a number its value, else 0. */
static double as_double(const struct jscan_tok *t)
{
	if (t->type == JS_NUMBER)
		return t->num;
	if (t->type == JS_TRUE)
		return 1;
	if (t->type != JS_STRING)
		return 0;
	char *b = malloc(t->len + 1), *e;
	if (!b)
		return 0;
	jscan_unescape(t->text, t->len, b);
	errno = 0;
	double d = strtod(b, &e);
	if (e == b || *e || ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE))
		d = 0;
	free(b);
	return d;
}

/* The text of a scalar token as JSON (strings with their quotes). */
static struct span scalar_text(const struct jscan_tok *t)
{
	if (t->type == JS_STRING)
		return (struct span){ t->text - 1, t->len + 2 };
	return (struct span){ t->text, t->len };
}

static void on_envelope(struct rs *st, const struct jscan_tok *t)
{
	struct report_scan *o = st->out;
	uint64_t x = 0;

	if (key_is(st, 1, "v")) {
		st->have_v = true;
		if (!uint_in(t, WIRE_V_MIN, WIRE_V_MAX, &x))
			st->env_bad = true;
		o->v = (unsigned)x;
	} else if (key_is(st, 1, "type")) {
		char buf[WIRE_MAX_VERSTR];
		st->is_report = t->type == JS_STRING && t->len < sizeof buf &&
				jscan_unescape(t->text, t->len, buf) == 6 && !memcmp(buf, "report", 6);
	} else if (key_is(st, 1, "seq")) {
		st->have_seq = true;
		if (!uint_in(t, 0, WIRE_MAX_ID, &o->seq))
			st->env_bad = true;
	} else if (key_is(st, 1, "mono_ns")) {
		st->have_mono = true;
		if (!uint_in(t, 0, INT64_MAX, &o->mono_ns))
			st->env_bad = true;
	} else if (key_is(st, 1, "interval_s")) {
		st->have_iv = true;
		o->interval_s = t->num;
		if (t->type != JS_NUMBER || !(t->num > 0) || t->num > WIRE_MAX_INTERVAL_S)
			st->env_bad = true;
	} else if (key_is(st, 1, "sample")) {
		st->have_sample = true;
		if (t->type == JS_OBJECT)
			st->role[2] = R_SAMPLE;
		else
			st->env_bad = true;
	} else {
		o->unknown_fields++;
	}
}

/* One member of sample.metrics (the value at depth 4). */
static void on_metric(struct rs *st, const struct jscan_tok *t)
{
	char name[WIRE_MAX_KEY + 1];
	const struct span *k = &st->key[3];
	int id = -1;

	if (st->sample_bad) /* the first refusal stands, as no more are read */
		return;
	if (k->n < sizeof name) {
		size_t n = k->n;
		if (st->kesc[3]) {
			n = jscan_unescape(k->p, k->n, name);
		} else {
			memcpy(name, k->p, n);
			name[n] = 0;
		}
		if (!strncmp(name, "guest.", 6))
			id = metric_lookup_n(name, n);
	}
	if (id < 0) { /* host.* or unknown: a guest never names host metrics */
		st->out->unknown_metrics++;
		return;
	}
	if (t->type != JS_NUMBER) {
		st->sample_bad = true;
		snprintf(st->out->why, sizeof st->out->why, "metric '%.64s': not a number", name);
		return;
	}
	double lo, hi;
	metric_range(metric_defs[id].unit, &lo, &hi);
	if (t->num < lo || t->num > hi) {
		st->sample_bad = true;
		snprintf(st->out->why, sizeof st->out->why, "metric '%.64s': %g outside %g..%g",
			 name, t->num, lo, hi);
		return;
	}
	mvec_set(&st->out->metrics, id, t->num);
}

/* A value (container start or scalar) at depth d >= 2, inside role[d-1]. */
static void on_value(struct rs *st, const struct jscan_tok *t, unsigned d)
{
	bool obj = t->type == JS_OBJECT, arr = t->type == JS_ARRAY;
	enum keep keep = K_NONE;

	if (obj || arr) {
		st->role[d] = R_NONE;
		st->keep[d] = K_NONE;
	}
	switch (st->role[d - 1]) {
	case R_ENV:
		on_envelope(st, t);
		break;
	case R_SAMPLE:
		if (key_is(st, 2, "metrics")) {
			if (obj) {
				st->role[d] = R_METRICS;
				st->have_metrics = true;
			}
		} else if (key_is(st, 2, "listeners") && arr) {
			st->role[d] = R_LISTENERS;
			st->have_listeners = true;
		} else if (key_is(st, 2, "cpu") && obj) {
			st->role[d] = R_CPU;
		} else if (key_is(st, 2, "softnet") && obj) {
			st->role[d] = R_SOFTNET;
		} else if (key_is(st, 2, "kmsg") && obj) {
			keep = K_KMSG;
		} else if (key_is(st, 2, "processes") && arr) {
			keep = K_PROCS;
		}
		break;
	case R_METRICS:
		on_metric(st, t);
		break;
	case R_LISTENERS:
		if (st->nlisteners < RSCAN_KEEP_LISTENERS)
			keep = K_LISTENER;
		break;
	case R_CPU:
		if (key_is(st, 3, "per_cpu") && arr)
			st->role[d] = R_PERCPU;
		break;
	case R_PERCPU:
		if (obj) {
			st->role[d] = R_PERCPU_EL;
			st->cur_has_busy = false;
			keep = K_CPU;
		}
		break;
	case R_PERCPU_EL:
		if (key_is(st, 5, "busy")) {
			st->cur_has_busy = true;
			st->cur_busy = as_double(t);
		}
		break;
	case R_SOFTNET:
		if (key_is(st, 3, "net_rx_hot_cpu"))
			keep = K_HOT;
		break;
	default:
		break;
	}
	if (obj || arr)
		st->keep[d] = keep;
	else if (keep != K_NONE) {
		struct span s = scalar_text(t);
		if (keep == K_LISTENER)
			st->listeners[st->nlisteners++] = s;
		else if (keep == K_HOT)
			st->hot = s;
	}
}

static void on_end(struct rs *st, const struct jscan_tok *t, unsigned d)
{
	struct span s = { t->text, t->len };

	switch (st->keep[d]) {
	case K_LISTENER:
		st->listeners[st->nlisteners++] = s;
		break;
	case K_HOT:
		st->hot = s;
		break;
	case K_KMSG:
		if (s.n <= KEEP_KMSG_MAX)
			st->kmsg = s;
		break;
	case K_PROCS:
		if (s.n <= KEEP_PROCS_MAX)
			st->procs = s;
		break;
	case K_CPU:
		if (st->cur_has_busy && st->cur_busy > st->best_busy) {
			st->best_busy = st->cur_busy;
			st->best_cpu = s;
		}
		break;
	default:
		break;
	}
}

static int on_token(void *arg, const struct jscan_tok *t)
{
	struct rs *st = arg;

	switch (t->type) {
	case JS_KEY:
		st->key[t->depth - 1] = (struct span){ t->text, t->len };
		st->kesc[t->depth - 1] = t->escaped;
		return 0;
	case JS_END:
		on_end(st, t, t->depth);
		return 0;
	default:
		if (t->depth == 1) {
			st->role[1] = t->type == JS_OBJECT ? R_ENV : R_NONE;
			return 0;
		}
		on_value(st, t, t->depth);
		return 0;
	}
}

static void put(char **w, const char *s, size_t n)
{
	memcpy(*w, s, n);
	*w += n;
}

/* The kept parts as one JSON object in out->keep. */
static int assemble(struct rs *st)
{
	struct report_scan *o = st->out;
	size_t n = 128 + st->best_cpu.n + st->hot.n + st->kmsg.n + st->procs.n;
	for (unsigned i = 0; i < st->nlisteners; i++)
		n += st->listeners[i].n + 1;
	char *w = o->keep = malloc(n);
	if (!w)
		return -ENOMEM;
	const char *sep = "";
	put(&w, "{", 1);
	if (st->have_listeners) {
		put(&w, "\"listeners\":[", 13);
		for (unsigned i = 0; i < st->nlisteners; i++) {
			if (i)
				put(&w, ",", 1);
			put(&w, st->listeners[i].p, st->listeners[i].n);
		}
		put(&w, "]", 1);
		sep = ",";
	}
	if (st->best_cpu.p) {
		put(&w, sep, strlen(sep));
		put(&w, "\"cpu\":{\"per_cpu\":[", 18);
		put(&w, st->best_cpu.p, st->best_cpu.n);
		put(&w, "]}", 2);
		sep = ",";
	}
	if (st->hot.p) {
		put(&w, sep, strlen(sep));
		put(&w, "\"softnet\":{\"net_rx_hot_cpu\":", 28);
		put(&w, st->hot.p, st->hot.n);
		put(&w, "}", 1);
		sep = ",";
	}
	if (st->kmsg.p) {
		put(&w, sep, strlen(sep));
		put(&w, "\"kmsg\":", 7);
		put(&w, st->kmsg.p, st->kmsg.n);
		sep = ",";
	}
	if (st->procs.p) {
		put(&w, sep, strlen(sep));
		put(&w, "\"processes\":", 12);
		put(&w, st->procs.p, st->procs.n);
	}
	put(&w, "}", 1);
	*w = 0;
	o->keep_len = (size_t)(w - o->keep);
	return 0;
}

int report_scan(const char *line, size_t len, struct report_scan *out)
{
	struct rs *st = calloc(1, sizeof *st);
	struct jscan_result res;

	memset(out, 0, sizeof *out);
	if (!st)
		return -ENOMEM;
	st->out = out;
	st->best_busy = -1;
	int r = 0;
	if (len > WIRE_MAX_LINE)
		goto out;
	if (jscan(line, len, WIRE_MAX_DEPTH, WIRE_MAX_CONTAINERS, on_token, st, &res)) {
		r = res.err == JSCAN_NOMEM ? -ENOMEM : 0;
		goto out;
	}
	if (st->role[1] != R_ENV || !st->is_report || st->env_bad || !st->have_v ||
	    !st->have_seq || !st->have_mono || !st->have_iv || !st->have_sample)
		goto out;
	if (!st->have_metrics && !st->sample_bad) {
		snprintf(out->why, sizeof out->why, "field 'sample.metrics': missing or not an object");
		st->sample_bad = true;
	}
	if (st->sample_bad) {
		r = -EINVAL;
		goto out;
	}
	r = assemble(st);
	if (r == 0)
		r = 1;
out:
	free(st);
	return r;
}
