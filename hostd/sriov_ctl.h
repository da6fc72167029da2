/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sriov_ctl: vtune-hostd's answer to `vtune sriov list | attach | detach`
 * ({"cmd":"sriov"} on the control socket): the backend's SR-IOV view, one
 * VF attach through the sriov action (act_sriov_run: journaled, reverted
 * when it fails half way) with the options of the policy's sriov action,
 * and a detach that reverts the guest's SR-IOV journal records. */
#ifndef VTUNE_SRIOV_CTL_H
#define VTUNE_SRIOV_CTL_H

#include <json-c/json.h>

#include "action.h"
#include "apply.h"
#include "backend.h"
#include "journal.h"
#include "policy.h"

struct sriov_ctl_in {
	const struct backend_ops *ops;
	struct backend *bk;	  /* NULL: the backend is not open */
	const struct pol_set *set; /* the policy: its sriov action's options */
	struct journal *journal;  /* NULL: none (dry-run daemon) */
	const char *root;
	int dry_run;		  /* the daemon's own -n */
	/* the request's guest when hostd follows it (NULL otherwise): the
	 * helper's context (its out is set here) and the host side */
	struct apply_ctx *ac;
	const struct act_ctx *x;
};

/* Answer one {"cmd":"sriov"} request:
 *   {"op":"list"} -> {"ok":true,"backend":B,"view":sriov_view_json,
 *                     "lines":[sriov_view_print's lines]}
 *   {"op":"attach","guest":G,"vf":ADDR?,"persistent":bool?,"dry_run":bool?}
 *      -> {"ok":true,"guest":G,"result":"attached"|"dry_run"|"holds"|
 *          "refused"|"failed","vf":ADDR,"why":TEXT,"changed":N,
 *          "not_restored":N,"lines":[...]}
 *   {"op":"detach","guest":G,"dry_run":bool?}
 *      -> {"ok":true,"guest":G,"records":N (SR-IOV changes to undo),
 *          "not_restored":N,"lines":[...]}
 * and {"ok":false,"error":TEXT} for a bad request or when it cannot run
 * (no such guest, no backend slot, no sriov action in the policy, the
 * journal). A new reference. */
json_object *sriov_ctl_json(const struct sriov_ctl_in *in, json_object *req);

#endif
