/* SPDX-License-Identifier: BSD-2-Clause */
/* Stress aimed at safemap_get()'s optimistic (lock-free, validated) read.
 *
 * Readers get random keys and check that every value they receive is whole
 * and belongs to the key they asked for: value = f(key, version) over 32
 * words. Meanwhile writers on the same one or two shards replace values in
 * place (a reader copying during the replace sees two versions mixed),
 * delete and reinsert (a freed entry is reused at once for another key: a
 * reader that matched it sees another key's value), and drain the shard to
 * empty and refill it (uthash frees the table, then doubles the bucket array
 * again and again: a reader walks old arrays and half-moved chains), and
 * replace values a reference holds (a new entry takes the old one's place
 * in the chain; the old one is freed and reused once the reference goes).
 *
 * The table is open addressing (lib/map/table.h): draining and refilling
 * makes it grow through every size, shrink on the way down and free its
 * array when the shard is empty; readers walk arrays that a resize retired
 * (freed only after a grace period). A set of stable keys is never deleted
 * (only replaced), so a miss on one of them is a false miss: an entry moved
 * by a resize under the reader. Values of 8, 24, 256 and 1024 bytes (inline
 * slots for 8 and 24, out-of-line nodes beyond).
 *
 * The writers' own results are checked too: a delete of a key they hold,
 * an EXIST put of a stable key and a NOEXIST put of a key they deleted
 * must succeed, and a delete of a key they deleted must fail. Refusals are
 * settled by an optimistic read without the write lock (ops.c:
 * refused_unlocked), so a read that missed a key an entry moved by the
 * other writer's resize shows here as a wrong refusal.
 *
 * Every one of those is harmless only because a get keeps what it read
 * just when the shard's sequence did not move; built with
 * -DSAFEMAP_BREAK_VALIDATION (the library keeps results without checking)
 * this test fails (the 24-byte inline case within a second: a slot read
 * while it is reused for another key; node maps' retired nodes keep their
 * bytes until the grace period, so they show it more rarely). Under ThreadSanitizer the optimistic path
 * is compiled out and the same test checks the read-locked path. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../testutil.h"

#define MAXWORDS 128
#define WRITERS 2
#define READERS 2
#define STABLE 64 /* keys nkeys .. nkeys + STABLE - 1: always present */

struct value {
	uint64_t w[MAXWORDS];
};

static int words = 32; /* of the current run */

static uint64_t mix(uint64_t key, uint64_t version, int i)
{
	uint64_t s = key * 0x9e3779b97f4a7c15ull + version * 0xff51afd7ed558ccdull + (uint64_t)i;

	return tu_next(&s);
}

/* one word: key in the high 40 bits, 24 bits of the version; else key,
 * version, then words derived from both */
static void make_value(struct value *v, uint64_t key, uint64_t version)
{
	int i;

	if (words == 1) {
		v->w[0] = key << 24 | (version & 0xffffff);
		return;
	}
	v->w[0] = key;
	v->w[1] = version;
	for (i = 2; i < words; i++)
		v->w[i] = mix(key, version, i);
}

struct run {
	struct safemap *m;
	uint64_t nkeys;
	double until;
	int stop;
	long errors, gets, hits, writes, drains, swaps, stable_hits;
};

struct worker {
	struct run *r;
	int id;
	uint64_t rng;
};

static void report(struct run *r, const char *what, uint64_t key, uint64_t got)
{
	if (__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED) < 5)
		fprintf(stderr, "optimistic: %s: key %llu, got %llu\n", what, (unsigned long long)key,
			(unsigned long long)got);
}

/* Writer @id owns the keys k with k % WRITERS == id: replace, delete,
 * reinsert at random, and every few thousand ops drain all its keys and
 * refill them (the shard goes empty, then grows through every size). */
static void *writer(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	uint64_t per = r->nkeys / WRITERS, version = 1, i, key;
	bool *present = calloc(per, sizeof(bool));
	struct value v;
	long ops = 0;
	double next_drain = tu_now() + 0.2;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		int err;

		/* every 20000 ops, and at least every 0.2 s (slow builds) */
		if (++ops % 20000 == 0 || (ops % 64 == 0 && tu_now() > next_drain)) {
			/* drain, then refill in order */
			next_drain = tu_now() + 0.2;
			for (i = 0; i < per; i++) {
				key = i * WRITERS + (uint64_t)w->id;
				err = safemap_delete(r->m, &key);
				if (err != (present[i] ? 0 : -ENOENT))
					report(r, "drain delete", key, (uint64_t)err);
				present[i] = false;
			}
			for (i = 0; i < per; i++) {
				key = i * WRITERS + (uint64_t)w->id;
				make_value(&v, key, ++version);
				if ((err = safemap_put(r->m, &key, &v, SAFEMAP_NOEXIST)))
					report(r, "refill put", key, (uint64_t)err);
				present[i] = true;
			}
			__atomic_fetch_add(&r->drains, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (w->id == 0 && ops % 8 == 0) { /* a stable key: replaced, never deleted */
			key = r->nkeys + tu_next(&w->rng) % STABLE;
			make_value(&v, key, ++version);
			if ((err = safemap_put(r->m, &key, &v, SAFEMAP_EXIST)))
				report(r, "stable put", key, (uint64_t)err);
			continue;
		}
		i = tu_next(&w->rng) % per;
		key = i * WRITERS + (uint64_t)w->id;
		if (present[i] && tu_next(&w->rng) % 3 == 0) {
			if ((err = safemap_delete(r->m, &key)))
				report(r, "delete", key, (uint64_t)err);
			present[i] = false;
		} else if (present[i] && tu_next(&w->rng) % 4 == 0) {
			/* replace a referenced value: the map swaps a new entry
			 * into the old one's place in the chain while the old one
			 * lives on for the reference, then is freed for reuse */
			struct safemap_ref ref;
			const struct value *old;

			if ((err = safemap_get_ref(r->m, &key, &ref))) {
				report(r, "get_ref", key, (uint64_t)err);
				continue;
			}
			old = safemap_ref_value(&ref);
			make_value(&v, key, ++version);
			if ((err = safemap_put(r->m, &key, &v, SAFEMAP_EXIST)))
				report(r, "put over a reference", key, (uint64_t)err);
			if (words == 1 ? old->w[0] >> 24 != key || (old->w[0] & 0xffffff) == (version & 0xffffff)
				       : old->w[0] != key || old->w[1] >= version)
				report(r, "referenced value changed", key, old->w[1]);
			safemap_ref_put(&ref);
			__atomic_fetch_add(&r->swaps, 1, __ATOMIC_RELAXED);
		} else {
			make_value(&v, key, ++version);
			if ((err = safemap_put(r->m, &key, &v, SAFEMAP_ANY)))
				report(r, "put", key, (uint64_t)err);
			present[i] = true;
		}
	}
	free(present);
	__atomic_fetch_add(&r->writes, ops, __ATOMIC_RELAXED);
	return NULL;
}

static void *reader(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	long gets = 0, hits = 0, stable_hits = 0;
	struct value v;
	int i;

	while (gets % 1024 || tu_now() < r->until) {
		uint64_t key = tu_next(&w->rng) % (r->nkeys + STABLE);
		int err = safemap_get(r->m, &key, &v);

		gets++;
		if (err == -ENOENT) {
			if (key >= r->nkeys)
				report(r, "false miss of a stable key", key, 0);
			for (i = 0; i < words; i++)
				if (v.w[i])
					report(r, "miss not zero-filled", key, v.w[i]);
			continue;
		}
		if (err) {
			report(r, "get", key, (uint64_t)err);
			continue;
		}
		hits++;
		stable_hits += key >= r->nkeys;
		if (words == 1) {
			if (v.w[0] >> 24 != key)
				report(r, "value of another key", key, v.w[0]);
			continue;
		}
		if (v.w[0] != key) {
			report(r, "value of another key", key, v.w[0]);
			continue;
		}
		for (i = 2; i < words; i++)
			if (v.w[i] != mix(key, v.w[1], i)) {
				report(r, "torn value", key, v.w[1]);
				break;
			}
	}
	__atomic_fetch_add(&r->gets, gets, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->hits, hits, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->stable_hits, stable_hits, __ATOMIC_RELAXED);
	return NULL;
}

static void run_words(unsigned shards, uint64_t nkeys, double seconds, int nwords)
{
	struct run r = { .nkeys = nkeys };
	struct worker w[WRITERS + READERS];
	pthread_t t[WRITERS + READERS];
	struct value v;
	uint64_t key;
	int i;

	words = nwords;
	r.m = tu_map(sizeof(uint64_t), (size_t)words * sizeof(uint64_t), shards, 0);
	for (key = nkeys; key < nkeys + STABLE; key++) {
		make_value(&v, key, 0);
		ck_assert_int_eq(safemap_put(r.m, &key, &v, SAFEMAP_NOEXIST), 0);
	}
	r.until = tu_now() + seconds;
	for (i = 0; i < WRITERS + READERS; i++) {
		w[i] = (struct worker){ .r = &r, .id = i, .rng = 0x5eed + (uint64_t)i * 7919 };
		pthread_create(&t[i], NULL, i < WRITERS ? writer : reader, &w[i]);
	}
	for (i = WRITERS; i < WRITERS + READERS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	fprintf(stderr, "optimistic: shards %u keys %llu value %d bytes: %ld gets (%ld hits, %ld of stable keys), %ld writes (%ld over a reference), %ld drains, %ld errors\n",
		shards, (unsigned long long)nkeys, words * 8, r.gets, r.hits, r.stable_hits, r.writes,
		r.swaps, r.drains, r.errors);
	ck_assert_int_eq(r.errors, 0);
	ck_assert_int_gt(r.stable_hits, 0);
	ck_assert_int_gt(r.hits, 0);
	ck_assert_int_gt(r.drains, 0);
	ck_assert_int_gt(r.swaps, 0);
	safemap_destroy(r.m);
}

static void run(unsigned shards, uint64_t nkeys, double seconds)
{
	run_words(shards, nkeys, seconds, 32);
}

START_TEST(one_shard_small_keys)
{
	/* 512 keys on one shard: chains and frequent entry reuse */
	run(1, 512, tu_stress_seconds(3.0) * tu_scale() + 0.5);
}
END_TEST

START_TEST(two_shards_growing)
{
	/* more keys: every refill doubles the bucket array several times */
	run(2, (uint64_t)(8192 * tu_scale()) + 64, tu_stress_seconds(3.0) * tu_scale() + 0.5);
}
END_TEST

/* values of 8, 24 and 1024 bytes (_i = 0, 1, 2), 4096 keys on 2 shards:
 * every drain shrinks the tables step by step and frees them, every refill
 * grows them through every size, while readers read */
START_TEST(sizes_resize_and_shrink)
{
	static const int w[] = { 1, 3, 128 };

	run_words(2, (uint64_t)(4096 * tu_scale()) + 512, tu_stress_seconds(2.0) * tu_scale() + 0.5,
		  w[_i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("optimistic");
	TCase *tc = tcase_create("readers-vs-writers");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, one_shard_small_keys);
	tcase_add_test(tc, two_shards_growing);
	tcase_add_loop_test(tc, sizes_resize_and_shrink, 0, 3);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
