/* SPDX-License-Identifier: BSD-2-Clause */
/* Reclaiming memory that optimistic readers may still be reading.
 *
 * An optimistic get (table.h) reads a shard's table array, and in maps whose
 * entries live out of line their nodes, with no lock. Such memory, once
 * unlinked by a writer (an array replaced by a resize or shrink, a node
 * deleted or replaced), is *retired*: pushed on its shard's limbo stack, and
 * handed back to the allocator only after a grace period, when no reader
 * that could have seen it is still inside its read.
 *
 * Readers: each thread that uses a map has a slot in the map's thread slot
 * array (stats.h); its word `rd` is odd while the thread is inside an
 * optimistic read of that map (safemap__epoch_enter / _exit: a store to the
 * thread's own line, no shared write). A thread without a slot never reads
 * optimistically (it takes the shard's read lock).
 *
 * Grace period (safemap__epoch_sync): after the writer unlinked what it
 * retires, one process-wide memory barrier (membarrier(2),
 * MEMBARRIER_CMD_PRIVATE_EXPEDITED: every running thread of the process
 * executes a full barrier; where the kernel refuses it, readers issue a full
 * fence themselves), then for every slot whose word is odd, wait until it
 * changes. Readers never block inside their read, so the wait is short.
 * The sync runs with no lock held, never from inside an optimistic read.
 */
#ifndef SAFEMAP_LIB_MAP_EPOCH_H
#define SAFEMAP_LIB_MAP_EPOCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/internal.h"
#include "stats.h"

/* What can be retired: a table array or a node; both begin with this. */
struct safemap_retired {
	struct safemap_retired *next; /* limbo stack link */
	size_t bytes;                 /* the size allocated (the allocator hook takes it) */
};

/* true: membarrier(2) serves as the readers' fence (they need only a
 * compiler barrier); false: readers fence themselves. Set once. */
SAFEMAP_HIDDEN extern bool safemap__epoch_asym;

/* Register for membarrier(2) once per process (safemap_create calls it). */
SAFEMAP_HIDDEN void safemap__epoch_init(void);

static inline uint64_t safemap__epoch_enter(struct safemap_tslot *t)
{
	uint64_t c = __atomic_load_n(&t->rd, __ATOMIC_RELAXED);

	__atomic_store_n(&t->rd, c + 1, __ATOMIC_RELAXED);
	if (SAFEMAP_LIKELY(safemap__epoch_asym))
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return c + 2;
}

static inline void safemap__epoch_exit(struct safemap_tslot *t, uint64_t next)
{
	__atomic_store_n(&t->rd, next, __ATOMIC_RELEASE);
}

/* Wait until every optimistic read of the map whose thread slots are
 * @p slots that began before this call has ended. No lock held. */
SAFEMAP_HIDDEN void safemap__epoch_sync(struct safemap_tslot *slots);

/* Push @p r on the limbo stack @p top (lock-free; any thread). Returns the
 * bytes in limbo after the push, as counted in @p bytes. */
static inline size_t safemap__retire(struct safemap_retired **top, size_t *bytes,
				     struct safemap_retired *r)
{
	struct safemap_retired *old = __atomic_load_n(top, __ATOMIC_RELAXED);
	size_t n = r->bytes; /* once pushed, another thread may reclaim r */

	do
		r->next = old;
	while (!__atomic_compare_exchange_n(top, &old, r, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	return __atomic_add_fetch(bytes, n, __ATOMIC_RELAXED);
}

#endif /* SAFEMAP_LIB_MAP_EPOCH_H */
