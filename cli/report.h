/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report: `vtune report`: the guest view and the host view of each guest
 * side by side, with a diagnosis. One data model (a JSON object built from
 * hostd's {"cmd":"report"} reply or a saved capture), three renderers. */
#ifndef VTUNE_REPORT_H
#define VTUNE_REPORT_H

#include <stdio.h>

#include <json-c/json.h>

#define REP_DEFAULT_MINUTES 30

/* Diagnosis thresholds (report_diag.c). */
#define REP_DELAY_HIGH 10.0	/* % mean vCPU run delay: the host is contended */
#define REP_DELAY_MAX_HIGH 25.0	/* % run delay of the worst vCPU */
#define REP_STEAL_HIGH 10.0	/* % guest steal */
#define REP_OVERFLOW_MIN 1.0	/* /s listen overflows or drops worth a word */
#define REP_DROPS_MIN 1.0	/* /s drops worth a word */
#define REP_NEWCONN_MANY 1000.0	/* /s accepts: "many new connections" */
#define REP_HOT_SHARE 80.0	/* % of NET_RX on one CPU */
#define REP_HOT_IMBALANCE 1.6	/* hottest CPU / mean NET_RX */
#define REP_CPU_SATURATED 90.0	/* % busiest CPU */
#define REP_DOM0_SATURATED 80.0	/* % mean dom0 load */
#define REP_FILL_HIGH 80.0	/* % conntrack fill */

/* Small accessors on JSON objects: a member or NULL; a number or NAN; a
 * string or "". o may be NULL. */
json_object *rep_get(json_object *o, const char *k);
double rep_num(json_object *o, const char *k);
const char *rep_str(json_object *o, const char *k);

/* A rate as text: "0", "2.5", "1200" (no unit). */
const char *rep_fmt_rate(double v, char *buf, size_t n);

/* The model of a capture (the reply of {"cmd":"report"}, as --save writes
 * it): per guest the side-by-side rows, listeners, diagnosis, what the
 * policies did and would do, and the history of the last minutes (0: all).
 * guest (may be NULL) keeps only that guest. Returns a new object, or NULL
 * with the reason in err (not a capture, no such guest). */
json_object *rep_model(json_object *capture, const char *guest, int minutes,
		       char *err, size_t n);

/* The findings for one guest of a capture (its "guests" entry): appends
 * {"side":"host"|"guest"|"none","rule":ID,"text":LINE} objects to out, at
 * least one ("healthy" when nothing is wrong). Returns how many. */
int rep_diagnose(json_object *guest, json_object *out);

/* The renderers of a model. */
void rep_print_text(json_object *model, FILE *f);
void rep_print_json(json_object *model, FILE *f); /* without the history */
/* A self-contained page: the table, the diagnosis and, per guest, one
 * inline SVG chart per series group over the history. 0 or -EIO. */
int rep_print_html(json_object *model, FILE *f);

/* `vtune report ...`; the exit code. */
int cmd_report_main(int argc, char **argv);

#endif
