/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pci_conf: what an SR-IOV / PCI passthrough action is allowed to do (which
 * physical functions, how many VFs, which driver, what it may cost the guest
 * or the host). Plain data, no dependencies: policies, the operator command
 * and the planners (hostnet/sriov_plan.h) all fill or read it. */
#ifndef VTUNE_PCI_CONF_H
#define VTUNE_PCI_CONF_H

#define SRIOV_CONF_MAX_PFS 8
#define SRIOV_CONF_NAME_MAX 16 /* "DDDD:BB:SS.F" or an interface name, with NUL */

/* All-zero is the safest configuration: no PF allowed, nothing happens. */
struct sriov_conf {
	/* PFs a VF may come from: PCI addresses ("0000:03:00.0") or the
	 * names of their network interfaces ("enp3s0f0"). None: refuse. */
	char pfs[SRIOV_CONF_MAX_PFS][SRIOV_CONF_NAME_MAX];
	unsigned npfs;
	/* VFs to create on an allowed PF that has none yet (sriov_numvfs 0);
	 * 0 means 1. Never more than the PF's sriov_totalvfs. */
	unsigned create_vfs;
	/* Driver the VF is bound to before it is given to the guest; "" is
	 * the hypervisor's own: "vfio-pci" (KVM), "pciback" (Xen). */
	char driver[32];
	/* KVM: also add the <hostdev> to the domain's persistent definition
	 * (it then survives a guest restart); 0: live only. */
	int persistent;
	/* The guest loses live migration (a passed-through device cannot
	 * migrate): 0 refuses a guest that is migrating or marked as one that
	 * must stay migratable (docs/sriov.md, "Migration"). */
	int allow_migration_loss;
	/* A PF whose network interface carries the host's own traffic (an
	 * address, a route, a master such as a bridge or bond): 0 refuses. */
	int allow_host_traffic_pf;
	/* Network VFs only, set through the PF with rtnetlink before the VF is
	 * bound ("sriov-vf" knob values): "" leaves a setting as it is. */
	char vf_mac[18];       /* "52:54:00:12:34:56" */
	char vf_vlan[16];      /* "100" or "100:3" (VLAN 100, QoS 3); "0" = none */
	char vf_spoofchk[4];   /* "on" / "off" */
	char vf_trust[4];      /* "on" / "off" */
	char vf_link_state[8]; /* "auto" / "enable" / "disable" */
};

#endif
