/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostd: the vtune-hostd daemon: ties the backend (guests and the host
 * view), the guest channels, the policy engine, the journal, host-side
 * executors and the control socket together on one event loop. */
#ifndef VTUNE_HOSTD_H
#define VTUNE_HOSTD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "backend_table.h"
#include "engine.h"
#include "journal.h"

#define HOSTD_JOURNAL_DEFAULT "/var/lib/vtune/host-journal"
#define HOSTD_CONTROL_DEFAULT "/run/vtune/hostd.sock"
#define HOSTD_MAX_GUESTS 16384 /* a sanity bound, far above any real host */
#define HOSTD_BATCH_MS 20 /* under load one wake per 20 ms serves many guests (loop_set_batch) */
#define HOSTD_REPORT_MAX_AGE 3 /* intervals: older reports are not evaluated */

struct hostd_opts {
	const char *backend; /* "kvm", "sim" */
	const char *uri;     /* NULL: the backend's default */
	const char *policy, *journal, *control;
	const char *root;    /* root prefix for host /proc and /sys ("/") */
	const char *metrics; /* Prometheus listener (metrics_http.h): NULL / "off": none */
	int metrics_optional; /* metrics is the default: failing to listen only warns */
	int metrics_guests;  /* per-guest series (guest names and views) on the endpoint */
	double interval_s;   /* evaluation interval */
	unsigned protocol_max; /* newest protocol offered to agents (0: this build's) */
	int dry_run;
	int verbose;
};

struct hostd;

/* Check the options and load the policy, refusing any action the backend
 * cannot carry out under vtune-hostd; nothing is opened or changed.
 * Problems (policy file:line:col lines included) go to err. 0 or -EINVAL. */
int hostd_check_config(const struct hostd_opts *o, FILE *err);

/* Start the daemon: load the policy, open the journal (read-only in a dry
 * run), the backend, the control socket, list the guests and connect to
 * their channels. NULL with -errno in *err and a reason in why. */
struct hostd *hostd_new(const struct hostd_opts *o, int *err, char *why, size_t n);
/* Run until SIGTERM / SIGINT (SIGHUP reloads the policy). 0 or -errno. */
/* Make the signalfd again in a process forked after hostd_new (privilege
 * separation): the inherited one would not wake the child's loop. */
int hostd_renew_signalfd(struct hostd *h);
int hostd_run(struct hostd *h);
/* Reload the policy file: a broken one is refused and the old one kept.
 * 0 or -EINVAL. */
int hostd_reload(struct hostd *h);
/* The same away from the loop (SIGHUP): the file is read and checked in a
 * thread while reports and control requests go on; the set is swapped in
 * on the loop when it is done. 0 (started), -EBUSY or -errno. */
int hostd_reload_async(struct hostd *h);
/* Evaluate every guest with a recent report now (what the interval timer
 * does). For tests. */
void hostd_step(struct hostd *h, uint64_t now_ns);
/* The journal hostd opened (NULL in a dry run without one): privilege
 * separation hands its writing to the privileged process. */
struct journal *hostd_journal(struct hostd *h);
/* Close everything (the control socket is unlinked). NULL is fine. */
void hostd_free(struct hostd *h);

/* Control requests (also used by tests): each returns a new JSON object. */
json_object *hostd_status_json(struct hostd *h, uint64_t now_ns);
json_object *hostd_dry_plan_json(struct hostd *h, uint64_t now_ns);
json_object *hostd_handle_request(void *hostd, json_object *req);

#endif
