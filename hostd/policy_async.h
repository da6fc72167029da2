/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_async: a policy file loaded and checked away from the event loop
 * (a thread), so that a reload of a large or hostile file never holds up
 * reports, control replies or metrics; the result comes back on the loop. */
#ifndef VTUNE_POLICY_ASYNC_H
#define VTUNE_POLICY_ASYNC_H

#include "action.h"
#include "loop.h"
#include "policy.h"

struct pol_async;

/* Called on the loop when the load is done: set (yours to keep or free)
 * or NULL with every problem in d (freed after the call). */
typedef void (*pol_async_fn)(void *arg, struct pol_set *set, struct pol_diag *d);

/* Load path for where (act_load_policy: its strings must stay valid until
 * done runs) in a thread. 0, -EBUSY (a load is already running) or -errno.
 * The thread touches nothing but the file, its own memory and the action
 * and metric tables (read only); it logs nothing. */
int pol_async_start(struct pol_async **pa, struct loop *l, const char *path,
		    const struct act_where *where, pol_async_fn done, void *arg);

/* Is a load running? */
int pol_async_busy(const struct pol_async *pa);

/* Wait for a running load (its result is dropped) and free. NULL is fine. */
void pol_async_free(struct pol_async *pa);

#endif
