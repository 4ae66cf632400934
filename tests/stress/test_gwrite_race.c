/* SPDX-License-Identifier: BSD-2-Clause */
/* The one race of group writes (lib/map/gwrite.h) too narrow to meet by
 * chance: a group writer announces itself (t->fw, a plain store), reads
 * the shard's table and only then fences, with its home group's
 * compare-and-swap. A lock holder whose drain read t->fw before that store
 * reached memory misses the writer, and may resize the table and let the
 * lock go before the writer looks at the lock word. The writer must then
 * notice that the table it holds a group of is no longer the shard's (or
 * its write is lost in the old one), and that old table must still be
 * allocated (its epoch section holds the grace period; ASan sees a use
 * after free otherwise).
 *
 * The test links the library built with SAFEMAP_RACE_HOOKS, whose hook
 * runs in that window: it takes t->fw back (as if the store had not
 * reached memory yet), lets another thread grow the table, and puts t->fw
 * back. Each round, the write must then be found, and the count exact. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

#include "../testutil.h"
#include "../../lib/map/map_internal.h"

#define ROUNDS 8 /* each grows the table by half: 1000 entries to about 30,000 */
#define GROWER_BASE (1ull << 40) /* the grower's keys, apart from the writer's */

static struct safemap *M;
static __thread int hooked; /* only the writer's group writes stop */
/* asked: growths asked for; finished: growths done, the grower's put
 * returned (its grace period, if it waits for one, is over) */
static int fired, asked, finished, quit;
static long lock_missed;

static void hook(struct safemap_shard *s)
{
	struct safemap_tslot *t;
	struct safemap_tbl *old;

	if (!hooked || __atomic_load_n(&fired, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&fired, 1, __ATOMIC_RELAXED);
	t = safemap__tslot(M->tslots);
	old = __atomic_load_n(&s->tbl, __ATOMIC_ACQUIRE);
	/* as if the lock holder had read t->fw before this thread's store */
	__atomic_store_n(&t->fw, NULL, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&asked, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&s->tbl, __ATOMIC_ACQUIRE) == old)
		sched_yield();
	lock_missed++;
	__atomic_store_n(&t->fw, s, __ATOMIC_SEQ_CST);
}

/* each time told to: insert new keys until the shard has another table */
static void *grower_main(void *arg)
{
	uint64_t *next = arg, v = 7;
	int done = 0;

	while (!__atomic_load_n(&quit, __ATOMIC_ACQUIRE)) {
		struct safemap_tbl *old;

		if (__atomic_load_n(&asked, __ATOMIC_ACQUIRE) == done) {
			sched_yield();
			continue;
		}
		done++;
		old = __atomic_load_n(&M->shards[0].tbl, __ATOMIC_ACQUIRE);
		while (__atomic_load_n(&M->shards[0].tbl, __ATOMIC_ACQUIRE) == old) {
			uint64_t k = GROWER_BASE + (*next)++;

			ck_assert_int_eq(safemap_put(M, &k, &v, SAFEMAP_NOEXIST), 0);
		}
		__atomic_store_n(&finished, done, __ATOMIC_RELEASE);
	}
	return NULL;
}

START_TEST(test_resize_missed_by_the_lock_holder)
{
	uint64_t grown = 0, k, v, got;
	pthread_t grower;
	int round;

	M = tu_map(8, 8, 1, 0);
	ck_assert(M->shards[0].fast);
	tu_fill(M, 1000); /* a table past the limbo's size: freed at once */
	safemap__race_hook = hook;
	ck_assert_int_eq(pthread_create(&grower, NULL, grower_main, &grown), 0);
	hooked = 1;
	for (round = 0; round < ROUNDS; round++) {
		/* the grower's last put may still wait for a grace period: the
		 * hook, inside this thread's epoch section, must not wait for
		 * the grower then (a deadlock of the test, not of the map) */
		while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) != round)
			sched_yield();
		k = 1000 + (uint64_t)round;
		v = k * 3 + 1;
		__atomic_store_n(&fired, 0, __ATOMIC_RELAXED);
		ck_assert_int_eq(safemap_put(M, &k, &v, SAFEMAP_ANY), 0);
		ck_assert_int_eq(__atomic_load_n(&fired, __ATOMIC_RELAXED), 1);
		got = 0;
		ck_assert_msg(safemap_get(M, &k, &got) == 0 && got == v,
			      "round %d: the write of key %llu was lost (got %llu)", round,
			      (unsigned long long)k, (unsigned long long)got);
	}
	hooked = 0;
	__atomic_store_n(&quit, 1, __ATOMIC_RELEASE);
	pthread_join(grower, NULL);
	safemap__race_hook = NULL;
	for (k = 0; k < 1000 + ROUNDS; k++) {
		got = 0;
		ck_assert_int_eq(safemap_get(M, &k, &got), 0);
		ck_assert_uint_eq(got, k * 3 + 1);
	}
	ck_assert_uint_eq(safemap_count(M), 1000 + ROUNDS + grown);
	fprintf(stderr, "gwrite_race: %d rounds, %ld resizes missed by the lock holder, "
			"%llu keys of the grower\n",
		ROUNDS, lock_missed, (unsigned long long)grown);
	ck_assert_int_eq(lock_missed, ROUNDS);
	safemap_destroy(M);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gwrite_race");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_resize_missed_by_the_lock_holder);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
