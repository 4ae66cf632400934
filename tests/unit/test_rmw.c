/* SPDX-License-Identifier: BSD-2-Clause */
/* Read-modify-write semantics: safemap_update() (create, change, delete,
 * abort, flags, capacity, large values), safemap_cas() (swap, mismatch,
 * absent) and safemap_clear(), with their errors and detail messages. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "../testutil.h"

struct call {
	int action;      /* what the callback returns */
	uint64_t set;    /* value it stores */
	int calls;
	bool present;
	uint64_t seen;
};

static int cb(const void *key, void *value, bool present, void *ctx)
{
	struct call *c = ctx;

	c->calls++;
	c->present = present;
	memcpy(&c->seen, value, 8);
	memcpy(value, &c->set, 8);
	return c->action;
}

static uint64_t getv(struct safemap *m, uint64_t k, int *err)
{
	uint64_t v = 0xbad;

	*err = safemap_get(m, &k, &v);
	return v;
}

START_TEST(update_create_change_delete)
{
	struct safemap *m = tu_map(8, 8, 0, 0);
	struct call c = { .action = SAFEMAP_UPDATE_STORE, .set = 5 };
	uint64_t k = 1;
	int err;

	/* absent: the callback sees zeroes and creates the entry */
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_ANY), 0);
	ck_assert(!c.present);
	ck_assert_uint_eq(c.seen, 0);
	ck_assert_uint_eq(getv(m, 1, &err), 5);
	/* present: sees the value, changes it */
	c.set = 6;
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_EXIST), 0);
	ck_assert(c.present);
	ck_assert_uint_eq(c.seen, 5);
	ck_assert_uint_eq(getv(m, 1, &err), 6);
	/* NONE: its edits of the buffer are thrown away */
	c.action = SAFEMAP_UPDATE_NONE;
	c.set = 99;
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_ANY), 0);
	ck_assert_uint_eq(getv(m, 1, &err), 6);
	/* an error aborts: nothing changes, the error is returned */
	c.action = -ECANCELED;
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_ANY), -ECANCELED);
	ck_assert_int_eq(errno, ECANCELED);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "aborted with"));
	ck_assert_uint_eq(getv(m, 1, &err), 6);
	/* an unknown action is -EINVAL, nothing changes */
	c.action = 7;
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_ANY), -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "returned 7"));
	ck_assert_uint_eq(getv(m, 1, &err), 6);
	/* DELETE */
	c.action = SAFEMAP_UPDATE_DELETE;
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_ANY), 0);
	getv(m, 1, &err);
	ck_assert_int_eq(err, -ENOENT);
	ck_assert_uint_eq(safemap_count(m), 0);
	/* DELETE of an absent key, and NONE on an absent key: nothing created */
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_ANY), 0);
	c.action = SAFEMAP_UPDATE_NONE;
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_ANY), 0);
	ck_assert_uint_eq(safemap_count(m), 0);
	ck_assert_int_eq(c.calls, 8);
	safemap_destroy(m);
}
END_TEST

START_TEST(update_flags_and_errors)
{
	struct safemap *m = tu_map(8, 8, 0, 1);
	struct call c = { .action = SAFEMAP_UPDATE_STORE, .set = 5 };
	uint64_t k = 1, k2 = 2;

	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_EXIST), -ENOENT);
	ck_assert_int_eq(c.calls, 0); /* not run */
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_NOEXIST), 0);
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_NOEXIST), -EEXIST);
	ck_assert_int_eq(c.calls, 1);
	/* full (max_entries 1): creating refused, changing the present key fine */
	ck_assert_int_eq(safemap_update(m, &k2, cb, &c, SAFEMAP_ANY), -E2BIG);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "full"));
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, SAFEMAP_ANY), 0);
	ck_assert_uint_eq(safemap_count(m), 1);
	ck_assert_int_eq(safemap_update(NULL, &k, cb, &c, 0), -EINVAL);
	ck_assert_int_eq(safemap_update(m, NULL, cb, &c, 0), -EINVAL);
	ck_assert_int_eq(safemap_update(m, &k, NULL, &c, 0), -EINVAL);
	ck_assert_int_eq(safemap_update(m, &k, cb, &c, 3), -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "flags"));
	safemap_destroy(m);
}
END_TEST

/* Values larger than the stack buffer go through an allocated one. */
struct big {
	uint64_t w[100];
};

static int big_cb(const void *key, void *value, bool present, void *ctx)
{
	struct big *b = value;
	int i;

	for (i = 0; i < 100; i++)
		b->w[i] += (uint64_t)i;
	return SAFEMAP_UPDATE_STORE;
}

START_TEST(update_large_value)
{
	struct safemap *m = tu_map(4, sizeof(struct big), 0, 0);
	struct big b;
	uint32_t k = 3;
	int i;

	ck_assert_int_eq(safemap_update(m, &k, big_cb, NULL, 0), 0);
	ck_assert_int_eq(safemap_update(m, &k, big_cb, NULL, 0), 0);
	ck_assert_int_eq(safemap_get(m, &k, &b), 0);
	for (i = 0; i < 100; i++)
		ck_assert_uint_eq(b.w[i], 2 * (uint64_t)i);
	safemap_destroy(m);
}
END_TEST

START_TEST(cas_semantics)
{
	struct safemap *m = tu_map(8, 8, 0, 0);
	uint64_t k = 4, v = 10, expected, desired = 20;
	int err;

	expected = 10;
	ck_assert_int_eq(safemap_cas(m, &k, &expected, &desired), -ENOENT);
	ck_assert_uint_eq(expected, 0); /* zero-filled, like get */
	ck_assert_uint_eq(safemap_count(m), 0); /* nothing created */
	ck_assert_int_eq(safemap_put(m, &k, &v, 0), 0);
	expected = 11;
	ck_assert_int_eq(safemap_cas(m, &k, &expected, &desired), -EAGAIN);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(expected, 10); /* the current value, ready for a retry */
	ck_assert_uint_eq(getv(m, 4, &err), 10);
	ck_assert_int_eq(safemap_cas(m, &k, &expected, &desired), 0);
	ck_assert_uint_eq(getv(m, 4, &err), 20);
	ck_assert_int_eq(safemap_cas(NULL, &k, &expected, &desired), -EINVAL);
	ck_assert_int_eq(safemap_cas(m, NULL, &expected, &desired), -EINVAL);
	ck_assert_int_eq(safemap_cas(m, &k, NULL, &desired), -EINVAL);
	ck_assert_int_eq(safemap_cas(m, &k, &expected, NULL), -EINVAL);
	ck_assert_str_eq(safemap_strerror(-EAGAIN),
			 "value differs from the expected one (compare-and-swap)");
	safemap_destroy(m);
}
END_TEST

START_TEST(clear_empties_and_frees_capacity)
{
	struct safemap *m = tu_map(8, 8, 8, 1000);
	uint64_t k;
	int err;

	for (k = 0; k < 1000; k++)
		ck_assert_int_eq(safemap_put(m, &k, &k, SAFEMAP_NOEXIST), 0);
	ck_assert_int_eq(safemap_put(m, &k, &k, 0), -E2BIG);
	ck_assert_int_eq(safemap_clear(m), 0);
	ck_assert_uint_eq(safemap_count(m), 0);
	for (k = 0; k < 1000; k++) {
		getv(m, k, &err);
		ck_assert_int_eq(err, -ENOENT);
	}
	for (k = 0; k < 1000; k++)
		ck_assert_int_eq(safemap_put(m, &k, &k, SAFEMAP_NOEXIST), 0);
	ck_assert_uint_eq(safemap_count(m), 1000);
	ck_assert_int_eq(safemap_clear(NULL), -EINVAL);
	safemap_destroy(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rmw");
	TCase *tc = tcase_create("rmw");

	tcase_add_test(tc, update_create_change_delete);
	tcase_add_test(tc, update_flags_and_errors);
	tcase_add_test(tc, update_large_value);
	tcase_add_test(tc, cas_semantics);
	tcase_add_test(tc, clear_empties_and_frees_capacity);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
