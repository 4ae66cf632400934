/* SPDX-License-Identifier: BSD-2-Clause */
/* Layouts checked against the kernel's BTF of real maps (loaded from
 * maps.bpf.o with libbpf): a pinned map whose value grew from 1512 to 1528
 * bytes is refused at open naming the size and the field; two swapped
 * fields of equal size are caught; nested structs, anonymous unions and
 * arrays match member by member. */
#define FLOW_STATS_VERSION 2 /* this program was built after the upgrade */
#define PAIR_SWAPPED 1       /* ... and with a.b swapped */
#include "types.h"

#include "bpftest.h"

/* The object's (version 1) value, written out by hand: 1512 bytes. */
static const struct safemap_layout_field v1_fields[] = {
	{ "packets", 0, 8 }, { "bytes", 8, 8 }, { "hist", 16, 187 * 8 },
};
static const struct safemap_layout v1_layout = { "struct flow_stats", 1512, 3, v1_fields };

static struct bpf_map *find_map(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	ck_assert_msg(m != NULL, "no map %s", name);
	return m;
}

START_TEST(pinned_value_grew)
{
	bool mounted = bt_bpffs();
	struct bpf_object *obj = bt_load("maps");
	struct bt_events ev = { 0 };
	struct safemap_bpf *h = NULL;
	char pin[128];
	int err;

	ck_assert_uint_eq(sizeof(struct flow_stats), 1528);
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/safemap-test-%d-stats", (int)getpid());
	unlink(pin);
	ck_assert_int_eq(bpf_map__pin(find_map(obj, "stats"), pin), 0);
	bpf_object__close(obj); /* the old agent is gone; its map stays pinned */

	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .map_type = BPF_MAP_TYPE_HASH,
			     .key_size = sizeof(__u32), .value_size = sizeof(struct flow_stats),
			     .value_layout = SAFEMAP_LAYOUT(struct flow_stats, packets, bytes, hist,
							    extra));
		SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &s, .event_fn = bt_on_event,
			     .event_ctx = &ev);

		err = safemap_bpf_open_pinned(pin, &o, &h);
	}
	ck_assert_int_eq(err, -EPROTO);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(safemap_last_error(), "map 'stats'") &&
			      strstr(safemap_last_error(), "value size 1512 in the kernel, 1528 here") &&
			      strstr(safemap_last_error(),
				     "field 'extra' at offset 1512 (16 bytes) here, not in the kernel"),
		      "detail: %s", safemap_last_error());
	ck_assert_int_eq(ev.n, 1);
	ck_assert_int_eq(ev.reason, SAFEMAP_REASON_SPEC_MISMATCH);
	ck_assert_ptr_nonnull(strstr(ev.detail, "1528"));

	/* the size alone, without a layout, is refused too */
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .value_size = sizeof(struct flow_stats));
		SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &s);

		ck_assert_int_eq(safemap_bpf_open_pinned(pin, &o, &h), -EPROTO);
	}
	/* the layout alone (no size in the spec) names the size as well */
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s,
			     .value_layout = SAFEMAP_LAYOUT(struct flow_stats, packets, bytes, hist,
							    extra));
		SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &s);

		ck_assert_int_eq(safemap_bpf_open_pinned(pin, &o, &h), -EPROTO);
		ck_assert_msg(strstr(safemap_last_error(), "value: size 1512 in the kernel, 1528 here"),
			      "detail: %s", safemap_last_error());
	}
	/* a program built against version 1 opens it */
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .value_size = 1512, .value_layout = &v1_layout,
			     .require_btf = true);
		SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &s);

		err = safemap_bpf_open_pinned(pin, &o, &h);
		ck_assert_msg(err == 0, "%s", safemap_last_error());
		ck_assert_str_eq(safemap_bpf_name(h), "stats");
		safemap_bpf_put(h);
	}
	ck_assert_int_eq(unlink(pin), 0);
	bt_bpffs_done(mounted);
}
END_TEST

START_TEST(swapped_fields_same_size)
{
	struct bpf_object *obj = bt_load("maps");
	struct safemap_bpf *h = NULL;
	int err;

	ck_assert_uint_eq(sizeof(struct pair), 8);
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .key_size = 4, .value_size = sizeof(struct pair),
			     .value_layout = SAFEMAP_LAYOUT(struct pair, b, a));
		SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &s);

		err = safemap_bpf_open_map(find_map(obj, "pairs"), &o, &h);
	}
	ck_assert_int_eq(err, -EPROTO);
	ck_assert_msg(strstr(safemap_last_error(), "map 'pairs'") &&
			      strstr(safemap_last_error(), "value: field 'b' at offset 4 in the kernel, 0 here") &&
			      strstr(safemap_last_error(), "value: field 'a' at offset 0 in the kernel, 4 here"),
		      "detail: %s", safemap_last_error());
	ck_assert_ptr_null(strstr(safemap_last_error(), "size"));

	/* the right layout, written by hand, passes */
	{
		static const struct safemap_layout_field f[] = { { "a", 0, 4 }, { "b", 4, 4 } };
		static const struct safemap_layout l = { "struct pair", 8, 2, f };
		SAFEMAP_OPTS(safemap_bpf_spec, s, .value_layout = &l,
			     .key_layout = SAFEMAP_LAYOUT_SCALAR(__u32));
		SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &s);

		err = safemap_bpf_open_map(find_map(obj, "pairs"), &o, &h);
		ck_assert_msg(err == 0, "%s", safemap_last_error());
		/* re-check the open handle against the swapped spec: same finding */
		{
			SAFEMAP_OPTS(safemap_bpf_spec, bad,
				     .value_layout = SAFEMAP_LAYOUT(struct pair, b, a));

			ck_assert_int_eq(safemap_bpf_check(h, &bad), -EPROTO);
		}
		safemap_bpf_put(h);
	}
	bpf_object__close(obj);
}
END_TEST

START_TEST(nested_union_array)
{
	struct bpf_object *obj = bt_load("maps");
	struct bpf_map *m = find_map(obj, "recs");
	struct safemap_bpf *h = NULL;

	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .require_btf = true,
			     .key_layout = SAFEMAP_LAYOUT(struct flow_key_packed, saddr, daddr, sport,
							  dport, proto, pad, ifindex),
			     .value_layout = SAFEMAP_LAYOUT(struct rec, id, hdr.len, hdr.flags, ipv4,
							    ipv6, tag));
		SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &s);

		ck_assert_msg(safemap_bpf_open_map(m, &o, &h) == 0, "%s", safemap_last_error());
		safemap_bpf_put(h);
	}
	{
		/* a nested struct named whole is fine too */
		SAFEMAP_OPTS(safemap_bpf_spec, s,
			     .value_layout = SAFEMAP_LAYOUT(struct rec, id, hdr, ipv4, ipv6, tag));
		SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &s);

		ck_assert_msg(safemap_bpf_open_map(m, &o, &h) == 0, "%s", safemap_last_error());
		safemap_bpf_put(h);
	}
	{
		/* a member the program does not list is named */
		SAFEMAP_OPTS(safemap_bpf_spec, s,
			     .value_layout = SAFEMAP_LAYOUT(struct rec, id, hdr.len, ipv4, ipv6));
		SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &s);

		ck_assert_int_eq(safemap_bpf_open_map(m, &o, &h), -EPROTO);
		ck_assert_msg(strstr(safemap_last_error(),
				     "field 'hdr.flags' at offset 12 (4 bytes) in the kernel, not here") &&
				      strstr(safemap_last_error(),
					     "field 'tag' at offset 32 (8 bytes) in the kernel, not here"),
			      "detail: %s", safemap_last_error());
	}
	{
		/* another struct of the same shape under another name */
		static const struct safemap_layout_field f[] = { { "a", 0, 4 }, { "b", 4, 4 } };
		static const struct safemap_layout l = { "struct other", 8, 2, f };
		SAFEMAP_OPTS(safemap_bpf_spec, s, .value_layout = &l);
		SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &s);

		ck_assert_int_eq(safemap_bpf_open_map(find_map(obj, "pairs"), &o, &h), -EPROTO);
		ck_assert_ptr_nonnull(strstr(safemap_last_error(),
					     "type 'struct pair' in the kernel, 'struct other' here"));
	}
	bpf_object__close(obj);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bpf_btf");
	TCase *tc = tcase_create("layouts");

	tcase_add_test(tc, pinned_value_grew);
	tcase_add_test(tc, swapped_fields_same_size);
	tcase_add_test(tc, nested_union_array);
	suite_add_tcase(s, tc);
	return s;
}

BT_MAIN(suite)
