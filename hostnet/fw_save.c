/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fw_save: the *-save dumps of iptables, ip6tables, arptables and ebtables
 * scanned for rules, policies and platform chains that a guest's bridged
 * frames reach (see hostnet_fw.h). */
#include "hostnet_fw.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXTOK 96

/* Interface pattern (iptables '+' or nft '*' suffix: a prefix) against a
 * name; a NULL or empty name is unknown: it may match. */
int fw_ifmatch(const char *pat, const char *name);
int fw_ifmatch(const char *pat, const char *name)
{
	if (!name || !*name)
		return 1;
	size_t l = strlen(pat);
	if (l && (pat[l - 1] == '+' || pat[l - 1] == '*'))
		return !strncmp(pat, name, l - 1);
	return !strcmp(pat, name);
}

/* A name given, matched with or without negation. */
struct ifm {
	const char *name;
	int neg;
};

static int ifm_ok(const struct ifm *m, const char *name)
{
	if (!m->name)
		return 1; /* no such match in the rule: any */
	if (!name || !*name)
		return 1;
	return fw_ifmatch(m->name, name) != m->neg;
}

/* Could a rule with these port matches see frames to or from tap? Frames
 * from the guest come in on tap, frames to it go out on tap: only a rule
 * naming other ports on both sides never does. */
static int ports_ok(const struct ifm *in, const struct ifm *out, const char *tap)
{
	if (!tap || !*tap)
		return 1;
	int in_other = in->name && !in->neg && !fw_ifmatch(in->name, tap);
	int out_other = out->name && !out->neg && !fw_ifmatch(out->name, tap);
	if (in->name && in->neg && fw_ifmatch(in->name, tap) && out_other)
		return 0;
	if (out->name && out->neg && fw_ifmatch(out->name, tap) && in_other)
		return 0;
	return !(in_other && out_other);
}

/* Split a rule line into tokens, honouring "double quotes". */
static int split(char *s, char **tok, int max)
{
	int n = 0;
	while (*s && n < max) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (*s == '"') {
			tok[n++] = ++s;
			while (*s && *s != '"')
				s += *s == '\\' && s[1] ? 2 : 1;
		} else {
			tok[n++] = s;
			while (*s && !isspace((unsigned char)*s))
				s++;
		}
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static const char *platform(const char *chain)
{
	static const struct {
		const char *prefix, *who;
	} p[] = {
		{ "DOCKER", "Docker" },		{ "KUBE-", "Kubernetes (kube-proxy)" },
		{ "neutron-", "OpenStack Neutron" }, { "cali-", "Calico" },
		{ "libvirt-", "libvirt nwfilter" }, { "FI-", "libvirt nwfilter" },
		{ "FO-", "libvirt nwfilter" },	 { "HI-", "libvirt nwfilter" },
	};
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
		if (!strncmp(chain, p[i].prefix, strlen(p[i].prefix)))
			return p[i].who;
	return NULL;
}

/* Is chain a built-in chain of fam that bridged frames pass? */
static int start_chain(enum fw_family fam, const char *chain)
{
	static const char *const eb[] = { "FORWARD", "PREROUTING", "POSTROUTING", "BROUTING", NULL };
	if (fam != FW_EB)
		return !strcmp(chain, "FORWARD");
	for (int i = 0; eb[i]; i++)
		if (!strcmp(chain, eb[i]))
			return 1;
	return 0;
}

/* Does one rule (tokens after "-A CHAIN") concern p? Fills *physdev. */
static int rule_concerns(enum fw_family fam, char **t, int n, const struct fw_port *p,
			 int *physdev)
{
	struct ifm in = { 0 }, out = { 0 }, pin = { 0 }, pout = { 0 }, lin = { 0 }, lout = { 0 };
	int neg = 0;
	*physdev = 0;
	for (int i = 0; i < n; i++) {
		const char *o = t[i];
		struct ifm *m = NULL;
		if (!strcmp(o, "!")) {
			neg = 1;
			continue;
		}
		if (!strcmp(o, "-m") && i + 1 < n && !strcmp(t[i + 1], "physdev"))
			*physdev = 1;
		if (!strcmp(o, "-i") || !strcmp(o, "--in-interface") || !strcmp(o, "--in-if"))
			m = &in;
		else if (!strcmp(o, "-o") || !strcmp(o, "--out-interface") || !strcmp(o, "--out-if"))
			m = &out;
		else if (!strcmp(o, "--physdev-in"))
			m = &pin;
		else if (!strcmp(o, "--physdev-out"))
			m = &pout;
		else if (!strcmp(o, "--logical-in"))
			m = &lin;
		else if (!strcmp(o, "--logical-out"))
			m = &lout;
		if (m && i + 1 < n) {
			i++;
			if (!strcmp(t[i], "!") && i + 1 < n) { /* ebtables: -i ! NAME */
				neg = 1;
				i++;
			}
			m->name = t[i];
			m->neg = neg;
		}
		neg = 0;
	}
	if (fam == FW_IP) /* -i/-o are the bridge, physdev its ports */
		return ifm_ok(&in, p->bridge) && ifm_ok(&out, p->bridge) &&
		       (!*physdev || ports_ok(&pin, &pout, p->tap));
	/* arptables and ebtables: -i/-o are ports; ebtables' logical: bridges */
	if (!p->bridge || !*p->bridge) /* any bridge: every port may be ours */
		return 1;
	if (!ifm_ok(&lin, p->bridge) || !ifm_ok(&lout, p->bridge))
		return 0;
	return ports_ok(&in, &out, p->tap);
}

__attribute__((format(printf, 5, 6)))
static void say(char *why, size_t n, const char *tool, const char *table, const char *fmt, ...)
{
	char line[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	snprintf(why, n, "%s %s %s", tool, table, line);
}

int fw_scan_save(const char *text, const char *tool, enum fw_family fam,
		 const struct fw_port *p, char *why, size_t n)
{
	char table[32] = "filter";
	const char *s = text;
	int found = 0;
	while (s && *s && !found) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *line = strndup(s, len), *orig = strndup(s, len > 300 ? 300 : len);
		s = nl ? nl + 1 : NULL;
		if (!line || !orig) {
			free(line);
			free(orig);
			return -1;
		}
		if (line[0] == '*') {
			snprintf(table, sizeof table, "%s", line + 1);
		} else if (line[0] == ':') {
			/* ":CHAIN POLICY [counters]" */
			char *tok[4];
			int k = split(line + 1, tok, 4);
			const char *who = k >= 1 ? platform(tok[0]) : NULL;
			if (k >= 2 && start_chain(fam, tok[0]) && strcmp(tok[1], "ACCEPT") &&
			    strcmp(tok[1], "-")) {
				say(why, n, tool, table, "%s policy %s: bridged frames are dropped unless accepted",
				    tok[0], tok[1]);
				found = 1;
			} else if (who) {
				say(why, n, tool, table, "chain %s: %s relies on bridge netfilter", tok[0], who);
				found = 1;
			}
		} else if (!strncmp(line, "-A ", 3)) {
			char *tok[MAXTOK];
			int k = split(line + 3, tok, MAXTOK), physdev = 0;
			if (k >= 1 && rule_concerns(fam, tok + 1, k - 1, p, &physdev) &&
			    (start_chain(fam, tok[0]) || physdev)) {
				say(why, n, tool, table, "%s: %s", tok[0], orig);
				found = 1;
			}
		}
		free(line);
		free(orig);
	}
	return found;
}
