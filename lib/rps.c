/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rps: the "rps" knob kind (a queue's steering: RPS and RFS on receive
 * queues, XPS on transmit queues) and queue enumeration. */
#include "rps.h"
#include "cpulist.h"
#include "kfs.h"
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* "eth0/rx-3" (keys rps_cpus, rps_flow_cnt) or "eth0/tx-3" (xps_cpus): an
 * interface name without '/' or "..", then the queue. */
static int target_path(const char *target, const char *key, char *out, size_t n)
{
	const char *slash = target ? strchr(target, '/') : NULL;
	if (!slash || slash == target || slash - target >= 16 ||
	    (strncmp(slash + 1, "rx-", 3) && strncmp(slash + 1, "tx-", 3)) || !slash[4])
		return -EINVAL;
	for (const char *p = target; p < slash; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.@", *p))
			return -EINVAL;
	if (!strncmp(target, "..", 2) || (slash - target == 1 && *target == '.'))
		return -EINVAL;
	for (const char *p = slash + 4; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
	if (slash[1] == 't' ? strcmp(key, "xps_cpus")
			    : strcmp(key, "rps_cpus") && strcmp(key, "rps_flow_cnt"))
		return -EPERM;
	int w = snprintf(out, n, "sys/class/net/%.*s/queues/%s/%s",
			 (int)(slash - target), target, slash + 1, key);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

static int rps_read(void *ctx, const char *root, const char *target, const char *key,
		    char *buf, size_t n)
{
	(void)ctx;
	char p[256];
	int r = target_path(target, key, p, sizeof p);
	return r ? r : kfs_read_str(root, p, buf, n);
}

static int rps_check(void *ctx, const char *target, const char *key, const char *value,
		     char *why, size_t n)
{
	(void)ctx;
	char p[256];
	int r = target_path(target, key, p, sizeof p);
	if (r) {
		snprintf(why, n, "not a queue's steering knob: %s %s", target ? target : "", key);
		return r;
	}
	if (!strcmp(key, "rps_flow_cnt")) {
		uint64_t v;
		if (parse_u64(value, &v) || v > (1u << 20)) {
			snprintf(why, n, "rps_flow_cnt must be 0..1048576");
			return -ERANGE;
		}
		return 0;
	}
	/* hex words separated by commas, at most 1024 CPUs */
	size_t len = strlen(value);
	if (!len || len > 300) {
		snprintf(why, n, "%s: bad mask length", key);
		return -EINVAL;
	}
	for (const char *c = value; *c; c++)
		if (!isxdigit((unsigned char)*c) && *c != ',') {
			snprintf(why, n, "%s: '%s' is not a hex CPU mask", key, value);
			return -EINVAL;
		}
	return 0;
}

static int rps_write(void *ctx, const char *root, const char *target, const char *key,
		     const char *value)
{
	char p[256], why[128];
	int r = rps_check(ctx, target, key, value, why, sizeof why);
	if (!r)
		r = target_path(target, key, p, sizeof p);
	return r ? r : kfs_write_str(root, p, value);
}

/* The kernel prints a mask with as many hex digits as its possible CPUs
 * need ("07" for "7" on an 8-CPU kernel), in 32-bit words: compare the
 * bits, not the text. Flow counts compare as numbers. */
static int rps_equal(const char *key, const char *a, const char *b)
{
	if (!strcmp(key, "rps_flow_cnt")) {
		uint64_t x, y;
		return parse_u64(a, &x) == 0 && parse_u64(b, &y) == 0 ? x == y
		       : knob_value_equal(a, b);
	}
	const char *ea = a + strlen(a), *eb = b + strlen(b);
	/* walk both masks from their least significant digit */
	for (;;) {
		while (ea > a && !isxdigit((unsigned char)ea[-1]))
			ea--;
		while (eb > b && !isxdigit((unsigned char)eb[-1]))
			eb--;
		if (ea == a && eb == b)
			return 1;
		int da = ea > a ? hexval(*--ea) : 0, db = eb > b ? hexval(*--eb) : 0;
		if (da != db)
			return 0;
	}
}

const struct knob_ops knob_rps_ops = {
	.kind = "rps",
	.read = rps_read,
	.write = rps_write,
	.check = rps_check,
	.equal = rps_equal,
};

int rps_all_mask(int ncpu, char *out, size_t n)
{
	if (ncpu < 1 || ncpu > 1024)
		return -EINVAL;
	int words = (ncpu + 31) / 32;
	size_t used = 0;
	for (int w = words - 1; w >= 0; w--) {
		int bits = ncpu - w * 32;
		unsigned v = bits >= 32 ? 0xffffffffu : (1u << bits) - 1;
		int k = snprintf(out + used, n - used, w == words - 1 ? "%x" : ",%08x", v);
		if (k < 0 || (size_t)k >= n - used)
			return -EOVERFLOW;
		used += (size_t)k;
	}
	return 0;
}

int rps_list_mask(const char *list, char *out, size_t n)
{
	uint8_t map[128];
	int top = -1;
	if (!list || cpulist_parse(list, map, sizeof map, 1024))
		return -EINVAL;
	for (int c = 0; c < 1024; c++)
		if (map[c / 8] & (1u << (c % 8)))
			top = c;
	if (top < 0)
		return -EINVAL;
	int words = top / 32 + 1;
	size_t used = 0;
	for (int w = words - 1; w >= 0; w--) {
		unsigned v = 0;
		for (int b = 0; b < 32; b++) {
			int c = w * 32 + b;
			if (map[c / 8] & (1u << (c % 8)))
				v |= 1u << b;
		}
		int k = snprintf(out + used, n - used, w == words - 1 ? "%x" : ",%08x", v);
		if (k < 0 || (size_t)k >= n - used)
			return -EOVERFLOW;
		used += (size_t)k;
	}
	return 0;
}

struct each_ctx {
	const char *root;
	const char *prefix; /* "rx-" or "tx-" */
	const char *iface;
	int (*fn)(const char *target, void *arg);
	void *arg;
};

static int each_rxq(const char *name, void *arg)
{
	struct each_ctx *c = arg;
	char t[64];
	if (strncmp(name, c->prefix, 3))
		return 0;
	snprintf(t, sizeof t, "%s/%s", c->iface, name);
	return c->fn(t, c->arg);
}

static int each_iface(const char *name, void *arg)
{
	struct each_ctx *c = arg;
	char q[128];
	if (!strcmp(name, "lo") || strlen(name) >= 16)
		return 0;
	snprintf(q, sizeof q, "sys/class/net/%s/queues", name);
	c->iface = name;
	int r = kfs_list(c->root, q, each_rxq, c);
	return r == -ENOENT ? 0 : r;
}

int rps_each_queue(const char *root, int (*fn)(const char *target, void *arg), void *arg)
{
	struct each_ctx c = { root, "rx-", NULL, fn, arg };
	return kfs_list(root, "sys/class/net", each_iface, &c);
}

int rps_each_tx_queue(const char *root, int (*fn)(const char *target, void *arg), void *arg)
{
	struct each_ctx c = { root, "tx-", NULL, fn, arg };
	return kfs_list(root, "sys/class/net", each_iface, &c);
}

int rps_online_cpus(const char *root)
{
	char b[256];
	uint8_t map[128]; /* 1024 CPUs, as rps_all_mask */
	int r = kfs_read_str(root, "sys/devices/system/cpu/online", b, sizeof b);
	if (r || (r = cpulist_parse(b, map, sizeof map, 1024)))
		return r;
	int count = 0;
	for (size_t i = 0; i < sizeof map; i++)
		count += __builtin_popcount(map[i]);
	return count ? count : -EINVAL;
}
