/* SPDX-License-Identifier: BSD-2-Clause */
/* Stress aimed at group writes (lib/map/gwrite.h): puts and deletes that
 * lock only their key's home group (and the next one), beside writers that
 * take the shard's lock (overflowed probes, full groups, rehashes), walks,
 * snapshots and counts that take shard read locks.
 *
 * Each writer owns the keys k with k % WRITERS == id and keeps a model of
 * them, so every result it gets is known: a NOEXIST put of a key it holds
 * must say -EEXIST, of one it does not must succeed; an EXIST put and a
 * delete the other way round; an ANY put always succeeds. A lost write, a
 * write seen twice or a key found in two groups breaks one of those. The
 * map has one or two shards (the writers share their groups and lines) and
 * starts empty, so tables grow, clean and shrink under the writers (each
 * one drains its keys now and then). With a narrow hash (12 bits) most
 * keys pile on few groups: probes overflow into the next group (the two-
 * group path) and past it (the shard's lock). A walker runs foreach and
 * snapshot (every value must belong to its key) and safemap_count (never
 * above the keys there are). At the end the map holds exactly the writers'
 * models: count and every value. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../testutil.h"

#define WRITERS 3

struct run {
	struct safemap *m;
	uint64_t nkeys; /* per writer */
	double until;
	int stop;
	long errors, ops, walks;
};

struct writer {
	struct run *r;
	int id;
	uint64_t *val; /* 0 = absent, else the value it holds */
};

static void report(struct run *r, const char *what, uint64_t key, long got)
{
	if (__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED) < 5)
		fprintf(stderr, "gwrite: %s: key %llu, got %ld\n", what, (unsigned long long)key, got);
}

/* a value that names its key: key in the high 40 bits */
static uint64_t value_of(uint64_t key, uint64_t version)
{
	return key << 24 | (version & 0xffffff) | 1;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct run *r = w->r;
	uint64_t rng = (uint64_t)w->id * 7919 + 1, version = 0, i, key, v;
	long ops = 0;
	int err;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		uint64_t x = tu_next(&rng);

		if (++ops % 30000 == 0) { /* drain: the tables shrink and free */
			for (i = 0; i < r->nkeys; i++) {
				key = i * WRITERS + (uint64_t)w->id;
				err = safemap_delete(r->m, &key);
				if (err != (w->val[i] ? 0 : -ENOENT))
					report(r, "drain delete", key, err);
				w->val[i] = 0;
			}
			if (tu_now() > r->until)
				break;
			continue;
		}
		i = x % r->nkeys;
		key = i * WRITERS + (uint64_t)w->id;
		v = value_of(key, ++version);
		switch ((x >> 40) % 4) {
		case 0: /* NOEXIST */
			err = safemap_put(r->m, &key, &v, SAFEMAP_NOEXIST);
			if (err != (w->val[i] ? -EEXIST : 0))
				report(r, "NOEXIST put", key, err);
			if (!err)
				w->val[i] = v;
			break;
		case 1: /* EXIST */
			err = safemap_put(r->m, &key, &v, SAFEMAP_EXIST);
			if (err != (w->val[i] ? 0 : -ENOENT))
				report(r, "EXIST put", key, err);
			if (!err)
				w->val[i] = v;
			break;
		case 2:
			err = safemap_put(r->m, &key, &v, SAFEMAP_ANY);
			if (err)
				report(r, "ANY put", key, err);
			w->val[i] = v;
			break;
		default:
			err = safemap_delete(r->m, &key);
			if (err != (w->val[i] ? 0 : -ENOENT))
				report(r, "delete", key, err);
			w->val[i] = 0;
			break;
		}
		if (ops % 16 == 0) { /* own keys read back: the last value written */
			uint64_t got = 0;

			err = safemap_get(r->m, &key, &got);
			if (err != (w->val[i] ? 0 : -ENOENT) || got != w->val[i])
				report(r, "get of own key", key, (long)got);
		}
	}
	__atomic_fetch_add(&r->ops, ops, __ATOMIC_RELAXED);
	return NULL;
}

static int check_entry(const void *key, const void *value, void *ctx)
{
	struct run *r = ctx;
	uint64_t k, v;

	memcpy(&k, key, 8);
	memcpy(&v, value, 8);
	if (v >> 24 != k)
		report(r, "foreach value of another key", k, (long)v);
	return 0;
}

static void *walker_main(void *arg)
{
	struct run *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		struct safemap_snap *sn = NULL;
		size_t n = safemap_count(r->m);

		if (n > r->nkeys * WRITERS)
			report(r, "count above the keys", 0, (long)n);
		if (safemap_foreach(r->m, check_entry, r) < 0)
			report(r, "foreach", 0, -1);
		if (safemap_snapshot(r->m, &sn) == 0) {
			if (safemap_snapshot_count(sn) > r->nkeys * WRITERS)
				report(r, "snapshot above the keys", 0, (long)safemap_snapshot_count(sn));
			safemap_snapshot_free(sn);
		}
		__atomic_fetch_add(&r->walks, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void run_case(unsigned shards, unsigned hash_bits, uint64_t nkeys)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "gwrite", .key_size = 8, .value_size = 8,
		     .shards = shards, .hash_bits = hash_bits);
	struct writer w[WRITERS];
	pthread_t th[WRITERS + 1];
	struct run r = { .nkeys = nkeys };
	size_t total = 0;
	uint64_t i, key, got;
	int k;

	ck_assert_int_eq(safemap_create(&o, &r.m), 0);
	r.until = tu_now() + tu_stress_seconds(2.0);
	for (k = 0; k < WRITERS; k++) {
		w[k] = (struct writer){ &r, k, calloc(nkeys, sizeof(uint64_t)) };
		ck_assert_ptr_nonnull(w[k].val);
		ck_assert_int_eq(pthread_create(&th[k], NULL, writer_main, &w[k]), 0);
	}
	ck_assert_int_eq(pthread_create(&th[WRITERS], NULL, walker_main, &r), 0);
	for (k = 0; k < WRITERS; k++)
		pthread_join(th[k], NULL);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th[WRITERS], NULL);
	for (k = 0; k < WRITERS; k++) {
		for (i = 0; i < nkeys; i++) {
			key = i * WRITERS + (uint64_t)k;
			got = 0;
			if (safemap_get(r.m, &key, &got) != (w[k].val[i] ? 0 : -ENOENT) ||
			    got != w[k].val[i])
				report(&r, "final value", key, (long)got);
			total += w[k].val[i] != 0;
		}
		free(w[k].val);
	}
	if (safemap_count(r.m) != total)
		report(&r, "final count", total, (long)safemap_count(r.m));
	fprintf(stderr, "gwrite: %u shard(s), hash_bits %u: %ld ops, %ld walks, %ld errors\n", shards,
		hash_bits, r.ops, r.walks, r.errors);
	ck_assert_int_eq(r.errors, 0);
	ck_assert_int_gt(r.walks, 0);
	safemap_destroy(r.m);
}

START_TEST(test_one_shard)
{
	run_case(1, 0, 2000);
}
END_TEST

START_TEST(test_two_shards_narrow_hash)
{
	run_case(2, 12, 3000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gwrite_stress");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_one_shard);
	tcase_add_test(tc, test_two_shards_narrow_hash);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
