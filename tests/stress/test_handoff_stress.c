/* SPDX-License-Identifier: BSD-2-Clause */
/* Refusals that a read settles (lib/map/table_impl.h: safemap__tbl_write88,
 * and ops.c's probe_unlocked) must see every write that finished before
 * the call began. Two passers hand keys to each other: for each key a
 * turn word (release/acquire) says whose it is. On its turn the passer
 * that finds the key absent checks that delete, an EXIST put and a get
 * refuse it, inserts it (NOEXIST), and checks that a second NOEXIST put is
 * refused; the other, finding it present, checks its value, that a
 * NOEXIST put is refused, replaces it (EXIST), reads the new value and
 * deletes it. Each check follows the other thread's last write in real
 * time, so a refusal read from a stale group or an old table fails it.
 * Meanwhile a churner fills and empties keys of its own in the same shard,
 * so that its table grows and shrinks under the passers; the test fails
 * if it never crossed a resize. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "../testutil.h"

#define NKEYS 64
#define PASSED (1ull << 62) /* the passers' keys, apart from the churner's */

static struct safemap *M;
static unsigned turn[NKEYS]; /* 0: passer 0's (the key absent), 1: passer 1's */
static long errors, handoffs, cycles;
static int stop;

static void bad(const char *what, uint64_t k, long got)
{
	if (__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED) < 5)
		fprintf(stderr, "handoff: %s: key %llx: %ld\n", what, (unsigned long long)k, got);
}

/* passer 0's turn: the key is absent */
static void insert_turn(uint64_t k, uint64_t round)
{
	uint64_t v = round, got = 1;
	int r;

	if ((r = safemap_delete(M, &k)) != -ENOENT)
		bad("delete of an absent key", k, r);
	if ((r = safemap_put(M, &k, &v, SAFEMAP_EXIST)) != -ENOENT)
		bad("EXIST put of an absent key", k, r);
	if ((r = safemap_get(M, &k, &got)) != -ENOENT || got)
		bad("get of an absent key", k, r);
	if ((r = safemap_put(M, &k, &v, SAFEMAP_NOEXIST)) != 0)
		bad("NOEXIST put of an absent key", k, r);
	if ((r = safemap_put(M, &k, &v, SAFEMAP_NOEXIST)) != -EEXIST)
		bad("second NOEXIST put", k, r);
}

/* passer 1's turn: the key holds @p round */
static void delete_turn(uint64_t k, uint64_t round)
{
	uint64_t v = round + 1, got = 0;
	int r;

	if ((r = safemap_get(M, &k, &got)) != 0 || got != round)
		bad("get of a present key", k, r ? r : (long)got);
	if ((r = safemap_put(M, &k, &v, SAFEMAP_NOEXIST)) != -EEXIST)
		bad("NOEXIST put of a present key", k, r);
	if ((r = safemap_put(M, &k, &v, SAFEMAP_EXIST)) != 0)
		bad("EXIST put of a present key", k, r);
	if ((r = safemap_get(M, &k, &got)) != 0 || got != round + 1)
		bad("get of the replaced value", k, r ? r : (long)got);
	if ((r = safemap_delete(M, &k)) != 0)
		bad("delete of a present key", k, r);
}

static void *passer_main(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg, i;
	uint64_t rounds[NKEYS] = { 0 };

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		for (i = 0; i < NKEYS; i++) {
			uint64_t k = PASSED | i;

			if (__atomic_load_n(&turn[i], __ATOMIC_ACQUIRE) != me)
				continue;
			if (me == 0)
				insert_turn(k, ++rounds[i] * 2);
			else
				delete_turn(k, ++rounds[i] * 2);
			__atomic_store_n(&turn[i], !me, __ATOMIC_RELEASE);
			__atomic_fetch_add(&handoffs, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/* fill 0..n-1 and empty them again: the shard's table grows past several
 * sizes and shrinks back, each cycle */
static void *churner_main(void *arg)
{
	uint64_t n = *(uint64_t *)arg, k, v = 5;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		for (k = 0; k < n; k++)
			if (safemap_put(M, &k, &v, SAFEMAP_NOEXIST))
				bad("churner insert", k, 0);
		for (k = 0; k < n; k++)
			if (safemap_delete(M, &k))
				bad("churner delete", k, 0);
		__atomic_fetch_add(&cycles, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void run(unsigned shards)
{
	uint64_t n = (uint64_t)(20000 * tu_scale()) + 2000;
	double until = tu_now() + tu_stress_seconds(2.0);
	pthread_t th[3];
	unsigned i;

	M = tu_map(8, 8, shards, 0);
	errors = handoffs = cycles = 0;
	stop = 0;
	for (i = 0; i < NKEYS; i++)
		turn[i] = 0;
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, passer_main, (void *)(uintptr_t)i), 0);
	ck_assert_int_eq(pthread_create(&th[2], NULL, churner_main, &n), 0);
	while (tu_now() < until || __atomic_load_n(&cycles, __ATOMIC_RELAXED) < 3)
		usleep(10000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	fprintf(stderr, "handoff: %u shard(s): %ld handoffs, %ld churn cycles of %llu keys, %ld errors\n",
		shards, handoffs, cycles, (unsigned long long)n, errors);
	ck_assert_int_eq(errors, 0);
	ck_assert_int_gt(handoffs, 1000);
	/* the passers' keys: each one present exactly when its turn is 1; the
	 * churner stopped after a cycle's deletes */
	for (i = 0, n = 0; i < NKEYS; i++) {
		uint64_t k = PASSED | i, got;

		ck_assert_int_eq(safemap_get(M, &k, &got), turn[i] ? 0 : -ENOENT);
		n += turn[i];
	}
	ck_assert_uint_eq(safemap_count(M), n);
	safemap_destroy(M);
}

START_TEST(one_shard)
{
	run(1);
}
END_TEST

START_TEST(default_shards)
{
	run(0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handoff_stress");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, one_shard);
	tcase_add_test(tc, default_shards);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
