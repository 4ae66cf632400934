/* SPDX-License-Identifier: BSD-2-Clause */
/* References and finalizers: a value read through a reference after its
 * key was deleted, replaced or cleared still holds its bytes (ASan proves
 * nothing was freed under it), and the finalizer runs exactly once per
 * stored value, only after the last reference is gone. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../testutil.h"

#define VBYTES 40

struct val {
	uint64_t id;
	unsigned char fill[VBYTES - 8];
};

#define MAXID 20000
static int finalized[MAXID];
static uint64_t last_key;
static int ctx_ok;

static void fin(void *key, void *value, void *ctx)
{
	struct val *v = value;

	ck_assert_uint_lt(v->id, MAXID);
	finalized[v->id]++;
	memcpy(&last_key, key, sizeof(last_key));
	ctx_ok += ctx == (void *)finalized;
	/* a finalizer may scribble on the dying value: nobody reads it again */
	memset(v, 0xdd, sizeof(*v));
}

static struct val mkval(uint64_t id)
{
	struct val v;

	v.id = id;
	memset(v.fill, (int)(id & 0xff), sizeof(v.fill));
	return v;
}

static void check_val(const void *p, uint64_t id)
{
	struct val want = mkval(id);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(memcmp(p, &want, sizeof(want)), 0);
}

static struct safemap *typed_map(unsigned shards, size_t max, const struct safemap_alloc *a)
{
	SAFEMAP_OPTS(safemap_type, t, .key_type = "uint64_t", .value_type = "struct val",
		     .finalize = fin, .finalize_ctx = finalized);
	SAFEMAP_OPTS(safemap_opts, o, .name = "refs", .key_size = 8, .value_size = sizeof(struct val),
		     .shards = shards, .max_entries = max, .type = &t, .alloc = a);
	struct safemap *m = NULL;

	memset(finalized, 0, sizeof(finalized));
	ctx_ok = 0;
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	return m;
}

static int put(struct safemap *m, uint64_t k, uint64_t id, unsigned flags)
{
	struct val v = mkval(id);

	return safemap_put(m, &k, &v, flags);
}

START_TEST(ref_survives_delete)
{
	struct safemap *m = typed_map(0, 0, NULL);
	struct safemap_ref r;
	uint64_t k = 7;
	struct val out;

	ck_assert_int_eq(put(m, k, 1, SAFEMAP_NOEXIST), 0);
	ck_assert_int_eq(safemap_get_ref(m, &k, &r), 0);
	ck_assert_int_eq(safemap_delete(m, &k), 0);
	ck_assert_int_eq(safemap_get(m, &k, &out), -ENOENT);
	ck_assert_uint_eq(safemap_count(m), 0);
	/* deleted, but referenced: bytes intact, not finalized yet */
	check_val(safemap_ref_value(&r), 1);
	ck_assert_int_eq(memcmp(safemap_ref_key(&r), &k, 8), 0);
	ck_assert_int_eq(finalized[1], 0);
	/* the key can be reused meanwhile */
	ck_assert_int_eq(put(m, k, 2, SAFEMAP_NOEXIST), 0);
	check_val(safemap_ref_value(&r), 1);
	safemap_ref_put(&r);
	ck_assert_int_eq(finalized[1], 1);
	ck_assert_uint_eq(last_key, 7);
	ck_assert_ptr_null(r.entry); /* emptied: a second put is harmless */
	safemap_ref_put(&r);
	ck_assert_int_eq(finalized[1], 1);
	ck_assert_int_eq(finalized[2], 0);
	safemap_destroy(m);
	ck_assert_int_eq(finalized[2], 1); /* destroy finalizes what is left */
	ck_assert_int_eq(ctx_ok, 2);
}
END_TEST

START_TEST(ref_survives_replace)
{
	struct safemap *m = typed_map(1, 0, NULL);
	struct safemap_ref r1, r2;
	uint64_t k = 9;
	struct val out;

	ck_assert_int_eq(put(m, k, 1, 0), 0);
	ck_assert_int_eq(safemap_get_ref(m, &k, &r1), 0);
	ck_assert_int_eq(safemap_get_ref(m, &k, &r2), 0);
	ck_assert_int_eq(put(m, k, 2, SAFEMAP_EXIST), 0); /* replace while referenced */
	ck_assert_int_eq(safemap_get(m, &k, &out), 0);
	check_val(&out, 2);
	check_val(safemap_ref_value(&r1), 1);
	check_val(safemap_ref_value(&r2), 1);
	ck_assert_int_eq(finalized[1], 0);
	safemap_ref_put(&r1);
	ck_assert_int_eq(finalized[1], 0); /* r2 still holds it */
	check_val(safemap_ref_value(&r2), 1);
	safemap_ref_put(&r2);
	ck_assert_int_eq(finalized[1], 1);
	/* no reference: a replace finalizes the old value at once, in place */
	ck_assert_int_eq(put(m, k, 3, 0), 0);
	ck_assert_int_eq(finalized[2], 1);
	ck_assert_int_eq(safemap_delete(m, &k), 0);
	ck_assert_int_eq(finalized[3], 1);
	ck_assert_uint_eq(safemap_count(m), 0);
	safemap_destroy(m);
	ck_assert_int_eq(finalized[1] + finalized[2] + finalized[3], 3);
}
END_TEST

START_TEST(ref_survives_clear)
{
	struct safemap *m = typed_map(4, 100, NULL);
	struct safemap_ref r[50];
	uint64_t k;
	int i;

	for (k = 0; k < 100; k++)
		ck_assert_int_eq(put(m, k, k, SAFEMAP_NOEXIST), 0);
	ck_assert_int_eq(put(m, 100, 100, 0), -E2BIG);
	for (k = 0; k < 50; k++)
		ck_assert_int_eq(safemap_get_ref(m, &k, &r[k]), 0);
	ck_assert_int_eq(safemap_clear(m), 0);
	ck_assert_uint_eq(safemap_count(m), 0);
	for (i = 50; i < 100; i++)
		ck_assert_int_eq(finalized[i], 1);
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(finalized[i], 0);
		check_val(safemap_ref_value(&r[i]), (uint64_t)i);
	}
	/* the capacity came back: max_entries new keys fit again */
	for (k = 1000; k < 1100; k++)
		ck_assert_int_eq(put(m, k, k, SAFEMAP_NOEXIST), 0);
	for (i = 0; i < 50; i++) {
		safemap_ref_put(&r[i]);
		ck_assert_int_eq(finalized[i], 1);
	}
	ck_assert_int_eq(safemap_clear(m), 0);
	ck_assert_int_eq(safemap_clear(m), 0); /* clearing an empty map is fine */
	safemap_destroy(m);
	for (i = 0; i < 1100; i++)
		ck_assert_int_eq(finalized[i], i < 100 || i >= 1000 ? 1 : 0);
}
END_TEST

/* Replacing referenced entries swaps a new entry into the table: with one
 * shard and thousands of keys the swapped entries sit everywhere in bucket
 * chains and in iteration order. The table must stay exact. */
START_TEST(swap_keeps_table_intact)
{
	struct safemap *m = typed_map(1, 0, NULL);
	static struct safemap_ref r[3000];
	struct val out;
	uint64_t k;

	for (k = 0; k < 3000; k++)
		ck_assert_int_eq(put(m, k, k, 0), 0);
	for (k = 0; k < 3000; k += 3)
		ck_assert_int_eq(safemap_get_ref(m, &k, &r[k]), 0);
	for (k = 0; k < 3000; k++)
		ck_assert_int_eq(put(m, k, k + 5000, SAFEMAP_EXIST), 0);
	for (k = 0; k < 3000; k++) {
		ck_assert_int_eq(safemap_get(m, &k, &out), 0);
		check_val(&out, k + 5000);
		ck_assert_int_eq(finalized[k], k % 3 ? 1 : 0);
	}
	ck_assert_uint_eq(safemap_count(m), 3000);
	/* delete every other key, through the swapped entries too */
	for (k = 0; k < 3000; k += 2)
		ck_assert_int_eq(safemap_delete(m, &k), 0);
	for (k = 0; k < 3000; k++)
		ck_assert_int_eq(safemap_get(m, &k, &out), k % 2 ? 0 : -ENOENT);
	for (k = 0; k < 3000; k += 3) {
		check_val(safemap_ref_value(&r[k]), k);
		safemap_ref_put(&r[k]);
	}
	ck_assert_uint_eq(safemap_count(m), 1500);
	safemap_destroy(m);
	for (k = 0; k < 8000; k++)
		ck_assert_int_eq(finalized[k], k < 3000 || k >= 5000 ? 1 : 0);
}
END_TEST

START_TEST(ref_errors)
{
	struct safemap *m = typed_map(0, 0, NULL);
	struct safemap_ref r = { (struct safemap *)1, (void *)1 };
	uint64_t k = 3;

	ck_assert_int_eq(safemap_get_ref(m, &k, &r), -ENOENT);
	ck_assert_ptr_null(r.entry); /* emptied on error */
	ck_assert_ptr_null(safemap_ref_value(&r));
	ck_assert_ptr_null(safemap_ref_key(&r));
	ck_assert_ptr_null(safemap_ref_value(NULL));
	ck_assert_int_eq(safemap_get_ref(NULL, &k, &r), -EINVAL);
	ck_assert_int_eq(safemap_get_ref(m, NULL, &r), -EINVAL);
	ck_assert_int_eq(safemap_get_ref(m, &k, NULL), -EINVAL);
	safemap_ref_put(NULL);
	safemap_ref_put(&r);
	safemap_destroy(m);
}
END_TEST

START_TEST(type_descriptor_options)
{
	struct {
		struct safemap_type t;
		char tail[8];
	} big;
	SAFEMAP_OPTS(safemap_opts, o, .key_size = 8, .value_size = 8, .type = &big.t);
	struct safemap *m = NULL;

	memset(&big, 0, sizeof(big));
	ck_assert_int_eq(safemap_create(&o, &m), -EINVAL); /* sz 0 */
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "safemap_type"));
	big.t.sz = sizeof(big);
	big.tail[3] = 1;
	ck_assert_int_eq(safemap_create(&o, &m), -EINVAL); /* unknown tail */
	big.tail[3] = 0;
	big.t.key_type = "uint64_t";
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	safemap_destroy(m);
	o.type = NULL;
	o.event_flags = 2;
	ck_assert_int_eq(safemap_create(&o, &m), -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "event_flags"));
	o.event_flags = SAFEMAP_EVENTS_WRITES;
	o.high_watermark = 5;
	ck_assert_int_eq(safemap_create(&o, &m), -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "max_entries"));
	o.max_entries = 10;
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	safemap_destroy(m);
}
END_TEST

/* An allocator that can be told to fail: replacing a referenced value needs
 * a new entry, so it can fail, and must then leave map and ref untouched. */
static long allow = 1L << 30;

static void *maybe_malloc(size_t size, void *ctx)
{
	return allow-- > 0 ? malloc(size) : NULL;
}

static void sized_free(void *p, size_t size, void *ctx)
{
	free(p);
}

START_TEST(replace_referenced_enomem)
{
	struct safemap_alloc a = { maybe_malloc, sized_free, NULL };
	struct safemap *m = typed_map(1, 0, &a);
	struct safemap_ref r;
	struct val out, want = mkval(1);
	uint64_t k = 5, k2;

	ck_assert_int_eq(put(m, k, 1, 0), 0);
	ck_assert_int_eq(safemap_get_ref(m, &k, &r), 0);
	allow = 0;
	/* use up the entries the shard's slab holds already: from then on a
	 * new entry needs the allocator */
	for (k2 = 1000; k2 < 2000 && put(m, k2, 0, 0) == 0; k2++)
		;
	ck_assert_uint_lt(k2, 2000);
	ck_assert_int_eq(put(m, k, 2, 0), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "referenced"));
	ck_assert_int_eq(safemap_cas(m, &k, &want, &(struct val){ .id = 3 }), -ENOMEM);
	ck_assert_int_eq(finalized[1], 0);
	ck_assert_int_eq(safemap_get(m, &k, &out), 0);
	check_val(&out, 1);
	allow = 1L << 30;
	safemap_ref_put(&r);
	ck_assert_int_eq(finalized[1], 0); /* still in the map */
	ck_assert_int_eq(put(m, k, 2, 0), 0);
	ck_assert_int_eq(finalized[1], 1);
	safemap_destroy(m);
	ck_assert_int_eq(finalized[2], 1);
}
END_TEST

/* Without a finalizer and with no reference held, a replace stays an
 * in-place copy: the value's address does not change. */
START_TEST(plain_replace_in_place)
{
	struct safemap *m = tu_map(8, 8, 1, 0);
	struct safemap_ref r;
	uint64_t k = 1, v = 10;
	const void *p1, *p2;

	ck_assert_int_eq(safemap_put(m, &k, &v, 0), 0);
	ck_assert_int_eq(safemap_get_ref(m, &k, &r), 0);
	p1 = safemap_ref_value(&r);
	safemap_ref_put(&r);
	v = 11;
	ck_assert_int_eq(safemap_put(m, &k, &v, 0), 0);
	ck_assert_int_eq(safemap_get_ref(m, &k, &r), 0);
	p2 = safemap_ref_value(&r);
	ck_assert_ptr_eq(p1, p2);
	ck_assert_uint_eq(*(const uint64_t *)p2, 11);
	/* now referenced: the replace moves the map to a new entry */
	v = 12;
	ck_assert_int_eq(safemap_put(m, &k, &v, 0), 0);
	ck_assert_uint_eq(*(const uint64_t *)safemap_ref_value(&r), 11);
	safemap_ref_put(&r);
	ck_assert_int_eq(safemap_get_ref(m, &k, &r), 0);
	ck_assert_uint_eq(*(const uint64_t *)safemap_ref_value(&r), 12);
	safemap_ref_put(&r);
	safemap_destroy(m);
}
END_TEST

static char logged[512];

static void log_fn(enum safemap_log_level level, const char *msg, void *ctx)
{
	if (level == SAFEMAP_LOG_WARN)
		snprintf(logged, sizeof(logged), "%s", msg);
}

/* A reference left at destroy is a caller bug: reported through the log
 * callback; the value is still finalized exactly once. */
START_TEST(destroy_reports_leftover_ref)
{
	struct safemap *m = typed_map(2, 0, NULL);
	struct safemap_ref r;
	uint64_t k = 1;

	ck_assert_int_eq(put(m, k, 1, 0), 0);
	ck_assert_int_eq(safemap_get_ref(m, &k, &r), 0);
	safemap_set_log(log_fn, NULL);
	safemap_destroy(m);
	safemap_set_log(NULL, NULL);
	ck_assert_ptr_nonnull(strstr(logged, "1 entries still referenced"));
	ck_assert_int_eq(finalized[1], 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("refs");
	TCase *tc = tcase_create("refs");

	tcase_add_test(tc, ref_survives_delete);
	tcase_add_test(tc, ref_survives_replace);
	tcase_add_test(tc, ref_survives_clear);
	tcase_add_test(tc, swap_keeps_table_intact);
	tcase_add_test(tc, ref_errors);
	tcase_add_test(tc, type_descriptor_options);
	tcase_add_test(tc, replace_referenced_enomem);
	tcase_add_test(tc, plain_replace_in_place);
	tcase_add_test(tc, destroy_reports_leftover_ref);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
