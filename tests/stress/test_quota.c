/* SPDX-License-Identifier: BSD-2-Clause */
/* max_entries under concurrent writers, with shard quotas (lib/map/ops.c:
 * shards reserve capacity in portions while the map is far from full).
 *
 * Phase 1: THREADS writers insert distinct keys until each one is refused
 * with -E2BIG (or has all its keys in): then the map holds exactly max_entries (no quota left
 * stranded in a shard, none exceeded). Phase 2: the writers delete and
 * reinsert their own keys at random (refusals allowed), many times across
 * the portion zone and the exact zone. Phase 3, quiet: one thread fills the
 * map until refused: exactly max_entries again, and the count agrees with
 * what the writers say they hold. A watermark event fires once per upward
 * crossing: never more often than the count can have risen to it. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../testutil.h"

#define THREADS 4
#define MAX 6000
#define PER 4000 /* keys per thread: together more than MAX */

struct shared {
	struct safemap *m;
	double until;
	long held[THREADS];
	long refused, watermarks, errors;
};

struct worker {
	struct shared *sh;
	int id;
	uint64_t rng;
	bool present[PER];
};

static void on_event(const struct safemap_event *ev, void *ctx)
{
	struct shared *sh = ctx;

	if (ev->reason == SAFEMAP_REASON_WATERMARK)
		__atomic_fetch_add(&sh->watermarks, 1, __ATOMIC_RELAXED);
}

static uint64_t key_of(int id, uint64_t i)
{
	return (uint64_t)id << 32 | i;
}

static void *fill(void *arg)
{
	struct worker *w = arg;
	uint64_t i, k, v = 1;
	int err = 0;

	for (i = 0; i < PER; i++) {
		k = key_of(w->id, i);
		err = safemap_put(w->sh->m, &k, &v, SAFEMAP_NOEXIST);
		if (err)
			break;
		w->present[i] = true;
		w->sh->held[w->id]++;
	}
	if (err && err != -E2BIG) /* all its keys in, or refused: full */
		__atomic_fetch_add(&w->sh->errors, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *churn(void *arg)
{
	struct worker *w = arg;
	uint64_t k, v = 2;
	long n = 0;

	while (n++ % 256 || tu_now() < w->sh->until) {
		uint64_t i = tu_next(&w->rng) % PER;
		int err;

		k = key_of(w->id, i);
		if (w->present[i]) {
			if (safemap_delete(w->sh->m, &k))
				__atomic_fetch_add(&w->sh->errors, 1, __ATOMIC_RELAXED);
			w->present[i] = false;
			w->sh->held[w->id]--;
			continue;
		}
		err = safemap_put(w->sh->m, &k, &v, SAFEMAP_NOEXIST);
		if (!err) {
			w->present[i] = true;
			w->sh->held[w->id]++;
		} else if (err == -E2BIG) {
			__atomic_fetch_add(&w->sh->refused, 1, __ATOMIC_RELAXED);
		} else {
			__atomic_fetch_add(&w->sh->errors, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void run_phase(struct worker *w, void *(*fn)(void *))
{
	pthread_t t[THREADS];
	int i;

	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, fn, &w[i]);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
}

static long held(const struct shared *sh)
{
	long n = 0;
	int i;

	for (i = 0; i < THREADS; i++)
		n += sh->held[i];
	return n;
}

START_TEST(bounded_with_quotas)
{
	static struct worker w[THREADS];
	struct shared sh = { 0 };
	SAFEMAP_OPTS(safemap_opts, o, .name = "quota", .key_size = 8, .value_size = 8,
		     .shards = 16, .max_entries = MAX, .event_fn = on_event, .event_ctx = &sh);
	uint64_t k, v = 3;
	int i, round;

	ck_assert_int_eq(safemap_create(&o, &sh.m), 0);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < THREADS; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i] = (struct worker){ .sh = &sh, .id = i, .rng = 77 + (uint64_t)i + round * 100u };
			sh.held[i] = 0;
		}
		ck_assert_int_eq(safemap_clear(sh.m), 0);
		run_phase(w, fill);
		ck_assert_int_eq(sh.errors, 0);
		ck_assert_uint_eq(safemap_count(sh.m), MAX);
		ck_assert_int_eq(held(&sh), MAX);
		sh.until = tu_now() + tu_stress_seconds(1.0) * tu_scale() + 0.2;
		run_phase(w, churn);
		ck_assert_int_eq(sh.errors, 0);
		ck_assert_uint_eq(safemap_count(sh.m), (size_t)held(&sh));
		/* quiet: exactly MAX fit */
		for (k = 1ull << 62; safemap_put(sh.m, &k, &v, SAFEMAP_NOEXIST) == 0; k++)
			;
		ck_assert_uint_eq(safemap_count(sh.m), MAX);
		fprintf(stderr, "quota: round %d: %ld held after churn, %llu more fit, %ld refusals, %ld watermark events\n",
			round, held(&sh), (unsigned long long)(k - (1ull << 62)), sh.refused,
			sh.watermarks);
		ck_assert_uint_eq(k - (1ull << 62), (uint64_t)(MAX - held(&sh)));
		while (--k >= 1ull << 62)
			ck_assert_int_eq(safemap_delete(sh.m, &k), 0);
	}
	ck_assert_int_gt(sh.watermarks, 0);
	safemap_destroy(sh.m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("quota");
	TCase *tc = tcase_create("quota");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, bounded_with_quotas);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
