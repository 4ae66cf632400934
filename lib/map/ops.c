/* SPDX-License-Identifier: BSD-2-Clause */
/* The hot path: put, get, delete, count. One hash, one shard lock each. */
#include <stdlib.h>

#include "refs.h"

/* max_entries without one shared line per insert: a shard reserves
 * SAFEMAP_PORTION entries at once from m->total (its quota, s->quota, taken
 * under its write lock) while the map is far from its limits (total plus a
 * margin of a portion per shard stays at or below m->portion_limit: the
 * watermark - 1, or max_entries). Near them every insert reserves exactly
 * one entry with a compare-and-swap, after the quotas came back (drain), so
 * the map never holds more than max_entries, refuses only when it holds
 * exactly that many, and the watermark is crossed by exactly one insert.
 * Deletes give an entry back to their shard's quota while quotas are out
 * (at most 2 portions kept), else to m->total. */
#define SAFEMAP_PORTION 32u
#define RESERVED_QUOTA ((size_t)-1)

static void drain_quotas(struct safemap *m)
{
	uint32_t i;
	size_t n = 0;

	__atomic_store_n(&m->quota_out, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i <= m->shard_mask; i++)
		if (__atomic_load_n(&m->shards[i].quota, __ATOMIC_RELAXED))
			n += __atomic_exchange_n(&m->shards[i].quota, 0, __ATOMIC_ACQ_REL);
	if (n)
		__atomic_fetch_sub(&m->total, n, __ATOMIC_RELAXED);
}

/* Reserve one entry of max_entries for an insert into @p s (its write lock
 * held): RESERVED_QUOTA (from a quota), the new total (exact), or 0 (full). */
static size_t reserve_slot(struct safemap *m, struct safemap_shard *s)
{
	size_t margin = (size_t)(m->shard_mask + 2) * SAFEMAP_PORTION, cur;
	uint32_t q = __atomic_load_n(&s->quota, __ATOMIC_RELAXED);

	while (q)
		if (__atomic_compare_exchange_n(&s->quota, &q, q - 1, true, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return RESERVED_QUOTA;
	cur = __atomic_load_n(&m->total, __ATOMIC_RELAXED);
	while (cur + margin <= m->portion_limit) {
		if (__atomic_compare_exchange_n(&m->total, &cur, cur + SAFEMAP_PORTION, true,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			if (!__atomic_load_n(&m->quota_out, __ATOMIC_RELAXED))
				__atomic_store_n(&m->quota_out, 1, __ATOMIC_SEQ_CST);
			__atomic_fetch_add(&s->quota, SAFEMAP_PORTION - 1, __ATOMIC_RELAXED);
			return RESERVED_QUOTA;
		}
	}
	for (;;) {
		if (__atomic_load_n(&m->quota_out, __ATOMIC_SEQ_CST))
			drain_quotas(m);
		cur = __atomic_load_n(&m->total, __ATOMIC_RELAXED);
		do {
			if (cur >= m->max_entries)
				break;
		} while (!__atomic_compare_exchange_n(&m->total, &cur, cur + 1, true,
						      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
		if (cur < m->max_entries)
			return cur + 1;
		if (!__atomic_load_n(&m->quota_out, __ATOMIC_SEQ_CST))
			return 0;
	}
}

static void release_slot(struct safemap *m, struct safemap_shard *s)
{
	if (!m->max_entries)
		return;
	if (__atomic_load_n(&m->quota_out, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&s->quota, __ATOMIC_RELAXED) < 2 * SAFEMAP_PORTION)
		__atomic_fetch_add(&s->quota, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_sub(&m->total, 1, __ATOMIC_RELAXED);
}

/* Insert a new entry for an absent key (shard write-locked), for a map of
 * shape @p sh. Inlined into put; rmw.c gets it through safemap__insert(). */
static SAFEMAP_INLINE int insert(struct safemap *m, struct safemap_shape sh,
				 struct safemap_shard *s, const void *key, const void *value,
				 uint64_t h)
{
	size_t total = 0;

	if (m->max_entries && !(total = reserve_slot(m, s)))
		return -E2BIG;
	if (SAFEMAP_UNLIKELY(safemap__tbl_insert_as(m, sh, s, key, value, h))) {
		release_slot(m, s);
		return -ENOMEM;
	}
	/* total is 0 in unbounded maps: one test of a register */
	return SAFEMAP_UNLIKELY(total) && total == m->watermark ? SAFEMAP__CROSSED : 0;
}

/* Erase the entry at @p pos (shard write-locked): its value leaves the map. */
static SAFEMAP_INLINE void unlink_entry(struct safemap *m, struct safemap_shape sh,
					struct safemap_shard *s, struct safemap_pos *pos,
					uint64_t h)
{
	safemap__tbl_erase_as(m, sh, s, pos, h);
	release_slot(m, s);
}

int safemap__insert(struct safemap *m, struct safemap_shard *s, const void *key,
		    const void *value, uint64_t h)
{
	return insert(m, safemap__shape(m), s, key, value, h);
}

void safemap__unlink(struct safemap *m, struct safemap_shard *s, struct safemap_pos *pos,
		     uint64_t h)
{
	unlink_entry(m, safemap__shape(m), s, pos, h);
}

/* A conditional write that its key's presence refuses (a NOEXIST put of a
 * present key: @p present; an EXIST put or a delete of an absent one)
 * changes nothing, so an optimistic read that sees the refusing state
 * settles it, counted as @p op, without the shard's write lock: that read
 * is the operation's linearization point. Returns the read's result (1
 * present, 0 absent: @p seen is the version it holds for; -1 no stable
 * read); == @p present: refused (counted). */
static SAFEMAP_INLINE int probe_unlocked(struct safemap *m, struct safemap_shape sh,
					  struct safemap_shard *s, const void *key, uint64_t h,
					  enum safemap_op op, bool present, uint64_t *seen,
					  struct safemap_tslot *t, struct safemap_pos *hit, bool prefetch)
{
	int r;

	if (!SAFEMAP_OPTIMISTIC || SAFEMAP_UNLIKELY(!t))
		return -1;
	r = safemap__tbl_read_optimistic(m, sh, s, key, h, NULL, t, seen, prefetch, hit);
	if (r == (int)present)
		safemap__stat_inc_excl(&t->ops[op]);
	return r;
}

/* A group-written delete emptied its group (gwrite.h): should the shard
 * shrink? Asked under its write lock, with the exact count. */
static __attribute__((noinline)) void group_emptied(struct safemap *m, struct safemap_shard *s)
{
	safemap__shard_wrlock(s, SAFEMAP_OP_NONE);
	if (s->tbl && !safemap__frozen(m))
		safemap__tbl_shrink(m, s);
	safemap__shard_unlock(s);
	safemap__after_unlock(m, s);
}

_Static_assert(SAFEMAP_ANY == (int)SAFEMAP_GW_ANY && SAFEMAP_NOEXIST == (int)SAFEMAP_GW_NOEXIST &&
		       SAFEMAP_EXIST == (int)SAFEMAP_GW_EXIST,
	       "put flags are group write kinds");

/* Add @p d to a counter of the calling thread's row (only it writes it). */
static SAFEMAP_INLINE void row_add(int64_t *c, int64_t d)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + d, __ATOMIC_RELAXED);
}

/* @p what for @p key by groups, without the shard's lock
 * (gwrite.h), counted as @p op in thread slot @p t: as
 * safemap__tbl_group_write_as(), SAFEMAP_GW_NO when the map, the thread
 * or the shard's state does not allow it. */
static SAFEMAP_INLINE int group_write(struct safemap *m, struct safemap_shape sh,
				      struct safemap_shard *s, struct safemap_tslot *t,
				      const void *key, const void *value, uint64_t h,
				      enum safemap_gw_op what, enum safemap_op op, bool prefetch)
{
	struct safemap_gw_out out = { 0, false, false };
	int64_t *cnt;
	uint64_t ep;
	int r;

	if (!SAFEMAP_GROUP_WRITES || sh.nodes || !s->fast || SAFEMAP_UNLIKELY(!t))
		return SAFEMAP_GW_NO;
	cnt = t->cnt;
	if (SAFEMAP_UNLIKELY(!cnt) && !(cnt = safemap__gw_row(m, t)))
		return SAFEMAP_GW_NO;
	cnt += 2 * (size_t)s->idx; /* the shard's two counters (gwrite.h) */
	ep = safemap__gw_announce(s, t);
	r = safemap__tbl_group_write_as(m, sh, s, key, value, h, what, cnt, &out, prefetch);
	if (SAFEMAP_LIKELY(r != SAFEMAP_GW_NO)) {
		safemap__stat_inc_excl(&t->ops[op]);
		if (out.delta)
			row_add(&cnt[0], out.delta);
		if (out.dirty)
			row_add(&cnt[1], 1);
	}
	safemap__gw_exit(t, ep);
	if (SAFEMAP_UNLIKELY(out.emptied))
		group_emptied(m, s);
	return r;
}

/* The common write of an 8/8 map with group writes (m->fast88), in one
 * pass: safemap__tbl_write88() (table_impl.h) in the thread's epoch
 * section, then the counts. SAFEMAP_GW_NO: the general path must do it
 * (put_as, delete_as: they hash again; the map's guard set, no thread
 * slot or counter row yet, or what safemap__tbl_write88() leaves to it). */
static SAFEMAP_INLINE int write88(struct safemap *m, const void *key, const void *value,
				  enum safemap_gw_op what, enum safemap_op op)
{
	struct safemap_gw_out out = { 0, false, false };
	int id = safemap__tslot_id; /* (safemap__tslot_assigned: no NULL to test) */
	struct safemap_tslot *t;
	struct safemap_shard *s;
	int64_t *row;
	uint64_t h, ep;
	int r;

	if (!SAFEMAP_OPTIMISTIC || SAFEMAP_UNLIKELY(id <= 0))
		return SAFEMAP_GW_NO;
	t = &m->tslots[id - 1];
	if (SAFEMAP_UNLIKELY(!(row = t->cnt) || __atomic_load_n(&m->guard, __ATOMIC_RELAXED)))
		return SAFEMAP_GW_NO;
	h = safemap__key_hash_as(m, SAFEMAP_SHAPE_88, key);
	s = safemap__shard_of(m, h);
	row += 2 * (size_t)s->idx;
	ep = safemap__epoch_enter(t);
	r = safemap__tbl_write88(m, s, t, row, key, value, h, what, &out);
	if (SAFEMAP_UNLIKELY(r == SAFEMAP_GW_NO)) {
		safemap__epoch_exit(t, ep);
		return r;
	}
	safemap__stat_inc_excl(&t->ops[op]);
	if (!r) {
		/* counted before t->fw goes: a lock holder's fold waits for it */
		if (out.delta)
			row_add(&row[0], out.delta);
		safemap__gw_exit(t, ep);
	} else {
		safemap__epoch_exit(t, ep);
	}
	if (SAFEMAP_UNLIKELY(out.emptied))
		group_emptied(m, s);
	return r;
}

/* write88 refused (@p r < 0: errno, a call, out of its path) or wrote
 * @p op on @p key in a map that emits events */
static __attribute__((noinline)) int write88_done(struct safemap *m, enum safemap_op op,
						  const void *key, int r)
{
	if (r < 0)
		return safemap__error_quick(r);
	safemap__after_write(m, op, key, 0);
	return 0;
}

/* A write's first step in a map with group writes: ask for its home
 * group's lines for writing (table_impl.h). Returns what is left of
 * @p prefetch for the probes that follow (false once asked). */
static SAFEMAP_INLINE bool prefetch_home(struct safemap_shape sh, const struct safemap_shard *s,
					 uint64_t h, bool prefetch)
{
	if (!s->fast || !prefetch)
		return prefetch;
	safemap__tbl_prefetch_home_w(sh, s, h);
	return false;
}

/* Should a conditional write of @p s read before it writes (probe_unlocked)?
 * A refusal so settled leaves the lines shared, where a group writer's
 * refusal (gwrite.h) takes its group's line from the other cores: that
 * matters in a table small enough to sit in several cores' caches. In a
 * large one (from 256 groups, 64 KiB for 8/8 entries, a shard) a line is
 * rarely in another cache, and the read before the write is only
 * instructions. */
#define PROBE_MAX_GROUPS 256u
static SAFEMAP_INLINE bool probe_first(const struct safemap_shard *s)
{
	return !s->fast || __atomic_load_n(&s->ngroups, __ATOMIC_RELAXED) < PROBE_MAX_GROUPS;
}

/* A put that did not simply succeed: events and the reports of refusals
 * (no lock held). */
static __attribute__((noinline)) int put_done(struct safemap *m, struct safemap_shard *s,
					      const void *key, bool found, int err)
{
	if (err >= 0) {
		safemap__after_write(m, SAFEMAP_OP_PUT, key, err);
		return 0;
	}
	if (err == -E2BIG)
		return safemap__refuse_full(m, s, SAFEMAP_OP_PUT, key);
	if (err == -ENOMEM)
		return safemap__errorf(err, "map '%s': out of memory on %s (map unchanged)", m->name,
				       found ? "replace of a referenced value" : "insert");
	return safemap__error(err);
}

/* safemap_put for maps of shape @p sh (table_impl.h); @p prefetch: its
 * probes ask for the key's whole group (false: the caller prefetched its
 * lines, batch.c) */
static SAFEMAP_INLINE int put_as(struct safemap *m, struct safemap_shape sh, const void *key,
				 const void *value, unsigned flags, bool prefetch)
{
	struct safemap_shard *s;
	struct safemap_pos pos;
	struct safemap_tslot *t;
	uint64_t h, seen = 0;
	bool found, absent = false;
	int err;

	err = safemap__write_guard(m, SAFEMAP_OP_PUT, key);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	h = safemap__key_hash_as(m, sh, key);
	s = safemap__shard_of(m, h);
	prefetch = prefetch_home(sh, s, h, prefetch);
	t = safemap__tslot(m->tslots); /* one look-up: the probe's epoch, the counter */
	if (flags != SAFEMAP_ANY && probe_first(s)) {
		int r = probe_unlocked(m, sh, s, key, h, SAFEMAP_OP_PUT, flags == SAFEMAP_NOEXIST,
				       &seen, t, NULL, prefetch);

		if (r == (flags == SAFEMAP_NOEXIST))
			return safemap__error_quick(flags == SAFEMAP_NOEXIST ? -EEXIST : -ENOENT);
		absent = r == 0; /* a NOEXIST put of a key absent at version seen */
	}
	err = group_write(m, sh, s, t, key, value, h, (enum safemap_gw_op)flags, SAFEMAP_OP_PUT,
			  prefetch);
	if (SAFEMAP_LIKELY(err != SAFEMAP_GW_NO)) {
		found = err == -EEXIST; /* (put_done's message) */
		goto done;
	}
	err = safemap__write_lock_in(m, s, SAFEMAP_OP_PUT, key, t);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	/* no writer since the read that found the key absent: it still is
	 * (group writers do not move the shard's version) */
	found = !(absent && !s->fast && safemap__lock_unchanged(&s->lock, seen)) &&
		safemap__tbl_find_pf_as(m, sh, s, key, h, &pos, prefetch);
	if (found) {
		if (flags == SAFEMAP_NOEXIST)
			err = -EEXIST;
		else
			err = safemap__tbl_set_as(m, sh, s, &pos, h, value);
	} else if (flags == SAFEMAP_EXIST) {
		err = -ENOENT;
	} else {
		err = insert(m, sh, s, key, value, h);
	}
	safemap__shard_unlock(s);
	safemap__after_unlock(m, s);
done:
	if (SAFEMAP_LIKELY(!(err | m->notify)))
		return 0;
	/* the expected refusals: no event, no message to format */
	if (err == -EEXIST || err == -ENOENT)
		return safemap__error_quick(err);
	return put_done(m, s, key, found, err);
}

static __attribute__((noinline)) int put_any(struct safemap *m, const void *key,
					     const void *value, unsigned flags, bool prefetch)
{
	return put_as(m, safemap__shape(m), key, value, flags, prefetch);
}

static SAFEMAP_INLINE int put_checked(struct safemap *m, const void *key, const void *value,
				      unsigned flags, bool prefetch)
{
	if (safemap__is_88(m))
		return put_as(m, SAFEMAP_SHAPE_88, key, value, flags, prefetch);
	return put_any(m, key, value, flags, prefetch);
}

/* out of line: safemap_put's own path keeps few registers (write88) */
static __attribute__((noinline)) int put_general(struct safemap *m, const void *key,
						 const void *value, unsigned flags)
{
	return put_checked(m, key, value, flags, true);
}

int safemap_put(struct safemap *m, const void *key, const void *value, unsigned flags)
{
	int r;

	if (SAFEMAP_UNLIKELY(!m || !key || !value || flags > SAFEMAP_EXIST))
		return safemap__errorf(-EINVAL, "safemap_put: %s",
				       flags > SAFEMAP_EXIST ? "unknown flags" : "NULL argument");
	if (SAFEMAP_LIKELY(m->fast88)) {
		/* one copy a flag: each decides on constants */
		if (flags == SAFEMAP_NOEXIST)
			r = write88(m, key, value, SAFEMAP_GW_NOEXIST, SAFEMAP_OP_PUT);
		else if (flags == SAFEMAP_EXIST)
			r = write88(m, key, value, SAFEMAP_GW_EXIST, SAFEMAP_OP_PUT);
		else
			r = write88(m, key, value, SAFEMAP_GW_ANY, SAFEMAP_OP_PUT);
		if (SAFEMAP_LIKELY(!(r | m->notify)))
			return 0;
		if (r != SAFEMAP_GW_NO)
			return write88_done(m, SAFEMAP_OP_PUT, key, r);
	}
	return put_general(m, key, value, flags);
}

int safemap__put_checked(struct safemap *m, const void *key, const void *value, unsigned flags)
{
	return put_checked(m, key, value, flags, true);
}

int safemap__put_prefetched(struct safemap *m, const void *key, const void *value,
			    unsigned flags)
{
	return put_checked(m, key, value, flags, false);
}

/* A get whose first optimistic read failed (a writer was in the shard), or
 * that cannot read optimistically (a thread without a slot, a build
 * without optimistic reads): a few more optimistic tries, then the shard's
 * read lock. Out of line, so that the fast path stays short. */
static __attribute__((noinline)) int get_slow(struct safemap *m, struct safemap_shard *s,
					      const void *key, uint64_t h, void *value_out,
					      struct safemap_tslot *t)
{
	struct safemap_pos pos;
	int found = -1, locked, tries;

	for (tries = 1; SAFEMAP_OPTIMISTIC && t && found < 0 && tries < SAFEMAP_OPTIMISTIC_TRIES;
	     tries++) {
		safemap__cpu_relax();
		found = safemap__tbl_get_optimistic(m, safemap__shape(m), s, key, h, value_out, t);
	}
	if (found >= 0) {
		safemap__stat_inc_excl(&t->ops[SAFEMAP_OP_GET]);
	} else {
		locked = safemap__read_begin(m, s, SAFEMAP_OP_GET); /* counts the get */
		if (SAFEMAP_UNLIKELY(locked < 0)) {
			memset(value_out, 0, m->value_size);
			return locked;
		}
		found = safemap__tbl_find(m, s, key, h, &pos);
		if (found)
			safemap__copy(value_out, safemap__tbl_value(m, &pos), m->value_size);
		if (SAFEMAP_LIKELY(locked))
			safemap__shard_unlock(s);
	}
	if (found)
		return 0;
	memset(value_out, 0, m->value_size);
	return safemap__error(-ENOENT);
}

/* A get's miss (its value zeroed by the caller): -ENOENT. Out of line and
 * called last (a tail call): errno's address is a call, which get_as()
 * then does not make itself (4-6 fewer instructions a get, bench/RESULTS.md
 * "tenth round"). */
static __attribute__((noinline)) int get_missed(void)
{
	return safemap__error_quick(-ENOENT);
}

/* A get by a thread that has no slot yet (its first call to the library)
 * or can have none: the assignment (a call) off get_as()'s path; then
 * get_slow()'s optimistic tries, or the read lock without a slot. */
static __attribute__((noinline)) int get_unslotted(struct safemap *m, struct safemap_shard *s,
						   const void *key, uint64_t h, void *value_out)
{
	return get_slow(m, s, key, h, value_out, safemap__tslot(m->tslots));
}

/* safemap_get for maps of shape @p sh (table_impl.h) */
static SAFEMAP_INLINE int get_as(struct safemap *m, struct safemap_shape sh, const void *key,
				 void *value_out)
{
	uint64_t h = safemap__key_hash_as(m, sh, key);
	struct safemap_shard *s = safemap__shard_of(m, h);
	/* the thread's slot: its get counter (a line no other thread writes)
	 * and its epoch; a thread without one reads under the lock */
	struct safemap_tslot *t = safemap__tslot_assigned(m->tslots);
	int found;

	if (SAFEMAP_UNLIKELY(!t))
		return get_unslotted(m, s, key, h, value_out);
	if (!SAFEMAP_OPTIMISTIC)
		return get_slow(m, s, key, h, value_out, NULL);
	found = safemap__tbl_get_optimistic(m, sh, s, key, h, value_out, t);
	if (SAFEMAP_UNLIKELY(found < 0))
		return get_slow(m, s, key, h, value_out, t);
	safemap__stat_inc_excl(&t->ops[SAFEMAP_OP_GET]);
	if (SAFEMAP_LIKELY(found))
		return 0;
	memset(value_out, 0, sh.vs);
	return get_missed();
}

/* An 8/8 map's get that its home group did not settle: the whole path */
static __attribute__((noinline)) int get_general88(struct safemap *m, const void *key,
						   void *value_out)
{
	return get_as(m, SAFEMAP_SHAPE_88, key, value_out);
}

/* safemap_get of an 8/8 map: its key's home group (safemap__tbl_get88),
 * everything else out of line */
static SAFEMAP_INLINE int get88(struct safemap *m, const void *key, void *value_out)
{
	int id = safemap__tslot_id, found;
	struct safemap_tslot *t;
	uint64_t h, ep;

	if (!SAFEMAP_OPTIMISTIC || SAFEMAP_UNLIKELY(id <= 0))
		return get_general88(m, key, value_out);
	t = &m->tslots[id - 1];
	h = safemap__key_hash_as(m, SAFEMAP_SHAPE_88, key);
	ep = safemap__epoch_enter(t);
	found = safemap__tbl_get88(safemap__shard_of(m, h), key, h, value_out);
	safemap__epoch_exit(t, ep);
	if (SAFEMAP_UNLIKELY(found < 0))
		return get_general88(m, key, value_out);
	safemap__stat_inc_excl(&t->ops[SAFEMAP_OP_GET]);
	if (SAFEMAP_LIKELY(found))
		return 0;
	memset(value_out, 0, 8);
	return get_missed();
}

/* maps of any other shape: out of line, so the 8/8 path keeps few registers */
static __attribute__((noinline)) int get_any(struct safemap *m, const void *key, void *value_out)
{
	return get_as(m, safemap__shape(m), key, value_out);
}

int safemap_get(struct safemap *m, const void *key, void *value_out)
{
	if (SAFEMAP_UNLIKELY(!m) || SAFEMAP_UNLIKELY(!key) || SAFEMAP_UNLIKELY(!value_out))
		return safemap__errorf(-EINVAL, "safemap_get: NULL argument");
	if (safemap__is_88(m))
		return get88(m, key, value_out);
	return get_any(m, key, value_out);
}

static SAFEMAP_INLINE int delete_as(struct safemap *m, struct safemap_shape sh, const void *key,
				    bool prefetch)
{
	struct safemap_shard *s;
	struct safemap_pos pos;
	struct safemap_tslot *t;
	uint64_t h, seen = 0;
	bool found;
	int err, r;

	err = safemap__write_guard(m, SAFEMAP_OP_DELETE, key);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	h = safemap__key_hash_as(m, sh, key);
	s = safemap__shard_of(m, h);
	prefetch = prefetch_home(sh, s, h, prefetch);
	t = safemap__tslot(m->tslots);
	r = probe_first(s) ? probe_unlocked(m, sh, s, key, h, SAFEMAP_OP_DELETE, false, &seen, t,
					    &pos, prefetch)
			   : -1;
	if (r == 0)
		return safemap__error_quick(-ENOENT);
	err = group_write(m, sh, s, t, key, NULL, h, SAFEMAP_GW_DELETE, SAFEMAP_OP_DELETE,
			  prefetch);
	if (SAFEMAP_LIKELY(err != SAFEMAP_GW_NO)) {
		found = !err;
		goto done;
	}
	err = safemap__write_lock_in(m, s, SAFEMAP_OP_DELETE, key, t);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	/* no writer since the read that found the key at pos: it still is there
	 * (group writers do not move the shard's version) */
	found = (r == 1 && !s->fast && safemap__lock_unchanged(&s->lock, seen)) ||
		safemap__tbl_find_pf_as(m, sh, s, key, h, &pos, prefetch);
	if (found)
		unlink_entry(m, sh, s, &pos, h); /* finalized now unless referenced */
	safemap__shard_unlock(s);
	safemap__after_unlock(m, s);
done:
	if (!found)
		return safemap__error_quick(-ENOENT);
	if (SAFEMAP_UNLIKELY(m->notify))
		safemap__after_write(m, SAFEMAP_OP_DELETE, key, 0);
	return 0;
}

static __attribute__((noinline)) int delete_any(struct safemap *m, const void *key, bool prefetch)
{
	return delete_as(m, safemap__shape(m), key, prefetch);
}

static SAFEMAP_INLINE int delete_key(struct safemap *m, const void *key, bool prefetch)
{
	if (safemap__is_88(m))
		return delete_as(m, SAFEMAP_SHAPE_88, key, prefetch);
	return delete_any(m, key, prefetch);
}

static SAFEMAP_INLINE int delete_checked(struct safemap *m, const void *key, bool prefetch)
{
	uint64_t t0;
	int err;

	if (SAFEMAP_LIKELY(!m->delete_hist))
		return delete_key(m, key, prefetch);
	t0 = safemap__now_ns(); /* the optional delete-latency histogram */
	err = delete_key(m, key, prefetch);
	safemap__hist_record(m->delete_hist, safemap__key_hash(m, key),
			     safemap__now_ns() - t0);
	return err;
}

static __attribute__((noinline)) int delete_general(struct safemap *m, const void *key)
{
	return delete_checked(m, key, true);
}

int safemap_delete(struct safemap *m, const void *key)
{
	int r;

	if (SAFEMAP_UNLIKELY(!m) || SAFEMAP_UNLIKELY(!key))
		return safemap__errorf(-EINVAL, "safemap_delete: NULL argument");
	if (SAFEMAP_LIKELY(m->fast88)) {
		r = write88(m, key, NULL, SAFEMAP_GW_DELETE, SAFEMAP_OP_DELETE);
		if (SAFEMAP_LIKELY(!(r | m->notify)))
			return 0;
		if (r != SAFEMAP_GW_NO)
			return write88_done(m, SAFEMAP_OP_DELETE, key, r);
	}
	return delete_general(m, key);
}

int safemap__delete_prefetched(struct safemap *m, const void *key)
{
	return delete_checked(m, key, false);
}

size_t safemap_count(struct safemap *m)
{
	size_t n = 0;
	uint32_t i;

	if (!m)
		return 0;
	for (i = 0; i <= m->shard_mask; i++)
		n += safemap__gw_count(&m->shards[i]);
	return n;
}
