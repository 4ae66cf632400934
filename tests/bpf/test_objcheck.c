/* SPDX-License-Identifier: BSD-2-Clause */
/* The static checker through its public API on the test objects: no
 * kernel, no privileges (label unit: also under ASan+UBSan). */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "objcheck_test.h"

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
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_KEY_PADDING), 4);
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
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_MAX_ENTRIES), 1);
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
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_MAP_TYPE), 2);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_KEY_SIZE), 1);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_VALUE_SIZE), 1);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_MISSING_MAP), 1);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_KEY_PADDING), 0);
	ck_assert_uint_eq(r->nfindings, 5);
	safemap_objcheck_free(r);

	/* key_padding=ok silences a real hole */
	o.policy_path = policy_file("flows key_padding=ok\n");
	ck_assert_int_eq(safemap_objcheck_file(obj("check_bad"), &o, &r), 0);
	unlink(o.policy_path);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_KEY_PADDING), 3);
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

START_TEST(bitfields_inner_maps_not_checked)
{
	struct safemap_objcheck *r = NULL;
	const struct safemap_objcheck_finding *f;
	const struct safemap_objcheck_map *m;

	ck_assert_int_eq(safemap_objcheck_file(obj("check_more"), NULL, &r), 0);
	ck_assert_uint_eq(r->nmaps, 7);
	ck_assert_uint_eq(r->nfindings, 3);
	/* struct { u32 a:3; u32 b:4; u8 c; u16 d; }: bit 7 unused (pahole agrees) */
	f = oc_finding(r, "bits", SAFEMAP_FIND_KEY_PADDING);
	ck_assert_uint_eq(f->bit_offset, 7);
	ck_assert_uint_eq(f->bits, 1);
	ck_assert_uint_eq(f->offset, 0);
	ck_assert_uint_eq(f->len, 1);
	ck_assert_ptr_nonnull(strstr(f->message, "padding hole at bits 7..7 (1 bit, in byte 0)"));
	/* the inner map of the hash of maps, listed after its outer map */
	m = map_of(r, "outer.inner");
	ck_assert_str_eq(m->inner_of, "outer");
	ck_assert_str_eq(m->type_name, "hash");
	ck_assert_str_eq(m->key_type, "struct inner_key");
	ck_assert_str_eq(map_of(r, "outer")->inner_of, "");
	f = oc_finding(r, "outer.inner", SAFEMAP_FIND_KEY_PADDING);
	ck_assert_uint_eq(f->offset, 1);
	ck_assert_uint_eq(f->len, 7);
	ck_assert_uint_eq(f->bit_offset, 8);
	ck_assert_uint_eq(f->bits, 56);
	/* a hashed key without BTF: said, not skipped */
	f = oc_finding(r, "raw", SAFEMAP_FIND_NOT_CHECKED);
	ck_assert_uint_eq(f->len, 12);
	ck_assert_ptr_nonnull(strstr(f->message, "padding not checked: it has no BTF type"));
	/* max_entries 0: libbpf sizes a perf_event_array, not a stack_trace */
	ck_assert(map_of(r, "events")->max_entries_at_load);
	ck_assert(!map_of(r, "stacks")->max_entries_at_load);
	ck_assert_uint_eq(map_of(r, "stacks")->max_entries, 0);
	safemap_objcheck_free(r);
}
END_TEST

START_TEST(policy_selects_by_type_and_glob)
{
	SAFEMAP_OPTS(safemap_objcheck_opts, o,
		     .policy_path = policy_file("perf_event_array:*  min_max_entries=64\n"
						"hash:b*             min_max_entries=2048\n"
						"hash:raw            key_padding=ok\n"
						"hash:outer          min_max_entries=1  # outer is hash_of_maps\n"
						"*                   min_max_entries=4\n"));
	struct safemap_objcheck *r = NULL;
	const struct safemap_objcheck_finding *f;

	ck_assert_msg(safemap_objcheck_file(obj("check_more"), &o, &r) == 0, "%s",
		      safemap_last_error());
	unlink(o.policy_path);
	/* events: 0 set at load, no finding; bits: 1024 < 2048 (hash:b*);
	 * stacks: 0 < 4 (the '*' line) and said to be set by the loader;
	 * scratch 1 < 4; raw: not_checked silenced by key_padding=ok;
	 * hash:outer selects no map (outer is a hash_of_maps): missing_map */
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_MAX_ENTRIES), 3);
	f = oc_finding(r, "bits", SAFEMAP_FIND_MAX_ENTRIES);
	ck_assert_uint_eq(f->expected, 2048);
	f = oc_finding(r, "stacks", SAFEMAP_FIND_MAX_ENTRIES);
	ck_assert_ptr_nonnull(strstr(f->message, "0 must be set by the loader"));
	oc_finding(r, "scratch", SAFEMAP_FIND_MAX_ENTRIES);
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_NOT_CHECKED), 0);
	f = oc_finding(r, "outer", SAFEMAP_FIND_MISSING_MAP);
	ck_assert_ptr_nonnull(strstr(f->message, "map 'outer' of type hash named by the policy (line 4)"));
	ck_assert_int_eq(oc_count(r, SAFEMAP_FIND_MISSING_MAP), 1);
	safemap_objcheck_free(r);

	o.policy_path = policy_file("nosuchtype:* min_max_entries=1\n");
	ck_assert_int_eq(safemap_objcheck_file(obj("check_more"), &o, &r), -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), ":1: bad selector 'nosuchtype:*'"));
	unlink(o.policy_path);
}
END_TEST

/* ---- corrupt objects, made from check_more by patching its .BTF ---- */

struct image {
	unsigned char *b;
	size_t n;
	size_t btf_off;  /* .BTF section in the file */
	struct btf *btf; /* parsed by libbpf from the pristine bytes */
};

static void image_load(struct image *im, const char *name)
{
	FILE *f = fopen(obj(name), "rb");
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	unsigned i;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	im->n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	im->b = malloc(im->n);
	ck_assert_uint_eq(fread(im->b, 1, im->n, f), im->n);
	fclose(f);
	eh = (const void *)im->b;
	sh = (const void *)(im->b + eh->e_shoff);
	im->btf_off = 0;
	for (i = 0; i < eh->e_shnum; i++)
		if (!strcmp((const char *)im->b + sh[eh->e_shstrndx].sh_offset + sh[i].sh_name, ".BTF")) {
			im->btf_off = sh[i].sh_offset;
			im->btf = btf__new(im->b + sh[i].sh_offset, (uint32_t)sh[i].sh_size);
		}
	ck_assert_uint_ne(im->btf_off, 0);
	ck_assert_ptr_nonnull(im->btf);
}

/* The bytes of type @p id inside the image. */
static struct btf_type *image_type(struct image *im, int id)
{
	const struct btf_header *h = (const void *)(im->b + im->btf_off);
	const char *first = (const char *)btf__type_by_id(im->btf, 1);
	const char *t = (const char *)btf__type_by_id(im->btf, (uint32_t)id);

	return (struct btf_type *)(im->b + im->btf_off + h->hdr_len + h->type_off + (t - first));
}

static int image_check(struct image *im)
{
	struct safemap_objcheck *r = (struct safemap_objcheck *)0x1;
	int err = safemap_objcheck_mem(im->b, im->n, "patched.bpf.o", NULL, &r);

	if (!err) {
		ck_assert_ptr_nonnull(r);
		safemap_objcheck_free(r);
	} else {
		ck_assert_ptr_null(r);
	}
	return err;
}

START_TEST(corrupt_btf_refused)
{
	struct image im;
	struct btf_type *t;
	uint32_t saved;
	int u32, key;

	image_load(&im, "check_more");
	u32 = btf__find_by_name_kind(im.btf, "__u32", BTF_KIND_TYPEDEF);
	key = btf__find_by_name_kind(im.btf, "bits_key", BTF_KIND_STRUCT);
	ck_assert_int_gt(u32, 0);
	ck_assert_int_gt(key, 0);

	/* a typedef that is its own type: libbpf 1.1 loops forever on it */
	t = image_type(&im, u32);
	saved = t->type;
	t->type = (uint32_t)u32;
	ck_assert_int_eq(image_check(&im), -EINVAL);
	ck_assert_msg(strstr(safemap_last_error(), "leads back to it"), "%s", safemap_last_error());
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "'patched.bpf.o': corrupt .BTF: type ["));
	t->type = saved;
	ck_assert_int_eq(image_check(&im), 0); /* restored: accepted again */

	/* a member's type id out of range: libbpf 1.1 dereferences NULL */
	t = image_type(&im, key);
	saved = ((struct btf_member *)(t + 1))->type;
	((struct btf_member *)(t + 1))->type = 0xfffff;
	ck_assert_int_eq(image_check(&im), -EINVAL);
	ck_assert_msg(strstr(safemap_last_error(), "a member's type id 1048575 is out of range"), "%s",
		      safemap_last_error());
	((struct btf_member *)(t + 1))->type = saved;

	/* a name outside the string section */
	saved = t->name_off;
	t->name_off = 0x7fffff;
	ck_assert_int_eq(image_check(&im), -EINVAL);
	ck_assert_msg(strstr(safemap_last_error(), "is outside the string section"), "%s",
		      safemap_last_error());
	t->name_off = saved;

	/* no .BTF at all (the section renamed): say so, and how to get it */
	memcpy(im.b + im.btf_off, "\0\0\0\0", 4); /* a bad magic first */
	ck_assert_int_eq(image_check(&im), -EINVAL);
	free(im.b);
	btf__free(im.btf);

	image_load(&im, "check_clean");
	{
		const Elf64_Ehdr *eh = (const void *)im.b;
		const Elf64_Shdr *sh = (const void *)(im.b + eh->e_shoff);
		char *names = (char *)im.b + sh[eh->e_shstrndx].sh_offset;
		size_t i, len = sh[eh->e_shstrndx].sh_size;

		for (i = 0; i + 4 <= len; i++)
			if (!memcmp(names + i, ".BTF", 4))
				names[i + 1] = 'X'; /* .BTF -> .XTF, .BTF.ext -> .XTF.ext */
	}
	ck_assert_int_eq(image_check(&im), -ENODATA);
	ck_assert_msg(strstr(safemap_last_error(), "has no BTF (no .BTF section): compile it with clang -g"),
		      "%s", safemap_last_error());
	free(im.b);
	btf__free(im.btf);
}
END_TEST

START_TEST(not_regular_files)
{
	struct safemap_objcheck *r = NULL;
	char fifo[64];

	ck_assert_int_eq(safemap_objcheck_file(SAFEMAP_TEST_BPF_SRC, NULL, &r), -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "is not a regular file (a directory)"));
	snprintf(fifo, sizeof(fifo), "/tmp/safemap-objcheck-fifo-%d", (int)getpid());
	unlink(fifo);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(safemap_objcheck_file(fifo, NULL, &r), -EINVAL); /* no writer: no hang */
	unlink(fifo);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "is not a regular file (a named pipe)"));
	ck_assert_int_eq(safemap_objcheck_file("/dev/null", NULL, &r), -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "is not a regular file (a device)"));
	ck_assert_int_eq(safemap_objcheck_mem(NULL, 0, NULL, NULL, &r), -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "'(memory)' is not a BPF object file (not ELF)"));
	ck_assert_int_eq(safemap_objcheck_mem(NULL, 10, NULL, NULL, &r), -EINVAL);
	ck_assert_int_eq(safemap_objcheck_mem("x", 1, NULL, NULL, NULL), -EINVAL);
	ck_assert_ptr_null(r);
	/* libbpf's own error codes (4000 and up) as libbpf_strerror() says them */
	ck_assert_int_eq(safemap_objcheck_file(SAFEMAP_TEST_FUZZ_CORPUS "/seed-libbpf-refuses-reloc.bpf.o",
					       NULL, &r), -EINVAL);
	ck_assert_msg(strstr(safemap_last_error(), "libbpf can open: Relocation failed") &&
		      !strstr(safemap_last_error(), "Unknown error"), "%s", safemap_last_error());
}
END_TEST

/* The names safemapctl check and the demo agent print, one per kind. */
START_TEST(kind_names)
{
	static const char *const want[] = {
		"key_padding", "max_entries", "key_size", "value_size", "map_type",
		"missing_map", "not_checked", "fixed", "pin_reuse", "pin_layout",
	};
	int k;

	for (k = SAFEMAP_FIND_KEY_PADDING; k <= SAFEMAP_FIND_PIN_LAYOUT; k++)
		ck_assert_str_eq(safemap_objcheck_kind_name((enum safemap_objcheck_kind)k),
				 want[k - SAFEMAP_FIND_KEY_PADDING]);
	ck_assert_str_eq(safemap_objcheck_kind_name((enum safemap_objcheck_kind)0), "unknown");
	ck_assert_str_eq(safemap_objcheck_kind_name((enum safemap_objcheck_kind)-1), "unknown");
	ck_assert_str_eq(safemap_objcheck_kind_name((enum safemap_objcheck_kind)1000), "unknown");
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
	tcase_add_test(tc, bitfields_inner_maps_not_checked);
	tcase_add_test(tc, policy_selects_by_type_and_glob);
	tcase_add_test(tc, corrupt_btf_refused);
	tcase_add_test(tc, not_regular_files);
	tcase_add_test(tc, kind_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
