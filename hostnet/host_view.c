/* SPDX-License-Identifier: GPL-2.0-or-later */
/* host_view: the host.* rows of one guest that need no hypervisor (see
 * host_view.h): host CPU load from /proc/stat, the network path, the host
 * NICs' interrupts and host.pinned from the journal. */
#include "host_view.h"
#include "journal.h"
#include "log.h"
#include "procstat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct host_view {
	struct hostnet_irqs *irqs;
	struct procstat prev;	/* the last /proc/stat reading */
	int have_prev;
	uint64_t prev_ns;
	int cpu_known;		/* the figures below are valid */
	double cpu_max, mean_pct;
};

struct host_view *host_view_new(void)
{
	struct host_view *hv = calloc(1, sizeof *hv);
	if (!hv)
		return NULL;
	if (!(hv->irqs = hostnet_irqs_new())) {
		free(hv);
		return NULL;
	}
	return hv;
}

void host_view_free(struct host_view *hv)
{
	if (!hv)
		return;
	hostnet_irqs_free(hv->irqs);
	procstat_free(&hv->prev);
	free(hv);
}

/* A new /proc/stat reading unless the last one is younger than half the
 * gap; the figures between the last two. */
static void cpu_sample(struct host_view *hv, const char *root, uint64_t now_ns,
		       uint64_t min_gap_ns)
{
	if (hv->have_prev && now_ns >= hv->prev_ns && now_ns - hv->prev_ns < min_gap_ns / 2)
		return;
	struct procstat cur = { 0 };
	int r = procstat_read(root, &cur);
	if (r) {
		log_debug("host view: %sproc/stat: %s", root, strerror(-r));
		procstat_free(&cur);
		hv->cpu_known = 0;
		return;
	}
	/* the mean of the per-CPU figures, not the "cpu" line: the kernel
	 * sums that one a moment before the others, so its share can exceed
	 * every CPU's */
	hv->cpu_known = hv->have_prev && now_ns > hv->prev_ns &&
			!procstat_busy(&hv->prev, &cur, &hv->mean_pct, &hv->cpu_max);
	procstat_free(&hv->prev);
	hv->prev = cur;
	hv->have_prev = 1;
	hv->prev_ns = now_ns;
}

static int is_vcpu_pin(const char *kind)
{
	static const char suffix[] = "-vcpupin";
	size_t n = kind ? strlen(kind) : 0;
	return n > sizeof suffix - 1 && !strcmp(kind + n - (sizeof suffix - 1), suffix);
}

int host_view_pinned(const struct journal *j, const struct host_view_guest *g)
{
	char domid[16] = "";
	if (!j || !g || !g->name)
		return -EINVAL;
	if (g->domid >= 0)
		snprintf(domid, sizeof domid, "%d", g->domid);
	for (size_t i = 0, n = journal_count(j); i < n; i++) {
		const struct jrec *r = journal_record(j, i);
		if (!r || strcmp(r->op, "set") || !is_vcpu_pin(r->kind))
			continue;
		int mine = (r->guest && !strcmp(r->guest, g->name)) ||
			   (r->target && (!strcmp(r->target, g->name) ||
					  (*domid && !strcmp(r->target, domid))));
		const char *st = mine ? journal_state(j, r->seq) : NULL;
		if (st && !strcmp(st, "applied"))
			return 1;
	}
	return 0;
}

int host_view_guest(struct host_view *hv, struct hostnet_state *st, const char *root,
		    const struct journal *j, const struct host_view_guest *g, uint64_t now_ns,
		    uint64_t min_gap_ns, struct mvec *host)
{
	if (!hv || !st || !g || !host)
		return -EINVAL;
	cpu_sample(hv, root, now_ns, min_gap_ns);
	if (hv->cpu_known) {
		mvec_set(host, M_HOST_CPU_BUSY_MAX, hv->cpu_max);
		mvec_set(host, M_HOST_DOM0_BUSY_MAX, hv->cpu_max);
		mvec_set(host, M_HOST_DOM0_BUSY, hv->mean_pct);
	}
	/* the guest's network path: tap counters and offloads, bridge-nf and
	 * conntrack in the bridge's namespace */
	if (g->tap && *g->tap) {
		int r = hostnet_view(st, root, g->tap, g->bridge, g->netns, now_ns, host);
		if (r < 0)
			log_debug("guest %s: network view: %s", g->name ? g->name : "?",
				  strerror(-r));
	}
	/* the host's own NICs: read once per interval, for every guest */
	hostnet_irq_view(hv->irqs, root, now_ns, min_gap_ns, host);
	int p = host_view_pinned(j, g);
	if (p >= 0)
		mvec_set(host, M_HOST_VCPUS_PINNED, p);
	return 0;
}
