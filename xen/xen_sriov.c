/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xen_sriov: the "xen-pci" knob kind (libxl_device_pci_add / _remove, as
 * xl pci-attach / pci-detach), the Xen SR-IOV host view from sysfs and the
 * xenstore PCI backends, host.sriov.* metrics and the Xen VF plan. */
#include "xen_sriov.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Xen's headers need GNU C (see xen.c). */
#undef __STRICT_ANSI__
#include <libxl.h>
#include <xenctrl.h>
#include <xenstore.h>

#include "log.h"
#include "parse.h"
#include "sriov.h"
#include "xen.h"

#define BACKEND_DIR "/local/domain/0/backend/pci"

static char last_error[512];

const char *xen_pci_last_error(void)
{
	return last_error;
}

/* ---- libxl's log, kept ---- */

static void lg_vmessage(struct xentoollog_logger *l, xentoollog_level lv, int e, const char *ctx,
			const char *fmt, va_list ap)
{
	(void)l;
	char msg[400];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (lv >= XTL_WARN)
		log_warn("xen-pci: libxl%s%s: %s%s%s", ctx ? " " : "", ctx ? ctx : "", msg,
			 e > 0 ? ": " : "", e > 0 ? strerror(e) : "");
	if (lv >= XTL_ERROR)
		snprintf(last_error, sizeof last_error, "%s%s%s", msg, e > 0 ? ": " : "",
			 e > 0 ? strerror(e) : "");
}

static void lg_progress(struct xentoollog_logger *l, const char *ctx, const char *what, int pct,
			unsigned long done, unsigned long total)
{
	(void)l, (void)ctx, (void)what, (void)pct, (void)done, (void)total;
}

static void lg_destroy(struct xentoollog_logger *l)
{
	(void)l;
}

static struct xentoollog_logger keep_logger = {
	.vmessage = lg_vmessage,
	.progress = lg_progress,
	.destroy = lg_destroy,
};

/* ---- the "xen-pci" kind ---- */

static int parse_domid(const char *t, uint32_t *domid)
{
	uint64_t d;
	size_t n = t ? strlen(t) : 0;
	if (n == 0 || n > 5 || (n > 1 && t[0] == '0') || strspn(t, "0123456789") != n ||
	    parse_u64(t, &d) || d == 0 || d >= 0x7FF0)
		return -EINVAL;
	*domid = (uint32_t)d;
	return 0;
}

static int check(void *ctx, const char *target, const char *key, const char *value, char *why,
		 size_t n)
{
	(void)ctx;
	uint32_t d;
	if (parse_domid(target, &d)) {
		snprintf(why, n, "target '%s' is not a guest's domid (1..32751)", target ? target : "");
		return -EINVAL;
	}
	if (!key || sriov_parse_addr(key, NULL, NULL, NULL, NULL)) {
		snprintf(why, n, "key '%s' is not a PCI address DDDD:BB:SS.F", key ? key : "");
		return -EINVAL;
	}
	if (!value || (value[0] && strcmp(value, "assigned"))) {
		snprintf(why, n, "value must be \"assigned\" or \"\"");
		return -EINVAL;
	}
	return 0;
}

static char *xs_get(struct xs_handle *xs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *xs_get(struct xs_handle *xs, const char *fmt, ...)
{
	char path[256];
	unsigned len;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	return xs_read(xs, XBT_NULL, path, &len);
}

/* Call fn for each device in domid's PCI backend that is not closing. */
static int backend_devs(struct xs_handle *xs, uint32_t domid,
			void (*fn)(void *arg, const char *addr), void *arg)
{
	char *num = xs_get(xs, BACKEND_DIR "/%u/0/num_devs", domid);
	uint64_t n = 0;
	if (!num)
		return 0; /* no PCI backend: no devices */
	if (parse_u64(num, &n) || n > 256)
		n = 0;
	free(num);
	for (unsigned i = 0; i < n; i++) {
		char *dev = xs_get(xs, BACKEND_DIR "/%u/0/dev-%u", domid, i);
		char *st = xs_get(xs, BACKEND_DIR "/%u/0/state-%u", domid, i);
		int closing = st && (!strcmp(st, "5") || !strcmp(st, "6"));
		if (dev && !closing && !sriov_parse_addr(dev, NULL, NULL, NULL, NULL))
			fn(arg, dev);
		free(dev);
		free(st);
	}
	return 0;
}

struct find {
	const char *addr;
	int found;
};

static void find_one(void *arg, const char *addr)
{
	struct find *f = arg;
	f->found |= !strcasecmp(f->addr, addr);
}

static int rd(void *ctx, const char *root, const char *target, const char *key, char *buf,
	      size_t n)
{
	(void)root;
	char why[128];
	uint32_t domid;
	struct xs_handle *xs = ctx ? xen_xs_handle(ctx) : NULL;
	int rc = check(ctx, target, key, "", why, sizeof why);
	if (rc)
		return rc;
	if (!xs)
		return -ENOTCONN;
	parse_domid(target, &domid);
	char *name = xs_get(xs, "/local/domain/%u/name", domid);
	if (!name)
		return -ENOENT;
	free(name);
	struct find f = { key, 0 };
	backend_devs(xs, domid, find_one, &f);
	const char *v = f.found ? "assigned" : "";
	if (strlen(v) >= n)
		return -EOVERFLOW;
	strcpy(buf, v);
	return 0;
}

static int lx_errno(int rc)
{
	switch (rc) {
	case ERROR_DOMAIN_NOTFOUND:
		return -ENOENT;
	case ERROR_TIMEDOUT:
	case ERROR_GUEST_TIMEDOUT:
		return -ETIMEDOUT;
	case ERROR_INVAL:
		return -EINVAL;
	case ERROR_NOMEM:
		return -ENOMEM;
	case ERROR_NOTFOUND:
		return -ENODEV;
	case ERROR_DEVICE_EXISTS:
		return -EEXIST;
	default:
		break;
	}
	/* libxl says most refusals as ERROR_FAIL: tell them by its text */
	if (strstr(last_error, "not assignable") || strstr(last_error, "No such device"))
		return -ENODEV;
	if (strstr(last_error, "passthrough") || strstr(last_error, "IOMMU") ||
	    strstr(last_error, "iommu") || strstr(last_error, "Operation not supported"))
		return -EPERM;
	return -EIO;
}

static int wr(void *ctx, const char *root, const char *target, const char *key, const char *value)
{
	(void)root;
	char why[128];
	uint32_t domid;
	unsigned d, b, s, f;
	libxl_ctx *lx = NULL;
	libxl_device_pci pci;
	int rc = check(ctx, target, key, value, why, sizeof why);
	if (rc)
		return rc;
	if (!ctx || !xen_xs_handle(ctx))
		return -ENOTCONN;
	parse_domid(target, &domid);
	sriov_parse_addr(key, &d, &b, &s, &f);
	last_error[0] = '\0';
	if (libxl_ctx_alloc(&lx, LIBXL_VERSION, 0, &keep_logger)) {
		snprintf(last_error, sizeof last_error, "libxl_ctx_alloc failed");
		return -EIO;
	}
	libxl_device_pci_init(&pci);
	pci.domain = (int)d;
	pci.bus = (uint8_t)b;
	pci.dev = (uint8_t)s;
	pci.func = (uint8_t)f;
	if (value[0])
		rc = libxl_device_pci_add(lx, domid, &pci, NULL);
	else
		rc = libxl_device_pci_remove(lx, domid, &pci, NULL);
	libxl_device_pci_dispose(&pci);
	libxl_ctx_free(lx);
	if (rc) {
		if (!last_error[0])
			snprintf(last_error, sizeof last_error, "%s", libxl_error_to_string(rc));
		log_warn("xen-pci: %s %s %s domain %u failed: %s", value[0] ? "assigning" : "removing",
			 key, value[0] ? "to" : "from", domid, last_error);
		return lx_errno(rc);
	}
	log_info("xen-pci: %s %s domain %u", key, value[0] ? "assigned to" : "removed from", domid);
	return 0;
}

const struct knob_ops xen_knob_pci_attach_ops = {
	.kind = "xen-pci",
	.read = rd,
	.write = wr,
	.check = check,
};

/* ---- the view ---- */

struct holds {
	struct sriov_view *v;
	const char *name;
};

static void hold_one(void *arg, const char *addr)
{
	struct holds *h = arg;
	sriov_view_hold(h->v, addr, h->name);
}

int xen_sriov_view(struct backend *b, const char *root, struct sriov_view *v)
{
	struct xs_handle *xs = b ? xen_xs_handle(b) : NULL;
	unsigned nd = 0;
	if (!xs)
		return -ENOTCONN;
	int rc = sriov_view_read(root, v);
	if (rc)
		return rc;
	char **doms = xs_directory(xs, XBT_NULL, BACKEND_DIR, &nd);
	for (unsigned i = 0; doms && i < nd; i++) {
		uint32_t domid;
		if (parse_domid(doms[i], &domid))
			continue;
		char *name = xs_get(xs, "/local/domain/%u/name", domid);
		char label[BK_NAME_MAX];
		snprintf(label, sizeof label, "%s", name ? name : doms[i]);
		free(name);
		struct holds h = { v, label };
		backend_devs(xs, domid, hold_one, &h);
	}
	free(doms);
	sriov_view_finish(v);
	return 0;
}

int xen_sriov_iommu(struct backend *b)
{
	xc_interface *xch = b ? xen_xc_handle(b) : NULL;
	xc_physinfo_t pi;
	if (!xch)
		return -ENOTCONN;
	memset(&pi, 0, sizeof pi);
	if (xc_physinfo(xch, &pi))
		return errno ? -errno : -EIO;
	return (pi.capabilities & XEN_SYSCTL_PHYSCAP_directio) ? 1 : 0;
}

static struct sriov_view_cache cache;

static int scan(void *b, const char *root, struct sriov_view *v)
{
	return xen_sriov_view(b, root, v);
}

int xen_sriov_metrics(struct backend *b, const char *root, const struct bk_guest *g,
		      uint64_t now_ns, struct mvec *host)
{
	return sriov_view_cached_metrics(&cache, b, root, scan, g ? g->name : NULL, now_ns, host);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

int xen_sriov_plan(struct backend *b, const char *root, const struct bk_guest *g,
		   const struct sriov_conf *conf, const char *want_vf, sriov_change_fn fn,
		   void *arg, char *why, size_t n)
{
	struct xs_handle *xs = b ? xen_xs_handle(b) : NULL;
	char target[16], mwhy[128] = "";
	int migrating = 0, rc;
	if (!xs)
		return -ENOTCONN;
	if (g->domid <= 0) {
		snprintf(why, n, "guest %s: no domid", g->name);
		return -EINVAL;
	}
	char *name = xs_get(xs, "/local/domain/%d/name", g->domid);
	if (!name) {
		snprintf(why, n, "domain %d does not exist", g->domid);
		return -ENOENT;
	}
	if (ends_with(name, "--incoming") || ends_with(name, "--migratedaway")) {
		migrating = 1;
		snprintf(mwhy, sizeof mwhy, "xl migrate renamed it %s", name);
	}
	free(name);
	int iommu = xen_sriov_iommu(b);
	if (iommu < 0) {
		snprintf(why, n, "xc_physinfo: %s", strerror(-iommu));
		return iommu;
	}
	struct sriov_view *v = malloc(sizeof *v);
	if (!v)
		return -ENOMEM;
	if ((rc = xen_sriov_view(b, root, v))) {
		snprintf(why, n, "reading the host's SR-IOV state: %s", strerror(-rc));
		goto out;
	}
	snprintf(target, sizeof target, "%d", g->domid);
	const struct sriov_hv hv = {
		.name = "Xen",
		.stub_driver = "pciback",
		.attach_kind = "xen-pci",
		.attach_value = "assigned",
		.iommu = iommu,
		.iommu_hint = "boot Xen with iommu=1 on its command line (VT-d / AMD-Vi on in the "
			      "firmware); `xl info` then shows directio in virt_caps; create the guest "
			      "with passthrough=\"enabled\" in its xl config",
	};
	const struct sriov_guest sg = {
		.name = g->name, .attach_target = target,
		.migrating = migrating, .must_migrate = 0, .migration_why = mwhy,
	};
	rc = sriov_plan(v, conf, &hv, &sg, want_vf, fn, arg, why, n);
out:
	free(v);
	return rc;
}
