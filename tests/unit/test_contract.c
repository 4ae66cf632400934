/* SPDX-License-Identifier: BSD-2-Clause */
/* The promises of map.h that issue 13 found broken, one test each:
 * - ref_put_in_foreach*: a foreach callback drops the last reference of a
 *   deleted value whose entry is in the shard the walk holds (and, nested,
 *   in a shard an outer or inner walk holds): no hang (before: the thread
 *   waited forever for its own read lock, the Check timeout killed it), the
 *   value is finalized once, and its entry really is freed when the walk
 *   leaves the shard (putting the same keys again allocates nothing);
 * - destroy_finalizes_retired: a reference held at destroy to a deleted or
 *   replaced value: destroy reports it and finalizes the value once (before:
 *   never finalized, not reported);
 * - map_is_aligned / misaligned_allocator: the map is 64-byte aligned from
 *   malloc and from a hook that returns pointers 8 bytes past a 64-byte
 *   boundary, and a whole workload on such a hook is clean under UBSan
 *   (before: 64 of 64 maps misaligned; UBSan: misaligned access);
 * - callback_int_min: an update callback returning INT_MIN gives errno
 *   INT_MAX and safemap_strerror(INT_MIN) works (before: errno INT_MIN,
 *   UBSan: negation overflow);
 * - clear_frozen_removes_nothing: clear on a frozen map refuses before
 *   removing anything. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../testutil.h"

#define NKEYS 100

static int finalized[4 * NKEYS];

static void fin(void *key, void *value, void *ctx)
{
	uint64_t id;

	(void)key;
	(void)ctx;
	memcpy(&id, value, sizeof(id));
	ck_assert_uint_lt(id, 4 * NKEYS);
	finalized[id]++;
}

/* Counts allocations; optionally returns pointers 8 bytes past a 64-byte
 * boundary (the weakest alignment map.h allows a hook). */
struct counting {
	long mallocs, live;
	bool misalign;
};

static void *c_malloc(size_t size, void *ctx)
{
	struct counting *c = ctx;
	void *p;

	c->mallocs++;
	if (!c->misalign)
		p = malloc(size);
	else if (posix_memalign(&p, 64, size + 64) == 0)
		p = (char *)p + 8;
	else
		p = NULL;
	c->live += p != NULL;
	return p;
}

static void c_free(void *p, size_t size, void *ctx)
{
	struct counting *c = ctx;

	(void)size;
	c->live--;
	free(c->misalign ? (char *)p - 8 : p);
}

static struct safemap *fin_map(unsigned shards, struct counting *c)
{
	static struct safemap_alloc a = { .malloc = c_malloc, .free = c_free };
	SAFEMAP_OPTS(safemap_type, t, .finalize = fin);
	SAFEMAP_OPTS(safemap_opts, o, .name = "contract", .key_size = 8, .value_size = 8,
		     .shards = shards, .type = &t, .alloc = c ? &a : NULL);
	struct safemap *m = NULL;

	a.ctx = c;
	memset(finalized, 0, sizeof(finalized));
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	return m;
}

static void put_id(struct safemap *m, uint64_t k, uint64_t id)
{
	ck_assert_int_eq(safemap_put(m, &k, &id, SAFEMAP_ANY), 0);
}

/* ---- item 1: ref_put from inside a foreach callback */

struct walk {
	struct safemap *m;
	struct safemap_ref *refs;
	int next, n;   /* refs[next..n) still to drop */
	int per_call;  /* drop this many per callback */
	bool nest;     /* the outer walk runs an inner one from its first call */
	int calls;
};

static int drop_cb(const void *key, const void *value, void *ctx)
{
	struct walk *w = ctx;
	int i;

	(void)key;
	(void)value;
	for (i = 0; i < w->per_call && w->next < w->n; i++)
		safemap_ref_put(&w->refs[w->next++]);
	return 0;
}

static int outer_cb(const void *key, const void *value, void *ctx)
{
	struct walk *w = ctx;

	if (w->calls++ == 0)
		ck_assert_int_eq(safemap_foreach(w->m, drop_cb, w), 0);
	return drop_cb(key, value, ctx);
}

/* @p shards shards, NKEYS live keys to walk over, NKEYS deleted keys held by
 * references that the walk drops, @p per_call per callback. */
static void ref_put_in_walk(unsigned shards, int per_call, bool nest)
{
	struct counting c = { 0 };
	struct safemap *m = fin_map(shards, &c);
	struct safemap_ref refs[NKEYS];
	struct walk w = { .m = m, .refs = refs, .n = NKEYS, .per_call = per_call, .nest = nest };
	uint64_t k;
	long before;

	for (k = 0; k < 2 * NKEYS; k++)
		put_id(m, k, k);
	for (k = 0; k < NKEYS; k++) {
		ck_assert_int_eq(safemap_get_ref(m, &k, &refs[k]), 0);
		ck_assert_int_eq(safemap_delete(m, &k), 0);
	}
	ck_assert_int_eq(finalized[0], 0);
	ck_assert_int_eq(safemap_foreach(m, nest ? outer_cb : drop_cb, &w), 0);
	ck_assert_int_eq(w.next, NKEYS);
	for (k = 0; k < 2 * NKEYS; k++)
		ck_assert_int_eq(finalized[k], k < NKEYS ? 1 : 0);
	/* the same keys land in the same shards: the freed entries (and the
	 * tables, which held them all before) are reused, nothing allocated */
	before = c.mallocs;
	for (k = 0; k < NKEYS; k++)
		put_id(m, k, 2 * NKEYS + k);
	ck_assert_int_eq(c.mallocs, before);
	ck_assert_uint_eq(safemap_count(m), 2 * NKEYS);
	safemap_destroy(m);
	for (k = 0; k < 3 * NKEYS; k++)
		ck_assert_int_eq(finalized[k], 1);
	ck_assert_int_eq(c.live, 0);
}

START_TEST(ref_put_in_foreach_one_shard)
{
	ref_put_in_walk(1, 1, false); /* every drop is in the walked shard */
}
END_TEST

START_TEST(ref_put_in_foreach_shards)
{
	ref_put_in_walk(4, 1, false);
	ref_put_in_walk(4, NKEYS, false); /* all at once: most in other shards */
}
END_TEST

START_TEST(ref_put_in_nested_foreach)
{
	ref_put_in_walk(1, 1, true); /* the outer walk holds the shard */
	ref_put_in_walk(4, 1, true); /* in shards an inner walk locked itself */
	ref_put_in_walk(8, 3, true);
}
END_TEST

/* ---- item 4: destroy with references to values that left the map */

static char logged[64][512];
static int nlogged;

static void log_fn(enum safemap_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == SAFEMAP_LOG_WARN && nlogged < 64)
		snprintf(logged[nlogged++], sizeof(logged[0]), "%s", msg);
}

static int logged_with(const char *s)
{
	int i, n = 0;

	for (i = 0; i < nlogged; i++)
		n += strstr(logged[i], s) != NULL;
	return n;
}

START_TEST(destroy_finalizes_retired)
{
	struct safemap *m = fin_map(4, NULL);
	struct safemap_ref r[5];
	uint64_t k;

	put_id(m, 1, 1);
	ck_assert_int_eq(safemap_get_ref(m, &(uint64_t){ 1 }, &r[0]), 0);
	ck_assert_int_eq(safemap_get_ref(m, &(uint64_t){ 1 }, &r[1]), 0);
	ck_assert_int_eq(safemap_delete(m, &(uint64_t){ 1 }), 0); /* deleted, 2 refs */
	put_id(m, 2, 2);
	ck_assert_int_eq(safemap_get_ref(m, &(uint64_t){ 2 }, &r[2]), 0);
	put_id(m, 2, 3); /* id 2 replaced, 1 ref */
	put_id(m, 4, 4);
	ck_assert_int_eq(safemap_get_ref(m, &(uint64_t){ 4 }, &r[3]), 0); /* in the map, 1 ref */
	put_id(m, 5, 5);
	ck_assert_int_eq(safemap_get_ref(m, &(uint64_t){ 5 }, &r[4]), 0);
	ck_assert_int_eq(safemap_clear(m), 0); /* id 3, 4, 5 cleared: 4, 5 referenced */
	put_id(m, 6, 6);
	safemap_ref_put(&r[4]); /* dropped: finalized now, not reported */
	ck_assert_int_eq(finalized[5], 1);
	for (k = 1; k <= 4; k++)
		ck_assert_int_eq(finalized[k], k == 3 ? 1 : 0);
	nlogged = 0;
	safemap_set_log(log_fn, NULL);
	safemap_destroy(m);
	safemap_set_log(NULL, NULL);
	/* every value ever stored finalized exactly once */
	for (k = 1; k <= 6; k++)
		ck_assert_msg(finalized[k] == 1, "id %d finalized %d times", (int)k, finalized[k]);
	ck_assert_int_eq(logged_with("2 references not dropped"), 1);
	ck_assert_int_eq(logged_with("1 reference not dropped"), 2);
	ck_assert_int_eq(logged_with("deleted, replaced or cleared; finalized now"), 3);
	ck_assert_int_eq(logged_with("3 entries still referenced (4 references not dropped; 3 of the entries"), 1);
	ck_assert_int_eq(nlogged, 4);
}
END_TEST

/* a leftover reference to a value still in the map: as before, plus the
 * per-entry line */
START_TEST(destroy_reports_linked)
{
	struct safemap *m = fin_map(2, NULL);
	struct safemap_ref r;

	put_id(m, 9, 9);
	ck_assert_int_eq(safemap_get_ref(m, &(uint64_t){ 9 }, &r), 0);
	nlogged = 0;
	safemap_set_log(log_fn, NULL);
	safemap_destroy(m);
	safemap_set_log(NULL, NULL);
	ck_assert_int_eq(finalized[9], 1);
	ck_assert_int_eq(logged_with("1 reference not dropped to an entry of shard"), 1);
	ck_assert_int_eq(logged_with("still in the map"), 1);
	ck_assert_int_eq(logged_with("1 entries still referenced (1 references not dropped; 0 of"), 1);
}
END_TEST

/* ---- item 5: alignment */

START_TEST(map_is_aligned)
{
	struct safemap *maps[64];
	int i, misaligned = 0;

	for (i = 0; i < 64; i++) {
		maps[i] = tu_map(8, 8, 1, 0);
		misaligned += ((uintptr_t)maps[i] & 63) != 0;
	}
	for (i = 0; i < 64; i++)
		safemap_destroy(maps[i]);
	ck_assert_msg(misaligned == 0, "%d of 64 maps from malloc not 64-byte aligned", misaligned);
}
END_TEST

static int count_cb(const void *key, const void *value, void *ctx)
{
	(void)key;
	(void)value;
	++*(int *)ctx;
	return 0;
}

START_TEST(misaligned_allocator)
{
	struct counting c = { .misalign = true };
	static struct safemap_alloc a = { .malloc = c_malloc, .free = c_free };
	SAFEMAP_OPTS(safemap_type, t, .finalize = fin);
	SAFEMAP_OPTS(safemap_opts, o, .name = "misaligned", .key_size = 8, .value_size = 8,
		     .shards = 4, .type = &t, .alloc = &a, .max_entries = 10000,
		     .delete_latency = true);
	struct safemap *m = NULL;
	struct safemap_snap *sn = NULL;
	struct safemap_ref r;
	uint64_t k, v;
	int n = 0;

	a.ctx = &c;
	memset(finalized, 0, sizeof(finalized));
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	ck_assert_uint_eq((uintptr_t)m & 63, 0);
	for (k = 0; k < 3 * NKEYS; k++)
		put_id(m, k, k);
	ck_assert_int_eq(safemap_get_ref(m, &(uint64_t){ 7 }, &r), 0);
	put_id(m, 7, 7); /* replace a referenced value: a new entry */
	for (k = 0; k < NKEYS; k++)
		ck_assert_int_eq(safemap_delete(m, &k), 0);
	ck_assert_int_eq(safemap_get(m, &(uint64_t){ 150 }, &v), 0);
	ck_assert_uint_eq(v, 150);
	ck_assert_int_eq(safemap_foreach(m, count_cb, &n), 0);
	ck_assert_int_eq(n, 2 * NKEYS);
	ck_assert_int_eq(safemap_snapshot(m, &sn), 0);
	ck_assert_uint_eq(safemap_snapshot_count(sn), 2 * NKEYS);
	safemap_snapshot_free(sn);
	ck_assert_int_eq(safemap_clear(m), 0);
	safemap_ref_put(&r);
	safemap_destroy(m);
	ck_assert_int_eq(c.live, 0);
	ck_assert_int_eq(finalized[7], 2);
}
END_TEST

/* ---- item 6: INT_MIN from a callback */

static int ret_int_min(const void *key, void *value, bool present, void *ctx)
{
	(void)key;
	(void)value;
	(void)present;
	(void)ctx;
	return INT_MIN;
}

START_TEST(callback_int_min)
{
	struct safemap *m = tu_map(8, 8, 1, 0);
	uint64_t k = 1;

	errno = 0;
	ck_assert_int_eq(safemap_update(m, &k, ret_int_min, NULL, SAFEMAP_ANY), INT_MIN);
	ck_assert_int_eq(errno, INT_MAX);
	ck_assert_ptr_nonnull(safemap_strerror(INT_MIN));
	ck_assert_ptr_nonnull(safemap_strerror(INT_MIN + 1));
	ck_assert_uint_eq(safemap_count(m), 0);
	safemap_destroy(m);
}
END_TEST

/* ---- item 3, the single-threaded half (the race is in test_freeze_stress) */

START_TEST(clear_frozen_removes_nothing)
{
	struct safemap *m = fin_map(8, NULL);
	uint64_t k;

	for (k = 0; k < NKEYS; k++)
		put_id(m, k, k);
	ck_assert_int_eq(safemap_freeze(m), 0);
	ck_assert_int_eq(safemap_clear(m), -EPERM);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_uint_eq(safemap_count(m), NKEYS);
	for (k = 0; k < NKEYS; k++)
		ck_assert_int_eq(finalized[k], 0);
	ck_assert_int_eq(safemap_freeze(m), 0); /* done: at once */
	safemap_destroy(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("contract");
	TCase *tc = tcase_create("contract");

	/* a hang (item 1) fails by this timeout */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, ref_put_in_foreach_one_shard);
	tcase_add_test(tc, ref_put_in_foreach_shards);
	tcase_add_test(tc, ref_put_in_nested_foreach);
	tcase_add_test(tc, destroy_finalizes_retired);
	tcase_add_test(tc, destroy_reports_linked);
	tcase_add_test(tc, map_is_aligned);
	tcase_add_test(tc, misaligned_allocator);
	tcase_add_test(tc, callback_int_min);
	tcase_add_test(tc, clear_frozen_removes_nothing);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
