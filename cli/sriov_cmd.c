/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sriov_cmd: `vtune sriov list | attach GUEST | detach GUEST`: SR-IOV VFs
 * through vtune-hostd's control socket (hostd/sriov_ctl.c): the host's
 * view, one VF given to a guest (journaled, the policy's sriov options),
 * and taken back (the guest's SR-IOV journal records reverted). */
#include "commands.h"
#include "ctl_client.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* A VF's live detach waits up to 30 s for the guest (kvm_sriov.h); an
 * attach of a VF may wait for libvirt as long. */
#define SRIOV_CTL_TIMEOUT_MS 120000

/* Exit statuses besides 0 (done, or nothing to do) and 2 (usage). */
enum { EX_FAIL = 1, EX_REFUSED = 3 };

static const char usage[] =
	"usage: vtune sriov list [--json] [--control PATH]\n"
	"       vtune sriov attach GUEST [--vf ADDR] [--persistent] [--dry-run] [--json]\n"
	"       vtune sriov detach GUEST [--dry-run] [--json]\n"
	"\n"
	"SR-IOV virtual functions, through vtune-hostd (KVM and Xen backends):\n"
	"  list           the physical functions, their VFs and who holds each\n"
	"  attach GUEST   give the running guest one VF: create VFs on an allowed PF,\n"
	"                 configure a network VF, bind vfio-pci (KVM) / pciback (Xen),\n"
	"                 attach; every step journaled first. Which PFs, how many VFs\n"
	"                 and what the guest may lose come from the policy's sriov\n"
	"                 action (vtune-policies(5)); refused, with nothing changed,\n"
	"                 for a migrating guest, a VF in use, no IOMMU, ...\n"
	"  detach GUEST   take it back: revert the guest's SR-IOV journal records\n"
	"                 (detach, unbind, the old driver and sriov_numvfs back)\n"
	"options:\n"
	"  --vf ADDR      attach this VF (PCI address DDDD:BB:SS.F)\n"
	"  --persistent   KVM: also in the domain's persistent definition\n"
	"  --dry-run      say what would change, change nothing\n"
	"  --json         print the daemon's JSON reply\n"
	"  --control PATH hostd's control socket (default $VTUNE_CONTROL, else "
	CTL_CLIENT_DEFAULT_PATH ")\n"
	"exit status: 0 done (or nothing to do), 1 failed (an attach that failed half\n"
	"way was reverted), 2 usage, 3 refused (nothing changed).\n";

static const char *str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "";
}

static int num(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_int(v) : 0;
}

static void print_lines(json_object *rep, const char *indent)
{
	json_object *a;
	if (!json_object_object_get_ex(rep, "lines", &a) || !json_object_is_type(a, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		printf("%s%s\n", indent, json_object_get_string(json_object_array_get_idx(a, i)));
}

/* The exit status of an attach reply, its text on stdout / stderr. */
static int attach_done(json_object *rep, const char *guest, int json)
{
	const char *res = str(rep, "result"), *why = str(rep, "why"), *vf = str(rep, "vf");
	int rc = !strcmp(res, "refused") ? EX_REFUSED : !strcmp(res, "failed") ? EX_FAIL : 0;
	if (!strcmp(res, "failed") && num(rep, "not_restored"))
		rc = EX_FAIL;
	if (json)
		return rc;
	print_lines(rep, "");
	if (!strcmp(res, "attached"))
		printf("guest %s: VF %s attached\n", guest, vf);
	else if (!strcmp(res, "dry_run"))
		printf("guest %s: would attach VF %s (dry run: nothing changed)\n", guest, vf);
	else if (!strcmp(res, "holds"))
		printf("guest %s: nothing to do: %s\n", guest, why);
	else if (!strcmp(res, "refused"))
		fprintf(stderr, "vtune sriov attach: refused, nothing changed: %s\n", why);
	else
		fprintf(stderr, "vtune sriov attach: %s; the attach's earlier changes were reverted%s\n",
			why, num(rep, "not_restored") ? " (not all: see above)" : "");
	return rc;
}

static int detach_done(json_object *rep, const char *guest, int dry, int json)
{
	int records = num(rep, "records"), left = num(rep, "not_restored");
	if (json)
		return left ? EX_FAIL : 0;
	print_lines(rep, "");
	if (!records)
		printf("guest %s: nothing to detach: no SR-IOV change of vtune's is in the journal\n",
		       guest);
	else if (left)
		fprintf(stderr, "vtune sriov detach: %d of %d changes not restored (see above)\n", left,
			records);
	else
		printf("guest %s: %s %d SR-IOV change%s\n", guest, dry ? "would revert" : "reverted",
		       records, records == 1 ? "" : "s");
	return left ? EX_FAIL : 0;
}

int cmd_sriov_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "vf", required_argument, NULL, 'v' },
		{ "persistent", no_argument, NULL, 'p' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = ctl_default_path(), *vf = NULL, *op, *guest = NULL;
	int json = 0, dry = 0, persistent = 0, c, rc;
	char err[512];
	json_object *rep = NULL, *req;

	optind = 0;
	while ((c = getopt_long(argc, argv, "c:jv:pnh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'j': json = 1; break;
		case 'v': vf = optarg; break;
		case 'p': persistent = 1; break;
		case 'n': dry = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return 2; /* getopt said what, on one line */
		}
	}
	if (optind >= argc) {
		fputs("vtune sriov: want list, attach GUEST or detach GUEST (see vtune sriov --help)\n",
		      stderr);
		return 2;
	}
	op = argv[optind++];
	if (strcmp(op, "list") && strcmp(op, "attach") && strcmp(op, "detach")) {
		fprintf(stderr, "vtune sriov: unknown action '%s' (want list, attach or detach)\n", op);
		return 2;
	}
	if (strcmp(op, "list") && optind < argc)
		guest = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "vtune sriov %s: unexpected argument '%s'\n", op, argv[optind]);
		return 2;
	}
	if (strcmp(op, "list") && (!guest || !*guest)) {
		fprintf(stderr, "vtune sriov %s: which guest? (vtune sriov %s GUEST)\n", op, op);
		return 2;
	}
	if ((vf || persistent) && strcmp(op, "attach")) {
		fprintf(stderr, "vtune sriov %s: --%s goes with attach only\n", op,
			vf ? "vf" : "persistent");
		return 2;
	}
	if (dry && !strcmp(op, "list")) {
		fputs("vtune sriov list: --dry-run goes with attach and detach\n", stderr);
		return 2;
	}

	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("sriov"));
	json_object_object_add(req, "op", json_object_new_string(op));
	if (guest)
		json_object_object_add(req, "guest", json_object_new_string(guest));
	if (vf)
		json_object_object_add(req, "vf", json_object_new_string(vf));
	if (persistent)
		json_object_object_add(req, "persistent", json_object_new_boolean(1));
	if (dry)
		json_object_object_add(req, "dry_run", json_object_new_boolean(1));
	int r = ctl_request_ms(path, req, &rep, SRIOV_CTL_TIMEOUT_MS, err, sizeof err);
	json_object_put(req);
	if (r < 0) {
		fprintf(stderr, "vtune sriov %s: %s\n", op, err);
		return EX_FAIL;
	}
	json_object *ok;
	if (!json_object_object_get_ex(rep, "ok", &ok) || !json_object_get_boolean(ok)) {
		const char *e = str(rep, "error");
		fprintf(stderr, "vtune sriov %s: %s\n", op, *e ? e : "the daemon refused the request");
		json_object_put(rep);
		return EX_FAIL;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED));
	if (!strcmp(op, "list")) {
		if (!json)
			print_lines(rep, "");
		rc = 0;
	} else if (!strcmp(op, "attach")) {
		rc = attach_done(rep, guest, json);
	} else {
		rc = detach_done(rep, guest, dry, json);
	}
	json_object_put(rep);
	return rc;
}
