/* SPDX-License-Identifier: BSD-2-Clause */
/* Features of different files meeting: every write of issue 3 (update, cas,
 * clear) honours freeze and the write-in-iteration guard; references taken
 * before a freeze stay readable. */
#include <errno.h>
#include <unistd.h>

#include "../testutil.h"

SAFEMAP_DEFINE_TYPED(u64s, uint64_t, uint64_t);

struct counts {
	int frozen, deadlk;
};

static void on_event(const struct safemap_event *ev, void *ctx)
{
	struct counts *c = ctx;

	c->frozen += ev->reason == SAFEMAP_REASON_FROZEN;
	c->deadlk += ev->reason == SAFEMAP_REASON_WRITE_IN_ITERATION;
}

static int add_one(const void *key, void *value, bool present, void *ctx)
{
	(void)key;
	(void)present;
	(void)ctx;
	++*(uint64_t *)value;
	return SAFEMAP_UPDATE_STORE;
}

static struct safemap *map_with_events(struct counts *c)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "combined", .key_size = 8, .value_size = 8,
		     .event_fn = on_event, .event_ctx = c);
	struct safemap *m = NULL;

	ck_assert_int_eq(safemap_create(&o, &m), 0);
	return m;
}

START_TEST(frozen_refuses_update_cas_clear)
{
	struct counts c = { 0 };
	struct safemap *m = map_with_events(&c);
	struct safemap_ref ref;
	uint64_t k = 1, v = 7, exp = 7, des = 8;

	ck_assert_int_eq(safemap_put(m, &k, &v, SAFEMAP_ANY), 0);
	ck_assert_int_eq(safemap_get_ref(m, &k, &ref), 0);
	ck_assert_int_eq(safemap_freeze(m), 0);
	ck_assert_int_eq(safemap_update(m, &k, add_one, NULL, SAFEMAP_ANY), -EPERM);
	ck_assert_int_eq(safemap_cas(m, &k, &exp, &des), -EPERM);
	ck_assert_int_eq(safemap_clear(m), -EPERM);
	ck_assert_int_eq(c.frozen, 3);
	ck_assert_uint_eq(*(const uint64_t *)safemap_ref_value(&ref), 7);
	ck_assert_int_eq(safemap_get(m, &k, &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_uint_eq(safemap_count(m), 1);
	safemap_ref_put(&ref);
	safemap_destroy(m);
}
END_TEST

struct walk {
	struct safemap *m;
	int results[3];
	int refs_ok;
};

static int write_inside(const void *key, const void *value, void *ctx)
{
	struct walk *w = ctx;
	uint64_t exp = *(const uint64_t *)value, des = exp + 1;
	struct safemap_ref ref;

	w->results[0] = safemap_update(w->m, key, add_one, NULL, SAFEMAP_ANY);
	w->results[1] = safemap_cas(w->m, key, &exp, &des);
	w->results[2] = safemap_clear(w->m);
	/* a read of the shard this walk holds: no deadlock, the value is there */
	w->refs_ok = safemap_get_ref(w->m, key, &ref) == 0 &&
		     *(const uint64_t *)safemap_ref_value(&ref) == *(const uint64_t *)value;
	safemap_ref_put(&ref);
	return 1;
}

START_TEST(writes_inside_foreach_are_edeadlk)
{
	struct counts c = { 0 };
	struct safemap *m = map_with_events(&c);
	uint64_t k = 1, v = 7;
	struct walk w = { .m = m };

	alarm(10); /* a hang is a failure, not a stuck CI job */
	ck_assert_int_eq(safemap_put(m, &k, &v, SAFEMAP_ANY), 0);
	ck_assert_int_eq(safemap_foreach(m, write_inside, &w), 1);
	ck_assert_int_eq(w.results[0], -EDEADLK);
	ck_assert_int_eq(w.results[1], -EDEADLK);
	ck_assert_int_eq(w.results[2], -EDEADLK);
	ck_assert(w.refs_ok);
	ck_assert_int_eq(c.deadlk, 3);
	ck_assert_int_eq(safemap_get(m, &k, &v), 0);
	ck_assert_uint_eq(v, 7);
	safemap_destroy(m);
}
END_TEST

static int sum_typed(const uint64_t *key, const uint64_t *value, void *ctx)
{
	uint64_t *sum = ctx;

	ck_assert_uint_eq(*value, *key * 10);
	*sum += *value;
	return 0;
}

START_TEST(typed_foreach_visits_typed_entries)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "typed-walk");
	struct u64s *t;
	uint64_t k, v, sum = 0;

	ck_assert_int_eq(u64s_create(&o, &t), 0);
	for (k = 1; k <= 100; k++) {
		v = k * 10;
		ck_assert_int_eq(u64s_put(t, &k, &v, SAFEMAP_NOEXIST), 0);
	}
	ck_assert_int_eq(u64s_foreach(t, sum_typed, &sum), 0);
	ck_assert_uint_eq(sum, 10 * 5050);
	ck_assert_int_eq(u64s_foreach(t, NULL, NULL), -EINVAL);
	u64s_destroy(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("combined");
	TCase *tc = tcase_create("combined");

	tcase_add_test(tc, frozen_refuses_update_cas_clear);
	tcase_add_test(tc, writes_inside_foreach_are_edeadlk);
	tcase_add_test(tc, typed_foreach_visits_typed_entries);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
