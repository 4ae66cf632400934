/* SPDX-License-Identifier: BSD-2-Clause */
/* The snapshot file format (version 1): the one place that knows its
 * layout. docs/snapshot-format.md describes it for other readers; the two
 * must agree. Every integer is little-endian.
 *
 *   header   40 bytes: magic "SAFEMAPS", version u32, flags u32, key_size u32,
 *            value_size u32, count u64, key_type_len u16, value_type_len u16,
 *            block_entries u32; then the two type names (no NUL), then a u32
 *            CRC32 of every header byte before it
 *   blocks   ceil(count / block_entries) of them, each: magic "SMBK",
 *            entries u32, raw_len u32 (entries * (key_size + value_size)),
 *            stored_len u32 (== raw_len unless compressed), a u32 CRC32 of
 *            those 16 bytes and the stored bytes, then the stored bytes
 *            (records key|value back to back, zlib-deflated when the file's
 *            flags say so); every block but the last holds block_entries
 *   trailer  24 bytes: magic "SMND", reserved u32 (0), count u64, a u32
 *            CRC32 of every byte of the file before the trailer, a u32
 *            CRC32 of the trailer's first 20 bytes; then the end of file.
 */
#ifndef SAFEMAP_LIB_MAP_PERSIST_FORMAT_H
#define SAFEMAP_LIB_MAP_PERSIST_FORMAT_H

#include <stdint.h>
#include <string.h>

#define SAFEMAP__SNAP_MAGIC "SAFEMAPS"
#define SAFEMAP__SNAP_VERSION 1u
#define SAFEMAP__SNAP_F_ZLIB 1u           /* blocks are zlib streams */
#define SAFEMAP__SNAP_FLAGS_KNOWN SAFEMAP__SNAP_F_ZLIB
#define SAFEMAP__SNAP_HDR_FIXED 40u
#define SAFEMAP__SNAP_BLOCK_MAGIC "SMBK"
#define SAFEMAP__SNAP_BLOCK_HDR 20u
#define SAFEMAP__SNAP_END_MAGIC "SMND"
#define SAFEMAP__SNAP_TRAILER 24u

/* Limits a reader enforces before it trusts a number (a writer never
 * exceeds them). */
#define SAFEMAP__SNAP_MAX_KV (1u << 20)         /* key_size, value_size */
#define SAFEMAP__SNAP_MAX_NAME 4095u            /* a type name's bytes */
#define SAFEMAP__SNAP_MAX_BLOCK_ENTRIES (1u << 16)
#define SAFEMAP__SNAP_MAX_RAW (64u << 20)       /* a block's raw bytes */
#define SAFEMAP__SNAP_BLOCK_TARGET (1u << 20)   /* a writer's raw bytes per block */

static inline void safemap__put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline void safemap__put_le64(unsigned char *p, uint64_t v)
{
	safemap__put_le32(p, (uint32_t)v);
	safemap__put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t safemap__get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t safemap__get_le64(const unsigned char *p)
{
	return (uint64_t)safemap__get_le32(p) | (uint64_t)safemap__get_le32(p + 4) << 32;
}

/* Entries per block for records of @p rec bytes: about
 * SAFEMAP__SNAP_BLOCK_TARGET raw bytes, at least 1. */
static inline uint32_t safemap__snap_block_entries(uint32_t rec)
{
	uint32_t n = SAFEMAP__SNAP_BLOCK_TARGET / rec;

	if (n > SAFEMAP__SNAP_MAX_BLOCK_ENTRIES)
		n = SAFEMAP__SNAP_MAX_BLOCK_ENTRIES;
	return n ? n : 1;
}

#endif /* SAFEMAP_LIB_MAP_PERSIST_FORMAT_H */
