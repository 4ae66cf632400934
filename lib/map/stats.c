/* SPDX-License-Identifier: BSD-2-Clause */
/* Thread slots (stats.h): each live thread that uses a map gets a number
 * below SAFEMAP_TSLOTS, its cache line in every map's slot array; the
 * number goes back to the pool when the thread exits. */
#include <pthread.h>

#include "map_internal.h"

__thread int safemap__tslot_id __attribute__((tls_model("initial-exec")));

unsigned safemap__tslot_hwm, safemap__tslot_live;

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t slots_used[SAFEMAP_TSLOTS / 64];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static bool key_ok;

static void release_slot(void *p)
{
	unsigned i = (unsigned)(uintptr_t)p - 1;

	safemap__tslot_id = -1; /* any later call on this thread counts in the shard */
	pthread_mutex_lock(&slots_lock);
	slots_used[i / 64] &= ~(1ull << (i % 64));
	__atomic_store_n(&safemap__tslot_live, safemap__tslot_live - 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&slots_lock);
}

static void make_key(void)
{
	key_ok = pthread_key_create(&key, release_slot) == 0;
}

/* the key's destructor is this library's code: drop it before unloading */
__attribute__((destructor)) static void delete_key(void)
{
	if (key_ok)
		pthread_key_delete(key);
}

int safemap__tslot_assign(void)
{
	unsigned i;
	int id = -1;

	pthread_once(&key_once, make_key);
	if (!key_ok)
		return safemap__tslot_id = -1;
	pthread_mutex_lock(&slots_lock);
	for (i = 0; i < SAFEMAP_TSLOTS; i++) {
		if (!(slots_used[i / 64] & (1ull << (i % 64)))) {
			slots_used[i / 64] |= 1ull << (i % 64);
			id = (int)i + 1;
			__atomic_store_n(&safemap__tslot_live, safemap__tslot_live + 1,
					 __ATOMIC_RELAXED);
			if ((unsigned)id > safemap__tslot_hwm) /* gwrite.h */
				__atomic_store_n(&safemap__tslot_hwm, (unsigned)id, __ATOMIC_SEQ_CST);
			break;
		}
	}
	pthread_mutex_unlock(&slots_lock);
	if (id > 0 && pthread_setspecific(key, (void *)(uintptr_t)id)) {
		release_slot((void *)(uintptr_t)id);
		id = -1;
	}
	return safemap__tslot_id = id;
}

uint64_t safemap__stats_ops(struct safemap *m, enum safemap_op op)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i <= m->shard_mask; i++)
		n += safemap__stat_read(&m->shards[i].stats.ops[op]);
	for (i = 0; i < SAFEMAP_TSLOTS; i++)
		n += safemap__stat_read(&m->tslots[i].ops[op]);
	return n;
}
