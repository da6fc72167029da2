/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvm_cmd: `vtune kvm channel-xml`: print the libvirt <channel> element
 * that gives a domain vtune's agent channel (see docs/kvm.md). */
#include "commands.h"
#include "wire.h"
#include "jscan.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

/* Registered in cli/main.c as "kvm" (argv[0] "kvm", argv[1] the action). */
int cmd_kvm_main(int argc, char **argv);

#define CHANNEL_DIR "/var/lib/libvirt/qemu/channel/target"

static const char usage[] =
	"usage: vtune kvm channel-xml [--domain NAME] [--path SOCKET]\n"
	"\n"
	"Print the <channel> element that gives a libvirt domain the vtune agent\n"
	"channel (virtio-serial port " KVM_AGENT_CHANNEL "). Add it to <devices>\n"
	"(virsh edit), or attach it: virsh attach-device NAME FILE --config.\n"
	"vtune-hostd finds the socket in the domain's XML.\n"
	"  --domain NAME   the socket is " CHANNEL_DIR "/NAME." KVM_AGENT_CHANNEL "\n"
	"                  (libvirt's channel directory, where QEMU may create it)\n"
	"  --path SOCKET   the host-side unix socket QEMU creates (absolute path)\n"
	"Without either, the element has no path and libvirt picks one in\n"
	CHANNEL_DIR "/ when the domain starts.\n";

/* Whether XML can hold s as text: UTF-8 without control characters other
 * than tab, newline and carriage return. */
static int xml_text_ok(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return jscan_utf8_valid(s, strlen(s));
}

/* Write s (xml_text_ok) as an attribute value: the five special characters
 * as entities; tab, newline and carriage return as character references,
 * which a parser would otherwise read as spaces. */
static void put_xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\t': fputs("&#9;", f); break;
		case '\n': fputs("&#10;", f); break;
		case '\r': fputs("&#13;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

static int channel_xml(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "domain", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *domain = NULL;
	char buf[sizeof ((struct sockaddr_un *)0)->sun_path + 64];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': path = optarg; break;
		case 'd': domain = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return 2; /* getopt said what, on one line */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtune kvm channel-xml: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (domain && (!*domain || strchr(domain, '/') || domain[0] == '.')) {
		fprintf(stderr, "vtune kvm channel-xml: --domain '%s': not a name for a socket file\n",
			domain);
		return 2;
	}
	if (!path && domain) {
		snprintf(buf, sizeof buf, "%s/%s.%s", CHANNEL_DIR, domain, KVM_AGENT_CHANNEL);
		path = buf;
	}
	if (path && (path[0] != '/' || strlen(path) >= sizeof ((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, "vtune kvm channel-xml: socket path '%s': want an absolute path under %zu bytes%s\n",
			path, sizeof ((struct sockaddr_un *)0)->sun_path,
			path == buf ? " (give a shorter one with --path)" : "");
		return 2;
	}
	if (path && !xml_text_ok(path)) {
		fprintf(stderr, "vtune kvm channel-xml: socket path: XML cannot hold it (not UTF-8, "
			"or a control character)\n");
		return 2;
	}
	fputs("<channel type='unix'>\n  <source mode='bind'", stdout);
	if (path) {
		fputs(" path='", stdout);
		put_xml(stdout, path);
		fputs("'", stdout);
	}
	fputs("/>\n  <target type='virtio' name='" KVM_AGENT_CHANNEL "'/>\n</channel>\n", stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_kvm_main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: vtune kvm channel-xml [OPTIONS] (see vtune kvm --help)\n", stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "channel-xml")) {
		argv[1] = (char *)"vtune kvm channel-xml"; /* getopt's messages name it */
		return channel_xml(argc - 1, argv + 1);
	}
	fprintf(stderr, "vtune kvm: unknown action '%s' (want channel-xml)\n", argv[1]);
	return 2;
}
