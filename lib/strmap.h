/* SPDX-License-Identifier: GPL-2.0-or-later */
/* strmap: a hash index from NUL-terminated strings to pointers, for the
 * per-guest tables hostd looks up by name every step (thousands of guests
 * make a linear search quadratic). Keys are not copied: each must stay
 * valid, unchanged, while it is in the map. */
#ifndef VTUNE_STRMAP_H
#define VTUNE_STRMAP_H

struct strmap;

/* NULL on no memory. */
struct strmap *strmap_new(void);
void strmap_free(struct strmap *m);

/* The value of key, or NULL when absent. */
void *strmap_get(const struct strmap *m, const char *key);

/* Set key to val (replacing any value). 0 or -ENOMEM. */
int strmap_put(struct strmap *m, const char *key, void *val);

/* Remove key if present. */
void strmap_del(struct strmap *m, const char *key);

#endif
