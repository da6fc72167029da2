/* SPDX-License-Identifier: GPL-2.0-or-later */
/* undo: `vtune revert`, `vtune off` and `vtune-agent revert` undo the
 * journal's changes through the process holding the journal (vtune-hostd,
 * which reaches the guests, or vtune-agent run) whenever it is in use,
 * else in the journal itself; outcome as text or JSON (see undo.h). The
 * holder's side: undo_serve.c. */
#include "undo.h"
#include "ctl_client.h"
#include "textwrap.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the outcome ---- */

static json_object *outcome(const char *via, int dry)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "via", json_object_new_string(via));
	json_object_object_add(o, "dry_run", json_object_new_boolean(dry));
	static const char *const lists[] = { "lines", "confirmed", "pending", "damaged" };
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		json_object_object_add(o, lists[i], json_object_new_array());
	return o;
}

static json_object *list(json_object *o, const char *name)
{
	return json_object_object_get(o, name);
}

static void add(json_object *o, const char *name, const char *text)
{
	json_object_array_add(list(o, name), json_object_new_string(text));
}

static void fail(json_object *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(json_object *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
}

static void add_lines(json_object *o, char *text)
{
	for (char *cur = text, *line; cur && (line = strsep(&cur, "\n"));)
		if (*line)
			add(o, "lines", line);
}

static int count(json_object *o, const char *name)
{
	json_object *v = list(o, name);
	return v ? (int)json_object_array_length(v) : 0;
}

/* ---- through vtune-hostd ---- */

/* "vtune-hostd" or "vtune-agent": who answers at ctl, by its name. */
static const char *who(const char *ctl)
{
	const char *base = strrchr(ctl, '/');
	return strstr(base ? base : ctl, "agent") ? "vtune-agent" : "vtune-hostd";
}


/* The guests' reverts the daemon asked for: wait up to wait_s for their
 * acks; each goes to "confirmed" or "pending". */
static void wait_guests(const char *control, json_object *asked, double wait_s, json_object *o)
{
	size_t n = json_object_array_length(asked);
	json_object *reply = NULL, *items = NULL, *v;
	char err[256];
	for (int round = 0; n; round++) {
		json_object *req = json_object_new_object();
		json_object_object_add(req, "cmd", json_object_new_string("revert-wait"));
		json_object_object_add(req, "seqs", json_object_get(asked));
		json_object_put(reply);
		reply = NULL;
		int r = ctl_request(control, req, &reply, err, sizeof err);
		json_object_put(req);
		if (r) {
			fail(o, "%s", err);
			for (size_t i = 0; i < n; i++) {
				char what[64];
				snprintf(what, sizeof what, "record %lld: not known",
					 (long long)json_object_get_int64(json_object_array_get_idx(asked, i)));
				add(o, "pending", what);
			}
			return;
		}
		items = json_object_object_get_ex(reply, "items", &v) ? v : NULL;
		int pending = 0;
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			json_object *it = json_object_array_get_idx(items, i), *st;
			pending += json_object_object_get_ex(it, "state", &st) &&
				   !strcmp(json_object_get_string(st), "asked");
		}
		if (!pending || round * 0.2 >= wait_s)
			break;
		usleep(200000);
	}
	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		json_object *it = json_object_array_get_idx(items, i), *st, *what, *det;
		char line[2048];
		json_object_object_get_ex(it, "state", &st);
		json_object_object_get_ex(it, "what", &what);
		json_object_object_get_ex(it, "detail", &det);
		const char *d = det ? json_object_get_string(det) : "";
		if (st && !strcmp(json_object_get_string(st), "reverted")) {
			snprintf(line, sizeof line, "confirmed: %s reverted (%s)",
				 json_object_get_string(what), d);
			add(o, "confirmed", line);
		} else {
			snprintf(line, sizeof line, "pending: %s: the guest has not confirmed the "
				 "revert%s%s (vtune-hostd asks again when it reconnects)",
				 json_object_get_string(what), *d ? ": " : "", d);
			add(o, "pending", line);
		}
	}
	json_object_put(reply);
}

/* Ask the process at control; journal: the file it must hold (it refuses
 * otherwise), NULL when asked by --control (its own journal). */
static void via_daemon(const struct undo_opts *uo, const char *control, const char *journal,
		       const struct revert_sel *sel, json_object *o)
{
	json_object *req = json_object_new_object(), *reply = NULL, *v;
	char err[256];
	json_object_object_add(req, "cmd", json_object_new_string(uo->hostd_cmd));
	char abs[PATH_MAX];
	if (journal) /* the holder's working directory is not ours */
		json_object_object_add(req, "journal", json_object_new_string(
					       realpath(journal, abs) ? abs : journal));
	if (sel->by == REVERT_RULE)
		json_object_object_add(req, "rule", json_object_new_string(sel->rule));
	else if (sel->by == REVERT_SINCE)
		json_object_object_add(req, "since_ns", json_object_new_int64((int64_t)sel->since_ns));
	else
		json_object_object_add(req, "all", json_object_new_boolean(1));
	if (uo->dry)
		json_object_object_add(req, "dry_run", json_object_new_boolean(1));
	if (uo->force)
		json_object_object_add(req, "force", json_object_new_boolean(1));
	if (uo->extra) {
		json_object_object_foreach(uo->extra, k, x)
			json_object_object_add(req, k, json_object_get(x));
	}
	int r = ctl_request(control, req, &reply, err, sizeof err);
	json_object_put(req);
	if (r) {
		fail(o, "%s", err);
		return;
	}
	if (json_object_object_get_ex(reply, "by", &v) && json_object_is_type(v, json_type_string))
		json_object_object_add(o, "via", json_object_new_string(json_object_get_string(v)));
	if (json_object_object_get_ex(reply, "lines", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			add(o, "lines", json_object_get_string(json_object_array_get_idx(v, i)));
	if (!json_object_object_get_ex(reply, "ok", &v) || !json_object_get_boolean(v))
		fail(o, "%s: %s", who(control), json_object_object_get_ex(reply, "error", &v)
						     ? json_object_get_string(v) : "refused");
	int left = json_object_object_get_ex(reply, "not_restored", &v) ? json_object_get_int(v) : 0;
	json_object_object_add(o, "not_restored", json_object_new_int(left));
	if (json_object_object_get_ex(reply, "tuning", &v))
		json_object_object_add(o, "tuning", json_object_get(v));
	/* guests' reverts: done only when each guest confirms */
	if (!uo->dry && json_object_object_get_ex(reply, "asked", &v) &&
	    json_object_is_type(v, json_type_array) && json_object_array_length(v))
		wait_guests(control, v, uo->wait_s, o);
	/* damage the daemon found in its journal: never restorable */
	if (json_object_object_get_ex(reply, "damaged", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			add(o, "damaged", json_object_get_string(json_object_array_get_idx(v, i)));
	if (json_object_object_get_ex(reply, "damaged_count", &v))
		json_object_object_add(o, "damaged_count", json_object_new_int(json_object_get_int(v)));
	json_object_put(reply);
}

/* ---- in the journal itself ---- */

/* 1 done here; 0 the journal turned out to be held (by a daemon that
 * started meanwhile, or one in another PID namespace). */
static int local(const struct undo_opts *uo, const struct revert_sel *sel, json_object *o)
{
	int err = 0;
	if (access(uo->journal, F_OK) < 0 && errno == ENOENT) {
		char line[512];
		snprintf(line, sizeof line, "nothing to revert (no journal at %s)", uo->journal);
		add(o, "lines", line);
		return 1;
	}
	struct journal *j = uo->dry ? journal_open_ro(uo->journal, &err)
				    : journal_open(uo->journal, &err);
	if (!j && (err == -EWOULDBLOCK || err == -EAGAIN))
		return 0;
	if (!j) {
		fail(o, "%s: %s", uo->journal,
		     err == -EBADMSG ? "not a vtune journal (no header), or an old one with "
				       "damage: left untouched"
		     : err == -ELOOP ? "a symbolic link: refused" : strerror(-err));
		return 1;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = f ? journal_revert(j, uo->root, sel, uo->dry, uo->force, f, NULL, NULL) : -ENOMEM;
	if (f)
		fclose(f);
	add_lines(o, buf);
	free(buf);
	/* a torn last record is a crash while writing it (no change followed
	 * it): said, not an error; any other damage is */
	for (size_t i = 0; journal_damage(j, i); i++) {
		char line[256];
		snprintf(line, sizeof line, "%s: %s", uo->journal, journal_damage(j, i));
		add(o, "damaged", line);
	}
	json_object_object_add(o, "damaged_count", json_object_new_int((int)journal_damage_count(j)));
	journal_close(j);
	if (r < 0)
		fail(o, "journal %s: %s", uo->journal, strerror(-r));
	json_object_object_add(o, "not_restored", json_object_new_int(r < 0 ? 0 : r));
	return 1;
}

/* ---- which way ---- */

/* The socket of the process holding the journal: the default one, else
 * the alternative where the default is not there. */
static const char *holder(const struct undo_opts *uo)
{
	const char *d = uo->by_default ? uo->by_default : ctl_default_path();
	return access(d, F_OK) < 0 && uo->alt && access(uo->alt, F_OK) == 0 ? uo->alt : d;
}

json_object *undo_run(const struct undo_opts *uo, const struct revert_sel *sel)
{
	const char *ctl = uo->control;
	int in_use = 0;
	if (!ctl) {
		/* the journal held (vtune-hostd, vtune-agent run): the holder
		 * does the revert, the dry run too, so that both say the same */
		in_use = journal_in_use(uo->journal);
		if (in_use > 0 || (in_use < 0 && access(holder(uo), F_OK) == 0))
			ctl = holder(uo);
	}
	json_object *o = outcome(ctl ? who(ctl) : "journal", uo->dry);
	if (!o)
		return NULL;
	if (!ctl && local(uo, sel, o))
		goto counts;
	if (!ctl) { /* held after all */
		in_use = 1;
		ctl = holder(uo);
		json_object_object_add(o, "via", json_object_new_string(who(ctl)));
	}
	if (in_use && access(ctl, F_OK) < 0) {
		fail(o, "%s is in use by another process, and nothing answers at %s: "
		     "stop that process or give --control", uo->journal, ctl);
		goto counts;
	}
	via_daemon(uo, ctl, in_use ? uo->journal : NULL, sel, o);
counts:;
	json_object *c = json_object_new_object(), *v;
	json_object_object_add(c, "lines", json_object_new_int(count(o, "lines")));
	json_object_object_add(c, "not_restored", json_object_new_int(
				       json_object_object_get_ex(o, "not_restored", &v)
				       ? json_object_get_int(v) : 0));
	json_object_object_add(c, "confirmed", json_object_new_int(count(o, "confirmed")));
	json_object_object_add(c, "pending", json_object_new_int(count(o, "pending")));
	json_object_object_add(c, "damaged", json_object_new_int(
				       json_object_object_get_ex(o, "damaged_count", &v)
				       ? json_object_get_int(v) : 0));
	json_object_object_del(o, "not_restored");
	json_object_object_del(o, "damaged_count");
	json_object_object_add(o, "counts", c);
	return o;
}

static int num(json_object *o, const char *k)
{
	json_object *c, *v;
	return json_object_object_get_ex(o, "counts", &c) && json_object_object_get_ex(c, k, &v)
	       ? json_object_get_int(v) : 0;
}

int undo_print(const char *prog, json_object *o, int json)
{
	json_object *v;
	int ok = json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v);
	int status = !ok || num(o, "not_restored") || num(o, "pending") || num(o, "damaged");
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		return status;
	}
	static const char *const out[] = { "lines", "confirmed" };
	for (size_t k = 0; k < sizeof out / sizeof *out; k++)
		for (size_t i = 0; i < (size_t)count(o, out[k]); i++)
			text_wrap(stdout, 4, NULL,
				  json_object_get_string(json_object_array_get_idx(list(o, out[k]), i)));
	fflush(stdout);
	for (size_t i = 0; i < (size_t)count(o, "pending"); i++)
		fprintf(stderr, "%s: %s\n", prog,
			json_object_get_string(json_object_array_get_idx(list(o, "pending"), i)));
	for (size_t i = 0; i < (size_t)count(o, "damaged"); i++)
		fprintf(stderr, "%s: journal: %s\n", prog,
			json_object_get_string(json_object_array_get_idx(list(o, "damaged"), i)));
	if (num(o, "damaged"))
		fprintf(stderr, "%s: the journal has %d damaged record(s): what they recorded cannot "
			"be restored by vtune; check those knobs by hand\n", prog, num(o, "damaged"));
	if (!ok && json_object_object_get_ex(o, "error", &v))
		fprintf(stderr, "%s: %s\n", prog, json_object_get_string(v));
	return status;
}
