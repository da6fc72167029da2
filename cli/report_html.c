/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report_html: the HTML renderer of `vtune report`'s model: one
 * self-contained page (inline CSS and SVG, no scripts, fonts or network)
 * with the side-by-side table, the diagnosis and history charts per guest. */
#include "report.h"
#include "fmtnum.h"
#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#define CW 640 /* chart size, px (height: CH plus one legend row per series) */
#define CH 236
#define PL 56  /* plot area margins */
#define PR 56
#define PT 16
#define PB 60
#define LEGEND_ROW 15

struct group {
	const char *id, *title;
	const char *series[4];
	int dual; /* the first series on the left axis, the others on the right */
};

static const struct group groups_kvm[] = {
	{ "cpu", "guest steal vs host vCPU delay (%)", { "guest.cpu.steal", "host.vcpu.delay" }, 0 },
	{ "accept", "accepts/s (left) vs listen overflows/s (right)",
	  { "guest.tcp.passive_opens", "guest.tcp.listen_overflows" }, 1 },
	{ "drops", "drops per side (/s)",
	  { "guest.net.rx_drops", "host.tap.tx_drops", "guest.softnet.dropped", "host.softnet.dropped" }, 0 },
};

static const struct group groups_xen[] = {
	{ "cpu", "guest steal vs dom0 load (%): dom0 cannot see run delay; the guest's steal is the signal",
	  { "guest.cpu.steal", "host.dom0.busy" }, 0 },
	{ "accept", "accepts/s (left) vs listen overflows/s (right)",
	  { "guest.tcp.passive_opens", "guest.tcp.listen_overflows" }, 1 },
	{ "drops", "drops per side (/s)",
	  { "guest.net.rx_drops", "host.tap.tx_drops", "guest.softnet.dropped", "host.softnet.dropped" }, 0 },
};

static const char *const colors[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e" };

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static double at(json_object *a, size_t i)
{
	json_object *v = a && i < json_object_array_length(a) ? json_object_array_get_idx(a, i) : NULL;
	return v ? json_object_get_double(v) : NAN;
}

/* Wall-clock time of day, UTC: "12:00:05", or "12:00" when secs is 0. */
static void hhmmss(double t, char *b, size_t n, int secs)
{
	time_t s = (time_t)t;
	struct tm tm;
	if (isnan(t) || !gmtime_r(&s, &tm) || !strftime(b, n, secs ? "%H:%M:%S" : "%H:%M", &tm))
		snprintf(b, n, "n/a");
}

/* A span of seconds for people: "32 s", "4 min 10 s", "2.5 h". */
static void span(double sec, char *b, size_t n)
{
	if (sec < 120)
		snprintf(b, n, "%.0f s", sec);
	else if (sec < 3600)
		snprintf(b, n, "%.0f min %.0f s", floor(sec / 60), fmod(sec, 60));
	else
		snprintf(b, n, "%.1f h", sec / 3600);
}

/* A round step (1, 2 or 5 times a power of ten) giving at most n steps
 * up to max. */
static double nice_step(double max, int n)
{
	double raw = max / n, p = pow(10, floor(log10(raw))), m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* The biggest value of series [from, to), 0 when none. */
static double top(json_object *ser, const struct group *gr, int from, int to, size_t np)
{
	double mx = 0;
	for (int s = from; s < to && gr->series[s]; s++) {
		json_object *a = rep_get(ser, gr->series[s]);
		for (size_t i = 0; i < np; i++)
			if (at(a, i) > mx)
				mx = at(a, i);
	}
	return mx;
}

/* An axis from 0 to a round top: *step apart, *top = steps * step. */
static void axis(double max, double *top_, double *step)
{
	if (!(max > 0))
		max = 1;
	*step = nice_step(max, 4);
	*top_ = ceil(max / *step - 1e-9) * *step;
}

/* A series' name for people: "guest: steal time, all CPUs (%)". */
static void legend_name(const char *series, char *b, size_t n)
{
	int id = metric_lookup(series);
	const char *side = !strncmp(series, "host.", 5) ? "host" : "guest";
	if (id < 0) {
		snprintf(b, n, "%s: %s", side, series);
		return;
	}
	const char *u = metric_unit_str(metric_defs[id].unit);
	snprintf(b, n, "%s: %s%s%s%s", side, metric_defs[id].help, *u ? " (" : "", u, *u ? ")" : "");
}

static void chart(FILE *f, const char *guest, json_object *hist, json_object *did,
		  const struct group *gr)
{
	json_object *t = rep_get(hist, "t"), *ser = rep_get(hist, "series");
	size_t np = t ? json_object_array_length(t) : 0;
	int ns = 0;
	while (ns < 4 && gr->series[ns])
		ns++;
	double t0 = at(t, 0), t1 = at(t, np ? np - 1 : 0);
	double ymax[2], ystep[2];
	axis(top(ser, gr, 0, gr->dual ? 1 : ns, np), &ymax[0], &ystep[0]);
	axis(top(ser, gr, 1, ns, np), &ymax[1], &ystep[1]);
	double pw = CW - PL - PR, ph = CH - PT - PB;
	int height = CH + ns * LEGEND_ROW;
	char a[16], b[16], sp[32], lbl[32];

	fprintf(f, "<figure><figcaption>");
	esc(f, gr->title);
	if (np > 1) {
		span(t1 - t0, sp, sizeof sp);
		hhmmss(t0, a, sizeof a, 1);
		hhmmss(t1, b, sizeof b, 1);
		fprintf(f, "<br><span class=\"span\">%s of data, %s to %s UTC</span>", sp, a, b);
	}
	fprintf(f, "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"%s\" data-guest=\"",
		gr->id);
	esc(f, guest);
	fprintf(f, "\" data-series=\"");
	for (int s = 0; s < ns; s++)
		fprintf(f, "%s%s", s ? "," : "", gr->series[s]);
	fprintf(f, "\" data-points=\"%zu\" data-span=\"%.0f\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
		np, np > 1 ? t1 - t0 : 0, CW, height, CW, height);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#999\"/>\n",
		PL, PT, pw, ph);
	/* y: round ticks, 0 to a round top; the right axis (dual) in its colour */
	for (double v = 0; v <= ymax[0] + ystep[0] / 2; v += ystep[0]) {
		double y = PT + ph - ph * v / ymax[0];
		fprintf(f, "<line x1=\"%d\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
			   "<text class=\"ytick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">%s</text>\n",
			PL, PL + pw, y, y, PL - 4, y + 3, fmt_num(v, lbl, sizeof lbl));
	}
	if (gr->dual)
		for (double v = 0; v <= ymax[1] + ystep[1] / 2; v += ystep[1]) {
			double y = PT + ph - ph * v / ymax[1];
			fprintf(f, "<text class=\"ytick\" x=\"%.0f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\">%s</text>\n",
				PL + pw + 4, y + 3, colors[1], fmt_num(v, lbl, sizeof lbl));
		}
	/* x: time of day at round steps, and the axis' name */
	static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200 };
	double xs = steps[sizeof steps / sizeof steps[0] - 1];
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++)
		if (np > 1 && (t1 - t0) / steps[k] <= 6) {
			xs = steps[k];
			break;
		}
	if (np > 1 && t1 > t0)
		for (double v = ceil(t0 / xs) * xs; v <= t1 + 1e-6; v += xs) {
			double x = PL + pw * (v - t0) / (t1 - t0);
			hhmmss(v, a, sizeof a, xs < 60);
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%.0f\" stroke=\"#999\"/>"
				   "<text class=\"xtick\" x=\"%.1f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">%s</text>\n",
				x, x, PT + (int)ph, PT + ph + 4, x, PT + ph + 15, a);
		}
	fprintf(f, "<text class=\"xaxis\" x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
		PL + pw / 2, PT + ph + 30, np ? "time of day (UTC)" : "no data yet");
	/* where vtune changed something: the journal's changes in this span */
	int marks = 0;
	for (size_t k = 0; np > 1 && did && k < json_object_array_length(did); k++) {
		json_object *c = json_object_array_get_idx(did, k);
		double tc = rep_num(c, "time_s");
		if (isnan(tc) || tc < t0 || tc > t1 || t1 <= t0)
			continue;
		double x = PL + pw * (tc - t0) / (t1 - t0);
		fprintf(f, "<g class=\"change\"><title>");
		esc(f, rep_str(c, "text"));
		fprintf(f, "</title><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%.0f\" stroke=\"#555\" "
			   "stroke-dasharray=\"4 3\"/><path d=\"M%.1f %d l-4 -7 h8 z\" fill=\"#555\"/></g>\n",
			x, x, PT, PT + ph, x, PT);
		marks++;
	}
	for (int s = 0; s < ns; s++) {
		json_object *v = rep_get(ser, gr->series[s]);
		double ym = ymax[gr->dual && s > 0];
		size_t known = 0;
		int open = 0;
		for (size_t i = 0; i < np; i++) {
			double x = np > 1 && t1 > t0 ? PL + pw * (at(t, i) - t0) / (t1 - t0) : PL + pw / 2;
			double y = at(v, i);
			if (isnan(y)) {
				if (open)
					fputs("\"/>\n", f);
				open = 0;
				continue;
			}
			known++;
			y = PT + ph - ph * fmin(y, ym) / ym;
			int alone = (i == 0 || isnan(at(v, i - 1))) && (i + 1 >= np || isnan(at(v, i + 1)));
			if (alone) {
				fprintf(f, "<circle data-name=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"/>\n",
					gr->series[s], x, y, colors[s]);
				continue;
			}
			if (!open)
				fprintf(f, "<polyline data-name=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
					gr->series[s], colors[s]);
			fprintf(f, "%s%.1f,%.1f", open ? " " : "", x, y);
			open = 1;
		}
		if (open)
			fputs("\"/>\n", f);
		/* legend: one row per series, in words, with its axis */
		char name[160];
		legend_name(gr->series[s], name, sizeof name);
		int ly = CH + s * LEGEND_ROW - 6;
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
			   "<text class=\"legend\" x=\"%d\" y=\"%d\" font-size=\"11\" data-series=\"%s\" data-known=\"%zu\">",
			PL, ly - 9, colors[s], PL + 14, ly, gr->series[s], known);
		esc(f, name);
		if (gr->dual)
			fputs(s ? " \xe2\x80\x94 right axis" : " \xe2\x80\x94 left axis", f);
		if (!known)
			fputs(" \xe2\x80\x94 no data", f);
		fputs("</text>\n", f);
	}
	if (marks)
		fprintf(f, "<text class=\"marks\" x=\"%.0f\" y=\"%d\" font-size=\"10\" text-anchor=\"end\" "
			   "data-marks=\"%d\">\xe2\x96\xbc dashed: a change by vtune (%d)</text>\n",
			PL + pw, CH - 6, marks, marks);
	fputs("</svg></figure>\n", f);
}

static void list(FILE *f, json_object *a, const char *cls, const char *head, const char *none)
{
	size_t n = a ? json_object_array_length(a) : 0;
	fprintf(f, "<h3>%s</h3>\n", head);
	if (!n) {
		fprintf(f, "<p class=\"none\">%s</p>\n", none);
		return;
	}
	fprintf(f, "<ul class=\"%s\">\n", cls);
	for (size_t i = 0; i < n; i++) {
		fputs("<li>", f);
		esc(f, rep_str(json_object_array_get_idx(a, i), "text"));
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
}

int rep_print_html(json_object *mo, FILE *f)
{
	json_object *hd = rep_get(mo, "hostd"), *guests = rep_get(mo, "guests");
	char when[64] = "n/a (the capture has no time)", sp[32];
	double cap = rep_num(mo, "captured_at");
	if (!isnan(cap)) {
		time_t s = (time_t)cap;
		struct tm tm;
		if (gmtime_r(&s, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
	}
	/* the span the history really covers, which may be less than asked */
	double lo = NAN, hi = NAN;
	for (size_t i = 0; guests && i < json_object_array_length(guests); i++) {
		json_object *t = rep_get(rep_get(json_object_array_get_idx(guests, i), "history"), "t");
		size_t n = t ? json_object_array_length(t) : 0;
		if (n && !(at(t, 0) >= lo))
			lo = at(t, 0);
		if (n && !(at(t, n - 1) <= hi))
			hi = at(t, n - 1);
	}
	if (isnan(lo) || !(hi > lo))
		snprintf(sp, sizeof sp, "none yet");
	else
		span(hi - lo, sp, sizeof sp);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<title>vtune report</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:1em 2em;color:#222}\n"
	      "table.side{border-collapse:collapse;margin:.5em 0}\n"
	      "table.side td,table.side th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:13px}\n"
	      "table.side th{background:#eee}\n"
	      "ul.diagnosis li{margin:2px 0} li.host{color:#a00} li.guest{color:#05a} li.none{color:#070}\n"
	      "figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top}\n"
	      "figcaption{font-size:13px;font-weight:bold} span.span{font-weight:normal;color:#555}\n"
	      "section.guest{border-top:2px solid #888;margin-top:1.5em}\n"
	      "</style></head><body>\n<h1>vtune report</h1>\n<p>", f);
	fputs("vtune-hostd ", f);
	esc(f, rep_str(hd, "version"));
	fputs(", backend ", f);
	esc(f, rep_str(hd, "backend"));
	fprintf(f, ", captured %s; history: <span class=\"history\">%s of data</span> "
		   "(at most the last %.0f minutes)</p>\n", when, sp, rep_num(mo, "history_minutes"));
	size_t ng = guests ? json_object_array_length(guests) : 0;
	if (!ng)
		fputs("<p>no guests</p>\n", f);
	for (size_t i = 0; i < ng; i++) {
		json_object *g = json_object_array_get_idx(guests, i), *rows = rep_get(g, "side_by_side");
		const char *name = rep_str(g, "name");
		fputs("<section class=\"guest\" data-guest=\"", f);
		esc(f, name);
		fputs("\">\n<h2>guest ", f);
		esc(f, name);
		fputs(" (", f);
		esc(f, rep_str(g, "hypervisor"));
		fputs(")</h2>\n<table class=\"side\"><tr><th></th><th>guest view</th><th>host view</th></tr>\n", f);
		for (size_t k = 0; rows && k < json_object_array_length(rows); k++) {
			json_object *r = json_object_array_get_idx(rows, k);
			fputs("<tr><th>", f);
			esc(f, rep_str(r, "what"));
			fputs("</th><td>", f);
			esc(f, rep_str(r, "guest"));
			fputs("</td><td>", f);
			esc(f, rep_str(r, "host"));
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
		list(f, rep_get(g, "listeners"), "listeners", "listeners", "none reported");
		json_object *d = rep_get(g, "diagnosis");
		fputs("<h3>diagnosis</h3>\n<ul class=\"diagnosis\">\n", f);
		for (size_t k = 0; d && k < json_object_array_length(d); k++) {
			json_object *x = json_object_array_get_idx(d, k);
			fputs("<li class=\"", f);
			esc(f, rep_str(x, "side"));
			fputs("\" data-rule=\"", f);
			esc(f, rep_str(x, "rule"));
			fputs("\">[", f);
			esc(f, rep_str(x, "side"));
			fputs("] ", f);
			esc(f, rep_str(x, "text"));
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
		list(f, rep_get(g, "policies_did"), "did", "policies did", "nothing recorded");
		list(f, rep_get(g, "policies_would"), "would", "policies would do", "nothing now");
		if (json_object_array_length(rep_get(g, "left_alone")))
			list(f, rep_get(g, "left_alone"), "alone", "left alone: changed by someone else", "");
		if (json_object_array_length(rep_get(g, "not_served")))
			list(f, rep_get(g, "not_served"), "unserved", "its agent cannot be asked", "");
		int xen = !strcmp(rep_str(g, "hypervisor"), "xen");
		const struct group *gr = xen ? groups_xen : groups_kvm;
		fputs("<div class=\"charts\">\n", f);
		for (size_t k = 0; k < sizeof groups_kvm / sizeof groups_kvm[0]; k++)
			chart(f, name, rep_get(g, "history"), rep_get(g, "policies_did"), &gr[k]);
		fputs("</div>\n</section>\n", f);
	}
	fputs("</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
