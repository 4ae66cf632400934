/* SPDX-License-Identifier: BSD-2-Clause */
/* The map's key hash: one 64-bit value per call; the shard comes from its
 * high 32 bits, the table's group, tag and overflow bit from the rest
 * (table.h). Seeded per map, so
 * an outsider who controls keys cannot aim them all at one shard. An
 * 8-byte key takes one multiply where the compiler has 128-bit integers:
 * the product of key ^ seed and an odd constant, its two halves xored (the
 * mixer of Boost.Unordered and wyhash; sequential keys spread like a Weyl
 * sequence); other lengths fold word by word and end with a full
 * avalanche. */
#ifndef SAFEMAP_LIB_MAP_HASH_H
#define SAFEMAP_LIB_MAP_HASH_H

#include <stdint.h>
#include <string.h>

#define SAFEMAP_HASH_K1 0x9e3779b97f4a7c15ull
#define SAFEMAP_HASH_K2 0xd6e8feb86659fd93ull

static inline uint64_t safemap__hash_fold(uint64_t h, uint64_t w)
{
	h = (h ^ w) * SAFEMAP_HASH_K1;
	return h ^ (h >> 29);
}

static inline uint64_t safemap__hash_final(uint64_t h)
{
	h ^= h >> 32;
	h *= SAFEMAP_HASH_K2;
	h ^= h >> 32;
	h *= SAFEMAP_HASH_K2;
	return h ^ (h >> 32);
}

static inline uint64_t safemap__hash(const void *key, size_t len, uint64_t seed)
{
	const unsigned char *p = key;
	uint64_t h = seed ^ (len * SAFEMAP_HASH_K1), w;

	if (len == 8) { /* the common case: one word */
		memcpy(&w, p, 8);
#ifdef __SIZEOF_INT128__
		{
			unsigned __int128 x = (unsigned __int128)(w ^ h) * SAFEMAP_HASH_K2;

			return (uint64_t)x ^ (uint64_t)(x >> 64);
		}
#else
		return safemap__hash_final(safemap__hash_fold(h, w));
#endif
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = safemap__hash_fold(h, w);
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h = safemap__hash_fold(h, w);
	}
	return safemap__hash_final(h);
}

#endif /* SAFEMAP_LIB_MAP_HASH_H */
