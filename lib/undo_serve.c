/* SPDX-License-Identifier: GPL-2.0-or-later */
/* undo_serve: the side of a revert request that holds the journal
 * (vtune-hostd, vtune-agent run): the request checked, the revert done,
 * the answer `vtune revert` prints (see undo_serve.h). */
#include "undo_serve.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Do a and b name the same file? */
static int same_file(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	/* as written where it cannot be resolved (a directory this process
	 * may not search, after privilege separation) */
	return !strcmp(realpath(a, ra) ? ra : a, realpath(b, rb) ? rb : b);
}

json_object *undo_serve(struct journal *j, const char *root, const char *jpath,
			json_object *req, int dry_default, journal_remote_fn remote, void *arg)
{
	json_object *o = json_object_new_object(), *v, *lines = json_object_new_array();
	struct revert_sel sel = { .by = REVERT_ALL };
	int dry = dry_default;
	const char *err = NULL;
	char rule[256] = "", why[PATH_MAX + 96];

	if (json_object_object_get_ex(req, "dry_run", &v) && json_object_get_boolean(v))
		dry = 1;
	int force = json_object_object_get_ex(req, "force", &v) && json_object_get_boolean(v);
	if (json_object_object_get_ex(req, "rule", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    (size_t)json_object_get_string_len(v) >= sizeof rule) {
			err = "field 'rule': not a rule name";
		} else {
			snprintf(rule, sizeof rule, "%s", json_object_get_string(v));
			sel.by = REVERT_RULE;
			sel.rule = rule;
		}
	} else if (json_object_object_get_ex(req, "since_ns", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
			err = "field 'since_ns': not a time";
		} else {
			sel.by = REVERT_SINCE;
			sel.since_ns = (uint64_t)json_object_get_int64(v);
		}
	} else if (!json_object_object_get_ex(req, "all", &v) || !json_object_get_boolean(v)) {
		err = "say what to revert: all, rule or since_ns";
	}
	if (!err && json_object_object_get_ex(req, "journal", &v) &&
	    (!json_object_is_type(v, json_type_string) || !same_file(json_object_get_string(v),
								     jpath))) {
		snprintf(why, sizeof why, "this process holds the journal %s, not %s", jpath,
			 json_object_get_string(v));
		err = why;
	}
	if (!err && !j)
		err = "no journal";
	if (err) {
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "error", json_object_new_string(err));
		json_object_put(lines);
		return o;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = f ? journal_revert(j, root, &sel, dry, force, f, remote, arg) : -ENOMEM;
	if (f)
		fclose(f);
	for (char *cur = buf, *line; cur && (line = strsep(&cur, "\n"));)
		if (*line)
			json_object_array_add(lines, json_object_new_string(line));
	free(buf);
	json_object_object_add(o, "ok", json_object_new_boolean(r >= 0));
	if (r < 0)
		json_object_object_add(o, "error", json_object_new_string(strerror(-r)));
	json_object_object_add(o, "not_restored", json_object_new_int(r < 0 ? 0 : r));
	json_object_object_add(o, "lines", lines);
	json_object *dmg = json_object_new_array();
	for (size_t i = 0; journal_damage(j, i); i++)
		json_object_array_add(dmg, json_object_new_string(journal_damage(j, i)));
	json_object_object_add(o, "damaged", dmg);
	json_object_object_add(o, "damaged_count", json_object_new_int((int)journal_damage_count(j)));
	return o;
}
