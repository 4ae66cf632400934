/* SPDX-License-Identifier: BSD-2-Clause */
/* The hot path: put, get, delete, count. One hash, one shard lock each. */
#include <stdlib.h>

#include "refs.h"

/* Claim one slot of max_entries, or fail when the map is full. A CAS loop,
 * never an optimistic add-then-undo, so a failing insert cannot make a
 * concurrent one fail spuriously. Only bounded maps touch this line.
 * Returns the new total, 0 when full. */
static size_t reserve_slot(struct safemap *m)
{
	size_t cur = __atomic_load_n(&m->total, __ATOMIC_RELAXED);

	do {
		if (cur >= m->max_entries)
			return 0;
	} while (!__atomic_compare_exchange_n(&m->total, &cur, cur + 1, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return cur + 1;
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

/* Insert a new entry for an absent key (shard write-locked). Inlined into
 * put; rmw.c gets it through safemap__insert(). */
static inline __attribute__((always_inline)) int insert(struct safemap *m,
							struct safemap_shard *s,
							const void *key, const void *value,
							uint64_t h)
{
	struct safemap_entry *e;
	size_t total = 0;
	int oomed = 0;

	if (m->max_entries && !(total = reserve_slot(m)))
		return -E2BIG;
	e = safemap__entry_alloc(m, s);
	if (!e) {
		release_slot(m);
		return -ENOMEM;
	}
	e->refs = 1; /* the map's */
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
	/* total is 0 in unbounded maps: one test of a register */
	return SAFEMAP_UNLIKELY(total) && total == m->watermark ? SAFEMAP__CROSSED : 0;
}

/* Unlink @p e and drop the map's reference (shard write-locked). Inlined
 * into delete; rmw.c gets it through safemap__unlink(). */
static inline __attribute__((always_inline)) void unlink_entry(struct safemap *m,
							       struct safemap_shard *s,
							       struct safemap_entry *e)
{
	int oomed = 0;

	HASH_DELETE(hh, s->head, e);
	(void)oomed;
	shard_count_add(s, -1);
	release_slot(m);
	safemap__entry_retire(m, s, e);
}

int safemap__insert(struct safemap *m, struct safemap_shard *s, const void *key,
		    const void *value, uint64_t h)
{
	return insert(m, s, key, value, h);
}

void safemap__unlink(struct safemap *m, struct safemap_shard *s, struct safemap_entry *e)
{
	unlink_entry(m, s, e);
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
	err = safemap__write_lock(m, s, SAFEMAP_OP_PUT, key);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	e = safemap__find(m, s, key, h);
	if (e) {
		if (flags == SAFEMAP_NOEXIST)
			err = -EEXIST;
		else
			err = safemap__entry_set(m, s, e, value);
	} else if (flags == SAFEMAP_EXIST) {
		err = -ENOENT;
	} else {
		err = insert(m, s, key, value, h);
	}
	safemap__shard_unlock(s);
	if (SAFEMAP_LIKELY(!(err | m->notify)))
		return 0;
	if (err >= 0) {
		safemap__after_write(m, SAFEMAP_OP_PUT, key, err);
		return 0;
	}
	if (err == -E2BIG)
		return safemap__refuse(m, s, SAFEMAP_OP_PUT, SAFEMAP_REASON_FULL, -E2BIG, key,
				       "map '%s': full (max_entries %zu)", m->name, m->max_entries);
	if (err == -ENOMEM)
		return safemap__errorf(err, "map '%s': out of memory on %s (map unchanged)", m->name,
				       e ? "replace of a referenced value" : "insert");
	return safemap__error(err);
}

/* Count a get: in this thread's slot of the map (a line no other thread
 * writes), or, for a thread without a slot, in the shard. */
static inline void count_get(struct safemap *m, struct safemap_shard *s)
{
	uint64_t *c = safemap__thread_ops(m->tslots, SAFEMAP_OP_GET);

	if (SAFEMAP_LIKELY(c))
		safemap__stat_inc_excl(c);
	else
		safemap__stat_add(&s->stats.ops[SAFEMAP_OP_GET], 1);
}

int safemap_get(struct safemap *m, const void *key, void *value_out)
{
	struct safemap_shard *s;
	struct safemap_entry *e;
	uint64_t h;
	int found, locked;

	if (SAFEMAP_UNLIKELY(!m || !key || !value_out))
		return safemap__errorf(-EINVAL, "safemap_get: NULL argument");
	h = safemap__key_hash(m, key);
	s = safemap__shard_of(m, h);
	found = SAFEMAP_OPTIMISTIC ? safemap__get_optimistic(m, s, key, h, value_out) : -1;
	if (SAFEMAP_LIKELY(found >= 0)) {
		count_get(m, s);
	} else {
		/* a writer kept the shard busy: the read lock (counts the get) */
		locked = safemap__read_begin(m, s, SAFEMAP_OP_GET);
		if (SAFEMAP_UNLIKELY(locked < 0)) {
			memset(value_out, 0, m->value_size);
			return locked;
		}
		e = safemap__find(m, s, key, h);
		if (e)
			safemap__copy(value_out, safemap__entry_value(m, e), m->value_size);
		if (SAFEMAP_LIKELY(locked))
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

static inline int delete_key(struct safemap *m, const void *key)
{
	struct safemap_shard *s;
	struct safemap_entry *e;
	uint64_t h;
	int err;

	err = safemap__write_guard(m, SAFEMAP_OP_DELETE, key);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	h = safemap__key_hash(m, key);
	s = safemap__shard_of(m, h);
	err = safemap__write_lock(m, s, SAFEMAP_OP_DELETE, key);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	e = safemap__find(m, s, key, h);
	if (e)
		unlink_entry(m, s, e); /* frees it (under the lock) unless referenced */
	safemap__shard_unlock(s);
	if (!e)
		return safemap__error(-ENOENT);
	if (SAFEMAP_UNLIKELY(m->notify))
		safemap__after_write(m, SAFEMAP_OP_DELETE, key, 0);
	return 0;
}

int safemap_delete(struct safemap *m, const void *key)
{
	uint64_t t0;
	int err;

	if (SAFEMAP_UNLIKELY(!m || !key))
		return safemap__errorf(-EINVAL, "safemap_delete: NULL argument");
	if (SAFEMAP_LIKELY(!m->delete_hist))
		return delete_key(m, key);
	t0 = safemap__now_ns(); /* the optional delete-latency histogram */
	err = delete_key(m, key);
	safemap__hist_record(m->delete_hist, safemap__key_hash(m, key),
			     safemap__now_ns() - t0);
	return err;
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
