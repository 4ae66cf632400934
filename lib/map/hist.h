/* SPDX-License-Identifier: BSD-2-Clause */
/* The optional delete-latency histogram (opts.delete_latency): log2 buckets
 * of nanoseconds, striped like the shards (at most 64 stripes, each on its own
 * cache lines) so that deleting threads do not share one counter line. */
#ifndef SAFEMAP_LIB_MAP_HIST_H
#define SAFEMAP_LIB_MAP_HIST_H

#include <stdint.h>
#include <time.h>

/* Bucket i (0..30) counts latencies below 2^i ns that are not in a lower
 * bucket; the last one counts everything from 2^30 ns (about 1.07 s) up. */
#define SAFEMAP__HIST_BUCKETS 32
#define SAFEMAP__HIST_MAX_STRIPES 64u

struct safemap__hist_stripe {
	uint64_t bucket[SAFEMAP__HIST_BUCKETS];
	uint64_t sum_ns;
} __attribute__((aligned(64)));

struct safemap__hist {
	uint32_t mask;                         /* stripes - 1 */
	struct safemap__hist_stripe *stripes;  /* aligned inside raw */
	void *raw;
	size_t raw_size;
};

static inline uint64_t safemap__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Record one latency; @p h is the key's hash (its high bits pick the stripe,
 * as they pick the shard). */
static inline void safemap__hist_record(struct safemap__hist *hi, uint64_t h, uint64_t ns)
{
	struct safemap__hist_stripe *st = &hi->stripes[(uint32_t)(h >> 32) & hi->mask];
	unsigned b = ns ? 64u - (unsigned)__builtin_clzll(ns) : 0u;

	if (b >= SAFEMAP__HIST_BUCKETS)
		b = SAFEMAP__HIST_BUCKETS - 1;
	__atomic_fetch_add(&st->bucket[b], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->sum_ns, ns, __ATOMIC_RELAXED);
}

#endif /* SAFEMAP_LIB_MAP_HIST_H */
