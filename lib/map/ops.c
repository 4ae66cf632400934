/* SPDX-License-Identifier: BSD-2-Clause */
/* The hot path: put, get, delete, count. One hash, one shard lock each. */
#include <stdlib.h>

#include "map_internal.h"

/* Claim one slot of max_entries, or fail when the map is full. A CAS loop,
 * never an optimistic add-then-undo, so a failing insert cannot make a
 * concurrent one fail spuriously. Only bounded maps touch this line. */
static bool reserve_slot(struct safemap *m)
{
	size_t cur = __atomic_load_n(&m->total, __ATOMIC_RELAXED);

	do {
		if (cur >= m->max_entries)
			return false;
	} while (!__atomic_compare_exchange_n(&m->total, &cur, cur + 1, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

static void release_slot(struct safemap *m)
{
	if (m->max_entries)
		__atomic_fetch_sub(&m->total, 1, __ATOMIC_RELAXED);
}

static void shard_count_add(struct safemap_shard *s, long d)
{
	__atomic_store_n(&s->count, s->count + (size_t)d, __ATOMIC_RELAXED);
}

/* Insert a new entry for an absent key (shard write-locked). */
static int insert(struct safemap *m, struct safemap_shard *s, const void *key,
		  const void *value, uint64_t h)
{
	struct safemap_entry *e;
	int oomed = 0;

	if (m->max_entries && !reserve_slot(m))
		return -E2BIG;
	e = safemap__entry_alloc(m, s);
	if (!e) {
		release_slot(m);
		return -ENOMEM;
	}
	safemap__copy(e->data, key, m->key_size);
	safemap__copy(safemap__entry_value(m, e), value, m->value_size);
	HASH_ADD_KEYPTR_BYHASHVALUE(hh, s->head, e->data, m->key_size, (unsigned)h, e);
	if (oomed) {
		safemap__entry_free(m, s, e);
		release_slot(m);
		return -ENOMEM;
	}
	safemap__table_grow(m, s);
	shard_count_add(s, 1);
	return 0;
}

int safemap_put(struct safemap *m, const void *key, const void *value, unsigned flags)
{
	struct safemap_shard *s;
	struct safemap_entry *e;
	uint64_t h;
	int err = 0;

	if (SAFEMAP_UNLIKELY(!m || !key || !value || flags > SAFEMAP_EXIST))
		return safemap__errorf(-EINVAL, "safemap_put: %s",
				       flags > SAFEMAP_EXIST ? "unknown flags" : "NULL argument");
	err = safemap__write_guard(m, SAFEMAP_OP_PUT, key);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	h = safemap__key_hash(m, key);
	s = safemap__shard_of(m, h);
	safemap__shard_wrlock(s, SAFEMAP_OP_PUT);
	e = safemap__find(m, s, key, h);
	if (e) {
		if (flags == SAFEMAP_NOEXIST)
			err = -EEXIST;
		else
			safemap__copy(safemap__entry_value(m, e), value, m->value_size);
	} else if (flags == SAFEMAP_EXIST) {
		err = -ENOENT;
	} else {
		err = insert(m, s, key, value, h);
	}
	safemap__shard_unlock(s);
	if (SAFEMAP_LIKELY(!err))
		return 0;
	if (err == -E2BIG)
		return safemap__refuse(m, s, SAFEMAP_OP_PUT, SAFEMAP_REASON_FULL, -E2BIG, key,
				       "map '%s': full (max_entries %zu)", m->name, m->max_entries);
	if (err == -ENOMEM)
		return safemap__errorf(err, "map '%s': out of memory on insert (map unchanged)", m->name);
	return safemap__error(err);
}

/* Count a get: in this thread's slot of the map (a line no other thread
 * writes), or, for a thread without a slot, in the shard. */
static inline void count_get(struct safemap *m, struct safemap_shard *s)
{
	struct safemap_tslot *t = safemap__tslot(m->tslots);

	if (SAFEMAP_LIKELY(t))
		safemap__stat_inc_excl(&t->ops[SAFEMAP_OP_GET]);
	else
		safemap__stat_add(&s->stats.ops[SAFEMAP_OP_GET], 1);
}

int safemap_get(struct safemap *m, const void *key, void *value_out)
{
	struct safemap_shard *s;
	struct safemap_entry *e;
	uint64_t h;
	int found;

	if (SAFEMAP_UNLIKELY(!m || !key || !value_out))
		return safemap__errorf(-EINVAL, "safemap_get: NULL argument");
	h = safemap__key_hash(m, key);
	s = safemap__shard_of(m, h);
	count_get(m, s);
	found = SAFEMAP_OPTIMISTIC ? safemap__get_optimistic(m, s, key, h, value_out) : -1;
	if (SAFEMAP_UNLIKELY(found < 0)) {
		if (SAFEMAP_UNLIKELY(safemap__lock_rd(&s->lock))) /* the get is counted */
			safemap__stat_add(&s->stats.contended, 1);
		e = safemap__find(m, s, key, h);
		if (e)
			safemap__copy(value_out, safemap__entry_value(m, e), m->value_size);
		safemap__shard_unlock(s);
		found = e != NULL;
	}
	if (SAFEMAP_LIKELY(found))
		return 0;
	if (SAFEMAP_LIKELY(m->value_size == 8))
		memset(value_out, 0, 8);
	else
		memset(value_out, 0, m->value_size);
	return safemap__error(-ENOENT);
}

int safemap_delete(struct safemap *m, const void *key)
{
	struct safemap_shard *s;
	struct safemap_entry *e;
	uint64_t h;
	int oomed = 0, err;

	if (SAFEMAP_UNLIKELY(!m || !key))
		return safemap__errorf(-EINVAL, "safemap_delete: NULL argument");
	err = safemap__write_guard(m, SAFEMAP_OP_DELETE, key);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	h = safemap__key_hash(m, key);
	s = safemap__shard_of(m, h);
	safemap__shard_wrlock(s, SAFEMAP_OP_DELETE);
	e = safemap__find(m, s, key, h);
	if (e) {
		HASH_DELETE(hh, s->head, e);
		shard_count_add(s, -1);
		release_slot(m);
		safemap__entry_free(m, s, e); /* the slab is the shard's: under its lock */
	}
	safemap__shard_unlock(s);
	(void)oomed;
	if (!e)
		return safemap__error(-ENOENT);
	return 0;
}

size_t safemap_count(struct safemap *m)
{
	size_t n = 0;
	uint32_t i;

	if (!m)
		return 0;
	for (i = 0; i <= m->shard_mask; i++)
		n += __atomic_load_n(&m->shards[i].count, __ATOMIC_RELAXED);
	return n;
}
