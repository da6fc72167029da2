/* SPDX-License-Identifier: GPL-2.0-or-later */
/* strmap: separate chaining, doubling the buckets at one entry per bucket. */
#include "strmap.h"
#include "hash.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ent {
	const char *key;
	void *val;
	uint32_t hash;
	struct ent *next;
};

struct strmap {
	struct ent **b;
	size_t nb, n; /* nb: a power of two */
};

struct strmap *strmap_new(void)
{
	struct strmap *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->nb = 16;
	if (!(m->b = calloc(m->nb, sizeof *m->b))) {
		free(m);
		return NULL;
	}
	return m;
}

void strmap_free(struct strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nb; i++)
		while (m->b[i]) {
			struct ent *e = m->b[i];
			m->b[i] = e->next;
			free(e);
		}
	free(m->b);
	free(m);
}

static struct ent **slot(const struct strmap *m, const char *key, uint32_t h)
{
	struct ent **pp = &m->b[h & (m->nb - 1)];
	while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key)))
		pp = &(*pp)->next;
	return pp;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct ent *e = *slot(m, key, hash_str(key));
	return e ? e->val : NULL;
}

static void grow(struct strmap *m)
{
	size_t nb = m->nb * 2;
	struct ent **b = calloc(nb, sizeof *b);
	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < m->nb; i++)
		while (m->b[i]) {
			struct ent *e = m->b[i];
			m->b[i] = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	free(m->b);
	m->b = b;
	m->nb = nb;
}

int strmap_put(struct strmap *m, const char *key, void *val)
{
	uint32_t h = hash_str(key);
	struct ent **pp = slot(m, key, h);
	if (*pp) {
		(*pp)->key = key;
		(*pp)->val = val;
		return 0;
	}
	struct ent *e = malloc(sizeof *e);
	if (!e)
		return -ENOMEM;
	*e = (struct ent){ key, val, h, NULL };
	*pp = e;
	if (++m->n > m->nb)
		grow(m);
	return 0;
}

void strmap_del(struct strmap *m, const char *key)
{
	struct ent **pp = slot(m, key, hash_str(key));
	if (*pp) {
		struct ent *e = *pp;
		*pp = e->next;
		free(e);
		m->n--;
	}
}
