/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sriov_view: the host's SR-IOV state from root-prefixed sysfs and procfs:
 * every PCI physical function with sriov_totalvfs (any class: a NIC, an NVMe
 * controller), its VFs, and per VF its driver, IOMMU group, network interface
 * and which guest holds it (filled in by the backend: KVM hostdevs, Xen PCI
 * backends). The backends turn it into the host.sriov.* metrics and the
 * planners (sriov_plan.h) choose a VF from it. */
#ifndef VTUNE_SRIOV_VIEW_H
#define VTUNE_SRIOV_VIEW_H

#include <stddef.h>
#include <stdio.h>

#include "metrics.h"
#include "sriov.h"

#define SRIOV_VIEW_MAX_PFS 32
#define SRIOV_VIEW_MAX_VFS 512
#define SRIOV_DRV_MAX 32
#define SRIOV_GUEST_MAX 64
#define SRIOV_IF_MAX 16

/* What a VF is doing, from the guest's side of things. */
enum sriov_vf_state {
	SRIOV_VF_FREE,     /* no guest holds it and no host interface uses it */
	SRIOV_VF_HOST,     /* bound to a host driver whose interface is up */
	SRIOV_VF_OPEN,     /* bound to vfio-pci and its group opened by a process
			    * that is no guest we know (e.g. DPDK) */
	SRIOV_VF_ASSIGNED, /* a guest holds it */
};

struct sriov_vf {
	char addr[SRIOV_NAME_MAX];
	unsigned pf;		      /* index into sriov_view.pf */
	unsigned index;		      /* its virtfn<index> */
	char driver[SRIOV_DRV_MAX];   /* "" when unbound */
	int iommu_group;	      /* -1: none (IOMMU off, or a Xen dom0) */
	char netdev[SRIOV_IF_MAX];    /* its network interface, "" none */
	int netdev_up;		      /* IFF_UP */
	int vfio_open;		      /* its /dev/vfio/<group> is open in some process */
	char guest[SRIOV_GUEST_MAX];  /* the guest holding it, "" none */
	enum sriov_vf_state state;    /* set by sriov_view_finish */
};

struct sriov_pf {
	char addr[SRIOV_NAME_MAX];
	char netdev[SRIOV_IF_MAX];   /* its first network interface, "" none */
	char driver[SRIOV_DRV_MAX];
	unsigned vendor, device, class_code;
	unsigned total_vfs, num_vfs;
	unsigned offset, stride;     /* VF routing IDs: PF's + offset + i * stride */
	int iommu_group;	     /* -1: none (then its VFs get none either) */
	int autoprobe;		     /* sriov_drivers_autoprobe; -1 unknown */
	/* Its interface carries the host's own traffic: why ("IPv4 route via
	 * eth0", "default route via eth0", "eth0 is enslaved to br0", "IPv6
	 * address on eth0"), "" when not. */
	char host_traffic[64];
	unsigned first_vf, nvfs;     /* its VFs: vf[first_vf .. first_vf + nvfs) */
};

struct sriov_view {
	struct sriov_pf pf[SRIOV_VIEW_MAX_PFS];
	struct sriov_vf vf[SRIOV_VIEW_MAX_VFS];
	size_t npf, nvf;
	int truncated;		/* more PFs or VFs than fit */
	/* sriov_view_finish: */
	unsigned total_vfs;	/* sum of sriov_totalvfs */
	unsigned existing_vfs;	/* sum of sriov_numvfs (VFs we saw) */
	unsigned free_vfs;	/* SRIOV_VF_FREE, plus all sriov_totalvfs of every
				 * PF with no VFs yet whose interface does not
				 * carry host traffic (they can be created) */
	unsigned assigned_vfs;	/* SRIOV_VF_ASSIGNED */
};

/* Read every PF under <root>/sys/bus/pci/devices and its VFs (virtfnN
 * links), drivers, IOMMU groups, interfaces; the PFs' host traffic from
 * <root>/proc/net/route, ipv6_route and if_inet6 and the interfaces'
 * master links; VFs on vfio-pci whose group some process holds open
 * (<root>/proc/<pid>/fd/N -> /dev/vfio/<group>). No guest is set yet.
 * v is cleared first. A VF or PF whose files cannot be read is skipped.
 * Returns 0, -ENOENT (no sys/bus/pci/devices: no PCI here) or -errno. */
int sriov_view_read(const char *root, struct sriov_view *v);

/* The VF with this PCI address, or NULL. */
struct sriov_vf *sriov_view_vf(struct sriov_view *v, const char *addr);

/* Note that guest holds the PCI device addr (a hostdev / PCI backend entry).
 * Devices that are no VF we know are ignored (another kind of passthrough).
 * Returns 1 when addr is a VF of the view, else 0. */
int sriov_view_hold(struct sriov_view *v, const char *addr, const char *guest);

/* Set each VF's state and the totals. A VF held by a guest is ASSIGNED; one
 * on vfio-pci whose group is open in a process is OPEN (some other user);
 * one on a host driver whose interface is up is HOST; the rest FREE. */
void sriov_view_finish(struct sriov_view *v);

/* host.sriov.total_vfs, free_vfs, assigned_vfs from a finished view, and
 * host.sriov.guest_vfs: VFs the guest named guest holds (NULL: not set). */
void sriov_view_metrics(const struct sriov_view *v, const char *guest, struct mvec *host);

/* A backend's last view, taken again when older than a second (host_view
 * runs once per guest each interval: one scan a second for them all). */
struct sriov_view_cache {
	const void *b;	/* the backend it was taken for */
	uint64_t t_ns;
	struct sriov_view *v;
	int rc;
};
/* The metrics above for guest from the cached view, scan(b, root, v)
 * taking a new one when due. 0 (no PCI devices folder: nothing set),
 * -ENOMEM, or scan's error. */
int sriov_view_cached_metrics(struct sriov_view_cache *c, void *b, const char *root,
			      int (*scan)(void *b, const char *root, struct sriov_view *v),
			      const char *guest, uint64_t now_ns, struct mvec *host);

/* The PCI address of VF idx of PF pf from its routing ID (PF's + offset +
 * idx * stride), for a VF that does not exist yet. 0, -ERANGE (past
 * sriov_totalvfs or bus 255), -EINVAL. */
int sriov_view_vf_addr(const struct sriov_pf *pf, unsigned idx, char addr[SRIOV_NAME_MAX]);

/* One line per PF and VF, as `vtune sriov list` prints them, into f. */
void sriov_view_print(const struct sriov_view *v, FILE *f);

/* The IOMMU group of a PCI device (its iommu_group link), -1 when none. */
int sriov_iommu_group(const char *root, const char *addr);

/* 1 when some process under <root>/proc holds /dev/vfio/<group> open
 * (QEMU giving the device to a guest, DPDK ...), else 0. */
int sriov_vfio_group_open(const char *root, int group);

/* The view as JSON (json-c), for `vtune sriov list --json`:
 * {"pfs":[{"addr","vendor","device","class","driver","netdev","total_vfs",
 *  "num_vfs","iommu_group","host_traffic","vfs":[{"index","addr","state",
 *  "driver","iommu_group","netdev","guest"}]}], "total_vfs", "existing_vfs",
 *  "free_vfs", "assigned_vfs", "truncated"}; strings "" when unknown, ids as
 * "0x1b36". A new reference (json_object_put it), NULL on no memory. */
struct json_object;
struct json_object *sriov_view_json(const struct sriov_view *v);

/* The state's name: "free", "host", "open", "assigned". */
const char *sriov_vf_state_name(enum sriov_vf_state s);

#endif
