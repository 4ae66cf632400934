/* SPDX-License-Identifier: BSD-2-Clause */
/* Snapshots: the copy equals the map at the call, stays unchanged after the
 * map changes or is destroyed, works from inside a walk, and -ENOMEM leaves
 * nothing behind. Also the narrow-hash test option: with 2 bits of hash
 * nearly every pair of keys collides, and every operation still agrees with
 * a plain reference. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "../testutil.h"

struct seen {
	unsigned char hits[4000];
	long calls;
};

static int mark(const void *key, const void *value, void *ctx)
{
	struct seen *s = ctx;
	uint64_t k, v;

	memcpy(&k, key, 8);
	memcpy(&v, value, 8);
	ck_assert_uint_lt(k, 4000);
	ck_assert_uint_eq(v, k * 3 + 1);
	s->hits[k]++;
	s->calls++;
	return 0;
}

static void check_snapshot(const struct safemap_snap *sn, uint64_t n)
{
	static struct seen s;
	uint64_t k, v;

	memset(&s, 0, sizeof(s));
	ck_assert_uint_eq(safemap_snapshot_count(sn), n);
	for (k = 0; k < n; k++) {
		ck_assert_int_eq(safemap_snapshot_get(sn, &k, &v), 0);
		ck_assert_uint_eq(v, k * 3 + 1);
	}
	k = n + 5;
	v = 99;
	ck_assert_int_eq(safemap_snapshot_get(sn, &k, &v), -ENOENT);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(safemap_snapshot_foreach(sn, mark, &s), 0);
	ck_assert_int_eq(s.calls, (long)n);
	for (k = 0; k < n; k++)
		ck_assert_int_eq(s.hits[k], 1);
}

START_TEST(snapshot_equals_map_and_stays)
{
	unsigned shards[] = { 1, 4, 0 };
	uint64_t sizes[] = { 0, 1, 3000 };
	unsigned i, j;

	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			struct safemap *m = tu_map(8, 8, shards[i], 0);
			struct safemap_snap *sn = NULL;
			uint64_t k;

			tu_fill(m, sizes[j]);
			ck_assert_int_eq(safemap_snapshot(m, &sn), 0);
			ck_assert_ptr_nonnull(sn);
			check_snapshot(sn, sizes[j]);
			/* the map changes; the snapshot does not */
			for (k = 0; k < sizes[j]; k += 2)
				ck_assert_int_eq(safemap_delete(m, &k), 0);
			k = 123456;
			ck_assert_int_eq(safemap_put(m, &k, &k, SAFEMAP_ANY), 0);
			check_snapshot(sn, sizes[j]);
			/* it outlives the map */
			safemap_destroy(m);
			check_snapshot(sn, sizes[j]);
			safemap_snapshot_free(sn);
		}
}
END_TEST

START_TEST(snapshot_bad_args)
{
	struct safemap *m = tu_map(8, 8, 2, 0);
	struct safemap_snap *sn = (struct safemap_snap *)1;
	uint64_t k = 1, v;

	ck_assert_int_eq(safemap_snapshot(NULL, &sn), -EINVAL);
	ck_assert_int_eq(safemap_snapshot(m, NULL), -EINVAL);
	ck_assert_int_eq(safemap_snapshot_get(NULL, &k, &v), -EINVAL);
	ck_assert_int_eq(safemap_snapshot_foreach(NULL, mark, NULL), -EINVAL);
	ck_assert_uint_eq(safemap_snapshot_count(NULL), 0);
	safemap_snapshot_free(NULL);
	ck_assert_int_eq(safemap_snapshot(m, &sn), 0);
	ck_assert_int_eq(safemap_snapshot_get(sn, NULL, &v), -EINVAL);
	ck_assert_int_eq(safemap_snapshot_foreach(sn, NULL, NULL), -EINVAL);
	safemap_snapshot_free(sn);
	safemap_destroy(m);
}
END_TEST

/* from inside a walk of the same map: the held shard is not locked again */
static int snap_inside(const void *key, const void *value, void *ctx)
{
	struct safemap *m = ctx;
	struct safemap_snap *sn = NULL;

	(void)key, (void)value;
	ck_assert_int_eq(safemap_snapshot(m, &sn), 0);
	check_snapshot(sn, 200);
	safemap_snapshot_free(sn);
	return 0;
}

START_TEST(snapshot_inside_foreach)
{
	struct safemap *m = tu_map(8, 8, 8, 0);

	alarm(20);
	tu_fill(m, 200);
	ck_assert_int_eq(safemap_foreach(m, snap_inside, m), 0);
	safemap_destroy(m);
	alarm(0);
}
END_TEST

/* ---- an allocator that fails on demand and balances its books */
struct books {
	long fail_at, calls, live;
	size_t bytes;
};

static void *b_malloc(size_t size, void *ctx)
{
	struct books *b = ctx;
	void *p;

	if (++b->calls == b->fail_at)
		return NULL;
	p = malloc(size);
	if (p) {
		b->live++;
		b->bytes += size;
	}
	return p;
}

static void b_free(void *p, size_t size, void *ctx)
{
	struct books *b = ctx;

	b->live--;
	b->bytes -= size;
	free(p);
}

START_TEST(snapshot_enomem_leaves_nothing)
{
	struct books b = { 0 };
	struct safemap_alloc a = { b_malloc, b_free, &b };
	SAFEMAP_OPTS(safemap_opts, o, .name = "snap", .key_size = 8, .value_size = 8,
		     .shards = 4, .alloc = &a);
	struct safemap *m = NULL;
	struct safemap_snap *sn = (struct safemap_snap *)1;
	long live;
	size_t bytes;

	ck_assert_int_eq(safemap_create(&o, &m), 0);
	tu_fill(m, 500);
	live = b.live;
	bytes = b.bytes;
	b.fail_at = b.calls + 1;
	ck_assert_int_eq(safemap_snapshot(m, &sn), -ENOMEM);
	ck_assert_ptr_null(sn);
	ck_assert_int_eq(b.live, live);
	ck_assert_uint_eq(b.bytes, bytes);
	ck_assert_uint_eq(safemap_count(m), 500);
	/* through the map's allocator when it works, back to it when freed */
	ck_assert_int_eq(safemap_snapshot(m, &sn), 0);
	ck_assert_int_eq(b.live, live + 1);
	check_snapshot(sn, 500);
	safemap_snapshot_free(sn);
	ck_assert_int_eq(b.live, live);
	safemap_destroy(m);
	ck_assert_int_eq(b.live, 0);
	ck_assert_uint_eq(b.bytes, 0);
}
END_TEST

/* ---- narrow hash: collisions everywhere, answers unchanged */
#define NKEYS 300
#define KSIZE 13 /* not a multiple of 8: the hash's tail path too */

struct ref {
	unsigned char present[NKEYS];
	uint32_t value[NKEYS];
};

static void key_of(unsigned i, unsigned char k[KSIZE])
{
	memset(k, 0xa5, KSIZE);
	memcpy(k + 3, &i, sizeof(i));
}

static int narrow_cb(const void *key, const void *value, void *ctx)
{
	const struct ref *r = ctx;
	unsigned i;
	uint32_t v;

	memcpy(&i, (const unsigned char *)key + 3, sizeof(i));
	memcpy(&v, value, sizeof(v));
	ck_assert_uint_lt(i, NKEYS);
	ck_assert(r->present[i]);
	ck_assert_uint_eq(v, r->value[i]);
	return 0;
}

START_TEST(narrow_hash_collisions)
{
	unsigned bits[] = { 1, 2, 5 }, b;

	for (b = 0; b < 3; b++) {
		SAFEMAP_OPTS(safemap_opts, o, .name = "narrow", .key_size = KSIZE,
			     .value_size = 4, .shards = 4, .hash_bits = bits[b]);
		struct safemap *m = NULL;
		struct safemap_snap *sn = NULL;
		struct ref r = { { 0 }, { 0 } };
		uint64_t rng = 7;
		unsigned char k[KSIZE];
		int step;

		ck_assert_int_eq(safemap_create(&o, &m), 0);
		for (step = 0; step < 20000; step++) {
			uint64_t x = tu_next(&rng);
			unsigned i = (unsigned)(x % NKEYS);
			uint32_t v = (uint32_t)(x >> 32), got;

			key_of(i, k);
			switch ((x >> 16) % 3) {
			case 0:
				ck_assert_int_eq(safemap_put(m, k, &v, SAFEMAP_ANY), 0);
				r.present[i] = 1;
				r.value[i] = v;
				break;
			case 1:
				ck_assert_int_eq(safemap_delete(m, k), r.present[i] ? 0 : -ENOENT);
				r.present[i] = 0;
				break;
			default:
				ck_assert_int_eq(safemap_get(m, k, &got), r.present[i] ? 0 : -ENOENT);
				ck_assert_uint_eq(got, r.present[i] ? r.value[i] : 0);
			}
		}
		ck_assert_int_eq(safemap_foreach(m, narrow_cb, &r), 0);
		ck_assert_int_eq(safemap_snapshot(m, &sn), 0);
		ck_assert_int_eq(safemap_snapshot_foreach(sn, narrow_cb, &r), 0);
		ck_assert_uint_eq(safemap_snapshot_count(sn), safemap_count(m));
		safemap_snapshot_free(sn);
		safemap_destroy(m);
	}
	{
		SAFEMAP_OPTS(safemap_opts, o, .key_size = 8, .value_size = 8, .hash_bits = 65);
		struct safemap *m = NULL;

		ck_assert_int_eq(safemap_create(&o, &m), -EINVAL);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("snapshot");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, snapshot_equals_map_and_stays);
	tcase_add_test(tc, snapshot_bad_args);
	tcase_add_test(tc, snapshot_inside_foreach);
	tcase_add_test(tc, snapshot_enomem_leaves_nothing);
	tcase_add_test(tc, narrow_hash_collisions);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
