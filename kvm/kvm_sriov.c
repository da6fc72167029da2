/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_sriov: the SR-IOV host view of a KVM host (sysfs plus every domain's
 * hostdevs), its host.sriov.* metrics, a domain's migration state, and the
 * KVM plan that gives a guest one VF. */
#include "kvm_sriov.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "kvm.h"
#include "kvm_xml.h"
#include "log.h"

#define HOSTDEVS_MAX 64

static int lv_err(const char *what)
{
	virErrorPtr e = virGetLastError();
	log_warn("kvm sriov: %s: %s", what, e && e->message ? e->message : "failed");
	return e && e->code == VIR_ERR_NO_DOMAIN ? -ENOENT
	       : e && e->code == VIR_ERR_NO_CONNECT ? -ECONNREFUSED : -EIO;
}

/* Mark the hostdevs of one domain's XML as held by name. */
static void hold_all(struct sriov_view *v, const char *xml, const char *name)
{
	char a[HOSTDEVS_MAX][16];
	size_t n = 0;
	if (kvm_xml_hostdevs(xml, a, HOSTDEVS_MAX, &n))
		return;
	for (size_t i = 0; i < n && i < HOSTDEVS_MAX; i++)
		(void)sriov_view_hold(v, a[i], name);
}

int kvm_sriov_view(struct backend *b, const char *root, struct sriov_view *v)
{
	virConnectPtr conn = b ? kvm_conn(b) : NULL;
	virDomainPtr *doms = NULL;
	if (!conn)
		return -ENOTCONN;
	int rc = sriov_view_read(root, v);
	if (rc)
		return rc;
	int nd = virConnectListAllDomains(conn, &doms, 0);
	if (nd < 0)
		return lv_err("list domains");
	for (int i = 0; i < nd; i++) {
		const char *name = virDomainGetName(doms[i]);
		int active = virDomainIsActive(doms[i]);
		char *xml = virDomainGetXMLDesc(doms[i], active == 1 ? 0 : VIR_DOMAIN_XML_INACTIVE);
		char label[BK_NAME_MAX + 16];
		snprintf(label, sizeof label, "%s%s", name ? name : "?", active == 1 ? "" : " (inactive)");
		if (xml)
			hold_all(v, xml, label);
		free(xml);
		virDomainFree(doms[i]);
	}
	free(doms);
	sriov_view_finish(v);
	return 0;
}

static struct sriov_view_cache cache;

static int scan(void *b, const char *root, struct sriov_view *v)
{
	return kvm_sriov_view(b, root, v);
}

int kvm_sriov_metrics(struct backend *b, const char *root, const struct bk_guest *g,
		      uint64_t now_ns, struct mvec *host)
{
	return sriov_view_cached_metrics(&cache, b, root, scan, g ? g->name : NULL, now_ns, host);
}

int kvm_sriov_migration(struct backend *b, const char *domain, int *migrating,
			int *must_migrate, char *why, size_t n)
{
	virConnectPtr conn = b ? kvm_conn(b) : NULL;
	if (!conn)
		return -ENOTCONN;
	virDomainPtr dom = virDomainLookupByName(conn, domain);
	if (!dom)
		return lv_err("lookup");
	*migrating = *must_migrate = 0;
	why[0] = '\0';
	int type = 0, np = 0, state = 0, reason = 0;
	virTypedParameterPtr params = NULL;
	if (virDomainGetJobStats(dom, &type, &params, &np, 0) == 0) {
		int op = 0;
		if (type != VIR_DOMAIN_JOB_NONE &&
		    virTypedParamsGetInt(params, np, VIR_DOMAIN_JOB_OPERATION, &op) == 1 &&
		    (op == VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN ||
		     op == VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT)) {
			*migrating = 1;
			snprintf(why, n, "libvirt runs a migration job on it");
		}
		virTypedParamsFree(params, np);
	} else {
		virResetLastError(); /* drivers without jobs (the test driver) */
	}
	if (!*migrating && virDomainGetState(dom, &state, &reason, 0) == 0 &&
	    state == VIR_DOMAIN_PAUSED &&
	    (reason == VIR_DOMAIN_PAUSED_MIGRATION || reason == VIR_DOMAIN_PAUSED_POSTCOPY)) {
		*migrating = 1;
		snprintf(why, n, "paused for a migration");
	}
	char *meta = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, KVM_SRIOV_META_NS,
					  VIR_DOMAIN_AFFECT_CURRENT);
	if (meta) {
		/* our namespace's one element, without the namespace; one
		 * we cannot read counts as the mark (a VF stops migration) */
		int r = kvm_xml_root_is(meta, "migratable");
		if (r) {
			*must_migrate = 1;
			if (!*migrating)
				snprintf(why, n, "its XML marks it migratable (<metadata> %s%s)",
					 KVM_SRIOV_META_NS, r < 0 ? ", unreadable" : "");
		}
		free(meta);
	} else {
		virResetLastError(); /* no such metadata: the usual case */
	}
	virDomainFree(dom);
	return 0;
}

int kvm_sriov_plan(struct backend *b, const char *root, const struct bk_guest *g,
		   const struct sriov_conf *conf, const char *want_vf, sriov_change_fn fn,
		   void *arg, char *why, size_t n)
{
	char mwhy[128];
	int migrating = 0, must = 0, rc;
	struct sriov_view *v = malloc(sizeof *v);
	if (!v)
		return -ENOMEM;
	if ((rc = kvm_sriov_view(b, root, v))) {
		snprintf(why, n, "reading the host's SR-IOV state: %s", strerror(-rc));
		goto out;
	}
	if ((rc = kvm_sriov_migration(b, g->name, &migrating, &must, mwhy, sizeof mwhy))) {
		snprintf(why, n, "guest %s: %s", g->name, strerror(-rc));
		goto out;
	}
	const struct sriov_hv hv = {
		.name = "this KVM host",
		.stub_driver = "vfio-pci",
		.attach_kind = "kvm-hostdev",
		.attach_value = conf->persistent ? "attached-persistent" : "attached",
		.iommu = -1,
		.iommu_hint = "enable VT-d / AMD-Vi in the firmware and boot the host kernel with "
			      "intel_iommu=on (Intel; AMD's IOMMU is on by default: remove "
			      "amd_iommu=off if it is there), then /sys/kernel/iommu_groups must "
			      "not be empty (docs/sriov.md)",
	};
	const struct sriov_guest sg = {
		.name = g->name, .attach_target = g->name,
		.migrating = migrating, .must_migrate = must, .migration_why = mwhy,
	};
	rc = sriov_plan(v, conf, &hv, &sg, want_vf, fn, arg, why, n);
out:
	free(v);
	return rc;
}
