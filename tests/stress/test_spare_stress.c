/* SPDX-License-Identifier: BSD-2-Clause */
/* Stress aimed at spare tables (lib/map/table.c): a writer that unlocks a
 * shard near its growth makes the next table with no lock held and
 * installs it with a compare-and-swap, while other writers grow the shard
 * (taking the spare, or freeing one of the wrong size), shrink it or clear
 * it (freeing it) under the shard's lock.
 *
 * WRITERS threads share a map of two shards. Each round every writer
 * inserts its own keys (k % WRITERS == id) up to a size that crosses
 * several growths past 256 groups, checks that each one is there with its
 * value, deletes most of them (the tables shrink) and checks again; one
 * round in four ends with a clear by writer 0 while the others insert.
 * A monitor thread counts how often it sees a spare installed, so that
 * the test fails if the path it is about never ran. Invariants: every
 * insert of an absent key succeeds and every key a writer holds is found
 * with its value, the count at the end of each phase is exact, and at
 * the end the map holds exactly the writers' models (ASan and
 * ThreadSanitizer watch the spare's hand-offs). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "../testutil.h"
#include "../../lib/map/map_internal.h"

#define WRITERS 3
#define ROUNDS 6

static struct safemap *M;
static pthread_barrier_t B;
static uint64_t per_writer;
static long errors, spares_seen;
static int done;

static void bad(const char *what, uint64_t k, int r)
{
	if (__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED) < 5)
		fprintf(stderr, "spare stress: %s: key %llu: %d\n", what, (unsigned long long)k, r);
}

static uint64_t key_of(int id, uint64_t i) { return i * WRITERS + (uint64_t)id; }

/* insert keys [from, to) of writer @p id, all absent */
static void insert_range(int id, uint64_t from, uint64_t to)
{
	uint64_t i, k, v;
	int r;

	for (i = from; i < to; i++) {
		k = key_of(id, i);
		v = k * 7 + 1;
		if ((r = safemap_put(M, &k, &v, SAFEMAP_NOEXIST)))
			bad("insert", k, r);
	}
}

/* keys [0, held) of writer @p id are there with their values, [held, n) not */
static void check_range(int id, uint64_t held, uint64_t n)
{
	uint64_t i, k, v;
	int r;

	for (i = 0; i < n; i++) {
		k = key_of(id, i);
		r = safemap_get(M, &k, &v);
		if (i < held && (r || v != k * 7 + 1))
			bad("lost", k, r);
		else if (i >= held && r != -ENOENT)
			bad("still there", k, r);
	}
}

static void *writer_main(void *arg)
{
	int id = (int)(intptr_t)arg, round;
	uint64_t i, k, keep = per_writer / 16;
	int r;

	for (round = 0; round < ROUNDS; round++) {
		insert_range(id, 0, per_writer);
		check_range(id, per_writer, per_writer);
		pthread_barrier_wait(&B);
		if (id == 0 && safemap_count(M) != per_writer * WRITERS)
			bad("count after inserts", safemap_count(M), 0);
		pthread_barrier_wait(&B);
		for (i = keep; i < per_writer; i++) {
			k = key_of(id, i);
			if ((r = safemap_delete(M, &k)))
				bad("delete", k, r);
		}
		check_range(id, keep, per_writer);
		pthread_barrier_wait(&B);
		if (id == 0 && safemap_count(M) != keep * WRITERS)
			bad("count after deletes", safemap_count(M), 0);
		pthread_barrier_wait(&B);
		if (round % 4 == 3) {
			/* a clear while the others grow their keys back: after it,
			 * each writer's keys are those it inserted since */
			if (id == 0) {
				safemap_clear(M);
			} else {
				insert_range(id, keep, per_writer / 2);
			}
			pthread_barrier_wait(&B);
			if (id != 0) {
				for (i = 0; i < per_writer / 2; i++) {
					k = key_of(id, i);
					(void)safemap_delete(M, &k);
				}
			}
			pthread_barrier_wait(&B);
			if (id == 0 && safemap_count(M) != 0)
				bad("count after clear", safemap_count(M), 0);
			pthread_barrier_wait(&B);
			continue;
		}
		for (i = 0; i < keep; i++) { /* empty again for the next round */
			k = key_of(id, i);
			if ((r = safemap_delete(M, &k)))
				bad("delete kept", k, r);
		}
		pthread_barrier_wait(&B);
	}
	return NULL;
}

static void *monitor_main(void *arg)
{
	unsigned i;

	(void)arg;
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
		for (i = 0; i <= M->shard_mask; i++)
			if (__atomic_load_n(&M->shards[i].spare, __ATOMIC_ACQUIRE))
				spares_seen++;
		sched_yield();
	}
	return NULL;
}

START_TEST(spares_under_writers)
{
	pthread_t w[WRITERS], mon;
	int i;

	/* two shards: 200k keys take each one past 3888 groups */
	per_writer = (uint64_t)(65000 * tu_scale()) + 20000;
	M = tu_map(8, 8, 2, 0);
	ck_assert(M->shards[0].fast);
	pthread_barrier_init(&B, NULL, WRITERS);
	ck_assert_int_eq(pthread_create(&mon, NULL, monitor_main, NULL), 0);
	for (i = 0; i < WRITERS; i++)
		ck_assert_int_eq(pthread_create(&w[i], NULL, writer_main, (void *)(intptr_t)i), 0);
	for (i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	pthread_join(mon, NULL);
	pthread_barrier_destroy(&B);
	ck_assert_int_eq(errors, 0);
	ck_assert_uint_eq(safemap_count(M), 0);
	ck_assert_msg(spares_seen > 0, "no spare table was ever installed");
	fprintf(stderr, "spare stress: %llu keys a writer, %d rounds, spares seen %ld times\n",
		(unsigned long long)per_writer, ROUNDS, spares_seen);
	safemap_destroy(M);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spare_stress");
	TCase *tc = tcase_create("spare");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, spares_under_writers);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
