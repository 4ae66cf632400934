/* SPDX-License-Identifier: BSD-2-Clause */
/* Checked concurrent stress (libcuckoo's "stress_checked" shape) and count
 * conservation. Every invariant here fails on a broken lock: a lost insert,
 * a torn value, a count that drifts. Durations: $SAFEMAP_STRESS_SECONDS. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../testutil.h"

#define WRITERS 4
#define READERS 2
#define VWORDS 8

/* A 64-byte value derived from its key and a version: a reader that sees
 * any mix of two writes (a torn copy) sees a checksum that does not match. */
struct value {
	uint64_t w[VWORDS];
};

static uint64_t mix(uint64_t key, uint64_t version, int i)
{
	uint64_t s = key * 0x100000001b3ull ^ version * 0x9e3779b97f4a7c15ull ^ (uint64_t)i;

	return tu_next(&s);
}

static void make_value(struct value *v, uint64_t key, uint64_t version)
{
	int i;

	v->w[0] = key;
	v->w[1] = version;
	for (i = 2; i < VWORDS; i++)
		v->w[i] = mix(key, version, i);
}

static bool value_ok(const struct value *v, uint64_t key)
{
	int i;

	if (v->w[0] != key)
		return false;
	for (i = 2; i < VWORDS; i++)
		if (v->w[i] != mix(key, v->w[1], i))
			return false;
	return true;
}

/* ---- checked stress: every key owned by one writer, results predictable */

struct checked {
	struct safemap *m;
	uint64_t nkeys;
	double until;
	bool *present;       /* owner-private shadow */
	uint64_t *version;   /* owner-private shadow */
	uint64_t *published; /* version the owner is about to write, for readers */
	long errors;         /* set by any thread that saw a wrong result */
	long ops;
};

struct worker {
	struct checked *c;
	int id;
	uint64_t rng;
};

static void report(struct checked *c, const char *what, uint64_t key, int got, int want)
{
	if (__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED) < 5)
		fprintf(stderr, "stress: %s key %llu: got %d want %d\n", what,
			(unsigned long long)key, got, want);
}

static void *checked_writer(void *arg)
{
	struct worker *w = arg;
	struct checked *c = w->c;
	struct value v;
	long ops = 0;

	while (ops % 256 || tu_now() < c->until) {
		uint64_t key = (tu_next(&w->rng) % (c->nkeys / WRITERS)) * WRITERS + (uint64_t)w->id;
		unsigned op = (unsigned)(tu_next(&w->rng) % 5);
		int err, want;

		ops++;
		if (op < 3) { /* put ANY / NOEXIST / EXIST */
			unsigned flags = op;
			bool will = flags == SAFEMAP_ANY ||
				    (flags == SAFEMAP_NOEXIST) != c->present[key];

			want = will ? 0 : c->present[key] ? -EEXIST : -ENOENT;
			if (will)
				__atomic_store_n(&c->published[key], c->version[key] + 1,
						 __ATOMIC_RELEASE);
			make_value(&v, key, c->version[key] + 1);
			err = safemap_put(c->m, &key, &v, flags);
			if (err != want)
				report(c, "put", key, err, want);
			if (will) {
				c->version[key]++;
				c->present[key] = true;
			}
		} else if (op == 3) {
			want = c->present[key] ? 0 : -ENOENT;
			err = safemap_delete(c->m, &key);
			if (err != want)
				report(c, "delete", key, err, want);
			c->present[key] = false;
		} else {
			want = c->present[key] ? 0 : -ENOENT;
			err = safemap_get(c->m, &key, &v);
			if (err != want)
				report(c, "own get", key, err, want);
			else if (!err && (!value_ok(&v, key) || v.w[1] != c->version[key]))
				report(c, "own get value", key, (int)v.w[1], (int)c->version[key]);
		}
	}
	__atomic_fetch_add(&c->ops, ops, __ATOMIC_RELAXED);
	return NULL;
}

static void *checked_reader(void *arg)
{
	struct worker *w = arg;
	struct checked *c = w->c;
	uint64_t *seen = calloc(c->nkeys, sizeof(*seen));
	struct value v;
	long ops = 0;

	while (ops % 256 || tu_now() < c->until) {
		uint64_t key = tu_next(&w->rng) % c->nkeys;
		int err = safemap_get(c->m, &key, &v);

		ops++;
		if (err == -ENOENT)
			continue;
		if (err) {
			report(c, "reader get", key, err, 0);
		} else if (!value_ok(&v, key)) {
			report(c, "torn value", key, (int)v.w[1], 0);
		} else {
			uint64_t pub = __atomic_load_n(&c->published[key], __ATOMIC_ACQUIRE);

			/* versions of a key only grow, and none is read before written */
			if (v.w[1] < seen[key] || v.w[1] > pub)
				report(c, "version order", key, (int)v.w[1], (int)seen[key]);
			seen[key] = v.w[1];
		}
	}
	free(seen);
	__atomic_fetch_add(&c->ops, ops, __ATOMIC_RELAXED);
	return NULL;
}

static void run_checked(unsigned shards, uint64_t nkeys, double seconds)
{
	struct checked c = { .nkeys = nkeys };
	struct worker w[WRITERS + READERS];
	pthread_t t[WRITERS + READERS];
	uint64_t key, expect = 0;
	struct value v;
	int i;

	c.m = tu_map(sizeof(uint64_t), sizeof(struct value), shards, 0);
	c.present = calloc(nkeys, sizeof(bool));
	c.version = calloc(nkeys, sizeof(uint64_t));
	c.published = calloc(nkeys, sizeof(uint64_t));
	c.until = tu_now() + seconds;
	for (i = 0; i < WRITERS + READERS; i++) {
		w[i] = (struct worker){ .c = &c, .id = i, .rng = 0xc0ffee + (uint64_t)i };
		pthread_create(&t[i], NULL, i < WRITERS ? checked_writer : checked_reader, &w[i]);
	}
	for (i = 0; i < WRITERS + READERS; i++)
		pthread_join(t[i], NULL);

	ck_assert_int_eq(c.errors, 0);
	for (key = 0; key < nkeys; key++) {
		int err = safemap_get(c.m, &key, &v);

		expect += c.present[key];
		ck_assert_int_eq(err, c.present[key] ? 0 : -ENOENT);
		if (!err)
			ck_assert(value_ok(&v, key) && v.w[1] == c.version[key]);
	}
	ck_assert_uint_eq(safemap_count(c.m), expect);
	fprintf(stderr, "checked stress: shards %u keys %llu: %ld ops, %llu entries\n",
		safemap_shard_count(c.m), (unsigned long long)nkeys, c.ops,
		(unsigned long long)expect);
	safemap_destroy(c.m);
	free(c.present);
	free(c.version);
	free(c.published);
}

START_TEST(checked_many_shards)
{
	run_checked(0, (uint64_t)(1 << 16), tu_stress_seconds(2.0));
}
END_TEST

START_TEST(checked_one_shard)
{
	/* one lock for everything: maximum contention on one table */
	run_checked(1, 1024, tu_stress_seconds(2.0) / 2);
}
END_TEST

/* ---- conservation: shared keys, any thread may insert or delete any key */

#define CONS_THREADS 4

struct cons {
	struct safemap *m;
	uint64_t nkeys;
	double until;
	long inserts, deletes, full, full_events, other;
};

static void *cons_worker(void *arg)
{
	struct worker *w = arg;
	struct cons *c = (struct cons *)(void *)w->c;
	long ins = 0, del = 0, full = 0, other = 0, ops = 0;
	uint64_t v = 1;

	while (ops++ % 256 || tu_now() < c->until) {
		uint64_t key = tu_next(&w->rng) % c->nkeys;
		int err;

		switch (tu_next(&w->rng) % 3) {
		case 0:
			err = safemap_put(c->m, &key, &v, SAFEMAP_NOEXIST);
			ins += err == 0;
			full += err == -E2BIG;
			other += err && err != -EEXIST && err != -E2BIG;
			break;
		case 1:
			err = safemap_delete(c->m, &key);
			del += err == 0;
			other += err && err != -ENOENT;
			break;
		default:
			err = safemap_put(c->m, &key, &v, SAFEMAP_EXIST);
			other += err && err != -ENOENT;
		}
	}
	__atomic_fetch_add(&c->inserts, ins, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->deletes, del, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->full, full, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->other, other, __ATOMIC_RELAXED);
	return NULL;
}

static void on_event(const struct safemap_event *ev, void *ctx)
{
	struct cons *c = ctx;

	if (ev->reason == SAFEMAP_REASON_FULL)
		__atomic_fetch_add(&c->full_events, 1, __ATOMIC_RELAXED);
}

static void run_conservation(uint64_t nkeys, uint64_t prefill, size_t max_entries,
			     double seconds)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "cons", .key_size = 8, .value_size = 8,
		     .max_entries = max_entries, .event_fn = on_event);
	struct cons c = { .nkeys = nkeys };
	struct worker w[CONS_THREADS];
	pthread_t t[CONS_THREADS];
	uint64_t key, present = 0, v;
	size_t initial, final;
	int i;

	o.event_ctx = &c;
	ck_assert_int_eq(safemap_create(&o, &c.m), 0);
	for (key = 0; key < prefill; key++)
		ck_assert_int_eq(safemap_put(c.m, &key, &key, SAFEMAP_NOEXIST), 0);
	initial = safemap_count(c.m);
	ck_assert_uint_eq(initial, prefill);
	c.until = tu_now() + seconds;
	for (i = 0; i < CONS_THREADS; i++) {
		w[i] = (struct worker){ .c = (struct checked *)(void *)&c, .rng = 77 + (uint64_t)i };
		pthread_create(&t[i], NULL, cons_worker, &w[i]);
	}
	for (i = 0; i < CONS_THREADS; i++)
		pthread_join(t[i], NULL);

	final = safemap_count(c.m);
	for (key = 0; key < nkeys; key++)
		present += safemap_get(c.m, &key, &v) == 0;
	fprintf(stderr, "conservation: keys %llu max %zu: %zu + %ld inserts - %ld deletes = %zu (%ld full)\n",
		(unsigned long long)nkeys, max_entries, initial, c.inserts, c.deletes, final, c.full);
	ck_assert_int_eq(c.other, 0);
	ck_assert_uint_eq(final, initial + (size_t)c.inserts - (size_t)c.deletes);
	ck_assert_uint_eq(present, final);
	ck_assert_int_gt(c.inserts, 0);
	ck_assert_int_gt(c.deletes, 0);
	ck_assert_int_eq(c.full_events, c.full);
	if (max_entries) {
		ck_assert_uint_le(final, max_entries);
		ck_assert_int_gt(c.full, 0);
	}
	safemap_destroy(c.m);
}

START_TEST(conservation_10_keys)
{
	run_conservation(10, 5, 0, tu_stress_seconds(2.0) / 2);
}
END_TEST

START_TEST(conservation_1m_keys)
{
	uint64_t n = (uint64_t)(1000000 * tu_scale());

	run_conservation(n, n / 2, 0, tu_stress_seconds(2.0));
}
END_TEST

START_TEST(conservation_bounded)
{
	run_conservation(10, 0, 5, tu_stress_seconds(2.0) / 2);
	run_conservation(4096, 0, 1000, tu_stress_seconds(2.0) / 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stress");
	TCase *tc = tcase_create("checked");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, checked_many_shards);
	tcase_add_test(tc, checked_one_shard);
	suite_add_tcase(s, tc);
	tc = tcase_create("conservation");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, conservation_10_keys);
	tcase_add_test(tc, conservation_1m_keys);
	tcase_add_test(tc, conservation_bounded);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
