/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_ctl: vtune-hostd's control protocol. The input is what a client
 * writes to the control socket: framed into lines as the socket does
 * (CTL_MAX_REQUEST), each parsed (ctl_parse_request) and answered by a
 * real daemon (sim backend over an empty directory, a journal of its own,
 * no metrics listener): status, report, apply, revert, revert-wait with
 * any fields. Never a crash; every reply is a JSON object with "ok". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "hostd.h"
#include "linebuf.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hostd *h;

static void init(void)
{
	static char dir[64], guests[96], policy[96], journal[96], control[96];
	strcpy(dir, "/tmp/vtune-fuzz-ctl-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(guests, sizeof guests, "%s/guests", dir);
	snprintf(policy, sizeof policy, "%s/policy.yaml", dir);
	snprintf(journal, sizeof journal, "%s/state/journal", dir);
	snprintf(control, sizeof control, "%s/ctl.sock", dir);
	mkdir(guests, 0700);
	FILE *f = fopen(policy, "w");
	if (!f)
		abort();
	fputs("version: 1\nrules:\n  - name: r\n    when: guest.tcp.listen_overflows > 5/s\n"
	      "    guest:\n      - sysctl: net.core.somaxconn\n        set: 4096\n", f);
	fclose(f);
	log_init("fuzz_ctl", 0, LOG_CRIT);
	struct hostd_opts o = { .backend = "sim", .uri = guests, .policy = policy,
				.journal = journal, .control = control, .root = "/",
				.metrics = "off", .interval_s = 1 };
	int err;
	char why[256];
	h = hostd_new(&o, &err, why, sizeof why);
	if (!h) {
		fprintf(stderr, "fuzz_ctl: %s\n", why);
		abort();
	}
}

static int on_line(void *arg, int status, const char *line, size_t len)
{
	(void)arg;
	if (status < 0)
		return 0;
	json_object *req = ctl_parse_request(line, len);
	if (!req)
		return 0;
	json_object *rep = hostd_handle_request(h, req), *ok;
	if (!rep || !json_object_object_get_ex(rep, "ok", &ok))
		abort();
	json_object_put(rep);
	json_object_put(req);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!h)
		init();
	struct linebuf *lb = linebuf_new(CTL_MAX_REQUEST);
	if (!lb)
		abort();
	linebuf_feed(lb, (const char *)data, size, 0, on_line, NULL);
	linebuf_feed(lb, "\n", 1, 0, on_line, NULL);
	linebuf_free(lb);
	return 0;
}
