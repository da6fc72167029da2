/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vec: growing a heap array by doubling (vec.h). */
#include "vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VEC_MIN_ITEMS 4   /* the smallest allocation, in elements ... */
#define VEC_MIN_BYTES 256 /* ... and in bytes */

int vec_grow(void *itemsp, size_t *cap, size_t need, size_t elem_size)
{
	if (!itemsp || !cap || !elem_size)
		return -EINVAL;
	if (need <= *cap)
		return 0;
	size_t max = (size_t)PTRDIFF_MAX / elem_size;
	if (need > max)
		return -EOVERFLOW;
	size_t n = *cap > max / 2 ? max : *cap * 2;
	if (n < VEC_MIN_ITEMS)
		n = VEC_MIN_ITEMS;
	if (n < VEC_MIN_BYTES / elem_size)
		n = VEC_MIN_BYTES / elem_size;
	if (n > max)
		n = max;
	if (n < need)
		n = need;
	/* *itemsp is a T *: copied, not read through a void ** */
	void *old, *p;
	memcpy(&old, itemsp, sizeof old);
	p = realloc(old, n * elem_size);
	if (!p)
		return -ENOMEM;
	memcpy(itemsp, &p, sizeof p);
	*cap = n;
	return 0;
}
