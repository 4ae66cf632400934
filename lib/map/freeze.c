/* SPDX-License-Identifier: BSD-2-Clause */
/* Freeze: the map becomes read-only for good (like BPF_MAP_FREEZE). */
#include <time.h>

#include "map_internal.h"

int safemap__refuse_frozen(struct safemap *m, enum safemap_op op, const void *key)
{
	return safemap__refuse(m, NULL, op, SAFEMAP_REASON_FROZEN, -EPERM, key,
			       "map '%s': %s refused: the map is frozen (read-only)", m->name,
			       safemap_op_name(op));
}

int safemap_freeze(struct safemap *m)
{
	struct timespec pause = { 0, 100000 }; /* 0.1 ms */
	uint32_t i;

	if (!m)
		return safemap__errorf(-EINVAL, "safemap_freeze: NULL map");
	/* Done only once a freeze finished its barrier: a call that merely
	 * sees the flag set (another thread's freeze still waiting for a write
	 * in progress) must wait too (issue 13 item 2), so it runs the barrier
	 * itself; the barrier is idempotent. */
	if (__atomic_load_n(&m->freeze_done, __ATOMIC_ACQUIRE))
		return 0;
	/* from inside this thread's own foreach: the barrier below would wait
	 * for the read lock this thread holds */
	if (safemap__iterating(m))
		return safemap__refuse(m, NULL, SAFEMAP_OP_FREEZE, SAFEMAP_REASON_WRITE_IN_ITERATION,
				       -EDEADLK, NULL,
				       "map '%s': freeze from inside this thread's own foreach of the map "
				       "would deadlock", m->name);
	safemap__stat_add(&m->freeze_calls, 1);
	__atomic_fetch_or(&m->guard, SAFEMAP__GUARD_FROZEN, __ATOMIC_SEQ_CST);
	/* Barrier: a write that passed its guard before the flag was set either
	 * holds its shard's lock now (it finishes before we get the lock) or
	 * takes it after us and then sees the flag under the lock. */
	for (i = 0; i <= m->shard_mask; i++) {
		struct safemap_shard *s = &m->shards[i];

		safemap__shard_wrlock(s, SAFEMAP_OP_NONE);
		safemap__shard_unlock(s);
	}
	/* A clear is all-or-nothing (issue 13 item 3): one that counted itself
	 * in before seeing the flag runs to its end and the freeze waits for it;
	 * one that counted itself in after the flag was set refuses (rmw.c).
	 * Both sides are seq_cst: the flag set above, then this load. */
	while (__atomic_load_n(&m->clears_running, __ATOMIC_SEQ_CST))
		nanosleep(&pause, NULL);
	__atomic_store_n(&m->freeze_done, true, __ATOMIC_RELEASE);
	return 0;
}

bool safemap_is_frozen(const struct safemap *m)
{
	return m && (__atomic_load_n(&m->guard, __ATOMIC_ACQUIRE) & SAFEMAP__GUARD_FROZEN);
}
