/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_xml: read a libvirt domain XML with libxml2 (no network, no DTD, size
 * bounded) and walk the few elements vtune needs: the agent channel, the
 * guest's tap and bridge, fleet labels, PCI hostdevs and filterrefs. */
#include "kvm_xml.h"
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "log.h"

#define NOVA_NS "http://openstack.org/xmlns/libvirt/nova/"
#define KUBEVIRT_NS "http://kubevirt.io"

/* No network, no entity substitution, no DTD loading or validation, no
 * XInclude; errors are kept in the context, not printed. */
#define PARSE_OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

/* A <!DOCTYPE>: stop before its internal subset is read, so that no entity
 * is ever declared. */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr c = ctx;
	(void)name, (void)ext, (void)sys;
	*(int *)c->_private = 1;
	xmlStopParser(c);
}

/* Parse xml into *doc, whose root must be named root (NULL: any). 0 or
 * -errno; the reason for -EINVAL goes to the debug log. */
static int doc_read(const char *xml, const char *root, xmlDoc **doc)
{
	size_t len = strnlen(xml, KVM_XML_MAX + 1);
	int dtd = 0, rc = 0;
	*doc = NULL;
	if (len > KVM_XML_MAX)
		return -EFBIG;
	xmlParserCtxtPtr c = xmlNewParserCtxt();
	if (!c)
		return -ENOMEM;
	c->_private = &dtd;
	c->sax->internalSubset = refuse_dtd;
	xmlDoc *d = xmlCtxtReadMemory(c, xml, (int)len, "domain.xml", NULL, PARSE_OPTS);
	xmlNode *r = d ? xmlDocGetRootElement(d) : NULL;
	if (dtd) {
		log_debug("kvm xml: a DOCTYPE: refused");
		rc = -EINVAL;
	} else if (!d) {
		const xmlError *e = xmlCtxtGetLastError(c);
		const char *m = e && e->message ? e->message : "not well-formed";
		log_debug("kvm xml: line %d: %.*s", e ? e->line : 0, (int)strcspn(m, "\n"), m);
		rc = e && e->code == XML_ERR_NO_MEMORY ? -ENOMEM : -EINVAL;
	} else if (!r || (root && xmlStrcmp(r->name, BAD_CAST root))) {
		log_debug("kvm xml: root element is not <%s>", root ? root : "?");
		rc = -EINVAL;
	}
	xmlFreeParserCtxt(c);
	if (rc)
		xmlFreeDoc(d);
	else
		*doc = d;
	return rc;
}

/* The first child element of parent (may be NULL) named name, in namespace
 * ns (any when NULL). */
static xmlNode *child_ns(xmlNode *parent, const char *name, const xmlChar *ns)
{
	for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, BAD_CAST name) &&
		    (!ns || (c->ns && !xmlStrcmp(c->ns->href, ns))))
			return c;
	return NULL;
}

static xmlNode *child(xmlNode *parent, const char *name)
{
	return child_ns(parent, name, NULL);
}

/* The next sibling element of n named name (n itself when it is one). */
static xmlNode *named(xmlNode *n, const char *name)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, BAD_CAST name))
			return n;
	return NULL;
}

#define EACH(var, parent, name) \
	for (xmlNode *var = named((parent) ? (parent)->children : NULL, name); var; \
	     var = named(var->next, name))

static int attr_is(xmlNode *node, const char *attr, const char *want)
{
	xmlChar *v = node ? xmlGetNoNsProp(node, BAD_CAST attr) : NULL;
	int r = v && !strcmp((const char *)v, want);
	xmlFree(v);
	return r;
}

static void keep_rc(int *rc, int r)
{
	if (r < 0 && !*rc)
		*rc = r;
}

/* s (may be NULL: "") into out; -ENAMETOOLONG leaves out "". */
static int copy(const char *s, char *out, size_t n)
{
	int r = s && strlen(s) >= n ? -ENAMETOOLONG : 0;
	snprintf(out, n, "%s", s && !r ? s : "");
	return r;
}

/* Attribute attr of node (may be NULL) into out. */
static int take_attr(xmlNode *node, const char *attr, char *out, size_t n)
{
	xmlChar *v = node ? xmlGetNoNsProp(node, BAD_CAST attr) : NULL;
	int r = copy((const char *)v, out, n);
	xmlFree(v);
	return r;
}

/* The text of node, blanks around it dropped, into out. */
static int take_text(xmlNode *node, char *out, size_t n)
{
	xmlChar *v = xmlNodeGetContent(node);
	char *s = (char *)v, *e;
	if (s) {
		s += strspn(s, " \t\r\n");
		for (e = s + strlen(s); e > s && strchr(" \t\r\n", e[-1]);)
			e--;
		*e = '\0';
	}
	int r = copy(s, out, n);
	xmlFree(v);
	return r;
}

/* ---- the guest: channel, tap and bridge ---- */

static int guest_channel(xmlNode *devices, struct bk_guest *g, enum kvm_chan_state *state)
{
	EACH(ch, devices, "channel") {
		xmlNode *t = child(ch, "target");
		if (!attr_is(ch, "type", "unix") || !attr_is(t, "type", "virtio") ||
		    !attr_is(t, "name", KVM_AGENT_CHANNEL))
			continue;
		if (state)
			*state = attr_is(t, "state", "connected") ? KVM_CHAN_CONNECTED
				 : attr_is(t, "state", "disconnected") ? KVM_CHAN_DISCONNECTED
				 : KVM_CHAN_UNKNOWN;
		return take_attr(child(ch, "source"), "path", g->channel, sizeof g->channel);
	}
	return 0;
}

static int guest_net(xmlNode *devices, struct bk_guest *g)
{
	static const char *const types[] = { "bridge", "network" };
	for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
		EACH(in, devices, "interface") {
			if (!attr_is(in, "type", types[i]))
				continue;
			int rc = 0;
			keep_rc(&rc, take_attr(child(in, "target"), "dev", g->tap, sizeof g->tap));
			keep_rc(&rc, take_attr(child(in, "source"), "bridge", g->bridge,
					       sizeof g->bridge));
			return rc;
		}
	}
	return 0;
}

/* ---- fleet labels ---- */

static void labels_clear(struct bk_guest *g)
{
	g->nova_instance[0] = g->nova_project[0] = g->nova_project_name[0] = '\0';
	g->kubevirt_namespace[0] = g->kubevirt_vmi[0] = '\0';
}

static int labels(xmlNode *domain, struct bk_guest *g)
{
	int rc = 0, nova = 0, kv = 0;
	if (!g->uuid[0])
		keep_rc(&rc, take_text(child(domain, "uuid"), g->uuid, sizeof g->uuid));
	xmlNode *meta = child(domain, "metadata");
	EACH(m, meta, "instance") {
		if (!m->ns || xmlStrncmp(m->ns->href, BAD_CAST NOVA_NS, strlen(NOVA_NS)))
			continue;
		nova = 1;
		xmlNode *p = child_ns(child_ns(m, "owner", m->ns->href), "project", m->ns->href);
		if (p) {
			keep_rc(&rc, take_attr(p, "uuid", g->nova_project, sizeof g->nova_project));
			keep_rc(&rc, take_text(p, g->nova_project_name, sizeof g->nova_project_name));
		}
		break;
	}
	EACH(k, meta, "kubevirt")
		kv |= k->ns && !xmlStrcmp(k->ns->href, BAD_CAST KUBEVIRT_NS);
	if (nova) /* Nova gives the domain its instance's UUID */
		snprintf(g->nova_instance, sizeof g->nova_instance, "%s", g->uuid);
	if (kv) { /* virt-launcher names the domain NAMESPACE_NAME */
		const char *us = strchr(g->name, '_');
		if (us && us > g->name && us[1]) {
			snprintf(g->kubevirt_namespace, sizeof g->kubevirt_namespace, "%.*s",
				 (int)(us - g->name), g->name);
			snprintf(g->kubevirt_vmi, sizeof g->kubevirt_vmi, "%s", us + 1);
		}
	}
	return rc;
}

int kvm_xml_labels(const char *xml, struct bk_guest *g)
{
	xmlDoc *doc;
	labels_clear(g);
	int rc = doc_read(xml, "domain", &doc);
	if (rc)
		return rc;
	rc = labels(xmlDocGetRootElement(doc), g);
	xmlFreeDoc(doc);
	return rc;
}

int kvm_xml_guest(const char *xml, struct bk_guest *g, enum kvm_chan_state *state)
{
	xmlDoc *doc;
	int rc;
	g->channel[0] = g->tap[0] = g->bridge[0] = '\0';
	labels_clear(g);
	if (state)
		*state = KVM_CHAN_UNKNOWN;
	if ((rc = doc_read(xml, "domain", &doc)))
		return rc;
	xmlNode *root = xmlDocGetRootElement(doc), *devices = child(root, "devices");
	keep_rc(&rc, guest_channel(devices, g, state));
	keep_rc(&rc, guest_net(devices, g));
	keep_rc(&rc, labels(root, g));
	xmlFreeDoc(doc);
	return rc;
}

/* ---- hostdevs ---- */

/* Attribute attr of node, "0x..." no larger than max; -1 when absent or
 * malformed. */
static long hexattr(xmlNode *node, const char *attr, long max)
{
	xmlChar *v = xmlGetNoNsProp(node, BAD_CAST attr);
	const char *s = (const char *)v;
	uint64_t x;
	long r = -1;
	if (s && !strncmp(s, "0x", 2) && !parse_x64(s + 2, &x) && x <= (uint64_t)max)
		r = (long)x;
	xmlFree(v);
	return r;
}

int kvm_xml_hostdevs(const char *xml, char (*addr)[16], size_t max, size_t *n)
{
	xmlDoc *doc;
	*n = 0;
	int rc = doc_read(xml, "domain", &doc);
	if (rc)
		return rc;
	EACH(hd, child(xmlDocGetRootElement(doc), "devices"), "hostdev") {
		xmlNode *a = child(child(hd, "source"), "address");
		if (!attr_is(hd, "type", "pci") || !a)
			continue;
		long d = hexattr(a, "domain", 0xffff), b = hexattr(a, "bus", 0xff);
		long s = hexattr(a, "slot", 0x1f), f = hexattr(a, "function", 7);
		if (d < 0 || b < 0 || s < 0 || f < 0)
			continue;
		if (*n < max)
			snprintf(addr[*n], 16, "%04lx:%02lx:%02lx.%lx", d, b, s, f);
		(*n)++;
	}
	xmlFreeDoc(doc);
	return 0;
}

/* ---- filterrefs ---- */

int kvm_xml_each_filterref(const char *xml, const char *tap,
			   void (*fn)(void *arg, const char *name), void *arg)
{
	xmlDoc *doc;
	int rc = doc_read(xml, "domain", &doc);
	if (rc)
		return rc;
	EACH(in, child(xmlDocGetRootElement(doc), "devices"), "interface") {
		if (tap && *tap && !attr_is(child(in, "target"), "dev", tap))
			continue;
		xmlNode *f = child(in, "filterref");
		xmlChar *name = f ? xmlGetNoNsProp(f, BAD_CAST "filter") : NULL;
		if (name && *name)
			fn(arg, (const char *)name);
		xmlFree(name);
	}
	xmlFreeDoc(doc);
	return 0;
}

/* ---- metadata ---- */

int kvm_xml_root_is(const char *xml, const char *name)
{
	xmlDoc *doc;
	int rc = doc_read(xml, NULL, &doc);
	if (rc)
		return rc;
	rc = !xmlStrcmp(xmlDocGetRootElement(doc)->name, BAD_CAST name);
	xmlFreeDoc(doc);
	return rc;
}
