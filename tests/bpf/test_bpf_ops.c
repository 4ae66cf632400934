/* SPDX-License-Identifier: BSD-2-Clause */
/* Handles on real kernel maps: the errno matrix (hash, LRU hash, array,
 * per-CPU hash, per-CPU array; with and without BPF_F_NO_PREALLOC where the
 * kernel allows it), capacity violations as events, and the spec checks of
 * sizes, type, max_entries and flags at open. */
#include "bpftest.h"

/* ---- the errno matrix ---- */

struct kind {
	const char *name;
	enum bpf_map_type type;
	unsigned flags;
};

static const struct kind kinds[] = {
	{ "hash", BPF_MAP_TYPE_HASH, 0 },
	{ "hash_noprealloc", BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC },
	{ "pcpu_hash", BPF_MAP_TYPE_PERCPU_HASH, 0 },
	{ "pcpu_hash_noprea", BPF_MAP_TYPE_PERCPU_HASH, BPF_F_NO_PREALLOC },
	{ "lru_hash", BPF_MAP_TYPE_LRU_HASH, 0 },
	{ "lru_pcpu_hash", BPF_MAP_TYPE_LRU_PERCPU_HASH, 0 },
	{ "array", BPF_MAP_TYPE_ARRAY, 0 },
	{ "pcpu_array", BPF_MAP_TYPE_PERCPU_ARRAY, 0 },
};
#define NKINDS (int)(sizeof(kinds) / sizeof(kinds[0]))

struct m {
	struct safemap_bpf *h;
	bool pcpu;
	uint64_t *buf; /* one value per possible CPU */
	size_t size;
};

static int upd(struct m *m, uint32_t k, uint64_t v, unsigned flags)
{
	size_t i, n = m->size / 8;

	for (i = 0; i < n; i++)
		m->buf[i] = v;
	if (m->pcpu)
		return safemap_bpf_percpu_update(m->h, &k, m->buf, m->size, flags);
	return safemap_bpf_update(m->h, &k, m->buf, flags);
}

/* Look @p k up: every CPU's copy must agree; returns the value. */
static uint64_t get(struct m *m, uint32_t k, int *err)
{
	size_t i, n = m->size / 8;

	memset(m->buf, 0xa5, m->size);
	*err = m->pcpu ? safemap_bpf_percpu_lookup(m->h, &k, m->buf, m->size)
		       : safemap_bpf_lookup(m->h, &k, m->buf);
	for (i = 1; i < n; i++)
		ck_assert_uint_eq(m->buf[i], m->buf[0]);
	return m->buf[0];
}

static void open_kind(const struct kind *k, struct m *m, struct bt_events *ev, int *fd)
{
	*fd = bt_map(k->type, k->name, 4, 8, 2, k->flags);
	m->h = bt_open(*fd, NULL, ev);
	m->pcpu = safemap_bpf_is_percpu(m->h);
	m->size = safemap_bpf_value_buf_size(m->h);
	ck_assert_uint_eq(m->size, m->pcpu ? 8u * (unsigned)safemap_bpf_possible_cpus() : 8u);
	m->buf = calloc(1, m->size);
	close(*fd); /* the handle owns a dup: the map lives on */
}

static void close_kind(struct m *m)
{
	safemap_bpf_put(m->h);
	free(m->buf);
}

static void check_capacity_event(struct m *m, struct bt_events *ev, int before, uint32_t key)
{
	struct safemap_bpf_stats st;

	ck_assert_int_eq(errno, E2BIG);
	ck_assert_msg(strstr(safemap_last_error(), "max_entries 2") &&
			      strstr(safemap_last_error(), "capacity violation") &&
			      strstr(safemap_last_error(), safemap_bpf_name(m->h)),
		      "detail: %s", safemap_last_error());
	ck_assert_int_eq(ev->n, before + 1);
	ck_assert_int_eq(ev->source, SAFEMAP_SRC_BPF_MAP);
	ck_assert_int_eq(ev->op, SAFEMAP_OP_PUT);
	ck_assert_int_eq(ev->reason, SAFEMAP_REASON_FULL);
	ck_assert_int_eq(ev->result, -E2BIG);
	ck_assert_uint_eq(ev->limit, 2);
	ck_assert_uint_eq(ev->map_id, safemap_bpf_id(m->h));
	ck_assert_uint_eq(ev->key32, key);
	ck_assert_str_eq(ev->map_name, safemap_bpf_name(m->h));
	safemap_bpf_get_stats(m->h, &st);
	ck_assert_uint_eq(st.capacity_violations, (uint64_t)ev->n);
}

START_TEST(errno_matrix_hash)
{
	/* the hash kinds: hash, per-CPU hash, each with and without NO_PREALLOC */
	static const int hashes[] = { 0, 1, 2, 3 };
	const struct kind *k = &kinds[hashes[_i]];
	struct bt_events ev = { 0 };
	struct m m;
	int fd, err;
	size_t n;

	open_kind(k, &m, &ev, &fd);
	ck_assert_uint_eq(get(&m, 1, &err), 0); /* zero-filled on -ENOENT */
	ck_assert_int_eq(err, -ENOENT);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(upd(&m, 1, 10, SAFEMAP_EXIST), -ENOENT);
	ck_assert_int_eq(upd(&m, 1, 10, SAFEMAP_NOEXIST), 0);
	ck_assert_int_eq(upd(&m, 1, 11, SAFEMAP_NOEXIST), -EEXIST);
	ck_assert_uint_eq(get(&m, 1, &err), 10);
	ck_assert_int_eq(upd(&m, 1, 12, SAFEMAP_EXIST), 0);
	ck_assert_uint_eq(get(&m, 1, &err), 12);
	ck_assert_int_eq(upd(&m, 2, 20, SAFEMAP_ANY), 0);
	ck_assert_int_eq(ev.n, 0);

	/* full at max_entries 2: a new key is a capacity violation, whatever the flag */
	ck_assert_int_eq(upd(&m, 3, 30, SAFEMAP_ANY), -E2BIG);
	check_capacity_event(&m, &ev, 0, 3);
	ck_assert_int_eq(upd(&m, 3, 30, SAFEMAP_NOEXIST), -E2BIG);
	check_capacity_event(&m, &ev, 1, 3);
	ck_assert_int_eq(upd(&m, 3, 30, SAFEMAP_EXIST), -ENOENT); /* not a capacity event */
	ck_assert_int_eq(ev.n, 2);

	/* replace while full works */
	ck_assert_int_eq(upd(&m, 1, 100, SAFEMAP_ANY), 0);
	ck_assert_int_eq(upd(&m, 2, 200, SAFEMAP_EXIST), 0);
	ck_assert_uint_eq(get(&m, 1, &err), 100);
	ck_assert_uint_eq(get(&m, 2, &err), 200);
	ck_assert_int_eq(safemap_bpf_count(m.h, &n), 0);
	ck_assert_uint_eq(n, 2);

	/* delete, then the freed slot takes the new key */
	ck_assert_int_eq(safemap_bpf_delete(m.h, &(uint32_t){ 3 }), -ENOENT);
	ck_assert_int_eq(safemap_bpf_delete(m.h, &(uint32_t){ 1 }), 0);
	ck_assert_int_eq(upd(&m, 3, 30, SAFEMAP_NOEXIST), 0);
	ck_assert_uint_eq(get(&m, 3, &err), 30);

	/* lookup-and-delete (plain maps; per-CPU values need the per-CPU calls) */
	if (!m.pcpu) {
		uint64_t v = 0;

		ck_assert_int_eq(safemap_bpf_lookup_and_delete(m.h, &(uint32_t){ 3 }, &v), 0);
		ck_assert_uint_eq(v, 30);
		v = 77;
		ck_assert_int_eq(safemap_bpf_lookup_and_delete(m.h, &(uint32_t){ 3 }, &v), -ENOENT);
		ck_assert_uint_eq(v, 0);
	} else {
		uint64_t v;

		ck_assert_int_eq(safemap_bpf_lookup(m.h, &(uint32_t){ 3 }, &v), -EINVAL);
		ck_assert_ptr_nonnull(strstr(safemap_last_error(), "per-CPU"));
		ck_assert_int_eq(safemap_bpf_update(m.h, &(uint32_t){ 3 }, &v, 0), -EINVAL);
		ck_assert_int_eq(safemap_bpf_lookup_and_delete(m.h, &(uint32_t){ 3 }, &v), -EINVAL);
		ck_assert_int_eq(safemap_bpf_delete(m.h, &(uint32_t){ 3 }), 0);
	}
	/* next_key walks what is left: key 2 */
	{
		uint32_t next = 0;

		ck_assert_int_eq(safemap_bpf_next_key(m.h, NULL, &next), 0);
		ck_assert_uint_eq(next, 2);
		ck_assert_int_eq(safemap_bpf_next_key(m.h, &next, &next), -ENOENT);
	}
	close_kind(&m);
}
END_TEST

START_TEST(errno_matrix_lru)
{
	/* LRU maps evict instead of refusing: never a capacity violation */
	const struct kind *k = &kinds[4 + _i];
	struct bt_events ev = { 0 };
	struct m m;
	int fd, err, i;
	size_t n;

	open_kind(k, &m, &ev, &fd);
	ck_assert_int_eq(upd(&m, 1, 10, SAFEMAP_EXIST), -ENOENT);
	ck_assert_int_eq(upd(&m, 1, 10, SAFEMAP_NOEXIST), 0);
	ck_assert_int_eq(upd(&m, 1, 11, SAFEMAP_NOEXIST), -EEXIST);
	for (i = 2; i < 10; i++)
		ck_assert_int_eq(upd(&m, (uint32_t)i, (uint64_t)i, SAFEMAP_ANY), 0);
	ck_assert_uint_eq(get(&m, 9, &err), 9);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(safemap_bpf_count(m.h, &n), 0);
	ck_assert_uint_le(n, 2);
	ck_assert_int_eq(ev.n, 0);
	ck_assert_int_eq(safemap_bpf_delete(m.h, &(uint32_t){ 9 }), 0);
	ck_assert_int_eq(safemap_bpf_delete(m.h, &(uint32_t){ 9 }), -ENOENT);
	/* the kernel refuses NO_PREALLOC on LRU maps: nothing to wrap */
	{
		LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);

		ck_assert_int_lt(bpf_map_create(k->type, "lru_np", 4, 8, 2, &o), 0);
	}
	close_kind(&m);
}
END_TEST

START_TEST(errno_matrix_array)
{
	const struct kind *k = &kinds[6 + _i];
	struct bt_events ev = { 0 };
	struct m m;
	int fd, err;
	size_t n;

	open_kind(k, &m, &ev, &fd);
	ck_assert_uint_eq(get(&m, 0, &err), 0); /* arrays: every index exists */
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(upd(&m, 1, 10, SAFEMAP_NOEXIST), -EEXIST);
	ck_assert_int_eq(upd(&m, 1, 11, SAFEMAP_EXIST), 0);
	ck_assert_int_eq(upd(&m, 0, 12, SAFEMAP_ANY), 0);
	ck_assert_uint_eq(get(&m, 1, &err), 11);
	ck_assert_uint_eq(get(&m, 0, &err), 12);
	/* an index past max_entries: -E2BIG, the same capacity violation */
	ck_assert_int_eq(upd(&m, 2, 1, SAFEMAP_ANY), -E2BIG);
	check_capacity_event(&m, &ev, 0, 2);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "index 2"));
	ck_assert_uint_eq(get(&m, 5, &err), 0);
	ck_assert_int_eq(err, -ENOENT);
	ck_assert_int_eq(safemap_bpf_delete(m.h, &(uint32_t){ 0 }), -EINVAL);
	if (!m.pcpu) {
		uint64_t v = 9;

		ck_assert_int_eq(safemap_bpf_lookup_and_delete(m.h, &(uint32_t){ 0 }, &v), -EOPNOTSUPP);
	}
	ck_assert_int_eq(safemap_bpf_count(m.h, &n), 0);
	ck_assert_uint_eq(n, 2);
	{
		LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);

		ck_assert_int_lt(bpf_map_create(k->type, "array_np", 4, 8, 2, &o), 0);
	}
	close_kind(&m);
}
END_TEST

START_TEST(bad_arguments)
{
	int fd = bt_map(BPF_MAP_TYPE_HASH, "args", 4, 8, 4, 0);
	struct safemap_bpf *h = bt_open(fd, NULL, NULL);
	uint32_t k = 1;
	uint64_t v = 1;
	uint32_t cnt = 1;

	ck_assert_int_eq(safemap_bpf_update(h, &k, &v, 3), -EINVAL);
	ck_assert_int_eq(safemap_bpf_update(h, &k, &v, 0x10), -EINVAL);
	ck_assert_int_eq(safemap_bpf_update(NULL, &k, &v, 0), -EINVAL);
	ck_assert_int_eq(safemap_bpf_update(h, NULL, &v, 0), -EINVAL);
	ck_assert_int_eq(safemap_bpf_update(h, &k, NULL, 0), -EINVAL);
	ck_assert_int_eq(safemap_bpf_lookup(h, &k, NULL), -EINVAL);
	ck_assert_int_eq(safemap_bpf_delete(NULL, &k), -EINVAL);
	ck_assert_int_eq(safemap_bpf_next_key(h, NULL, NULL), -EINVAL);
	ck_assert_int_eq(safemap_bpf_batch_update(h, NULL, &v, &cnt, 0), -EINVAL);
	ck_assert_int_eq(safemap_bpf_count(h, NULL), -EINVAL);
	ck_assert_int_eq(safemap_bpf_percpu_lookup(h, &k, &v, sizeof(v)), -EINVAL);
	ck_assert_int_eq(safemap_bpf_open_fd(fd, NULL, NULL), -EINVAL);
	ck_assert_int_eq(safemap_bpf_open_pinned(NULL, NULL, &h), -EINVAL);
	safemap_bpf_put(NULL);
	ck_assert_ptr_null(safemap_bpf_get(NULL));
	safemap_bpf_put(h);
	close(fd);
}
END_TEST

/* ---- opening ---- */

START_TEST(open_variants)
{
	int fd = bt_map(BPF_MAP_TYPE_HASH, "variants", 4, 8, 8, 0), pfd[2];
	struct safemap_bpf *a, *b;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	uint64_t v = 0;

	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	a = bt_open(fd, NULL, NULL);
	ck_assert_int_ne(safemap_bpf_fd(a), fd); /* its own dup */
	ck_assert_str_eq(safemap_bpf_name(a), "variants");
	ck_assert_uint_eq(safemap_bpf_id(a), info.id);
	ck_assert_uint_eq(safemap_bpf_type(a), BPF_MAP_TYPE_HASH);
	ck_assert_uint_eq(safemap_bpf_key_size(a), 4);
	ck_assert_uint_eq(safemap_bpf_value_size(a), 8);
	ck_assert_uint_eq(safemap_bpf_max_entries(a), 8);
	ck_assert_uint_eq(safemap_bpf_map_flags(a), 0);
	close(fd); /* the caller's fd goes; the handle's stays */
	ck_assert_int_eq(safemap_bpf_update(a, &(uint32_t){ 1 }, &(uint64_t){ 5 }, 0), 0);

	{
		SAFEMAP_OPTS(safemap_bpf_opts, o, .name = "by-id");

		ck_assert_int_eq(safemap_bpf_open_id(info.id, &o, &b), 0);
	}
	ck_assert_str_eq(safemap_bpf_name(b), "by-id");
	ck_assert_int_eq(safemap_bpf_lookup(b, &(uint32_t){ 1 }, &v), 0);
	ck_assert_uint_eq(v, 5);
	safemap_bpf_put(b);
	safemap_bpf_put(a);

	/* what is not a map is refused, and nothing leaks */
	{
		int before = bt_open_fds();

		ck_assert_int_eq(pipe(pfd), 0);
		ck_assert_int_eq(safemap_bpf_open_fd(pfd[0], NULL, &a), -EINVAL);
		ck_assert_ptr_null(a);
		ck_assert_ptr_nonnull(strstr(safemap_last_error(), "not a BPF map"));
		close(pfd[0]);
		close(pfd[1]);
		ck_assert_int_eq(safemap_bpf_open_pinned("/sys/fs/bpf/safemap-no-such-pin", NULL, &a),
				 -ENOENT);
		ck_assert_int_eq(safemap_bpf_open_id(0xfffffff0u, NULL, &a), -ENOENT);
		ck_assert_int_eq(bt_open_fds(), before);
	}
}
END_TEST

static int fini_runs;
static int fini_fd_ok;

static void on_fini(struct safemap_bpf *h, void *ctx)
{
	fini_runs++;
	/* the handle is still whole: its fd works */
	fini_fd_ok = safemap_bpf_update(h, &(uint32_t){ 2 }, &(uint64_t){ 2 }, 0) == 0;
	*(int *)ctx = safemap_bpf_fd(h);
}

START_TEST(references_and_finalizer)
{
	int fd = bt_map(BPF_MAP_TYPE_HASH, "refs", 4, 8, 8, 0), hfd = -1;
	SAFEMAP_OPTS(safemap_bpf_opts, o, .fini = on_fini, .fini_ctx = &hfd);
	struct safemap_bpf *h;

	ck_assert_int_eq(safemap_bpf_open_fd(fd, &o, &h), 0);
	ck_assert_ptr_eq(safemap_bpf_get(h), h);
	ck_assert_ptr_eq(safemap_bpf_get(h), h);
	safemap_bpf_put(h);
	safemap_bpf_put(h);
	ck_assert_int_eq(fini_runs, 0);
	ck_assert_int_eq(safemap_bpf_update(h, &(uint32_t){ 1 }, &(uint64_t){ 1 }, 0), 0);
	safemap_bpf_put(h); /* the last one */
	ck_assert_int_eq(fini_runs, 1);
	ck_assert_int_eq(fini_fd_ok, 1);
	ck_assert_int_ge(hfd, 0);
	ck_assert_int_eq(fcntl(hfd, F_GETFD), -1); /* closed, once */
	ck_assert_int_eq(errno, EBADF);
	/* the finalizer's write went to the map */
	{
		uint64_t v = 0;

		ck_assert_int_eq(bpf_map_lookup_elem(fd, &(uint32_t){ 2 }, &v), 0);
		ck_assert_uint_eq(v, 2);
	}
	close(fd);
}
END_TEST

/* ---- specs: sizes, type, max_entries, flags ---- */

static int open_spec(int fd, const struct safemap_bpf_spec *spec, struct bt_events *ev,
		     struct safemap_bpf **h)
{
	SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = spec, .event_fn = bt_on_event, .event_ctx = ev);

	*h = (struct safemap_bpf *)0x1;
	return safemap_bpf_open_fd(fd, &o, h);
}

START_TEST(spec_checks)
{
	int fd = bt_map(BPF_MAP_TYPE_HASH, "specd", 4, 16, 128, BPF_F_NO_PREALLOC);
	struct bt_events ev = { 0 };
	struct safemap_bpf *h;
	int before = bt_open_fds();

	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .map_type = BPF_MAP_TYPE_HASH, .key_size = 4,
			     .value_size = 16, .max_entries = 100, .map_flags = BPF_F_NO_PREALLOC,
			     .map_flags_mask = BPF_F_NO_PREALLOC);

		ck_assert_int_eq(open_spec(fd, &s, &ev, &h), 0);
		ck_assert_int_eq(safemap_bpf_check(h, &s), 0);
		ck_assert_int_eq(ev.n, 0);
		safemap_bpf_put(h);
	}
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .map_type = BPF_MAP_TYPE_ARRAY);

		ck_assert_int_eq(open_spec(fd, &s, &ev, &h), -EPROTO);
		ck_assert_ptr_null(h);
		ck_assert_ptr_nonnull(strstr(safemap_last_error(), "type hash in the kernel, array here"));
		ck_assert_int_eq(ev.n, 1);
		ck_assert_int_eq(ev.reason, SAFEMAP_REASON_SPEC_MISMATCH);
		ck_assert_int_eq(ev.op, SAFEMAP_OP_OPEN);
		ck_assert_int_eq(ev.source, SAFEMAP_SRC_BPF_MAP);
		ck_assert_str_eq(ev.map_name, "specd");
		ck_assert_ptr_nonnull(strstr(ev.detail, "array here"));
	}
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .key_size = 8, .value_size = 24);

		ck_assert_int_eq(open_spec(fd, &s, &ev, &h), -EPROTO);
		ck_assert_msg(strstr(safemap_last_error(), "key size 4 in the kernel, 8 here") &&
				      strstr(safemap_last_error(), "value size 16 in the kernel, 24 here"),
			      "%s", safemap_last_error());
	}
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .max_entries = 1024);

		ck_assert_int_eq(open_spec(fd, &s, &ev, &h), -EPROTO);
		ck_assert_ptr_nonnull(strstr(safemap_last_error(),
					     "max_entries 128 in the kernel, at least 1024 here"));
	}
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .max_entries = 64, .max_entries_exact = true);

		ck_assert_int_eq(open_spec(fd, &s, &ev, &h), -EPROTO);
		ck_assert_ptr_nonnull(strstr(safemap_last_error(), "max_entries 128 in the kernel, 64 here"));
	}
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .map_flags = 0, .map_flags_mask = BPF_F_NO_PREALLOC);

		ck_assert_int_eq(open_spec(fd, &s, &ev, &h), -EPROTO);
		ck_assert_ptr_nonnull(strstr(safemap_last_error(), "flags 0x1 in the kernel, 0x0 here"));
	}
	{
		/* a map without BTF: size checks pass, a demanded layout check cannot */
		SAFEMAP_OPTS(safemap_bpf_spec, s, .value_size = 16,
			     .value_layout = SAFEMAP_LAYOUT_SCALAR(__int128));

		ck_assert_int_eq(open_spec(fd, &s, &ev, &h), 0);
		safemap_bpf_put(h);
		s.require_btf = true;
		ck_assert_int_eq(open_spec(fd, &s, &ev, &h), -EPROTO);
		ck_assert_ptr_nonnull(strstr(safemap_last_error(), "no BTF"));
	}
	{
		/* an options struct from a future version with a non-zero unknown tail */
		struct {
			struct safemap_bpf_opts o;
			uint64_t future;
		} big = { .o = { .sz = sizeof(big) }, .future = 1 };

		ck_assert_int_eq(safemap_bpf_open_fd(fd, &big.o, &h), -EINVAL);
	}
	ck_assert_int_eq(bt_open_fds(), before); /* refused opens close their dup */
	close(fd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bpf_ops");
	TCase *tc = tcase_create("matrix");

	tcase_add_loop_test(tc, errno_matrix_hash, 0, 4);
	tcase_add_loop_test(tc, errno_matrix_lru, 0, 2);
	tcase_add_loop_test(tc, errno_matrix_array, 0, 2);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);
	tc = tcase_create("open");
	tcase_add_test(tc, open_variants);
	tcase_add_test(tc, references_and_finalizer);
	tcase_add_test(tc, spec_checks);
	suite_add_tcase(s, tc);
	return s;
}

BT_MAIN(suite)
