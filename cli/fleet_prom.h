/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fleet_prom: `vtune fleet`'s model of a fleet, built from Prometheus HTTP
 * API answers (/api/v1/query, instant vectors): the PromQL it asks, the
 * strict reading of each answer, the join per guest, the ranking by accepts
 * lost to host causes, and the text and JSON output. No I/O: fleet.c fetches. */
#ifndef VTUNE_FLEET_PROM_H
#define VTUNE_FLEET_PROM_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

/* The queries, in the order they are asked. */
enum fleet_q {
	FQ_UP,	     /* vtune_guest_up: every guest hostd knows */
	FQ_INFO,     /* vtune_guest_info: its labels */
	FQ_HOST,     /* vtune_host_info: each host's name */
	FQ_ACCEPTS,  /* accepts/s over the window */
	FQ_LOST,     /* lost accepts/s (ListenDrops + TCPReqQFullDrop) */
	FQ_WAIT,     /* host wait ratio: max(steal, vCPU delay) over the window */
	FQ_RULES,    /* vtune_rule_active: hostd's diagnosis */
	FQ_FIRINGS,  /* rule firings in the window */
	FQ_LAST,     /* each rule's last firing time */
	FQ_CHANGES,  /* changes in the window by result */
	FQ_ROLLBACK, /* rollbacks in the window */
	FQ_DOWN,     /* hostd targets Prometheus cannot scrape */
	FQ_COUNT
};

#define FLEET_MAX_CAUSES 8
#define FLEET_MAX_ACTIONS 8

struct fleet_action {
	char rule[64];
	double firings, last_s; /* in the window; wall time of the last one (0: unknown) */
};

struct fleet_guest {
	char instance[128], guest[128], hostname[128];
	char uuid[48], hypervisor[16], nova_instance[48], nova_project[48], nova_project_name[64];
	char kubevirt_namespace[64], kubevirt_vmi[64];
	int up;					/* a fresh report (vtune_guest_up) */
	double accepts, lost, wait, lost_host;	/* NAN: unknown */
	char causes[FLEET_MAX_CAUSES][64];
	int ncauses;
	struct fleet_action actions[FLEET_MAX_ACTIONS];
	int nactions;
	double applied, failed, other_changes, rollbacks;
};

struct fleet {
	char since[16];
	double now_s; /* evaluation time of the answers */
	struct fleet_guest *g;
	size_t n, cap;
	char down[32][128]; /* instances of hostd targets that are down */
	int ndown;
};

/* Check a Prometheus duration ("30s", "5m", "1h", "2d", "1w"; one unit)
 * of at least 10 s; its seconds in *secs. 0 or -EINVAL. */
int fleet_parse_duration(const char *s, double *secs);

/* The PromQL of query q over window since (a checked duration). */
void fleet_query(enum fleet_q q, const char *since, char *buf, size_t n);

void fleet_init(struct fleet *f, const char *since);
void fleet_free(struct fleet *f);

/* Read one /api/v1/query answer body (len bytes) for query q into f.
 *  0: taken;
 *  -EPROTO: not a Prometheus API answer (not JSON, no "status", or a
 *           "success" without an instant vector);
 *  -EINVAL: Prometheus answered "error" (why gets its errorType: error);
 *  -ENOMEM. */
int fleet_take(struct fleet *f, enum fleet_q q, const char *body, size_t len,
	       char *why, size_t n);

/* Compute the lost-to-host estimate (min(L, A*h/(1-h)), h capped at 0.9),
 * sort each guest's causes by name, and sort the guests: lost to host causes, then lost, then accepts, all descending;
 * guests that are not up last. */
void fleet_rank(struct fleet *f);

/* The ranked table, the top N (0: all), lines of at most 100 columns. */
void fleet_print(const struct fleet *f, size_t top, FILE *out);
/* The same as JSON (a new object). */
json_object *fleet_json(const struct fleet *f, size_t top);

#endif
