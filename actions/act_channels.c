/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_channels: the "channels" action ("channels: max") — give every
 * multiqueue NIC as many combined queues as it offers, up to one per
 * online CPU, through ethtool netlink (lib/ethchan.h), each interface a
 * journaled knob change. A device that offers one queue only is the
 * host's to change: the policy's note says how. */
#include "act_kinds.h"
#include "apply.h"
#include "ethchan.h"
#include "kfs.h"
#include "log.h"
#include "parse.h"
#include "rps.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAN_KEY "combined"
#define CHAN_MAX 4096

/* ---- the "channels" knob: target IFNAME, key combined, value N ---- */

static int name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (!n || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] <= ' ' || s[i] == 0x7f || s[i] == '@' || s[i] == ':')
			return 0;
	return 1;
}

static int count_of(const char *value, uint32_t *n)
{
	uint64_t v;
	if (!value || value[0] == '0' || parse_u64(value, &v) || v < 1 || v > CHAN_MAX)
		return -EINVAL;
	*n = (uint32_t)v;
	return 0;
}

static int ch_check(void *ctx, const char *target, const char *key, const char *value,
		    char *why, size_t n)
{
	(void)ctx;
	uint32_t c;
	const char *msg = NULL;
	if (!name_ok(target))
		msg = "target must be an interface name";
	else if (!key || strcmp(key, CHAN_KEY))
		msg = "key must be " CHAN_KEY;
	else if (count_of(value, &c))
		msg = "value must be a queue count, 1 to 4096";
	if (!msg)
		return 0;
	if (why && n)
		snprintf(why, n, "channels: %s", msg);
	return -EINVAL;
}

static int ch_read(void *ctx, const char *root, const char *target, const char *key,
		   char *buf, size_t n)
{
	(void)ctx;
	struct ethchan c;
	if (!name_ok(target) || !key || strcmp(key, CHAN_KEY))
		return -EINVAL;
	int r = ethchan_get(root, target, &c);
	if (r)
		return r;
	return snprintf(buf, n, "%u", c.combined) >= (int)n ? -EOVERFLOW : 0;
}

static int ch_write(void *ctx, const char *root, const char *target, const char *key,
		    const char *value)
{
	uint32_t c = 0;
	char why[160];
	int r = ch_check(ctx, target, key, value, NULL, 0);
	if (r)
		return r;
	count_of(value, &c);
	r = ethchan_set_combined(root, target, c, why, sizeof why);
	if (r && why[0])
		log_warn("channels %s combined %s: %s", target, value, why);
	return r;
}

const struct knob_ops act_channels_knob_ops = {
	.kind = "channels",
	.read = ch_read,
	.write = ch_write,
	.check = ch_check,
};

/* ---- the executor ---- */

struct chx {
	const struct act_ctx *c;
	const struct pol_change *ch;
	const char *root;
	int ncpu, changed, err;
};

static int one(const char *name, void *arg)
{
	struct chx *x = arg;
	struct ethchan c;
	char v[16], line[256];
	if (!strcmp(name, "lo") || !name_ok(name) || x->err)
		return 0;
	if (ethchan_get(x->root, name, &c) || !c.combined_max)
		return 0; /* no channels, or rx/tx ones only */
	uint32_t want = c.combined_max < (uint32_t)x->ncpu ? c.combined_max : (uint32_t)x->ncpu;
	if (want <= c.combined) {
		if (c.combined_max == 1) {
			snprintf(line, sizeof line,
				 "channels: %s offers 1 queue: more are the host's to give (rule %s)",
				 name, x->ch->rule);
			apply_say(x->c->ac, LOG_INFO, line);
		}
		return 0;
	}
	snprintf(v, sizeof v, "%u", want);
	int r = apply_knob(x->c->ac, x->ch, "channels", name, CHAN_KEY, v);
	if (r < 0)
		x->err = r;
	else
		x->changed += r;
	return 0;
}

int act_channels_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	struct chx x = { .c = c, .ch = ch, .root = apply_root(c->ac) };
	x.ncpu = rps_online_cpus(x.root);
	if (x.ncpu < 1)
		x.ncpu = 1;
	kfs_list(x.root, "sys/class/net", one, &x);
	return x.err ? x.err : x.changed;
}
