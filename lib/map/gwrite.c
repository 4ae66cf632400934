/* SPDX-License-Identifier: BSD-2-Clause */
/* Group writes (gwrite.h): what a shard's lock holder does about them, and
 * the threads' entry counters. */
#include "map_internal.h"

#ifdef SAFEMAP_RACE_HOOKS
void (*safemap__race_hook)(struct safemap_shard *s);
#endif

void safemap__gw_drain_slow(struct safemap_shard *s)
{
	unsigned i, n;

	/* the lock's compare-and-swap is before these loads (gwrite.h, 2) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	n = __atomic_load_n(&safemap__tslot_hwm, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++)
		while (__atomic_load_n(&s->tslots[i].fw, __ATOMIC_ACQUIRE) == s)
			safemap__cpu_relax();
}

/* thread slot @p i's two counters of @p s, or NULL (no row yet) */
static int64_t *row_of(const struct safemap_shard *s, unsigned i)
{
	int64_t *c = __atomic_load_n(&s->tslots[i].cnt, __ATOMIC_ACQUIRE);

	return c ? c + 2 * (size_t)s->idx : NULL;
}

/* a counter's value, set to 0 (write lock held: its thread is out) */
static size_t take(int64_t *c)
{
	int64_t v = __atomic_load_n(c, __ATOMIC_RELAXED);

	if (v)
		__atomic_store_n(c, 0, __ATOMIC_RELAXED);
	return (size_t)v;
}

/* s->count plus the threads' counters, read once */
static size_t count_sum(const struct safemap_shard *s)
{
	size_t n = __atomic_load_n(&s->count, __ATOMIC_RELAXED);
	unsigned i, hwm = __atomic_load_n(&safemap__tslot_hwm, __ATOMIC_RELAXED);
	int64_t *c;

	for (i = 0; i < hwm; i++)
		if ((c = row_of(s, i)))
			n += (size_t)__atomic_load_n(&c[0], __ATOMIC_RELAXED);
	return n;
}

/* A fold (write lock) moves counts from the rows into s->count: a sum read
 * across one could count them twice or not at all. So the sum is kept only
 * if no writer held the lock meanwhile (the shard's version), tried a few
 * times (the caller may hold the write lock itself: an update callback). */
#define COUNT_TRIES 64

size_t safemap__gw_count_slow(const struct safemap_shard *s)
{
	struct safemap_lock *l = (struct safemap_lock *)&s->lock;
	size_t n = 0;
	unsigned i;

	for (i = 0; i < COUNT_TRIES; i++) {
		uint64_t v = safemap__lock_read_begin(l);

		n = count_sum(s);
		if (!(v & SAFEMAP_LOCK_W) && safemap__lock_read_valid(l, v))
			break;
		safemap__cpu_relax();
	}
	return n;
}

void safemap__gw_budget(struct safemap_shard *s)
{
	__atomic_store_n(&s->gw_budget, s->growth_left / safemap__gw_sharers(), __ATOMIC_RELAXED);
}

void safemap__gw_fold(struct safemap_shard *s)
{
	unsigned i, hwm = __atomic_load_n(&safemap__tslot_hwm, __ATOMIC_RELAXED);
	size_t n = s->count, cap, dirty = 0;
	int64_t *c;

	if (!s->fast)
		return;
	for (i = 0; i < hwm; i++) {
		if (!(c = row_of(s, i)))
			continue;
		n += take(&c[0]);
		dirty += take(&c[1]);
	}
	__atomic_store_n(&s->count, n, __ATOMIC_RELAXED);
	/* erasures from overflowed groups: a clean rehash after enough of
	 * them (table.h), as the shard's own erasures count them */
	__atomic_store_n(&s->dirty_left, s->dirty_left > dirty ? s->dirty_left - (uint32_t)dirty : 0,
			 __ATOMIC_RELAXED);
	cap = s->tbl ? safemap__tbl_capacity(s->tbl->ngroups) : 0;
	s->growth_left = s->dirty_left && cap > n ? (uint32_t)(cap - n) : 0;
	safemap__gw_budget(s);
}

/* a row: two counters per shard (entries, erasures from overflowed
 * groups), on lines of its own */
static size_t row_bytes(const struct safemap *m)
{
	return ((size_t)(m->shard_mask + 1) * 2 * sizeof(int64_t) + 63) & ~(size_t)63;
}

int64_t *safemap__gw_row(struct safemap *m, struct safemap_tslot *t)
{
	int64_t *c;

	/* only this thread allocates its slot's row; a later thread in the
	 * same slot keeps it (the counts are the slot's, not the thread's) */
	if (posix_memalign((void **)&c, 64, row_bytes(m)))
		return NULL;
	memset(c, 0, row_bytes(m));
	__atomic_store_n(&t->cnt, c, __ATOMIC_RELEASE);
	return c;
}

void safemap__gw_free_rows(struct safemap *m)
{
	unsigned i;

	for (i = 0; i < SAFEMAP_TSLOTS; i++)
		free(m->tslots[i].cnt);
}
