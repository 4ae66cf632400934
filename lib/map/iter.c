/* SPDX-License-Identifier: BSD-2-Clause */
/* Iteration: safemap_foreach(), the write guard that turns a write from
 * inside the thread's own iteration into -EDEADLK, and the read-lock rules
 * that keep reads from inside a callback from deadlocking (see the comment
 * above SAFEMAP__GUARD_FROZEN in map_internal.h). */
#include <stdlib.h>

#include "map_internal.h"

/* One running foreach on this thread; frames live on the foreach stacks and
 * form a list from the innermost one out. */
struct iter_frame {
	const struct safemap *m;
	struct iter_frame *up;
	int32_t shard; /* whose read lock this frame holds now, -1 between shards */
};

static __thread struct iter_frame *iter_top;

bool safemap__iterating(const struct safemap *m)
{
	const struct iter_frame *f;

	for (f = iter_top; f; f = f->up)
		if (f->m == m)
			return true;
	return false;
}

bool safemap__iter_holds(const struct safemap *m, uint32_t idx)
{
	const struct iter_frame *f;

	for (f = iter_top; f; f = f->up)
		if (f->m == m && f->shard == (int32_t)idx)
			return true;
	return false;
}

int32_t safemap__iter_held_max(const struct safemap *m)
{
	const struct iter_frame *f;
	int32_t max = -1;

	for (f = iter_top; f; f = f->up)
		if (f->m == m && f->shard > max)
			max = f->shard;
	return max;
}

/* A read lock out of order (below a shard this thread holds): may be one
 * edge of a cycle, so the wait is bounded. */
static int safemap__rdlock_bounded(struct safemap *m, struct safemap_shard *s)
{
	if (safemap__lock_tryrd(&s->lock))
		return 1;
	safemap__stat_add(&s->stats.contended, 1);
	if (safemap__lock_rd_timed(&s->lock, SAFEMAP__NESTED_WAIT_MS))
		return 1;
	return safemap__errorf(-EDEADLK,
			       "map '%s': gave up after %d ms waiting for shard %u from inside a foreach "
			       "(a lock cycle with another iterating thread and waiting writers)",
			       m->name, SAFEMAP__NESTED_WAIT_MS, (unsigned)(s - m->shards));
}

int safemap__iter_rdlock(struct safemap *m, uint32_t idx, int32_t held_max)
{
	struct safemap_shard *s = &m->shards[idx];

	if (held_max >= 0 && safemap__iter_holds(m, idx))
		return 0;
	if ((int32_t)idx > held_max) { /* in order: waiting is safe */
		safemap__shard_rdlock(s);
		return 1;
	}
	return safemap__rdlock_bounded(m, s);
}

/* A read whose try-lock failed: a writer holds or waits for the shard. */
int safemap__read_begin_slow(struct safemap *m, struct safemap_shard *s, enum safemap_op op)
{
	uint32_t idx = (uint32_t)(s - m->shards);
	int32_t max = -1;
	int ret = 1;

	if (__atomic_load_n(&m->guard, __ATOMIC_RELAXED) & SAFEMAP__GUARD_ITER)
		max = safemap__iter_held_max(m);
	if (max >= 0 && safemap__iter_holds(m, idx)) {
		ret = 0; /* locking again would queue behind the waiting writer */
	} else if ((int32_t)idx < max) {
		ret = safemap__rdlock_bounded(m, s);
	} else {
		safemap__stat_add(&s->stats.contended, 1);
		safemap__lock_rd(&s->lock);
	}
	if (ret >= 0)
		safemap__stat_add(&s->stats.ops[op], 1);
	return ret;
}

int safemap__write_guard_slow(struct safemap *m, enum safemap_op op, const void *key)
{
	uint32_t g = __atomic_load_n(&m->guard, __ATOMIC_ACQUIRE);

	if (g & SAFEMAP__GUARD_FROZEN)
		return safemap__refuse_frozen(m, op, key);
	if ((g & SAFEMAP__GUARD_ITER) && safemap__iterating(m))
		return safemap__refuse(m, NULL, op, SAFEMAP_REASON_WRITE_IN_ITERATION, -EDEADLK, key,
				       "map '%s': %s from inside this thread's own foreach of the map "
				       "(it holds a shard read lock; the write would deadlock)",
				       m->name, safemap_op_name(op));
	return 0;
}

int safemap_foreach(struct safemap *m, safemap_foreach_fn fn, void *ctx)
{
	struct iter_frame f;
	int32_t outer_max;
	uint32_t i;
	int ret = 0, locked;

	if (!m || !fn)
		return safemap__errorf(-EINVAL, "safemap_foreach: NULL %s", m ? "fn" : "map");
	safemap__stat_add(&m->foreach_calls, 1);
	outer_max = safemap__iter_held_max(m);
	f.m = m;
	f.up = iter_top;
	f.shard = -1;
	__atomic_fetch_add(&m->guard, 1, __ATOMIC_RELAXED);
	iter_top = &f;
	for (i = 0; i <= m->shard_mask && !ret; i++) {
		struct safemap_shard *s = &m->shards[i];
		struct safemap_tbl_it it;
		struct safemap_pos pos;

		locked = safemap__iter_rdlock(m, i, outer_max);
		if (locked < 0) {
			ret = locked;
			break;
		}
		f.shard = (int32_t)i;
		safemap__tbl_it_init(s, &it);
		while (!ret && safemap__tbl_it_next(m, &it, &pos))
			ret = fn(safemap__tbl_key(m, &pos), safemap__tbl_value(m, &pos), ctx);
		f.shard = -1;
		if (locked)
			safemap__shard_unlock(s);
	}
	iter_top = f.up;
	__atomic_fetch_sub(&m->guard, 1, __ATOMIC_RELEASE);
	return ret;
}
