/* SPDX-License-Identifier: BSD-2-Clause */
/* The errno matrix (libbpf selftests' shape): every flag against present,
 * absent and full; every bad argument; the options tail rule. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "../testutil.h"

static struct safemap *m;

static void setup(void)
{
	m = tu_map(sizeof(uint64_t), sizeof(uint64_t), 0, 2);
}

static void teardown(void)
{
	safemap_destroy(m);
}

static int put(uint64_t k, uint64_t v, unsigned flags)
{
	return safemap_put(m, &k, &v, flags);
}

static uint64_t get(uint64_t k, int *err)
{
	uint64_t v = 0xdeadbeef;

	*err = safemap_get(m, &k, &v);
	return v;
}

START_TEST(flags_on_absent_and_present)
{
	int err;

	ck_assert_int_eq(put(1, 10, SAFEMAP_EXIST), -ENOENT);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(put(1, 10, SAFEMAP_NOEXIST), 0);
	ck_assert_int_eq(put(1, 11, SAFEMAP_NOEXIST), -EEXIST);
	ck_assert_uint_eq(get(1, &err), 10); /* the refused put left the value */
	ck_assert_int_eq(put(1, 12, SAFEMAP_EXIST), 0);
	ck_assert_uint_eq(get(1, &err), 12);
	ck_assert_int_eq(put(1, 13, SAFEMAP_ANY), 0);
	ck_assert_uint_eq(get(1, &err), 13);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(safemap_count(m), 1);
}
END_TEST

START_TEST(get_missing_zero_fills)
{
	int err;

	ck_assert_uint_eq(get(7, &err), 0);
	ck_assert_int_eq(err, -ENOENT);
	ck_assert_int_eq(safemap_delete(m, &(uint64_t){ 7 }), -ENOENT);
}
END_TEST

START_TEST(full_map_capacity_two)
{
	int err;

	ck_assert_int_eq(put(1, 1, SAFEMAP_ANY), 0);
	ck_assert_int_eq(put(2, 2, SAFEMAP_NOEXIST), 0);
	/* full: inserting a third key fails with E2BIG whatever the flag */
	ck_assert_int_eq(put(3, 3, SAFEMAP_ANY), -E2BIG);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "max_entries 2"));
	ck_assert_int_eq(put(3, 3, SAFEMAP_NOEXIST), -E2BIG);
	ck_assert_int_eq(put(3, 3, SAFEMAP_EXIST), -ENOENT);
	/* replacing a present key in a full map works (BPF semantics) */
	ck_assert_int_eq(put(1, 100, SAFEMAP_ANY), 0);
	ck_assert_int_eq(put(2, 200, SAFEMAP_EXIST), 0);
	ck_assert_int_eq(put(2, 201, SAFEMAP_NOEXIST), -EEXIST);
	ck_assert_uint_eq(get(1, &err), 100);
	ck_assert_uint_eq(get(2, &err), 200);
	ck_assert_uint_eq(get(3, &err), 0);
	ck_assert_int_eq(err, -ENOENT);
	ck_assert_uint_eq(safemap_count(m), 2);
	/* a delete makes room again */
	ck_assert_int_eq(safemap_delete(m, &(uint64_t){ 1 }), 0);
	ck_assert_int_eq(put(3, 3, SAFEMAP_NOEXIST), 0);
	ck_assert_uint_eq(safemap_count(m), 2);
}
END_TEST

START_TEST(bad_arguments)
{
	uint64_t k = 1, v = 1;

	ck_assert_int_eq(safemap_put(NULL, &k, &v, 0), -EINVAL);
	ck_assert_int_eq(safemap_put(m, NULL, &v, 0), -EINVAL);
	ck_assert_int_eq(safemap_put(m, &k, NULL, 0), -EINVAL);
	ck_assert_int_eq(safemap_put(m, &k, &v, 3), -EINVAL);
	ck_assert_int_eq(safemap_put(m, &k, &v, 4), -EINVAL);
	ck_assert_int_eq(safemap_put(m, &k, &v, ~0u), -EINVAL);
	ck_assert_int_eq(safemap_get(NULL, &k, &v), -EINVAL);
	ck_assert_int_eq(safemap_get(m, NULL, &v), -EINVAL);
	ck_assert_int_eq(safemap_get(m, &k, NULL), -EINVAL);
	ck_assert_int_eq(safemap_delete(NULL, &k), -EINVAL);
	ck_assert_int_eq(safemap_delete(m, NULL), -EINVAL);
	ck_assert_uint_eq(safemap_count(NULL), 0);
	ck_assert_uint_eq(safemap_count(m), 0);
	safemap_destroy(NULL);
}
END_TEST

static int create_with(struct safemap_opts *o)
{
	struct safemap *x = (struct safemap *)0x1;
	int err = safemap_create(o, &x);

	if (!err)
		safemap_destroy(x);
	else
		ck_assert_ptr_null(x);
	return err;
}

START_TEST(bad_options)
{
	struct {
		struct safemap_opts o;
		char tail[16];
	} big;
	struct safemap *x;

	SAFEMAP_OPTS(safemap_opts, o, .key_size = 8, .value_size = 8);
	ck_assert_int_eq(create_with(&o), 0);
	ck_assert_int_eq(safemap_create(NULL, &x), -EINVAL);
	ck_assert_int_eq(safemap_create(&o, NULL), -EINVAL);
	o.key_size = 0;
	ck_assert_int_eq(create_with(&o), -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "key_size"));
	o.key_size = 8;
	o.value_size = 0;
	ck_assert_int_eq(create_with(&o), -EINVAL);
	o.value_size = 8;
	o.shards = 3;
	ck_assert_int_eq(create_with(&o), -EINVAL);
	o.shards = 1u << 20;
	ck_assert_int_eq(create_with(&o), -EINVAL);
	o.shards = 1;
	ck_assert_int_eq(create_with(&o), 0);
	o.sz = 0;
	ck_assert_int_eq(create_with(&o), -EINVAL);

	/* a newer caller's larger struct: zero tail accepted, non-zero refused */
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.o.key_size = 4;
	big.o.value_size = 4;
	ck_assert_int_eq(create_with(&big.o), 0);
	big.tail[5] = 1;
	ck_assert_int_eq(create_with(&big.o), -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "unknown non-zero byte"));

	/* an older caller's shorter struct: fields past sz read as zero */
	memset(&big, 0, sizeof(big));
	big.o.key_size = 4;
	big.o.value_size = 4;
	big.o.shards = 3; /* invalid, but past sz so never read */
	big.o.sz = offsetof(struct safemap_opts, shards);
	ck_assert_int_eq(create_with(&big.o), 0);
}
END_TEST

START_TEST(opts_init_macro_and_names)
{
	struct safemap_opts o;
	struct safemap *x = NULL;

	SAFEMAP_OPTS_INIT(&o);
	ck_assert_uint_eq(o.sz, sizeof(o));
	o.key_size = 3;
	o.value_size = 5;
	o.name = "three-five";
	o.shards = 4;
	ck_assert_int_eq(safemap_create(&o, &x), 0);
	ck_assert_str_eq(safemap_name(x), "three-five");
	ck_assert_uint_eq(safemap_shard_count(x), 4);
	ck_assert_int_eq(safemap_put(x, "abc", "12345", 0), 0);
	char v[5];
	ck_assert_int_eq(safemap_get(x, "abc", v), 0);
	ck_assert_int_eq(memcmp(v, "12345", 5), 0);
	safemap_destroy(x);
	ck_assert_str_eq(safemap_strerror(-E2BIG), "map is full (capacity violation)");
	ck_assert_str_eq(safemap_strerror(ENOENT), "no such key");
	ck_assert_str_eq(safemap_version(), "0.1.0");
}
END_TEST

static int full_events;

static void count_full(const struct safemap_event *ev, void *ctx)
{
	char line[256];

	if (ev->reason == SAFEMAP_REASON_WATERMARK) /* the first insert reaches 90% of 1 */
		return;
	ck_assert_int_eq(ev->source, SAFEMAP_SRC_MAP);
	ck_assert_int_eq(ev->reason, SAFEMAP_REASON_FULL);
	ck_assert_int_eq(ev->result, -E2BIG);
	ck_assert_uint_eq(ev->limit, 1);
	ck_assert_str_eq(ev->map_name, "tiny");
	ck_assert_ptr_eq(ctx, &full_events);
	safemap_event_format(ev, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "reason=full"));
	full_events++;
}

START_TEST(full_emits_event)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "tiny", .key_size = 4, .value_size = 4,
		     .max_entries = 1, .event_fn = count_full, .event_ctx = &full_events);
	struct safemap *x;
	int i, refused = 0;

	ck_assert_int_eq(safemap_create(&o, &x), 0);
	for (i = 0; i < 10; i++)
		refused += safemap_put(x, &i, &i, 0) == -E2BIG;
	ck_assert_int_eq(refused, 9);
	ck_assert_int_eq(full_events, refused);
	safemap_destroy(x);
}
END_TEST

struct counting_alloc {
	long live, bytes, calls, peak;
};

static void *ca_malloc(size_t size, void *ctx)
{
	struct counting_alloc *a = ctx;

	a->live++;
	a->calls++;
	a->bytes += (long)size;
	if (a->bytes > a->peak)
		a->peak = a->bytes;
	return malloc(size);
}

static void ca_free(void *p, size_t size, void *ctx)
{
	struct counting_alloc *a = ctx;

	a->live--;
	a->bytes -= (long)size;
	free(p);
}

START_TEST(allocator_hook_balances)
{
	struct counting_alloc ca = { 0 };
	struct safemap_alloc alloc = { ca_malloc, ca_free, &ca };
	SAFEMAP_OPTS(safemap_opts, o, .name = "alloc", .key_size = 8, .value_size = 24,
		     .shards = 2, .alloc = &alloc);
	struct safemap *x;
	char v[24] = { 0 };
	uint64_t k;

	ck_assert_int_eq(safemap_create(&o, &x), 0);
	for (k = 0; k < 5000; k++)
		ck_assert_int_eq(safemap_put(x, &k, v, 0), 0);
	for (k = 0; k < 5000; k += 2)
		ck_assert_int_eq(safemap_delete(x, &k), 0);
	/* entries come from slab chunks: fewer calls than entries, but every
	 * entry's bytes went through the hook */
	ck_assert_int_gt(ca.calls, 2);
	ck_assert_int_ge(ca.peak, 5000L * (8 + 24));
	safemap_destroy(x);
	ck_assert_int_eq(ca.live, 0);  /* every allocation freed */
	ck_assert_int_eq(ca.bytes, 0); /* with the size it was allocated with */
}
END_TEST

/* An allocator with a byte budget: entries come from slab chunks, so a
 * budget (not a call count) is what runs dry in the middle of a fill. */
static void *fail_malloc(size_t size, void *ctx)
{
	long *left = ctx;

	if (*left < (long)size)
		return NULL;
	*left -= (long)size;
	return malloc(size);
}

static void plain_free(void *p, size_t size, void *ctx)
{
	free(p);
}

START_TEST(enomem_leaves_map_unchanged)
{
	long left = 100 * 1024; /* 5000 entries need more */
	struct safemap_alloc alloc = { fail_malloc, plain_free, &left };
	SAFEMAP_OPTS(safemap_opts, o, .key_size = 8, .value_size = 8, .shards = 1,
		     .alloc = &alloc);
	struct safemap *x;
	uint64_t k, v, ok = 0;
	int err;

	ck_assert_int_eq(safemap_create(&o, &x), 0);
	for (k = 0; k < 5000; k++) {
		err = safemap_put(x, &k, &k, 0);
		ck_assert(err == 0 || err == -ENOMEM);
		ok += err == 0;
		if (err)
			break;
	}
	ck_assert_int_eq(err, -ENOMEM);
	ck_assert_uint_eq(safemap_count(x), ok);
	for (k = 0; k < ok; k++) {
		ck_assert_int_eq(safemap_get(x, &k, &v), 0);
		ck_assert_uint_eq(v, k);
	}
	ck_assert_int_eq(safemap_get(x, &k, &v), -ENOENT);
	/* replacing needs no allocation: still works with the allocator dry */
	v = 77;
	ck_assert_int_eq(safemap_put(x, &(uint64_t){ 0 }, &v, SAFEMAP_EXIST), 0);
	/* a delete frees a slot: the next insert reuses it, no allocation */
	ck_assert_int_eq(safemap_delete(x, &(uint64_t){ 0 }), 0);
	ck_assert_int_eq(safemap_put(x, &k, &k, SAFEMAP_NOEXIST), 0);
	ck_assert_uint_eq(safemap_count(x), ok);
	safemap_destroy(x);
}
END_TEST

START_TEST(enomem_on_first_insert)
{
	long left = 0;
	struct safemap_alloc alloc = { fail_malloc, plain_free, &left };
	SAFEMAP_OPTS(safemap_opts, o, .key_size = 8, .value_size = 8, .shards = 4);
	struct safemap *x;
	uint64_t k = 5, v;

	/* the map is created, then every allocation fails: the first insert
	 * of a shard needs a chunk and a table */
	left = 1L << 30;
	o.alloc = &alloc;
	ck_assert_int_eq(safemap_create(&o, &x), 0);
	left = 0;
	ck_assert_int_eq(safemap_put(x, &k, &k, 0), -ENOMEM);
	ck_assert_uint_eq(safemap_count(x), 0);
	ck_assert_int_eq(safemap_get(x, &k, &v), -ENOENT);
	left = 1L << 30;
	ck_assert_int_eq(safemap_put(x, &k, &k, 0), 0);
	ck_assert_int_eq(safemap_get(x, &k, &v), 0);
	ck_assert_uint_eq(v, k);
	safemap_destroy(x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("errno");
	TCase *tc = tcase_create("matrix");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, flags_on_absent_and_present);
	tcase_add_test(tc, get_missing_zero_fills);
	tcase_add_test(tc, full_map_capacity_two);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);
	tc = tcase_create("create");
	tcase_add_test(tc, bad_options);
	tcase_add_test(tc, opts_init_macro_and_names);
	tcase_add_test(tc, full_emits_event);
	tcase_add_test(tc, allocator_hook_balances);
	tcase_add_test(tc, enomem_leaves_map_unchanged);
	tcase_add_test(tc, enomem_on_first_insert);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
