/* SPDX-License-Identifier: BSD-2-Clause */
/* Staged probes for the batch calls (batch.c): memory-level parallelism.
 *
 * A get or put of a random key in a large table misses the caches twice:
 * on its group's control bytes, then on the slot its tag matches (table.h).
 * One call after another, the processor overlaps only the few misses its
 * out-of-order window reaches. The batch calls split a probe into stages
 * run over many keys before any of them is done for real (group prefetch,
 * as in AMAC):
 *
 *   A  hash the key, pick its shard, prefetch the control bytes of the
 *      group its probe starts at;
 *   B  (a chunk of keys later) match the tag in those control bytes and
 *      prefetch the line(s) of the first matching slot;
 *   the real operation (a chunk later again): the single call's own code
 *      (gets: its optimistic read, safemap__tbl_read_in_section, in the
 *      caller's epoch section; puts and deletes: safemap__put_prefetched /
 *      safemap__delete_prefetched, ops.c, which skip the single call's
 *      whole-group prefetch), which now finds its lines in the cache.
 *
 * Stages A and B only read, and only to issue prefetches: what they compute
 * is a hint, never used by the real operation, so a concurrent write,
 * resize or free makes them useless, never wrong. They read a shard's table
 * pointer, its header and its control bytes without a lock, which is safe
 * only inside an epoch read section (epoch.h) of the calling thread's slot:
 * the caller brackets each run of stages with safemap__epoch_enter/exit,
 * and recomputes the group from the current table in every section (a
 * pointer from an earlier section may point to freed memory; the shard
 * pointer it keeps from stage A may be kept: shards never move). A thread
 * without a slot, and builds without optimistic reads (ThreadSanitizer,
 * -DSAFEMAP_OPTIMISTIC=0), do not use them. */
#ifndef SAFEMAP_LIB_MAP_TABLE_BATCH_H
#define SAFEMAP_LIB_MAP_TABLE_BATCH_H

#include "map_internal.h"

/* keys per stage: stage A runs two chunks ahead of the real operations,
 * stage B one chunk ahead (2 x 16 keys, up to ~48 lines in flight) */
#ifndef SAFEMAP_BATCH_CHUNK
#define SAFEMAP_BATCH_CHUNK 16u
#endif

/* Ask for the line at @p p in a state that lets this core write it:
 * PREFETCHW (every x86-64 processor decodes it, older Intel ones as a
 * no-op; gcc emits it for __builtin_prefetch(p, 1) only with -mprfchw). */
static SAFEMAP_INLINE void safemap__prefetch_w(const void *p)
{
#if defined(__x86_64__)
	__asm__ __volatile__("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

/* Prefetch the line at @p p, for writing if @p write (a constant once
 * inlined; for plain x86-64 gcc emits the same PREFETCHT0 for both:
 * measured, a real PREFETCHW on the slots made no difference). */
static SAFEMAP_INLINE void safemap__prefetch_line(const void *p, bool write)
{
	if (write)
		__builtin_prefetch(p, 1, 3);
	else
		__builtin_prefetch(p, 0, 3);
}

/* Prefetch the line(s) of @p len bytes at @p p, for writing if @p write
 * (a constant once inlined). */
static SAFEMAP_INLINE void safemap__prefetch_span(const void *p, size_t len, bool write)
{
	const char *a = p, *b = a + len - 1;

	safemap__prefetch_line(a, write);
	if (((uintptr_t)a ^ (uintptr_t)b) >= SAFEMAP_CACHELINE)
		safemap__prefetch_line(b, write);
}

/* The table of shard @p s (@p h's) now (NULL: none) and the group @p h's
 * probe starts at, in @p g. Epoch read section held. */
static SAFEMAP_INLINE struct safemap_tbl *safemap__probe_table(const struct safemap_shard *s,
								uint64_t h, uint32_t *g)
{
	struct safemap_tbl *t = __atomic_load_n(&s->tbl, __ATOMIC_RELAXED);

	/* the header is never written after the table is built (table.h) */
	if (SAFEMAP_LIKELY(t))
		*g = safemap__group_of(h, t->ngroups);
	return t;
}

/* Stage A for the key of hash @p h, of shard @p s: prefetch its group's
 * control bytes. Epoch read section held. */
static SAFEMAP_INLINE void safemap__probe_stage_a(const struct safemap_shard *s,
						  struct safemap_shape sh, uint64_t h, bool write)
{
	uint32_t g;
	struct safemap_tbl *t = safemap__probe_table(s, h, &g);

	/* groups start on 64-byte lines (table.h): the control bytes of a
	 * group whose size is a multiple of 16 never cross a line */
	if (t && sh.grp % 16 == 0)
		safemap__prefetch_line(t->groups + (size_t)g * sh.grp, write);
	else if (t)
		safemap__prefetch_span(t->groups + (size_t)g * sh.grp, 16, write);
}

/* Stage B: match the tag in the (prefetched) control bytes and prefetch the
 * first matching slot. Branch-free (half the keys of a batch may be
 * absent: a branch on the match would be mispredicted that often): with no
 * match, the next group's control bytes, where the probe goes
 * on if the group overflowed (past the last group it is the end of the
 * allocation: a prefetch, never a load). Node maps prefetch the slot (the
 * pointer), not the node. Epoch read section held. */
static SAFEMAP_INLINE void safemap__probe_stage_b(const struct safemap_shard *s,
						  struct safemap_shape sh, uint64_t h, bool write)
{
	uint32_t g, match;
	struct safemap_tbl *t = safemap__probe_table(s, h, &g);
	uint8_t *grp, *slot;

	if (SAFEMAP_UNLIKELY(!t))
		return;
	grp = t->groups + (size_t)g * sh.grp;
	match = safemap__match(grp, safemap__tag(h));
	slot = grp + SAFEMAP_GROUP_HDR + (size_t)__builtin_ctz(match | (1u << 31)) * sh.slot;
	if (!match)
		slot = grp + sh.grp; /* (a conditional move) */
	/* slots of 8 or 16 bytes sit on their size in a group on a line, and
	 * never cross one */
	if (16 % sh.slot == 0)
		safemap__prefetch_line(slot, write);
	else
		safemap__prefetch_span(slot, sh.slot, write);
}

/* Below this many bytes of table (estimated from one shard's), the map
 * stays in the caches and the stages cost more than they save: the batch
 * calls just run the single calls. */
#define SAFEMAP_BATCH_STAGE_MIN ((size_t)1 << 20)

/* True if the map's tables are large enough for staged probes, judged by
 * its first shard (shards fill evenly: the hash spreads keys; judging by
 * a shard known without hashing a key keeps small batches on small tables
 * cheap). Epoch read section held. */
static inline bool safemap__probe_worth(const struct safemap *m)
{
	const struct safemap_shard *s = &m->shards[0];
	struct safemap_tbl *t = __atomic_load_n(&s->tbl, __ATOMIC_RELAXED);
	size_t bytes;

	if (!t)
		return false;
	bytes = (size_t)t->ngroups * m->group_size;
	if (m->nodes)
		bytes += __atomic_load_n(&s->count, __ATOMIC_RELAXED) * m->node_size;
	return bytes * (m->shard_mask + 1ull) >= SAFEMAP_BATCH_STAGE_MIN;
}

#endif /* SAFEMAP_LIB_MAP_TABLE_BATCH_H */
