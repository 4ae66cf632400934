/* SPDX-License-Identifier: BSD-2-Clause */
/* What a write does besides the table: the insert with max_entries and the
 * watermark, and the events a successful write emits. Used by the hot path
 * (ops.c) and by rmw.c. Entry lifetime (references, finalizers) is the
 * table's (table.h). */
#ifndef SAFEMAP_LIB_MAP_REFS_H
#define SAFEMAP_LIB_MAP_REFS_H

#include "map_internal.h"

/* Insert a new entry for an absent key (ops.c; shard write-locked).
 * Returns 0, SAFEMAP__CROSSED (inserted, and the map's total reached the
 * high watermark), -E2BIG or -ENOMEM (map unchanged). */
#define SAFEMAP__CROSSED 1
SAFEMAP_HIDDEN int safemap__insert(struct safemap *m, struct safemap_shard *s, const void *key,
				   const void *value, uint64_t h);

/* Erase the entry at @p pos from @p s (write lock held): its value leaves
 * the map. */
SAFEMAP_HIDDEN void safemap__unlink(struct safemap *m, struct safemap_shard *s,
				    struct safemap_pos *pos, uint64_t h);

/* After a shard's write lock is released: hand back retired memory if some
 * waits (epoch.h). */
static inline void safemap__after_unlock(struct safemap *m, struct safemap_shard *s)
{
	if (SAFEMAP_UNLIKELY(__atomic_load_n(&s->reclaim, __ATOMIC_RELAXED)))
		safemap__tbl_reclaim(m, s);
}

/* After a successful write, with no lock held: the OK event of an auditable
 * map, and the WATERMARK event if @p crossed. */
SAFEMAP_HIDDEN void safemap__after_write(struct safemap *m, enum safemap_op op, const void *key,
					 int crossed);
/* clear's OK event (auditable maps), @p removed entries; no lock held. */
SAFEMAP_HIDDEN void safemap__after_clear(struct safemap *m, uint64_t removed);

#endif /* SAFEMAP_LIB_MAP_REFS_H */
