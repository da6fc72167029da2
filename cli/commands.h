/* SPDX-License-Identifier: GPL-2.0-or-later */
/* commands: the sub-commands of the `vtune` program. Each takes the
 * arguments after its own name (argv[0] is the sub-command name) and returns
 * the process exit status. */
#ifndef VTUNE_COMMANDS_H
#define VTUNE_COMMANDS_H

int bench_crr_main(int argc, char **argv);   /* vtune bench crr ... */
int cmd_revert_main(int argc, char **argv);  /* vtune revert ... */
int cmd_policy_main(int argc, char **argv);  /* vtune policy check FILE */
int cmd_status_main(int argc, char **argv);  /* vtune status */
int cmd_apply_main(int argc, char **argv);   /* vtune apply --dry-run */
int cmd_kvm_main(int argc, char **argv);     /* vtune kvm channel-xml */
int cmd_report_main(int argc, char **argv);  /* vtune report */
int cmd_fleet_main(int argc, char **argv);   /* vtune fleet */
int cmd_sriov_main(int argc, char **argv);   /* vtune sriov list|attach|detach */
int cmd_off_main(int argc, char **argv);     /* vtune off: revert all, stop tuning */
int cmd_on_main(int argc, char **argv);      /* vtune on: tune again */
int cmd_verify_main(int argc, char **argv);  /* vtune verify: knobs as vtune set them? */

#endif
