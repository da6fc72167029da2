/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pinplan: housekeeping CPUs from measured load, guests' CPUs off them, and
 * threads spread by load (see pinplan.h). */
#include "pinplan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bit(const uint8_t *m, int c)
{
	return (m[c / 8] >> (c % 8)) & 1;
}

static void set_bit(uint8_t *m, int c)
{
	m[c / 8] |= (uint8_t)(1u << (c % 8));
}

int pin_need(const struct pin_task *hk, size_t nhk, int max_hk)
{
	double sum = 0;
	for (size_t i = 0; i < nhk; i++)
		if (hk[i].load > 0)
			sum += hk[i].load;
	int need = (int)ceil((sum - 25.0) / 100.0);
	if (need < 1)
		need = 1;
	if (max_hk > 0 && need > max_hk)
		need = max_hk;
	return need;
}

int pin_plan_housekeeping(const struct pin_in *in, uint8_t *hk_set, int *need, char *why,
			  size_t n)
{
	if (!in || !hk_set || !need || in->ncpus < 1 || in->ncpus > PIN_MAX_CPUS || !in->online)
		return -EINVAL;
	int non = 0;
	for (int c = 0; c < in->ncpus; c++)
		non += bit(in->online, c);
	*need = pin_need(in->hk, in->nhk, in->max_hk);
	memset(hk_set, 0, PIN_MAPLEN);
	if (*need > non - 1) {
		snprintf(why, n, "the housekeeping needs %d CPU%s of the %d online: the guests would have none",
			 *need, *need > 1 ? "s" : "", non);
		return -ENOSPC;
	}
	/* the busiest tasks' CPUs first */
	size_t *order = calloc(in->nhk + 1, sizeof *order);
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < in->nhk; i++)
		order[i] = i;
	for (size_t i = 1; i < in->nhk; i++) /* insertion sort by load, stable */
		for (size_t k = i; k > 0 && in->hk[order[k]].load > in->hk[order[k - 1]].load; k--) {
			size_t t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	int got = 0;
	for (size_t i = 0; i < in->nhk && got < *need; i++) {
		int c = in->hk[order[i]].cpu;
		if (c >= 0 && c < in->ncpus && bit(in->online, c) && !bit(hk_set, c)) {
			set_bit(hk_set, c);
			got++;
		}
	}
	free(order);
	/* then the CPUs the fewest guest vCPUs are on */
	int *count = calloc((size_t)in->ncpus, sizeof *count);
	if (!count)
		return -ENOMEM;
	for (size_t g = 0; g < in->ng; g++)
		for (size_t v = 0; v < in->g[g].nv; v++)
			if (in->g[g].cpu[v] >= 0 && in->g[g].cpu[v] < in->ncpus)
				count[in->g[g].cpu[v]]++;
	while (got < *need) {
		int best = -1;
		for (int c = 0; c < in->ncpus; c++)
			if (bit(in->online, c) && !bit(hk_set, c) && (best < 0 || count[c] < count[best]))
				best = c;
		set_bit(hk_set, best);
		got++;
	}
	free(count);
	return 0;
}

void pin_guest_set(const uint8_t *online, const uint8_t *hk_set, int ncpus, uint8_t *out)
{
	memset(out, 0, PIN_MAPLEN);
	for (int c = 0; c < ncpus && c < PIN_MAX_CPUS; c++)
		if (bit(online, c) && !bit(hk_set, c))
			set_bit(out, c);
}

int pin_spread(const double *load, size_t n, const uint8_t *set, int ncpus, int *cpu_out)
{
	double *acc = calloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof *acc);
	int any = 0;
	if (!acc)
		return -ENOMEM;
	for (int c = 0; c < ncpus; c++)
		any |= bit(set, c);
	if (!any || ncpus < 1) {
		free(acc);
		return -EINVAL;
	}
	char *done = calloc(n + 1, 1);
	if (!done) {
		free(acc);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = n;
		for (size_t j = 0; j < n; j++) /* the busiest left, lowest index on a tie */
			if (!done[j] && (i == n || load[j] > load[i]))
				i = j;
		int best = -1;
		for (int c = 0; c < ncpus; c++)
			if (bit(set, c) && (best < 0 || acc[c] < acc[best]))
				best = c;
		cpu_out[i] = best;
		acc[best] += load[i] > 0 ? load[i] : 0;
		/* a thread of no measured load still counts, so that idle threads
		 * spread too */
		acc[best] += 0.001;
		done[i] = 1;
	}
	free(done);
	free(acc);
	return 0;
}
