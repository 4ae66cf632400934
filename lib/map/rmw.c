/* SPDX-License-Identifier: BSD-2-Clause */
/* Atomic read-modify-write under one shard write lock: update (a callback
 * decides), compare-and-swap, and clear (every shard in turn). */
#include <stdlib.h>

#include "refs.h"

/* Values up to this size are edited in a stack buffer; larger ones in a
 * buffer from the map's allocator (taken before the lock). */
#define SAFEMAP__STACK_VALUE 256

int safemap_update(struct safemap *m, const void *key, safemap_update_fn fn, void *ctx,
		   unsigned flags)
{
	uint64_t stack[SAFEMAP__STACK_VALUE / sizeof(uint64_t)];
	struct safemap_shard *s;
	struct safemap_pos pos;
	void *scratch = stack;
	bool e;
	int err = 0, act = SAFEMAP_UPDATE_NONE;
	uint64_t h;

	if (SAFEMAP_UNLIKELY(!m || !key || !fn || flags > SAFEMAP_EXIST))
		return safemap__errorf(-EINVAL, "safemap_update: %s",
				       flags > SAFEMAP_EXIST ? "unknown flags" : "NULL argument");
	err = safemap__write_guard(m, SAFEMAP_OP_UPDATE, key);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	if (m->value_size > sizeof(stack)) {
		scratch = safemap__malloc(m, m->value_size);
		if (!scratch)
			return safemap__errorf(-ENOMEM, "map '%s': out of memory for an update buffer of %u bytes (map unchanged)",
					       m->name, m->value_size);
	}
	h = safemap__key_hash(m, key);
	s = safemap__shard_of(m, h);
	err = safemap__write_lock(m, s, SAFEMAP_OP_UPDATE, key);
	if (SAFEMAP_UNLIKELY(err)) {
		if (scratch != stack)
			safemap__free(m, scratch, m->value_size);
		return err;
	}
	e = safemap__tbl_find(m, s, key, h, &pos);
	if (e && flags == SAFEMAP_NOEXIST) {
		err = -EEXIST;
	} else if (!e && flags == SAFEMAP_EXIST) {
		err = -ENOENT;
	} else {
		if (e)
			memcpy(scratch, safemap__tbl_value(m, &pos), m->value_size);
		else
			memset(scratch, 0, m->value_size);
		act = fn(key, scratch, e, ctx);
		if (act == SAFEMAP_UPDATE_STORE)
			err = e ? safemap__tbl_set(m, s, &pos, h, scratch)
				: safemap__insert(m, s, key, scratch, h);
		else if (act == SAFEMAP_UPDATE_DELETE && e)
			safemap__unlink(m, s, &pos, h);
		else if (act == SAFEMAP_UPDATE_DELETE || act == SAFEMAP_UPDATE_NONE)
			act = SAFEMAP_UPDATE_NONE; /* nothing written */
		else
			err = act < 0 ? act : -EINVAL;
	}
	safemap__shard_unlock(s);
	safemap__after_unlock(m, s);
	if (scratch != stack)
		safemap__free(m, scratch, m->value_size);
	if (SAFEMAP_LIKELY(err >= 0)) {
		if (SAFEMAP_UNLIKELY(err | (act != SAFEMAP_UPDATE_NONE ? m->notify : 0)))
			safemap__after_write(m, SAFEMAP_OP_UPDATE, key, err);
		return 0;
	}
	if (err == -E2BIG)
		return safemap__refuse_full(m, s, SAFEMAP_OP_UPDATE, key);
	if (err == -ENOMEM)
		return safemap__errorf(err, "map '%s': out of memory on update %s (map unchanged)",
				       m->name, e ? "of a referenced value" : "creating an entry");
	if (err == -EINVAL)
		return safemap__errorf(err, "map '%s': update callback returned %d, not an action (map unchanged)",
				       m->name, act);
	if (err == -ENOENT || err == -EEXIST)
		return safemap__error(err);
	return safemap__errorf(err, "map '%s': update callback aborted with %d (map unchanged)",
			       m->name, err);
}

int safemap_cas(struct safemap *m, const void *key, void *expected, const void *desired)
{
	struct safemap_shard *s;
	struct safemap_pos pos;
	uint64_t h;
	int err;

	if (SAFEMAP_UNLIKELY(!m || !key || !expected || !desired))
		return safemap__errorf(-EINVAL, "safemap_cas: NULL argument");
	err = safemap__write_guard(m, SAFEMAP_OP_CAS, key);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	h = safemap__key_hash(m, key);
	s = safemap__shard_of(m, h);
	err = safemap__write_lock(m, s, SAFEMAP_OP_CAS, key);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	if (!safemap__tbl_find(m, s, key, h, &pos)) {
		err = -ENOENT;
	} else if (memcmp(safemap__tbl_value(m, &pos), expected, m->value_size) != 0) {
		memcpy(expected, safemap__tbl_value(m, &pos), m->value_size);
		err = -EAGAIN;
	} else {
		err = safemap__tbl_set(m, s, &pos, h, desired);
	}
	safemap__shard_unlock(s);
	safemap__after_unlock(m, s);
	if (SAFEMAP_LIKELY(!err)) {
		if (SAFEMAP_UNLIKELY(m->notify))
			safemap__after_write(m, SAFEMAP_OP_CAS, key, 0);
		return 0;
	}
	if (err == -ENOENT)
		memset(expected, 0, m->value_size);
	if (err == -ENOMEM)
		return safemap__errorf(err, "map '%s': out of memory on cas of a referenced value (map unchanged)",
				       m->name);
	return safemap__error(err);
}

/* Empty one shard (write lock held); returns the number of entries removed. */
static size_t clear_shard(struct safemap *m, struct safemap_shard *s)
{
	size_t n = safemap__tbl_clear(m, s); /* referenced values live on in their nodes */

	if (m->max_entries && n)
		__atomic_fetch_sub(&m->total, n, __ATOMIC_RELAXED);
	return n;
}

int safemap_clear(struct safemap *m)
{
	uint64_t removed = 0;
	uint32_t i;
	int err;

	if (!m)
		return safemap__errorf(-EINVAL, "safemap_clear: NULL map");
	err = safemap__write_guard(m, SAFEMAP_OP_CLEAR, NULL);
	if (SAFEMAP_UNLIKELY(err))
		return err;
	/* All or nothing against freeze (issue 13 item 3): count this clear in,
	 * then look at the flag (seq_cst, paired with safemap_freeze()): either
	 * it is set and nothing was removed, or every freeze that sets it from
	 * now on waits for this clear to end, so it clears every shard. */
	__atomic_fetch_add(&m->clears_running, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->guard, __ATOMIC_SEQ_CST) & SAFEMAP__GUARD_FROZEN) {
		__atomic_fetch_sub(&m->clears_running, 1, __ATOMIC_RELEASE);
		return safemap__refuse_frozen(m, SAFEMAP_OP_CLEAR, NULL);
	}
	for (i = 0; i <= m->shard_mask; i++) {
		struct safemap_shard *s = &m->shards[i];

		safemap__shard_wrlock(s, SAFEMAP_OP_CLEAR);
		removed += clear_shard(m, s);
		safemap__shard_unlock(s);
		safemap__after_unlock(m, s);
	}
	__atomic_fetch_sub(&m->clears_running, 1, __ATOMIC_RELEASE);
	safemap__after_clear(m, removed);
	return 0;
}
