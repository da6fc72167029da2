/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backend_table: the backends built in (the contract: backend/backend.h),
 * found by name, what each can do for the policy check, and the knob kinds
 * they all write. */
#ifndef VTUNE_BACKEND_TABLE_H
#define VTUNE_BACKEND_TABLE_H

#include "backend.h"
#include "act_table.h"

/* Can the backend named do what an action needs for key (a pin mode, a
 * PCI attach)? 1 or 0; an action that needs nothing of a backend: 1. An
 * act_where.can. */
int backend_can(const char *name, enum act_needs needs, const char *key);

/* Register the knob kinds every action and every backend writes (each with
 * no connection: a backend binds its own when it opens), so that a journal
 * written anywhere can be read and reverted. Idempotent. */
void backend_register_knobs(void);

/* The backends built in; NULL when the name is unknown. */
const struct backend_ops *backend_find(const char *name);

#endif
