/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fw_nft: `nft -j list ruleset` (libnftables' JSON) scanned for base chains
 * that a guest's bridged frames pass: ip / ip6 / inet chains hooking
 * forward (br_netfilter hands bridged frames to them) and bridge-family
 * chains, with a drop policy or a rule that may match the guest's bridge
 * or ports (see hostnet_fw.h). */
#include "hostnet_fw.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

int fw_ifmatch(const char *pat, const char *name);

static const char *str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

struct base {
	const char *family, *table, *name, *hook, *policy;
};

#define MAXBASE 256

/* Is this a chain bridged frames pass? */
static int bridged(const char *family, const char *hook)
{
	if (!family || !hook)
		return 0;
	if (!strcmp(family, "bridge"))
		return !strcmp(hook, "prerouting") || !strcmp(hook, "forward") ||
		       !strcmp(hook, "postrouting");
	return (!strcmp(family, "ip") || !strcmp(family, "ip6") || !strcmp(family, "inet")) &&
	       !strcmp(hook, "forward");
}

/* A match's right side against a name: a string, or a set of strings. */
static int right_has(json_object *r, const char *name)
{
	if (json_object_is_type(r, json_type_string))
		return fw_ifmatch(json_object_get_string(r), name);
	json_object *set;
	if (json_object_is_type(r, json_type_object) && json_object_object_get_ex(r, "set", &set) &&
	    json_object_is_type(set, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(set); i++)
			if (right_has(json_object_array_get_idx(set, i), name))
				return 1;
		return 0;
	}
	return 1; /* anything else (a variable, a map): it may match */
}

/* Does a rule (its expr array) possibly see p's frames in a chain of
 * family? */
static int concerns(json_object *expr, const char *family, const struct fw_port *p)
{
	int bridge_fam = !strcmp(family, "bridge");
	const char *br = p->bridge && *p->bridge ? p->bridge : NULL;
	int in_other = 0, out_other = 0;
	for (size_t i = 0; i < json_object_array_length(expr); i++) {
		json_object *e = json_object_array_get_idx(expr, i), *m, *left, *meta, *right;
		if (!json_object_object_get_ex(e, "match", &m) ||
		    !json_object_object_get_ex(m, "left", &left) ||
		    !json_object_object_get_ex(left, "meta", &meta) ||
		    !json_object_object_get_ex(m, "right", &right))
			continue;
		const char *key = str(meta, "key"), *op = str(m, "op");
		int neg = op && !strcmp(op, "!=");
		if (!key)
			continue;
		int is_in = !strcmp(key, "iifname") || !strcmp(key, "iif");
		int is_out = !strcmp(key, "oifname") || !strcmp(key, "oif");
		int is_br = !strcmp(key, "ibrname") || !strcmp(key, "obrname");
		if (!br)
			continue; /* any bridge: every rule may be ours */
		if (is_br || (!bridge_fam && (is_in || is_out))) {
			/* a bridge name: ours or not */
			if (right_has(right, br) == neg)
				return 0;
		} else if (bridge_fam && (is_in || is_out) && p->tap && *p->tap) {
			int other = right_has(right, p->tap) == neg;
			if (is_in)
				in_other |= other && !neg;
			else
				out_other |= other && !neg;
		}
	}
	return !(in_other && out_other);
}

/* "tcp dport == 9999 drop" from a rule's expressions, roughly as nft
 * prints it. */
static void render(json_object *expr, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(expr) && len + 1 < n; i++) {
		json_object *e = json_object_array_get_idx(expr, i), *m, *x;
		char part[128] = "";
		if (json_object_object_get_ex(e, "match", &m)) {
			json_object *l = NULL, *r = NULL, *pl, *meta;
			json_object_object_get_ex(m, "left", &l);
			json_object_object_get_ex(m, "right", &r);
			char left[64] = "?";
			if (l && json_object_object_get_ex(l, "payload", &pl))
				snprintf(left, sizeof left, "%s %s", str(pl, "protocol") ? str(pl, "protocol") : "",
					 str(pl, "field") ? str(pl, "field") : "");
			else if (l && json_object_object_get_ex(l, "meta", &meta))
				snprintf(left, sizeof left, "%s", str(meta, "key") ? str(meta, "key") : "meta");
			snprintf(part, sizeof part, "%s %s %s", left, str(m, "op") ? str(m, "op") : "==",
				 r ? json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN) : "?");
		} else if (json_object_object_get_ex(e, "xt", &x)) {
			snprintf(part, sizeof part, "xt %s %s", str(x, "type") ? str(x, "type") : "",
				 str(x, "name") ? str(x, "name") : "");
		} else {
			json_object_object_foreach(e, k, v) {
				const char *t = v && json_object_is_type(v, json_type_object) ? str(v, "target") : NULL;
				snprintf(part, sizeof part, "%s%s%s", k, t ? " " : "", t ? t : "");
				break;
			}
		}
		len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? " " : "", part);
	}
}

int fw_scan_nft_json(const char *text, const struct fw_port *p, char *why, size_t n)
{
	json_object *root = json_tokener_parse(text), *arr;
	struct base b[MAXBASE];
	size_t nb = 0;
	int found = 0;
	if (!root || !json_object_object_get_ex(root, "nftables", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_object_put(root);
		return -EINVAL;
	}
	size_t len = json_object_array_length(arr);
	for (size_t i = 0; i < len && nb < MAXBASE; i++) {
		json_object *c;
		if (!json_object_object_get_ex(json_object_array_get_idx(arr, i), "chain", &c))
			continue;
		struct base x = { str(c, "family"), str(c, "table"), str(c, "name"), str(c, "hook"),
				  str(c, "policy") };
		if (!x.family || !x.table || !x.name || !bridged(x.family, x.hook))
			continue;
		b[nb++] = x;
		if (!found && x.policy && !strcmp(x.policy, "drop")) {
			snprintf(why, n, "nft table %s %s chain %s (hook %s) policy drop: bridged frames are dropped unless accepted",
				 x.family, x.table, x.name, x.hook);
			found = 1;
		}
	}
	for (size_t i = 0; i < len && !found; i++) {
		json_object *r, *expr, *h;
		if (!json_object_object_get_ex(json_object_array_get_idx(arr, i), "rule", &r) ||
		    !json_object_object_get_ex(r, "expr", &expr) ||
		    !json_object_is_type(expr, json_type_array))
			continue;
		const char *fam = str(r, "family"), *tab = str(r, "table"), *ch = str(r, "chain");
		for (size_t k = 0; fam && tab && ch && k < nb && !found; k++) {
			if (strcmp(b[k].family, fam) || strcmp(b[k].table, tab) || strcmp(b[k].name, ch))
				continue;
			if (!concerns(expr, fam, p))
				continue;
			char txt[256];
			render(expr, txt, sizeof txt);
			json_object_object_get_ex(r, "handle", &h);
			snprintf(why, n, "nft table %s %s chain %s (hook %s): rule %s: %s", fam, tab, ch,
				 b[k].hook, h ? json_object_get_string(h) : "?", txt);
			found = 1;
		}
	}
	json_object_put(root);
	return found;
}
