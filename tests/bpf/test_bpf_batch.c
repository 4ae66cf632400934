/* SPDX-License-Identifier: BSD-2-Clause */
/* Batch operations on real maps: a walk visits every key exactly once for
 * batch sizes 1..9 (hash buckets bigger than the batch make the kernel
 * answer -ENOSPC, which the walk must survive) and on a large map; batch
 * update/delete apply exactly what they report; counts before and after a
 * delete agree; the single-operation fallback gives the same answers. */
#include "bpftest.h"

struct visit {
	struct safemap_bpf *h;
	uint32_t nkeys;
	uint8_t *seen;       /* visits per key */
	int bad_values;
	uint64_t visits;
};

/* Values are key * 3 + 1 on every CPU. */
static void fill_value(struct safemap_bpf *h, uint32_t key, void *buf)
{
	size_t i, n = safemap_bpf_value_buf_size(h) / 8;

	for (i = 0; i < n; i++)
		((uint64_t *)buf)[i] = (uint64_t)key * 3 + 1;
}

static int on_visit(const void *key, const void *value, void *ctx)
{
	struct visit *v = ctx;
	uint32_t k;
	size_t i, n = safemap_bpf_value_buf_size(v->h) / 8;

	memcpy(&k, key, 4);
	v->visits++;
	if (k >= v->nkeys) {
		v->bad_values++;
		return 0;
	}
	v->seen[k]++;
	for (i = 0; i < n; i++)
		if (((const uint64_t *)value)[i] != (uint64_t)k * 3 + 1)
			v->bad_values++;
	return 0;
}

/* Fill keys [0, n) with batch_update; returns the handle's value buffer. */
static void fill(struct safemap_bpf *h, uint32_t n)
{
	size_t vs = safemap_bpf_value_buf_size(h);
	uint32_t *keys = malloc(n * sizeof(*keys)), i, cnt = n;
	char *vals = malloc((size_t)n * vs);

	for (i = 0; i < n; i++) {
		keys[i] = i;
		fill_value(h, i, vals + (size_t)i * vs);
	}
	ck_assert_msg(safemap_bpf_batch_update(h, keys, vals, &cnt, SAFEMAP_ANY) == 0, "%s",
		      safemap_last_error());
	ck_assert_uint_eq(cnt, n);
	free(keys);
	free(vals);
}

/* Every key in @p present exactly once, nothing else, for batch sizes
 * 1..9 and the default. */
static void check_walks(struct safemap_bpf *h, uint32_t nkeys, const uint8_t *present)
{
	struct visit v = { h, nkeys, calloc(nkeys, 1), 0, 0 };
	uint32_t batch, k;

	for (batch = 0; batch <= 9; batch++) {
		memset(v.seen, 0, nkeys);
		v.visits = 0;
		ck_assert_msg(safemap_bpf_foreach(h, batch, on_visit, &v) == 0, "batch %u: %s", batch,
			      safemap_last_error());
		ck_assert_int_eq(v.bad_values, 0);
		for (k = 0; k < nkeys; k++)
			ck_assert_msg(v.seen[k] == (present ? present[k] : 1),
				      "batch %u: key %u seen %u times", batch, k, v.seen[k]);
	}
	free(v.seen);
}

struct kind {
	const char *name;
	enum bpf_map_type type;
	uint32_t max, fill;
	bool no_batch;
};

static const struct kind kinds[] = {
	{ "hash", BPF_MAP_TYPE_HASH, 128, 128, false },
	{ "hash_single", BPF_MAP_TYPE_HASH, 128, 128, true },
	{ "pcpu_hash", BPF_MAP_TYPE_PERCPU_HASH, 128, 100, false },
	{ "lru_hash", BPF_MAP_TYPE_LRU_HASH, 256, 100, false },
	{ "array", BPF_MAP_TYPE_ARRAY, 64, 64, false },
	{ "pcpu_array_single", BPF_MAP_TYPE_PERCPU_ARRAY, 64, 64, true },
};

static struct safemap_bpf *open_kind(const struct kind *k, int *fd)
{
	SAFEMAP_OPTS(safemap_bpf_opts, o, .no_batch = k->no_batch);
	struct safemap_bpf *h;

	*fd = bt_map(k->type, k->name, 4, 8, k->max, 0);
	ck_assert_int_eq(safemap_bpf_open_fd(*fd, &o, &h), 0);
	return h;
}

START_TEST(walk_every_key_once)
{
	const struct kind *k = &kinds[_i];
	int fd;
	struct safemap_bpf *h = open_kind(k, &fd);
	size_t n;

	fill(h, k->fill);
	ck_assert_int_eq(safemap_bpf_count(h, &n), 0);
	ck_assert_uint_eq(n, k->fill);
	check_walks(h, k->fill, NULL);
	safemap_bpf_put(h);
	close(fd);
}
END_TEST

START_TEST(large_map_delete_and_count)
{
	const uint32_t N = 10000;
	int fd = bt_map(BPF_MAP_TYPE_HASH, "large", 4, 8, N, 0);
	SAFEMAP_OPTS(safemap_bpf_opts, o, .no_batch = _i == 1);
	struct safemap_bpf *h;
	uint32_t *keys = malloc(N * sizeof(*keys)), i, cnt;
	uint8_t *present = malloc(N);
	size_t n, before;

	ck_assert_int_eq(safemap_bpf_open_fd(fd, &o, &h), 0);
	fill(h, N);
	ck_assert_int_eq(safemap_bpf_count(h, &before), 0);
	ck_assert_uint_eq(before, N);
	check_walks(h, N, NULL);

	/* delete every third key in one batch */
	for (i = 0, cnt = 0; i < N; i++) {
		present[i] = i % 3 != 0;
		if (!present[i])
			keys[cnt++] = i;
	}
	{
		uint32_t want = cnt;

		ck_assert_int_eq(safemap_bpf_batch_delete(h, keys, &cnt), 0);
		ck_assert_uint_eq(cnt, want);
	}
	ck_assert_int_eq(safemap_bpf_count(h, &n), 0);
	ck_assert_uint_eq(n, before - cnt);
	check_walks(h, N, present);

	/* deleting them again: the first absent key stops the batch */
	cnt = 5;
	ck_assert_int_eq(safemap_bpf_batch_delete(h, keys, &cnt), -ENOENT);
	ck_assert_uint_eq(cnt, 0);
	keys[0] = 1; /* present */
	keys[1] = 2; /* present */
	keys[2] = 3; /* deleted above */
	cnt = 3;
	ck_assert_int_eq(safemap_bpf_batch_delete(h, keys, &cnt), -ENOENT);
	ck_assert_uint_eq(cnt, 2);
	ck_assert_int_eq(safemap_bpf_count(h, &n), 0);
	ck_assert_uint_eq(n, before - N / 3 - 1 - 2);
	free(keys);
	free(present);
	safemap_bpf_put(h);
	close(fd);
}
END_TEST

START_TEST(batch_update_full_is_capacity_violation)
{
	struct bt_events ev = { 0 };
	int fd = bt_map(BPF_MAP_TYPE_HASH, "small", 4, 8, 8, 0);
	SAFEMAP_OPTS(safemap_bpf_opts, o, .no_batch = _i == 1, .event_fn = bt_on_event,
		     .event_ctx = &ev);
	struct safemap_bpf *h;
	uint32_t keys[12], cnt = 12, i;
	uint64_t vals[12];
	size_t n;

	ck_assert_int_eq(safemap_bpf_open_fd(fd, &o, &h), 0);
	for (i = 0; i < 12; i++) {
		keys[i] = 100 + i;
		vals[i] = i;
	}
	ck_assert_int_eq(safemap_bpf_batch_update(h, keys, vals, &cnt, SAFEMAP_NOEXIST), -E2BIG);
	ck_assert_uint_eq(cnt, 8);
	ck_assert_int_eq(ev.n, 1);
	ck_assert_int_eq(ev.reason, SAFEMAP_REASON_FULL);
	ck_assert_int_eq(ev.op, SAFEMAP_OP_BATCH_UPDATE);
	ck_assert_uint_eq(ev.key32, 108);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "max_entries 8"));
	ck_assert_int_eq(safemap_bpf_count(h, &n), 0);
	ck_assert_uint_eq(n, 8);
	/* NOEXIST on present keys stops at the first one */
	cnt = 3;
	ck_assert_int_eq(safemap_bpf_batch_update(h, keys, vals, &cnt, SAFEMAP_NOEXIST), -EEXIST);
	ck_assert_uint_eq(cnt, 0);
	/* replacing while full works */
	cnt = 8;
	ck_assert_int_eq(safemap_bpf_batch_update(h, keys, vals, &cnt, SAFEMAP_EXIST), 0);
	ck_assert_uint_eq(cnt, 8);
	ck_assert_int_eq(safemap_bpf_batch_update(h, keys, vals, &cnt, 7), -EINVAL);
	safemap_bpf_put(h);
	close(fd);
}
END_TEST

static int stop_at_three(const void *key, const void *value, void *ctx)
{
	(void)key;
	(void)value;
	return ++*(int *)ctx == 3 ? 42 : 0;
}

START_TEST(drain_and_stop)
{
	int fd = bt_map(BPF_MAP_TYPE_HASH, "drain", 4, 8, 256, 0), calls = 0;
	SAFEMAP_OPTS(safemap_bpf_opts, o, .no_batch = _i == 1);
	struct safemap_bpf *h;
	struct visit v;
	size_t n;

	ck_assert_int_eq(safemap_bpf_open_fd(fd, &o, &h), 0);
	fill(h, 200);
	ck_assert_int_eq(safemap_bpf_foreach(h, 4, stop_at_three, &calls), 42);
	ck_assert_int_eq(calls, 3);
	v = (struct visit){ h, 200, calloc(200, 1), 0, 0 };
	ck_assert_int_eq(safemap_bpf_drain(h, 3, on_visit, &v), 0);
	ck_assert_uint_eq(v.visits, 200);
	ck_assert_int_eq(v.bad_values, 0);
	for (n = 0; n < 200; n++)
		ck_assert_uint_eq(v.seen[n], 1);
	ck_assert_int_eq(safemap_bpf_count(h, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(v.seen);
	safemap_bpf_put(h);
	close(fd);
	/* arrays cannot be drained */
	fd = bt_map(BPF_MAP_TYPE_ARRAY, "nodrain", 4, 8, 4, 0);
	h = bt_open(fd, NULL, NULL);
	ck_assert_int_eq(safemap_bpf_drain(h, 0, on_visit, &v), -EINVAL);
	{
		uint32_t cnt = 1, k = 0;

		ck_assert_int_eq(safemap_bpf_batch_delete(h, &k, &cnt), -EINVAL);
	}
	safemap_bpf_put(h);
	close(fd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bpf_batch");
	TCase *tc = tcase_create("batch");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, walk_every_key_once, 0, (int)(sizeof(kinds) / sizeof(kinds[0])));
	tcase_add_loop_test(tc, large_map_delete_and_count, 0, 2);
	tcase_add_loop_test(tc, batch_update_full_is_capacity_violation, 0, 2);
	tcase_add_loop_test(tc, drain_and_stop, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

BT_MAIN(suite)
