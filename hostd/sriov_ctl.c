/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sriov_ctl: {"cmd":"sriov"} requests of vtune-hostd's control socket (see
 * sriov_ctl.h): list, attach, detach. */
#include "sriov_ctl.h"
#include "act_sriov.h"
#include "sriov_view.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRIOV_CTL_RULE "vtune-sriov-attach" /* the journal's rule of an operator's attach */

__attribute__((format(printf, 1, 2))) static json_object *fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_object *o = json_object_new_object();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static const char *str_field(json_object *req, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(req, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

static int bool_field(json_object *req, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(req, k, &v) && json_object_get_boolean(v);
}

/* The lines a memstream collected, as a JSON array; frees buf. */
static json_object *lines_json(char *buf)
{
	json_object *a = json_object_new_array();
	for (char *cur = buf, *line; cur && (line = strsep(&cur, "\n"));)
		if (*line)
			json_object_array_add(a, json_object_new_string(line));
	free(buf);
	return a;
}

static json_object *list(const struct sriov_ctl_in *in)
{
	if (!in->ops->pci_view)
		return fail("the %s backend has no SR-IOV view", in->ops->name);
	if (!in->bk)
		return fail("the %s backend is not open", in->ops->name);
	struct sriov_view *v = calloc(1, sizeof *v);
	if (!v)
		return fail("out of memory");
	int r = in->ops->pci_view(in->bk, v);
	if (r < 0) {
		free(v);
		return fail("SR-IOV view: %s", strerror(-r));
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f) {
		sriov_view_print(v, f);
		fclose(f);
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "backend", json_object_new_string(in->ops->name));
	json_object_object_add(o, "view", sriov_view_json(v));
	json_object_object_add(o, "lines", lines_json(buf));
	free(v);
	return o;
}

/* The policy's sriov action for this backend: the first of any rule,
 * enabled or not (an operator's attach uses its options, not its
 * condition). NULL when there is none. */
static const struct pol_action *policy_action(const struct sriov_ctl_in *in)
{
	const struct act_def *sriov = act_by_name("sriov");
	for (size_t i = 0; in->set && i < in->set->n_rules; i++) {
		const struct pol_rule *r = &in->set->rules[i];
		if (!pol_rule_for_backend(r, in->ops->name))
			continue;
		for (size_t k = 0; k < r->n_actions; k++)
			if (r->actions[k].act == sriov && r->actions[k].side == POL_HOST)
				return &r->actions[k];
	}
	return NULL;
}

static json_object *attach(const struct sriov_ctl_in *in, json_object *req, const char *guest)
{
	const char *vf = str_field(req, "vf");
	const struct pol_action *a = policy_action(in);
	struct sriov_conf conf;
	struct act_sriov_result res;
	struct pol_change ch;
	static const char *const results[] = { "attached", "dry_run", "holds", "refused", "failed" };

	if (!in->ops->plan_pci_attach)
		return fail("the %s backend cannot attach PCI devices (SR-IOV: KVM and Xen)",
			    in->ops->name);
	if (!in->x)
		return fail("no running guest '%s' (vtune status lists the guests)", guest);
	if (!a)
		return fail("the policy has no sriov action for this backend: its options say which "
			    "physical functions may give VFs (vtune-policies(5), sriov)");
	if (act_sriov_conf(a, &conf))
		return fail("the policy's sriov action has options this build cannot read");
	if (vf && strlen(vf) >= sizeof res.vf)
		return fail("field 'vf': '%.40s' is not a PCI address", vf);
	if (bool_field(req, "persistent"))
		conf.persistent = 1;
	memset(&ch, 0, sizeof ch);
	snprintf(ch.rule, sizeof ch.rule, "%s", SRIOV_CTL_RULE);
	ch.side = POL_HOST;
	snprintf(ch.kind, sizeof ch.kind, "sriov");
	snprintf(ch.key, sizeof ch.key, "attach");
	snprintf(ch.new, sizeof ch.new, "%s", vf ? vf : "attach");
	snprintf(ch.why, sizeof ch.why, "vtune sriov attach %.200s%s%s", guest, vf ? " --vf " : "",
		 vf ? vf : "");
	ch.act = a;

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	in->ac->out = f;
	if (bool_field(req, "dry_run") || in->dry_run || !in->journal)
		in->ac->dry_run = 1;
	int r = act_sriov_run(in->x, &ch, &conf, vf, &res);
	in->ac->out = NULL;
	if (f)
		fclose(f);
	if (r < 0) {
		free(buf);
		return fail("%s", res.why[0] ? res.why
				  : "the journal cannot be written: nothing more changed");
	}
	int which = res.refused ? 3 : res.failed ? 4 : res.holds ? 2 : in->ac->dry_run ? 1 : 0;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "guest", json_object_new_string(guest));
	json_object_object_add(o, "result", json_object_new_string(results[which]));
	json_object_object_add(o, "vf", json_object_new_string(res.vf));
	json_object_object_add(o, "why", json_object_new_string(res.why));
	json_object_object_add(o, "changed", json_object_new_int(res.changed));
	json_object_object_add(o, "not_restored", json_object_new_int(res.not_restored));
	json_object_object_add(o, "lines", lines_json(buf));
	return o;
}

/* SR-IOV "set" records of guest still to undo. */
static int open_records(const struct journal *j, const char *guest)
{
	int n = 0;
	for (size_t i = 0; j && i < journal_count(j); i++) {
		const struct jrec *r = journal_record(j, i);
		if (strcmp(r->op, "set") || strcmp(r->guest, guest))
			continue;
		const char *st = journal_state(j, r->seq);
		int kind = 0;
		for (size_t k = 0; act_sriov_kinds[k] && !kind; k++)
			kind = !strcmp(r->kind, act_sriov_kinds[k]);
		if (kind && st && (!strcmp(st, "applied") || !strcmp(st, "set")))
			n++;
	}
	return n;
}

static json_object *detach(const struct sriov_ctl_in *in, json_object *req, const char *guest)
{
	struct revert_sel sel = { .by = REVERT_GUEST, .guest = guest, .kinds = act_sriov_kinds };
	int dry = bool_field(req, "dry_run") || in->dry_run;
	if (!in->journal)
		return fail("no journal (the daemon runs with --dry-run)");
	int records = open_records(in->journal, guest);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = records ? journal_revert(in->journal, in->root, &sel, dry, 0, f, NULL, NULL) : 0;
	if (f)
		fclose(f);
	if (r < 0) {
		free(buf);
		return fail("journal: %s", strerror(-r));
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "guest", json_object_new_string(guest));
	json_object_object_add(o, "records", json_object_new_int(records));
	json_object_object_add(o, "not_restored", json_object_new_int(r));
	json_object_object_add(o, "lines", lines_json(buf));
	return o;
}

json_object *sriov_ctl_json(const struct sriov_ctl_in *in, json_object *req)
{
	const char *op = str_field(req, "op"), *guest = str_field(req, "guest");
	if (!op)
		return fail("field 'op': list, attach or detach");
	if (!strcmp(op, "list"))
		return list(in);
	if (strcmp(op, "attach") && strcmp(op, "detach"))
		return fail("field 'op': '%.40s' is not list, attach or detach", op);
	if (!guest || !*guest || strlen(guest) >= BK_NAME_MAX)
		return fail("field 'guest': a guest's name");
	return !strcmp(op, "attach") ? attach(in, req, guest) : detach(in, req, guest);
}
