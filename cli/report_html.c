/* report_html: the HTML renderer of `vtune report`'s model: one
 * self-contained page (inline CSS and SVG, no scripts, fonts or network)
 * with the side-by-side table, the diagnosis and history charts per guest. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#define CW 640 /* chart size, px */
#define CH 220
#define PL 56  /* plot area margins */
#define PR 56
#define PT 16
#define PB 44

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

static void hhmmss(double t, char *b, size_t n)
{
	time_t s = (time_t)t;
	struct tm tm;
	if (isnan(t) || !localtime_r(&s, &tm) || !strftime(b, n, "%H:%M:%S", &tm))
		snprintf(b, n, "?");
}

static double top(json_object *ser, const struct group *gr, int from, int to, size_t np)
{
	double mx = 0;
	for (int s = from; s < to && gr->series[s]; s++) {
		json_object *a = rep_get(ser, gr->series[s]);
		for (size_t i = 0; i < np; i++)
			if (at(a, i) > mx)
				mx = at(a, i);
	}
	return mx > 0 ? mx * 1.1 : 1;
}

static void chart(FILE *f, const char *guest, json_object *hist, const struct group *gr)
{
	json_object *t = rep_get(hist, "t"), *ser = rep_get(hist, "series");
	size_t np = t ? json_object_array_length(t) : 0;
	int ns = 0;
	while (ns < 4 && gr->series[ns])
		ns++;
	double t0 = at(t, 0), t1 = at(t, np ? np - 1 : 0);
	double ymax[2] = { top(ser, gr, 0, gr->dual ? 1 : ns, np), top(ser, gr, 1, ns, np) };
	double pw = CW - PL - PR, ph = CH - PT - PB;
	char a[16], b[16];

	fprintf(f, "<figure><figcaption>");
	esc(f, gr->title);
	fprintf(f, "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"%s\" data-guest=\"",
		gr->id);
	esc(f, guest);
	fprintf(f, "\" data-series=\"");
	for (int s = 0; s < ns; s++)
		fprintf(f, "%s%s", s ? "," : "", gr->series[s]);
	fprintf(f, "\" data-points=\"%zu\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", np, CW,
		CH, CW, CH);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#999\"/>\n",
		PL, PT, pw, ph);
	for (int k = 0; k <= 4; k++) { /* grid and left axis labels */
		double y = PT + ph - ph * k / 4.0;
		fprintf(f, "<line x1=\"%d\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">%.4g</text>\n",
			PL, PL + pw, y, y, PL - 4, y + 3, ymax[0] * k / 4.0);
		if (gr->dual)
			fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\">%.4g</text>\n",
				PL + pw + 4, y + 3, colors[1], ymax[1] * k / 4.0);
	}
	hhmmss(t0, a, sizeof a);
	hhmmss(t1, b, sizeof b);
	fprintf(f, "<text x=\"%d\" y=\"%.0f\" font-size=\"10\">%s</text>"
		   "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"end\">%s</text>\n",
		PL, PT + ph + 14, np ? a : "no data", PL + pw, PT + ph + 14, np ? b : "");
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
		/* legend */
		double lx = PL + (pw / ns) * s;
		fprintf(f, "<rect x=\"%.0f\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
			   "<text x=\"%.0f\" y=\"%d\" font-size=\"10\" data-known=\"%zu\">%s</text>\n",
			lx, CH - 14, colors[s], lx + 14, CH - 5, known, gr->series[s]);
	}
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
	char when[64] = "?";
	double cap = rep_num(mo, "captured_at");
	if (!isnan(cap)) {
		time_t s = (time_t)cap;
		struct tm tm;
		if (localtime_r(&s, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", &tm);
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<title>vtune report</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:1em 2em;color:#222}\n"
	      "table.side{border-collapse:collapse;margin:.5em 0}\n"
	      "table.side td,table.side th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:13px}\n"
	      "table.side th{background:#eee}\n"
	      "ul.diagnosis li{margin:2px 0} li.host{color:#a00} li.guest{color:#05a} li.none{color:#070}\n"
	      "figure{display:inline-block;margin:.5em 1em .5em 0} figcaption{font-size:13px;font-weight:bold}\n"
	      "section.guest{border-top:2px solid #888;margin-top:1.5em}\n"
	      "</style></head><body>\n<h1>vtune report</h1>\n<p>", f);
	fputs("vtune-hostd ", f);
	esc(f, rep_str(hd, "version"));
	fputs(", backend ", f);
	esc(f, rep_str(hd, "backend"));
	fprintf(f, ", captured %s, history: last %.0f minutes</p>\n", when,
		rep_num(mo, "history_minutes"));
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
		if (json_object_array_length(rep_get(g, "verified")))
			list(f, rep_get(g, "verified"), "verified", "effect of the changes", "");
		if (json_object_array_length(rep_get(g, "left_alone")))
			list(f, rep_get(g, "left_alone"), "alone", "left alone: changed by someone else", "");
		if (json_object_array_length(rep_get(g, "not_served")))
			list(f, rep_get(g, "not_served"), "unserved", "its agent cannot be asked", "");
		int xen = !strcmp(rep_str(g, "hypervisor"), "xen");
		const struct group *gr = xen ? groups_xen : groups_kvm;
		fputs("<div class=\"charts\">\n", f);
		for (size_t k = 0; k < sizeof groups_kvm / sizeof groups_kvm[0]; k++)
			chart(f, name, rep_get(g, "history"), &gr[k]);
		fputs("</div>\n</section>\n", f);
	}
	fputs("</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
