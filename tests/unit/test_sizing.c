/* SPDX-License-Identifier: BSD-2-Clause */
/* Table sizing seen through the allocator: a bounded map's shard gets the
 * buckets for its share of max_entries at its first insert, and inserts
 * after that allocate no bucket arrays (no expansions); an unbounded map
 * starts small. */
#include <errno.h>
#include <stdint.h>

#include "../testutil.h"

struct counting {
	long bytes, calls, biggest;
};

static void *c_malloc(size_t size, void *ctx)
{
	struct counting *c = ctx;

	c->bytes += (long)size;
	c->calls++;
	if ((long)size > c->biggest)
		c->biggest = (long)size;
	return malloc(size);
}

static void c_free(void *p, size_t size, void *ctx)
{
	struct counting *c = ctx;

	c->bytes -= (long)size;
	free(p);
}

static struct safemap *map_with(struct counting *c, size_t max)
{
	static struct safemap_alloc a;
	SAFEMAP_OPTS(safemap_opts, o, .key_size = 8, .value_size = 8, .shards = 1,
		     .max_entries = max, .alloc = &a);
	struct safemap *m;

	a = (struct safemap_alloc){ c_malloc, c_free, c };
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	c->biggest = 0; /* count from the first insert on */
	return m;
}

START_TEST(bounded_map_presizes)
{
	struct counting c = { 0 };
	struct safemap *m = map_with(&c, 50000);
	uint64_t k, v = 0;

	k = 1;
	ck_assert_int_eq(safemap_put(m, &k, &v, 0), 0);
	/* 50000 entries at load <= 1: 65536 buckets of 16 bytes at once */
	ck_assert_int_ge(c.biggest, 65536L * 16);
	c.biggest = 0;
	for (k = 2; k <= 50000; k++)
		ck_assert_int_eq(safemap_put(m, &k, &v, 0), 0);
	/* entries came in slab chunks; no bucket array was allocated again */
	ck_assert_int_lt(c.biggest, 65536L * 16);
	safemap_destroy(m);
	ck_assert_int_eq(c.bytes, 0);
}
END_TEST

START_TEST(unbounded_map_starts_small_and_grows)
{
	struct counting c = { 0 };
	struct safemap *m = map_with(&c, 0);
	uint64_t k, v = 0;

	k = 1;
	ck_assert_int_eq(safemap_put(m, &k, &v, 0), 0);
	ck_assert_int_lt(c.biggest, 4096);
	for (k = 2; k <= 5000; k++)
		ck_assert_int_eq(safemap_put(m, &k, &v, 0), 0);
	/* 5000 entries at load <= 1: at least 8192 buckets by now (uthash
	 * alone would still be at 512: it grows when a chain reaches 10) */
	ck_assert_int_ge(c.biggest, 8192L * 16);
	safemap_destroy(m);
	ck_assert_int_eq(c.bytes, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sizing");
	TCase *tc = tcase_create("buckets");

	tcase_add_test(tc, bounded_map_presizes);
	tcase_add_test(tc, unbounded_map_starts_small_and_grows);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
