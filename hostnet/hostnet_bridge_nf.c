/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostnet_bridge_nf: the "bridge_nf" knob kind — net.bridge.bridge-nf-call-*
 * per network namespace — and the plan that turns bridge-nf off or on. */
#include "hostnet.h"
#include "kfs.h"
#include "netns.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const hostnet_brnf_keys[HOSTNET_BRNF_NKEYS] = {
	"bridge-nf-call-iptables",
	"bridge-nf-call-ip6tables",
	"bridge-nf-call-arptables",
};

static int key_ok(const char *key)
{
	if (!key)
		return 0;
	for (int i = 0; i < HOSTNET_BRNF_NKEYS; i++)
		if (!strcmp(key, hostnet_brnf_keys[i]))
			return 1;
	return 0;
}

static int is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

/* One read or write of /proc/sys/net/bridge/<key>, run inside the netns
 * (the file must be opened there: /proc/sys/net is per opener). */
struct brnf_io {
	const char *root;
	const char *key;
	char *buf;	   /* read: n bytes */
	size_t n;
	const char *value; /* write */
};

static int brnf_do(void *arg)
{
	struct brnf_io *io = arg;
	char path[128];
	snprintf(path, sizeof path, "proc/sys/net/bridge/%s", io->key);
	if (io->value)
		return kfs_write_str(io->root, path, io->value);
	return kfs_read_str(io->root, path, io->buf, io->n);
}

static int brnf_run(const char *root, const char *netns, struct brnf_io *io)
{
	int r;
	if (!netns_path_ok(netns)) {
		hostnet_set_reason("bridge_nf: bad network namespace path \"%s\"", netns);
		return -EINVAL;
	}
	if (is_live(root)) {
		io->root = "/";
		r = netns_run(netns, brnf_do, io);
	} else {
		io->root = root; /* a fixture tree: no setns */
		r = brnf_do(io);
	}
	if (r == -ENOENT)
		hostnet_set_reason("bridge-nf not loaded%s%s: nothing to do",
				   netns && *netns ? " in " : "", netns ? netns : "");
	else if (r)
		hostnet_set_reason("bridge_nf %s %s: %s", netns && *netns ? netns : "(own)",
				   io->key, strerror(-r));
	return r;
}

static int brnf_check(void *ctx, const char *target, const char *key, const char *value,
		      char *why, size_t n)
{
	(void)ctx;
	const char *msg = NULL;
	if (!netns_path_ok(target))
		msg = "target must be \"\", /run/netns/NAME or /proc/PID/ns/net";
	else if (!key_ok(key))
		msg = "key must be bridge-nf-call-iptables, -ip6tables or -arptables";
	else if (!value || (strcmp(value, "0") && strcmp(value, "1")))
		msg = "value must be 0 or 1";
	if (!msg)
		return 0;
	if (why && n)
		snprintf(why, n, "%s", msg);
	hostnet_set_reason("bridge_nf: %s", msg);
	return -EINVAL;
}

static int brnf_read(void *ctx, const char *root, const char *target, const char *key,
		     char *buf, size_t n)
{
	(void)ctx;
	char raw[KNOB_VALUE_MAX];
	if (!key_ok(key) || !netns_path_ok(target))
		return -EINVAL;
	struct brnf_io io = { .key = key, .buf = raw, .n = sizeof raw };
	int r = brnf_run(root, target, &io);
	return r ? r : knob_value_normalize(raw, buf, n);
}

static int brnf_write(void *ctx, const char *root, const char *target, const char *key,
		      const char *value)
{
	(void)ctx;
	int r = brnf_check(ctx, target, key, value, NULL, 0);
	if (r)
		return r;
	struct brnf_io io = { .key = key, .value = value };
	return brnf_run(root, target, &io);
}

const struct knob_ops hostnet_bridge_nf_ops = {
	.kind = "bridge_nf",
	.read = brnf_read,
	.write = brnf_write,
	.check = brnf_check,
	.restore = NULL, /* the same checks apply: 0 and 1 are the only values */
};

int hostnet_bridge_nf_read(const char *root, const char *netns, int v[HOSTNET_BRNF_NKEYS])
{
	for (int i = 0; i < HOSTNET_BRNF_NKEYS; i++) {
		char buf[16];
		int r = brnf_read(NULL, root, netns, hostnet_brnf_keys[i], buf, sizeof buf);
		if (r)
			return r;
		if (strcmp(buf, "0") && strcmp(buf, "1"))
			return -EINVAL;
		v[i] = buf[0] == '1';
	}
	return 0;
}

int hostnet_plan_bridge_nf(const char *netns, const char *state,
			   hostnet_change_fn fn, void *arg)
{
	const char *value;
	if (!fn || !state || !netns_path_ok(netns))
		return -EINVAL;
	if (!strcmp(state, "off"))
		value = "0";
	else if (!strcmp(state, "on"))
		value = "1";
	else
		return -EINVAL;
	for (int i = 0; i < HOSTNET_BRNF_NKEYS; i++) {
		int r = fn(arg, "bridge_nf", netns ? netns : "", hostnet_brnf_keys[i], value);
		if (r)
			return r;
	}
	return HOSTNET_BRNF_NKEYS;
}
