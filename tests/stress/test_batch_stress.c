/* SPDX-License-Identifier: BSD-2-Clause */
/* Batches from several threads against single-call writers and a batch
 * reader. Two threads write their own keys with put_batch/delete_batch
 * (random batches with duplicates), one with single calls; each keeps a
 * model of its keys and checks it with get_batch (exact values, exact
 * results). A reader get_batch'es every range and checks that no value is
 * torn. At the end the map's count is the sum of the models.
 *
 * Batches across resizes: a map whose tables are large enough for the
 * batch calls' staged probes (lib/map/table_batch.h: they look at tables
 * without a lock, then prefetch), a grower that inserts 150k keys and
 * deletes them again, over and over (every shard's table grows through
 * several sizes and shrinks back: arrays are retired and freed under the
 * probes), and checkers whose batches of random sizes mix stable keys,
 * absent keys, the grower's keys and duplicates, spread over all shards.
 * Each get batch must return exactly what single gets of the same keys
 * return (stable: found with their value; absent: -ENOENT and zeros; the
 * grower's: whole if found); put and delete batches on a checker's own keys
 * (with duplicates and each flag) must return, element by element, what
 * its model of single calls in array order says, and leave the values the
 * model has. Duration: $SAFEMAP_STRESS_SECONDS. */
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

#define STABLE_KEYS 8000u
#define GROW_KEYS 150000u
#define OWN_KEYS 1024u
#define CHECKERS 2
#define MAXB 300

static uint64_t stable_val(uint64_t k) { return k * 0x9e3779b97f4a7c15ull ^ 0x5a5a; }
static uint64_t grow_val(uint64_t k) { return k * 0xd6e8feb86659fd93ull; }
static uint64_t stable_key(uint64_t i) { return 1 + i; }
static uint64_t absent_key(uint64_t i) { return (1ull << 40) + i; }
static uint64_t grow_key(uint64_t i) { return (2ull << 40) + i; }
static uint64_t own_key(unsigned c, uint64_t i) { return ((3ull + c) << 40) + i; }

struct resize {
	struct safemap *m;
	double until;
	int done;
	uint64_t bad, cycles, batches, keys;
};

static void *grower(void *arg)
{
	struct resize *z = arg;
	uint64_t i, k, v, grow = (uint64_t)(GROW_KEYS * tu_scale());

	if (grow < 5000)
		grow = 5000;
	while (tu_now() < z->until) {
		for (i = 0; i < grow; i++) {
			k = grow_key(i), v = grow_val(k);
			if (safemap_put(z->m, &k, &v, SAFEMAP_NOEXIST))
				BAD(z);
		}
		for (i = 0; i < grow; i++) {
			k = grow_key(i);
			if (safemap_delete(z->m, &k))
				BAD(z);
		}
		z->cycles++;
	}
	__atomic_store_n(&z->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct checker {
	struct resize *z;
	unsigned id;
	uint64_t seed, next;
	uint64_t own[OWN_KEYS]; /* the model: value, 0 = absent */
	uint64_t keys[MAXB], vals[MAXB], got[MAXB], got1[MAXB];
	int res[MAXB], res1[MAXB], kind[MAXB];
};

/* a get batch of stable (0), absent (1) and the grower's (2) keys, with
 * duplicates (an earlier element again), against single gets */
static void check_gets(struct checker *c, size_t n)
{
	struct resize *z = c->z;
	size_t i;
	int found = 0, r;

	for (i = 0; i < n; i++) {
		uint64_t x = tu_next(&c->seed);

		if (i && x % 10 == 0) {
			size_t j = (size_t)(x / 10 % i);

			c->keys[i] = c->keys[j];
			c->kind[i] = c->kind[j];
			continue;
		}
		c->kind[i] = (int)(x % 3);
		c->keys[i] = c->kind[i] == 0 ? stable_key(x / 3 % STABLE_KEYS)
			     : c->kind[i] == 1 ? absent_key(x / 3 % 100000)
					       : grow_key(x / 3 % GROW_KEYS);
	}
	memset(c->got, 0xee, sizeof(c->got));
	r = safemap_get_batch(z->m, c->keys, c->got, n, c->res);
	for (i = 0; i < n; i++) {
		uint64_t k = c->keys[i];

		c->res1[i] = safemap_get(z->m, &k, &c->got1[i]);
		found += c->res[i] == 0;
		switch (c->kind[i]) {
		case 0: /* exactly what the single call returns */
			if (c->res[i] || c->got[i] != stable_val(k) || c->res1[i] ||
			    c->got1[i] != c->got[i])
				BAD(z);
			break;
		case 1:
			if (c->res[i] != -ENOENT || c->got[i] || c->res1[i] != -ENOENT || c->got1[i])
				BAD(z);
			break;
		default: /* present or not as the grower goes; whole when found */
			if (c->res[i] ? c->res[i] != -ENOENT || c->got[i] : c->got[i] != grow_val(k))
				BAD(z);
		}
	}
	if (r != found)
		BAD(z);
}

/* put and delete batches on the checker's own keys, duplicates common, every
 * flag: each result and the final values as the model of single calls */
static void check_writes(struct checker *c, size_t n)
{
	struct resize *z = c->z;
	unsigned flags = (unsigned)(tu_next(&c->seed) % 3);
	bool del = tu_next(&c->seed) % 3 == 0;
	int want = 0, r;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t j = tu_next(&c->seed) % (n < 64 ? 32 : OWN_KEYS), *m = &c->own[j];

		c->keys[i] = own_key(c->id, j);
		if (del) {
			c->kind[i] = *m ? 0 : -ENOENT;
			*m = 0;
		} else {
			c->vals[i] = ++c->next;
			if (*m ? flags == SAFEMAP_NOEXIST : flags == SAFEMAP_EXIST) {
				c->kind[i] = *m ? -EEXIST : -ENOENT;
			} else {
				c->kind[i] = 0;
				*m = c->vals[i];
			}
		}
		want += c->kind[i] == 0;
	}
	r = del ? safemap_delete_batch(z->m, c->keys, n, c->res)
		: safemap_put_batch(z->m, c->keys, c->vals, n, flags, c->res);
	if (r != want || memcmp(c->res, c->kind, n * sizeof(int)))
		BAD(z);
	for (i = 0; i < n; i++) { /* the values the model has */
		uint64_t j = c->keys[i] - own_key(c->id, 0), v;
		int g = safemap_get(z->m, &c->keys[i], &v);

		if (c->own[j] ? g || v != c->own[j] : g != -ENOENT)
			BAD(z);
	}
}

static void *checker(void *arg)
{
	struct checker *c = arg;
	struct resize *z = c->z;

	while (!__atomic_load_n(&z->done, __ATOMIC_ACQUIRE)) {
		uint64_t x = tu_next(&c->seed);
		size_t n = x % 8 == 0 ? x / 8 % 4 : x / 8 % (MAXB + 1); /* 0..3 often */

		if (x % 5 < 3)
			check_gets(c, n);
		else
			check_writes(c, n);
		__atomic_add_fetch(&z->batches, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&z->keys, n, __ATOMIC_RELAXED);
	}
	return NULL;
}

START_TEST(batches_across_resizes)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "batch_resize", .key_size = 8, .value_size = 8,
		     .shards = 64, .expected_entries = 100000); /* > 1 MiB of tables */
	static struct checker c[CHECKERS];
	struct resize z = { 0 };
	pthread_t t[CHECKERS + 1];
	size_t want = STABLE_KEYS;
	uint64_t i, k, v;
	unsigned j;

	ck_assert_int_eq(safemap_create(&o, &z.m), 0);
	for (i = 0; i < STABLE_KEYS; i++) {
		k = stable_key(i), v = stable_val(k);
		ck_assert_int_eq(safemap_put(z.m, &k, &v, SAFEMAP_NOEXIST), 0);
	}
	z.until = tu_now() + tu_stress_seconds(3);
	pthread_create(&t[CHECKERS], NULL, grower, &z);
	for (j = 0; j < CHECKERS; j++) {
		memset(&c[j], 0, sizeof(c[j]));
		c[j].z = &z;
		c[j].id = j;
		c[j].seed = 777 + j;
		pthread_create(&t[j], NULL, checker, &c[j]);
	}
	for (j = 0; j <= CHECKERS; j++)
		pthread_join(t[j], NULL);
	for (j = 0; j < CHECKERS; j++)
		for (i = 0; i < OWN_KEYS; i++)
			want += c[j].own[i] != 0;
	printf("batches across resizes: %llu grow/shrink cycles, %llu batches, %llu keys\n",
	       (unsigned long long)z.cycles, (unsigned long long)z.batches,
	       (unsigned long long)z.keys);
	ck_assert_uint_eq(z.bad, 0);
	ck_assert_uint_gt(z.cycles, 0);
	ck_assert_uint_eq(safemap_count(z.m), want);
	safemap_destroy(z.m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("batch_stress");
	TCase *tc = tcase_create("batch_stress");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, batches_against_singles);
	tcase_add_test(tc, batches_across_resizes);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
