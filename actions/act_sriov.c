/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_sriov: the "sriov" host action — give the guest one SR-IOV VF: the
 * backend plans it (create VFs on an allowed PF, configure a network VF,
 * bind the stub driver, attach; or refuse with a reason), every change goes
 * through the journaled helper, and a plan that fails half way is reverted
 * back to where it started. The rule's mapping says which PFs and what the
 * guest may lose. */
#include "act_kinds.h"
#include "act_sriov.h"
#include "apply.h"
#include "knob.h"
#include "parse.h"
#include "policy_ld.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const act_sriov_kinds[] = { "sriov-numvfs", "sriov-vf", "pci-driver",
					 "kvm-hostdev", "xen-pci", NULL };

/* ---- the rule's options ---- */

/* "DDDD:BB:SS.F" (hex) */
static int is_pci_addr(const char *s)
{
	static const char shape[] = "xxxx:xx:xx.x";
	if (strlen(s) != sizeof shape - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	return 1;
}

/* a network interface name the kernel would take (IFNAMSIZ - 1) */
static int is_ifname(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-@", *s))
			return 0;
	return 1;
}

static int is_mac(const char *s)
{
	static const char shape[] = "xx:xx:xx:xx:xx:xx";
	if (strlen(s) != sizeof shape - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != ':')
			return 0;
	return 1;
}

/* "VLAN" or "VLAN:QOS": 0..4094, 0..7 */
static int is_vlan(const char *s)
{
	const char *e;
	uint64_t v, q;
	if (parse_u64_prefix(s, &e, &v) || v > 4094)
		return 0;
	if (!*e)
		return 1;
	return *e == ':' && !parse_u64(e + 1, &q) && q <= 7;
}

static void parse_pfs(struct pol_ld *ld, yaml_node_t *n, struct sriov_conf *c)
{
	yaml_node_t *one[1] = { n };
	yaml_node_t **items = one;
	size_t count = 1;
	yaml_node_t *list[SRIOV_CONF_MAX_PFS + 1];
	if (n->type == YAML_SEQUENCE_NODE) {
		count = 0;
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			if (count == SRIOV_CONF_MAX_PFS) {
				pol_ld_err(ld, n, "pfs: at most %d physical functions",
					   SRIOV_CONF_MAX_PFS);
				break;
			}
			list[count++] = pol_ld_node(ld, *it);
		}
		items = list;
		if (!count)
			pol_ld_err(ld, n, "pfs: the list is empty");
	}
	for (size_t i = 0; i < count; i++) {
		const char *s = items[i] ? pol_ld_scalar(ld, items[i], "pfs") : NULL;
		if (!s)
			continue;
		if (!is_pci_addr(s) && !is_ifname(s)) {
			pol_ld_err(ld, items[i], "pfs: '%s' is neither a PCI address (0000:03:00.0) "
				   "nor a network interface name", s);
			continue;
		}
		snprintf(c->pfs[c->npfs++], sizeof c->pfs[0], "%s", s);
	}
}

static void parse_vf(struct pol_ld *ld, yaml_node_t *n, struct sriov_conf *c)
{
	static const char *const keys[] = { "mac", "vlan", "spoofchk", "trust", "link_state" };
	static const char *const onoff[] = { "on", "off", NULL };
	static const char *const links[] = { "auto", "enable", "disable", NULL };
	yaml_node_t *v[5], *k[5];
	if (pol_ld_map(ld, n, "vf (a mapping with mac, vlan, spoofchk, trust, link_state)", keys, 5,
		       v, k))
		return;
	const char *s;
	if (v[0] && (s = pol_ld_scalar(ld, v[0], "mac"))) {
		if (is_mac(s))
			snprintf(c->vf_mac, sizeof c->vf_mac, "%s", s);
		else
			pol_ld_err(ld, v[0], "mac: '%s' is not a MAC address like 52:54:00:12:34:56", s);
	}
	if (v[1] && (s = pol_ld_scalar(ld, v[1], "vlan"))) {
		if (is_vlan(s))
			snprintf(c->vf_vlan, sizeof c->vf_vlan, "%s", s);
		else
			pol_ld_err(ld, v[1], "vlan: '%s' is not VLAN (0-4094) or VLAN:QOS (QOS 0-7)", s);
	}
	if (v[2])
		pol_ld_word(ld, v[2], "spoofchk", onoff, c->vf_spoofchk, sizeof c->vf_spoofchk);
	if (v[3])
		pol_ld_word(ld, v[3], "trust", onoff, c->vf_trust, sizeof c->vf_trust);
	if (v[4])
		pol_ld_word(ld, v[4], "link_state", links, c->vf_link_state, sizeof c->vf_link_state);
}

void act_sriov_parse(struct pol_ld *ld, yaml_node_t *an, yaml_node_t *n,
		     yaml_node_t *const *mods, yaml_node_t *const *modkeys, struct pol_action *a)
{
	static const char *const keys[] = { "pfs", "vfs", "driver", "persistent",
					    "accept_migration_loss", "allow_host_traffic", "vf" };
	static const char *const words[] = { "attach", NULL };
	static const char *const drivers[] = { "vfio-pci", "pciback", NULL };
	static const char *const bools[] = { "false", "true", NULL };
	yaml_node_t *v[7], *k[7];
	struct sriov_conf c;
	char tmp[16], text[512];

	(void)an, (void)mods, (void)modkeys;
	snprintf(a->key, sizeof a->key, "attach");
	if (n && n->type == YAML_SCALAR_NODE) {
		pol_ld_word(ld, n, "sriov", words, a->key, sizeof a->key);
		return;
	}
	if (pol_ld_map(ld, n, "an sriov action (attach, or a mapping with pfs, vfs, driver, "
		       "persistent, accept_migration_loss, allow_host_traffic, vf)", keys, 7, v, k))
		return;
	memset(&c, 0, sizeof c);
	if (!v[0])
		pol_ld_err(ld, n, "sriov needs 'pfs': the physical functions (PCI addresses or "
			   "interface names) whose VFs guests may get");
	else
		parse_pfs(ld, v[0], &c);
	if (v[1]) {
		const char *s = pol_ld_scalar(ld, v[1], "vfs");
		double d;
		if (s && (pol_parse_num(s, &d) || d < 1 || d > 256 || d != (double)(unsigned)d))
			pol_ld_err(ld, v[1], "vfs: '%s' is not a number of VFs from 1 to 256", s);
		else if (s)
			c.create_vfs = (unsigned)d;
	}
	if (v[2])
		pol_ld_word(ld, v[2], "driver", drivers, c.driver, sizeof c.driver);
	if (v[3])
		c.persistent = pol_ld_word(ld, v[3], "persistent", bools, tmp, sizeof tmp) == 1;
	if (v[4])
		c.allow_migration_loss =
			pol_ld_word(ld, v[4], "accept_migration_loss", bools, tmp, sizeof tmp) == 1;
	if (v[5])
		c.allow_host_traffic_pf =
			pol_ld_word(ld, v[5], "allow_host_traffic", bools, tmp, sizeof tmp) == 1;
	if (v[6])
		parse_vf(ld, v[6], &c);
	act_sriov_conf_text(&c, text, sizeof text);
	free(a->text);
	if (!(a->text = strdup(text)))
		pol_ld_err(ld, n, "out of memory");
}

void act_sriov_conf_text(const struct sriov_conf *c, char *buf, size_t n)
{
	size_t l = 0;
#define PUT(...)                                                                      \
	do {                                                                          \
		int w_ = snprintf(buf + l, n - l, __VA_ARGS__);                       \
		l = w_ < 0 ? l : l + (size_t)w_ >= n ? n - 1 : l + (size_t)w_;       \
	} while (0)
	buf[0] = '\0';
	for (unsigned i = 0; i < c->npfs && i < SRIOV_CONF_MAX_PFS; i++)
		PUT("%s%s", i ? "," : "pfs=", c->pfs[i]);
	if (c->create_vfs)
		PUT("%svfs=%u", l ? " " : "", c->create_vfs);
	if (c->driver[0])
		PUT("%sdriver=%s", l ? " " : "", c->driver);
	if (c->persistent)
		PUT("%spersistent=1", l ? " " : "");
	if (c->allow_migration_loss)
		PUT("%saccept_migration_loss=1", l ? " " : "");
	if (c->allow_host_traffic_pf)
		PUT("%sallow_host_traffic=1", l ? " " : "");
	if (c->vf_mac[0])
		PUT("%smac=%s", l ? " " : "", c->vf_mac);
	if (c->vf_vlan[0])
		PUT("%svlan=%s", l ? " " : "", c->vf_vlan);
	if (c->vf_spoofchk[0])
		PUT("%sspoofchk=%s", l ? " " : "", c->vf_spoofchk);
	if (c->vf_trust[0])
		PUT("%strust=%s", l ? " " : "", c->vf_trust);
	if (c->vf_link_state[0])
		PUT("%slink_state=%s", l ? " " : "", c->vf_link_state);
#undef PUT
}

static int set_str(char *dst, size_t n, const char *v)
{
	if (!*v || strlen(v) >= n)
		return -EINVAL;
	snprintf(dst, n, "%s", v);
	return 0;
}

int act_sriov_conf(const struct pol_action *a, struct sriov_conf *c)
{
	char text[512], *save = NULL;
	memset(c, 0, sizeof *c);
	if (!a || a->act != act_by_name("sriov"))
		return -EINVAL;
	if (!a->text)
		return 0;
	if (strlen(a->text) >= sizeof text)
		return -EINVAL;
	snprintf(text, sizeof text, "%s", a->text);
	for (char *t = strtok_r(text, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *v = strchr(t, '=');
		int r = 0;
		if (!v)
			return -EINVAL;
		*v++ = '\0';
		if (!strcmp(t, "pfs")) {
			char *s2 = NULL;
			for (char *p = strtok_r(v, ",", &s2); p && !r; p = strtok_r(NULL, ",", &s2))
				r = c->npfs == SRIOV_CONF_MAX_PFS ? -EINVAL
					: set_str(c->pfs[c->npfs++], sizeof c->pfs[0], p);
		} else if (!strcmp(t, "vfs")) {
			uint64_t nv;
			r = parse_u64(v, &nv) || nv > UINT_MAX ? -EINVAL : 0;
			c->create_vfs = r ? 0 : (unsigned)nv;
		} else if (!strcmp(t, "driver")) {
			r = set_str(c->driver, sizeof c->driver, v);
		} else if (!strcmp(t, "persistent")) {
			c->persistent = !strcmp(v, "1");
		} else if (!strcmp(t, "accept_migration_loss")) {
			c->allow_migration_loss = !strcmp(v, "1");
		} else if (!strcmp(t, "allow_host_traffic")) {
			c->allow_host_traffic_pf = !strcmp(v, "1");
		} else if (!strcmp(t, "mac")) {
			r = set_str(c->vf_mac, sizeof c->vf_mac, v);
		} else if (!strcmp(t, "vlan")) {
			r = set_str(c->vf_vlan, sizeof c->vf_vlan, v);
		} else if (!strcmp(t, "spoofchk")) {
			r = set_str(c->vf_spoofchk, sizeof c->vf_spoofchk, v);
		} else if (!strcmp(t, "trust")) {
			r = set_str(c->vf_trust, sizeof c->vf_trust, v);
		} else if (!strcmp(t, "link_state")) {
			r = set_str(c->vf_link_state, sizeof c->vf_link_state, v);
		} else {
			r = -EINVAL;
		}
		if (r)
			return r;
	}
	return 0;
}

/* ---- carrying it out ---- */

struct run_x {
	const struct act_ctx *c;
	struct apply_ctx ac; /* c's, counting its own failures */
	const struct pol_change *ch;
	struct act_sriov_result *res;
	int nfail, err, calls;
};

/* sriov_change_fn: one change of the backend's plan, journaled and made
 * (or, dry run, said); a failure stops the plan. */
static int one(void *arg, const char *kind, const char *target, const char *key,
	       const char *value)
{
	struct run_x *x = arg;
	char line[512];
	x->calls++;
	if (!strcmp(kind, "pci-driver"))
		snprintf(x->res->vf, sizeof x->res->vf, "%s", target);
	if (x->ac.dry_run) {
		/* later steps read what earlier ones would make (a VF that does
		 * not exist yet): the plan itself is the dry run */
		snprintf(line, sizeof line, "would set %s %s%s%s -> %s (rule %s)", kind, target,
			 *target ? " " : "", key, *value ? value : "\"\"", x->ch->rule);
		apply_say(&x->ac, LOG_INFO, line);
		if (x->ac.count)
			x->ac.count(x->ac.count_arg, "dry_run");
		x->res->changed++;
		return 0;
	}
	/* a knob that cannot be read (a VF that did not appear) is a failed
	 * step here, not the "absent, nothing to change" apply_knob makes of
	 * it: the steps after it need it */
	const struct knob *k = knob_find(kind);
	char cur[KNOB_VALUE_MAX];
	int rr = k ? knob_read(k, apply_root(&x->ac), target, key, cur, sizeof cur) : -ENOENT;
	if (rr < 0) {
		snprintf(x->res->why, sizeof x->res->why, "%s %s%s%s: %s%s", kind, target,
			 *target ? " " : "", key, k ? "cannot read: " : "",
			 k ? strerror(-rr) : "unknown knob kind (not registered here)");
		return -ECANCELED;
	}
	int r = apply_knob(&x->ac, x->ch, kind, target, key, value);
	if (r < 0)
		return x->err = r;
	if (x->nfail) {
		snprintf(x->res->why, sizeof x->res->why, "%s %s%s%s -> %s failed", kind, target,
			 *target ? " " : "", key, *value ? value : "\"\"");
		return -ECANCELED;
	}
	x->res->changed += r;
	return 0;
}

/* The seq of the journal's newest record, 0 when none. */
static int64_t last_seq(const struct journal *j)
{
	size_t n = j ? journal_count(j) : 0;
	const struct jrec *r = n ? journal_record(j, n - 1) : NULL;
	return r ? r->seq : 0;
}

static const char *refusal_reason(int r)
{
	switch (r) {
	case -EPERM: return "not_allowed";
	case -ENODEV: return "no_iommu";
	case -EBUSY: return "in_use";
	case -ENOENT: return "no_vf";
	default: return "error";
	}
}

int act_sriov_run(const struct act_ctx *c, const struct pol_change *ch,
		  const struct sriov_conf *conf, const char *want_vf, struct act_sriov_result *res)
{
	const struct act_host *h = c->host;
	struct run_x x = { .c = c, .ac = *c->ac, .ch = ch, .res = res };
	char line[640];
	memset(res, 0, sizeof *res);
	x.ac.failed = &x.nfail;
	if (!h || !h->plan_pci_attach) {
		snprintf(res->why, sizeof res->why, "the backend cannot attach PCI devices");
		return -EOPNOTSUPP;
	}
	if (want_vf && !*want_vf)
		want_vf = NULL;
	if (!conf->npfs) {
		snprintf(res->why, sizeof res->why, "no physical function may give VFs: name them in "
			 "the policy's sriov action (pfs: [...], vtune-policies(5))");
		res->refused = -EPERM;
		snprintf(line, sizeof line, "sriov attach refused, nothing changed: %s (rule %s)",
			 res->why, ch->rule);
		apply_say(c->ac, LOG_WARNING, line);
		if (h->refuse)
			h->refuse(h->refuse_arg, ch, "sriov", "not_allowed", line);
		return 0;
	}
	int64_t before = last_seq(c->ac->journal);
	int r = h->plan_pci_attach(h->bk, h->bk_guest, conf, want_vf, one, &x, res->why,
				   sizeof res->why);
	if (x.err)
		return x.err;
	if (r == 1) { /* SRIOV_PLAN_HOLDS */
		res->holds = 1;
		snprintf(line, sizeof line, "sriov attach: nothing to do: %s (rule %s)", res->why,
			 ch->rule);
		apply_say(c->ac, LOG_INFO, line);
		return 0;
	}
	if (r < 0 && !x.calls) {
		res->refused = r;
		if (!res->why[0])
			snprintf(res->why, sizeof res->why, "%s", strerror(-r));
		snprintf(line, sizeof line, "sriov attach refused, nothing changed: %s (rule %s)",
			 res->why, ch->rule);
		apply_say(c->ac, LOG_WARNING, line);
		if (h->refuse)
			h->refuse(h->refuse_arg, ch, "sriov", refusal_reason(r), line);
		if (c->ac->count)
			c->ac->count(c->ac->count_arg, "failed");
		return 0;
	}
	if (r < 0) {
		/* a change failed (journal_apply put its knob back): undo the
		 * plan's earlier changes, newest first */
		struct revert_sel sel = { .by = REVERT_AFTER, .after_seq = before };
		res->failed = 1;
		if (!res->why[0])
			snprintf(res->why, sizeof res->why, "%s", strerror(-r));
		snprintf(line, sizeof line, "sriov attach stopped: %s; reverting its earlier changes "
			 "(rule %s)", res->why, ch->rule);
		apply_say(c->ac, LOG_WARNING, line);
		if (c->ac->failed)
			(*c->ac->failed)++;
		int left = journal_revert(c->ac->journal, apply_root(c->ac), &sel, 0, 0, c->ac->out,
					  NULL, NULL);
		if (left < 0)
			return left;
		res->not_restored = left;
		res->changed = 0;
		return 0;
	}
	return res->changed;
}

int act_sriov_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	struct sriov_conf conf;
	struct act_sriov_result res;
	if (!c->host || act_sriov_conf(ch->act, &conf))
		return -EINVAL;
	/* ch->new: "attach", or the VF an operator asked for */
	const char *want = strcmp(ch->new, "attach") ? ch->new : NULL;
	int r = act_sriov_run(c, ch, &conf, want, &res);
	if (r == -EOPNOTSUPP) {
		char line[400];
		snprintf(line, sizeof line, "sriov attach: %s (rule %s)", res.why, ch->rule);
		apply_say(c->ac, LOG_WARNING, line);
		return 0;
	}
	return r;
}
