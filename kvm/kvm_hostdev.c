/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_hostdev: the "kvm-hostdev" knob kind: a VF as <hostdev managed='yes'>
 * of a libvirt domain, live and/or persistent, attached and detached through
 * the KVM backend's connection (its knob context). */
#include "kvm_sriov.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "kvm.h"
#include "kvm_xml.h"
#include "log.h"
#include "sriov.h"

enum { SIDE_LIVE = 1, SIDE_CONFIG = 2 };

static const char *const values[4] = {
	[0] = "detached",
	[SIDE_LIVE] = "attached",
	[SIDE_CONFIG] = "persistent",
	[SIDE_LIVE | SIDE_CONFIG] = "attached-persistent",
};

static int value_sides(const char *v)
{
	for (int i = 0; v && i < 4; i++)
		if (!strcmp(v, values[i]))
			return i;
	return -1;
}

/* libvirt's last error as -errno, logged. */
static int lv_err(const char *what, const char *dom)
{
	virErrorPtr e = virGetLastError();
	int code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
	log_warn("kvm-hostdev: %s: %s: %s", dom, what, e && e->message ? e->message : "failed");
	switch (code) {
	case VIR_ERR_NO_DOMAIN:
		return -ENOENT;
	case VIR_ERR_INVALID_ARG:
	case VIR_ERR_XML_ERROR:
		return -EINVAL;
	case VIR_ERR_NO_SUPPORT:
	case VIR_ERR_ARGUMENT_UNSUPPORTED:
	case VIR_ERR_CONFIG_UNSUPPORTED:
		return -ENOTSUP;
	case VIR_ERR_OPERATION_INVALID:
		return -EBUSY;
	case VIR_ERR_NO_CONNECT:
		return -ECONNREFUSED;
	default:
		return -EIO;
	}
}

static int check(void *ctx, const char *target, const char *key, const char *value, char *why,
		 size_t n)
{
	(void)ctx;
	if (!target || !target[0] || strlen(target) >= BK_NAME_MAX) {
		snprintf(why, n, "target must be a domain name");
		return -EINVAL;
	}
	if (!key || sriov_parse_addr(key, NULL, NULL, NULL, NULL)) {
		snprintf(why, n, "key '%s' is not a PCI address DDDD:BB:SS.F", key ? key : "");
		return -EINVAL;
	}
	if (value_sides(value) < 0) {
		snprintf(why, n, "value must be detached, attached, attached-persistent or persistent");
		return -EINVAL;
	}
	return 0;
}

/* Is addr a <hostdev> of the XML of dom (flags: 0 = live when running)? */
static int has_hostdev(virDomainPtr dom, unsigned flags, const char *addr, int *has)
{
	char a[64][16];
	size_t n = 0;
	char *xml = virDomainGetXMLDesc(dom, flags);
	if (!xml)
		return lv_err("domain XML", virDomainGetName(dom));
	int rc = kvm_xml_hostdevs(xml, a, 64, &n);
	free(xml);
	if (rc)
		return rc;
	*has = 0;
	for (size_t i = 0; i < n && i < 64; i++)
		if (!strcasecmp(a[i], addr))
			*has = 1;
	return 0;
}

/* Which sides hold addr now. */
static int sides(virDomainPtr dom, const char *addr, int *out)
{
	int active = virDomainIsActive(dom), persistent = virDomainIsPersistent(dom), has = 0, rc;
	if (active < 0 || persistent < 0)
		return lv_err("domain state", virDomainGetName(dom));
	*out = 0;
	if (active) {
		if ((rc = has_hostdev(dom, 0, addr, &has)))
			return rc;
		*out |= has ? SIDE_LIVE : 0;
	}
	if (persistent) {
		if ((rc = has_hostdev(dom, VIR_DOMAIN_XML_INACTIVE, addr, &has)))
			return rc;
		*out |= has ? SIDE_CONFIG : 0;
	}
	return 0;
}

static int lookup(void *ctx, const char *target, virDomainPtr *dom)
{
	struct backend *b = ctx;
	virConnectPtr conn = b ? kvm_conn(b) : NULL;
	if (!conn)
		return -ENOTCONN;
	*dom = virDomainLookupByName(conn, target);
	return *dom ? 0 : lv_err("lookup", target);
}

static int rd(void *ctx, const char *root, const char *target, const char *key, char *buf,
	      size_t n)
{
	(void)root;
	char why[128];
	virDomainPtr dom;
	int s = 0, rc = check(ctx, target, key, "detached", why, sizeof why);
	if (rc || (rc = lookup(ctx, target, &dom)))
		return rc;
	rc = sides(dom, key, &s);
	virDomainFree(dom);
	if (rc)
		return rc;
	if (strlen(values[s]) >= n)
		return -EOVERFLOW;
	strcpy(buf, values[s]);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Wait until addr has left the live XML (QEMU's DEVICE_DELETED came). */
static int wait_detached(virDomainPtr dom, const char *addr)
{
	for (long waited = 0;; waited += 100) {
		int has = 0, rc = has_hostdev(dom, 0, addr, &has);
		if (rc)
			return rc;
		if (!has)
			return 0;
		if (waited >= KVM_HOSTDEV_DETACH_WAIT_MS) {
			log_warn("kvm-hostdev: %s: %s still attached after %d ms (has the guest "
				 "acknowledged the unplug?)", virDomainGetName(dom), addr,
				 KVM_HOSTDEV_DETACH_WAIT_MS);
			return -ETIMEDOUT;
		}
		sleep_ms(100);
	}
}

static int wr(void *ctx, const char *root, const char *target, const char *key, const char *value)
{
	(void)root;
	char why[128], xml[512];
	virDomainPtr dom;
	int cur = 0, rc = check(ctx, target, key, value, why, sizeof why);
	if (rc || (rc = sriov_hostdev_xml(key, xml, sizeof xml)) || (rc = lookup(ctx, target, &dom)))
		return rc;
	int want = value_sides(value);
	if ((rc = sides(dom, key, &cur)))
		goto out;
	/* live first on attach (a failure leaves the definition alone), config
	 * first on detach (a restart never brings back a half-detached VF) */
	static const int order_attach[2] = { SIDE_LIVE, SIDE_CONFIG };
	static const int order_detach[2] = { SIDE_CONFIG, SIDE_LIVE };
	const int *order = (want & ~cur) ? order_attach : order_detach;
	for (int i = 0; i < 2 && !rc; i++) {
		int side = order[i];
		if ((cur & side) == (want & side))
			continue;
		unsigned fl = side == SIDE_LIVE ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG;
		const char *what = side == SIDE_LIVE ? "live" : "persistent";
		if (want & side) {
			if (virDomainAttachDeviceFlags(dom, xml, fl) < 0)
				rc = lv_err("attach", target);
			else
				log_info("kvm-hostdev: %s: VF %s attached (%s)", target, key, what);
		} else {
			if (virDomainDetachDeviceFlags(dom, xml, fl) < 0)
				rc = lv_err("detach", target);
			else if (side == SIDE_LIVE && !(rc = wait_detached(dom, key)))
				log_info("kvm-hostdev: %s: VF %s detached (%s)", target, key, what);
			else if (side == SIDE_CONFIG)
				log_info("kvm-hostdev: %s: VF %s detached (%s)", target, key, what);
		}
	}
out:
	virDomainFree(dom);
	return rc;
}

const struct knob_ops kvm_knob_hostdev_ops = {
	.kind = "kvm-hostdev",
	.read = rd,
	.write = wr,
	.check = check,
	.restore = NULL, /* write: every value is writable */
};
