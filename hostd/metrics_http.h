/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics_http: vtune-hostd's metrics for Prometheus: the exposition
 * renderer (OpenMetrics 1.0.0, or the classic text format 0.0.4) and
 * counters of rule firings and changes; metrics_serve.h serves it (included
 * here for the daemon). Names and labels are documented in docs/fleet.md:
 * a rename is a breaking change. */
#ifndef VTUNE_METRICS_HTTP_H
#define VTUNE_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "metrics.h"
#include "metrics_serve.h"

#define MH_MAX_SERIES 8192 /* firing + change counters kept */

/* One guest as the exporter shows it (pointers borrowed for one render). */
struct mh_guest {
	const char *name;
	const struct bk_guest *bk; /* uuid and <metadata> labels; may be NULL */
	int connected;		/* the channel is up */
	int up;			/* its latest report is fresh (within HOSTD_REPORT_MAX_AGE
				 * intervals): else its views' series are left out */
	double last_report_s;	/* wall time of the latest good report (epoch s), 0: none */
	uint64_t reports, bad_reports, dropped, invalid;
	const struct mvec *gm;	/* latest guest view, NULL before the first report */
	const struct mvec *hm;	/* latest host view, NULL before the first evaluation */
	const char *const *rules; /* the policy rules active for it (the diagnosis) */
	size_t nrules;
};

/* The host as the exporter shows it; any field may be NULL. */
struct mh_host {
	const char *hostname;	/* gethostname() */
	const char *hypervisor; /* backend name: "kvm", "xen", "sim" */
};

struct mh_counters;

/* Counters of rule firings and changes. NULL on no memory. */
struct mh_counters *mh_counters_new(void);
/* Render no guest-labelled counter series (guest names exposed only where
 * configured: vtune-hostd --metrics-guests). */
void mh_counters_hide_guests(struct mh_counters *c, int on);
void mh_counters_free(struct mh_counters *c);
/* Count one firing of rule for guest (a rule whose plan had changes); its
 * wall time (vclock) is vtune_rule_last_fired_timestamp_seconds. */
void mh_count_firing(struct mh_counters *c, const char *guest, const char *rule);
/* Count one change: side "guest" / "host", result "applied", "failed",
 * "unchanged", "dry_run". Past MH_MAX_SERIES distinct label sets a new one
 * is not counted (see mh_counters_dropped). NULL c is fine. */
void mh_count_change(struct mh_counters *c, const char *guest, const char *side,
		     const char *result);
/* Count a change a rule asked for and vtune refused, by action kind
 * ("bridge_nf", "offload", ...) and reason ("firewall", "isolation",
 * "migration", ...): vtune_changes_refused_total. */
void mh_count_refusal(struct mh_counters *c, const char *guest, const char *kind,
		      const char *reason);
/* Count a rule's changes rolled back by effect verification, reason
 * "no_effect", "accept_rate_fell" or "guard_fell" (another metric the rule
 * guards fell): vtune_changes_rolled_back_total. */
void mh_count_rollback(struct mh_counters *c, const char *guest, const char *rule,
		       const char *reason);
/* Count a journal write or sync that failed (vtune_journal_errors_total). */
void mh_count_journal_error(struct mh_counters *c);
/* Increments lost because the table was full. */
uint64_t mh_counters_dropped(const struct mh_counters *c);

/* How catalogue metric id is exported (Prometheus naming conventions). */
enum mh_kind {
	MH_GAUGE,    /* as is */
	MH_SHARE,    /* a percentage exported as a 0-1 ratio (value / 100) */
	MH_COUNTER,  /* a raw counter (unit MU_TOTAL) */
	MH_FALLBACK, /* a rate whose raw counter the guest did not send (agents
		      * before 0.2, xenstore reports trimmed to fit) */
};

/* The family name of catalogue metric id, and how it is exported:
 * "vtune_" + the name with every character outside [a-zA-Z0-9_] made '_',
 * + a unit suffix: shares "_ratio" (0-1), durations "_seconds", rates
 * "_per_second"; counters keep their "_total". A name ending in a suffix
 * the formats reserve (_count, ...) is renamed by a table (conntrack.count:
 * _entries) or gets "_value". buf n >= 96 is enough. */
enum mh_kind mh_family_name(int id, char *buf, size_t n);

/* The sample names hostd exports besides the catalogue's (mh_family_name),
 * NULL-terminated: what dashboards and rules may name. */
extern const char *const mh_fixed_names[];

/* The raw counter (MU_TOTAL) id of rate metric id, or -1. */
int mh_counter_of(int id);

/* Render the exposition: OpenMetrics (om != 0, ends with "# EOF") or the
 * classic text format. *out is a new NUL-terminated buffer (free it), *len
 * its length. host and c may be NULL (then no host info / counter families
 * are empty). 0 or -ENOMEM. */
int mh_render(const struct mh_host *host, const struct mh_guest *g, size_t ng,
	      const struct mh_counters *c, int om, char **out, size_t *len);

#endif
