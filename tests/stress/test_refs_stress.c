/* SPDX-License-Identifier: BSD-2-Clause */
/* Concurrent stress of references, finalizers and read-modify-write:
 * - every stored value carries a fresh id; threads put / replace / delete /
 *   get_ref (hold, re-check, drop) / update / cas / clear on a few keys; the
 *   finalizer counts per id. Invariants: a value is never finalized while a
 *   thread holds a reference to it, a referenced value never changes, and
 *   at the end every value that was ever stored was finalized exactly once
 *   and no other was;
 * - N threads x M increments of one counter through update(), and through
 *   cas() retry loops, while other threads hold references to the counter:
 *   the total is exact.
 * Durations: $SAFEMAP_STRESS_SECONDS; sizes: $SAFEMAP_TEST_SCALE. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"

#define THREADS 4
#define KEYS 16
#define HOLD 4

struct val {
	uint64_t id, key, check;
};

static uint64_t check_of(uint64_t id, uint64_t key)
{
	uint64_t s = id * 0x9e3779b97f4a7c15ull ^ key;

	return tu_next(&s);
}

struct world {
	struct safemap *m;
	uint64_t max_ids;
	uint64_t next_id;
	uint32_t *stored;    /* per id: 1 once a write stored it */
	uint32_t *finalized; /* per id: finalizer calls */
	uint32_t *held;      /* per id: references held by test threads */
	double until;
	long errors;
	long ops[8];
};

static struct world W;

static void bad(const char *what, uint64_t id, long a, long b)
{
	if (__atomic_fetch_add(&W.errors, 1, __ATOMIC_RELAXED) < 5)
		fprintf(stderr, "refs stress: %s: id %llu (%ld, %ld)\n", what,
			(unsigned long long)id, a, b);
}

static void fin(void *key, void *value, void *ctx)
{
	struct val *v = value;
	uint64_t k;

	memcpy(&k, key, 8);
	if (v->id >= W.max_ids || v->key != k || v->check != check_of(v->id, k)) {
		bad("finalizer got a corrupt value", v->id, (long)k, (long)v->key);
		return;
	}
	if (__atomic_load_n(&W.held[v->id], __ATOMIC_ACQUIRE))
		bad("finalized while referenced", v->id, 0, 0);
	if (__atomic_fetch_add(&W.finalized[v->id], 1, __ATOMIC_RELAXED))
		bad("finalized twice", v->id, 0, 0);
	memset(v, 0xee, sizeof(*v)); /* a later reader of freed bytes would see this */
}

static bool new_val(struct val *v, uint64_t key)
{
	uint64_t id = __atomic_fetch_add(&W.next_id, 1, __ATOMIC_RELAXED);

	if (id >= W.max_ids)
		return false;
	*v = (struct val){ id, key, check_of(id, key) };
	return true;
}

static void mark_stored(uint64_t id)
{
	__atomic_store_n(&W.stored[id], 1, __ATOMIC_RELAXED);
}

struct upd {
	uint64_t key, rng, id;
	int action;
};

static int upd_fn(const void *key, void *value, bool present, void *ctx)
{
	struct upd *u = ctx;
	struct val *v = value;

	if (present && (v->key != u->key || v->check != check_of(v->id, u->key)))
		bad("update saw a corrupt value", v->id, (long)v->key, 0);
	switch (tu_next(&u->rng) % 4) {
	case 0:
		return u->action = SAFEMAP_UPDATE_DELETE;
	case 1:
		return u->action = SAFEMAP_UPDATE_NONE;
	default:
		if (!new_val(v, u->key))
			return -ECANCELED;
		u->id = v->id;
		return u->action = SAFEMAP_UPDATE_STORE;
	}
}

struct held_ref {
	struct safemap_ref r;
	struct val copy;
};

static void drop(struct held_ref *h)
{
	const struct val *v = safemap_ref_value(&h->r);

	if (memcmp(v, &h->copy, sizeof(*v)))
		bad("referenced value changed", h->copy.id, (long)v->id, 0);
	__atomic_fetch_sub(&W.held[h->copy.id], 1, __ATOMIC_RELEASE);
	safemap_ref_put(&h->r);
}

static void *worker(void *arg)
{
	uint64_t rng = (uint64_t)(uintptr_t)arg * 7919 + 1;
	struct held_ref held[HOLD];
	long ops[8] = { 0 }, n = 0;
	int nheld = 0, i;

	while (n++ % 64 || tu_now() < W.until) {
		uint64_t key = tu_next(&rng) % KEYS, r = tu_next(&rng) % 100;
		struct val v, cur;
		int err;

		if (r < 30) { /* put ANY / NOEXIST / EXIST */
			if (!new_val(&v, key))
				break;
			err = safemap_put(W.m, &key, &v, (unsigned)(r % 3));
			if (!err)
				mark_stored(v.id);
			else if (err != -EEXIST && err != -ENOENT)
				bad("put", v.id, err, 0);
			ops[0]++;
		} else if (r < 45) {
			err = safemap_delete(W.m, &key);
			if (err && err != -ENOENT)
				bad("delete", key, err, 0);
			ops[1]++;
		} else if (r < 70) { /* take a reference, or drop one */
			if (nheld == HOLD || (nheld && r % 2)) {
				i = (int)(tu_next(&rng) % (uint64_t)nheld);
				drop(&held[i]);
				held[i] = held[--nheld];
				ops[3]++;
				continue;
			}
			err = safemap_get_ref(W.m, &key, &held[nheld].r);
			if (err == -ENOENT)
				continue;
			if (err) {
				bad("get_ref", key, err, 0);
				continue;
			}
			memcpy(&held[nheld].copy, safemap_ref_value(&held[nheld].r), sizeof(v));
			v = held[nheld].copy;
			__atomic_fetch_add(&W.held[v.id], 1, __ATOMIC_ACQ_REL);
			if (v.key != key || v.check != check_of(v.id, key))
				bad("get_ref value", v.id, (long)v.key, 0);
			if (__atomic_load_n(&W.finalized[v.id], __ATOMIC_RELAXED))
				bad("referenced a finalized value", v.id, 0, 0);
			nheld++;
			ops[2]++;
		} else if (r < 85) {
			struct upd u = { .key = key, .rng = tu_next(&rng) };

			err = safemap_update(W.m, &key, upd_fn, &u, SAFEMAP_ANY);
			if (err == -ECANCELED)
				break;
			if (err)
				bad("update", key, err, 0);
			else if (u.action == SAFEMAP_UPDATE_STORE)
				mark_stored(u.id);
			ops[4]++;
		} else if (r < 99) {
			err = safemap_get(W.m, &key, &cur);
			if (err)
				continue;
			if (!new_val(&v, key))
				break;
			err = safemap_cas(W.m, &key, &cur, &v);
			if (!err)
				mark_stored(v.id);
			else if (err != -EAGAIN && err != -ENOENT)
				bad("cas", key, err, 0);
			ops[5]++;
		} else {
			if (safemap_clear(W.m))
				bad("clear", 0, 0, 0);
			ops[6]++;
		}
	}
	while (nheld)
		drop(&held[--nheld]);
	for (i = 0; i < 8; i++)
		__atomic_fetch_add(&W.ops[i], ops[i], __ATOMIC_RELAXED);
	return NULL;
}

static void run_finalize_once(unsigned shards, double seconds)
{
	SAFEMAP_OPTS(safemap_type, t, .key_type = "uint64_t", .value_type = "struct val",
		     .finalize = fin);
	SAFEMAP_OPTS(safemap_opts, o, .name = "refs-stress", .key_size = 8,
		     .value_size = sizeof(struct val), .shards = shards, .type = &t);
	pthread_t th[THREADS];
	uint64_t id, stored = 0, ids;
	int i;

	memset(&W, 0, sizeof(W));
	W.max_ids = (uint64_t)(4000000 * tu_scale()) + 1000;
	W.stored = calloc(W.max_ids, sizeof(uint32_t));
	W.finalized = calloc(W.max_ids, sizeof(uint32_t));
	W.held = calloc(W.max_ids, sizeof(uint32_t));
	ck_assert_int_eq(safemap_create(&o, &W.m), 0);
	W.until = tu_now() + seconds;
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	safemap_destroy(W.m); /* finalizes what is left */
	ids = W.next_id < W.max_ids ? W.next_id : W.max_ids;
	for (id = 0; id < ids; id++) {
		stored += W.stored[id];
		if (W.finalized[id] != W.stored[id])
			bad("finalized != stored", id, (long)W.finalized[id], (long)W.stored[id]);
	}
	fprintf(stderr,
		"refs stress: shards %u: %llu ids, %llu stored and finalized once; ops put %ld delete %ld get_ref %ld ref_put %ld update %ld cas %ld clear %ld\n",
		shards, (unsigned long long)ids, (unsigned long long)stored, W.ops[0], W.ops[1],
		W.ops[2], W.ops[3], W.ops[4], W.ops[5], W.ops[6]);
	ck_assert_int_eq(W.errors, 0);
	ck_assert_int_gt(W.ops[2], 0);
	ck_assert_int_gt(W.ops[5], 0);
	free(W.stored);
	free(W.finalized);
	free(W.held);
}

START_TEST(finalize_exactly_once_two_shards)
{
	run_finalize_once(2, tu_stress_seconds(2.0));
}
END_TEST

START_TEST(finalize_exactly_once_default_shards)
{
	run_finalize_once(0, tu_stress_seconds(2.0) / 2);
}
END_TEST

/* ---- counters: update and cas lose no increment */

#define INC_THREADS 4

struct counter {
	uint64_t n;
	uint64_t pad[3]; /* a value larger than a word: torn copies would show */
};

struct inc {
	struct safemap *m;
	long iters;
	int use_cas;
	long retries;
	long errors;
};

static int inc_fn(const void *key, void *value, bool present, void *ctx)
{
	struct counter *c = value;

	c->n++;
	c->pad[0] = c->pad[1] = c->pad[2] = c->n;
	return SAFEMAP_UPDATE_STORE;
}

static void *incrementer(void *arg)
{
	struct inc *w = arg;
	uint64_t key = 1;
	long i;

	for (i = 0; i < w->iters; i++) {
		if (!w->use_cas) {
			if (safemap_update(w->m, &key, inc_fn, NULL, SAFEMAP_ANY))
				w->errors++;
			continue;
		}
		struct counter cur, next;
		int err = safemap_get(w->m, &key, &cur);

		if (err) {
			w->errors++;
			continue;
		}
		do {
			next = cur;
			inc_fn(&key, &next, true, NULL);
			err = safemap_cas(w->m, &key, &cur, &next);
			w->retries += err == -EAGAIN;
		} while (err == -EAGAIN);
		if (err)
			w->errors++;
	}
	return NULL;
}

static volatile int stop_refs;

/* Holds references to the counter while it is being replaced, so updates
 * and cas take the "swap in a new entry" path half of the time. */
static void *ref_holder(void *arg)
{
	struct safemap *m = arg;
	uint64_t key = 1, last = 0;
	long nbad = 0;

	while (!__atomic_load_n(&stop_refs, __ATOMIC_RELAXED)) {
		struct safemap_ref r;
		const struct counter *c;

		if (safemap_get_ref(m, &key, &r))
			continue;
		c = safemap_ref_value(&r);
		nbad += c->n < last || c->pad[2] != c->n;
		last = c->n;
		safemap_ref_put(&r);
	}
	return (void *)nbad;
}

static void run_counter(int use_cas)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "counter", .key_size = 8,
		     .value_size = sizeof(struct counter), .shards = 4);
	struct inc w[INC_THREADS];
	pthread_t th[INC_THREADS], rh;
	struct counter c = { 0 };
	long iters = (long)(200000 * tu_scale()) + 100, retries = 0;
	void *bad;
	uint64_t key = 1;
	int i;

	ck_assert_int_eq(safemap_create(&o, &w[0].m), 0);
	ck_assert_int_eq(safemap_put(w[0].m, &key, &c, SAFEMAP_NOEXIST), 0);
	stop_refs = 0;
	pthread_create(&rh, NULL, ref_holder, w[0].m);
	for (i = 0; i < INC_THREADS; i++) {
		w[i] = (struct inc){ .m = w[0].m, .iters = iters, .use_cas = use_cas };
		pthread_create(&th[i], NULL, incrementer, &w[i]);
	}
	for (i = 0; i < INC_THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].errors, 0);
		retries += w[i].retries;
	}
	__atomic_store_n(&stop_refs, 1, __ATOMIC_RELAXED);
	pthread_join(rh, &bad);
	ck_assert_int_eq(safemap_get(w[0].m, &key, &c), 0);
	fprintf(stderr, "counter via %s: %d threads x %ld = %llu (%ld cas retries)\n",
		use_cas ? "cas" : "update", INC_THREADS, iters, (unsigned long long)c.n, retries);
	ck_assert_uint_eq(c.n, (uint64_t)INC_THREADS * (uint64_t)iters);
	ck_assert_uint_eq(c.pad[2], c.n);
	ck_assert_ptr_null(bad);
	safemap_destroy(w[0].m);
}

START_TEST(counter_via_update)
{
	run_counter(0);
}
END_TEST

START_TEST(counter_via_cas)
{
	run_counter(1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("refs_stress");
	TCase *tc = tcase_create("finalize");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, finalize_exactly_once_two_shards);
	tcase_add_test(tc, finalize_exactly_once_default_shards);
	suite_add_tcase(s, tc);
	tc = tcase_create("counter");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, counter_via_update);
	tcase_add_test(tc, counter_via_cas);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
