/* SPDX-License-Identifier: BSD-2-Clause */
/* Counters: operations by kind, refusals by reason, lock contention.
 *
 * Never one shared atomic for the whole map. Operations are counted where
 * counting costs no shared cache line: each thread that uses a map counts
 * its gets and its write-locked operations in its own line of the map (a
 * thread slot, below: a plain load and store, no other thread writes it).
 * Counts taken under a shard's read lock, refusals, contention, and the
 * operations of a thread without a slot (more than SAFEMAP_TSLOTS threads
 * alive) go to the shard: a relaxed atomic add, or under the shard's write
 * lock a plain load and store. Readers of the counters sum shards and slots
 * with relaxed loads: use safemap__stats_ops(). */
#ifndef SAFEMAP_LIB_MAP_STATS_H
#define SAFEMAP_LIB_MAP_STATS_H

#include <stdint.h>

#include "../common/internal.h"

#include <safemap/event.h>

struct safemap_shard_stats {
	uint64_t ops[SAFEMAP_OP_MAX];         /* calls that reached the shard, by op */
	uint64_t refused[SAFEMAP_REASON_MAX]; /* refusals by reason */
	uint64_t contended;                   /* lock acquisitions that had to wait */
	uint64_t refused_delete;              /* refused deletes (any reason) */
};

static inline void safemap__stat_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* Add 1 where only one thread can write at a time (the shard's write lock,
 * or a thread's own slot): no locked instruction, never torn for readers. */
static inline void safemap__stat_inc_excl(uint64_t *c)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* ---- thread slots: per-thread counters of one map */

#define SAFEMAP_TSLOTS 64u

struct safemap_shard;

struct safemap_tslot {
	uint64_t rd; /* odd while this thread reads the map optimistically (epoch.h) */
	struct safemap_shard *fw; /* the shard this thread writes by groups (gwrite.h) */
	int64_t *cnt;             /* gwrite.h: its entry count changes, by shard */
	uint64_t ops[SAFEMAP_OP_MAX];
} __attribute__((aligned(64)));

/* This thread's slot number + 1; 0 = not assigned yet; -1 = none free. */
SAFEMAP_HIDDEN extern __thread int safemap__tslot_id __attribute__((tls_model("initial-exec")));

/* Assign this thread a slot (first call on any map); returns the new
 * safemap__tslot_id. Slots are numbered for the process and given back
 * when the thread exits. */
SAFEMAP_HIDDEN int safemap__tslot_assign(void);

/* This thread's slot in @p slots (a map's array) if it has one already,
 * else NULL (no slot yet, or none to be had): for a path that keeps the
 * assignment's call out of line (ops.c: get_unslotted). */
static inline struct safemap_tslot *safemap__tslot_assigned(struct safemap_tslot *slots)
{
	int id = safemap__tslot_id;

	return SAFEMAP_LIKELY(id > 0) ? &slots[id - 1] : NULL;
}

/* This thread's slot in @p slots, assigned on its first use; NULL if it
 * has none. */
static inline struct safemap_tslot *safemap__tslot(struct safemap_tslot *slots)
{
	struct safemap_tslot *t = safemap__tslot_assigned(slots);
	int id;

	if (SAFEMAP_LIKELY(t))
		return t;
	if (safemap__tslot_id < 0 || (id = safemap__tslot_assign()) < 0)
		return NULL;
	return &slots[id - 1];
}

static inline uint64_t safemap__stat_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif /* SAFEMAP_LIB_MAP_STATS_H */
