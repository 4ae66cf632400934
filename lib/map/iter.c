/* SPDX-License-Identifier: BSD-2-Clause */
/* Iteration: safemap_foreach(), the write guard that turns a write from
 * inside the thread's own iteration into -EDEADLK, and the read-lock rules
 * that keep reads from inside a callback from deadlocking (see the comment
 * above SAFEMAP__GUARD_FROZEN in map_internal.h). */
#include <stdlib.h>

#include "refs.h"

/* One running foreach on this thread; frames live on the foreach stacks and
 * form a list from the innermost one out. */
struct iter_frame {
	const struct safemap *m;
	struct iter_frame *up;
	int32_t shard; /* whose read lock this frame holds now, -1 between shards */
	bool locked;   /* this frame took that read lock (not an outer frame) */
	/* a callback's ref_put left a dead node of @shard to free (table.h:
	 * the retired list): drain it once the walk has left the shard */
	bool deferred;
	/* deferred entries of shards that could not be drained on leaving
	 * them (the thread still held other shards of the map): drain every
	 * shard at the end of this walk, or hand on to an outer one */
	bool deferred_all;
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

bool safemap__iter_defer_free(struct safemap *m, uint32_t idx)
{
	struct iter_frame *f, *inner = NULL;

	if (!(__atomic_load_n(&m->guard, __ATOMIC_RELAXED) & SAFEMAP__GUARD_ITER))
		return false;
	for (f = iter_top; f; f = f->up) {
		if (f->m != m)
			continue;
		if (f->locked && f->shard == (int32_t)idx) {
			f->deferred = true; /* drained when f leaves the shard */
			return true;
		}
		if (!inner)
			inner = f;
	}
	if (!inner)
		return false;
	/* Inside a walk of m, for another shard: waiting for its write lock
	 * while holding this walk's read lock could close a cycle with
	 * another thread doing the same the other way round; leave it to the
	 * end of the walk (drain_deferred_all()). */
	inner->deferred_all = true;
	return true;
}

/* The innermost frame of @p m outside @p f, or NULL. */
static struct iter_frame *outer_frame(const struct safemap *m, struct iter_frame *f)
{
	for (f = f->up; f; f = f->up)
		if (f->m == m)
			return f;
	return NULL;
}

/* Frame @p f has just released shard @p idx's read lock: free what its
 * callbacks' ref_puts deferred. Waiting for the write lock is safe only if
 * this thread holds no other shard of the map (else it could close a cycle
 * with another walk and a waiting writer): then hand over to the walk that
 * holds them. */
static void drain_deferred(struct safemap *m, struct iter_frame *f, uint32_t idx)
{
	if (!f->deferred)
		return;
	f->deferred = false;
	if (safemap__iter_held_max(m) < 0) {
		safemap__retired_drain(m, &m->shards[idx]);
		return;
	}
	f->deferred_all = true;
}

/* The end of walk @p f (its frame already popped): the shards it could not
 * drain on the way. */
static void drain_deferred_all(struct safemap *m, struct iter_frame *f)
{
	struct iter_frame *o;
	uint32_t i;

	if (!f->deferred_all)
		return;
	if (safemap__iter_held_max(m) >= 0) {
		o = outer_frame(m, f);
		if (o) { /* always: a shard held means an outer walk of m */
			o->deferred_all = true;
			return;
		}
	}
	for (i = 0; i <= m->shard_mask; i++) /* rare: a ref_put in a nested walk */
		safemap__retired_drain(m, &m->shards[i]);
}

/* A read lock out of order (below a shard this thread holds): may be one
 * edge of a cycle, so the wait is bounded. */
static int safemap__rdlock_bounded(struct safemap *m, struct safemap_shard *s)
{
	if (safemap__lock_tryrd(&s->lock)) {
		safemap__gw_drain(s);
		return 1;
	}
	safemap__stat_add(&s->stats.contended, 1);
	if (safemap__lock_rd_timed(&s->lock, SAFEMAP__NESTED_WAIT_MS)) {
		safemap__gw_drain(s);
		return 1;
	}
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
		safemap__gw_drain(s);
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
	f.locked = f.deferred = f.deferred_all = false;
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
		f.locked = locked;
		safemap__tbl_it_init(s, &it);
		while (!ret && safemap__tbl_it_next(m, &it, &pos))
			ret = fn(safemap__tbl_key(m, &pos), safemap__tbl_value(m, &pos), ctx);
		f.shard = -1;
		f.locked = false;
		if (locked) {
			safemap__shard_unlock(s);
			drain_deferred(m, &f, i);
		}
	}
	iter_top = f.up;
	drain_deferred_all(m, &f);
	__atomic_fetch_sub(&m->guard, 1, __ATOMIC_RELEASE);
	return ret;
}
