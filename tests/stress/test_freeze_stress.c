/* SPDX-License-Identifier: BSD-2-Clause */
/* Freeze against writes in progress, with real threads (issue 13 items 2, 3):
 * - second_freeze_waits: an update is in progress (its callback sleeps with
 *   the shard's write lock held); a first freeze waits for it; a second
 *   freeze, called once the first has set the flag, must not return before
 *   the update's write is done: when it returns, a get sees the updated
 *   value (before: the second freeze returned 0 at once, the get saw the old
 *   value and the write landed about 200 ms later);
 * - clear_vs_freeze_mid: a freeze called while a clear is half-way through
 *   (its finalizer signals at the 1000th of 4096 values): the clear is all or
 *   nothing, here all (before: -EPERM with about 3,000 of 4,096 left);
 * - clear_vs_freeze_race: rounds of one clear racing one freeze started after
 *   a random delay: every round either clear returned 0 and the map is empty
 *   with every value finalized, or it returned -EPERM and nothing was removed;
 *   and when freeze returned, no clear was still removing entries.
 * Sizes scale with $SAFEMAP_TEST_SCALE. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../testutil.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* ---- item 2 */

struct slow {
	struct safemap *m;
	int in_cb, cb_done, update_ret;
	double done_at;  /* when the update returned */
};

static int slow_store(const void *key, void *value, bool present, void *ctx)
{
	struct slow *s = ctx;

	(void)key;
	(void)present;
	__atomic_store_n(&s->in_cb, 1, __ATOMIC_RELEASE);
	sleep_ms(200);
	*(uint64_t *)value = 2;
	__atomic_store_n(&s->cb_done, 1, __ATOMIC_RELEASE);
	return SAFEMAP_UPDATE_STORE;
}

static void *updater(void *arg)
{
	struct slow *s = arg;
	uint64_t k = 1;
	double now;

	s->update_ret = safemap_update(s->m, &k, slow_store, s, SAFEMAP_ANY);
	now = tu_now();
	__atomic_store(&s->done_at, &now, __ATOMIC_RELEASE);
	return NULL;
}

static void *freezer(void *arg)
{
	return (void *)(intptr_t)safemap_freeze(arg);
}

START_TEST(second_freeze_waits)
{
	int round, rounds = 3;

	for (round = 0; round < rounds; round++) {
		struct safemap *m = tu_map(8, 8, 16, 0);
		struct slow s = { .m = m };
		pthread_t u, f;
		uint64_t k = 1, v = 1;
		void *fret;
		double called, returned, done;

		ck_assert_int_eq(safemap_put(m, &k, &v, SAFEMAP_ANY), 0);
		ck_assert_int_eq(pthread_create(&u, NULL, updater, &s), 0);
		while (!__atomic_load_n(&s.in_cb, __ATOMIC_ACQUIRE))
			sleep_ms(1);
		ck_assert_int_eq(pthread_create(&f, NULL, freezer, m), 0);
		while (!safemap_is_frozen(m)) /* the first freeze has begun */
			sleep_ms(1);
		called = tu_now();
		ck_assert_int_eq(safemap_freeze(m), 0);
		returned = tu_now();
		/* the guarantee, for this caller too: the write in progress is done
		 * (a get would not show it: it waits for the writer itself) */
		__atomic_load(&s.done_at, &done, __ATOMIC_ACQUIRE);
		ck_assert_msg(__atomic_load_n(&s.cb_done, __ATOMIC_ACQUIRE),
			      "round %d: the second freeze returned after %.1f ms while a write was in "
			      "progress (its callback still running)", round, (returned - called) * 1e3);
		ck_assert_int_eq(safemap_get(m, &k, &v), 0);
		ck_assert_uint_eq(v, 2);
		ck_assert_int_eq(safemap_put(m, &k, &v, SAFEMAP_ANY), -EPERM);
		ck_assert_int_eq(pthread_join(u, NULL), 0);
		ck_assert_int_eq(pthread_join(f, &fret), 0);
		ck_assert_int_eq((int)(intptr_t)fret, 0);
		ck_assert_int_eq(s.update_ret, 0);
		if (round == 0)
			printf("second freeze: waited %.1f ms for the update in progress (its callback "
			       "sleeps 200 ms; the update %s when it returned)\n",
			       (returned - called) * 1e3, done ? "had returned" : "was unlocking");
		safemap_destroy(m);
	}
}
END_TEST

/* ---- item 3 */

#define CLEAR_KEYS 4096

struct clearing {
	struct safemap *m;
	long finalized, signal_at;
	int signalled, clear_ret;
	double delay_s;
	size_t count_at_freeze;  /* entries when freeze returned */
	long finalized_at_freeze;
	int freeze_ret;
};

static void count_fin(void *key, void *value, void *ctx)
{
	struct clearing *c = ctx;
	long n = __atomic_add_fetch(&c->finalized, 1, __ATOMIC_RELAXED);
	volatile int spin;

	(void)key;
	(void)value;
	for (spin = 0; spin < 200; spin++) /* a clear takes a while: room to race */
		;
	if (n == c->signal_at) {
		/* half-way through: let the freezer go, and give it time to set
		 * the flag before the clear reaches the next shard */
		__atomic_store_n(&c->signalled, 1, __ATOMIC_RELEASE);
		sleep_ms(50);
	}
}

static struct safemap *clear_map(struct clearing *c)
{
	SAFEMAP_OPTS(safemap_type, t, .finalize = count_fin, .finalize_ctx = c);
	SAFEMAP_OPTS(safemap_opts, o, .name = "clearfreeze", .key_size = 8, .value_size = 8,
		     .shards = 64, .type = &t);
	struct safemap *m = NULL;
	uint64_t k;

	ck_assert_int_eq(safemap_create(&o, &m), 0);
	for (k = 0; k < CLEAR_KEYS; k++)
		ck_assert_int_eq(safemap_put(m, &k, &k, SAFEMAP_NOEXIST), 0);
	c->m = m;
	return m;
}

static void *clearer(void *arg)
{
	struct clearing *c = arg;

	c->clear_ret = safemap_clear(c->m);
	return NULL;
}

static void *freeze_when_signalled(void *arg)
{
	struct clearing *c = arg;
	double t0 = tu_now();

	if (c->signal_at)
		while (!__atomic_load_n(&c->signalled, __ATOMIC_ACQUIRE))
			sleep_ms(1);
	while (tu_now() - t0 < c->delay_s)
		;
	c->freeze_ret = safemap_freeze(c->m);
	c->count_at_freeze = safemap_count(c->m);
	c->finalized_at_freeze = __atomic_load_n(&c->finalized, __ATOMIC_RELAXED);
	return NULL;
}

START_TEST(clear_vs_freeze_mid)
{
	struct clearing c = { .signal_at = 1000 };
	struct safemap *m = clear_map(&c);
	pthread_t a, b;

	ck_assert_int_eq(pthread_create(&a, NULL, clearer, &c), 0);
	ck_assert_int_eq(pthread_create(&b, NULL, freeze_when_signalled, &c), 0);
	ck_assert_int_eq(pthread_join(a, NULL), 0);
	ck_assert_int_eq(pthread_join(b, NULL), 0);
	printf("clear interrupted by freeze: clear returned %d, %zu of %d entries left, %ld finalized\n",
	       c.clear_ret, safemap_count(m), CLEAR_KEYS, c.finalized);
	ck_assert_int_eq(c.freeze_ret, 0);
	ck_assert_msg(c.clear_ret == 0, "clear returned %d after removing %ld of %d entries",
		      c.clear_ret, c.finalized, CLEAR_KEYS);
	ck_assert_uint_eq(safemap_count(m), 0);
	ck_assert_int_eq(c.finalized, CLEAR_KEYS);
	/* the freeze returned only after the clear was done */
	ck_assert_uint_eq(c.count_at_freeze, 0);
	ck_assert_int_eq(c.finalized_at_freeze, CLEAR_KEYS);
	ck_assert(safemap_is_frozen(m));
	ck_assert_int_eq(safemap_clear(m), -EPERM);
	safemap_destroy(m);
}
END_TEST

START_TEST(clear_vs_freeze_race)
{
	int rounds = (int)(60 * tu_scale()) + 5, round, all = 0, none = 0;
	uint64_t seed = 42;

	double t, clear_s;
	struct clearing c0 = { 0 };
	struct safemap *m0 = clear_map(&c0);

	/* how long one clear takes here: the freezes start at random moments
	 * from 0 to 1.5 times that after the clear (thread start included) */
	t = tu_now();
	ck_assert_int_eq(safemap_clear(m0), 0);
	clear_s = tu_now() - t;
	safemap_destroy(m0);
	for (round = 0; round < rounds; round++) {
		struct clearing c = { .delay_s = clear_s * (double)(tu_next(&seed) % 1500) / 1000 };
		struct safemap *m = clear_map(&c);
		pthread_t a, b;
		size_t left;

		if (round % 4 == 3) { /* sometimes the freeze goes first */
			ck_assert_int_eq(pthread_create(&b, NULL, freeze_when_signalled, &c), 0);
			ck_assert_int_eq(pthread_create(&a, NULL, clearer, &c), 0);
		} else {
			ck_assert_int_eq(pthread_create(&a, NULL, clearer, &c), 0);
			ck_assert_int_eq(pthread_create(&b, NULL, freeze_when_signalled, &c), 0);
		}
		ck_assert_int_eq(pthread_join(a, NULL), 0);
		ck_assert_int_eq(pthread_join(b, NULL), 0);
		left = safemap_count(m);
		ck_assert_int_eq(c.freeze_ret, 0);
		if (c.clear_ret == 0) {
			ck_assert_uint_eq(left, 0);
			ck_assert_int_eq(c.finalized, CLEAR_KEYS);
			all++;
		} else {
			ck_assert_msg(c.clear_ret == -EPERM && left == CLEAR_KEYS && c.finalized == 0,
				      "round %d: clear returned %d and left %zu of %d entries",
				      round, c.clear_ret, left, CLEAR_KEYS);
			none++;
		}
		/* when freeze returned, the clear had not left anything half-done */
		ck_assert(c.count_at_freeze == 0 || c.count_at_freeze == CLEAR_KEYS);
		safemap_destroy(m);
	}
	printf("clear vs freeze: one clear %.2f ms; %d rounds, %d cleared everything, %d refused "
	       "before removing anything\n", clear_s * 1e3, rounds, all, none);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("freeze_stress");
	TCase *tc = tcase_create("freeze_stress");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, second_freeze_waits);
	tcase_add_test(tc, clear_vs_freeze_mid);
	tcase_add_test(tc, clear_vs_freeze_race);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
