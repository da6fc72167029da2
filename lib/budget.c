/* SPDX-License-Identifier: GPL-2.0-or-later */
/* budget: CPU share of a costly task over a sliding window. */
#include "budget.h"

#include <string.h>

void budget_init(struct budget *b, double share, uint64_t window_ns)
{
	memset(b, 0, sizeof *b);
	b->share = share > 0 ? (share < 1 ? share : 1) : 0;
	b->window_ns = window_ns ? window_ns : 1;
}

/* The i-th most recent run (0: the last). */
static unsigned slot(const struct budget *b, unsigned i)
{
	return (b->next + BUDGET_RUNS - 1 - i) % BUDGET_RUNS;
}

/* CPU of the runs started in (now - w, now]; -1 when a run in it may have
 * been forgotten (all slots hold runs inside it). */
static int64_t spent_in(const struct budget *b, uint64_t now_ns, uint64_t w)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < b->n; i++) {
		unsigned k = slot(b, i);
		if (now_ns - b->run[k].start_ns >= w) /* older (or, wrapped, later) */
			return (int64_t)sum;
		sum += b->run[k].cpu_ns;
	}
	return b->n == BUDGET_RUNS ? -1 : (int64_t)sum;
}

int budget_may_run(const struct budget *b, uint64_t now_ns, uint64_t est_ns)
{
	if (!(b->share > 0))
		return 0;
	double w = (double)b->window_ns, need = (double)est_ns / b->share;
	if (need > w)
		w = need > 1e18 ? 1e18 : need;
	int64_t spent = spent_in(b, now_ns, (uint64_t)w);
	if (spent < 0)
		return 0;
	return (double)spent + (double)est_ns <= b->share * w;
}

void budget_charge(struct budget *b, uint64_t start_ns, uint64_t cpu_ns)
{
	b->run[b->next].start_ns = start_ns;
	b->run[b->next].cpu_ns = cpu_ns;
	b->next = (b->next + 1) % BUDGET_RUNS;
	if (b->n < BUDGET_RUNS)
		b->n++;
}

uint64_t budget_spent(const struct budget *b, uint64_t now_ns)
{
	int64_t s = spent_in(b, now_ns, b->window_ns);
	if (s >= 0)
		return (uint64_t)s;
	uint64_t sum = 0; /* every slot is in the window: their sum */
	for (unsigned i = 0; i < b->n; i++)
		sum += b->run[i].cpu_ns;
	return sum;
}
