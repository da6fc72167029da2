/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_irq: the "irq" action — spread the NIC receive-queue interrupts
 * (/proc/interrupts, gv_irq.h) over the online CPUs, one CPU each in turn,
 * through /proc/irq/N/smp_affinity_list, every line a journaled knob
 * change; left to irqbalance, with a note, when it runs. The same on a
 * guest (its virtio-net / netfront queues) and on a host (its NICs). */
#include "act_kinds.h"
#include "apply.h"
#include "cpulist.h"
#include "gv_irq.h"
#include "kfs.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CPUMAP_BYTES (GV_MAX_CPUS / 8)
#define AFFINITY_KEY "smp_affinity_list"

/* ---- the "irq" knob: target the IRQ number, key smp_affinity_list ---- */

static int irq_target(const char *t, unsigned *irq)
{
	unsigned long v = 0;
	if (!t || !*t || strlen(t) > 7)
		return -EINVAL;
	for (const char *p = t; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (t[0] == '0' && t[1])
		return -EINVAL;
	*irq = (unsigned)v;
	return 0;
}

static int irq_check(void *ctx, const char *target, const char *key, const char *value,
		     char *why, size_t n)
{
	(void)ctx;
	uint8_t map[CPUMAP_BYTES];
	unsigned irq;
	const char *msg = NULL;
	if (irq_target(target, &irq))
		msg = "target must be an IRQ number";
	else if (!key || strcmp(key, AFFINITY_KEY))
		msg = "key must be " AFFINITY_KEY;
	else if (!value || cpulist_parse(value, map, sizeof map, GV_MAX_CPUS))
		msg = "value must be a CPU list (\"0-3,6\")";
	if (!msg)
		return 0;
	if (why && n)
		snprintf(why, n, "irq: %s", msg);
	return -EINVAL;
}

static int irq_read(void *ctx, const char *root, const char *target, const char *key,
		    char *buf, size_t n)
{
	(void)ctx;
	char path[64];
	unsigned irq;
	if (irq_target(target, &irq) || !key || strcmp(key, AFFINITY_KEY))
		return -EINVAL;
	snprintf(path, sizeof path, "proc/irq/%u/" AFFINITY_KEY, irq);
	return kfs_read_str(root, path, buf, n);
}

static int irq_write(void *ctx, const char *root, const char *target, const char *key,
		     const char *value)
{
	char path[64];
	unsigned irq;
	int r = irq_check(ctx, target, key, value, NULL, 0);
	if (r)
		return r;
	irq_target(target, &irq);
	snprintf(path, sizeof path, "proc/irq/%u/" AFFINITY_KEY, irq);
	return kfs_write_str(root, path, value);
}

/* The kernel prints a CPU list canonically ("0-1"); a value written as
 * "0,1" reads back as "0-1": compare the CPU sets. */
static int irq_equal(const char *key, const char *a, const char *b)
{
	uint8_t x[CPUMAP_BYTES], y[CPUMAP_BYTES];
	(void)key;
	if (cpulist_parse(a, x, sizeof x, GV_MAX_CPUS) || cpulist_parse(b, y, sizeof y, GV_MAX_CPUS))
		return knob_value_equal(a, b);
	return !memcmp(x, y, sizeof x);
}

const struct knob_ops act_irq_knob_ops = {
	.kind = "irq",
	.read = irq_read,
	.write = irq_write,
	.check = irq_check,
	.equal = irq_equal,
};

/* ---- the executor ---- */

/* The online CPUs of root, in order: their count, or -errno. */
static int online_cpus(const char *root, int *cpus, int max)
{
	char buf[512];
	uint8_t map[CPUMAP_BYTES];
	int r = kfs_read_str(root, "sys/devices/system/cpu/online", buf, sizeof buf);
	if (r)
		return r;
	if (cpulist_parse(buf, map, sizeof map, GV_MAX_CPUS))
		return -EINVAL;
	int n = 0;
	for (int c = 0; c < GV_MAX_CPUS && n < max; c++)
		if (map[c / 8] & (1u << (c % 8)))
			cpus[n++] = c;
	return n;
}

int act_irq_irqbalance(const char *root)
{
	return gv_irqbalance_running(root);
}

int act_irq_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	const char *root = apply_root(c->ac);
	struct gv_irqs irq;
	char err[128], line[320];
	int cpus[GV_MAX_CPUS], changed = 0;

	memset(&irq, 0, sizeof irq);
	if (act_irq_irqbalance(root)) {
		snprintf(line, sizeof line,
			 "irq: irqbalance runs here and owns IRQ affinity: NIC interrupts left to it "
			 "(rule %s; to let vtune spread them, stop irqbalance or ban the NIC's IRQs "
			 "with IRQBALANCE_BANNED_INTERRUPTS)", ch->rule);
		apply_say_why(c->ac, LOG_NOTICE, line, ch->why);
		return 0;
	}
	int r = gv_irq_read(root, &irq, err, sizeof err);
	if (r || !irq.present) {
		snprintf(line, sizeof line, "irq: cannot read the NIC interrupts: %s (rule %s)",
			 r ? err : "no proc/interrupts", ch->rule);
		apply_say(c->ac, LOG_WARNING, line);
		gv_irqs_free(&irq);
		return 0;
	}
	int ncpu = online_cpus(root, cpus, GV_MAX_CPUS);
	if (ncpu < 2 || irq.nlist < 2) {
		snprintf(line, sizeof line,
			 "irq: %d NIC queue interrupt%s on %d online CPU%s: nothing to spread (rule %s; "
			 "RPS spreads one queue's work, `channels: max` gives more queues)",
			 irq.nlist, irq.nlist == 1 ? "" : "s", ncpu < 0 ? 0 : ncpu,
			 ncpu == 1 ? "" : "s", ch->rule);
		apply_say(c->ac, LOG_INFO, line);
		gv_irqs_free(&irq);
		return 0;
	}
	/* queue i on the i-th online CPU, round and round */
	for (int i = 0; i < irq.nlist; i++) {
		char target[16], cpu[16];
		snprintf(target, sizeof target, "%d", irq.lines[i].irq);
		snprintf(cpu, sizeof cpu, "%d", cpus[i % ncpu]);
		r = apply_knob(c->ac, ch, "irq", target, AFFINITY_KEY, cpu);
		if (r < 0) {
			gv_irqs_free(&irq);
			return r;
		}
		changed += r;
	}
	gv_irqs_free(&irq);
	return changed;
}
