/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cpulist: CPU lists as the kernel, libvirt and xl write them ("0-3,6"),
 * to and from byte bitmaps (bit c%8 of byte c/8, the layout of libvirt's
 * cpumaps and Xen's xc_cpumap_t). */
#ifndef VTUNE_CPULIST_H
#define VTUNE_CPULIST_H

#include <stddef.h>
#include <stdint.h>

/* Parse a CPU list strictly (digits, '-', ',' and nothing else) into a
 * bitmap of maplen bytes, cleared first. CPUs at or beyond ncpus, or past
 * the map, are -ERANGE; empty, malformed or reversed ranges -EINVAL. */
int cpulist_parse(const char *s, uint8_t *map, size_t maplen, int ncpus);

/* Format ncpus bits of map canonically ("0-2,5"; "" when empty) into out
 * (n bytes). 0 or -EOVERFLOW (out is then ""). */
int cpulist_format(const uint8_t *map, int ncpus, char *out, size_t n);

#endif
