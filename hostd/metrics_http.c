/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics_http: the Prometheus exporter of vtune-hostd (see metrics_http.h):
 * each scrape renders the current views; connections are non-blocking,
 * bounded in request size, count and lifetime, and answered once (close). */
#include "metrics_http.h"
#include "sanitize.h"
#include "log.h"
#include "parse.h"
#include "vclock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct mh_series *v = cap > MH_MAX_SERIES ? NULL : realloc(c->v, cap * sizeof *v);
		if (!v) {
			c->dropped++;
			return;
		}
		c->v = v;
		c->cap = cap;
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

/* ---- HTTP ---- */

struct mh_client {
	struct mh_server *s;
	int fd, timer;
	char peer[64];	  /* the peer's address (unix: its uid), for the per-peer limit */
	uint64_t since_ns; /* accepted at */
	char in[MH_MAX_REQUEST + 1];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
};

struct mh_server {
	struct loop *loop;
	int fd;
	char path[108]; /* unix socket to unlink, or "" */
	mh_render_fn fn;
	void *arg;
	struct mh_client *clients[MH_MAX_CLIENTS];
	uint64_t dropped_idle; /* idle connections closed to make room */
};

static void client_free(struct mh_client *cl)
{
	struct mh_server *s = cl->s;
	for (int i = 0; i < MH_MAX_CLIENTS; i++)
		if (s->clients[i] == cl)
			s->clients[i] = NULL;
	if (cl->timer > 0)
		loop_timer_cancel(s->loop, cl->timer);
	loop_del_fd(s->loop, cl->fd);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

static void client_timeout(void *arg)
{
	struct mh_client *cl = arg;
	cl->timer = 0;
	client_free(cl);
}

/* Idle: still sending its request (no reply started). */
static int idle(const struct mh_client *cl)
{
	return cl && !cl->out;
}

/* The peer of fd, as text: an address, or "uid N" over a unix socket. */
static void peer_of(int fd, char *buf, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	snprintf(buf, n, "?");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)n);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)n);
	else if (ss.ss_family == AF_UNIX) {
		struct ucred uc;
		socklen_t ul = sizeof uc;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == 0)
			snprintf(buf, n, "uid %u", (unsigned)uc.uid);
	}
}

/* Make room for a new connection from peer: past MH_MAX_PER_PEER idle
 * ones from it, its oldest idle one goes (other peers always keep room);
 * with every slot taken, the oldest idle one of anyone goes. A scrape sends its request at once, so idle
 * connections can never keep one out. The free slot, or -1 (every slot is
 * sending a reply). */
static int make_room(struct mh_server *s, const char *peer)
{
	int free_slot = -1, mine = 0, oldest_mine = -1, oldest = -1;
	for (int i = 0; i < MH_MAX_CLIENTS; i++) {
		struct mh_client *c = s->clients[i];
		if (!c) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (!idle(c))
			continue;
		if (!strcmp(c->peer, peer)) {
			mine++;
			if (oldest_mine < 0 || c->since_ns < s->clients[oldest_mine]->since_ns)
				oldest_mine = i;
		}
		if (oldest < 0 || c->since_ns < s->clients[oldest]->since_ns)
			oldest = i;
	}
	int victim = mine >= MH_MAX_PER_PEER ? oldest_mine : free_slot < 0 ? oldest : -1;
	if (victim >= 0) {
		s->dropped_idle++;
		client_free(s->clients[victim]);
		if (free_slot < 0)
			free_slot = victim;
	}
	return free_slot;
}

/* The value of header name in req (case-insensitive), copied to buf. */
static int header(const char *req, const char *name, char *buf, size_t n)
{
	size_t nl = strlen(name);
	for (const char *p = strchr(req, '\n'); p; p = strchr(p, '\n')) {
		p++;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1, *e = v + strcspn(v, "\r\n");
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(buf, n, "%.*s", (int)(e > v ? e - v : 0), v);
			return 0;
		}
	}
	return -ENOENT;
}

void mh_http_decide(const char *req, int *status, int *om, int *head)
{
	char method[16], target[1024], version[16], accept[1024];
	*om = *head = 0;
	if (sscanf(req, "%15[A-Z] %1023[^ \r\n] %15[^ \r\n]", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		*status = 400;
		return;
	}
	if (!header(req, "accept", accept, sizeof accept)) {
		for (char *p = accept; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		*om = strstr(accept, "application/openmetrics-text") != NULL;
	}
	*head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !*head) {
		*status = 405;
		return;
	}
	size_t pl = strcspn(target, "?");
	*status = pl == 8 && !strncmp(target, "/metrics", 8) ? 200 : 404;
}

static void respond(struct mh_client *cl)
{
	int status, om, head;
	char *body = NULL, hdr[512];
	size_t blen = 0;
	const char *ct = "text/plain; charset=utf-8", *reason = "OK", *extra = "";

	mh_http_decide(cl->in, &status, &om, &head);
	if (status == 200 && cl->s->fn(cl->s->arg, om, &body, &blen) < 0)
		status = 500;
	if (status == 200) {
		ct = om ? MH_CT_OPENMETRICS : MH_CT_TEXT;
	} else {
		static const struct { int st; const char *reason, *body; } msgs[] = {
			{ 400, "Bad Request", "bad request\n" },
			{ 404, "Not Found", "not found: the metrics are at /metrics\n" },
			{ 405, "Method Not Allowed", "only GET and HEAD\n" },
			{ 413, "Request Entity Too Large", "request too large\n" },
			{ 500, "Internal Server Error", "out of memory\n" },
		};
		for (size_t i = 0; i < sizeof msgs / sizeof *msgs; i++)
			if (msgs[i].st == status) {
				reason = msgs[i].reason;
				body = strdup(msgs[i].body);
				blen = body ? strlen(body) : 0;
			}
		if (status == 405)
			extra = "Allow: GET, HEAD\r\n";
	}
	int hl = snprintf(hdr, sizeof hdr,
			  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			  "Cache-Control: no-store\r\n%sConnection: close\r\n\r\n",
			  status, reason, ct, blen, extra);
	size_t total = (size_t)hl + (head ? 0 : blen);
	cl->out = malloc(total);
	if (cl->out) {
		memcpy(cl->out, hdr, (size_t)hl);
		if (!head && blen)
			memcpy(cl->out + hl, body, blen);
		cl->outlen = total;
	}
	free(body);
}

/* Write what is queued; 1 when all is sent, 0 to wait, -1 on error. */
static int client_flush(struct mh_client *cl)
{
	while (cl->outoff < cl->outlen) {
		ssize_t n = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		cl->outoff += (size_t)n;
	}
	return 1;
}

static void client_cb(void *arg, int fd, uint32_t events)
{
	struct mh_client *cl = arg;
	(void)fd;
	if (!cl->out && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		ssize_t n = recv(cl->fd, cl->in + cl->inlen, MH_MAX_REQUEST - cl->inlen, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_free(cl);
			return;
		}
		cl->inlen += (size_t)n;
		cl->in[cl->inlen] = 0;
		if (memchr(cl->in, 0, cl->inlen)) {
			client_free(cl); /* not text */
			return;
		}
		if (strstr(cl->in, "\r\n\r\n") || strstr(cl->in, "\n\n")) {
			respond(cl);
			if (cl->timer > 0) /* the request is in: the reply has the rest of its life */
				loop_timer_cancel(cl->s->loop, cl->timer);
			cl->timer = loop_timer_add(cl->s->loop, cl->since_ns + MH_CLIENT_NS,
						   client_timeout, cl);
		} else if (cl->inlen == MH_MAX_REQUEST) {
			static const char big[] = "HTTP/1.1 413 Request Entity Too Large\r\n"
						  "Content-Length: 0\r\nConnection: close\r\n\r\n";
			cl->out = strdup(big);
			cl->outlen = cl->out ? sizeof big - 1 : 0;
		} else {
			return;
		}
		if (!cl->out) {
			client_free(cl);
			return;
		}
	}
	if (!cl->out)
		return;
	int r = client_flush(cl);
	if (r == 0) {
		loop_mod_fd(cl->s->loop, cl->fd, EPOLLOUT);
		return;
	}
	if (r > 0)
		shutdown(cl->fd, SHUT_WR);
	client_free(cl);
}

static void accept_cb(void *arg, int fd, uint32_t events)
{
	struct mh_server *s = arg;
	(void)events;
	for (int budget = 0; budget < MH_MAX_CLIENTS; budget++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		char peer[64];
		peer_of(cfd, peer, sizeof peer);
		int slot = make_room(s, peer);
		struct mh_client *cl = slot < 0 ? NULL : calloc(1, sizeof *cl);
		if (!cl) {
			static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
						   "Content-Length: 0\r\nConnection: close\r\n\r\n";
			if (send(cfd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing more to do */
			}
			close(cfd);
			continue;
		}
		cl->s = s;
		cl->fd = cfd;
		cl->since_ns = vclock_mono_ns();
		snprintf(cl->peer, sizeof cl->peer, "%s", peer);
		/* the request must come soon; the reply may take the rest */
		cl->timer = loop_timer_add(s->loop, cl->since_ns + MH_REQUEST_NS, client_timeout, cl);
		if (cl->timer < 0 || loop_add_fd(s->loop, cfd, EPOLLIN, client_cb, cl) < 0) {
			if (cl->timer > 0)
				loop_timer_cancel(s->loop, cl->timer);
			close(cfd);
			free(cl);
			continue;
		}
		s->clients[slot] = cl;
	}
}

/* Split "HOST:PORT" / "[V6]:PORT" into host (may be "") and port. */
static int split_hostport(const char *spec, char *host, size_t hn, char *port, size_t pn)
{
	const char *colon;
	if (spec[0] == '[') {
		const char *e = strchr(spec, ']');
		if (!e || e[1] != ':')
			return -EINVAL;
		if ((size_t)(e - spec - 1) >= hn)
			return -EINVAL;
		snprintf(host, hn, "%.*s", (int)(e - spec - 1), spec + 1);
		colon = e + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= hn || memchr(spec, ':', (size_t)(colon - spec)))
			return -EINVAL;
		snprintf(host, hn, "%.*s", (int)(colon - spec), spec);
	}
	const char *p = colon + 1;
	uint64_t v;
	if (strlen(p) >= pn || parse_u64(p, &v) || v < 1 || v > 65535)
		return -EINVAL;
	snprintf(port, pn, "%s", p);
	return 0;
}

int mh_parse_addr(const char *spec, int *off)
{
	char host[256], port[8];
	*off = 0;
	if (!spec || !*spec)
		return -EINVAL;
	if (!strcmp(spec, "off")) {
		*off = 1;
		return 0;
	}
	if (!strncmp(spec, "unix:", 5)) {
		size_t n = strlen(spec + 5);
		return n && n < sizeof ((struct sockaddr_un *)0)->sun_path && spec[5] == '/' ? 0 : -EINVAL;
	}
	return split_hostport(spec, host, sizeof host, port, sizeof port);
}

static int listen_unix(const char *path, char *saved, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof sa.sun_path];
	struct stat st;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	snprintf(dir, sizeof dir, "%s", path);
	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		int t = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (t < 0)
			return -errno;
		int c = connect(t, (struct sockaddr *)&sa, sizeof sa);
		close(t);
		if (c == 0)
			return -EADDRINUSE;
		if (unlink(path) < 0)
			return -errno;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (chmod(path, 0666) < 0 || listen(fd, 64) < 0) {
		int r = -errno;
		unlink(path);
		close(fd);
		return r;
	}
	snprintf(saved, n, "%s", path);
	return fd;
}

static int listen_tcp(const char *spec)
{
	char host[256], port[8];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
	int r = split_hostport(spec, host, sizeof host, port, sizeof port);
	if (r < 0)
		return r;
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (r)
		return r == EAI_SYSTEM ? -errno : -EADDRNOTAVAIL;
	r = -EADDRNOTAVAIL;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1;
		if (fd < 0) {
			r = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 64) < 0) {
			r = -errno;
			close(fd);
			continue;
		}
		freeaddrinfo(ai);
		return fd;
	}
	freeaddrinfo(ai);
	return r;
}

struct mh_server *mh_server_open(struct loop *l, const char *spec, mh_render_fn fn,
				 void *arg, int *err)
{
	int off, r = mh_parse_addr(spec, &off);
	if (r < 0 || off) {
		*err = -EINVAL;
		return NULL;
	}
	struct mh_server *s = calloc(1, sizeof *s);
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->loop = l;
	s->fn = fn;
	s->arg = arg;
	s->fd = !strncmp(spec, "unix:", 5) ? listen_unix(spec + 5, s->path, sizeof s->path)
					   : listen_tcp(spec);
	if (s->fd < 0) {
		*err = s->fd;
		free(s);
		return NULL;
	}
	r = loop_add_fd(l, s->fd, EPOLLIN, accept_cb, s);
	if (r < 0) {
		if (s->path[0])
			unlink(s->path);
		close(s->fd);
		free(s);
		*err = r;
		return NULL;
	}
	return s;
}

void mh_server_close(struct mh_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < MH_MAX_CLIENTS; i++)
		if (s->clients[i])
			client_free(s->clients[i]);
	loop_del_fd(s->loop, s->fd);
	close(s->fd);
	if (s->path[0])
		unlink(s->path);
	free(s);
}
