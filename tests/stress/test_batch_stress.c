/* SPDX-License-Identifier: BSD-2-Clause */
/* Batches from several threads against single-call writers and a batch
 * reader. Two threads write their own keys with put_batch/delete_batch
 * (random batches with duplicates), one with single calls; each keeps a
 * model of its keys and checks it with get_batch (exact values, exact
 * results). A reader get_batch'es every range and checks that no value is
 * torn. At the end the map's count is the sum of the models. Duration:
 * $SAFEMAP_STRESS_SECONDS. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../testutil.h"

#define THREADS 3 /* 0, 1: batches; 2: single calls */
#define KEYS 4000u
#define BATCH 64

struct val {
	uint64_t key, version, check;
};

static struct val make(uint64_t key, uint64_t version)
{
	return (struct val){ key, version, key * 0x9e3779b97f4a7c15ull ^ version };
}

static bool sound(const struct val *v, uint64_t key)
{
	return v->key == key && v->check == (key * 0x9e3779b97f4a7c15ull ^ v->version);
}

struct shared {
	struct safemap *m;
	double until;
	int writers_done;
	uint64_t bad, ops[THREADS + 1];
	size_t present[THREADS];
};

#define BAD(s) __atomic_add_fetch(&(s)->bad, 1, __ATOMIC_RELAXED)

struct worker {
	struct shared *s;
	unsigned id;
	uint64_t next;          /* the next version to store */
	uint64_t version[KEYS]; /* 0 = absent */
};

static void do_batch(struct worker *w, uint64_t *seed)
{
	struct shared *s = w->s;
	uint64_t keys[BATCH], base = (uint64_t)w->id * KEYS;
	struct val vals[BATCH], got[BATCH];
	int res[BATCH], want[BATCH], n = 1 + (int)(tu_next(seed) % BATCH), i, ok = 0, r;
	bool del = tu_next(seed) % 3 == 0, single = w->id == THREADS - 1;

	for (i = 0; i < n; i++) {
		uint64_t k = tu_next(seed) % KEYS;

		keys[i] = base + k;
		if (del) {
			want[i] = w->version[k] ? 0 : -ENOENT;
			w->version[k] = 0;
		} else {
			uint64_t v = ++w->next; /* never 0 */

			vals[i] = make(keys[i], v);
			want[i] = 0;
			w->version[k] = v;
		}
		ok += want[i] == 0;
	}
	if (single)
		for (i = 0, r = 0; i < n; i++)
			r += (res[i] = del ? safemap_delete(s->m, &keys[i])
					   : safemap_put(s->m, &keys[i], &vals[i], SAFEMAP_ANY)) == 0;
	else
		r = del ? safemap_delete_batch(s->m, keys, (size_t)n, res)
			: safemap_put_batch(s->m, keys, vals, (size_t)n, SAFEMAP_ANY, res);
	if (r != ok || memcmp(res, want, (size_t)n * sizeof(int)))
		BAD(s);
	/* read back what the model says, in one batch */
	for (i = 0; i < n; i++)
		keys[i] = base + tu_next(seed) % KEYS;
	r = safemap_get_batch(s->m, keys, got, (size_t)n, res);
	for (i = 0; i < n; i++) {
		uint64_t ver = w->version[keys[i] - base];

		if (ver ? res[i] != 0 || !sound(&got[i], keys[i]) || got[i].version != ver
			: res[i] != -ENOENT)
			BAD(s);
	}
	__atomic_add_fetch(&s->ops[w->id + 1], (uint64_t)n * 2, __ATOMIC_RELAXED);
}

static void *writer(void *arg)
{
	struct worker *w = arg;
	uint64_t seed = w->id * 7919 + 1, k;

	w->next = (uint64_t)w->id << 40;
	while (tu_now() < w->s->until)
		do_batch(w, &seed);
	for (k = 0; k < KEYS; k++)
		w->s->present[w->id] += w->version[k] != 0;
	__atomic_add_fetch(&w->s->writers_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *reader(void *arg)
{
	struct shared *s = arg;
	uint64_t keys[BATCH], seed = 99;
	struct val got[BATCH];
	int res[BATCH], i;

	while (__atomic_load_n(&s->writers_done, __ATOMIC_ACQUIRE) < THREADS) {
		for (i = 0; i < BATCH; i++)
			keys[i] = tu_next(&seed) % (THREADS * KEYS);
		safemap_get_batch(s->m, keys, got, BATCH, res);
		for (i = 0; i < BATCH; i++)
			if (res[i] == 0 ? !sound(&got[i], keys[i]) : res[i] != -ENOENT)
				BAD(s);
		__atomic_add_fetch(&s->ops[0], BATCH, __ATOMIC_RELAXED);
	}
	return NULL;
}

START_TEST(batches_against_singles)
{
	static struct worker w[THREADS];
	struct shared s = { 0 };
	pthread_t t[THREADS + 1];
	size_t want = 0;
	int i;

	s.m = tu_map(8, sizeof(struct val), 8, 0);
	s.until = tu_now() + tu_stress_seconds(3);
	for (i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].s = &s;
		w[i].id = (unsigned)i;
		pthread_create(&t[i], NULL, writer, &w[i]);
	}
	pthread_create(&t[THREADS], NULL, reader, &s);
	for (i = 0; i <= THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < THREADS; i++)
		want += s.present[i];
	printf("batch stress: %llu + %llu batched ops, %llu single ops, %llu reads by the batch reader\n",
	       (unsigned long long)s.ops[1], (unsigned long long)s.ops[2],
	       (unsigned long long)s.ops[3], (unsigned long long)s.ops[0]);
	ck_assert_uint_eq(s.bad, 0);
	ck_assert_uint_eq(safemap_count(s.m), want);
	safemap_destroy(s.m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("batch_stress");
	TCase *tc = tcase_create("batch_stress");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, batches_against_singles);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
