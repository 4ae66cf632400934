/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/map.h
 * @brief The concurrent map: fixed-size byte keys and values, sharded, each
 *        shard a cache-line-aligned reader-writer lock over a uthash table.
 *
 * Concurrency contract (applies to every call below unless it says otherwise):
 * - any number of threads may call put/get/delete/count on one map at once;
 * - each call computes the key's hash once and works on exactly one shard:
 *   put/delete take its write lock and release it before returning; get
 *   takes no lock (it reads optimistically and keeps the result only if no
 *   writer held the shard meanwhile, else retries and, after a few tries,
 *   takes the read lock); calls on keys in different shards never wait for
 *   each other;
 * - values are copied in under the write lock and out as a validated copy,
 *   so a reader never sees a torn value and never holds a pointer into the
 *   map;
 * - safemap_create() and safemap_destroy() must not race with any other call
 *   on the same map.
 */
#ifndef SAFEMAP_MAP_H
#define SAFEMAP_MAP_H

#include <stddef.h>
#include <stdint.h>

#include <safemap/common.h>
#include <safemap/event.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque concurrent map. Created by safemap_create(), freed by safemap_destroy(). */
struct safemap;

/**
 * Allocator hook. Every allocation the map makes goes through it (chunks of
 * entries, bucket arrays, table headers). @c free receives the size that was
 * allocated. The map keeps what it allocated (freed entries and replaced
 * bucket arrays are reused, never returned) until safemap_destroy(), which
 * frees it all: a map holds on to its peak memory. @c malloc is called with a
 * shard lock held, from any thread that writes: both must be thread-safe and
 * must not call into the map.
 */
struct safemap_alloc {
	void *(*malloc)(size_t size, void *ctx);
	void (*free)(void *ptr, size_t size, void *ctx);
	void *ctx;
};

/** Options for safemap_create(); declare with SAFEMAP_OPTS(safemap_opts, ...). */
struct safemap_opts {
	size_t sz;                /**< sizeof(struct safemap_opts), set by SAFEMAP_OPTS */
	const char *name;         /**< map name for events, errors and metrics (copied); NULL = "" */
	size_t key_size;          /**< bytes per key, > 0 (required) */
	size_t value_size;        /**< bytes per value, > 0 (required) */
	unsigned shards;          /**< power of two, up to 65536; 0 = derived from the CPU count */
	size_t max_entries;       /**< 0 = unbounded; else inserts beyond it fail with -E2BIG */
	const struct safemap_alloc *alloc; /**< NULL = malloc/free; copied at create */
	safemap_event_fn event_fn;  /**< sink for this map's events; NULL = none */
	void *event_ctx;            /**< passed to @c event_fn */
};

/**
 * @brief Create a map.
 * @param opts options; key_size and value_size are required.
 * @param out receives the map; free it with safemap_destroy().
 * @return 0, or -EINVAL (NULL opts/out, zero sizes, shards not a power of
 *         two or too many, non-zero bytes past the known options), -ENOMEM.
 */
SAFEMAP_API int safemap_create(const struct safemap_opts *opts, struct safemap **out);

/**
 * @brief Destroy a map and every entry in it. Accepts NULL.
 *
 * Concurrency: no other call on @p m may be running or start.
 */
SAFEMAP_API void safemap_destroy(struct safemap *m);

/**
 * @brief Insert or replace the value for @p key, with bpf_map_update_elem()
 *        semantics.
 * @param flags SAFEMAP_ANY, SAFEMAP_NOEXIST or SAFEMAP_EXIST.
 * @return 0; -EEXIST (NOEXIST and present); -ENOENT (EXIST and absent);
 *         -E2BIG (the key is absent and the map holds max_entries: a capacity
 *         violation, also reported as an event; replacing a present key in a
 *         full map succeeds); -ENOMEM (the map is unchanged); -EINVAL (NULL
 *         argument, unknown flags).
 *
 * Concurrency: takes the key's shard write lock; safe against every other
 * call except create/destroy.
 */
SAFEMAP_API int safemap_put(struct safemap *m, const void *key, const void *value,
			    unsigned flags);

/**
 * @brief Copy the value for @p key into @p value_out (value_size bytes).
 * @return 0; -ENOENT (absent: @p value_out is zero-filled); -EINVAL.
 *
 * Concurrency: reads the key's shard without taking its lock (no write to
 * any shared cache line) and keeps the copy only if no writer held the shard
 * meanwhile; under write contention it retries, then takes the shard's read
 * lock. Many gets run in parallel and never delay writers. Never allocates.
 */
SAFEMAP_API int safemap_get(struct safemap *m, const void *key, void *value_out);

/**
 * @brief Remove @p key and its value.
 * @return 0; -ENOENT (absent); -EINVAL.
 *
 * Concurrency: takes the key's shard write lock.
 */
SAFEMAP_API int safemap_delete(struct safemap *m, const void *key);

/**
 * @brief Number of entries. Exact when no writer runs concurrently; while
 *        writers run, a value the map held at some moment during the call
 *        (per shard), never a torn number. Takes no lock. Returns 0 for NULL.
 */
SAFEMAP_API size_t safemap_count(struct safemap *m);

/** @brief The map's name as given at create ("" if none). Never NULL for a map. */
SAFEMAP_API const char *safemap_name(const struct safemap *m);

/** @brief Number of shards (a power of two). */
SAFEMAP_API unsigned safemap_shard_count(const struct safemap *m);

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_MAP_H */
