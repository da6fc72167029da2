/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_xps: the "xps" action — Transmit Packet Steering: on every interface
 * with several transmit queues, each online CPU sends on one queue of its
 * own (queue q gets the CPUs c with c mod queues = q), so that CPUs
 * answering connections at once do not share a queue's lock. A driver that
 * set this itself (virtio-net does, netfront does not) is left as it is: a
 * second run changes nothing. */
#include "act_kinds.h"
#include "apply.h"
#include "log.h"
#include "parse.h"
#include "rps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define XPS_IFACES 64 /* interfaces looked at */

struct xps_iface {
	char name[16];
	unsigned nq;
};

struct xps_ctx {
	const struct act_ctx *c;
	const struct pol_change *ch;
	struct xps_iface ifs[XPS_IFACES];
	size_t nifs;
	int ncpu, changed, err;
};

/* "eth0/tx-3": the interface's entry (added when new, NULL when the table
 * is full) and the queue number. */
static struct xps_iface *iface_of(struct xps_ctx *x, const char *target, unsigned *q)
{
	const char *slash = strchr(target, '/');
	uint64_t n;
	if (!slash || (size_t)(slash - target) >= sizeof x->ifs[0].name ||
	    parse_u64(slash + 4, &n) || n > 4096)
		return NULL;
	*q = (unsigned)n;
	for (size_t i = 0; i < x->nifs; i++)
		if (!strncmp(x->ifs[i].name, target, (size_t)(slash - target)) &&
		    !x->ifs[i].name[slash - target])
			return &x->ifs[i];
	if (x->nifs == XPS_IFACES)
		return NULL;
	struct xps_iface *f = &x->ifs[x->nifs++];
	snprintf(f->name, sizeof f->name, "%.*s", (int)(slash - target), target);
	return f;
}

static int count_queue(const char *target, void *arg)
{
	unsigned q;
	struct xps_iface *f = iface_of(arg, target, &q);
	if (f)
		f->nq++;
	return 0;
}

/* The CPUs of queue q of nq, as a list: "1,3". Empty when none. */
static void queue_cpus(int ncpu, unsigned q, unsigned nq, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int cpu = (int)q; cpu < ncpu && len + 8 < n; cpu += (int)nq)
		len += (size_t)snprintf(buf + len, n - len, "%s%d", len ? "," : "", cpu);
}

static int xps_queue(const char *target, void *arg)
{
	struct xps_ctx *x = arg;
	unsigned q;
	char list[4096], mask[320] = "0";
	struct xps_iface *f = iface_of(x, target, &q);
	if (!f || f->nq < 2)
		return 0;
	queue_cpus(x->ncpu, q, f->nq, list, sizeof list);
	if (list[0] && rps_list_mask(list, mask, sizeof mask))
		return 0;
	int r = apply_knob(x->c->ac, x->ch, "rps", target, "xps_cpus", mask);
	if (r > 0)
		x->changed++;
	if (r < 0)
		x->err = r;
	return r < 0 ? r : 0;
}

int act_xps_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	struct xps_ctx x = { .c = c, .ch = ch };
	const char *root = apply_root(c->ac);
	x.ncpu = rps_online_cpus(root);
	if (x.ncpu < 2) {
		apply_say(c->ac, LOG_INFO, "xps: fewer than 2 CPUs online, nothing to spread");
		return 0;
	}
	rps_each_tx_queue(root, count_queue, &x);
	rps_each_tx_queue(root, xps_queue, &x);
	return x.err ? x.err : x.changed;
}
