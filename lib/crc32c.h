/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crc32c: CRC-32C (Castagnoli, the iSCSI / ext4 checksum), table-driven,
 * for the journal's per-record checksums (zlib has only plain CRC-32). */
#ifndef VTUNE_CRC32C_H
#define VTUNE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc over len bytes of buf: start with crc32c(0, ...). The
 * standard check value: crc32c(0, "123456789", 9) == 0xe3069283. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
