/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vec: a heap array that grows by doubling — the one copy of "realloc when
 * n == cap" with its overflow checks, for arrays of any element type. */
#ifndef VTUNE_VEC_H
#define VTUNE_VEC_H

#include <stddef.h>

/* Make the array at *itemsp (the address of the array's pointer, of any
 * element type; NULL while nothing is allocated) hold at least need
 * elements of elem_size bytes, *cap being how many it holds now. When
 * *cap < need it is reallocated to the larger of need and twice *cap, and
 * at least 4 elements and 256 bytes; *cap is set to that. The first *cap
 * elements are kept; the new ones are uninitialised. need <= *cap does
 * nothing (need 0 allocates nothing). On error *itemsp and *cap are left as
 * they were. 0, -EINVAL (elem_size 0), -EOVERFLOW (need elements would
 * exceed PTRDIFF_MAX bytes) or -ENOMEM. */
int vec_grow(void *itemsp, size_t *cap, size_t need, size_t elem_size);

/* vec_grow for the array pointer arr (an lvalue, say s->items) and its
 * size_t capacity cap, the element size taken from arr's type. */
#define VEC_RESERVE(arr, cap, need) vec_grow(&(arr), &(cap), (need), sizeof *(arr))

/* Append the element (any expression assignable to arr[n], a compound
 * literal too) to arr, which holds n elements and has room for cap: 0 and
 * n one more, or vec_grow's -errno with nothing changed. arr, n and cap
 * are evaluated more than once: plain lvalues only. */
#define VEC_PUSH(arr, n, cap, ...)                                         \
	(VEC_RESERVE(arr, cap, (size_t)(n) + 1)                            \
		 ?: ((arr)[(n)++] = (__VA_ARGS__), 0))

#endif
