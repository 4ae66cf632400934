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

/* Drop the map's reference to @p e, just unlinked from @p s (write lock
 * held): finalize and free it now if nobody else holds it, else the last
 * safemap_ref_put() will. */
static inline void safemap__entry_retire(struct safemap *m, struct safemap_shard *s,
					 struct safemap_entry *e)
{
	if (SAFEMAP_LIKELY(safemap__entry_private(e)) ||
	    __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		if (SAFEMAP_UNLIKELY(m->has_finalizer))
			safemap__finalize(m, e);
		safemap__entry_free(m, s, e);
	}
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
