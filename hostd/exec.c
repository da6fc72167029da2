/* exec: executors for host plan kinds, journaling each knob they touch. */
#include "exec.h"
#include "apply.h"
#include "hostd.h"
#include "hostnet.h"
#include "journal.h"
#include "knob.h"
#include "kvm.h"
#include "xen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void hostd_register_knobs(void)
{
	apply_init();
	hostnet_register_knobs();
	kvm_knobs_register();
	xen_knobs_register();
}

struct one_ctx {
	const struct hostd_exec_ctx *c;
	const struct pol_change *ch;
	char *msg;
	size_t n;
	int changed, err;
};

/* Journal and make one knob change of an expanded host action. */
static int one(void *arg, const char *kind, const char *target, const char *key,
	       const char *value)
{
	struct one_ctx *x = arg;
	struct jrec rec = {
		.side = "host", .domain = "", .kind = kind, .target = target, .key = key,
		.new = value, .rule = x->ch->rule, .why = x->ch->why,
	};
	char line[512];
	if (!x->c->journal && !x->c->dry_run) {
		x->err = -EINVAL;
		return 0;
	}
	int r = journal_apply(x->c->journal, x->c->root, &rec, x->c->dry_run, line, sizeof line);
	if (r == 0)
		x->changed++;
	else if (r != JOURNAL_UNCHANGED && !x->err)
		x->err = r;
	size_t used = strlen(x->msg);
	if (used + 3 < x->n && r != JOURNAL_UNCHANGED)
		snprintf(x->msg + used, x->n - used, "%s%s", used ? "; " : "", line);
	return 0;
}

static int result(const struct one_ctx *x)
{
	if (x->err)
		return x->err;
	return x->changed ? 0 : JOURNAL_UNCHANGED;
}

static int exec_bridge_nf(const struct hostd_exec_ctx *c, const struct pol_change *ch,
			  char *msg, size_t n)
{
	struct one_ctx x = { c, ch, msg, n, 0, 0 };
	msg[0] = '\0';
	int r = hostnet_plan_bridge_nf(c->guest->netns, ch->new, one, &x);
	return r < 0 ? r : result(&x);
}

/* ch->key: where ("tap", "bridge", "uplink"); ch->new: "tso,gso=off". */
static int exec_offload(const struct hostd_exec_ctx *c, const struct pol_change *ch,
			char *msg, size_t n)
{
	struct one_ctx x = { c, ch, msg, n, 0, 0 };
	char feats[POL_KEY_MAX];
	const char *iface = !strcmp(ch->key, "tap") ? c->guest->tap
			    : !strcmp(ch->key, "bridge") ? c->guest->bridge : "";
	msg[0] = '\0';
	if (!iface[0]) {
		snprintf(msg, n, "offload on %s: the guest's %s is not known", ch->key, ch->key);
		return -ENOENT;
	}
	snprintf(feats, sizeof feats, "%s", ch->new);
	char *eq = strchr(feats, '=');
	if (!eq)
		return -EINVAL;
	*eq = '\0';
	unsigned mask = 0;
	char *save = NULL;
	for (char *t = strtok_r(feats, ",", &save); t; t = strtok_r(NULL, ",", &save))
		mask |= hostnet_offload_bit(t);
	if (!mask)
		return -EINVAL;
	int r = hostnet_plan_offload(iface, c->guest->netns, mask, eq + 1, one, &x);
	return r < 0 ? r : result(&x);
}

static int exec_pin(const struct hostd_exec_ctx *c, const struct pol_change *ch,
		    char *msg, size_t n)
{
	struct one_ctx x = { c, ch, msg, n, 0, 0 };
	msg[0] = '\0';
	if (c->ops == &backend_xen_ops) {
		if (strcmp(ch->key, "dom0-away")) {
			snprintf(msg, n, "pin %s: not a Xen pinning mode", ch->key);
			return -EOPNOTSUPP;
		}
		int r = xen_plan_dom0_away(c->backend, c->guest, one, &x);
		return r < 0 ? r : result(&x);
	}
	if (c->ops == &backend_kvm_ops) {
		struct kvm_pin_change v[64];
		size_t cnt = 0;
		int r = kvm_plan_pin(c->backend, c->guest, ch->key, v, 64, &cnt);
		if (r < 0)
			return r;
		for (size_t i = 0; i < cnt && i < 64; i++)
			one(&x, v[i].kind, v[i].target, v[i].key, v[i].value);
		return result(&x);
	}
	snprintf(msg, n, "pin %s: the %s backend cannot pin", ch->key, c->ops ? c->ops->name : "null");
	return -EOPNOTSUPP;
}

void hostd_exec_init(void)
{
	hostd_register_knobs();
	if (!hostd_exec_find("bridge_nf"))
		hostd_exec_register("bridge_nf", exec_bridge_nf);
	if (!hostd_exec_find("offload"))
		hostd_exec_register("offload", exec_offload);
	if (!hostd_exec_find("pin"))
		hostd_exec_register("pin", exec_pin);
}
