/* SPDX-License-Identifier: BSD-2-Clause */
/* The typed layer at run time: the wrappers fill in sizes and type names,
 * round-trip typed keys and values, and a view of a map made for other
 * types is refused (-EINVAL, one TYPE_MISMATCH event per refusal). That the
 * wrong types do not compile is tests/typed/. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <safemap/typed.h>

#include "../testutil.h"

struct flow_key {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t proto;
};

struct flow_stats {
	uint64_t packets, bytes;
};

SAFEMAP_DEFINE_TYPED(flows, struct flow_key, struct flow_stats);
SAFEMAP_DEFINE_TYPED(counters, uint64_t, uint64_t);
SAFEMAP_DEFINE_TYPED(signed_counters, int64_t, uint64_t);

static int mismatches;

static void on_event(const struct safemap_event *ev, void *ctx)
{
	if (ev->reason == SAFEMAP_REASON_TYPE_MISMATCH) {
		ck_assert_int_eq(ev->result, -EINVAL);
		mismatches++;
	}
}

static int add_packet(const struct flow_key *k, struct flow_stats *s, bool present, void *ctx)
{
	s->packets++;
	s->bytes += *(const uint64_t *)ctx;
	return SAFEMAP_UPDATE_STORE;
}

START_TEST(typed_round_trip)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "flows", .max_entries = 100, .event_fn = on_event);
	struct flow_key k = { 1, 2, 3, 4, 6 };
	struct flow_stats s = { 1, 100 }, out, exp;
	struct safemap_ref r;
	struct flows *f;
	uint64_t bytes = 1500;

	ck_assert_int_eq(flows_create(&o, &f), 0);
	ck_assert_int_eq(flows_put(f, &k, &s, SAFEMAP_NOEXIST), 0);
	ck_assert_int_eq(flows_get(f, &k, &out), 0);
	ck_assert_uint_eq(out.bytes, 100);
	ck_assert_int_eq(flows_update(f, &k, add_packet, &bytes, SAFEMAP_EXIST), 0);
	ck_assert_int_eq(flows_get_ref(f, &k, &r), 0);
	ck_assert_uint_eq(flows_ref_value(&r)->packets, 2);
	ck_assert_uint_eq(flows_ref_value(&r)->bytes, 1600);
	ck_assert_uint_eq(flows_ref_key(&r)->proto, 6);
	safemap_ref_put(&r);
	exp = (struct flow_stats){ 2, 1600 };
	s = (struct flow_stats){ 0, 0 };
	ck_assert_int_eq(flows_cas(f, &k, &exp, &s), 0);
	ck_assert_uint_eq(flows_count(f), 1);
	ck_assert_str_eq(safemap_name(flows_map(f)), "flows");
	ck_assert_int_eq(flows_delete(f, &k), 0);
	ck_assert_int_eq(flows_put(f, &k, &s, 0), 0);
	ck_assert_int_eq(flows_clear(f), 0);
	ck_assert_uint_eq(flows_count(f), 0);
	ck_assert_int_eq(mismatches, 0);
	flows_destroy(f);
}
END_TEST

START_TEST(attach_checks_types)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "c", .event_fn = on_event);
	SAFEMAP_OPTS(safemap_opts, raw, .name = "raw", .key_size = 8, .value_size = 8,
		     .event_fn = on_event);
	struct counters *c, *c2;
	struct signed_counters *sc = (struct signed_counters *)1;
	struct flows *f = (struct flows *)1;
	struct safemap *m;
	int refused = 0;

	mismatches = 0;
	ck_assert_int_eq(counters_create(&o, &c), 0);
	/* same types: a second view of the same map */
	ck_assert_int_eq(counters_attach(counters_map(c), &c2), 0);
	ck_assert_ptr_eq(c2, c);
	/* other types: refused with an event, the view left NULL */
	refused += flows_attach(counters_map(c), &f) == -EINVAL;
	ck_assert_ptr_null(f);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "struct flow_key"));
	/* same sizes, other type name: refused too */
	refused += signed_counters_attach(counters_map(c), &sc) == -EINVAL;
	ck_assert_ptr_null(sc);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "int64_t"));
	ck_assert_int_eq(refused, 2);
	ck_assert_int_eq(mismatches, refused);
	counters_destroy(c);

	/* an untyped map of the right sizes can be viewed; of the wrong not */
	ck_assert_int_eq(safemap_create(&raw, &m), 0);
	ck_assert_int_eq(signed_counters_attach(m, &sc), 0);
	ck_assert_int_eq(flows_attach(m, &f), -EINVAL);
	ck_assert_int_eq(mismatches, 3);
	safemap_destroy(m);
}
END_TEST

START_TEST(create_typed_checks_options)
{
	SAFEMAP_OPTS(safemap_type, t, .key_type = "uint32_t");
	SAFEMAP_OPTS(safemap_opts, o, .key_size = 4);
	struct counters *c = (struct counters *)1;

	ck_assert_int_eq(counters_create(&o, &c), -EINVAL); /* key_size 4 != 8 */
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "uint64_t (8)"));
	o.key_size = 8;
	o.type = &t;
	ck_assert_int_eq(counters_create(&o, &c), -EINVAL); /* names differ */
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "uint32_t"));
	t.key_type = NULL;
	ck_assert_int_eq(counters_create(&o, &c), 0);
	counters_destroy(c);
	ck_assert_int_eq(counters_create(NULL, &c), 0); /* all defaults */
	counters_destroy(c);
	ck_assert_int_eq(safemap_create_typed(NULL, 8, 8, "a", "b", NULL), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("typed");
	TCase *tc = tcase_create("typed");

	tcase_add_test(tc, typed_round_trip);
	tcase_add_test(tc, attach_checks_types);
	tcase_add_test(tc, create_typed_checks_options);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
