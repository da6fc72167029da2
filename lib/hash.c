/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hash: a multiply-xorshift hash over 64-bit words. */
#include "hash.h"

#include <string.h>

uint32_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = seed ^ (n * k), w;
	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	for (w = 0; n; n--)
		w = w << 8 | s[n - 1];
	h = (h ^ w) * k;
	return (uint32_t)(h ^ h >> 32);
}

uint32_t hash_str(const char *s)
{
	return hash_bytes(s, strlen(s), 0);
}
