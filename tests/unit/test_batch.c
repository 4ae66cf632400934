/* SPDX-License-Identifier: BSD-2-Clause */
/* Batch operations against the single calls: a differential test (random
 * batches of random sizes, with duplicate keys, on a twin map driven by
 * single calls: every result, value, event and finalizer call equal),
 * bad arguments (nothing done), batches from inside a foreach (writes
 * -EDEADLK per element, reads work), a freeze midway, and the typed
 * wrappers. The differential runs on small tables (plain loops) and on
 * presized ones (the staged probes of lib/map/table_batch.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <safemap/typed.h>

#include "../testutil.h"

#define KS 12 /* odd sizes: not the 8-byte fast path */
#define VS 20
#define KEYSPACE 700
#define MAXN 1000
#define MAX_ENTRIES 500

struct rec {
	int op, reason, result;
	unsigned char key[KS];
	uint64_t count;
};

struct twin {
	struct safemap *m;
	struct rec ev[4096];
	size_t nev;
	long finalized;
	uint64_t final_sum;
};

static void sink(const struct safemap_event *ev, void *ctx)
{
	struct twin *t = ctx;
	struct rec *r;

	if (t->nev == sizeof(t->ev) / sizeof(t->ev[0]))
		return;
	r = &t->ev[t->nev++];
	memset(r, 0, sizeof(*r));
	r->op = ev->op;
	r->reason = ev->reason;
	r->result = ev->result;
	r->count = ev->count;
	if (ev->key)
		memcpy(r->key, ev->key, KS);
}

static void fin(void *key, void *value, void *ctx)
{
	struct twin *t = ctx;
	uint64_t x;

	(void)key;
	memcpy(&x, value, sizeof(x));
	t->finalized++;
	t->final_sum += x;
}

/* @p presize: tables sized for many more entries than the map holds, large
 * enough (> 1 MiB) for the batch calls' staged probes (lib/map/table_batch.h);
 * else small ones, which the batch calls run as plain loops */
static void twin_make(struct twin *t, bool presize)
{
	SAFEMAP_OPTS(safemap_type, ty, .finalize = fin, .finalize_ctx = t);
	SAFEMAP_OPTS(safemap_opts, o, .name = "twin", .key_size = KS, .value_size = VS,
		     .shards = 4, .max_entries = MAX_ENTRIES, .type = &ty, .event_fn = sink,
		     .event_ctx = t, .event_flags = SAFEMAP_EVENTS_WRITES, .hash_bits = 9,
		     .expected_entries = presize ? 200000 : 0);

	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(safemap_create(&o, &t->m), 0);
}

static void key_of(uint64_t id, unsigned char *k)
{
	memset(k, 0, KS);
	memcpy(k, &id, sizeof(id));
	k[KS - 1] = (unsigned char)(id * 31);
}

static void value_of(uint64_t seed, unsigned char *v)
{
	uint64_t s = seed;
	size_t i;

	for (i = 0; i < VS; i += 4) {
		uint32_t x = (uint32_t)tu_next(&s);

		memcpy(v + i, &x, 4);
	}
}

static void same_events(struct twin *a, struct twin *b)
{
	size_t i;

	ck_assert_uint_eq(a->nev, b->nev);
	for (i = 0; i < a->nev; i++)
		ck_assert_msg(!memcmp(&a->ev[i], &b->ev[i], sizeof(a->ev[i])),
			      "event %zu differs: op %d/%d reason %d/%d result %d/%d", i,
			      a->ev[i].op, b->ev[i].op, a->ev[i].reason, b->ev[i].reason,
			      a->ev[i].result, b->ev[i].result);
	a->nev = b->nev = 0;
}

static unsigned char keys[MAXN][KS], vals[MAXN][VS], out_a[MAXN][VS], out_b[MAXN][VS];
static int res_a[MAXN], res_b[MAXN];

START_TEST(differential)
{
	static struct twin a, b; /* a: batches, b: single calls */
	uint64_t seed = 0x5eed + (uint64_t)_i;
	int round, rounds = (int)(400 * tu_scale()) + 20;

	twin_make(&a, _i & 1);
	twin_make(&b, _i & 1);
	for (round = 0; round < rounds; round++) {
		size_t n = tu_next(&seed) % 5 == 0 ? tu_next(&seed) % 4 : tu_next(&seed) % (MAXN + 1);
		int op = (int)(tu_next(&seed) % 5), ra, rb = 0;
		unsigned flags = (unsigned)(tu_next(&seed) % 3);
		size_t i;

		for (i = 0; i < n; i++) { /* duplicates: a small key space */
			key_of(tu_next(&seed) % KEYSPACE, keys[i]);
			value_of(tu_next(&seed), vals[i]);
		}
		if (round == rounds * 3 / 4) { /* the last quarter on a frozen map */
			ck_assert_int_eq(safemap_freeze(a.m), 0);
			ck_assert_int_eq(safemap_freeze(b.m), 0);
		}
		memset(out_a, 0xaa, sizeof(out_a));
		memset(out_b, 0x55, sizeof(out_b));
		switch (op) {
		case 0:
		case 1:
			ra = safemap_get_batch(a.m, keys, out_a, n, res_a);
			for (i = 0; i < n; i++)
				rb += (res_b[i] = safemap_get(b.m, keys[i], out_b[i])) == 0;
			ck_assert_int_eq(memcmp(out_a, out_b, n * VS), 0);
			break;
		case 2:
		case 3:
			ra = safemap_put_batch(a.m, keys, vals, n, flags, res_a);
			for (i = 0; i < n; i++)
				rb += (res_b[i] = safemap_put(b.m, keys[i], vals[i], flags)) == 0;
			break;
		default:
			ra = safemap_delete_batch(a.m, keys, n, res_a);
			for (i = 0; i < n; i++)
				rb += (res_b[i] = safemap_delete(b.m, keys[i])) == 0;
			break;
		}
		ck_assert_int_eq(ra, rb);
		ck_assert_int_eq(memcmp(res_a, res_b, n * sizeof(int)), 0);
		ck_assert_uint_eq(safemap_count(a.m), safemap_count(b.m));
		same_events(&a, &b);
		ck_assert_int_eq(a.finalized, b.finalized);
		ck_assert_uint_eq(a.final_sum, b.final_sum);
	}
	for (uint64_t id = 0; id < KEYSPACE; id++) { /* the same content at the end */
		int ga, gb;

		key_of(id, keys[0]);
		ga = safemap_get(a.m, keys[0], out_a[0]);
		gb = safemap_get(b.m, keys[0], out_b[0]);
		ck_assert_int_eq(ga, gb);
		ck_assert_int_eq(memcmp(out_a[0], out_b[0], VS), 0);
	}
	safemap_destroy(a.m);
	safemap_destroy(b.m);
	ck_assert_int_eq(a.finalized, b.finalized);
	ck_assert_uint_eq(a.final_sum, b.final_sum);
}
END_TEST

START_TEST(bad_arguments_do_nothing)
{
	static struct twin t;
	int r[4] = { 7, 7, 7, 7 };

	twin_make(&t, false);
	key_of(1, keys[0]);
	value_of(1, vals[0]);
	ck_assert_int_eq(safemap_put_batch(NULL, keys, vals, 1, SAFEMAP_ANY, r), -EINVAL);
	ck_assert_int_eq(safemap_put_batch(t.m, NULL, vals, 1, SAFEMAP_ANY, r), -EINVAL);
	ck_assert_int_eq(safemap_put_batch(t.m, keys, NULL, 1, SAFEMAP_ANY, r), -EINVAL);
	ck_assert_int_eq(safemap_put_batch(t.m, keys, vals, 1, 3, r), -EINVAL);
	ck_assert_int_eq(safemap_put_batch(t.m, keys, vals, (size_t)1 << 40, SAFEMAP_ANY, r),
			 -EINVAL);
	ck_assert_int_eq(safemap_get_batch(NULL, keys, out_a, 1, r), -EINVAL);
	ck_assert_int_eq(safemap_get_batch(t.m, NULL, out_a, 1, r), -EINVAL);
	ck_assert_int_eq(safemap_get_batch(t.m, keys, NULL, 1, r), -EINVAL);
	ck_assert_int_eq(safemap_delete_batch(NULL, keys, 1, r), -EINVAL);
	ck_assert_int_eq(safemap_delete_batch(t.m, NULL, 1, r), -EINVAL);
	ck_assert_int_eq(r[0], 7); /* results untouched */
	ck_assert_uint_eq(safemap_count(t.m), 0);
	ck_assert_uint_eq(t.nev, 0);
	/* n == 0: nothing to do, NULL arrays fine */
	ck_assert_int_eq(safemap_put_batch(t.m, NULL, NULL, 0, SAFEMAP_ANY, NULL), 0);
	ck_assert_int_eq(safemap_get_batch(t.m, NULL, NULL, 0, NULL), 0);
	ck_assert_int_eq(safemap_delete_batch(t.m, NULL, 0, NULL), 0);
	/* results may be NULL */
	ck_assert_int_eq(safemap_put_batch(t.m, keys, vals, 1, SAFEMAP_ANY, NULL), 1);
	ck_assert_int_eq(safemap_get_batch(t.m, keys, out_a, 1, NULL), 1);
	ck_assert_int_eq(memcmp(out_a[0], vals[0], VS), 0);
	ck_assert_int_eq(safemap_delete_batch(t.m, keys, 1, NULL), 1);
	safemap_destroy(t.m);
}
END_TEST

struct walk {
	struct safemap *m;
	int put_ok, put_deadlk, del_deadlk, got, calls;
};

static int in_walk(const void *key, const void *value, void *ctx)
{
	struct walk *w = ctx;
	int r[3], i;

	(void)key;
	(void)value;
	if (w->calls++)
		return 0;
	w->put_ok = safemap_put_batch(w->m, keys, vals, 3, SAFEMAP_ANY, r);
	for (i = 0; i < 3; i++)
		w->put_deadlk += r[i] == -EDEADLK;
	w->got = safemap_get_batch(w->m, keys, out_a, 3, r);
	safemap_delete_batch(w->m, keys, 3, r);
	for (i = 0; i < 3; i++)
		w->del_deadlk += r[i] == -EDEADLK;
	return 0;
}

START_TEST(inside_a_walk)
{
	static struct twin t;
	struct walk w = { 0 };
	int i;

	twin_make(&t, _i);
	for (i = 0; i < 3; i++) {
		key_of((uint64_t)i, keys[i]);
		value_of((uint64_t)i, vals[i]);
	}
	ck_assert_int_eq(safemap_put_batch(t.m, keys, vals, 3, SAFEMAP_ANY, NULL), 3);
	w.m = t.m;
	ck_assert_int_eq(safemap_foreach(t.m, in_walk, &w), 0);
	ck_assert_int_eq(w.put_ok, 0);
	ck_assert_int_eq(w.put_deadlk, 3);
	ck_assert_int_eq(w.del_deadlk, 3);
	ck_assert_int_eq(w.got, 3); /* reads work */
	ck_assert_int_eq(memcmp(out_a, vals, 3 * VS), 0);
	ck_assert_uint_eq(safemap_count(t.m), 3);
	safemap_destroy(t.m);
}
END_TEST

struct pt { int32_t x, y; };
struct color { uint8_t r, g, b, a; };
SAFEMAP_DEFINE_TYPED(pmap, struct pt, struct color);

START_TEST(typed_wrappers)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "typed");
	struct pt k[3] = { { 1, 2 }, { 3, 4 }, { 1, 2 } };
	struct color c[3] = { { 1, 1, 1, 1 }, { 2, 2, 2, 2 }, { 3, 3, 3, 3 } }, got[3];
	int r[3];
	struct pmap *m = NULL;

	ck_assert_int_eq(pmap_create(&o, &m), 0);
	ck_assert_int_eq(pmap_put_batch(m, k, c, 3, SAFEMAP_NOEXIST, r), 2);
	ck_assert_int_eq(r[2], -EEXIST);
	ck_assert_int_eq(pmap_put_batch(m, k, c, 3, SAFEMAP_ANY, r), 3);
	ck_assert_int_eq(pmap_get_batch(m, k, got, 3, r), 3);
	ck_assert_int_eq(got[0].r, 3); /* the later of two puts of one key wins */
	ck_assert_int_eq(got[1].r, 2);
	ck_assert_int_eq(pmap_delete_batch(m, k, 3, r), 2);
	ck_assert_int_eq(r[2], -ENOENT);
	pmap_destroy(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("batch");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, differential, 0, 4); /* odd: presized */
	tcase_add_test(tc, bad_arguments_do_nothing);
	tcase_add_loop_test(tc, inside_a_walk, 0, 2); /* 1: presized */
	tcase_add_test(tc, typed_wrappers);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
