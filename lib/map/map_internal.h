/* SPDX-License-Identifier: BSD-2-Clause */
/* The map's internal layout, shared by the files of lib/map/. */
#ifndef SAFEMAP_LIB_MAP_INTERNAL_H
#define SAFEMAP_LIB_MAP_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <safemap/map.h>

#include "../common/internal.h"
#include "hash.h"
#include "hist.h"
#include "lock.h"
#include "slab.h"
#include "stats.h"

/* uthash, configured so that every allocation goes through the map's
 * pool (slab.h: the map's allocator underneath, freed blocks kept for reuse
 * until destroy) and an allocation failure is reported, never fatal. Every
 * function that uses a HASH_* macro that allocates or frees must have
 * `struct safemap *m` and `int oomed` in scope. */
#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) safemap__pool_malloc(m, (sz))
#define uthash_free(ptr, sz) safemap__pool_free(m, (ptr), (sz))
#define uthash_nonfatal_oom(obj) (oomed = 1)
#include <uthash.h>

#define SAFEMAP_CACHELINE 64
#define SAFEMAP_MAX_SHARDS 65536u

/* One entry: the uthash handle, then the key and the value inline. Entries
 * live in their shard's slab until destroy (slab.h). Whatever code does with
 * an entry, in or out of the table, its hh.hh_next must only ever hold NULL
 * or the address of an entry of the same shard: optimistic gets follow it
 * without a lock (see safemap__get_optimistic()). */
struct safemap_entry {
	UT_hash_handle hh;
	/* safety: references. The map holds 1 while the entry is in the table;
	 * each safemap_ref holds 1. Raised only under the shard lock (read or
	 * write) on a linked entry, so under the shard WRITE lock it can only go
	 * down. Whoever takes it to 0 finalizes the value and frees the entry
	 * (under the shard write lock). See refs.h. */
	uint32_t refs;
	uint32_t spare;
	unsigned char data[] __attribute__((aligned(8))); /* key_size bytes, padding, value at m->value_off */
};

/* A shard: one cache line holds all an optimistic get reads (the lock word,
 * which carries the version, and a copy of uthash's bucket array pointer and
 * mask that writers refresh at unlock) and all an insert or delete writes
 * (lock, table head, count, slab). Readers never write the shard; writers
 * count their operations in their thread slot, not here. */
struct safemap_shard {
	/* line 0 */
	struct safemap_lock lock;   /* lock.h: reader-writer lock + version */
	unsigned mask;              /* view: number of buckets - 1 */
	UT_hash_bucket *buckets;    /* view: the bucket array; NULL when empty */
	struct safemap_entry *head; /* uthash table; NULL when empty */
	size_t count;               /* written under the write lock, read atomically */
	struct safemap_slab slab;   /* this shard's entries (write lock) */
	/* cold */
	struct safemap_tslot *tslots; /* the map's thread slots */
	struct safemap_chunk *chunks; /* every slab chunk, for destroy */
	uint32_t chunk_entries;       /* entries the next chunk holds */
	/* contract: entries unlinked while referenced (retired, refs > 0),
	 * linked through hh.prev/hh.next (unused once out of the table; never
	 * hh.hh_next, which optimistic readers follow); write lock held. Lets
	 * destroy report and finalize them (refs.h). */
	struct safemap_entry *retired;
	struct safemap_shard_stats stats;
} __attribute__((aligned(SAFEMAP_CACHELINE)));

struct safemap {
	/* read by every operation: keep together */
	struct safemap_shard *shards;
	uint64_t seed;
	uint32_t shard_mask;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t value_off;
	size_t entry_size;         /* a multiple of 8: the stride in slab chunks */
	size_t max_entries;        /* 0 = unbounded */
	/* iter: read by every write (and by get): SAFEMAP__GUARD_FROZEN | the
	 * number of foreach calls running on this map (any thread) */
	uint32_t guard;
	bool custom_alloc;
	/* safety: one byte each, in the padding of this line */
	uint8_t notify;            /* SAFEMAP__NOTIFY_* bits: events to emit after a write */
	bool has_finalizer;        /* finalize != NULL */
	uint8_t hash_bits;         /* 0, or the narrow test hash's width */
	struct safemap__hist *delete_hist; /* NULL unless opts.delete_latency */
	/* written by inserts and deletes only when max_entries != 0; read by
	 * inserts after they reserved their slot */
	size_t total __attribute__((aligned(SAFEMAP_CACHELINE)));
	size_t watermark;          /* total that emits WATERMARK when reached upwards; 0 = none */
	unsigned presize_buckets;  /* a shard's table starts with this many (bounded maps) */
	/* cold */
	struct safemap_alloc alloc __attribute__((aligned(SAFEMAP_CACHELINE)));
	safemap_event_fn event_fn;
	void *event_ctx;
	struct safemap_tslot *tslots; /* SAFEMAP_TSLOTS per-thread counters */
	struct safemap_pool pool;  /* uthash's blocks */
	void *shards_raw;
	size_t shards_raw_size;
	char *name;
	/* safety: the type descriptor (names copied; "" = untyped) */
	void (*finalize)(void *key, void *value, void *ctx);
	void *finalize_ctx;
	char *key_type;
	char *value_type;
	/* iter: calls that are not per key (relaxed atomics) */
	uint64_t foreach_calls;
	uint64_t snapshot_calls;
	uint64_t freeze_calls;
	/* contract: what the allocator returned for this struct (which is
	 * aligned inside it, map.c); clears in progress and the end of a
	 * freeze (freeze.c, rmw.c) */
	void *raw;
	uint32_t clears_running;
	bool freeze_done;
};

_Static_assert(__builtin_offsetof(struct safemap, delete_hist) + sizeof(void *) <= SAFEMAP_CACHELINE,
	       "what every operation reads stays in the map's first cache line");

/* safety: which events a successful write emits (struct safemap.notify) */
#define SAFEMAP__NOTIFY_WRITES 1u /* auditable map: an OK event per write */

static inline void *safemap__malloc(struct safemap *m, size_t size)
{
	if (SAFEMAP_LIKELY(!m->custom_alloc))
		return malloc(size);
	return m->alloc.malloc(size, m->alloc.ctx);
}

static inline void safemap__free(struct safemap *m, void *ptr, size_t size)
{
	if (!ptr)
		return;
	if (SAFEMAP_LIKELY(!m->custom_alloc))
		free(ptr);
	else
		m->alloc.free(ptr, size, m->alloc.ctx);
}

/* A never used entry from the newest chunk (one is left). Its hh.hh_next is
 * set to NULL before anything else, with a store the compiler keeps and
 * does not move: from then on it is NULL or an entry, so an optimistic reader
 * that reaches the entry (through a link uthash writes later) never follows
 * a wild pointer. Chunks are not zeroed (a write miss per entry). */
static inline struct safemap_entry *safemap__slab_carve(struct safemap *m, struct safemap_shard *s)
{
	struct safemap_entry *e = (struct safemap_entry *)s->slab.next;

	s->slab.next += m->entry_size;
	__atomic_store_n(&e->hh.hh_next, NULL, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return e;
}

/* Entries come from here and go back here (the shard's write lock held, or
 * the shard otherwise private to the caller): the shard's slab (slab.h). A
 * freed entry stays type-stable memory of its shard until destroy. */
static inline struct safemap_entry *safemap__entry_alloc(struct safemap *m,
							 struct safemap_shard *s)
{
	struct safemap_slab *sl = &s->slab;
	struct safemap_entry *e = sl->free;

	if (SAFEMAP_LIKELY(e)) {
		sl->free = (struct safemap_entry *)e->hh.hh_next;
		return e;
	}
	if (SAFEMAP_LIKELY(sl->next < sl->end))
		return safemap__slab_carve(m, s);
	return safemap__slab_grow(m, s);
}

static inline void safemap__entry_free(struct safemap *m, struct safemap_shard *s,
				       struct safemap_entry *e)
{
	(void)m;
	e->hh.hh_next = (UT_hash_handle *)s->slab.free;
	s->slab.free = e;
}

/* The key's hash. The narrow-hash test option (opts.hash_bits) keeps only
 * hash_bits bits of it and spreads them again over 64 bits, so that at most
 * 2^hash_bits distinct hash values exist (full-hash collisions are common)
 * while shard (high bits) and bucket (low bits) still vary. */
static inline uint64_t safemap__key_hash(const struct safemap *m, const void *key)
{
	uint64_t h = safemap__hash(key, m->key_size, m->seed);

	if (SAFEMAP_UNLIKELY(m->hash_bits))
		h = safemap__hash_final((h & ((1ull << m->hash_bits) - 1)) ^ m->seed);
	return h;
}

static inline struct safemap_shard *safemap__shard_of(const struct safemap *m, uint64_t h)
{
	return &m->shards[(uint32_t)(h >> 32) & m->shard_mask];
}

static inline void *safemap__entry_value(const struct safemap *m, const struct safemap_entry *e)
{
	return (void *)(e->data + m->value_off);
}

/* ---- the shard lock
 *
 * Every write to a shard's table happens between safemap__shard_wrlock()
 * and safemap__shard_unlock(). The lock word carries a version that every
 * writer's unlock bumps, after refreshing the view (buckets, mask) that
 * optimistic readers use: so an optimistic get that found the same version
 * and no writer before and after its walk saw no write at all (lock.h).
 * Readers that need a stable table for longer (references, iteration) take
 * the read lock. Neither lock is recursive: a thread that holds a shard's
 * read lock must not take it again (a waiting writer holds new readers back).
 */

/* This thread's counter of @p op in a map's thread slots @p slots (the
 * map's, or the shard's copy of the pointer: whichever line the caller
 * reads anyway), or NULL for a thread without a slot (count in the shard). */
static inline uint64_t *safemap__thread_ops(struct safemap_tslot *slots, enum safemap_op op)
{
	struct safemap_tslot *t = safemap__tslot(slots);

	return t ? &t->ops[op] : NULL;
}

/* Read-lock @p s for a walk (not an operation: nothing counted but a wait). */
static inline void safemap__shard_rdlock(struct safemap_shard *s)
{
	if (SAFEMAP_UNLIKELY(safemap__lock_rd(&s->lock)))
		safemap__stat_add(&s->stats.contended, 1);
}

/* Write-lock @p s for operation @p op, counted in the thread's slot;
 * SAFEMAP_OP_NONE (a barrier, a reference's last put) counts nothing. */
static inline void safemap__shard_wrlock(struct safemap_shard *s, enum safemap_op op)
{
	uint64_t *c;

	if (SAFEMAP_UNLIKELY(safemap__lock_wr(&s->lock)))
		safemap__stat_add(&s->stats.contended, 1);
	if (op == SAFEMAP_OP_NONE)
		return;
	c = safemap__thread_ops(s->tslots, op);
	safemap__stat_inc_excl(c ? c : &s->stats.ops[op]);
}

static inline void safemap__shard_unlock(struct safemap_shard *s)
{
	if (safemap__lock_wrheld(&s->lock)) { /* a writer: publish the view first */
		const UT_hash_table *t = s->head ? s->head->hh.tbl : NULL;

		__atomic_store_n(&s->buckets, t ? t->buckets : NULL, __ATOMIC_RELAXED);
		__atomic_store_n(&s->mask, t ? t->num_buckets - 1 : 0, __ATOMIC_RELAXED);
		safemap__lock_wrunlock(&s->lock);
	} else {
		safemap__lock_rdunlock(&s->lock);
	}
}

/* Copy @p n bytes of a key or value: 8 bytes (the common size) inline,
 * anything else through memcpy. */
static inline void safemap__copy(void *dst, const void *src, size_t n)
{
	if (SAFEMAP_LIKELY(n == 8))
		memcpy(dst, src, 8);
	else
		memcpy(dst, src, n);
}

static inline bool safemap__key_eq(const struct safemap *m, const struct safemap_entry *e,
				   const void *key)
{
	if (SAFEMAP_LIKELY(m->key_size == 8)) {
		uint64_t a, b;

		memcpy(&a, e->data, 8);
		memcpy(&b, key, 8);
		return a == b;
	}
	return memcmp(e->data, key, m->key_size) == 0;
}

/* Find @p key in @p s (its lock held). The walk of uthash's bucket chain,
 * written out: the key is always at e->data, so it compares in place (one
 * 64-bit compare for 8-byte keys) instead of through hh.key and memcmp. */
static inline struct safemap_entry *safemap__find(const struct safemap *m,
						  struct safemap_shard *s, const void *key,
						  uint64_t h)
{
	const UT_hash_table *t;
	UT_hash_handle *hh;

	if (!s->head)
		return NULL;
	t = s->head->hh.tbl;
	for (hh = t->buckets[(unsigned)h & (t->num_buckets - 1u)].hh_head; hh; hh = hh->hh_next) {
		struct safemap_entry *e = (struct safemap_entry *)hh; /* hh is first */

		if (hh->hashv == (unsigned)h && safemap__key_eq(m, e, key))
			return e;
	}
	return NULL;
}

/* ---- optimistic reads
 *
 * safemap_get() reads without the lock: it reads the shard's lock word,
 * walks the bucket chain from the view, copies the value out, and keeps the
 * result only if no writer held the lock meanwhile (same version, lock.h).
 * What makes the walk safe while a writer changes the table under it: entries come from the
 * shard's slab and bucket arrays from the map's pool, neither returned before
 * destroy, and an entry's hh.hh_next is always NULL or an entry (slab.h); so
 * every pointer the walk follows, however stale, points to memory of this
 * map, and a walk that meets a cycle stops after SAFEMAP_WALK_MAX links.
 * Under ThreadSanitizer the racy reads would be reported (they are the
 * point), so those builds compile this path out: gets take the read lock.
 * -DSAFEMAP_OPTIMISTIC=0 does the same in any build.
 */
#ifndef SAFEMAP_OPTIMISTIC
#ifdef SAFEMAP_TSAN /* lock.h */
#define SAFEMAP_OPTIMISTIC 0
#else
#define SAFEMAP_OPTIMISTIC 1
#endif
#endif

#define SAFEMAP_WALK_MAX 64      /* longer chains take the read lock */
#define SAFEMAP_OPTIMISTIC_TRIES 3

/* 1: found, value copied; 0: absent; -1: could not get a stable read (a
 * writer kept the shard busy, or the chain is too long): take the lock. */
static inline int safemap__get_optimistic(const struct safemap *m, struct safemap_shard *s,
					  const void *key, uint64_t h, void *value_out)
{
	int tries;

	for (tries = 0; tries < SAFEMAP_OPTIMISTIC_TRIES; tries++) {
		uint64_t v = safemap__lock_read_begin(&s->lock);
		UT_hash_bucket *b = __atomic_load_n(&s->buckets, __ATOMIC_RELAXED);
		unsigned mask = __atomic_load_n(&s->mask, __ATOMIC_RELAXED);
		UT_hash_handle *hh;
		int found = 0, n;

		/* b and mask belong together: no writer before and after */
		if ((v & SAFEMAP_LOCK_W) || !safemap__lock_read_valid(&s->lock, v)) {
			safemap__cpu_relax();
			continue;
		}
		hh = b ? __atomic_load_n(&b[(unsigned)h & mask].hh_head, __ATOMIC_RELAXED) : NULL;
		for (n = 0; hh; n++) {
			struct safemap_entry *e = (struct safemap_entry *)hh;

			if (SAFEMAP_UNLIKELY(n == SAFEMAP_WALK_MAX)) {
				found = -1;
				break;
			}
			if (__atomic_load_n(&hh->hashv, __ATOMIC_RELAXED) == (unsigned)h &&
			    safemap__key_eq(m, e, key)) {
				safemap__copy(value_out, safemap__entry_value(m, e), m->value_size);
				found = 1;
				break;
			}
			hh = __atomic_load_n(&hh->hh_next, __ATOMIC_RELAXED);
		}
#ifdef SAFEMAP_BREAK_VALIDATION /* only to show that tests catch it */
		return found;
#endif
		if (SAFEMAP_LIKELY(safemap__lock_read_valid(&s->lock, v)))
			return found;
	}
	return -1;
}

/* Bucket sizing: uthash itself doubles a table's buckets only when one chain
 * reaches 10 entries, which leaves 64 lazily grown shards at about two
 * entries per bucket (long chains, a cache miss per link). After every
 * insert the shard keeps at most SAFEMAP_MAX_LOAD_PCT / 100 entries per
 * bucket instead, and a bounded map's shard starts with the buckets its
 * share of max_entries needs (m->presize_buckets). Call with the shard's
 * write lock held, after an insert. A failed allocation only leaves the
 * table at a higher load (uthash leaves it unchanged). */
#ifndef SAFEMAP_MAX_LOAD_PCT
#define SAFEMAP_MAX_LOAD_PCT 100
#endif
static inline void safemap__table_grow(struct safemap *m, struct safemap_shard *s)
{
	UT_hash_table *t = s->head->hh.tbl;
	int oomed = 0;

	if (SAFEMAP_UNLIKELY((uint64_t)t->num_items * 100 > (uint64_t)t->num_buckets * SAFEMAP_MAX_LOAD_PCT ||
			     t->num_buckets < m->presize_buckets)) {
		do
			HASH_EXPAND_BUCKETS(hh, t, oomed);
		while (!oomed && t->num_buckets < m->presize_buckets);
	}
}

/* Operations of kind @p op counted on @p m so far (shards and thread
 * slots, relaxed loads): what metrics should read. */
SAFEMAP_HIDDEN uint64_t safemap__stats_ops(struct safemap *m, enum safemap_op op);

/* Count and report a refused operation: bumps the refusal counter of @p s
 * (or of @p key's shard when @p s is NULL), emits the map's event (source
 * map, @p op, @p reason, @p err, @p key, detail from @p fmt) and records the
 * detail for safemap_last_error(). Call it with no shard lock held (the
 * event sink is user code). Returns @p err. */
SAFEMAP_HIDDEN int safemap__refuse(struct safemap *m, struct safemap_shard *s,
				   enum safemap_op op, enum safemap_reason reason, int err,
				   const void *key, const char *fmt, ...) SAFEMAP_PRINTF(7, 8);

/* ---- iteration and freeze (lib/map/iter.c, lib/map/freeze.c) ---------
 *
 * m->guard is 0 in the common case: a write then pays one plain load of the
 * map's first cache line. It is non-zero while the map is frozen
 * (SAFEMAP__GUARD_FROZEN, for good) or while any thread runs a foreach of it
 * (the low bits count them); only then do writes (and gets) look at the
 * calling thread's own list of running iterations (a thread-local linked list
 * of frames on the foreach stacks), so the thread-local lookup never runs on
 * the fast path.
 *
 * Lock rules (deadlock freedom): writers hold one shard lock at a time; a
 * thread that holds shard read locks of a map (foreach, snapshot) waits
 * without bound only for a shard with a higher index than every shard of
 * that map it holds; a read of a lower shard from inside a callback waits at
 * most SAFEMAP__NESTED_WAIT_MS and then fails with -EDEADLK (a lock cycle
 * with another iterating thread and queued writers); a shard the thread
 * already holds is read without locking again (the shard locks prefer
 * writers and are not recursive). */
#define SAFEMAP__GUARD_FROZEN 0x80000000u
#define SAFEMAP__GUARD_ITER 0x7fffffffu
#define SAFEMAP__NESTED_WAIT_MS 250

SAFEMAP_HIDDEN int safemap__write_guard_slow(struct safemap *m, enum safemap_op op,
					     const void *key);
SAFEMAP_HIDDEN int safemap__read_begin_slow(struct safemap *m, struct safemap_shard *s,
					    enum safemap_op op);
/* Read-lock shard @p idx of @p m for foreach or snapshot, following the lock
 * rules above; @p held_max is safemap__iter_held_max() taken before the
 * caller locked anything itself. 1 = locked, 0 = this thread's own foreach
 * already holds it (do not unlock), -EDEADLK = gave up (detail set). */
SAFEMAP_HIDDEN int safemap__iter_rdlock(struct safemap *m, uint32_t idx, int32_t held_max);
/* True if this thread runs a foreach of @p m (its callback is on the stack). */
SAFEMAP_HIDDEN bool safemap__iterating(const struct safemap *m);
/* True if this thread holds shard @p idx of @p m in one of its foreach walks. */
SAFEMAP_HIDDEN bool safemap__iter_holds(const struct safemap *m, uint32_t idx);
/* The highest shard index of @p m whose read lock this thread holds in a
 * foreach, or -1. */
SAFEMAP_HIDDEN int32_t safemap__iter_held_max(const struct safemap *m);
/* The delete-latency histogram (lib/map/metrics.c): create it for @p m
 * (0 or -ENOMEM) and free it (NULL ok). */
SAFEMAP_HIDDEN int safemap__hist_create(struct safemap *m);
SAFEMAP_HIDDEN void safemap__hist_destroy(struct safemap *m);
/* Refuse a write that found the map frozen after taking its lock. */
SAFEMAP_HIDDEN int safemap__refuse_frozen(struct safemap *m, enum safemap_op op,
					  const void *key);

/* Every write (put, delete, update, cas, clear, freeze) asks this first,
 * with no lock held: 0 to go on, or the refusal (-EPERM frozen, -EDEADLK
 * write from inside this thread's own iteration of @p m), already reported
 * (counter + event + detail). A write then locks its shard with
 * safemap__write_lock(), which rechecks the freeze under the lock. */
static inline int safemap__write_guard(struct safemap *m, enum safemap_op op, const void *key)
{
	if (SAFEMAP_LIKELY(!__atomic_load_n(&m->guard, __ATOMIC_RELAXED)))
		return 0;
	return safemap__write_guard_slow(m, op, key);
}

/* True if the map is frozen. A write calls it with its shard write lock
 * held, after safemap__write_guard() let it through: a freeze that began in
 * between is seen here (safemap_freeze() sets the flag and then takes and
 * releases every shard's write lock), so no write lands after freeze
 * returns. Writes take their lock with safemap__write_lock(), which does
 * this check; clear, which locks shard by shard, does it itself. */
static inline bool safemap__frozen(const struct safemap *m)
{
	return SAFEMAP_UNLIKELY(__atomic_load_n(&m->guard, __ATOMIC_RELAXED) &
				SAFEMAP__GUARD_FROZEN);
}

/* Write-lock @p s for a write (@p op on @p key) that safemap__write_guard()
 * let through: 0 with the lock held, or, when a freeze began in between,
 * the refusal (reported) with nothing held. */
static inline int safemap__write_lock(struct safemap *m, struct safemap_shard *s,
				      enum safemap_op op, const void *key)
{
	safemap__shard_wrlock(s, op);
	if (SAFEMAP_LIKELY(!safemap__frozen(m)))
		return 0;
	safemap__shard_unlock(s);
	return safemap__refuse_frozen(m, op, key);
}

/* Reads (get, get_ref) lock their shard with this: 1 = read-locked (unlock when done), 0 = this
 * thread already holds the shard's read lock in its own foreach (read, do not
 * unlock), -EDEADLK = gave up on a lock cycle (reported, nothing held).
 * The fast path is a try-lock: a read lock that is free is taken even if this thread already holds it (read locks
 * nest); only a read that would wait looks at the thread's walks. */
static inline int safemap__read_begin(struct safemap *m, struct safemap_shard *s,
				      enum safemap_op op)
{
	if (SAFEMAP_LIKELY(safemap__lock_tryrd(&s->lock))) {
		safemap__stat_add(&s->stats.ops[op], 1);
		return 1;
	}
	return safemap__read_begin_slow(m, s, op);
}

#endif /* SAFEMAP_LIB_MAP_INTERNAL_H */
