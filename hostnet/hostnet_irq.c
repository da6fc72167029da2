/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostnet_irq: the host's own NIC queue interrupts (lib/gv_irq.h), read
 * once per interval for every guest, and whether irqbalance runs. */
#include "gv_irq.h"
#include "hostnet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct hostnet_irqs {
	struct gv_irqs prev;
	int have_prev, have_view, ib;
	uint64_t prev_ns;
	double rate, hot_share;
	int one_cpu;
};

struct hostnet_irqs *hostnet_irqs_new(void)
{
	return calloc(1, sizeof(struct hostnet_irqs));
}

void hostnet_irqs_free(struct hostnet_irqs *s)
{
	if (!s)
		return;
	gv_irqs_free(&s->prev);
	free(s);
}

static void put(const struct hostnet_irqs *s, struct mvec *host)
{
	if (s->have_view) {
		mvec_set(host, M_HOST_IRQ_NIC_RATE, s->rate);
		mvec_set(host, M_HOST_IRQ_NIC_HOT_SHARE, s->hot_share);
		mvec_set(host, M_HOST_IRQ_ONE_CPU, s->one_cpu);
	}
	if (s->have_prev)
		mvec_set(host, M_HOST_IRQBALANCE, s->ib);
}

int hostnet_irq_view(struct hostnet_irqs *s, const char *root, uint64_t now_ns,
		     uint64_t min_gap_ns, struct mvec *host)
{
	if (!s || !host)
		return -EINVAL;
	if (s->have_prev && now_ns - s->prev_ns < min_gap_ns / 2) {
		put(s, host); /* this interval's figures, for the next guest */
		return 0;
	}
	struct gv_irqs cur;
	char err[128];
	memset(&cur, 0, sizeof cur);
	int r = gv_irq_read(root, &cur, err, sizeof err);
	if (r || !cur.present) {
		gv_irqs_free(&cur);
		return r ? r : -ENOENT;
	}
	s->ib = gv_irqbalance_running(root);
	if (s->have_prev && now_ns > s->prev_ns) {
		double secs = (double)(now_ns - s->prev_ns) / 1e9, sum;
		double *rate = calloc((size_t)cur.ncpu + 1, sizeof *rate);
		int hot, cpus;
		if (!rate) {
			gv_irqs_free(&cur);
			return -ENOMEM;
		}
		gv_irq_rates(&s->prev, &cur, secs, rate, &sum, &hot, &s->hot_share, &cpus);
		free(rate);
		s->rate = sum;
		s->one_cpu = cur.ncpu >= 2 && sum > 0 && cpus == 1;
		s->have_view = 1;
	}
	gv_irqs_free(&s->prev);
	s->prev = cur;
	s->prev_ns = now_ns;
	s->have_prev = 1;
	put(s, host);
	return 0;
}
