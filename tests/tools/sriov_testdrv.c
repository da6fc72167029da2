/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sriov_testdrv: TEMPORARY test driver for the SR-IOV knob kinds and plans,
 * used by tests/e2e/test-sriov-*.sh and tests/integration/test-sriov-crash.sh
 * until `vtune sriov list | attach | detach` goes through vtune-hostd (then
 * the scripts call that instead and this file goes). It opens the KVM or Xen
 * backend itself, binds the backend's knob kinds to it, and journals and
 * applies each change of kvm_sriov_plan / xen_sriov_plan with journal_apply
 * (so VTUNE_FAULT kills it between steps), or reverts with journal_revert. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "backend.h"
#include "journal.h"
#include "knob.h"
#include "kvm_sriov.h"
#include "log.h"
#include "pci_conf.h"
#include "xen_sriov.h"

static const char usage_text[] =
	"usage: sriov-testdrv [options] list | plan GUEST | attach GUEST | revert\n"
	"TEMPORARY test driver (tests/tools/sriov_testdrv.c), until `vtune sriov` exists.\n"
	"  list          the SR-IOV host view, with the guests holding VFs\n"
	"  plan GUEST    print the changes attach would make (nothing is written)\n"
	"  attach GUEST  plan, then journal and apply each change in order; stops at the\n"
	"                first failure (exit 1) or refusal (exit 3, the reason on stderr)\n"
	"  revert        undo the journal's changes, newest first (all, or --rule's)\n"
	"options:\n"
	"  --backend kvm|xen  (kvm)        --uri URI   libvirt URI (KVM)\n"
	"  --root DIR   sysfs/procfs root (/)   --journal PATH  (attach, revert)\n"
	"  --pf PF      an allowed PF, address or interface (repeat)\n"
	"  --vf ADDR    this VF      --create N  VFs to create on a PF with none (1)\n"
	"  --driver D   stub driver (vfio-pci on KVM, pciback on Xen)\n"
	"  --persistent  --allow-migration-loss  --allow-host-traffic\n"
	"  --mac M --vlan V --spoofchk on|off --trust on|off --link-state S  (network VFs)\n"
	"  --rule NAME  the journal's rule name (sriov-attach:GUEST)\n"
	"  --dry-run    --force (revert over changes made by someone else)\n";

struct opts {
	const char *backend, *uri, *root, *journal, *vf, *rule;
	int dry, force;
	struct sriov_conf conf;
};

struct found {
	const char *want;
	struct bk_guest g;
	int ok;
};

static void find_guest(void *arg, enum bk_event_type t, const struct bk_guest *g)
{
	struct found *f = arg;
	char id[16];
	snprintf(id, sizeof id, "%d", g->domid);
	if (t == BK_GUEST_UP && !f->ok && (!strcmp(g->name, f->want) || !strcmp(id, f->want))) {
		f->g = *g;
		f->ok = 1;
	}
}

struct apply {
	struct journal *j;
	const struct opts *o;
	const char *rule;
	char why[256];
	int changed;
};

static int print_change(void *arg, const char *kind, const char *target, const char *key,
			const char *value)
{
	(void)arg;
	printf("plan %s %s %s %s\n", kind, target, key, value[0] ? value : "\"\"");
	return 0;
}

static int apply_change(void *arg, const char *kind, const char *target, const char *key,
			const char *value)
{
	struct apply *a = arg;
	char msg[1024];
	struct jrec rec = {
		.side = "host", .domain = "", .kind = kind, .target = target, .key = key,
		.new = value, .rule = a->rule, .why = a->why,
	};
	int r = journal_apply(a->j, a->o->root, &rec, a->o->dry, msg, sizeof msg);
	printf("%s\n", msg);
	fflush(stdout);
	if (r < 0 && !strcmp(kind, "xen-pci") && xen_pci_last_error()[0])
		fprintf(stderr, "libxl: %s\n", xen_pci_last_error());
	if (r == 0)
		a->changed++;
	return r < 0 ? r : 0;
}

static int run(const struct opts *o, const char *cmd, const char *guest)
{
	const struct backend_ops *ops = backend_find(o->backend);
	char why[512] = "", rule[BK_NAME_MAX + 32];
	int err = 0, rc = 1, xen;
	struct journal *j = NULL;
	if (!ops || (strcmp(o->backend, "kvm") && strcmp(o->backend, "xen"))) {
		fprintf(stderr, "sriov-testdrv: --backend kvm or xen\n");
		return 2;
	}
	xen = !strcmp(o->backend, "xen");
	backend_register_knobs();
	struct backend *b = ops->open(o->uri, o->root, &err, why, sizeof why);
	if (!b) {
		fprintf(stderr, "sriov-testdrv: %s backend: %s\n", o->backend, why);
		return 1;
	}
	for (const struct knob_ops *const *k = ops->knobs; k && *k; k++)
		knob_bind(*k, b);
	if (!strcmp(cmd, "list")) {
		struct sriov_view *v = malloc(sizeof *v);
		err = !v ? -ENOMEM : xen ? xen_sriov_view(b, o->root, v) : kvm_sriov_view(b, o->root, v);
		if (!err)
			sriov_view_print(v, stdout);
		else
			fprintf(stderr, "sriov-testdrv: view: %s\n", strerror(-err));
		free(v);
		rc = err ? 1 : 0;
		goto out;
	}
	if (!strcmp(cmd, "revert")) {
		struct revert_sel sel = { .by = o->rule ? REVERT_RULE : REVERT_ALL, .rule = o->rule };
		j = o->dry ? journal_open_ro(o->journal, &err) : journal_open(o->journal, &err);
		if (!j) {
			fprintf(stderr, "sriov-testdrv: journal %s: %s\n", o->journal, strerror(-err));
			goto out;
		}
		int left = journal_revert(j, o->root, &sel, o->dry, o->force, stdout, NULL, NULL);
		rc = left == 0 ? 0 : 1;
		if (left < 0)
			fprintf(stderr, "sriov-testdrv: revert: %s\n", strerror(-left));
		goto out;
	}
	struct found f = { .want = guest };
	ops->list(b, find_guest, &f);
	if (!f.ok) {
		fprintf(stderr, "sriov-testdrv: no running guest %s\n", guest);
		goto out;
	}
	snprintf(rule, sizeof rule, "sriov-attach:%s", f.g.name);
	struct apply a = { .o = o, .rule = o->rule ? o->rule : rule };
	snprintf(a.why, sizeof a.why, "sriov-testdrv attach %s", f.g.name);
	int plan_only = !strcmp(cmd, "plan");
	if (!plan_only) {
		j = o->dry ? NULL : journal_open(o->journal, &err);
		if (!o->dry && !j) {
			fprintf(stderr, "sriov-testdrv: journal %s: %s\n", o->journal, strerror(-err));
			goto out;
		}
		a.j = j;
	}
	sriov_change_fn fn = plan_only ? print_change : apply_change;
	why[0] = '\0';
	err = xen ? xen_sriov_plan(b, o->root, &f.g, &o->conf, o->vf, fn, &a, why, sizeof why)
		  : kvm_sriov_plan(b, o->root, &f.g, &o->conf, o->vf, fn, &a, why, sizeof why);
	if (err == SRIOV_PLAN_HOLDS) {
		printf("nothing to do: %s\n", why);
		rc = 0;
	} else if (err < 0 && why[0]) {
		fprintf(stderr, "refused: %s\n", why);
		rc = 3;
	} else if (err < 0) {
		fprintf(stderr, "sriov-testdrv: %s stopped: %s\n", cmd, strerror(-err));
		rc = 1;
	} else {
		rc = 0;
	}
out:
	journal_close(j);
	for (const struct knob_ops *const *k = ops->knobs; k && *k; k++)
		knob_bind(*k, NULL);
	ops->close(b);
	return rc;
}

static int set_str(char *dst, size_t n, const char *v, const char *what)
{
	if (strlen(v) >= n) {
		fprintf(stderr, "sriov-testdrv: %s too long: %s\n", what, v);
		return -1;
	}
	snprintf(dst, n, "%s", v);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "backend", required_argument, NULL, 'b' }, { "uri", required_argument, NULL, 'u' },
		{ "root", required_argument, NULL, 'r' }, { "journal", required_argument, NULL, 'j' },
		{ "pf", required_argument, NULL, 'p' }, { "vf", required_argument, NULL, 'v' },
		{ "create", required_argument, NULL, 'c' }, { "driver", required_argument, NULL, 'd' },
		{ "persistent", no_argument, NULL, 'P' }, { "allow-migration-loss", no_argument, NULL, 'M' },
		{ "allow-host-traffic", no_argument, NULL, 'H' }, { "rule", required_argument, NULL, 'R' },
		{ "mac", required_argument, NULL, 1 }, { "vlan", required_argument, NULL, 2 },
		{ "spoofchk", required_argument, NULL, 3 }, { "trust", required_argument, NULL, 4 },
		{ "link-state", required_argument, NULL, 5 }, { "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .backend = "kvm", .root = "/" };
	int c, bad = 0;
	log_init("sriov-testdrv", LOG_TO_STDERR, LOG_NOTICE);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		struct sriov_conf *k = &o.conf;
		switch (c) {
		case 'b': o.backend = optarg; break;
		case 'u': o.uri = optarg; break;
		case 'r': o.root = optarg; break;
		case 'j': o.journal = optarg; break;
		case 'p':
			if (k->npfs == SRIOV_CONF_MAX_PFS ||
			    set_str(k->pfs[k->npfs], sizeof k->pfs[0], optarg, "--pf"))
				bad = 1;
			else
				k->npfs++;
			break;
		case 'v': o.vf = optarg; break;
		case 'c': k->create_vfs = (unsigned)atoi(optarg); break;
		case 'd': bad |= set_str(k->driver, sizeof k->driver, optarg, "--driver") != 0; break;
		case 'P': k->persistent = 1; break;
		case 'M': k->allow_migration_loss = 1; break;
		case 'H': k->allow_host_traffic_pf = 1; break;
		case 'R': o.rule = optarg; break;
		case 1: bad |= set_str(k->vf_mac, sizeof k->vf_mac, optarg, "--mac") != 0; break;
		case 2: bad |= set_str(k->vf_vlan, sizeof k->vf_vlan, optarg, "--vlan") != 0; break;
		case 3: bad |= set_str(k->vf_spoofchk, sizeof k->vf_spoofchk, optarg, "--spoofchk") != 0; break;
		case 4: bad |= set_str(k->vf_trust, sizeof k->vf_trust, optarg, "--trust") != 0; break;
		case 5: bad |= set_str(k->vf_link_state, sizeof k->vf_link_state, optarg, "--link-state") != 0; break;
		case 'n': o.dry = 1; break;
		case 'f': o.force = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: bad = 1;
		}
	}
	const char *cmd = optind < argc ? argv[optind] : NULL;
	const char *guest = optind + 1 < argc ? argv[optind + 1] : NULL;
	int needs_guest = cmd && (!strcmp(cmd, "plan") || !strcmp(cmd, "attach"));
	if (bad || !cmd || (strcmp(cmd, "list") && strcmp(cmd, "revert") && !needs_guest) ||
	    (needs_guest && !guest) || ((!strcmp(cmd, "revert") || !strcmp(cmd, "attach")) &&
					!o.journal && !o.dry)) {
		fputs(usage_text, stderr);
		return 2;
	}
	return run(&o, cmd, guest);
}
