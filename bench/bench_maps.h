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
	BENCH_VARIANT = 1u << 1,       /* a libsafemap prototype, not a peer: never the "best peer" */
};

/* The same C ABI for every map, 64-bit keys and values. Every operation
 * returns whether it succeeded: get = key present (value copied to *v);
 * insert = key was absent and is now present; remove = key was present;
 * update = key was present and its value replaced. */
struct bench_map {
	const char *name;
	unsigned flags;
	/* @expected: most keys the map will hold (the key space); an adapter
	 * may pre-size with it where its users must (liburcu's lfht). */
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
};

extern const struct bench_map bench_safemap;
extern const struct bench_map bench_uthash_rwlock;
extern const struct bench_map bench_glib;
extern const struct bench_map bench_urcu;
extern const struct bench_map bench_tbb;
extern const struct bench_map bench_cuckoo;
extern const struct bench_map bench_uthash;
extern const struct bench_map bench_absl;
extern const struct bench_map bench_proto_oa;

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

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_BENCH_MAPS_H */
