/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fw_check: the firewall check before bridge netfilter is turned off —
 * every dump tool run inside the guest's namespace (or its recorded output
 * in a fixture tree), scanned by fw_save.c / fw_nft.c — and the read-only
 * "firewall" knob kind that carries the check to the privileged side. */
#include "hostnet.h"
#include "hostnet_fw.h"
#include "kfs.h"
#include "log.h"
#include "netns.h"
#include "vec.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FW_OUT_MAX (32u << 20) /* a dump larger than this is not read whole */
#define FW_TIMEOUT_MS 10000

enum src_kind { S_SAVE, S_NFT };

static const struct source {
	const char *file; /* in ROOT/firewall/, and the tool */
	const char *tool; /* the name in messages */
	enum src_kind kind;
	enum fw_family fam;
	const char *argv[5];
	const char *legacy_names; /* only when this /proc/net file lists tables */
} sources[] = {
	{ "iptables-save", "iptables", S_SAVE, FW_IP, { "iptables-save", NULL }, NULL },
	{ "ip6tables-save", "ip6tables", S_SAVE, FW_IP, { "ip6tables-save", NULL }, NULL },
	{ "iptables-legacy-save", "iptables-legacy", S_SAVE, FW_IP, { "iptables-legacy-save", NULL },
	  "ip_tables_names" },
	{ "ip6tables-legacy-save", "ip6tables-legacy", S_SAVE, FW_IP,
	  { "ip6tables-legacy-save", NULL }, "ip6_tables_names" },
	{ "arptables-save", "arptables", S_SAVE, FW_ARP, { "arptables-save", NULL }, NULL },
	{ "ebtables-save", "ebtables", S_SAVE, FW_EB, { "ebtables-save", NULL }, NULL },
	{ "nft.json", "nft", S_NFT, FW_IP, { "nft", "-j", "list", "ruleset" }, NULL },
};
#define NSOURCES (sizeof sources / sizeof sources[0])

static int is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

/* The tool's path, or NULL when it is not installed. */
static const char *tool_path(const char *name, char *buf, size_t n)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(buf, n, "%s/%s", dirs[i], name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

struct run {
	const struct source *s;
	const char *path;
	char *out;
	size_t len;
	int legacy_empty;
};

/* Inside the namespace: legacy tables present? Then fork and exec the
 * tool (the child inherits this thread's namespace), its stdout read
 * whole, its stderr dropped. */
static int run_in(void *arg)
{
	struct run *r = arg;
	if (r->s->legacy_names) {
		char p[96], *t = NULL;
		size_t l = 0;
		snprintf(p, sizeof p, "proc/thread-self/net/%s", r->s->legacy_names);
		int e = kfs_read_alloc("/", p, &t, &l);
		r->legacy_empty = e != 0 || l == 0;
		free(t);
		if (r->legacy_empty)
			return 0;
	}
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(pfd[1], 1);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 2);
		}
		char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
		execve(r->path, (char *const *)r->s->argv, env);
		_exit(127);
	}
	close(pfd[1]);
	size_t cap = 0;
	int rc = 0;
	r->out = NULL;
	r->len = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = FW_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd pf = { pfd[0], POLLIN, 0 };
		if (left <= 0 || poll(&pf, 1, (int)left) <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		if (r->len + 1 >= cap) { /* room for the NUL only */
			if (cap >= FW_OUT_MAX) {
				rc = -EFBIG;
				break;
			}
			if ((rc = VEC_RESERVE(r->out, cap, r->len + 65536)))
				break;
		}
		ssize_t got = read(pfd[0], r->out + r->len, cap - r->len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		r->len += (size_t)got;
	}
	close(pfd[0]);
	if (rc)
		kill(pid, SIGKILL);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!rc && (!WIFEXITED(st) || WEXITSTATUS(st)))
		rc = WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -ENOENT : -EIO;
	if (rc) {
		free(r->out);
		r->out = NULL;
		return rc;
	}
	r->out[r->len] = '\0';
	return 0;
}

/* The output of source s for netns: *text (malloc'd) or NULL when the
 * source does not apply (tool not installed, no legacy tables, no fixture
 * file). 0 or -errno. */
static int source_text(const char *root, const char *netns, const struct source *s, char **text)
{
	*text = NULL;
	if (!is_live(root)) {
		char p[96];
		size_t l;
		snprintf(p, sizeof p, "firewall/%s", s->file);
		int r = kfs_read_alloc(root, p, text, &l);
		return r == -ENOENT ? 0 : r;
	}
	char path[128];
	struct run r = { s, tool_path(s->argv[0], path, sizeof path), NULL, 0, 0 };
	if (!r.path)
		return 0;
	int rc = netns_run(netns, run_in, &r);
	if (rc == -EIO && s->kind == S_SAVE && s->legacy_names == NULL &&
	    strstr(s->argv[0], "arptables"))
		return 0; /* arptables-nft-save fails in a namespace with no arp tables */
	if (rc)
		return rc;
	*text = r.out;
	return 0;
}

int hostnet_firewall_check(const char *root, const char *netns, const struct fw_port *p,
			   char *why, size_t n)
{
	int err = 0;
	if (!p || !why || !n || !netns_path_ok(netns))
		return -EINVAL;
	why[0] = '\0';
	for (size_t i = 0; i < NSOURCES; i++) {
		char *text;
		int r = source_text(root, netns, &sources[i], &text);
		if (r) {
			log_warn("firewall check: %s in %s: %s", sources[i].tool,
				 netns && *netns ? netns : "hostd's namespace", strerror(-r));
			if (!err)
				err = r;
			continue;
		}
		if (!text)
			continue;
		int f = sources[i].kind == S_NFT
				? fw_scan_nft_json(text, p, why, n)
				: fw_scan_save(text, sources[i].tool, sources[i].fam, p, why, n);
		free(text);
		if (f == 1)
			return 1;
		if (f < 0 && !err)
			err = -EINVAL;
	}
	return err;
}

/* ---- the "firewall" knob kind: read-only ---- */

/* key "BRIDGE:TAP" into its parts. 0 or -EINVAL. */
static int split_key(const char *key, char *br, char *tap)
{
	const char *c = key ? strchr(key, ':') : NULL;
	if (!c || (size_t)(c - key) >= IFNAMSIZ || strlen(c + 1) >= IFNAMSIZ)
		return -EINVAL;
	memcpy(br, key, (size_t)(c - key));
	br[c - key] = '\0';
	strcpy(tap, c + 1);
	for (const char *s = key; *s; s++)
		if (*s == '/' || *s == ' ' || (unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return -EINVAL;
	return 0;
}

static int fw_read(void *ctx, const char *root, const char *target, const char *key,
		   char *buf, size_t n)
{
	(void)ctx;
	char br[IFNAMSIZ], tap[IFNAMSIZ];
	if (!netns_path_ok(target) || split_key(key, br, tap))
		return -EINVAL;
	struct fw_port p = { br, tap };
	int r = hostnet_firewall_check(root, target, &p, buf, n);
	if (r == 0)
		buf[0] = '\0';
	return r < 0 ? r : 0;
}

static int fw_write(void *ctx, const char *root, const char *target, const char *key,
		    const char *value)
{
	(void)ctx, (void)root, (void)target, (void)key, (void)value;
	return -EPERM;
}

static int fw_check_op(void *ctx, const char *target, const char *key, const char *value,
		       char *why, size_t n)
{
	(void)ctx, (void)target, (void)key, (void)value;
	snprintf(why, n, "the firewall check is read-only");
	return -EPERM;
}

const struct knob_ops hostnet_firewall_ops = {
	.kind = "firewall",
	.read = fw_read,
	.write = fw_write,
	.check = fw_check_op,
};
