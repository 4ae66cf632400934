/* SPDX-License-Identifier: BSD-2-Clause */
/* The shard lock (lib/map/lock.h) on its own: writers exclude everyone,
 * readers share, optimistic readers never accept a read that overlapped a
 * writer, waiting threads sleep and are woken (readers hold the lock long
 * enough that writers give up spinning), writers are not starved by a
 * stream of readers. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../testutil.h"
#include "../../lib/map/lock.h"

/* Two words a writer changes one after the other: a reader that sees them
 * differ saw the middle of a write. Relaxed atomics so that optimistic
 * readers (which do race, by design) stay well-defined. */
static struct safemap_lock lk;
static uint64_t a, b;
static int writers_inside, readers_inside, max_readers;
static long errors, writes, reads, optimistic_ok, optimistic_retry;
static double until;

static void nap(long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
}

static void *writer(void *arg)
{
	long n = 0;

	(void)arg;
	while (n % 64 || tu_now() < until) {
		safemap__lock_wr(&lk);
		if (__atomic_fetch_add(&writers_inside, 1, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&readers_inside, __ATOMIC_RELAXED))
			__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&a, a + 1, __ATOMIC_RELAXED);
		if (n % 16 == 0)
			nap(1000); /* a long write: waiters spin out and sleep */
		__atomic_store_n(&b, b + 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&writers_inside, 1, __ATOMIC_RELAXED);
		safemap__lock_wrunlock(&lk);
		n++;
	}
	__atomic_fetch_add(&writes, n, __ATOMIC_RELAXED);
	return NULL;
}

static void *reader(void *arg)
{
	long n = 0;

	(void)arg;
	while (n % 64 || tu_now() < until) {
		int inside;

		safemap__lock_rd(&lk);
		inside = __atomic_add_fetch(&readers_inside, 1, __ATOMIC_RELAXED);
		if (inside > __atomic_load_n(&max_readers, __ATOMIC_RELAXED))
			__atomic_store_n(&max_readers, inside, __ATOMIC_RELAXED);
		if (__atomic_load_n(&writers_inside, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&a, __ATOMIC_RELAXED) != __atomic_load_n(&b, __ATOMIC_RELAXED))
			__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
		if (n % 8 == 0)
			nap(20000); /* hold it: writers wait, then sleep */
		__atomic_fetch_sub(&readers_inside, 1, __ATOMIC_RELAXED);
		safemap__lock_rdunlock(&lk);
		n++;
	}
	__atomic_fetch_add(&reads, n, __ATOMIC_RELAXED);
	return NULL;
}

static void *optimist(void *arg)
{
	long ok = 0, retry = 0;

	(void)arg;
	while ((ok + retry) % 256 || tu_now() < until) {
		uint64_t v = safemap__lock_read_begin(&lk), x, y;

		if (v & SAFEMAP_LOCK_W) {
			retry++;
			continue;
		}
		x = __atomic_load_n(&b, __ATOMIC_RELAXED); /* b first: a write bumps a first */
		y = __atomic_load_n(&a, __ATOMIC_RELAXED);
		if (!safemap__lock_read_valid(&lk, v)) {
			retry++;
			continue;
		}
		ok++;
		if (x != y)
			__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&optimistic_ok, ok, __ATOMIC_RELAXED);
	__atomic_fetch_add(&optimistic_retry, retry, __ATOMIC_RELAXED);
	return NULL;
}

START_TEST(readers_writers_optimists)
{
	pthread_t t[7];
	int i;

	until = tu_now() + tu_stress_seconds(2.0) * (tu_scale() < 1 ? 0.5 : 1);
	for (i = 0; i < 7; i++)
		pthread_create(&t[i], NULL, i < 2 ? writer : i < 5 ? reader : optimist, NULL);
	for (i = 0; i < 7; i++)
		pthread_join(t[i], NULL);
	fprintf(stderr, "lock: %ld writes, %ld reads (up to %d at once), %ld optimistic reads "
		"kept, %ld retried, %ld errors\n", writes, reads, max_readers, optimistic_ok,
		optimistic_retry, errors);
	ck_assert_int_eq(errors, 0);
	ck_assert_int_gt(writes, 100); /* writers got through the readers */
	ck_assert_int_gt(reads, 100);
	ck_assert_int_gt(max_readers, 1); /* readers do share */
	ck_assert_int_gt(optimistic_ok, 0);
	ck_assert_uint_eq(a, b);
	ck_assert_uint_eq(a, (uint64_t)writes);
	/* at rest: free, no one waiting or sleeping, version = writes */
	ck_assert_uint_eq(lk.word, (uint64_t)writes << 32);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lock");
	TCase *tc = tcase_create("shard-lock");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, readers_writers_optimists);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
