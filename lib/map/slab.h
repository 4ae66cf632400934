/* SPDX-License-Identifier: BSD-2-Clause */
/* Where the map's memory comes from.
 *
 * Entries: each shard carves its entries from chunks it allocates through
 * the map's allocator (a few entries at first, then doubling), keeps freed
 * entries on a free list and returns its chunks only when the map is
 * destroyed. An insert that needs a new chunk and cannot get one fails with
 * -ENOMEM before it changes anything.
 *
 * uthash's own blocks (table headers, bucket arrays): allocated through the
 * map's allocator with a small header in front; a block uthash frees (the
 * old bucket array after an expansion, the table of a shard that went
 * empty) is kept in the map's pool and handed out again for the next request
 * of the same size, and returned only at destroy.
 *
 * Both rules make the memory an optimistic reader may still be looking at
 * type-stable: an entry pointer read from any table of a shard, however
 * stale, points into that shard's chunks (an entry, live or free, whose
 * hh.hh_next is always NULL or another such entry), and a bucket array
 * pointer, however stale, points to a bucket array (see safemap_get()).
 * The cost: a map keeps its peak memory until it is destroyed (bucket
 * arrays: at most about twice the current ones).
 */
#ifndef SAFEMAP_LIB_MAP_SLAB_H
#define SAFEMAP_LIB_MAP_SLAB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct safemap;
struct safemap_shard;
struct safemap_entry;
struct safemap_chunk;
struct safemap_pool_block;

/* What an insert or delete touches is in the shard's first line; the chunk
 * list (touched once per chunk) is kept apart, in struct safemap_shard. */
struct safemap_slab {
	struct safemap_entry *free; /* freed entries, linked through hh.hh_next */
	unsigned char *next, *end;  /* the part of the newest chunk not carved yet */
};

#define SAFEMAP_POOL_BINS 64 /* by bit length of the block size */

struct safemap_pool {
	pthread_mutex_t lock; /* taken only when uthash allocates or frees a block */
	struct safemap_pool_block *bin[SAFEMAP_POOL_BINS];
	struct safemap_pool_block *all; /* every block, live or pooled, for destroy */
};

/* A new chunk for @p s, then one entry from it; NULL when the allocator
 * fails (nothing changed). Shard write lock held. */
SAFEMAP_HIDDEN struct safemap_entry *safemap__slab_grow(struct safemap *m, struct safemap_shard *s);

/* Return every chunk of @p s to the allocator (map being destroyed). */
SAFEMAP_HIDDEN void safemap__slab_destroy(struct safemap *m, struct safemap_shard *s);

/* uthash_malloc / uthash_free: the pool. Thread-safe (the pool's mutex). */
SAFEMAP_HIDDEN void *safemap__pool_malloc(struct safemap *m, size_t size);
SAFEMAP_HIDDEN void safemap__pool_free(struct safemap *m, void *p, size_t size);

SAFEMAP_HIDDEN void safemap__pool_init(struct safemap *m);
/* Return every pool block to the allocator (map being destroyed). */
SAFEMAP_HIDDEN void safemap__pool_destroy(struct safemap *m);

#endif /* SAFEMAP_LIB_MAP_SLAB_H */
