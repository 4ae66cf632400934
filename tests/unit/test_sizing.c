/* SPDX-License-Identifier: BSD-2-Clause */
/* Table sizing seen through the allocator: a presized map's shards get
 * their tables in create(); a bounded map's shard gets the buckets for its
 * share of max_entries at its first insert, and inserts after that
 * allocate no bucket arrays (no expansions); an unbounded map
 * starts small; a rehash into a table of more than 4096 groups allocates
 * its per-group counts (table.c: move_all_as), and an insert whose growth
 * cannot have them fails with the map unchanged. */
#include <errno.h>
#include <stdint.h>

#include "../testutil.h"

struct counting {
	long bytes, calls, biggest;
	size_t fail_below; /* armed when > 0: allocations of fewer bytes fail */
	size_t fail_above; /* armed when > 0: allocations of more bytes fail */
};

static void *c_malloc(size_t size, void *ctx)
{
	struct counting *c = ctx;

	if (size < c->fail_below || (c->fail_above && size > c->fail_above))
		return NULL;
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

static struct safemap *map_expecting(struct counting *c, size_t max, size_t expected)
{
	static struct safemap_alloc a;
	SAFEMAP_OPTS(safemap_opts, o, .key_size = 8, .value_size = 8, .shards = 1,
		     .max_entries = max, .expected_entries = expected, .alloc = &a);
	struct safemap *m;

	a = (struct safemap_alloc){ c_malloc, c_free, c };
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	c->biggest = 0; /* count from the first insert on */
	return m;
}

static struct safemap *map_with(struct counting *c, size_t max)
{
	return map_expecting(c, max, 0);
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

/* The bytes of a table of @p groups groups of 8/8 entries (256 bytes
 * each), less than those of one of twice as many. */
#define TABLE_OF(groups) ((long)(groups) * 256)

/* Tables of fewer than 64 groups (14 slots each) take 5/8 of their slots,
 * larger ones 7/8: an unbounded shard's tables of 4, 8, 16, 32 and 64
 * groups hold 35, 70, 140, 280 and 784 entries, and the next insert
 * allocates the next table (twice as large). */
START_TEST(small_tables_grow_at_five_eighths)
{
	static const struct {
		uint64_t holds;
		unsigned groups;
	} steps[] = { { 140, 16 }, { 280, 32 }, { 784, 64 } };
	struct counting c = { 0 };
	struct safemap *m = map_with(&c, 0);
	uint64_t n = 0; /* entries so far: keys 0 .. n-1 */
	unsigned i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		tu_fill_range(m, n, steps[i].holds);
		ck_assert_msg(c.biggest >= TABLE_OF(steps[i].groups) &&
				      c.biggest < TABLE_OF(2 * steps[i].groups),
			      "%llu entries: biggest table %ld bytes, expected one of %u groups",
			      (unsigned long long)steps[i].holds, c.biggest, steps[i].groups);
		tu_fill_range(m, steps[i].holds, steps[i].holds + 1);
		n = steps[i].holds + 1;
		ck_assert_msg(c.biggest >= TABLE_OF(2 * steps[i].groups),
			      "entry %llu did not grow the table of %u groups",
			      (unsigned long long)steps[i].holds + 1, steps[i].groups);
	}
	ck_assert_uint_eq(safemap_count(m), 785);
	safemap_destroy(m);
	ck_assert_int_eq(c.bytes, 0);
}
END_TEST

/* A presized shard's table comes with create(): room for 300 entries at
 * the lower load of small tables (38 groups), and no insert allocates a
 * table, not even the first. */
START_TEST(presized_small_table_holds_its_share)
{
	struct counting c = { 0 };
	struct safemap *m = map_expecting(&c, 0, 300);

	ck_assert_int_ge(c.bytes, TABLE_OF(38));
	tu_fill_range(m, 0, 300);
	ck_assert_int_lt(c.biggest, TABLE_OF(38));
	ck_assert_uint_eq(safemap_count(m), 300);
	tu_check_fill(m, 300, 301);
	safemap_destroy(m);
	ck_assert_int_eq(c.bytes, 0);
}
END_TEST

/* ... and a create() whose presized tables cannot all be had fails, with
 * what it had given back: 64 shards' tables of 1M entries (about 360 KiB
 * each), the allocator refusing anything over 256 KiB. */
START_TEST(presize_without_memory_fails_create)
{
	struct counting c = { .fail_above = 256 * 1024 };
	struct safemap_alloc a = { c_malloc, c_free, &c };
	SAFEMAP_OPTS(safemap_opts, o, .key_size = 8, .value_size = 8, .shards = 64,
		     .expected_entries = 1000000, .alloc = &a);
	struct safemap *m = NULL;

	ck_assert_int_eq(safemap_create(&o, &m), -ENOMEM);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(c.bytes, 0);
	ck_assert_int_gt(c.calls, 0);
}
END_TEST

/* An unbounded shard's tables go 4, 8, ... 512 groups, then grow by half:
 * 768, 1152, 1728, 2592, 3888 (it holds 47628 entries: 7/8 of its
 * slots), 5832. The rehash into 5832 groups needs its counts off the
 * stack: refused, the insert fails and the map is as it was; given, every
 * entry is found where the counts put it, also past full groups (their
 * overflow bits), and after half of them are deleted. */
#define BIG_HOLDS 47628u
START_TEST(large_rehash_counts_allocated)
{
	struct counting c = { 0 };
	struct safemap *m = map_with(&c, 0);
	uint64_t k = BIG_HOLDS, v = 1;
	long before;

	tu_fill_range(m, 0, BIG_HOLDS);
	ck_assert_int_lt(c.biggest, TABLE_OF(5832));
	before = c.bytes;
	c.fail_below = 65536; /* the table's 1.5 MB may come, its 5832 counts not */
	ck_assert_int_eq(safemap_put(m, &k, &v, SAFEMAP_NOEXIST), -ENOMEM);
	ck_assert_int_ge(c.biggest, TABLE_OF(5832)); /* the table was had ... */
	ck_assert_int_eq(c.bytes, before);          /* ... and given back */
	ck_assert_uint_eq(safemap_count(m), BIG_HOLDS);
	tu_check_fill(m, BIG_HOLDS, BIG_HOLDS + 1);
	c.fail_below = 0;
	tu_fill_range(m, BIG_HOLDS, 60000);
	ck_assert_uint_eq(safemap_count(m), 60000);
	tu_check_fill(m, 60000, 60000);
	for (k = 30000; k < 60000; k++)
		ck_assert_int_eq(safemap_delete(m, &k), 0);
	tu_check_fill(m, 30000, 60000);
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
	tcase_add_test(tc, small_tables_grow_at_five_eighths);
	tcase_add_test(tc, presized_small_table_holds_its_share);
	tcase_add_test(tc, presize_without_memory_fails_create);
	tcase_add_test(tc, large_rehash_counts_allocated);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
