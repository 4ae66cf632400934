/* SPDX-License-Identifier: BSD-2-Clause */
/* Entry lifetime: references, finalizers, replacing a value that may be
 * referenced, and the events a successful write emits. Used by the hot path
 * (ops.c) and by rmw.c / refs.c.
 *
 * The rule (struct safemap_entry.refs): the map holds 1 reference while the
 * entry is in its shard's table, each struct safemap_ref holds 1. References
 * are only taken under the shard lock on a linked entry, so under the shard
 * WRITE lock the count can only go down: a writer that reads 1 owns the
 * entry. Whoever takes the count to 0 (the writer unlinking it, or the last
 * safemap_ref_put()) finalizes the value and frees the entry, the free under
 * the shard write lock. */
#ifndef SAFEMAP_LIB_MAP_REFS_H
#define SAFEMAP_LIB_MAP_REFS_H

#include "map_internal.h"

/* No reference but the map's: nobody else can see the entry's bytes (shard
 * write lock held). Acquire pairs with the release of safemap_ref_put(), so
 * a reader's last access happens before we overwrite or free. */
static inline bool safemap__entry_private(struct safemap_entry *e)
{
	return __atomic_load_n(&e->refs, __ATOMIC_ACQUIRE) == 1;
}

static inline void safemap__finalize(struct safemap *m, struct safemap_entry *e)
{
	m->finalize(e->data, safemap__entry_value(m, e), m->finalize_ctx);
}

/* ---- retired entries (contract, issue 13 items 1 and 4)
 *
 * An entry unlinked from the table while references to it are held is
 * "retired": it sits on its shard's list s->retired (doubly linked through
 * hh.prev/hh.next, which the table no longer uses; hh.hh_next is left alone,
 * optimistic readers may still follow it) until its last safemap_ref_put()
 * removes and frees it, under the shard write lock. safemap_destroy() walks
 * the lists: every entry still there is a reference never dropped, reported
 * and finalized once.
 *
 * A last ref_put from inside a foreach callback of the map must not take a
 * write lock (for the shard the walk read-locks it would wait for itself;
 * for another one it could close a lock cycle): it finalizes the value,
 * marks the entry SAFEMAP__ENTRY_DEFERRED (in e->spare, 0 on the list
 * otherwise) and leaves it on the list; the walk frees marked entries under
 * the write lock once it has left the shard or ended (iter.c,
 * safemap__retired_drain()). */
#define SAFEMAP__ENTRY_DEFERRED 1u

static inline void safemap__retired_add(struct safemap_shard *s, struct safemap_entry *e)
{
	e->hh.prev = NULL;
	e->hh.next = s->retired;
	if (s->retired)
		s->retired->hh.prev = e;
	s->retired = e;
}

static inline void safemap__retired_del(struct safemap_shard *s, struct safemap_entry *e)
{
	struct safemap_entry *p = e->hh.prev, *n = e->hh.next;

	if (p)
		p->hh.next = n;
	else
		s->retired = n;
	if (n)
		n->hh.prev = p;
}

/* Free every retired entry of @p s marked SAFEMAP__ENTRY_DEFERRED (already
 * finalized, unreferenced). Takes and releases @p s's write lock: the caller
 * holds no lock of the map (refs.c). */
SAFEMAP_HIDDEN void safemap__retired_drain(struct safemap *m, struct safemap_shard *s);

/* For a last safemap_ref_put() of an entry of shard @p idx: true if this
 * thread runs a foreach of @p m (the call comes from its callback): the
 * entry is left to the walk, which frees it when it leaves the shard (it
 * holds that one's read lock) or at its end, once it holds no shard of the
 * map (any other shard: a wait for its write lock while holding a read lock
 * could close a cycle with another walking thread). iter.c. */
SAFEMAP_HIDDEN bool safemap__iter_defer_free(struct safemap *m, uint32_t idx);

/* Drop the map's reference to @p e, just unlinked from @p s (write lock
 * held): finalize and free it now if nobody else holds it, else retire it
 * (the last safemap_ref_put() will, or destroy). */
static inline void safemap__entry_retire(struct safemap *m, struct safemap_shard *s,
					 struct safemap_entry *e)
{
	if (SAFEMAP_UNLIKELY(!safemap__entry_private(e))) {
		/* Clear the deferral mark before the decrement that lets a
		 * last ref_put happen: one from a walk that does not hold this
		 * shard marks the entry without our lock, maybe before we link
		 * it below (the drain, under the lock, finds it on the list
		 * either way). Any other last ref_put waits for our lock. */
		__atomic_store_n(&e->spare, 0, __ATOMIC_RELAXED);
		if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) != 0) {
			safemap__retired_add(s, e);
			return;
		}
	}
	if (SAFEMAP_UNLIKELY(m->has_finalizer))
		safemap__finalize(m, e);
	safemap__entry_free(m, s, e);
}

/* The slow replace: a finalizer to run or references to the old value.
 * Returns 0 or -ENOMEM (map unchanged). */
SAFEMAP_HIDDEN int safemap__entry_replace(struct safemap *m, struct safemap_shard *s,
					  struct safemap_entry *e, const void *value);

/* Replace the value of linked entry @p e (write lock held): an in-place
 * copy when nobody references it and there is no finalizer. Returns 0 or
 * -ENOMEM (map unchanged). */
static inline int safemap__entry_set(struct safemap *m, struct safemap_shard *s,
				     struct safemap_entry *e, const void *value)
{
	if (SAFEMAP_LIKELY(!m->has_finalizer && safemap__entry_private(e))) {
		safemap__copy(safemap__entry_value(m, e), value, m->value_size);
		return 0;
	}
	return safemap__entry_replace(m, s, e, value);
}

/* Insert a new entry for an absent key (ops.c; shard write-locked).
 * Returns 0, SAFEMAP__CROSSED (inserted, and the map's total reached the
 * high watermark), -E2BIG or -ENOMEM (map unchanged). */
#define SAFEMAP__CROSSED 1
SAFEMAP_HIDDEN int safemap__insert(struct safemap *m, struct safemap_shard *s, const void *key,
				   const void *value, uint64_t h);

/* Unlink @p e from @p s and drop the map's reference (write lock held). */
SAFEMAP_HIDDEN void safemap__unlink(struct safemap *m, struct safemap_shard *s,
				    struct safemap_entry *e);

/* After a successful write, with no lock held: the OK event of an auditable
 * map, and the WATERMARK event if @p crossed. */
SAFEMAP_HIDDEN void safemap__after_write(struct safemap *m, enum safemap_op op, const void *key,
					 int crossed);
/* clear's OK event (auditable maps), @p removed entries; no lock held. */
SAFEMAP_HIDDEN void safemap__after_clear(struct safemap *m, uint64_t removed);

#endif /* SAFEMAP_LIB_MAP_REFS_H */
