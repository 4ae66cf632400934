/* SPDX-License-Identifier: BSD-2-Clause */
/* Operation counters are exact: gets and writes are counted in per-thread
 * slots of the map (no shared line on the hot path), threads beyond the
 * slots count in the shards, slots are reused after a thread exits. Links
 * the static library to read the internal sum, safemap__stats_ops(). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../testutil.h"

uint64_t safemap__stats_ops(struct safemap *m, enum safemap_op op); /* lib/map/stats.c */

#define GETS 300
#define PUTS 40
#define DELS 10

struct ctx {
	struct safemap *m;
	pthread_barrier_t *all_alive;
	uint64_t base;
};

static void *worker(void *arg)
{
	struct ctx *c = arg;
	uint64_t k, v = 1;
	int i;

	/* every thread alive at once: more threads than slots */
	if (c->all_alive)
		pthread_barrier_wait(c->all_alive);
	for (i = 0; i < PUTS; i++) {
		k = c->base + (uint64_t)i;
		ck_assert_int_eq(safemap_put(c->m, &k, &v, SAFEMAP_ANY), 0);
	}
	for (i = 0; i < GETS; i++) {
		k = c->base + (uint64_t)(i % (PUTS * 2)); /* half hit, half miss */
		safemap_get(c->m, &k, &v);
	}
	for (i = 0; i < DELS; i++) {
		k = c->base + (uint64_t)i;
		ck_assert_int_eq(safemap_delete(c->m, &k), 0);
	}
	return NULL;
}

static void run_threads(struct safemap *m, int n, bool together, uint64_t base)
{
	pthread_t t[160];
	struct ctx c[160];
	pthread_barrier_t b;
	int i;

	pthread_barrier_init(&b, NULL, (unsigned)n);
	for (i = 0; i < n; i++) {
		c[i] = (struct ctx){ .m = m, .all_alive = together ? &b : NULL,
				     .base = base + (uint64_t)i * 1000 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &c[i]), 0);
		if (!together)
			pthread_join(t[i], NULL);
	}
	if (together)
		for (i = 0; i < n; i++)
			pthread_join(t[i], NULL);
	pthread_barrier_destroy(&b);
}

START_TEST(counts_exact_beyond_slots)
{
	struct safemap *m = tu_map(8, 8, 8, 0);
	const int n = 150; /* more than SAFEMAP_TSLOTS (64) alive at once */

	run_threads(m, n, true, 0);
	ck_assert_uint_eq(safemap__stats_ops(m, SAFEMAP_OP_GET), (uint64_t)n * GETS);
	ck_assert_uint_eq(safemap__stats_ops(m, SAFEMAP_OP_PUT), (uint64_t)n * PUTS);
	ck_assert_uint_eq(safemap__stats_ops(m, SAFEMAP_OP_DELETE), (uint64_t)n * DELS);
	ck_assert_uint_eq(safemap_count(m), (uint64_t)n * (PUTS - DELS));
	safemap_destroy(m);
}
END_TEST

START_TEST(slots_reused_after_exit)
{
	struct safemap *m = tu_map(8, 8, 4, 0);
	uint64_t k = 1, v;
	int round;

	/* 3 x 100 short-lived threads, one after another: slot numbers come
	 * back and their counts keep adding up */
	for (round = 0; round < 3; round++)
		run_threads(m, 100, false, (uint64_t)round * 1000000);
	safemap_get(m, &k, &v); /* and this thread */
	ck_assert_uint_eq(safemap__stats_ops(m, SAFEMAP_OP_GET), 300ull * GETS + 1);
	ck_assert_uint_eq(safemap__stats_ops(m, SAFEMAP_OP_PUT), 300ull * PUTS);
	safemap_destroy(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("counters");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, counts_exact_beyond_slots);
	tcase_add_test(tc, slots_reused_after_exit);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
