/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tuning: vtune-hostd's side of `vtune off` / `vtune on`, the pending
 * guest reverts `vtune status` shows, and `vtune verify`'s guest knobs
 * (see tuning.h). */
#include "tuning.h"
#include "jverify.h"
#include "log.h"
#include "metrics.h"
#include "offstate.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tuning_load(struct tuning *t, const char *journal)
{
	char path[PATH_MAX];
	uint64_t since = 0;
	int r = offstate_path(journal, path, sizeof path);
	if (!r)
		r = offstate_read(path, &since);
	t->off = r != 0;
	t->since_s = since;
	if (r < 0)
		log_err("%s%s: %s: tuning stays off until `vtune on`", journal, OFFSTATE_SUFFIX,
			strerror(-r));
	else if (r)
		log_info("tuning off since %llu (vtune off): no rule fires until `vtune on`",
			 (unsigned long long)since);
}

json_object *tuning_json(const struct tuning *t)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "off", json_object_new_boolean(t->off));
	json_object_object_add(o, "since_s", json_object_new_int64((int64_t)t->since_s));
	return o;
}

static struct guest *find(struct guest *const *gs, size_t ng, const char *name)
{
	for (size_t i = 0; i < ng; i++)
		if (!strcmp(gs[i]->bk.name, name))
			return gs[i];
	return NULL;
}

json_object *tuning_pending_json(const struct journal *j, struct guest *const *gs, size_t ng)
{
	json_object *a = json_object_new_array();
	size_t n = j ? journal_count(j) : 0;
	for (size_t i = 0; i < n; i++) {
		const struct jrec *r = journal_record(j, i);
		const char *st = journal_state(j, r->seq), *detail = "";
		if (strcmp(r->op, "set") || !st || strcmp(st, "asked"))
			continue;
		for (size_t k = n; k-- > i;) { /* its newest mark */
			const struct jrec *m = journal_record(j, k);
			if (m->ref == r->seq) {
				detail = m->detail;
				break;
			}
		}
		char what[512];
		journal_label(r, what, sizeof what);
		const struct guest *g = find(gs, ng, r->domain);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "seq", json_object_new_int64(r->seq));
		json_object_object_add(o, "guest", json_object_new_string(r->domain));
		json_object_object_add(o, "what", json_object_new_string(what));
		json_object_object_add(o, "rule", json_object_new_string(r->rule));
		json_object_object_add(o, "detail", json_object_new_string(detail));
		json_object_object_add(o, "connected",
				       json_object_new_boolean(g && g->fd >= 0 && g->hello_seen));
		json_object_array_add(a, o);
	}
	return a;
}

struct verify_ctx {
	struct guest *const *gs;
	size_t ng;
	uint64_t now_ns;
};

/* jv_guest_fn: a guest sysctl as its latest report gives it (catalogue
 * sysctls only; a value learnt from an ack is no reading). */
static int report_value(void *arg, const struct jrec *rec, char *now, size_t n, char *how,
			size_t hn)
{
	const struct verify_ctx *c = arg;
	const struct guest *g = find(c->gs, c->ng, rec->domain);
	int id = strcmp(rec->kind, "sysctl") ? -1 : metric_by_sysctl(rec->key);
	if (!g || !g->have_report || id < 0 || !mvec_has(&g->gm, id) || mvec_get(&g->gm, id) < 0)
		return -ENOENT;
	snprintf(now, n, "%.0f", mvec_get(&g->gm, id));
	double age = c->now_ns > g->last_report_ns ? (double)(c->now_ns - g->last_report_ns) / 1e9
						   : 0;
	snprintf(how, hn, "as the guest reported it %.1f s ago", age);
	return 0;
}

json_object *tuning_verify_json(const struct journal *j, const char *root,
				struct guest *const *gs, size_t ng, uint64_t now_ns)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct verify_ctx c = { gs, ng, now_ns };
	struct jv_item *it = NULL;
	size_t n = 0;
	int r = j ? jv_check(j, root, report_value, &c, &it, &n) : 0;
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, jv_json(&it[i]));
	free(it);
	json_object_object_add(o, "ok", json_object_new_boolean(r == 0));
	if (r)
		json_object_object_add(o, "error", json_object_new_string(strerror(-r)));
	json_object_object_add(o, "items", a);
	return o;
}

void tuning_resume(struct pol_engine *e, struct guest *const *gs, size_t ng)
{
	for (size_t i = 0; e && i < ng; i++) {
		const char *name = gs[i]->bk.name, *id, *val;
		char *keep[64][2];
		size_t nk = 0;
		for (size_t k = 0; nk < 64 && pol_engine_unmanaged(e, name, k, &id, &val) == 0; k++) {
			keep[nk][0] = strdup(id);
			keep[nk][1] = val ? strdup(val) : NULL;
			nk++;
		}
		pol_engine_forget(e, name);
		for (size_t k = 0; k < nk; k++) {
			if (keep[k][0])
				pol_engine_admin_changed(e, name, keep[k][0], keep[k][1]);
			free(keep[k][0]);
			free(keep[k][1]);
		}
	}
}
