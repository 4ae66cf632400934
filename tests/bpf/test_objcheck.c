/* SPDX-License-Identifier: BSD-2-Clause */
/* The static checker through its public API on the test objects: no
 * kernel, no privileges (label unit: also under ASan+UBSan). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "../testutil.h"

static const char *obj(const char *name)
{
	static char path[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s.bpf.o", SAFEMAP_TEST_BPF_DIR, name);
	return path[i];
}

static const char *policy_file(const char *text)
{
	static char path[] = "/tmp/safemap-policy-XXXXXX";
	int fd;

	strcpy(path, "/tmp/safemap-policy-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static const struct safemap_objcheck_map *map_of(const struct safemap_objcheck *r, const char *n)
{
	size_t i;

	for (i = 0; i < r->nmaps; i++)
		if (!strcmp(r->maps[i].name, n))
			return &r->maps[i];
	ck_abort_msg("no map %s", n);
	return NULL;
}

static int count_kind(const struct safemap_objcheck *r, enum safemap_objcheck_kind k)
{
	size_t i;
	int n = 0;

	for (i = 0; i < r->nfindings; i++)
		n += r->findings[i].kind == k;
	return n;
}

START_TEST(bad_object_without_policy)
{
	struct safemap_objcheck *r = NULL;
	const struct safemap_objcheck_map *m;
	const struct safemap_objcheck_finding *f;

	ck_assert_int_eq(safemap_objcheck_file(obj("check_bad"), NULL, &r), 0);
	ck_assert_uint_eq(r->nmaps, 4); /* no .bss/.rodata/.data: internal maps are left out */
	m = map_of(r, "flows");
	ck_assert_str_eq(m->type_name, "hash");
	ck_assert_uint_eq(m->key_size, 24);
	ck_assert_uint_eq(m->value_size, 8);
	ck_assert_uint_eq(m->max_entries, 4096);
	ck_assert_str_eq(m->key_type, "struct flow_key");
	ck_assert_str_eq(m->value_type, "__u64");
	ck_assert_str_eq(map_of(r, "conns")->type_name, "lru_hash");
	/* padding holes only: 1 (flows) + 1 (tails) + 2 (nested) */
	ck_assert_uint_eq(r->nfindings, 4);
	ck_assert_int_eq(count_kind(r, SAFEMAP_FIND_KEY_PADDING), 4);
	f = &r->findings[0];
	ck_assert_str_eq(f->map, "flows");
	ck_assert_uint_eq(f->offset, 13);
	ck_assert_uint_eq(f->len, 3);
	ck_assert_str_eq(f->message, "map 'flows' key 'struct flow_key': padding hole at bytes 13..15 "
				     "(3 bytes): a lookup with uninitialised padding misses");
	safemap_objcheck_free(r);
}
END_TEST

START_TEST(bad_object_with_policy)
{
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .policy_path = SAFEMAP_TEST_BPF_SRC "/check_policy.txt");
	struct safemap_objcheck *r = NULL;
	size_t i;

	ck_assert_int_eq(safemap_objcheck_file(obj("check_bad"), &o, &r), 0);
	ck_assert_uint_eq(r->nfindings, 5);
	ck_assert_int_eq(count_kind(r, SAFEMAP_FIND_MAX_ENTRIES), 1);
	for (i = 0; i < r->nfindings; i++) {
		if (r->findings[i].kind != SAFEMAP_FIND_MAX_ENTRIES)
			continue;
		ck_assert_str_eq(r->findings[i].map, "conns");
		ck_assert_uint_eq(r->findings[i].expected, 1024);
		ck_assert_uint_eq(r->findings[i].actual, 16);
	}
	safemap_objcheck_free(r);

	ck_assert_int_eq(safemap_objcheck_file(obj("check_clean"), &o, &r), 0);
	ck_assert_uint_eq(r->nmaps, 2);
	ck_assert_uint_eq(r->nfindings, 0);
	safemap_objcheck_free(r);
}
END_TEST

START_TEST(policy_sizes_types_missing)
{
	SAFEMAP_OPTS(safemap_objcheck_opts, o,
		     .policy_path = policy_file("# sizes and types\n"
						"flows type=lru_hash key_size=16 value_size=4 key_padding=ok\n"
						"conns type=2 min_max_entries=1  # numeric type: array\n"
						"gone  value_size=8\n"
						"maybe optional\n"));
	struct safemap_objcheck *r = NULL;

	ck_assert_msg(safemap_objcheck_file(obj("check_clean"), &o, &r) == 0, "%s",
		      safemap_last_error());
	unlink(o.policy_path);
	ck_assert_int_eq(count_kind(r, SAFEMAP_FIND_MAP_TYPE), 2);
	ck_assert_int_eq(count_kind(r, SAFEMAP_FIND_KEY_SIZE), 1);
	ck_assert_int_eq(count_kind(r, SAFEMAP_FIND_VALUE_SIZE), 1);
	ck_assert_int_eq(count_kind(r, SAFEMAP_FIND_MISSING_MAP), 1);
	ck_assert_int_eq(count_kind(r, SAFEMAP_FIND_KEY_PADDING), 0);
	ck_assert_uint_eq(r->nfindings, 5);
	safemap_objcheck_free(r);

	/* key_padding=ok silences a real hole */
	o.policy_path = policy_file("flows key_padding=ok\n");
	ck_assert_int_eq(safemap_objcheck_file(obj("check_bad"), &o, &r), 0);
	unlink(o.policy_path);
	ck_assert_int_eq(count_kind(r, SAFEMAP_FIND_KEY_PADDING), 3);
	safemap_objcheck_free(r);
}
END_TEST

START_TEST(errors)
{
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .policy_path = policy_file("ok\nflows bogus=1\n"));
	struct safemap_objcheck *r = (struct safemap_objcheck *)0x1;

	ck_assert_int_eq(safemap_objcheck_file(obj("check_clean"), &o, &r), -EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(safemap_last_error(), ":2: bad attribute 'bogus=1'"), "%s",
		      safemap_last_error());
	unlink(o.policy_path);
	o.policy_path = "/nonexistent/policy";
	ck_assert_int_eq(safemap_objcheck_file(obj("check_clean"), &o, &r), -ENOENT);
	ck_assert_int_eq(safemap_objcheck_file(obj("no_such_object"), NULL, &r), -ENOENT);
	ck_assert_int_eq(safemap_objcheck_file(SAFEMAP_TEST_BPF_SRC "/check_policy.txt", NULL, &r),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "not a BPF object"));
	ck_assert_int_eq(safemap_objcheck_file(NULL, NULL, &r), -EINVAL);
	ck_assert_int_eq(safemap_objcheck_file(obj("check_clean"), NULL, NULL), -EINVAL);
	safemap_objcheck_free(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("objcheck");
	TCase *tc = tcase_create("objcheck");

	tcase_add_test(tc, bad_object_without_policy);
	tcase_add_test(tc, bad_object_with_policy);
	tcase_add_test(tc, policy_sizes_types_missing);
	tcase_add_test(tc, errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
