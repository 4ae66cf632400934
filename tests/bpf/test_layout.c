/* SPDX-License-Identifier: BSD-2-Clause */
/* The layout comparison and padding-hole logic on the BTF that clang wrote
 * into the test objects (btf__parse: no kernel, no privileges; runs under
 * ASan+UBSan). Links the static library to reach the internal functions. */
#define PAIR_SWAPPED 1
#include "types.h"

#include <stdio.h>

#include <bpf/btf.h>

#include "../testutil.h"
#include "../../lib/bpf/bpf_internal.h"

static struct btf *btf_of(const char *obj)
{
	char path[512];
	struct btf *btf;

	snprintf(path, sizeof(path), "%s/%s.bpf.o", SAFEMAP_TEST_BPF_DIR, obj);
	btf = btf__parse(path, NULL);
	ck_assert_msg(btf != NULL, "btf__parse %s: %s", path, strerror(errno));
	return btf;
}

static uint32_t struct_id(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	ck_assert_msg(id > 0, "no struct %s", name);
	return (uint32_t)id;
}

static int compare(const struct btf *btf, const char *type, const struct safemap_layout *l,
		   char *msg, size_t len)
{
	struct safemap__diff d = { .buf = msg, .len = len };

	msg[0] = '\0';
	safemap__btf_compare(btf, struct_id(btf, type), l, "value", true, &d);
	return d.n;
}

START_TEST(swapped_and_right)
{
	struct btf *btf = btf_of("maps");
	char msg[512];

	ck_assert_int_eq(compare(btf, "pair", SAFEMAP_LAYOUT(struct pair, b, a), msg, sizeof(msg)), 2);
	ck_assert_str_eq(msg, "value: field 'b' at offset 4 in the kernel, 0 here; "
			      "value: field 'a' at offset 0 in the kernel, 4 here");
	{
		static const struct safemap_layout_field f[] = { { "a", 0, 4 }, { "b", 4, 4 } };
		static const struct safemap_layout l = { "pair", 8, 2, f }; /* no "struct " */

		ck_assert_int_eq(compare(btf, "pair", &l, msg, sizeof(msg)), 0);
		ck_assert_str_eq(msg, "");
	}
	btf__free(btf);
}
END_TEST

START_TEST(fields_missing_extra_and_sized)
{
	struct btf *btf = btf_of("maps");
	static const struct safemap_layout_field f[] = {
		{ "id", 0, 8 },      { "hdr.len", 8, 4 }, { "hdr.flags", 12, 2 }, /* wrong size */
		{ "ipv4", 16, 4 },   { "ipv6", 16, 16 },  { "nope", 40, 4 },
	};
	static const struct safemap_layout l = { "struct rec", 44, 6, f };
	char msg[512];

	ck_assert_int_eq(compare(btf, "rec", &l, msg, sizeof(msg)), 4);
	ck_assert_msg(strstr(msg, "value: size 40 in the kernel, 44 here") &&
			      strstr(msg, "field 'hdr.flags' has 4 bytes in the kernel, 2 here") &&
			      strstr(msg, "field 'nope' at offset 40 (4 bytes) here, not in the kernel") &&
			      strstr(msg, "field 'tag' at offset 32 (8 bytes) in the kernel, not here"),
		      "%s", msg);
	/* the whole-struct and anonymous-union spellings */
	ck_assert_int_eq(compare(btf, "rec", SAFEMAP_LAYOUT(struct rec, id, hdr, ipv4, ipv6, tag), msg,
				 sizeof(msg)), 0);
	/* a scalar layout of the right size: size and name only */
	{
		static const struct safemap_layout s = { "struct rec", 40, 0, NULL };

		ck_assert_int_eq(compare(btf, "rec", &s, msg, sizeof(msg)), 0);
	}
	btf__free(btf);
}
END_TEST

START_TEST(message_truncates_but_counts)
{
	struct btf *btf = btf_of("maps");
	char msg[48];

	ck_assert_int_eq(compare(btf, "pair", SAFEMAP_LAYOUT(struct pair, b, a), msg, sizeof(msg)), 2);
	ck_assert_uint_lt(strlen(msg), sizeof(msg));
	ck_assert_ptr_nonnull(strstr(msg, "field 'b'"));
	btf__free(btf);
}
END_TEST

struct holes {
	int n;
	uint32_t off[8], len[8];
};

static void on_hole(uint32_t bit_off, uint32_t bits, void *ctx) /* byte-aligned here */
{
	struct holes *h = ctx;

	ck_assert_uint_eq(bit_off % 8, 0);
	ck_assert_uint_eq(bits % 8, 0);
	if (h->n < 8) {
		h->off[h->n] = bit_off / 8;
		h->len[h->n] = bits / 8;
	}
	h->n++;
}

START_TEST(padding_holes)
{
	struct btf *bad = btf_of("check_bad"), *maps = btf_of("maps");
	struct holes h = { 0 };

	ck_assert_int_eq(safemap__btf_holes(bad, struct_id(bad, "flow_key"), on_hole, &h), 1);
	ck_assert_int_eq(h.n, 1);
	ck_assert_uint_eq(h.off[0], 13);
	ck_assert_uint_eq(h.len[0], 3);
	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(safemap__btf_holes(bad, struct_id(bad, "tail_key"), on_hole, &h), 1);
	ck_assert_uint_eq(h.off[0], 12);
	ck_assert_uint_eq(h.len[0], 4);
	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(safemap__btf_holes(bad, struct_id(bad, "nest_key"), on_hole, &h), 2);
	ck_assert_uint_eq(h.off[0], 1);
	ck_assert_uint_eq(h.len[0], 3);
	ck_assert_uint_eq(h.off[1], 9);
	ck_assert_uint_eq(h.len[1], 3);
	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(safemap__btf_holes(maps, struct_id(maps, "flow_key_packed"), on_hole, &h), 0);
	ck_assert_int_eq(safemap__btf_holes(maps, struct_id(maps, "rec"), on_hole, &h), 0);
	ck_assert_int_eq(safemap__btf_holes(maps, struct_id(maps, "pcpu_val"), on_hole, &h), 0);
	ck_assert_int_eq(h.n, 0);
	btf__free(bad);
	btf__free(maps);
}
END_TEST

START_TEST(type_names)
{
	struct btf *btf = btf_of("maps");
	char buf[64];
	int u32 = btf__find_by_name_kind(btf, "__u32", BTF_KIND_TYPEDEF);

	ck_assert_str_eq(safemap__btf_type_name(btf, struct_id(btf, "rec"), buf, sizeof(buf)),
			 "struct rec");
	ck_assert_int_gt(u32, 0);
	ck_assert_str_eq(safemap__btf_type_name(btf, (uint32_t)u32, buf, sizeof(buf)), "__u32");
	ck_assert_str_eq(safemap__btf_type_name(btf, 100000, buf, sizeof(buf)), "?");
	btf__free(btf);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("btf");

	tcase_add_test(tc, swapped_and_right);
	tcase_add_test(tc, fields_missing_extra_and_sized);
	tcase_add_test(tc, message_truncates_but_counts);
	tcase_add_test(tc, padding_holes);
	tcase_add_test(tc, type_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
