/* SPDX-License-Identifier: BSD-2-Clause */
/* safemap_objcheck_object() on opened, not loaded objects: the same
 * findings as the file checker, policies built in code, opts.fix raising
 * max_entries, and bad arguments. No kernel, no privileges (label unit:
 * also under ASan+UBSan); the load and the pins are test_objcheck_load. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "objcheck_test.h"

/* The findings that should stop a load: all but 'fixed' ones. */
static int refusing(const struct safemap_objcheck *r)
{
	return (int)r->nfindings - oc_count(r, SAFEMAP_FIND_FIXED);
}

static struct safemap_objcheck_policy *conns_policy(bool padding_ok)
{
	SAFEMAP_OPTS(safemap_objcheck_rule, conns, .map = "conns", .map_type = BPF_MAP_TYPE_LRU_HASH,
		     .key_size = 4, .min_max_entries = 1024);
	SAFEMAP_OPTS(safemap_objcheck_rule, rest, .map = "*", .key_padding_ok = padding_ok);
	struct safemap_objcheck_policy *p = NULL;

	ck_assert_int_eq(safemap_objcheck_policy_new(&p), 0);
	ck_assert_int_eq(safemap_objcheck_policy_add(p, &conns), 0);
	ck_assert_int_eq(safemap_objcheck_policy_add(p, &rest), 0);
	return p;
}

/* The same findings as safemap_objcheck_file() with the same policy file. */
START_TEST(same_as_file)
{
	const char *policy = SAFEMAP_TEST_BPF_SRC "/check_policy.txt";
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .policy_path = policy);
	struct safemap_objcheck *rf = NULL, *ro = NULL;
	struct bpf_object *obj = bt_open_obj("check_bad");
	char path[512];
	size_t i;

	snprintf(path, sizeof(path), "%s/check_bad.bpf.o", SAFEMAP_TEST_BPF_DIR);
	ck_assert_int_eq(safemap_objcheck_file(path, &o, &rf), 0);
	ck_assert_msg(safemap_objcheck_object(obj, &o, &ro) == 0, "%s", safemap_last_error());
	ck_assert_str_eq(ro->path, "check_bad");
	ck_assert_uint_eq(ro->nmaps, rf->nmaps);
	ck_assert_uint_eq(ro->nfindings, 5);
	ck_assert_uint_eq(ro->nfindings, rf->nfindings);
	for (i = 0; i < ro->nfindings; i++) {
		ck_assert_int_eq(ro->findings[i].kind, rf->findings[i].kind);
		ck_assert_str_eq(ro->findings[i].message, rf->findings[i].message);
	}
	ck_assert_uint_eq(ro->npins, 0);
	safemap_objcheck_free(rf);
	safemap_objcheck_free(ro);

	/* the file's policy through the policy object gives the same */
	{
		struct safemap_objcheck_policy *p = NULL;
		SAFEMAP_OPTS(safemap_objcheck_opts, po, .policy = NULL);

		ck_assert_int_eq(safemap_objcheck_policy_load(policy, &p), 0);
		po.policy = p;
		ck_assert_int_eq(safemap_objcheck_object(obj, &po, &ro), 0);
		ck_assert_uint_eq(ro->nfindings, 5);
		safemap_objcheck_free(ro);
		/* the rules' "seen" marks are per check: a second check is the same */
		ck_assert_int_eq(safemap_objcheck_object(obj, &po, &ro), 0);
		ck_assert_uint_eq(ro->nfindings, 5);
		safemap_objcheck_free(ro);
		safemap_objcheck_policy_free(p);
	}
	bpf_object__close(obj);
}
END_TEST

/* The planted object (key holes, a too-small bound) is refused; with fix
 * the bound is raised in the object and reported as 'fixed'. */
START_TEST(planted_refused_then_fixed)
{
	struct safemap_objcheck_policy *p = conns_policy(false);
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .policy = p);
	struct bpf_object *obj = bt_open_obj("check_bad");
	struct bpf_map *conns = bpf_object__find_map_by_name(obj, "conns");
	const struct safemap_objcheck_finding *f;
	struct safemap_objcheck *r = NULL;

	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_KEY_PADDING), 4);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_MAX_ENTRIES), 1);
	ck_assert_int_eq(refusing(r), 5);
	f = oc_finding(r, NULL, SAFEMAP_FIND_MAX_ENTRIES);
	ck_assert_str_eq(f->message,
			 "map 'conns': max_entries 16 is below the policy's minimum 1024 (line 1)");
	ck_assert_uint_eq(bpf_map__max_entries(conns), 16); /* no fix: untouched */
	safemap_objcheck_free(r);

	o.fix = true;
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_MAX_ENTRIES), 0);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_FIXED), 1);
	ck_assert_int_eq(refusing(r), 4); /* the holes cannot be fixed */
	f = oc_finding(r, NULL, SAFEMAP_FIND_FIXED);
	ck_assert_str_eq(f->map, "conns");
	ck_assert_uint_eq(f->expected, 1024);
	ck_assert_uint_eq(f->actual, 16);
	ck_assert_str_eq(f->message,
			 "map 'conns': max_entries 16 raised to 1024, the policy's minimum (line 1)");
	ck_assert_uint_eq(bpf_map__max_entries(conns), 1024);
	for (size_t i = 0; i < r->nmaps; i++)
		if (!strcmp(r->maps[i].name, "conns"))
			ck_assert_uint_eq(r->maps[i].max_entries, 1024);
	safemap_objcheck_free(r);

	/* fixed once: the next check finds nothing to fix */
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_FIXED), 0);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_MAX_ENTRIES), 0);
	safemap_objcheck_free(r);
	bpf_object__close(obj);
	safemap_objcheck_policy_free(p);

	/* holes accepted by the policy: only the fix is left, the load may go on */
	p = conns_policy(true);
	o.policy = p;
	obj = bt_open_obj("check_bad");
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_uint_eq(r->nfindings, 1);
	ck_assert_int_eq(refusing(r), 0);
	safemap_objcheck_free(r);
	bpf_object__close(obj);
	safemap_objcheck_policy_free(p);
}
END_TEST

START_TEST(code_policy_types_missing)
{
	SAFEMAP_OPTS(safemap_objcheck_rule, flows, .map = "flows", .map_type = BPF_MAP_TYPE_ARRAY,
		     .value_size = 4);
	SAFEMAP_OPTS(safemap_objcheck_rule, gone, .map = "gone");
	SAFEMAP_OPTS(safemap_objcheck_rule, maybe, .map = "maybe", .optional = true);
	struct safemap_objcheck_policy *p = NULL;
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .policy = NULL);
	struct bpf_object *obj = bt_open_obj("check_clean");
	struct safemap_objcheck *r = NULL;

	ck_assert_int_eq(safemap_objcheck_policy_new(&p), 0);
	ck_assert_int_eq(safemap_objcheck_policy_add(p, &flows), 0);
	ck_assert_int_eq(safemap_objcheck_policy_add(p, &gone), 0);
	ck_assert_int_eq(safemap_objcheck_policy_add(p, &maybe), 0);
	o.policy = p;
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_MAP_TYPE), 1);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_VALUE_SIZE), 1);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_MISSING_MAP), 1);
	ck_assert_str_eq(oc_finding(r, NULL, SAFEMAP_FIND_MISSING_MAP)->map, "gone");
	ck_assert_uint_eq(r->nfindings, 3);
	safemap_objcheck_free(r);
	bpf_object__close(obj);
	safemap_objcheck_policy_free(p);
}
END_TEST

START_TEST(errors)
{
	char big[80];
	struct { struct safemap_objcheck_rule r; char tail[8]; } longer;
	SAFEMAP_OPTS(safemap_objcheck_rule, rule, .map = NULL);
	struct safemap_objcheck_policy *p = NULL;
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .policy_path = SAFEMAP_TEST_BPF_SRC "/check_policy.txt");
	struct bpf_object *obj = bt_open_obj("check_clean");
	struct safemap_objcheck *r = (struct safemap_objcheck *)0x1;
	char path[512];

	ck_assert_int_eq(safemap_objcheck_policy_new(&p), 0);
	ck_assert_int_eq(safemap_objcheck_policy_add(p, &rule), -EINVAL); /* no name */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rule.map = big;
	ck_assert_int_eq(safemap_objcheck_policy_add(p, &rule), -EINVAL); /* too long */
	memset(&longer, 0, sizeof(longer));
	longer.r.sz = sizeof(longer);
	longer.r.map = "x";
	longer.tail[3] = 1; /* a newer caller's field this library does not know */
	ck_assert_int_eq(safemap_objcheck_policy_add(p, &longer.r), -EINVAL);
	longer.tail[3] = 0;
	ck_assert_int_eq(safemap_objcheck_policy_add(p, &longer.r), 0);
	ck_assert_int_eq(safemap_objcheck_policy_add(NULL, &longer.r), -EINVAL);
	ck_assert_int_eq(safemap_objcheck_policy_add(p, NULL), -EINVAL);
	ck_assert_int_eq(safemap_objcheck_policy_new(NULL), -EINVAL);
	safemap_objcheck_policy_free(p);
	ck_assert_int_eq(safemap_objcheck_policy_load("/nonexistent/policy", &p), -ENOENT);
	ck_assert_ptr_null(p);

	ck_assert_int_eq(safemap_objcheck_policy_new(&p), 0);
	o.policy = p; /* both a file and an object */
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), -EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "both set"));
	o.policy = NULL;
	o.policy_path = "/nonexistent/policy";
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), -ENOENT);
	ck_assert_int_eq(safemap_objcheck_object(NULL, NULL, &r), -EINVAL);
	ck_assert_int_eq(safemap_objcheck_object(obj, NULL, NULL), -EINVAL);
	/* the fix is for an object about to be loaded, not for a file */
	o.policy_path = NULL;
	o.fix = true;
	snprintf(path, sizeof(path), "%s/check_clean.bpf.o", SAFEMAP_TEST_BPF_DIR);
	ck_assert_int_eq(safemap_objcheck_file(path, &o, &r), -EINVAL);
	/* pins_dir that is not there (checked before any pin is opened) */
	o.fix = false;
	o.pins_dir = "/nonexistent/pins";
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), -ENOENT);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "pins directory '/nonexistent/pins'"));
	o.pins_dir = SAFEMAP_TEST_BPF_SRC "/check_policy.txt";
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), -ENOTDIR);
	safemap_objcheck_policy_free(p);
	safemap_objcheck_policy_free(NULL);
	bpf_object__close(obj);
}
END_TEST

/* One policy shared by threads that each check their own object: the
 * policy is only read (the checker marks a copy), so every report is the
 * same as a lone check's. */
struct shared_ctx {
	const struct safemap_objcheck_policy *p;
	int bad; /* reports that differ */
};

static void *check_loop(void *arg)
{
	struct shared_ctx *c = arg;
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .policy = c->p);
	int i;

	for (i = 0; i < 40; i++) {
		struct bpf_object *obj = bt_open_obj(i & 1 ? "check_bad" : "check_clean");
		struct safemap_objcheck *r = NULL;
		int want_missing = 1, want_total = i & 1 ? 6 : 1;

		if (safemap_objcheck_object(obj, &o, &r) || oc_count(r, SAFEMAP_FIND_MISSING_MAP) != want_missing ||
		    (int)r->nfindings != want_total)
			__atomic_fetch_add(&c->bad, 1, __ATOMIC_RELAXED);
		safemap_objcheck_free(r);
		bpf_object__close(obj);
	}
	return NULL;
}

START_TEST(shared_policy_threads)
{
	SAFEMAP_OPTS(safemap_objcheck_rule, gone, .map = "gone"); /* missing in both objects */
	struct safemap_objcheck_policy *p = conns_policy(false);
	struct shared_ctx c = { p, 0 };
	pthread_t t[4];
	int i;

	ck_assert_int_eq(safemap_objcheck_policy_add(p, &gone), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, check_loop, &c), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(c.bad, 0);
	safemap_objcheck_policy_free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("objcheck_object");
	TCase *tc = tcase_create("objcheck_object");

	tcase_add_test(tc, same_as_file);
	tcase_add_test(tc, planted_refused_then_fixed);
	tcase_add_test(tc, code_policy_types_missing);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, shared_policy_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	libbpf_set_print(NULL);
	return tu_run(suite());
}
