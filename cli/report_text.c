/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report_text: the text and JSON renderers of `vtune report`'s model: the
 * same content, as text for people (at most 100 columns, the capture's time,
 * why a value is n/a) and as structured JSON (no history). */
#include "report.h"
#include "textwrap.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define wrap text_wrap

static void lines(FILE *f, json_object *a, const char *head, const char *none)
{
	size_t n = a ? json_object_array_length(a) : 0;
	fprintf(f, "  %s%s\n", head, n ? ":" : none);
	for (size_t i = 0; i < n; i++)
		wrap(f, 6, "    -", rep_str(json_object_array_get_idx(a, i), "text"));
}

/* "2026-12-06 12:00:01 UTC (3 min ago)" for a capture time in seconds. */
static void captured(double t, char *b, size_t n)
{
	time_t s = (time_t)t, now = time(NULL);
	struct tm tm;
	char d[40];
	if (isnan(t) || t <= 0 || !gmtime_r(&s, &tm) || !strftime(d, sizeof d, "%Y-%m-%d %H:%M:%S UTC", &tm)) {
		snprintf(b, n, "n/a (the capture has no time)");
		return;
	}
	double ago = difftime(now, s);
	if (ago < 90)
		snprintf(b, n, "%s (%.0f s ago)", d, ago < 0 ? 0 : ago);
	else if (ago < 5400)
		snprintf(b, n, "%s (%.0f min ago)", d, ago / 60);
	else if (ago < 48 * 3600)
		snprintf(b, n, "%s (%.1f h ago)", d, ago / 3600);
	else
		snprintf(b, n, "%s (%.0f days ago)", d, ago / 86400);
}

/* Why a side's values are n/a, or NULL when none is. */
static const char *why_na(json_object *g, json_object *rows, const char *side, const char *backend,
			  char *b, size_t n)
{
	int any = 0;
	for (size_t k = 0; rows && k < json_object_array_length(rows); k++)
		if (strstr(rep_str(json_object_array_get_idx(rows, k), side), "n/a"))
			any = 1;
	if (!any)
		return NULL;
	json_object *m = rep_get(g, !strcmp(side, "guest") ? "guest_metrics" : "host_metrics");
	int empty = !m || !json_object_is_type(m, json_type_object) || !json_object_object_length(m);
	if (!strcmp(side, "guest"))
		snprintf(b, n, "%s", empty ? "no report from the guest's agent yet"
					  : "not in the agent's report (the kernel or the agent lacks it)");
	else
		snprintf(b, n, empty ? "the %s backend gives no host view of this guest"
				     : "not measured by the %s backend for this guest (no tap found, "
				       "or not this hypervisor)", *backend ? backend : "host");
	return b;
}

void rep_print_text(json_object *mo, FILE *f)
{
	json_object *hd = rep_get(mo, "hostd"), *guests = rep_get(mo, "guests");
	double iv = rep_num(hd, "interval_s");
	char when[96], ivb[32];
	if (isnan(iv))
		snprintf(ivb, sizeof ivb, "n/a");
	else
		snprintf(ivb, sizeof ivb, "%g s", iv);
	fprintf(f, "vtune-hostd %s: backend %s, interval %s%s\n", rep_str(hd, "version"),
		rep_str(hd, "backend"), ivb,
		rep_get(hd, "dry_run") && json_object_get_boolean(rep_get(hd, "dry_run")) ? ", dry run" : "");
	captured(rep_num(mo, "captured_at"), when, sizeof when);
	fprintf(f, "captured %s\n", when);
	size_t ng = guests ? json_object_array_length(guests) : 0;
	if (!ng)
		fprintf(f, "no guests\n");
	for (size_t i = 0; i < ng; i++) {
		json_object *g = json_object_array_get_idx(guests, i), *rows = rep_get(g, "side_by_side");
		json_object *c = rep_get(g, "connected"), *a = rep_get(g, "agent");
		double age = rep_num(g, "report_age_s");
		char agebuf[48] = "no report yet", why[160];
		if (!isnan(age))
			snprintf(agebuf, sizeof agebuf, "report %.1f s old", age);
		fprintf(f, "\nguest %s (%s%s%s): channel %s, %s\n", rep_str(g, "name"),
			rep_str(g, "hypervisor"), *rep_str(g, "tap") ? ", " : "", rep_str(g, "tap"),
			!(c && json_object_get_boolean(c)) ? "down" : a && json_object_get_boolean(a) ? "up" : "no agent",
			agebuf);
		/* one row per concept: the guest's view, then the host's below it */
		fprintf(f, "  %-19s GUEST VIEW, and HOST VIEW below it\n", "");
		for (size_t k = 0; rows && k < json_object_array_length(rows); k++) {
			json_object *r = json_object_array_get_idx(rows, k);
			char first[40];
			snprintf(first, sizeof first, "  %-13s guest", rep_str(r, "what"));
			wrap(f, 22, first, rep_str(r, "guest"));
			if (*rep_str(r, "host"))
				wrap(f, 22, "                host", rep_str(r, "host"));
		}
		const char *wg = why_na(g, rows, "guest", "", why, sizeof why);
		if (wg)
			wrap(f, 22, "  n/a           guest", wg);
		const char *wh = why_na(g, rows, "host", rep_str(hd, "backend"), why, sizeof why);
		if (wh)
			wrap(f, 22, "                host", wh);
		json_object *ls = rep_get(g, "listeners");
		for (size_t k = 0; ls && k < json_object_array_length(ls); k++)
			wrap(f, 16, k ? "" : "  listeners",
			     rep_str(json_object_array_get_idx(ls, k), "text"));
		json_object *d = rep_get(g, "diagnosis");
		for (size_t k = 0; d && k < json_object_array_length(d); k++) {
			json_object *x = json_object_array_get_idx(d, k);
			char first[40];
			int l = snprintf(first, sizeof first, "  diagnosis [%s]", rep_str(x, "side"));
			wrap(f, l + 1, first, rep_str(x, "text"));
		}
		lines(f, rep_get(g, "policies_did"), "policies did", ": nothing recorded");
		lines(f, rep_get(g, "policies_would"), "policies would do", ": nothing now");
		if (json_object_array_length(rep_get(g, "left_alone")))
			lines(f, rep_get(g, "left_alone"), "left alone", "");
		if (json_object_array_length(rep_get(g, "refused")))
			lines(f, rep_get(g, "refused"), "refused", "");
		if (json_object_array_length(rep_get(g, "not_served")))
			lines(f, rep_get(g, "not_served"), "its agent cannot be asked", "");
	}
}

void rep_print_json(json_object *mo, FILE *f)
{
	json_object *guests = rep_get(mo, "guests");
	json_object *out = json_object_new_object(), *arr = json_object_new_array();
	json_object_object_foreach(mo, k, v)
		if (strcmp(k, "guests"))
			json_object_object_add(out, k, json_object_get(v));
	for (size_t i = 0; guests && i < json_object_array_length(guests); i++) {
		json_object *g = json_object_array_get_idx(guests, i), *o = json_object_new_object();
		json_object_object_foreach(g, gk, gv)
			if (strcmp(gk, "history"))
				json_object_object_add(o, gk, json_object_get(gv));
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "guests", arr);
	fprintf(f, "%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
}
