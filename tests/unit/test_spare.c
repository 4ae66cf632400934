/* SPDX-License-Identifier: BSD-2-Clause */
/* The spare (lib/map/table.c): a shard of 256 groups or more that comes
 * within a 256th of its capacity of growing gets its next table made by
 * the writer after it unlocks, and the growth takes that very table; a
 * clear frees it, destroy too (ASan's leak check), and every entry is
 * found after the growth. White box: it reads the shard (an internal
 * header). The inserts that see the growth near are those that take the
 * shard's lock: a second thread holding a thread slot of the map halves
 * the group writers' budgets (lib/map/gwrite.h), so that they do. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "../testutil.h"
#include "../../lib/map/map_internal.h"

static struct safemap *M;
static int quit;

/* holds a thread slot of M until told to go */
static void *holder_main(void *arg)
{
	uint64_t k = 0, v;

	(void)arg;
	(void)safemap_get(M, &k, &v);
	while (!__atomic_load_n(&quit, __ATOMIC_ACQUIRE))
		sched_yield();
	return NULL;
}

/* Insert keys from @p *n on until the shard has a spare (true) or its
 * table grew without one (false). */
static bool fill_to_spare(uint64_t *n)
{
	struct safemap_shard *s = &M->shards[0];
	struct safemap_tbl *t = s->tbl;

	while (!__atomic_load_n(&s->spare, __ATOMIC_ACQUIRE)) {
		tu_fill_range(M, *n, *n + 1);
		++*n;
		if (s->tbl != t && t && t->ngroups >= 256)
			return false;
		t = s->tbl;
	}
	return true;
}

START_TEST(growth_takes_the_spare)
{
	struct safemap_shard *s;
	struct safemap_tbl *spare, *before;
	pthread_t holder;
	uint64_t n = 0;
	unsigned grown = 0;

	M = tu_map(8, 8, 1, 0);
	s = &M->shards[0];
	ck_assert(s->fast);
	ck_assert_int_eq(safemap_get(M, &n, &n), -ENOENT); /* this thread's slot */
	ck_assert_int_eq(pthread_create(&holder, NULL, holder_main, NULL), 0);
	while (safemap__gw_sharers() < 2)
		sched_yield();
	/* 4000 entries: a table of 512 groups; each growth from there on
	 * (to 768, 1152, 1728 groups) should find its spare ready */
	tu_fill_range(M, 0, 4000);
	n = 4000;
	while (grown < 3) {
		ck_assert_msg(fill_to_spare(&n), "table of %u groups grew without a spare (%llu entries)",
			      s->tbl->ngroups, (unsigned long long)n);
		before = s->tbl;
		spare = s->spare;
		ck_assert_uint_gt(spare->ngroups, before->ngroups);
		while (s->tbl == before) {
			tu_fill_range(M, n, n + 1);
			n++;
		}
		ck_assert_ptr_eq(s->tbl, spare);
		ck_assert_ptr_null(s->spare);
		grown++;
	}
	tu_check_fill(M, n, n);
	ck_assert_uint_eq(safemap_count(M), n);
	/* a spare, then a clear: freed with the table */
	ck_assert(fill_to_spare(&n));
	ck_assert_int_eq(safemap_clear(M), 0);
	ck_assert_ptr_null(s->spare);
	ck_assert_uint_eq(safemap_count(M), 0);
	/* and one left to destroy (ASan: no leak) */
	tu_fill_range(M, 0, 4000);
	n = 4000;
	ck_assert(fill_to_spare(&n));
	__atomic_store_n(&quit, 1, __ATOMIC_RELEASE);
	pthread_join(holder, NULL);
	safemap_destroy(M);
}
END_TEST

/* A custom allocator sees each growth's table in the insert that grows:
 * no spare is made for its maps. */
static void *plain_malloc(size_t size, void *ctx)
{
	(void)ctx;
	return malloc(size);
}

static void plain_free(void *p, size_t size, void *ctx)
{
	(void)size;
	(void)ctx;
	free(p);
}

START_TEST(no_spare_with_a_custom_allocator)
{
	static struct safemap_alloc a = { plain_malloc, plain_free, NULL };
	SAFEMAP_OPTS(safemap_opts, o, .name = "custom", .key_size = 8, .value_size = 8,
		     .shards = 1, .alloc = &a);
	uint64_t n;

	ck_assert_int_eq(safemap_create(&o, &M), 0);
	for (n = 0; n < 60000; n += 1000) {
		tu_fill_range(M, n, n + 1000);
		ck_assert_ptr_null(M->shards[0].spare);
	}
	tu_check_fill(M, n, n);
	safemap_destroy(M);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spare");
	TCase *tc = tcase_create("spare");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, growth_takes_the_spare);
	tcase_add_test(tc, no_spare_with_a_custom_allocator);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
