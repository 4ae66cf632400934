/* SPDX-License-Identifier: BSD-2-Clause */
/* References taken and dropped from inside foreach callbacks while other
 * threads delete and replace the referenced values (issue 13 item 1, with
 * threads): walker threads take a reference to an entry they visit now and
 * then and drop held ones from later callbacks (sometimes from a nested
 * walk), so last references of retired values are dropped in the shard a
 * walk holds, in shards an outer walk holds and in shards nobody holds;
 * writer threads replace and delete the keys with fresh ids.
 * Invariants: no deadlock (the Check timeout); a referenced value keeps its
 * bytes and is not finalized before its last reference goes; at the end,
 * every value ever stored was finalized exactly once; the map's memory stays
 * bounded (deferred entries are really freed and reused: allocations after
 * the warm-up stay few).
 * Duration: $SAFEMAP_STRESS_SECONDS (default 2 s). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../testutil.h"

#define KEYS 256
#define WALKERS 2
#define WRITERS 2
#define HOLD 16
#define MAX_IDS (1u << 22)

struct val {
	uint64_t id, check;
};

static uint8_t *fin_count; /* per id */
static uint64_t next_id = 1, overflow;
static int stop;
static long mallocs;

static uint64_t check_of(uint64_t id)
{
	uint64_t s = id;

	return tu_next(&s);
}

static void fin(void *key, void *value, void *ctx)
{
	struct val *v = value;

	(void)key;
	(void)ctx;
	ck_assert_uint_eq(v->check, check_of(v->id));
	if (v->id < MAX_IDS)
		__atomic_fetch_add(&fin_count[v->id], 1, __ATOMIC_RELAXED);
	memset(v, 0xdd, sizeof(*v)); /* a holder reading it would see this */
}

static void *a_malloc(size_t size, void *ctx)
{
	(void)ctx;
	__atomic_fetch_add(&mallocs, 1, __ATOMIC_RELAXED);
	return malloc(size);
}

static void a_free(void *p, size_t size, void *ctx)
{
	(void)size;
	(void)ctx;
	free(p);
}

struct walker {
	struct safemap *m;
	struct safemap_ref ref[HOLD];
	uint64_t ref_id[HOLD];
	int n;
	uint64_t rng, taken, dropped, nested, deadlk;
	int depth;
};

static void drop_one(struct walker *w)
{
	int i = (int)(tu_next(&w->rng) % (uint64_t)w->n);
	const struct val *v = safemap_ref_value(&w->ref[i]);

	/* the bytes are the ones referenced, not finalized meanwhile */
	ck_assert_uint_eq(v->id, w->ref_id[i]);
	ck_assert_uint_eq(v->check, check_of(v->id));
	ck_assert_int_eq(__atomic_load_n(&fin_count[v->id], __ATOMIC_RELAXED), 0);
	safemap_ref_put(&w->ref[i]);
	w->ref[i] = w->ref[w->n - 1];
	w->ref_id[i] = w->ref_id[w->n - 1];
	w->n--;
	w->dropped++;
}

static int walk_cb(const void *key, const void *value, void *ctx)
{
	struct walker *w = ctx;
	uint64_t r = tu_next(&w->rng) % 100;

	(void)value;
	if (r < 10 && w->n < HOLD) {
		/* a reference to the entry being visited (its shard is held) */
		int err = safemap_get_ref(w->m, key, &w->ref[w->n]);

		ck_assert_msg(err == 0, "get_ref in a walk: %d", err);
		w->ref_id[w->n] = ((const struct val *)safemap_ref_value(&w->ref[w->n]))->id;
		w->n++;
		w->taken++;
	} else if (r < 25 && w->n) {
		drop_one(w);
	} else if (r == 25 && w->depth == 0) {
		int ret;

		w->depth++;
		w->nested++;
		ret = safemap_foreach(w->m, walk_cb, w);
		/* -EDEADLK: an earlier shard kept busy by waiting writers (the
		 * documented bounded wait of a nested walk) */
		ck_assert_msg(ret == 0 || ret == 1 || ret == -EDEADLK, "nested foreach: %d %s", ret,
			      safemap_last_error());
		w->deadlk += ret == -EDEADLK;
		w->depth--;
	}
	return __atomic_load_n(&stop, __ATOMIC_RELAXED) ? 1 : 0;
}

static void *walker_main(void *arg)
{
	struct walker *w = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		int ret = safemap_foreach(w->m, walk_cb, w);

		ck_assert_msg(ret == 0 || ret == 1 || ret == -EDEADLK, "foreach: %d %s", ret,
			      safemap_last_error());
	}
	while (w->n) /* outside any walk: the ordinary path */
		drop_one(w);
	return NULL;
}

struct writer {
	struct safemap *m;
	uint64_t rng;
};

static void *writer_main(void *arg)
{
	struct writer *wr = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		uint64_t k = tu_next(&wr->rng) % KEYS;
		uint64_t id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
		struct val v = { id, check_of(id) };

		if (id >= MAX_IDS) {
			__atomic_store_n(&overflow, 1, __ATOMIC_RELAXED);
			break;
		}
		if (tu_next(&wr->rng) % 4 == 0) {
			int err = safemap_delete(wr->m, &k);

			ck_assert(err == 0 || err == -ENOENT);
			/* the id was never stored: count it as finalized */
			__atomic_fetch_add(&fin_count[id], 1, __ATOMIC_RELAXED);
		} else {
			ck_assert_int_eq(safemap_put(wr->m, &k, &v, SAFEMAP_ANY), 0);
		}
	}
	return NULL;
}

START_TEST(walk_refs)
{
	static const struct safemap_alloc a = { .malloc = a_malloc, .free = a_free };
	SAFEMAP_OPTS(safemap_type, t, .finalize = fin);
	SAFEMAP_OPTS(safemap_opts, o, .name = "walkrefs", .key_size = 8,
		     .value_size = sizeof(struct val), .shards = 8, .type = &t, .alloc = &a);
	static struct walker w[WALKERS];
	struct writer wr[WRITERS];
	pthread_t wt[WALKERS], rt[WRITERS];
	struct safemap *m = NULL;
	double end = tu_now() + tu_stress_seconds(2), warmed;
	long warm = 0, bad = 0;
	uint64_t id, taken = 0, dropped = 0, nested = 0, deadlk = 0;
	int i;

	fin_count = calloc(MAX_IDS, 1);
	ck_assert_ptr_nonnull(fin_count);
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	for (i = 0; i < WALKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].m = m;
		w[i].rng = 100 + (uint64_t)i;
		ck_assert_int_eq(pthread_create(&wt[i], NULL, walker_main, &w[i]), 0);
	}
	for (i = 0; i < WRITERS; i++) {
		wr[i] = (struct writer){ .m = m, .rng = 200 + (uint64_t)i };
		ck_assert_int_eq(pthread_create(&rt[i], NULL, writer_main, &wr[i]), 0);
	}
	/* the node caches fill as the number of references held at once in a
	 * shard reaches new peaks, which takes a while (at half time some runs
	 * had made only 140 of their ~215 allocations): the last quarter */
	warmed = tu_now() + (end - tu_now()) * 3 / 4;
	while (tu_now() < end && !__atomic_load_n(&overflow, __ATOMIC_RELAXED)) {
		if (!warm && tu_now() >= warmed)
			warm = __atomic_load_n(&mallocs, __ATOMIC_RELAXED);
		usleep(10000);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < WALKERS; i++) {
		ck_assert_int_eq(pthread_join(wt[i], NULL), 0);
		taken += w[i].taken;
		dropped += w[i].dropped;
		nested += w[i].nested;
		deadlk += w[i].deadlk;
	}
	for (i = 0; i < WRITERS; i++)
		ck_assert_int_eq(pthread_join(rt[i], NULL), 0);
	/* memory: the last quarter allocated next to nothing (a leak of deferred
	 * entries would keep carving new chunks: one per 8..600 entries) */
	ck_assert_msg(__atomic_load_n(&mallocs, __ATOMIC_RELAXED) - warm <= 64,
		      "%ld allocations in the last quarter (after %ld)", mallocs - warm, warm);
	safemap_destroy(m);
	for (id = 1; id < next_id && id < MAX_IDS; id++)
		bad += fin_count[id] != 1;
	printf("walk refs: %llu values, %llu references taken in walks and %llu dropped (most in "
	       "walks), %llu nested walks (%llu gave up: -EDEADLK), %ld allocations\n",
	       (unsigned long long)(next_id - 1), (unsigned long long)taken,
	       (unsigned long long)dropped, (unsigned long long)nested,
	       (unsigned long long)deadlk, mallocs);
	ck_assert_msg(bad == 0, "%ld values not finalized exactly once", bad);
	ck_assert_uint_gt(taken, 0);
	free(fin_count);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("walk_refs_stress");
	TCase *tc = tcase_create("walk_refs_stress");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, walk_refs);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
