/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hash: the one string hash of the lookup tables (metric names, strmap,
 * the kfs cache, jscan's duplicate-key table). */
#ifndef VTUNE_HASH_H
#define VTUNE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* A hash of p[0..n), eight bytes at a time (names and keys are short and
 * hashed on hot paths). seed: 0, or a per-process secret where the input
 * is a guest's and must not be able to choose collisions. */
uint32_t hash_bytes(const void *p, size_t n, uint64_t seed);

/* hash_bytes of a NUL-terminated string, seed 0. */
uint32_t hash_str(const char *s);

#endif
