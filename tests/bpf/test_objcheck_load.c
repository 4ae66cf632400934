/* SPDX-License-Identifier: BSD-2-Clause */
/* safemap_objcheck_object() against the kernel (root): a planted object
 * fixed before load and loaded with the raised bound (read back with
 * bpf_obj_get_info_by_fd), -EBUSY for a fix after load, and the check of a
 * new object against the maps an old one pinned (opts.pins_dir, pins_own),
 * in a bpffs directory unique to this process, removed at the end. */
#include <dirent.h>
#include <sys/stat.h>

#include "bpftest.h"
#include "objcheck_test.h"

static char pins_root[128]; /* /sys/fs/bpf/safemap_objcheck_load_PID */

static bool has_message(const struct safemap_objcheck *r, const char *part)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++)
		if (strstr(r->findings[i].message, part))
			return true;
	return false;
}

static struct safemap_objcheck_policy *policy1(const char *map, uint32_t min, bool padding_ok)
{
	SAFEMAP_OPTS(safemap_objcheck_rule, rule, .map = map, .min_max_entries = min);
	SAFEMAP_OPTS(safemap_objcheck_rule, rest, .map = "*", .key_padding_ok = padding_ok);
	struct safemap_objcheck_policy *p = NULL;

	ck_assert_int_eq(safemap_objcheck_policy_new(&p), 0);
	ck_assert_int_eq(safemap_objcheck_policy_add(p, &rule), 0);
	ck_assert_int_eq(safemap_objcheck_policy_add(p, &rest), 0);
	return p;
}

/* What an agent does before load: refuse on any finding but 'fixed'. */
START_TEST(fix_then_load)
{
	struct safemap_objcheck_policy *strict = policy1("conns", 1024, false);
	struct safemap_objcheck_policy *holes_ok = policy1("conns", 1024, true);
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .policy = strict, .fix = true);
	struct bpf_object *obj = bt_open_obj("check_bad");
	struct safemap_objcheck *r = NULL;
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd;

	/* planted: key holes and a small bound; the holes refuse the load */
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_KEY_PADDING), 4);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_FIXED), 1);
	safemap_objcheck_free(r);
	bpf_object__close(obj);

	/* the same object with the holes accepted: fixed, then loaded */
	obj = bt_open_obj("check_bad");
	o.policy = holes_ok;
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_uint_eq(r->nfindings, 1);
	ck_assert_int_eq(r->findings[0].kind, SAFEMAP_FIND_FIXED);
	safemap_objcheck_free(r);
	ck_assert_int_eq(bpf_object__load(obj), 0);
	fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "conns"));
	ck_assert_int_ge(fd, 0);
	memset(&info, 0, sizeof(info));
	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	ck_assert_uint_eq(info.max_entries, 1024); /* the kernel's map has the raised bound */
	ck_assert_str_eq(info.name, "conns");

	/* after load nothing can be fixed any more */
	safemap_objcheck_policy_free(holes_ok);
	holes_ok = policy1("conns", 4096, true);
	o.policy = holes_ok;
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), -EBUSY);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "loaded already"));
	o.fix = false; /* checking a loaded object is fine */
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_MAX_ENTRIES), 1);
	safemap_objcheck_free(r);
	bpf_object__close(obj);
	safemap_objcheck_policy_free(strict);
	safemap_objcheck_policy_free(holes_ok);
}
END_TEST

/* Pin pins_v1's maps under a fresh directory; returns it. */
static const char *pin_old(const char *sub, struct bpf_object **old)
{
	static char dir[256];

	snprintf(dir, sizeof(dir), "%s/%s", pins_root, sub);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	*old = bt_load("pins_v1");
	ck_assert_int_eq(bpf_object__pin_maps(*old, dir), 0);
	return dir;
}

START_TEST(pins_dir)
{
	struct bpf_object *old, *obj;
	const char *dir = pin_old("dir", &old);
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .pins_dir = dir);
	struct safemap_objcheck *r = NULL;
	size_t i;

	obj = bt_open_obj("pins_v1"); /* unchanged: reusable, layouts equal */
	ck_assert_msg(safemap_objcheck_object(obj, &o, &r) == 0, "%s", safemap_last_error());
	ck_assert_uint_eq(r->nfindings, 0);
	ck_assert_uint_eq(r->npins, 2);
	for (i = 0; i < r->npins; i++) {
		ck_assert_uint_ne(r->pins[i].id, 0);
		ck_assert(r->pins[i].btf);
		ck_assert_uint_eq(r->pins[i].nfindings, 0);
	}
	safemap_objcheck_free(r);
	bpf_object__close(obj);

	obj = bt_open_obj("pins_moved"); /* same sizes: libbpf would reuse it, wrongly */
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_PIN_REUSE), 0);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_PIN_LAYOUT), 2);
	ck_assert(has_message(r, "value: field 'calls' at offset 0 in the kernel, 16 here"));
	ck_assert(has_message(r, "value: field 'comm' at offset 8 in the kernel, 0 here"));
	safemap_objcheck_free(r);
	bpf_object__close(obj);

	obj = bt_open_obj("pins_grown"); /* libbpf would refuse to reuse it */
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_uint_eq(r->nfindings, 1);
	ck_assert_int_eq(r->findings[0].kind, SAFEMAP_FIND_PIN_REUSE);
	ck_assert_uint_eq(r->findings[0].expected, 1024);
	ck_assert_uint_eq(r->findings[0].actual, 4096);
	ck_assert(has_message(r, "max_entries 1024 in the kernel, 4096 here"));
	safemap_objcheck_free(r);
	bpf_object__close(obj);

	/* the fix comes first: the pin check sees the bound libbpf would create */
	{
		struct safemap_objcheck_policy *p = policy1("pins_stats", 2048, false);

		o.policy = p;
		o.fix = true;
		obj = bt_open_obj("pins_v1");
		ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
		ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_FIXED), 1);
		ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_PIN_REUSE), 1);
		ck_assert(has_message(r, "max_entries 1024 in the kernel, 2048 here"));
		safemap_objcheck_free(r);
		bpf_object__close(obj);
		safemap_objcheck_policy_free(p);
	}
	ck_assert_int_eq(bpf_object__unpin_maps(old, dir), 0);
	bpf_object__close(old);
}
END_TEST

START_TEST(pins_own_paths)
{
	struct bpf_object *old, *obj;
	const char *dir = pin_old("own", &old);
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .pins_own = true);
	struct safemap_objcheck *r = NULL;
	char path[512];

	obj = bt_open_obj("pins_moved");
	/* the object's own pin path for one map (as __uint(pinning, ...) with
	 * pin_root_path makes): only that map is compared */
	snprintf(path, sizeof(path), "%s/pins_stats", dir);
	ck_assert_int_eq(bpf_map__set_pin_path(bpf_object__find_map_by_name(obj, "pins_stats"), path), 0);
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_uint_eq(r->npins, 1);
	ck_assert_str_eq(r->pins[0].map, "pins_stats");
	ck_assert_str_eq(r->pins[0].path, path);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_PIN_LAYOUT), 2);
	safemap_objcheck_free(r);
	/* a pin path with nothing there: no finding, id 0 */
	snprintf(path, sizeof(path), "%s/nothing_here", dir);
	ck_assert_int_eq(bpf_map__set_pin_path(bpf_object__find_map_by_name(obj, "pins_stats"), path), 0);
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_uint_eq(r->npins, 1);
	ck_assert_uint_eq(r->pins[0].id, 0);
	ck_assert_uint_eq(r->nfindings, 0);
	safemap_objcheck_free(r);
	bpf_object__close(obj);
	ck_assert_int_eq(bpf_object__unpin_maps(old, dir), 0);
	bpf_object__close(old);
}
END_TEST

/* A pinned program where a map is expected: a pin_reuse finding. */
START_TEST(pin_not_a_map)
{
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .pins_dir = NULL);
	struct bpf_object *obj, *old = bt_load("pins_v1");
	struct safemap_objcheck *r = NULL;
	char dir[256], path[300];

	snprintf(dir, sizeof(dir), "%s/prog", pins_root);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/pins_stats", dir);
	ck_assert_int_eq(bpf_program__pin(bpf_object__find_program_by_name(old, "pins_count"), path), 0);
	o.pins_dir = dir;
	obj = bt_open_obj("pins_v1");
	ck_assert_int_eq(safemap_objcheck_object(obj, &o, &r), 0);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_PIN_REUSE), 1);
	ck_assert(has_message(r, "not a BPF map"));
	safemap_objcheck_free(r);
	bpf_object__close(obj);
	unlink(path);
	bpf_object__close(old);
}
END_TEST

/* rm -r for the pins directory (bpffs allows unlink and rmdir). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!lstat(path, &st) && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static Suite *suite(void)
{
	Suite *s = suite_create("objcheck_load");
	TCase *tc = tcase_create("objcheck_load");

	tcase_add_test(tc, fix_then_load);
	tcase_add_test(tc, pins_dir);
	tcase_add_test(tc, pins_own_paths);
	tcase_add_test(tc, pin_not_a_map);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	bool mounted;
	int rc;

	(void)argc;
	bt_require_bpf(argv[0]);
	mounted = bt_bpffs();
	snprintf(pins_root, sizeof(pins_root), "/sys/fs/bpf/safemap_objcheck_load_%d", (int)getpid());
	if (mkdir(pins_root, 0700)) {
		fprintf(stderr, "FAIL: mkdir %s: %s\n", pins_root, strerror(errno));
		return 1;
	}
	rc = tu_run(suite()); /* the tests fork: this process survives their failures */
	remove_tree(pins_root);
	bt_bpffs_done(mounted);
	return rc;
}
