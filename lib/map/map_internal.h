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
#include "table.h"
#include "stats.h"

#define SAFEMAP_CACHELINE 64
#define SAFEMAP_MAX_SHARDS 65536u

/* A shard: one cache line holds all an optimistic get reads (the lock word,
 * which carries the version, and the table pointer) and all an insert or
 * delete writes (lock, count, growth_left). Readers never write the shard;
 * writers count their operations in their thread slot, not here. The table
 * itself is table.h's. */
struct safemap_shard {
	/* line 0 */
	struct safemap_lock lock;         /* lock.h: reader-writer lock + version */
	struct safemap_tbl *tbl;          /* table.h; NULL when empty */
	size_t count;                     /* written under the write lock, read atomically */
	uint32_t growth_left;             /* inserts before the table must be rehashed */
	uint32_t ngroups;                 /* tbl's groups, 0 without: a hint (prefetch, gwrite.h) */
	uint32_t dirty_left;              /* table.h: erasures in overflowed groups before a rehash */
	uint16_t idx;                     /* this shard's index */
	uint8_t fast;                     /* gwrite.h: the map takes group writes */
	uint8_t reclaim;                  /* table.h: work for after unlock (SAFEMAP_RECLAIM_*) */
	struct safemap_node *refnodes;    /* table.h: referenced entries of an inline map */
	struct safemap_tslot *tslots;     /* the map's thread slots */
	uint32_t gw_budget;               /* gwrite.h: inserts a thread may add by groups */
	uint32_t quota;                   /* bounded maps: entries reserved for this shard (ops.c) */
	/* cold */
	struct safemap_retired *limbo __attribute__((aligned(SAFEMAP_CACHELINE))); /* epoch.h */
	size_t limbo_bytes;
	struct safemap_node *retired;     /* table.h: left the map while referenced */
	struct safemap_node *node_cache;  /* table.h: freed copies of an inline map (reflock) */
	struct safemap_tbl *spare;        /* table.c: the next table, made ahead of growth */
	uint32_t spare_groups;            /* ... its groups, wanted (SAFEMAP_RECLAIM_SPARE) */
	uint32_t reflock;                 /* table.h: refnodes among read-lock holders */
	uint32_t ncached;
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
	uint16_t slot_size;        /* table.h: bytes per slot */
	uint16_t group_size;       /* table.h: bytes per group */
	/* iter: read by every write (and by get): SAFEMAP__GUARD_FROZEN | the
	 * number of foreach calls running on this map (any thread) */
	uint32_t guard;
	size_t max_entries;        /* 0 = unbounded */
	bool custom_alloc;
	/* safety: one byte each, in the padding of this line */
	uint8_t notify;            /* SAFEMAP__NOTIFY_* bits: events to emit after a write */
	bool has_finalizer;        /* finalize != NULL */
	uint8_t hash_bits;         /* 0, or the narrow test hash's width */
	bool nodes;                /* table.h: entries live in nodes, slots hold pointers */
	bool shape88;              /* table_impl.h: SAFEMAP_SHAPE_88 (8/8, full hash) */
	bool fast88;               /* ops.c: shape88, group writes, no delete histogram */
	struct safemap__hist *delete_hist; /* NULL unless opts.delete_latency */
	/* written by inserts and deletes only when max_entries != 0; read by
	 * inserts after they reserved their slot */
	size_t total __attribute__((aligned(SAFEMAP_CACHELINE))); /* entries + shard quotas */
	size_t watermark;          /* total that emits WATERMARK when reached upwards; 0 = none */
	size_t portion_limit;      /* quotas only while total + margin stays below (ops.c) */
	uint32_t quota_out;        /* some shard may hold a quota */
	uint32_t presize_groups;   /* a shard's first table has this many groups (bounded maps) */
	uint32_t node_size;        /* bytes of a node (table.h) */
	/* cold */
	struct safemap_alloc alloc __attribute__((aligned(SAFEMAP_CACHELINE)));
	safemap_event_fn event_fn;
	void *event_ctx;
	struct safemap_tslot *tslots; /* SAFEMAP_TSLOTS per-thread counters */
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

_Static_assert(__builtin_offsetof(struct safemap_shard, quota) + sizeof(uint32_t) <= SAFEMAP_CACHELINE,
	       "what every write reads stays in the shard's first cache line");
_Static_assert(__builtin_offsetof(struct safemap, delete_hist) + sizeof(void *) <= SAFEMAP_CACHELINE,
	       "what every operation reads stays in the map's first cache line");

/* safety: which events a successful write emits (struct safemap.notify) */
#define SAFEMAP__NOTIFY_WRITES 1u /* auditable map: an OK event per write */

#include "gwrite.h"

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

static inline struct safemap_shard *safemap__shard_of(const struct safemap *m, uint64_t h)
{
	return &m->shards[(uint32_t)(h >> 32) & m->shard_mask];
}

/* ---- the shard lock
 *
 * Every write to a shard's table happens between safemap__shard_wrlock()
 * and safemap__shard_unlock(). The lock word carries a version that every
 * writer's unlock bumps: so an optimistic get that found the same version
 * and no writer before and after its walk saw no write at all (lock.h).
 * Readers that need a stable table for longer (references, iteration) take
 * the read lock. Neither lock is recursive: a thread that holds a shard's
 * read lock must not take it again (a waiting writer holds new readers back).
 */

/* Read-lock @p s for a walk (not an operation: nothing counted but a wait). */
static inline void safemap__shard_rdlock(struct safemap_shard *s)
{
	if (SAFEMAP_UNLIKELY(safemap__lock_rd(&s->lock)))
		safemap__stat_add(&s->stats.contended, 1);
	safemap__gw_drain(s);
}

/* Write-lock @p s for operation @p op, counted in thread slot @p t (the
 * caller's, looked up already; NULL: a thread without one, count in the
 * shard); SAFEMAP_OP_NONE (a barrier, a reference's last put) counts
 * nothing. */
static inline __attribute__((always_inline)) void
safemap__shard_wrlock_in(struct safemap_shard *s, enum safemap_op op, struct safemap_tslot *t)
{
	if (SAFEMAP_UNLIKELY(safemap__lock_wr(&s->lock)))
		safemap__stat_add(&s->stats.contended, 1);
	safemap__gw_drain(s);
	if (op != SAFEMAP_OP_NONE)
		safemap__stat_inc_excl(t ? &t->ops[op] : &s->stats.ops[op]);
}

/* The same, counted in the calling thread's slot. */
static inline void safemap__shard_wrlock(struct safemap_shard *s, enum safemap_op op)
{
	safemap__shard_wrlock_in(s, op, op == SAFEMAP_OP_NONE ? NULL : safemap__tslot(s->tslots));
}

static inline void safemap__shard_unlock(struct safemap_shard *s)
{
	if (safemap__lock_wrheld(&s->lock))
		safemap__lock_wrunlock(&s->lock);
	else
		safemap__lock_rdunlock(&s->lock);
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

/* ---- optimistic reads
 *
 * safemap_get() reads without the lock (table.h: safemap__tbl_get_optimistic):
 * it reads the shard's lock word, probes the table, copies the value out,
 * and keeps the result only if no writer held the lock meanwhile (same
 * version, lock.h). Memory it may read is never freed under it (epoch.h).
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

#define SAFEMAP_OPTIMISTIC_TRIES 3

/* safemap_put() for arguments the caller has checked already (non-NULL,
 * known flags): a batch's elements (batch.c). ops.c. */
SAFEMAP_HIDDEN int safemap__put_checked(struct safemap *m, const void *key, const void *value,
					unsigned flags);

/* The same put, and safemap_delete() for a non-NULL key, for a caller that
 * prefetched the key's lines (a staged batch, table_batch.h): their probes
 * do not ask for the key's whole group again. ops.c. */
SAFEMAP_HIDDEN int safemap__put_prefetched(struct safemap *m, const void *key, const void *value,
					   unsigned flags);
SAFEMAP_HIDDEN int safemap__delete_prefetched(struct safemap *m, const void *key);

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
/* safemap__refuse() of an insert (by @p op) that max_entries refuses:
 * -E2BIG, reason SAFEMAP_REASON_FULL. */
SAFEMAP_HIDDEN int safemap__refuse_full(struct safemap *m, struct safemap_shard *s,
					enum safemap_op op, const void *key);

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
/* For a last safemap_ref_put() of a node of shard @p idx: true if this
 * thread runs a foreach of @p m (the call comes from its callback): the node
 * is left to the walk, which frees it when it leaves the shard (it holds
 * that one's read lock) or at its end, once it holds no shard of the map (a
 * wait for another shard's write lock while holding a read lock could close
 * a cycle with another walking thread). iter.c. */
SAFEMAP_HIDDEN bool safemap__iter_defer_free(struct safemap *m, uint32_t idx);
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
 * let through, counted in thread slot @p t (safemap__shard_wrlock_in): 0
 * with the lock held, or, when a freeze began in between, the refusal
 * (reported) with nothing held. Inlined (the write paths call it once
 * each). */
static inline __attribute__((always_inline)) int
safemap__write_lock_in(struct safemap *m, struct safemap_shard *s, enum safemap_op op,
		       const void *key, struct safemap_tslot *t)
{
	safemap__shard_wrlock_in(s, op, t);
	if (SAFEMAP_LIKELY(!safemap__frozen(m)))
		return 0;
	safemap__shard_unlock(s);
	return safemap__refuse_frozen(m, op, key);
}

/* The same, counted in the calling thread's slot. */
static inline int safemap__write_lock(struct safemap *m, struct safemap_shard *s,
				      enum safemap_op op, const void *key)
{
	return safemap__write_lock_in(m, s, op, key, safemap__tslot(s->tslots));
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
		safemap__gw_drain(s);
		safemap__stat_add(&s->stats.ops[op], 1);
		return 1;
	}
	return safemap__read_begin_slow(m, s, op);
}

#include "table_impl.h"

#endif /* SAFEMAP_LIB_MAP_INTERNAL_H */
