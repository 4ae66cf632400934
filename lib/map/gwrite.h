/* SPDX-License-Identifier: BSD-2-Clause */
/* Group writes: puts and deletes that take no shard lock.
 *
 * A shard's lock word is one cache line that every write used to take: two
 * threads writing different keys of a small table passed it between their
 * cores on every write (27% of a 2-thread put's samples sat on its
 * compare-and-swap). The common write instead locks the groups it writes
 * (the group word, table_impl.h), lines the write touches anyway, and
 * counts in its thread's own lines:
 *
 *   1. t->fw = s (its thread slot, stats.h) and an epoch section
 *      (epoch.h), two stores to the thread's own line and no fence;
 *   2. read the shard's table and take the key's home group (where its
 *      probe starts) with a compare-and-swap: that is the full fence
 *      between 1 and the loads of 2 (x86; elsewhere an explicit one). If
 *      the shard's lock word then shows any holder or waiter (W, WW,
 *      readers: lock.h), the map's guard is set (freeze, foreach) or the
 *      shard has another table now, let the group go unchanged, undo 1 and
 *      take the shard's write lock instead;
 *   3. do the write (safemap__tbl_group_write_as: the rest of the probe
 *      path read validated, the written group taken at the version read);
 *      each group written gets a new version, which optimistic readers
 *      validate;
 *   4. add the entry count's change to the thread's own counters of the
 *      shard (t->cnt), then t->fw = NULL (release) and leave the section.
 *
 * What it cannot do goes to the shard's write lock as before: a referenced
 * entry, no table yet, a probe path longer than SAFEMAP_GW_PATH groups, a
 * group another writer holds (group writers never wait, so they cannot
 * deadlock), an insert beyond the thread's budget. Whoever takes a shard's
 * lock, for writing or reading (foreach, snapshot, references, the locked
 * get), then waits for every slot with t->fw == s (safemap__gw_drain):
 * with the fences of 2 and of the lock's compare-and-swap, either the group
 * writer saw the lock in 2 or the lock holder sees its t->fw, so a lock
 * holder has the shard to itself as before, and group writers only ever
 * run against other group writers and optimistic readers. A writer whose
 * announcement the holder missed, and which found the lock free in 2
 * only because the holder was done, checks that the table it holds a
 * group of is still the shard's: if a resize replaced it meanwhile, the
 * old one is still allocated (the epoch section of 1 holds its grace
 * period), and the writer lets it go. A backing-off writer changed no
 * byte but its home group's word, and lock holders never write group
 * words (only group writers do), so its restore of the word loses nothing.
 *
 * Counts. A shard's entries are s->count plus every thread's counter of it
 * (safemap__gw_count). A thread may add entries by groups while its counter
 * stays below its budget, s->gw_budget: the room the shard had at its last
 * fold (s->growth_left) shared out among the threads that hold a slot; the
 * insert that finds its budget spent takes the lock, which folds every
 * thread's counter into s->count (safemap__gw_fold: the exact count),
 * decides growth as before and hands out new budgets. So the table grows
 * as it did under the lock alone, and all the threads together never add
 * more than the room there was. Erasures from groups whose overflow bit is
 * set (they keep probes long; table.h) are counted the same way, against
 * s->dirty_left, for the clean rehash. A group writer never shrinks the
 * table; a delete that empties its group asks the shard (write-locked)
 * whether it should.
 *
 * Reads first. A put with a condition and a delete read the key
 * optimistically before writing (ops.c: probe_unlocked), so that a refusal
 * writes nothing and leaves the lines shared, where a group writer's
 * refusal would take its home group's line from the other cores: in shards
 * small enough to sit in several caches. Large ones skip that read (ops.c:
 * probe_first). 8/8 maps do both in one pass (table_impl.h:
 * safemap__tbl_write88): the home group read as a reader reads it settles
 * a refusal, and a write takes the group at the version that read saw, so
 * the read is the write's probe too.
 *
 * Maps that use it (s->fast): inline entries, no finalizer, no
 * max_entries, the default allocator (a counter row is allocated for a
 * thread slot the first time its thread writes the map).
 * -DSAFEMAP_GROUP_WRITES=0 turns it off. */
#ifndef SAFEMAP_LIB_MAP_GWRITE_H
#define SAFEMAP_LIB_MAP_GWRITE_H

/* included by map_internal.h once its structs are known */

#ifndef SAFEMAP_GROUP_WRITES
#define SAFEMAP_GROUP_WRITES 1
#endif

#define SAFEMAP_GW_NO 1   /* not done: take the shard's write lock */
#define SAFEMAP_GW_PATH 4 /* groups a group write reads at most */
enum safemap_gw_op { SAFEMAP_GW_ANY, SAFEMAP_GW_NOEXIST, SAFEMAP_GW_EXIST, SAFEMAP_GW_DELETE };

/* The highest thread slot number handed out so far (stats.c): slots above
 * it were never used by any thread; and how many threads hold one now (the
 * budgets' share: a thread that gets a slot after a fold starts with a
 * whole share, so the threads together may overrun the room by that much;
 * the insert that finds no free slot near its home group takes the lock,
 * which counts exactly). */
SAFEMAP_HIDDEN extern unsigned safemap__tslot_hwm, safemap__tslot_live;

/* the threads that share a budget */
static inline unsigned safemap__gw_sharers(void)
{
	unsigned n = __atomic_load_n(&safemap__tslot_live, __ATOMIC_RELAXED);

	return n ? n : 1;
}

/* Wait until no group writer is inside @p s (the caller holds its lock). */
SAFEMAP_HIDDEN void safemap__gw_drain_slow(struct safemap_shard *s);

static inline void safemap__gw_drain(struct safemap_shard *s)
{
	if (SAFEMAP_UNLIKELY(s->fast))
		safemap__gw_drain_slow(s);
}

/* @p s's entries (its lock held: exact; else a moment's sum). */
SAFEMAP_HIDDEN size_t safemap__gw_count_slow(const struct safemap_shard *s);

static inline size_t safemap__gw_count(const struct safemap_shard *s)
{
	if (SAFEMAP_LIKELY(!s->fast))
		return __atomic_load_n(&s->count, __ATOMIC_RELAXED);
	return safemap__gw_count_slow(s);
}

/* Move the threads' counters of @p s into s->count, and renew
 * s->growth_left and every thread's budget (write lock held). */
SAFEMAP_HIDDEN void safemap__gw_fold(struct safemap_shard *s);
/* Share s->growth_left out as the threads' budget (write lock held). */
SAFEMAP_HIDDEN void safemap__gw_budget(struct safemap_shard *s);

/* The calling thread's counter row for @p m (slot @p t): allocated on
 * first use; NULL without memory (the thread then takes the lock). */
SAFEMAP_HIDDEN int64_t *safemap__gw_row(struct safemap *m, struct safemap_tslot *t);

/* Free the rows of @p m's slots (destroy). */
SAFEMAP_HIDDEN void safemap__gw_free_rows(struct safemap *m);

/* May the thread whose counters of @p s are @p row (entries added, dirty
 * erasures: gwrite.c) insert one more by groups? Its budget: a share of
 * the room the shard had at its last fold. */
static inline bool safemap__gw_room(const struct safemap_shard *s, const int64_t *row)
{
	return __atomic_load_n(&row[0], __ATOMIC_RELAXED) <
	       (int64_t)__atomic_load_n(&s->gw_budget, __ATOMIC_RELAXED);
}

/* ... erase one more entry from a group with its overflow bit set? Its
 * share of the erasures left before a clean rehash (table.h). */
static inline bool safemap__gw_dirty_room(const struct safemap_shard *s, const int64_t *row)
{
	return (uint64_t)__atomic_load_n(&row[1], __ATOMIC_RELAXED) * safemap__gw_sharers() <
	       __atomic_load_n(&s->dirty_left, __ATOMIC_RELAXED);
}

/* Step 1: announce the write (no fence of its own: step 2's is the
 * home group's compare-and-swap). The epoch section (epoch.h) keeps the
 * table the writer is about to read from being freed under it: a table
 * replaced by a lock holder that missed this announcement is retired, and
 * only freed after a grace period. Returns what safemap__gw_exit takes. */
static inline uint64_t safemap__gw_announce(struct safemap_shard *s, struct safemap_tslot *t)
{
#ifdef SAFEMAP_TSAN
	/* ThreadSanitizer knows no fence in a compare-and-swap of another
	 * word, and would see the table's header read before the lock word:
	 * its builds fence here and ask safemap__gw_admitted() first too */
	__atomic_store_n(&t->fw, s, __ATOMIC_SEQ_CST);
#else
	__atomic_store_n(&t->fw, s, __ATOMIC_RELAXED);
#endif
	return safemap__epoch_enter(t); /* (its compiler barrier orders both stores first) */
}

/* Step 2, once the home group of the table read after step 1 is held:
 * true if the thread may write @p s by groups. The group's locked
 * compare-and-swap put t->fw before the loads here (x86; elsewhere an
 * explicit fence): the lock holder either sees t->fw in its drain, or
 * holds the lock word this reads. */
static inline bool safemap__gw_admitted(const struct safemap *m, struct safemap_shard *s)
{
#if !defined(__x86_64__) && !defined(__i386__)
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
	if (SAFEMAP_LIKELY(!(__atomic_load_n(&s->lock.word, __ATOMIC_SEQ_CST) &
			     (SAFEMAP_LOCK_W | SAFEMAP_LOCK_WW | SAFEMAP_LOCK_READERS)) &&
			   !__atomic_load_n(&m->guard, __ATOMIC_RELAXED))) {
		safemap__tsan_acquire(&s->lock);
		return true;
	}
	return false;
}

/* Tests of races too narrow to meet by chance (tests/stress/
 * test_gwrite_race.c) link a copy of the library built with
 * -DSAFEMAP_RACE_HOOKS, which calls this hook (when set) between a group
 * write's read of the shard's table and its home group's compare-and-swap.
 * The library proper has none. */
#ifdef SAFEMAP_RACE_HOOKS
SAFEMAP_HIDDEN extern void (*safemap__race_hook)(struct safemap_shard *s);
#define SAFEMAP_RACE_HOOK(s)                \
	do {                                \
		if (safemap__race_hook)     \
			safemap__race_hook(s); \
	} while (0)
#else
#define SAFEMAP_RACE_HOOK(s) ((void)0)
#endif

/* Step 4's end: @p next as safemap__gw_announce returned it. */
static inline void safemap__gw_exit(struct safemap_tslot *t, uint64_t next)
{
	__atomic_store_n(&t->fw, NULL, __ATOMIC_RELEASE);
	safemap__epoch_exit(t, next);
}

#endif /* SAFEMAP_LIB_MAP_GWRITE_H */
