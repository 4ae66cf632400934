/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-shard counters: operations by kind, refusals by reason, lock
 * contention. Each shard keeps its own (never one shared atomic for the whole
 * map); increments are relaxed atomics on the shard's own cache lines, so
 * readers of one shard, which already share its lock line, may count too.
 * Readers of the counters sum shards with relaxed loads. */
#ifndef SAFEMAP_LIB_MAP_STATS_H
#define SAFEMAP_LIB_MAP_STATS_H

#include <pthread.h>
#include <stdint.h>

#include <safemap/event.h>

struct safemap_shard_stats {
	uint64_t ops[SAFEMAP_OP_MAX];         /* calls that reached the shard, by op */
	uint64_t refused[SAFEMAP_REASON_MAX]; /* refusals by reason */
	uint64_t contended;                   /* lock acquisitions that had to wait */
};

static inline void safemap__stat_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline uint64_t safemap__stat_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* Lock helpers that count contention: a failed try costs one extra atomic
 * and only when the lock was busy anyway. */
static inline void safemap__rdlock(pthread_rwlock_t *l, struct safemap_shard_stats *st)
{
	if (__builtin_expect(pthread_rwlock_tryrdlock(l) != 0, 0)) {
		safemap__stat_add(&st->contended, 1);
		pthread_rwlock_rdlock(l);
	}
}

static inline void safemap__wrlock(pthread_rwlock_t *l, struct safemap_shard_stats *st)
{
	if (__builtin_expect(pthread_rwlock_trywrlock(l) != 0, 0)) {
		safemap__stat_add(&st->contended, 1);
		pthread_rwlock_wrlock(l);
	}
}

#endif /* SAFEMAP_LIB_MAP_STATS_H */
