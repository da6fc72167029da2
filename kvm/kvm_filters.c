/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_filters: the libvirt network filters bound to a guest's traffic (the
 * KVM backend's guest_filters slot). A guest with any keeps bridge
 * netfilter on: nwfilter's ebtables/iptables rules only see bridged frames
 * while it is on. Two sources, because either alone can miss one: the
 * nwfilter driver's bindings for the guest's tap, and <filterref> in the
 * domain's live XML (kvm_xml). */
#include "kvm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "kvm_xml.h"

/* Append name to the comma-separated list in buf unless it is there. */
static void add_name(char *buf, size_t n, const char *name, int *count)
{
	size_t len = strlen(name), used = strlen(buf);
	for (const char *p = buf; *p;) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		if (l == len && !strncmp(p, name, len))
			return;
		p = end ? end + 1 : p + l;
	}
	(*count)++;
	if (used + (used ? 1 : 0) + len + 1 > n)
		return; /* counted, the text is cut */
	snprintf(buf + used, n - used, "%s%s", used ? "," : "", name);
}

struct names {
	char *buf;
	size_t n;
	int count;
};

static void add_ref(void *arg, const char *name)
{
	struct names *l = arg;
	add_name(l->buf, l->n, name, &l->count);
}

int kvm_filterrefs(const char *xml, const char *tap, char *buf, size_t n)
{
	struct names l = { buf, n, 0 };
	if (!n)
		return -EINVAL;
	buf[0] = '\0';
	int rc = kvm_xml_each_filterref(xml, tap, add_ref, &l);
	return rc ? rc : l.count;
}

/* The nwfilter driver's bindings on the guest's tap: their count, names
 * added to buf; 0 when the driver has none or is not there. */
static int bindings(virConnectPtr conn, const char *tap, char *buf, size_t n, int *count)
{
	virNWFilterBindingPtr *list = NULL;
	int nb = virConnectListAllNWFilterBindings(conn, &list, 0);
	if (nb < 0) {
		/* no nwfilter driver (the test driver, a session daemon): no
		 * bindings can exist there */
		virErrorPtr e = virGetLastError();
		int none = e && (e->code == VIR_ERR_NO_SUPPORT || e->code == VIR_ERR_NO_NWFILTER);
		virResetLastError();
		return none ? 0 : -EIO;
	}
	for (int i = 0; i < nb; i++) {
		const char *dev = virNWFilterBindingGetPortDev(list[i]);
		const char *name = virNWFilterBindingGetFilterName(list[i]);
		if (dev && name && !strcmp(dev, tap))
			add_name(buf, n, name, count);
		virNWFilterBindingFree(list[i]);
	}
	free(list);
	return 0;
}

int kvm_guest_filters(struct backend *b, const struct bk_guest *g, char *buf, size_t n)
{
	virConnectPtr conn = kvm_conn(b);
	int count = 0, r = 0;
	if (!n)
		return -EINVAL;
	buf[0] = '\0';
	if (!conn)
		return -ENOTCONN;
	virDomainPtr dom = virDomainLookupByName(conn, g->name);
	if (!dom) {
		virResetLastError();
		return -ENOENT;
	}
	char *xml = virDomainGetXMLDesc(dom, 0);
	virDomainFree(dom);
	if (!xml) {
		virResetLastError();
		return -EIO;
	}
	char refs[256];
	int nr = kvm_filterrefs(xml, g->tap, refs, sizeof refs);
	free(xml);
	if (nr < 0)
		return nr;
	for (char *save = NULL, *p = strtok_r(refs, ",", &save); p; p = strtok_r(NULL, ",", &save))
		add_name(buf, n, p, &count);
	if (g->tap[0])
		r = bindings(conn, g->tap, buf, n, &count);
	return r < 0 ? r : count;
}
