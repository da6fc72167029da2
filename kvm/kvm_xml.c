/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_xml: scan a libvirt domain XML for the agent channel, the bridged
 * interface, PCI hostdevs and the fleet labels in <metadata>; a tag tokenizer that honours quotes, comments,
 * CDATA and processing instructions, nothing more. */
#include "kvm_xml.h"
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tag {
	const char *name;
	size_t nlen;
	const char *attrs; /* just after the name */
	const char *end;   /* the closing '>' */
	int close;	   /* </name> */
	int selfclose;	   /* <name .../> */
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Next element tag at or after p; returns the position after it, NULL at the
 * end of the text, and sets *err to -EINVAL on unterminated constructs. */
static const char *next_tag(const char *p, struct tag *t, int *err)
{
	for (;;) {
		p = strchr(p, '<');
		if (!p)
			return NULL;
		const char *skip_to = NULL, *q;
		if (!strncmp(p, "<!--", 4))
			skip_to = "-->";
		else if (!strncmp(p, "<![CDATA[", 9))
			skip_to = "]]>";
		else if (!strncmp(p, "<?", 2))
			skip_to = "?>";
		else if (!strncmp(p, "<!", 2))
			skip_to = ">";
		if (skip_to) {
			q = strstr(p + 2, skip_to);
			if (!q) {
				*err = -EINVAL;
				return NULL;
			}
			p = q + strlen(skip_to);
			continue;
		}
		memset(t, 0, sizeof *t);
		q = p + 1;
		if (*q == '/') {
			t->close = 1;
			q++;
		}
		t->name = q;
		while (*q && !is_space(*q) && *q != '/' && *q != '>')
			q++;
		t->nlen = (size_t)(q - t->name);
		t->attrs = q;
		char quote = 0;
		for (; *q; q++) {
			if (quote) {
				if (*q == quote)
					quote = 0;
			} else if (*q == '\'' || *q == '"') {
				quote = *q;
			} else if (*q == '>') {
				break;
			}
		}
		if (!*q || t->nlen == 0) {
			*err = -EINVAL;
			return NULL;
		}
		t->end = q;
		t->selfclose = q > t->attrs && q[-1] == '/';
		return q + 1;
	}
}

static int tag_is(const struct tag *t, const char *name)
{
	return t->nlen == strlen(name) && !strncmp(t->name, name, t->nlen);
}

int kvm_xml_unescape(const char *s, size_t len, char *out, size_t n)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		char c = s[i];
		if (c == '&') {
			size_t k;
			for (k = 0; k < sizeof ents / sizeof ents[0]; k++) {
				size_t el = strlen(ents[k].ent);
				if (len - i >= el && !strncmp(s + i, ents[k].ent, el)) {
					c = ents[k].c;
					i += el;
					break;
				}
			}
			if (k == sizeof ents / sizeof ents[0])
				return -EINVAL; /* numeric or unknown entity */
		} else {
			i++;
		}
		if (o + 1 >= n) {
			if (n)
				out[0] = '\0';
			return -ENAMETOOLONG;
		}
		out[o++] = c;
	}
	if (!n)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

/* Attribute name of tag t into out. 1 found, 0 absent, -errno. */
static int attr(const struct tag *t, const char *name, char *out, size_t n)
{
	const char *p = t->attrs;
	size_t want = strlen(name);
	while (p < t->end) {
		while (p < t->end && (is_space(*p) || *p == '/'))
			p++;
		const char *an = p;
		while (p < t->end && !is_space(*p) && *p != '=')
			p++;
		size_t alen = (size_t)(p - an);
		while (p < t->end && is_space(*p))
			p++;
		if (p >= t->end || *p != '=')
			return alen ? -EINVAL : 0;
		p++;
		while (p < t->end && is_space(*p))
			p++;
		if (p >= t->end || (*p != '\'' && *p != '"'))
			return -EINVAL;
		char quote = *p++;
		const char *v = p;
		while (p < t->end && *p != quote)
			p++;
		if (p >= t->end)
			return -EINVAL;
		if (alen == want && !strncmp(an, name, want))
			return kvm_xml_unescape(v, (size_t)(p - v), out, n) ? -ENAMETOOLONG : 1;
		p++;
	}
	return 0;
}

/* 1 when attribute name equals val. */
static int attr_is(const struct tag *t, const char *name, const char *val)
{
	char buf[128];
	return attr(t, name, buf, sizeof buf) == 1 && !strcmp(buf, val);
}

/* Copy an attribute into a field; remembers -ENAMETOOLONG in *rc. */
static void take(const struct tag *t, const char *name, char *out, size_t n, int *rc)
{
	int r = attr(t, name, out, n);
	if (r < 0) {
		out[0] = '\0';
		if (!*rc)
			*rc = r;
	}
}

int kvm_xml_guest(const char *xml, struct bk_guest *g, enum kvm_chan_state *state)
{
	struct tag t;
	int err = 0, rc = 0, meta = 0;
	int in_chan = 0, chan_match = 0, have_chan = 0;
	int in_if = 0; /* 1 bridge, 2 network */
	char path[sizeof g->channel] = "", st[32] = "";
	char tap[sizeof g->tap] = "", br[sizeof g->bridge] = "";
	char ntap[sizeof g->tap] = "", nbr[sizeof g->bridge] = "";
	int have_br = 0, have_net = 0;

	g->channel[0] = g->tap[0] = g->bridge[0] = '\0';
	if (state)
		*state = KVM_CHAN_UNKNOWN;
	for (const char *p = xml; (p = next_tag(p, &t, &err));) {
		if (tag_is(&t, "metadata")) {
			if (t.close)
				meta = meta > 0 ? meta - 1 : 0;
			else if (!t.selfclose)
				meta++;
			continue;
		}
		if (meta)
			continue;
		if (tag_is(&t, "channel")) {
			if (t.close) {
				if (in_chan && chan_match && !have_chan) {
					have_chan = 1;
					snprintf(g->channel, sizeof g->channel, "%s", path);
					if (state)
						*state = !strcmp(st, "connected") ? KVM_CHAN_CONNECTED
							: !strcmp(st, "disconnected") ? KVM_CHAN_DISCONNECTED
							: KVM_CHAN_UNKNOWN;
				}
				in_chan = 0;
			} else if (!t.selfclose && attr_is(&t, "type", "unix")) {
				in_chan = 1;
				chan_match = 0;
				path[0] = st[0] = '\0';
			}
			continue;
		}
		if (in_chan && !t.close) {
			if (tag_is(&t, "source") && !path[0])
				take(&t, "path", path, sizeof path, &rc);
			else if (tag_is(&t, "target") && attr_is(&t, "type", "virtio") &&
				 attr_is(&t, "name", KVM_AGENT_CHANNEL)) {
				chan_match = 1;
				if (attr(&t, "state", st, sizeof st) < 0)
					st[0] = '\0';
			}
			continue;
		}
		if (tag_is(&t, "interface")) {
			if (t.close) {
				if (in_if == 1 && !have_br) {
					have_br = 1;
					memcpy(g->tap, tap, sizeof tap);
					memcpy(g->bridge, br, sizeof br);
				} else if (in_if == 2 && !have_net) {
					have_net = 1;
					memcpy(ntap, tap, sizeof tap);
					memcpy(nbr, br, sizeof br);
				}
				in_if = 0;
			} else if (!t.selfclose) {
				in_if = attr_is(&t, "type", "bridge") ? 1
					: attr_is(&t, "type", "network") ? 2 : 3;
				tap[0] = br[0] = '\0';
			}
			continue;
		}
		if (in_if && in_if != 3 && !t.close) {
			if (tag_is(&t, "source") && !br[0])
				take(&t, "bridge", br, sizeof br, &rc);
			else if (tag_is(&t, "target") && !tap[0])
				take(&t, "dev", tap, sizeof tap, &rc);
		}
	}
	if (err)
		return err;
	if (!have_br && have_net) {
		memcpy(g->tap, ntap, sizeof ntap);
		memcpy(g->bridge, nbr, sizeof nbr);
	}
	int lr = kvm_xml_labels(xml, g);
	return rc ? rc : lr;
}

/* ---- fleet labels ---- */

#define NOVA_NS "http://openstack.org/xmlns/libvirt/nova/"
#define KUBEVIRT_NS "http://kubevirt.io"

/* The local name of tag t (after any "prefix:"), and its prefix length. */
static const char *local_name(const struct tag *t, size_t *len, size_t *plen)
{
	const char *c = memchr(t->name, ':', t->nlen);
	*plen = c ? (size_t)(c - t->name) : 0;
	*len = c ? t->nlen - *plen - 1 : t->nlen;
	return c ? c + 1 : t->name;
}

static int local_is(const struct tag *t, const char *name)
{
	size_t len, plen;
	const char *l = local_name(t, &len, &plen);
	return len == strlen(name) && !strncmp(l, name, len);
}

/* The namespace URI tag t declares for its own prefix, into out. 1, 0 none. */
static int own_ns(const struct tag *t, char *out, size_t n)
{
	char an[80];
	size_t len, plen;
	local_name(t, &len, &plen);
	if (plen + 7 > sizeof an)
		return 0;
	snprintf(an, sizeof an, plen ? "xmlns:%.*s" : "xmlns", (int)plen, t->name);
	return attr(t, an, out, n) == 1;
}

/* The text after start tag t up to the next '<', decoded into out. */
static int text_of(const struct tag *t, char *out, size_t n)
{
	const char *s = t->end + 1, *e = strchr(s, '<');
	if (!e)
		return -EINVAL;
	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	int r = kvm_xml_unescape(s, (size_t)(e - s), out, n);
	return r ? -ENAMETOOLONG : 0;
}

static void keep_rc(int *rc, int r)
{
	if (r < 0 && !*rc)
		*rc = r;
}

int kvm_xml_labels(const char *xml, struct bk_guest *g)
{
	struct tag t;
	int err = 0, rc = 0, meta = 0, depth = 0, nova = 0, kv = 0, saw_nova = 0, saw_kv = 0;
	int have_uuid = g->uuid[0] != 0;
	char uri[128], uuid[sizeof g->uuid] = "";

	g->nova_instance[0] = g->nova_project[0] = g->nova_project_name[0] = '\0';
	g->kubevirt_namespace[0] = g->kubevirt_vmi[0] = '\0';
	for (const char *p = xml; (p = next_tag(p, &t, &err));) {
		if (tag_is(&t, "metadata")) {
			if (t.close)
				meta = meta > 0 ? meta - 1 : 0;
			else if (!t.selfclose)
				meta++;
			depth = nova = kv = 0;
			continue;
		}
		if (!meta) {
			if (!t.close && tag_is(&t, "uuid") && !uuid[0] && !t.selfclose) {
				int r = text_of(&t, uuid, sizeof uuid);
				if (r < 0)
					uuid[0] = '\0';
				keep_rc(&rc, r);
			}
			continue;
		}
		/* inside <metadata>: depth 1 is a tool's own element */
		if (t.close) {
			if (depth == 1)
				nova = kv = 0;
			depth -= depth > 0;
			continue;
		}
		if (depth == 0 && !t.selfclose) {
			nova = local_is(&t, "instance") && own_ns(&t, uri, sizeof uri) &&
			       !strncmp(uri, NOVA_NS, strlen(NOVA_NS));
			kv = local_is(&t, "kubevirt") && own_ns(&t, uri, sizeof uri) &&
			     !strcmp(uri, KUBEVIRT_NS);
		} else if (nova && local_is(&t, "project")) {
			take(&t, "uuid", g->nova_project, sizeof g->nova_project, &rc);
			if (!t.selfclose)
				keep_rc(&rc, text_of(&t, g->nova_project_name, sizeof g->nova_project_name));
		}
		saw_nova |= nova;
		saw_kv |= kv;
		if (!t.selfclose)
			depth++;
	}
	if (err)
		return err;
	if (!have_uuid)
		snprintf(g->uuid, sizeof g->uuid, "%s", uuid);
	if (saw_nova) /* Nova gives the domain its instance's UUID */
		snprintf(g->nova_instance, sizeof g->nova_instance, "%s", g->uuid);
	if (saw_kv) { /* virt-launcher names the domain NAMESPACE_NAME */
		const char *us = strchr(g->name, '_');
		if (us && us > g->name && us[1]) {
			snprintf(g->kubevirt_namespace, sizeof g->kubevirt_namespace, "%.*s",
				 (int)(us - g->name), g->name);
			snprintf(g->kubevirt_vmi, sizeof g->kubevirt_vmi, "%s", us + 1);
		}
	}
	return rc;
}

/* "0x0000" etc. into a number no larger than max; -1 when malformed. */
static long hexval(const char *s, long max)
{
	uint64_t v;
	if (strncmp(s, "0x", 2) || parse_x64(s + 2, &v) || v > (uint64_t)max)
		return -1;
	return (long)v;
}

int kvm_xml_hostdevs(const char *xml, char (*addr)[16], size_t max, size_t *n)
{
	struct tag t;
	int err = 0, in_hd = 0, in_src = 0, meta = 0;
	*n = 0;
	for (const char *p = xml; (p = next_tag(p, &t, &err));) {
		if (tag_is(&t, "metadata")) {
			if (t.close)
				meta = meta > 0 ? meta - 1 : 0;
			else if (!t.selfclose)
				meta++;
			continue;
		}
		if (meta)
			continue;
		if (tag_is(&t, "hostdev")) {
			in_hd = !t.close && !t.selfclose && attr_is(&t, "type", "pci");
			in_src = 0;
		} else if (in_hd && tag_is(&t, "source")) {
			in_src = !t.close && !t.selfclose;
		} else if (in_hd && in_src && !t.close && tag_is(&t, "address")) {
			char d[16], b[16], s[16], f[16];
			if (attr(&t, "domain", d, sizeof d) != 1 || attr(&t, "bus", b, sizeof b) != 1 ||
			    attr(&t, "slot", s, sizeof s) != 1 || attr(&t, "function", f, sizeof f) != 1)
				continue;
			long dv = hexval(d, 0xffff), bv = hexval(b, 0xff);
			long sv = hexval(s, 0x1f), fv = hexval(f, 7);
			if (dv < 0 || bv < 0 || sv < 0 || fv < 0)
				continue;
			if (*n < max)
				snprintf(addr[*n], 16, "%04lx:%02lx:%02lx.%lx", dv, bv, sv, fv);
			(*n)++;
		}
	}
	return err;
}
