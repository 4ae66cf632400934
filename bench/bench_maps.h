/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_maps: the adapter interface every map is called through, and the
 * workloads (conc-map-bench mixes over pre-generated op streams). */
#ifndef SAFEMAP_BENCH_MAPS_H
#define SAFEMAP_BENCH_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- adapters: one per implementation, one file each (adapter_*.c/.cpp) */

enum {
	BENCH_SINGLE_THREAD = 1u << 0, /* unsynchronized: a 1-thread ceiling, never run with more */
	BENCH_PRESIZE = 1u << 2,       /* create() pre-sizes for @expected > 0 (without this flag the
					* map has no pre-size option: create ignores @expected) */
	BENCH_LOCAL = 1u << 3,         /* a local reference built from sources outside Debian: shown
					* beside the peers, never the "best peer" */
};

/* The same C ABI for every map, 64-bit keys and values. Every operation
 * returns whether it succeeded: get = key present (value copied to *v);
 * insert = key was absent and is now present; remove = key was present;
 * update = key was present and its value replaced. */
struct bench_map {
	const char *name;
	unsigned flags;
	/* @expected: 0 = not pre-sized (the map's own initial size, as users
	 * who do not know their size get it); > 0 = the most keys the map will
	 * hold (the key space): a map with BENCH_PRESIZE sizes itself for them
	 * up front with its own option (reserve, rehash, initial size). */
	void *(*create)(size_t expected);
	void (*destroy)(void *m);
	/* optional: called on every thread before its first / after its last
	 * call on any map of this kind (RCU registration) */
	void (*thread_enter)(void);
	void (*thread_exit)(void);
	bool (*get)(void *m, uint64_t k, uint64_t *v);
	bool (*insert)(void *m, uint64_t k, uint64_t v);
	bool (*remove)(void *m, uint64_t k);
	bool (*update)(void *m, uint64_t k, uint64_t v);
	size_t (*size)(void *m); /* called with no concurrent writer */
	/* optional: finish deferred reclamation (memory of deleted entries
	 * waiting for a grace period) before the memory measurement reads
	 * RSS; called with no other call in flight */
	void (*quiesce)(void *m);
};

extern const struct bench_map bench_safemap;
extern const struct bench_map bench_uthash_rwlock;
extern const struct bench_map bench_glib;
extern const struct bench_map bench_urcu;
extern const struct bench_map bench_tbb;
extern const struct bench_map bench_cuckoo;
extern const struct bench_map bench_uthash;
extern const struct bench_map bench_absl;
extern const struct bench_map bench_boost; /* only with SAFEMAP_BENCH_BOOST (CMake option) */

/* ---- workloads */

enum bench_op { OP_GET, OP_INSERT, OP_REMOVE, OP_UPDATE, OP_COUNT };

struct bench_workload {
	const char *name;
	uint8_t percent[OP_COUNT]; /* per op kind, sums to 100 */
	size_t key_space;          /* keys are splitmix64(index), index < key_space */
	size_t prefill;            /* keys 0..prefill-1 inserted before timing */
};

#define BENCH_NWORKLOADS 6
extern const struct bench_workload bench_workloads[BENCH_NWORKLOADS];

/* One thread's pre-generated ops: key[i] and op[i]. */
struct bench_stream {
	uint64_t *key;
	uint8_t *op;
	size_t n;
	size_t of_kind[OP_COUNT]; /* how many ops of each kind */
};

uint64_t bench_key(uint64_t index);
/* Fill @s with @n ops of @w, deterministic in (@w, @seed). 0 or -ENOMEM. */
int bench_stream_make(struct bench_stream *s, const struct bench_workload *w, size_t n,
		      uint64_t seed);
void bench_stream_free(struct bench_stream *s);

/* Values carry a tag in their top byte so a get can check that the value it
 * read was written for that key: value = key ^ (BENCH_VALUE_TAG | position). */
#define BENCH_VALUE_TAG (0xa5ull << 56)
static inline uint64_t bench_value(uint64_t key, uint64_t pos)
{
	return key ^ (BENCH_VALUE_TAG | (pos & ((1ull << 56) - 1)));
}

/* ---- memory (bench_memory.c): RSS growth of one map in a fresh process */

struct bench_memory {
	size_t n, expected;     /* entries inserted; create()'s @expected */
	size_t rss0, peak, end; /* RSS before create, after the prefill, after delete-all + trim */
	double bytes_per_entry; /* (peak - rss0) / n */
	double kept;            /* (end - rss0) / (peak - rss0): 0..1 (more if deleting allocated) */
};

/* Measure @bm in a child process (bench_maps re-executed with
 * --memory-child): insert @n entries into create(@expected), delete them
 * all. 0 and *@out filled; 1 a result mismatch (message printed);
 * negative errno if the child could not run. */
int bench_memory_measure(const struct bench_map *bm, size_t n, size_t expected,
			 struct bench_memory *out);
/* The child's side: measure, print "rss0 peak end" on stdout; the exit
 * status (0, 1 mismatch, 2 setup error). */
int bench_memory_child(const struct bench_map *bm, size_t n, size_t expected);

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_BENCH_MAPS_H */
