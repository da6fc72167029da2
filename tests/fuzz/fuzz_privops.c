/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_privops: the privileged parent's side of privilege separation. Each
 * input is one request as the unprivileged process could send it (its
 * bytes over a struct privops_req, the op picked from the first byte);
 * privops_handle must refuse or carry it out within its fixture root (a
 * temporary tree of sysctls and a channel directory) and its journal,
 * never crash, never write outside. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "knob.h"
#include "log.h"
#include "privops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64], chan[128], jpath[160];
static const char *const kinds[] = { "sysctl", NULL };
static const char *dirs[2];
static struct privops_conf conf;

static void put(const char *rel, const char *v)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(v, f);
		fclose(f);
	}
}

static void init(void)
{
	char d[256];
	strcpy(root, "/tmp/vtune-fuzz-privops-XXXXXX");
	if (!mkdtemp(root))
		abort();
	static const char *const made[] = { "proc", "proc/sys", "proc/sys/net", "proc/sys/net/core",
					    "proc/sys/net/ipv4", "chan", "state" };
	for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
		snprintf(d, sizeof d, "%s/%s", root, made[i]);
		mkdir(d, 0700);
	}
	put("proc/sys/net/core/somaxconn", "128\n");
	put("proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
	snprintf(chan, sizeof chan, "%s/chan", root);
	snprintf(jpath, sizeof jpath, "%s/state/journal", root);
	dirs[0] = chan;
	log_init("fuzz_privops", 0, LOG_ERR);
	int err;
	conf = (struct privops_conf){ .root = root, .kinds = kinds, .dirs = dirs,
				      .journal = journal_open(jpath, &err) };
	if (!conf.journal)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready, runs;
	if (!ready) {
		init();
		ready = 1;
	}
	struct privops_req *q = calloc(1, sizeof *q);
	struct privops_reply *rep = calloc(1, sizeof *rep);
	if (!q || !rep)
		abort();
	memcpy(q, data, size < sizeof *q ? size : sizeof *q);
	if (size)
		q->op = data[0] % (PRIVOP_LAST + 2); /* every op, and one past */
	int pass = -1;
	privops_handle(&conf, q, rep, &pass);
	if (pass >= 0)
		close(pass);
	free(q);
	free(rep);
	if (++runs % 4096 == 0) /* keep the journal small: its history compacted */
		journal_maintain(conf.journal);
	return 0;
}
