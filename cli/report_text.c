/* report_text: the text and JSON renderers of `vtune report`'s model: the
 * same content, as a table for people and as structured JSON (no history). */
#include "report.h"

#include <math.h>
#include <string.h>

static void lines(FILE *f, json_object *a, const char *head, const char *none)
{
	size_t n = a ? json_object_array_length(a) : 0;
	fprintf(f, "  %s%s\n", head, n ? ":" : none);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "    %s\n", rep_str(json_object_array_get_idx(a, i), "text"));
}

void rep_print_text(json_object *mo, FILE *f)
{
	json_object *hd = rep_get(mo, "hostd"), *guests = rep_get(mo, "guests");
	double iv = rep_num(hd, "interval_s");
	fprintf(f, "vtune-hostd %s: backend %s, interval %gs%s\n", rep_str(hd, "version"),
		rep_str(hd, "backend"), isnan(iv) ? 0 : iv,
		rep_get(hd, "dry_run") && json_object_get_boolean(rep_get(hd, "dry_run")) ? ", dry run" : "");
	size_t ng = guests ? json_object_array_length(guests) : 0;
	if (!ng)
		fprintf(f, "no guests\n");
	for (size_t i = 0; i < ng; i++) {
		json_object *g = json_object_array_get_idx(guests, i), *rows = rep_get(g, "side_by_side");
		json_object *c = rep_get(g, "connected"), *a = rep_get(g, "agent");
		double age = rep_num(g, "report_age_s");
		char agebuf[48] = "no report";
		if (!isnan(age))
			snprintf(agebuf, sizeof agebuf, "report %.1fs ago", age);
		fprintf(f, "\nguest %s (%s%s%s): channel %s, %s\n", rep_str(g, "name"),
			rep_str(g, "hypervisor"), *rep_str(g, "tap") ? ", " : "", rep_str(g, "tap"),
			!(c && json_object_get_boolean(c)) ? "down" : a && json_object_get_boolean(a) ? "up" : "no agent",
			agebuf);
		fprintf(f, "  %-13s %-62s %s\n", "", "GUEST VIEW", "HOST VIEW");
		for (size_t k = 0; rows && k < json_object_array_length(rows); k++) {
			json_object *r = json_object_array_get_idx(rows, k);
			fprintf(f, "  %-13s %-62s %s\n", rep_str(r, "what"), rep_str(r, "guest"),
				rep_str(r, "host"));
		}
		json_object *ls = rep_get(g, "listeners");
		for (size_t k = 0; ls && k < json_object_array_length(ls); k++)
			fprintf(f, "  %-13s %s\n", k ? "" : "listeners",
				rep_str(json_object_array_get_idx(ls, k), "text"));
		json_object *d = rep_get(g, "diagnosis");
		for (size_t k = 0; d && k < json_object_array_length(d); k++) {
			json_object *x = json_object_array_get_idx(d, k);
			fprintf(f, "  diagnosis [%s] %s\n", rep_str(x, "side"), rep_str(x, "text"));
		}
		lines(f, rep_get(g, "policies_did"), "policies did", ": nothing recorded");
		lines(f, rep_get(g, "policies_would"), "policies would do", ": nothing now");
		if (json_object_array_length(rep_get(g, "verified")))
			lines(f, rep_get(g, "verified"), "effect of the changes", "");
		if (json_object_array_length(rep_get(g, "left_alone")))
			lines(f, rep_get(g, "left_alone"), "left alone", "");
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
