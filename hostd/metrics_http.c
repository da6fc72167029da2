/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics_http: the Prometheus exposition of vtune-hostd (see
 * metrics_http.h): counters, family names, the renderer. Served by
 * metrics_serve.c. */
#include "metrics_http.h"
#include "vec.h"
#include "sanitize.h"
#include "vclock.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- counters ---- */

enum { CT_FIRING, CT_CHANGE, CT_REFUSED, CT_ROLLBACK };

struct mh_series {
	int kind;
	/* firing: a = rule; change: a = side, b = result; refused: a = kind,
	 * b = reason; rollback: a = rule, b = reason */
	char guest[128], a[64], b[32];
	uint64_t n;
	double last_s; /* wall time of the latest increment */
};

struct mh_counters {
	struct mh_series *v;
	size_t n, cap;
	uint64_t dropped, journal_errors;
	int hide_guests; /* render: no guest-labelled series */
};

struct mh_counters *mh_counters_new(void)
{
	return calloc(1, sizeof(struct mh_counters));
}

void mh_counters_free(struct mh_counters *c)
{
	if (!c)
		return;
	free(c->v);
	free(c);
}

static void count(struct mh_counters *c, int kind, const char *guest, const char *a,
		  const char *b)
{
	if (!c)
		return;
	double now = (double)vclock_wall_ns() / 1e9;
	for (size_t i = 0; i < c->n; i++) {
		struct mh_series *s = &c->v[i];
		if (s->kind == kind && !strncmp(s->guest, guest, sizeof s->guest - 1) &&
		    !strncmp(s->a, a, sizeof s->a - 1) && !strncmp(s->b, b, sizeof s->b - 1)) {
			s->n++;
			s->last_s = now;
			return;
		}
	}
	if (c->n >= MH_MAX_SERIES || VEC_RESERVE(c->v, c->cap, c->n + 1)) {
		c->dropped++;
		return;
	}
	struct mh_series *s = &c->v[c->n++];
	s->kind = kind;
	snprintf(s->guest, sizeof s->guest, "%s", guest);
	snprintf(s->a, sizeof s->a, "%s", a);
	snprintf(s->b, sizeof s->b, "%s", b);
	s->n = 1;
	s->last_s = now;
}

void mh_count_firing(struct mh_counters *c, const char *guest, const char *rule)
{
	count(c, CT_FIRING, guest, rule, "");
}

void mh_count_change(struct mh_counters *c, const char *guest, const char *side,
		     const char *result)
{
	count(c, CT_CHANGE, guest, side, result);
}

void mh_count_refusal(struct mh_counters *c, const char *guest, const char *kind,
		      const char *reason)
{
	count(c, CT_REFUSED, guest, kind, reason);
}

void mh_count_rollback(struct mh_counters *c, const char *guest, const char *rule,
		       const char *reason)
{
	count(c, CT_ROLLBACK, guest, rule, reason);
}

void mh_counters_hide_guests(struct mh_counters *c, int on)
{
	if (c)
		c->hide_guests = on;
}

void mh_count_journal_error(struct mh_counters *c)
{
	if (c)
		c->journal_errors++;
}

uint64_t mh_counters_dropped(const struct mh_counters *c)
{
	return c ? c->dropped : 0;
}

/* ---- names ---- */

const char *const mh_fixed_names[] = {
	"vtune_host_info", "vtune_guest_info", "vtune_guest_up",
	"vtune_guest_last_report_timestamp_seconds", "vtune_guest_connected", "vtune_rule_active",
	"vtune_guest_reports_total", "vtune_guest_reports_bad_total",
	"vtune_guest_messages_dropped_total", "vtune_guest_messages_invalid_total",
	"vtune_rule_firings_total", "vtune_rule_last_fired_timestamp_seconds",
	"vtune_changes_total", "vtune_changes_refused_total", "vtune_changes_rolled_back_total",
	"vtune_journal_errors_total", "vtune_series_dropped_total", "vtune_build_info", NULL,
};

/* Catalogue names whose plain form ends in a suffix the formats reserve. */
static const struct { int id; const char *family; } renames[] = {
	{ M_GUEST_CONNTRACK_COUNT, "vtune_guest_conntrack_entries" },
};

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

int mh_counter_of(int id)
{
	static int twin[M_COUNT];
	static int built;
	if (!built) {
		for (int i = 0; i < M_COUNT; i++) {
			char n[128];
			snprintf(n, sizeof n, "%s_total", metric_defs[i].name);
			twin[i] = metric_defs[i].unit == MU_RATE ? metric_lookup(n) : -1;
		}
		built = 1;
	}
	return id >= 0 && id < M_COUNT ? twin[id] : -1;
}

enum mh_kind mh_family_name(int id, char *buf, size_t n)
{
	static const char *const reserved[] = { "_count", "_sum", "_bucket", "_total",
						"_created", "_info", "_gcount", "_gsum" };
	const struct metric_def *d = &metric_defs[id];
	static const struct { enum metric_unit u; const char *suf; enum mh_kind kind; } units[] = {
		{ MU_PCT, "_ratio", MH_SHARE },
		{ MU_RATE, "_per_second", MH_FALLBACK },
		{ MU_SECONDS, "_seconds", MH_GAUGE },
		{ MU_TOTAL, "", MH_COUNTER },
	};
	const char *suf = "";
	enum mh_kind kind = MH_GAUGE;
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (units[i].u == d->unit) {
			suf = units[i].suf;
			kind = units[i].kind;
		}
	for (size_t i = 0; i < sizeof renames / sizeof *renames; i++)
		if (renames[i].id == id) {
			snprintf(buf, n, "%s", renames[i].family);
			return kind;
		}
	int k = snprintf(buf, n, "vtune_%s", d->name);
	for (char *p = buf + 6; k > 0 && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			*p = '_';
	size_t len = strlen(buf);
	if (*suf && !ends_with(buf, suf)) {
		snprintf(buf + len, n - len, "%s", suf);
		return kind;
	}
	if (kind == MH_COUNTER)
		return kind;
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
		if (ends_with(buf, reserved[i])) {
			snprintf(buf + len, n - len, "_value");
			break;
		}
	return kind;
}

/* ---- rendering ---- */

/* Length of the valid UTF-8 sequence at s (0: not valid). */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
		return 0; /* overlong, surrogate */
	if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return n;
}

/* Write s escaped: backslash, newline and (quote) double quote; bytes
 * that are not UTF-8 become '?'. */
static void put_escaped(FILE *f, const char *raw, int quote)
{
	/* controls, C1, bidi made visible; newlines kept for the format's own
	 * escape below */
	char buf[1024];
	size_t o = 0;
	for (const char *seg = raw; o + 1 < sizeof buf;) {
		const char *nl = strchr(seg, '\n');
		size_t len = nl ? (size_t)(nl - seg) : strlen(seg);
		o += san_text(seg, len, buf + o, sizeof buf - o);
		if (!nl || o + 1 >= sizeof buf)
			break;
		buf[o++] = '\n';
		buf[o] = '\0';
		seg = nl + 1;
	}
	const unsigned char *p = (const unsigned char *)buf;
	while (*p) {
		size_t n;
		if (*p == '\\') {
			fputs("\\\\", f);
			p++;
		} else if (*p == '\n') {
			fputs("\\n", f);
			p++;
		} else if (*p == '"' && quote) {
			fputs("\\\"", f);
			p++;
		} else if ((n = utf8_len(p)) == 0) {
			fputc('?', f);
			p++;
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
}

static void put_double(FILE *f, double v)
{
	char b[40];
	if (isnan(v)) {
		fputs("NaN", f);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
		return;
	}
	snprintf(b, sizeof b, "%.15g", v);
	if (strtod(b, NULL) != v)
		snprintf(b, sizeof b, "%.17g", v);
	fputs(b, f);
}

/* HELP and TYPE (and UNIT) of a family. base is the OpenMetrics family
 * name (a counter's without _total); the text format names a counter
 * family with _total and an info family with _info. */
static void family(FILE *f, int om, const char *base, const char *type, const char *unit,
		   const char *help)
{
	const char *tot = !strcmp(type, "counter") && !om ? "_total" : "";
	const char *t = !strcmp(type, "info") && !om ? "gauge" : type;
	const char *ib = !strcmp(type, "info") && !om ? "_info" : "";
	fprintf(f, "# HELP %s%s%s ", base, tot, ib);
	put_escaped(f, help, om);
	fprintf(f, "\n# TYPE %s%s%s %s\n", base, tot, ib, t);
	if (om && unit)
		fprintf(f, "# UNIT %s %s\n", base, unit);
}

/* sample{guest="..." — the caller adds more labels and closes. */
static void guest_label(FILE *f, const char *sample, const char *guest)
{
	fprintf(f, "%s{guest=\"", sample);
	put_escaped(f, guest, 1);
	fputs("\"", f);
}

/* ,name="value" when value is not empty. */
static void label(FILE *f, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	fprintf(f, ",%s=\"", name);
	put_escaped(f, value, 1);
	fputs("\"", f);
}

enum { GC_REPORTS, GC_BAD, GC_DROPPED, GC_INVALID };

static uint64_t guest_count(const struct mh_guest *g, int which)
{
	switch (which) {
	case GC_REPORTS: return g->reports;
	case GC_BAD: return g->bad_reports;
	case GC_DROPPED: return g->dropped;
	default: return g->invalid;
	}
}

/* A per-guest counter family; its samples are always named BASE_total. */
static void guest_counter(FILE *f, int om, const char *base, const char *help,
			  const struct mh_guest *g, size_t ng, int which)
{
	char sample[96];
	snprintf(sample, sizeof sample, "%s_total", base);
	family(f, om, base, "counter", NULL, help);
	for (size_t i = 0; i < ng; i++) {
		guest_label(f, sample, g[i].name);
		fprintf(f, "} %llu\n", (unsigned long long)guest_count(&g[i], which));
	}
}

/* The view of guest g that holds catalogue metric id, when it is fresh. */
static const struct mvec *view_of(const struct mh_guest *g, int id)
{
	if (!g->up)
		return NULL;
	const struct mvec *m = !strncmp(metric_defs[id].name, "host.", 5) ? g->hm : g->gm;
	return m && mvec_has(m, id) ? m : NULL;
}

/* Whether guest g exports metric id: a rate only when its counter is absent. */
static int exports(const struct mh_guest *g, int id, enum mh_kind kind)
{
	if (!view_of(g, id))
		return 0;
	int twin = kind == MH_FALLBACK ? mh_counter_of(id) : -1;
	return twin < 0 || !view_of(g, twin);
}

/* One family per catalogue metric that some fresh guest has. */
static void catalogue(FILE *f, int om, const struct mh_guest *g, size_t ng)
{
	for (int id = 0; id < M_COUNT; id++) {
		const struct metric_def *d = &metric_defs[id];
		char name[128], help[320], sample[136];
		enum mh_kind kind = mh_family_name(id, name, sizeof name);
		size_t have = 0;
		for (size_t i = 0; i < ng; i++)
			have += exports(&g[i], id, kind);
		if (!have)
			continue;
		const char *u = kind == MH_SHARE ? "0-1" : metric_unit_str(d->unit);
		snprintf(help, sizeof help, "%s (%s%s%s%s)", d->help, d->name,
			 *u && kind != MH_COUNTER ? ", " : "", kind != MH_COUNTER ? u : "",
			 kind == MH_FALLBACK ? "; only for agents that send no counter" : "");
		if (kind == MH_COUNTER) {
			char base[128];
			snprintf(base, sizeof base, "%.*s", (int)strlen(name) - 6, name);
			family(f, om, base, "counter", NULL, help);
		} else {
			const char *unit = kind == MH_SHARE ? "ratio" : d->unit == MU_SECONDS ? "seconds" : NULL;
			family(f, om, name, "gauge", unit, help);
		}
		snprintf(sample, sizeof sample, "%s", name);
		for (size_t i = 0; i < ng; i++) {
			if (!exports(&g[i], id, kind))
				continue;
			double v = mvec_get(view_of(&g[i], id), id);
			guest_label(f, sample, g[i].name);
			fputs("} ", f);
			put_double(f, kind == MH_SHARE ? v / 100 : v);
			fputc('\n', f);
		}
	}
}

/* Info families: the host, and each guest's fleet labels. */
static void infos(FILE *f, int om, const struct mh_host *host, const struct mh_guest *g,
		  size_t ng)
{
	family(f, om, "vtune_host", "info", NULL,
	       "this hypervisor host: its name and hypervisor (kvm, xen, sim)");
	fputs("vtune_host_info{hostname=\"", f);
	put_escaped(f, host && host->hostname ? host->hostname : "", 1);
	fputs("\",hypervisor=\"", f);
	put_escaped(f, host && host->hypervisor ? host->hypervisor : "", 1);
	fputs("\"} 1\n", f);

	family(f, om, "vtune_guest", "info", NULL,
	       "a guest's stable labels: UUID, hypervisor, and from its libvirt <metadata> the "
	       "OpenStack Nova instance and project and the KubeVirt VMI and namespace");
	for (size_t i = 0; i < ng; i++) {
		const struct bk_guest *b = g[i].bk;
		guest_label(f, "vtune_guest_info", g[i].name);
		label(f, "hypervisor", host ? host->hypervisor : NULL);
		if (b) {
			label(f, "uuid", b->uuid);
			label(f, "nova_instance_uuid", b->nova_instance);
			label(f, "nova_project_id", b->nova_project);
			label(f, "nova_project_name", b->nova_project_name);
			label(f, "kubevirt_namespace", b->kubevirt_namespace);
			label(f, "kubevirt_vmi", b->kubevirt_vmi);
		}
		fputs("} 1\n", f);
	}
}

/* The series table's counters of one kind, with their two labels. */
static void series(FILE *f, int om, const struct mh_counters *c, int kind, const char *base,
		   const char *la, const char *lb, const char *help)
{
	char sample[96];
	snprintf(sample, sizeof sample, "%s_total", base);
	family(f, om, base, "counter", NULL, help);
	for (size_t i = 0; c && !c->hide_guests && i < c->n; i++) {
		const struct mh_series *s = &c->v[i];
		if (s->kind != kind)
			continue;
		guest_label(f, sample, s->guest);
		fprintf(f, ",%s=\"", la);
		put_escaped(f, s->a, 1);
		if (lb) {
			fprintf(f, "\",%s=\"", lb);
			put_escaped(f, s->b, 1);
		}
		fprintf(f, "\"} %llu\n", (unsigned long long)s->n);
	}
}

/* A change counter at 0 for each side and result a known guest has none
 * of yet: a counter that appears at 1 hides its first increase from
 * Prometheus' increase() and rate(). */
static void zero_changes(FILE *f, const struct mh_counters *c, const struct mh_guest *g, size_t ng)
{
	static const char *const sides[] = { "guest", "host" };
	static const char *const results[] = { "applied", "failed", "unchanged", "dry_run",
					       "left_alone", "unserved" };
	for (size_t i = 0; i < ng; i++)
		for (size_t s = 0; s < 2; s++)
			for (size_t r = 0; r < sizeof results / sizeof *results; r++) {
				size_t k;
				for (k = 0; c && k < c->n; k++)
					if (c->v[k].kind == CT_CHANGE && !strcmp(c->v[k].guest, g[i].name) &&
					    !strcmp(c->v[k].a, sides[s]) && !strcmp(c->v[k].b, results[r]))
						break;
				if (c && k < c->n)
					continue;
				guest_label(f, "vtune_changes_total", g[i].name);
				fprintf(f, ",side=\"%s\",result=\"%s\"} 0\n", sides[s], results[r]);
			}
}

int mh_render(const struct mh_host *host, const struct mh_guest *g, size_t ng,
	      const struct mh_counters *c, int om, char **out, size_t *len)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	if (!f)
		return -ENOMEM;

	catalogue(f, om, g, ng);
	infos(f, om, host, g, ng);

	family(f, om, "vtune_guest_up", "gauge", NULL,
	       "1 while the guest's latest report is fresh (3 evaluation intervals); 0: its "
	       "views' series are removed");
	for (size_t i = 0; i < ng; i++) {
		guest_label(f, "vtune_guest_up", g[i].name);
		fprintf(f, "} %d\n", g[i].up ? 1 : 0);
	}
	family(f, om, "vtune_guest_last_report_timestamp_seconds", "gauge", "seconds",
	       "wall time of the guest's latest good report");
	for (size_t i = 0; i < ng; i++) {
		if (!(g[i].last_report_s > 0))
			continue;
		guest_label(f, "vtune_guest_last_report_timestamp_seconds", g[i].name);
		fputs("} ", f);
		put_double(f, g[i].last_report_s);
		fputc('\n', f);
	}
	family(f, om, "vtune_guest_connected", "gauge", NULL,
	       "1 while the guest's agent channel is connected");
	for (size_t i = 0; i < ng; i++) {
		guest_label(f, "vtune_guest_connected", g[i].name);
		fprintf(f, "} %d\n", g[i].connected ? 1 : 0);
	}
	family(f, om, "vtune_rule_active", "gauge", NULL,
	       "1 for each policy rule active for the guest: hostd's diagnosis of its cause");
	for (size_t i = 0; i < ng; i++)
		for (size_t k = 0; g[i].up && k < g[i].nrules; k++) {
			guest_label(f, "vtune_rule_active", g[i].name);
			label(f, "rule", g[i].rules[k]);
			fputs("} 1\n", f);
		}
	guest_counter(f, om, "vtune_guest_reports", "good reports taken from the guest",
		      g, ng, GC_REPORTS);
	guest_counter(f, om, "vtune_guest_reports_bad",
		      "reports refused (a metric out of range or not a number)", g, ng,
		      GC_BAD);
	guest_counter(f, om, "vtune_guest_messages_dropped",
		      "lines from the guest dropped by the rate limit", g, ng,
		      GC_DROPPED);
	guest_counter(f, om, "vtune_guest_messages_invalid",
		      "lines from the guest that were not valid messages", g, ng,
		      GC_INVALID);

	series(f, om, c, CT_FIRING, "vtune_rule_firings", "rule", NULL,
	       "evaluations in which a rule planned changes for the guest");
	family(f, om, "vtune_rule_last_fired_timestamp_seconds", "gauge", "seconds",
	       "wall time a rule last planned changes for the guest");
	for (size_t i = 0; c && i < c->n; i++) {
		const struct mh_series *s = &c->v[i];
		if (s->kind != CT_FIRING)
			continue;
		guest_label(f, "vtune_rule_last_fired_timestamp_seconds", s->guest);
		label(f, "rule", s->a);
		fputs("} ", f);
		put_double(f, s->last_s);
		fputc('\n', f);
	}
	series(f, om, c, CT_CHANGE, "vtune_changes", "side", "result",
	       "changes by side (guest, host) and result (applied, failed, unchanged, dry_run, left_alone: an administrator changed it, unserved: the guest's agent cannot be asked)");
	zero_changes(f, c, g, ng);
	series(f, om, c, CT_REFUSED, "vtune_changes_refused", "kind", "reason",
	       "changes a rule asked for and vtune refused, by action kind and reason "
	       "(firewall: a firewall needs bridge-nf, ...)");
	series(f, om, c, CT_ROLLBACK, "vtune_changes_rolled_back", "rule", "reason",
	       "a rule's changes rolled back by effect verification (no_effect, accept_rate_fell)");
	family(f, om, "vtune_journal_errors", "counter", NULL,
	       "journal writes or syncs that failed (changes stop without a record)");
	fprintf(f, "vtune_journal_errors_total %llu\n",
		(unsigned long long)(c ? c->journal_errors : 0));
	family(f, om, "vtune_series_dropped", "counter", NULL,
	       "firing and change counts lost because the series table was full");
	fprintf(f, "vtune_series_dropped_total %llu\n",
		(unsigned long long)mh_counters_dropped(c));
	family(f, om, "vtune_build", "info", NULL, "the version of vtune-hostd");
	fputs("vtune_build_info{version=\"", f);
	put_escaped(f, VTUNE_VERSION, 1);
	fputs("\"} 1\n", f);
	if (om)
		fputs("# EOF\n", f);

	int bad = ferror(f);
	if (fclose(f) != 0 || bad || !buf) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*len = blen;
	return 0;
}
