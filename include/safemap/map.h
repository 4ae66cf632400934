/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/map.h
 * @brief The concurrent map: fixed-size byte keys and values, sharded, each
 *        shard a cache-line-aligned reader-writer lock over the map's own
 *        open-addressing table.
 *
 * Concurrency contract (applies to every call below unless it says otherwise):
 * - any number of threads may call put/get/delete/count on one map at once;
 * - each call computes the key's hash once and works on exactly one shard:
 *   put/delete take its write lock and release it before returning, or, in
 *   a map of inline entries (key + value up to 32 bytes) with no finalizer,
 *   no max_entries and the default allocator, lock only the groups of the
 *   shard's table they write (a group lock and version in the group's first
 *   cache line) while no thread holds the shard's lock (a thread that takes
 *   it, to write or to read, waits for those writes to end first); get
 *   takes no lock (it reads optimistically and keeps the result only if no
 *   writer held the shard or the groups it read meanwhile, else retries
 *   and, after a few tries, takes the read lock); a put with
 *   SAFEMAP_NOEXIST of a present key, a
 *   put with SAFEMAP_EXIST or a delete of an absent key is refused after
 *   such a read, without the write lock (it changes nothing; the read is
 *   when it took effect); calls on keys in different shards never wait for
 *   each other (calls from inside a foreach callback follow the rules of
 *   safemap_foreach());
 * - values are copied in under the write lock and out as a validated copy,
 *   so a reader never sees a torn value and never holds a pointer into the
 *   map;
 * - safemap_create() and safemap_destroy() must not race with any other call
 *   on the same map.
 */
#ifndef SAFEMAP_MAP_H
#define SAFEMAP_MAP_H

#include <stdbool.h>
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
 * Allocator hook. Every allocation the map makes goes through it (table
 * arrays, nodes of large or referenced entries). @c free receives the size
 * that was allocated. Memory goes back as the map shrinks: a replaced table
 * array or a deleted node is freed once no lock-free reader can still be
 * reading it (a grace period; at the latest by safemap_destroy()). @c malloc
 * and @c free are called with a shard lock held or not, from any thread that
 * uses the map (also from safemap_get_ref() and safemap_ref_put()): both
 * must be thread-safe and must not call into the map.
 *
 * Alignment: @c malloc must return memory aligned for a pointer (8 bytes on
 * 64-bit systems; malloc() gives 16). What needs more is aligned by the map
 * itself inside a slightly larger block (the map and its shards to 64 bytes,
 * a cache line); table arrays and nodes assume no more than 8, so a hook
 * need not honour any larger alignment. @c free receives exactly the pointer
 * @c malloc returned and the size it was asked for.
 */
struct safemap_alloc {
	/** Allocate @p size bytes (suitably aligned for any type, like malloc());
	 *  NULL makes the operation fail with -ENOMEM and leave the map unchanged. */
	void *(*malloc)(size_t size, void *ctx);
	/** Free @p ptr, allocated by @c malloc with @p size bytes. */
	void (*free)(void *ptr, size_t size, void *ctx);
	void *ctx; /**< passed to @c malloc and @c free */
};

/**
 * A map's type descriptor (extensible: @c sz first; declare with
 * SAFEMAP_OPTS(safemap_type, t, ...)). Pointed to by safemap_opts.type and
 * copied at create.
 *
 * The finalizer runs exactly once per stored value, when that value has
 * left the map (delete, replace by put/update/cas, clear, destroy) and the
 * last reference to it (safemap_get_ref()) has been dropped, or at the latest
 * in safemap_destroy() (which also finalizes a value that left the map while
 * a reference not dropped still pointed to it): it is where a
 * value that owns a resource (an fd, a buffer) releases it. It receives the
 * entry's key and value (writable, about to be freed) and @c finalize_ctx.
 * It runs on the thread that removed the value or dropped its last
 * reference, possibly with a shard write lock of this map held: it must be
 * quick and must not call into this map (other maps are fine).
 */
struct safemap_type {
	size_t sz;                /**< sizeof(struct safemap_type) */
	const char *key_type;     /**< key type name, e.g. "struct flow_key"; NULL = unnamed */
	const char *value_type;   /**< value type name; NULL = unnamed */
	void (*finalize)(void *key, void *value, void *ctx); /**< NULL = none */
	void *finalize_ctx;       /**< passed to @c finalize */
};

/** Bits of safemap_opts.event_flags. */
enum safemap_event_flags {
	/** An "auditable map": emit an event with reason SAFEMAP_REASON_OK for
	 *  every successful write (put, delete, an update that stored or
	 *  deleted, a cas that swapped, clear). */
	SAFEMAP_EVENTS_WRITES = 1u << 0,
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
	/* safety: type descriptor, audit events, capacity watermark */
	const struct safemap_type *type; /**< NULL = untyped bytes, no finalizer; copied at create */
	unsigned event_flags;       /**< SAFEMAP_EVENTS_* bits; unknown bits are -EINVAL */
	/** Emit one SAFEMAP_REASON_WATERMARK event each time the number of
	 *  entries rises to this value from below. 0 = 90% of max_entries
	 *  (rounded up); needs max_entries (else -EINVAL when set); a value
	 *  above max_entries never fires. Events need @c event_fn. */
	size_t high_watermark;
	/** For tests: keep only this many bits (1..63) of each key's hash, so
	 *  that different keys often share a full hash value (collisions become
	 *  common and the key comparison path runs); 0 or 64 = the full hash.
	 *  Slows the map down; never use it in production. */
	unsigned hash_bits;
	/** Keep a histogram of safemap_delete() latencies (log2 buckets of
	 *  nanoseconds, striped per shard group), exported by the metrics; off
	 *  by default (it reads the clock twice per delete). */
	bool delete_latency;
	/** Entries the map is expected to hold (a sizing hint, not a bound):
	 *  safemap_create() allocates every shard's table with room for its
	 *  share (about 23 bytes an expected 8/8 entry; -ENOMEM if that memory
	 *  is not there), so filling the map to this size allocates no table
	 *  and rehashes nothing. 0 = grow from small tables (a bounded map
	 *  starts with room for its share of max_entries, up to 65536 entries
	 *  for the whole map, at each shard's first insert). Tables still
	 *  shrink when entries are deleted, but not below this share while the
	 *  shard has any; a shard that empties frees its table, and its next
	 *  insert allocates its share again. */
	size_t expected_entries;
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
 * @brief Destroy a map and every entry in it, running the finalizer (see
 *        struct safemap_type) on every value still in the map. Accepts NULL.
 *
 * Concurrency: no other call on @p m may be running or start, and every
 * reference taken with safemap_get_ref() must have been dropped. One that
 * was not is reported through the log callback (a warning per entry still
 * referenced, for the first 32 entries, naming how many references were not
 * dropped and whether the value was still in the map or had been deleted,
 * replaced or cleared; then one line with the totals); its value is
 * finalized here, once; using the reference afterwards is a use-after-free.
 */
SAFEMAP_API void safemap_destroy(struct safemap *m);

/**
 * @brief Insert or replace the value for @p key, with bpf_map_update_elem()
 *        semantics.
 * @param flags SAFEMAP_ANY, SAFEMAP_NOEXIST or SAFEMAP_EXIST.
 * @return 0; -EEXIST (NOEXIST and present); -ENOENT (EXIST and absent);
 *         -E2BIG (the key is absent and the map holds max_entries: a capacity
 *         violation, also reported as an event; replacing a present key in a
 *         full map succeeds); -ENOMEM (the map is unchanged: an insert, or a
 *         replace while references to the old value are held); -EINVAL (NULL
 *         argument, unknown flags); -EPERM (the map is frozen: event);
 *         -EDEADLK (called from inside this thread's own safemap_foreach() of
 *         @p m: event).
 *
 * Replacing a value finalizes the old one (see struct safemap_type); a
 * reference to the old value keeps reading the old bytes.
 *
 * Concurrency: takes the key's shard write lock, or only the groups it
 * writes (see the contract at the top of this file); atomic and safe
 * against every other call except create/destroy.
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
 * @brief Remove @p key and its value. The value is finalized now, or when
 *        the last reference to it is dropped.
 * @return 0; -ENOENT (absent); -EINVAL; -EPERM (frozen: event); -EDEADLK
 *         (from inside this thread's own foreach of @p m: event).
 *
 * Concurrency: takes the key's shard write lock, or only the groups it
 * writes (see the contract at the top of this file).
 */
SAFEMAP_API int safemap_delete(struct safemap *m, const void *key);

/**
 * @brief Number of entries. Exact when no writer runs concurrently; while
 *        writers run, per shard a value between what it held at the start
 *        and at the end of the call, give or take the writes that ran
 *        meanwhile (threads count their group writes apart and the sum is
 *        read without stopping them); never a torn number. Takes no lock.
 *        Returns 0 for NULL.
 */
SAFEMAP_API size_t safemap_count(struct safemap *m);

/* ---- safety: references, read-modify-write, clear, type check -------- */

/**
 * A reference to one entry's key and value, filled by safemap_get_ref() and
 * dropped with safemap_ref_put(). The fields are private: read the entry
 * through safemap_ref_key() and safemap_ref_value(). A zero-filled ref is
 * empty (safemap_ref_put() ignores it).
 */
struct safemap_ref {
	struct safemap *map; /**< private */
	void *entry;         /**< private */
};

/**
 * @brief Take a reference to the entry of @p key: its key and value stay
 *        readable, unchanged, through @p ref until safemap_ref_put(), even
 *        after another thread deletes or replaces the key or clears the map
 *        (the value is then finalized when the last reference goes).
 * @param ref receives the reference; empty on error.
 * @return 0; -ENOENT (absent); -EOVERFLOW (2^31 references to one entry);
 *         -ENOMEM (the first reference to an entry of a map whose entries
 *         live in the table's slots, key + value up to 32 bytes: it copies
 *         the entry to a node of its own; map unchanged); -EINVAL (NULL
 *         argument).
 *
 * Concurrency: takes the key's shard read lock briefly. Allocates only for
 * the first reference to a small (inline) entry; later references to it,
 * and every reference in maps of larger entries, never allocate.
 * The referenced bytes are never written again by the map, so any number of
 * threads may read them without a lock. Do not write through the pointers.
 * Every reference must be dropped before safemap_destroy().
 */
SAFEMAP_API int safemap_get_ref(struct safemap *m, const void *key, struct safemap_ref *ref);

/**
 * @brief Drop a reference taken by safemap_get_ref() and empty @p ref.
 *        Accepts NULL and empty refs. If the value has left the map and this
 *        was its last reference, runs the finalizer and frees the entry
 *        (taking the key's shard write lock briefly).
 *
 * Concurrency: any thread may drop a reference (not only the one that took
 * it), concurrently with every call on the map except destroy; each
 * reference is dropped once. Also from inside a safemap_foreach() callback
 * of the map: the finalizer runs at once, and the entry's memory is freed
 * when the walk leaves the entry's shard (if it is the one being walked) or
 * when the walk ends (never a wait for a lock from inside the walk).
 */
SAFEMAP_API void safemap_ref_put(struct safemap_ref *ref);

/** @brief The referenced key (key_size bytes), or NULL for an empty ref. */
SAFEMAP_API const void *safemap_ref_key(const struct safemap_ref *ref);

/** @brief The referenced value (value_size bytes), or NULL for an empty ref. */
SAFEMAP_API const void *safemap_ref_value(const struct safemap_ref *ref);

/** What a safemap_update_fn asks for (or a negative errno to abort). */
enum safemap_update_action {
	SAFEMAP_UPDATE_NONE = 0,   /**< change nothing */
	SAFEMAP_UPDATE_STORE = 1,  /**< store @c value (creating the entry if absent) */
	SAFEMAP_UPDATE_DELETE = 2, /**< remove the entry (nothing if absent) */
};

/**
 * An update callback. @p value holds a copy of the current value when
 * @p present, else zeroes; the callback may change it and return a
 * safemap_update_action, or a negative errno to abort (the map is left
 * unchanged and safemap_update() returns that errno).
 */
typedef int (*safemap_update_fn)(const void *key, void *value, bool present, void *ctx);

/**
 * @brief Atomic read-modify-write of @p key: runs @p fn on the value under
 *        the key's shard write lock and applies what it returns.
 * @param flags SAFEMAP_ANY (run whether or not the key is present),
 *        SAFEMAP_EXIST (only on a present key: else -ENOENT, @p fn not run),
 *        SAFEMAP_NOEXIST (only on an absent key: else -EEXIST, not run).
 * @return 0 (including SAFEMAP_UPDATE_NONE, and DELETE of an absent key);
 *         @p fn's negative return; -ENOENT / -EEXIST (flags); -E2BIG (STORE
 *         of a new key in a full map: event); -ENOMEM (map unchanged); -EINVAL
 *         (NULL argument, unknown flags, unknown action returned by @p fn);
 *         -EPERM (frozen: event; @p fn not run); -EDEADLK (from inside this
 *         thread's own foreach of @p m: event; @p fn not run). A return of
 *         INT_MIN from @p fn is returned as is (errno is then INT_MAX, the
 *         nearest positive value).
 *
 * STORE over a present value replaces it: the old value is finalized, and
 * references to it keep the old bytes. Concurrency: no other call on the
 * same shard runs while @p fn runs, so updates of one key never lose each
 * other's changes. @p fn must be quick and must not call into this map
 * (that would deadlock); it runs on the calling thread, exactly once per
 * call that reaches it.
 */
SAFEMAP_API int safemap_update(struct safemap *m, const void *key, safemap_update_fn fn,
			       void *ctx, unsigned flags);

/**
 * @brief Compare-and-swap of a whole value: if @p key holds exactly the
 *        bytes at @p expected, store @p desired.
 * @return 0 (swapped; the old value is finalized); -EAGAIN (the value
 *         differs: @p expected receives the current value, so a retry loop
 *         needs no extra get); -ENOENT (absent: nothing is created and
 *         @p expected is zero-filled; create with safemap_put(SAFEMAP_NOEXIST));
 *         -ENOMEM (references to the old value are held and a new entry
 *         could not be allocated: map unchanged); -EINVAL; -EPERM (frozen:
 *         event); -EDEADLK (from inside this thread's own foreach of @p m:
 *         event).
 *
 * Concurrency: takes the key's shard write lock; atomic against every other
 * call on the key. Values compare bytewise (mind struct padding).
 */
SAFEMAP_API int safemap_cas(struct safemap *m, const void *key, void *expected,
			    const void *desired);

/**
 * @brief Remove every entry, finalizing each value (now, or when its last
 *        reference is dropped; references stay valid).
 * @return 0 (every shard was cleared); -EINVAL (NULL); -EPERM (the map is
 *         frozen: nothing was removed; event); -EDEADLK (from inside this
 *         thread's own foreach of @p m: nothing removed; event).
 *
 * Concurrency: safe against every other call except create/destroy. Takes
 * each shard's write lock in turn, so it is atomic per shard, not across
 * the map: an entry a concurrent put adds to an already-cleared shard stays.
 * All or nothing against safemap_freeze(): a clear either refuses before
 * removing anything or clears every shard, a concurrent freeze waiting for
 * it to end.
 */
SAFEMAP_API int safemap_clear(struct safemap *m);

/**
 * @brief Check that @p m stores keys and values of the given sizes and
 *        (when both the map and the caller name them) type names. The typed
 *        layer (safemap/typed.h) calls it; a mismatch is refused.
 * @return 0; -EINVAL on a mismatch (also an event with reason
 *         SAFEMAP_REASON_TYPE_MISMATCH, op SAFEMAP_OP_OPEN, and a detail
 *         message naming both types) or a NULL map.
 *
 * Concurrency: reads only what create wrote; takes no lock.
 */
SAFEMAP_API int safemap_check_type(struct safemap *m, size_t key_size, size_t value_size,
				   const char *key_type, const char *value_type);

/**
 * @brief safemap_create() for a map of a given key and value type (what
 *        SAFEMAP_DEFINE_TYPED's prefix_create() calls): the sizes and type
 *        names come from the arguments, everything else from @p opts (NULL:
 *        defaults), including the finalizer of @c opts->type.
 * @return as safemap_create(); -EINVAL also when @p opts gives a key_size,
 *         value_size or type name that differs from the arguments.
 */
SAFEMAP_API int safemap_create_typed(const struct safemap_opts *opts, size_t key_size,
				     size_t value_size, const char *key_type,
				     const char *value_type, struct safemap **out);

/** @brief The map's name as given at create ("" if none). Never NULL for a map. */
SAFEMAP_API const char *safemap_name(const struct safemap *m);

/** @brief Number of shards (a power of two). */
SAFEMAP_API unsigned safemap_shard_count(const struct safemap *m);

/* ---- iteration, freeze (iter) ------------------------------------------- */

/**
 * A foreach callback: @p key and @p value point into the map (key_size and
 * value_size bytes) and are valid only during the call; never write through
 * them. Return 0 to go on; any other value stops the walk and is returned by
 * the foreach call.
 */
typedef int (*safemap_foreach_fn)(const void *key, const void *value, void *ctx);

/**
 * @brief Call @p fn for every entry of @p m, shard by shard.
 * @return 0 after a full walk; the callback's non-zero value if it stopped
 *         the walk; -EINVAL (NULL @p m or @p fn); -EDEADLK (see below).
 *
 * Concurrency: takes each shard's read lock in turn (index order) and calls
 * @p fn with it held, so each shard is seen at one instant (an entry of a
 * shard appears exactly once, with one whole value); shards are seen at
 * different instants (for one instant across shards use safemap_snapshot()).
 * Writers to the shard being walked wait for it; every other call runs.
 *
 * From inside @p fn, on the same thread:
 * - a write to @p m (put, delete, update, cas, clear, freeze) would deadlock
 *   on the held lock: it is refused at once with -EDEADLK and an event
 *   (reason SAFEMAP_REASON_WRITE_IN_ITERATION); writes from other threads
 *   are unaffected (they wait for the shard, then succeed);
 * - safemap_get() of @p m works: a key in the shard being walked is read
 *   under the lock already held (the shard locks prefer writers and are not
 *   recursive, so locking it again could deadlock behind a waiting writer);
 *   a key in a later shard is read with an ordinary wait; a key in an earlier
 *   shard, if its lock is not free at once, waits at most 250 ms and then
 *   fails with -EDEADLK: the wait that can close a lock cycle with another
 *   thread iterating @p m and writers waiting on both shards (a writer that
 *   waits longer than that for another walk's slow callback also makes it
 *   fail);
 * - safemap_get_ref() and safemap_ref_put() work (the memory of an entry
 *   whose last reference the callback drops is freed by the walk: see
 *   safemap_ref_put());
 * - a nested safemap_foreach() or safemap_snapshot() of @p m works, with the
 *   same rules (shards held are not locked again);
 * - calls on other maps work; their lock order is the caller's business, as
 *   for any two locks (writing map B from a walk of A while another thread
 *   writes A from a walk of B deadlocks).
 * @p fn must return normally (no longjmp out of the walk).
 */
SAFEMAP_API int safemap_foreach(struct safemap *m, safemap_foreach_fn fn, void *ctx);

/**
 * @brief Make @p m read-only for good, like BPF_MAP_FREEZE: every later
 *        write is refused with -EPERM and an event (reason
 *        SAFEMAP_REASON_FROZEN); reads, foreach, snapshots and metrics work.
 * @return 0 (also when already frozen); -EINVAL (NULL); -EDEADLK (called from
 *         inside this thread's own foreach of @p m before any freeze of it
 *         has completed; nothing done by this call).
 *
 * Concurrency: safe against every call but create/destroy. Takes and
 * releases each shard's write lock once, so it waits for writes in progress
 * (a safemap_clear() in progress: to its end) and for foreach walks holding
 * a shard: when it returns, no write to @p m is in progress and none will
 * succeed. That holds for every caller: a freeze concurrent with another
 * one also waits, it does not return while the first one still waits. Only
 * once a freeze has completed do later calls return 0 at once (then also
 * from inside a foreach).
 */
SAFEMAP_API int safemap_freeze(struct safemap *m);

/** @brief True once safemap_freeze() has begun on @p m (false for NULL). Takes no lock. */
SAFEMAP_API bool safemap_is_frozen(const struct safemap *m);

/* ---- snapshots (iter) ----------------------------------------------------- */

/** An immutable point-in-time copy of a map. Made by safemap_snapshot(),
 *  freed by safemap_snapshot_free(). */
struct safemap_snap;

/**
 * @brief Copy every entry of @p m, consistent across all shards: the copy is
 *        the map's content at one instant.
 * @param out receives the snapshot (NULL on failure); free it with
 *        safemap_snapshot_free().
 * @return 0; -EINVAL (NULL argument); -ENOMEM (nothing allocated is left
 *         behind, @p m is unchanged); -EDEADLK (only from inside a foreach
 *         callback of @p m, on a lock cycle: see safemap_foreach()).
 *
 * Concurrency: takes every shard's read lock in index order, copies, and
 * releases them all; writers to @p m wait for the copy (one memcpy per entry),
 * readers do not. Memory comes from the map's allocator, in one block made
 * before the locks are taken (retried if the map grew meanwhile). The
 * snapshot does not refer to @p m: it may outlive it (the allocator's context
 * must stay valid until the snapshot is freed). Callable from inside a
 * foreach callback of @p m (the shard the walk holds is not locked again).
 */
SAFEMAP_API int safemap_snapshot(struct safemap *m, struct safemap_snap **out);

/** @brief Free a snapshot. Accepts NULL. Must not race with reads of it. */
SAFEMAP_API void safemap_snapshot_free(struct safemap_snap *snap);

/** @brief Number of entries in the snapshot (0 for NULL). No lock; thread-safe. */
SAFEMAP_API size_t safemap_snapshot_count(const struct safemap_snap *snap);

/**
 * @brief Copy the value of @p key in the snapshot into @p value_out.
 * @return 0; -ENOENT (absent: @p value_out zero-filled); -EINVAL.
 *
 * Concurrency: no lock; any number of threads may read one snapshot.
 */
SAFEMAP_API int safemap_snapshot_get(const struct safemap_snap *snap, const void *key,
				     void *value_out);

/**
 * @brief Call @p fn for every entry of the snapshot, in shard order; a
 *        non-zero return stops the walk and is returned.
 * @return 0, the callback's non-zero value, or -EINVAL.
 *
 * Concurrency: no lock; the callback may call anything, including writes to
 * the map the snapshot came from.
 */
SAFEMAP_API int safemap_snapshot_foreach(const struct safemap_snap *snap,
					 safemap_foreach_fn fn, void *ctx);

/* ---- batch operations (batch) --------------------------------------------- */

/**
 * @brief Look up @p n keys in one call: element i as safemap_get() of key i.
 * @param keys @p n keys of key_size bytes back to back
 * @param values receives @p n values of value_size bytes back to back; the
 *        value of a key not found is zero-filled
 * @param n number of keys; 0 returns 0 and touches nothing
 * @param results NULL, or @p n ints: what safemap_get() would have returned
 *        for element i (0, -ENOENT, -EDEADLK)
 * @return the number of keys found (0..n); -EINVAL (NULL map, NULL
 *         @p keys / @p values with n > 0, or n > INT_MAX: nothing is done).
 *
 * The batch hashes its keys and prefetches their places in the table
 * (control bytes, then the matching slot) a chunk or two of keys before it
 * probes, so the cache misses of independent keys overlap: on a map whose
 * tables outgrow the caches (> 1 MiB) about twice as fast per key as a loop
 * of safemap_get() (bench/bench_batch: 1M entries, 64 keys a call); on a
 * smaller one it runs the single calls' code without prefetching. The
 * prefetching reads tables without a lock inside an epoch read section, as
 * the optimistic get does, and only to prefetch: it changes no result.
 * Concurrency: as safemap_get() for each element; the
 * batch as a whole is not atomic (each element sees the map at its own
 * instant, as consecutive single calls would). Counted in the metrics as
 * @p n gets.
 */
SAFEMAP_API int safemap_get_batch(struct safemap *m, const void *keys, void *values, size_t n,
				  int *results);

/**
 * @brief Store @p n entries in one call: element i as safemap_put() of key i
 *        with value i, in array order (a key given twice ends with the later
 *        value).
 * @param flags SAFEMAP_ANY, SAFEMAP_NOEXIST or SAFEMAP_EXIST, for every element
 * @param results NULL, or @p n ints: what safemap_put() would have returned
 *        for element i (0, -EEXIST, -ENOENT, -E2BIG, -EPERM, -EDEADLK, -ENOMEM)
 * @return the number of elements stored (0..n); -EINVAL (NULL map, NULL
 *         @p keys / @p values with n > 0, n > INT_MAX, unknown @p flags:
 *         nothing is done).
 *
 * Every element emits the events, updates the metrics and watermark, obeys
 * the freeze and walk guards and runs the finalizers exactly as its single
 * call would. Not atomic: a failing element does not undo the others, and
 * concurrent calls see the elements appear one by one. Prefetches the
 * entries' lines for writing first, as safemap_get_batch() does (about
 * twice the per-key rate of a loop of safemap_put() replacing values at 1M
 * entries).
 * Concurrency: as safemap_put() for each element, in array order.
 */
SAFEMAP_API int safemap_put_batch(struct safemap *m, const void *keys, const void *values,
				  size_t n, unsigned flags, int *results);

/**
 * @brief Delete @p n keys in one call: element i as safemap_delete() of key i.
 * @param results NULL, or @p n ints: what safemap_delete() would have
 *        returned for element i (0, -ENOENT, -EPERM, -EDEADLK)
 * @return the number of keys deleted (0..n); -EINVAL (NULL map, NULL
 *         @p keys with n > 0, or n > INT_MAX: nothing is done).
 *
 * Not atomic; each element exactly as its single call (events, metrics,
 * finalizers, guards). Concurrency: as safemap_delete() for each element.
 */
SAFEMAP_API int safemap_delete_batch(struct safemap *m, const void *keys, size_t n,
				     int *results);

/* ---- saving and loading (persist) ----------------------------------------- */

/** Options of safemap_snapshot_save(); NULL = all defaults. */
struct safemap_save_opts {
	size_t sz;        /**< sizeof(struct safemap_save_opts) (SAFEMAP_OPTS sets it) */
	int compression;  /**< zlib level 1..9 for the entry blocks; 0 = none (default) */
	unsigned mode;    /**< permission bits of the file (& 07777); 0 = 0600 */
};

/**
 * @brief Write @p snap to the file @p path, crash-consistently.
 *
 * The file is written as `PATH.tmp.PID.N` in the same directory, fsync'ed,
 * renamed over @p path, and the directory fsync'ed: a crash (or SIGKILL) at
 * any moment leaves either the old complete file at @p path or the new
 * complete one, never a mix. A process killed while saving leaves its
 * temporary file behind; the next save to the same @p path removes such
 * files of processes that no longer run (and never touches one of a live
 * process). The format (docs/snapshot-format.md) holds the key and value
 * sizes, the map's type names, the entries in CRC32-checked blocks and a
 * trailer with the count and a CRC of the whole file.
 *
 * @param snap a snapshot from safemap_snapshot() (it holds the map's type names)
 * @param path the file; its directory must exist and be writable
 * @param opts NULL, or options (see struct safemap_save_opts)
 * @return 0; -EINVAL (NULL argument, compression outside 0..9, bad opts, a
 *         type name over 4095 bytes); -ENOMEM; or the negative errno of the
 *         failing open/write/fsync/rename (the temporary file is removed and
 *         @p path is as it was). A detail message names the step and path.
 *
 * Concurrency: reads only @p snap (any number of threads may save one
 * snapshot at once, to different paths; two saves to one path each leave a
 * complete file, the later rename wins). Blocks on file I/O; takes no lock
 * of any map.
 */
SAFEMAP_API int safemap_snapshot_save(const struct safemap_snap *snap, const char *path,
				      const struct safemap_save_opts *opts);

/** Options of safemap_load(); NULL = all defaults. */
struct safemap_load_opts {
	size_t sz;      /**< sizeof(struct safemap_load_opts) (SAFEMAP_OPTS sets it) */
	unsigned flags; /**< SAFEMAP_ANY (default: replace present keys) or SAFEMAP_NOEXIST */
};

/**
 * @brief Load a file written by safemap_snapshot_save() into @p m, all or
 *        nothing.
 *
 * First the whole file is read and validated, before the map is touched:
 * magic, version, every length, every block's CRC32 and the whole file's,
 * the trailer's count. Then the file's key and value sizes, and its type
 * names where both the file and the map name them, must be the map's. Then
 * every entry is stored with safemap_put() (so events, metrics, watermarks,
 * the freeze and walk guards and finalizers are exactly those of single
 * puts): first as new keys (SAFEMAP_NOEXIST), then, with SAFEMAP_ANY, the
 * keys that were present get their values replaced. If a put fails, the
 * load undoes what it did: it deletes the keys it added and puts the old
 * bytes back into the values it replaced (their finalizer ran when they were
 * replaced, as with any put: load maps whose finalizer frees resources with
 * SAFEMAP_NOEXIST), and returns the error; the map then holds what it held
 * before. A freeze that begins during a load fails the load with -EPERM and
 * leaves what it stored so far (a frozen map takes no deletes); a detail
 * message says how many.
 *
 * @param m the map
 * @param path the file
 * @param opts NULL, or options (see struct safemap_load_opts)
 * @return 0 (every entry stored); -EINVAL (NULL argument, bad flags or
 *         opts, not a regular file); -EBADMSG (not a snapshot file,
 *         unknown version, truncated, trailing bytes, a CRC mismatch or a
 *         bad length: the detail names the offset; map unchanged); -EPROTO
 *         (key/value size or type names differ from the map's: a
 *         SAFEMAP_REASON_TYPE_MISMATCH event, op SAFEMAP_OP_OPEN, names both;
 *         map unchanged); -EEXIST (SAFEMAP_NOEXIST and a key is present);
 *         -E2BIG (the map's max_entries reached); -EPERM (frozen);
 *         -EDEADLK (called from inside a foreach callback of @p m);
 *         -ENOMEM; or the negative errno of open/read. Except where said
 *         above, the map is as before on every error.
 *
 * Concurrency: safe against every call on @p m but destroy; the entries
 * appear one by one (concurrent readers may see a part of the file loaded,
 * and, when the load fails, see it removed again). Concurrent writers of
 * the same keys race with the load as with any put (and with its undo).
 */
SAFEMAP_API int safemap_load(struct safemap *m, const char *path,
			     const struct safemap_load_opts *opts);

/** What safemap_snapshot_inspect() found in a snapshot file. */
struct safemap_snapshot_info {
	size_t sz;               /**< sizeof(struct safemap_snapshot_info): set it before the call */
	uint32_t version;        /**< format version (1) */
	uint32_t flags;          /**< format flags: bit 0 = zlib-compressed blocks */
	uint32_t key_size;       /**< bytes per key */
	uint32_t value_size;     /**< bytes per value */
	uint64_t count;          /**< entries the header announces */
	uint64_t blocks;         /**< entry blocks read (all CRCs held when valid) */
	uint64_t file_size;      /**< bytes */
	uint64_t bad_offset;     /**< where validation failed (invalid files), else 0 */
	char key_type[4096];     /**< the key's type name, "" when unnamed or unread */
	char value_type[4096];   /**< the value's type name, "" when unnamed or unread */
};

/**
 * @brief Read and validate a snapshot file without loading it: the header,
 *        every block's CRC (and, when compressed, its inflated length) and
 *        the trailer, as safemap_load() does.
 * @param info receives what was read (as far as it was read on -EBADMSG);
 *        its @c sz must be set by the caller (SAFEMAP_OPTS_INIT works)
 * @return 0 (valid); -EBADMSG (corrupt: the detail message and
 *         @c bad_offset say where); -EINVAL (NULL, bad @c sz, not a regular
 *         file); -ENOMEM; the negative errno of open/read (unreadable).
 *
 * Concurrency: touches no map; thread-safe.
 */
SAFEMAP_API int safemap_snapshot_inspect(const char *path, struct safemap_snapshot_info *info);

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_MAP_H */
