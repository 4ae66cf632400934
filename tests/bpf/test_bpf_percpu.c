/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-CPU maps: buffers are sized by *possible* CPUs with each CPU's value
 * rounded up to 8 bytes; values round-trip on every possible CPU; a buffer
 * that is too small (the classic value_size * online CPUs) is refused
 * before the syscall, where the raw call faults or corrupts memory. */
#include <sys/mman.h>

#include "types.h"

#include "bpftest.h"

/* Possible CPUs counted independently of libbpf: "0-3,8-11" style ranges. */
static int possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	int a, b, n = 0;
	char sep;

	ck_assert_ptr_nonnull(f);
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
			ck_assert_int_eq(fscanf(f, "%d", &b), 1);
			if (fscanf(f, "%c", &sep) != 1)
				sep = '\n';
		}
		n += b - a + 1;
		if (sep != ',')
			break;
	}
	fclose(f);
	return n;
}

static struct bpf_object *obj;

static struct safemap_bpf *open_pcpu(struct bt_events *ev)
{
	SAFEMAP_OPTS(safemap_bpf_spec, s, .map_type = BPF_MAP_TYPE_PERCPU_HASH, .key_size = 4,
		     .value_size = sizeof(struct pcpu_val),
		     .value_layout = SAFEMAP_LAYOUT(struct pcpu_val, count, last, flags));
	SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &s, .event_fn = ev ? bt_on_event : NULL,
		     .event_ctx = ev);
	struct safemap_bpf *h = NULL;

	obj = bt_load("maps");
	ck_assert_msg(safemap_bpf_open_map(bpf_object__find_map_by_name(obj, "pcpu"), &o, &h) == 0,
		      "%s", safemap_last_error());
	return h;
}

START_TEST(sizes_follow_possible_cpus)
{
	struct safemap_bpf *h = open_pcpu(NULL);
	int ncpu = possible_cpus();

	ck_assert_int_eq(safemap_bpf_possible_cpus(), ncpu);
	ck_assert_uint_eq(sizeof(struct pcpu_val), 12);
	ck_assert_uint_eq(safemap_bpf_value_size(h), 12);
	ck_assert_uint_eq(safemap_bpf_percpu_stride(h), 16);
	ck_assert_uint_eq(safemap_bpf_percpu_size(h), 16u * (unsigned)ncpu);
	ck_assert_uint_eq(safemap_bpf_value_buf_size(h), 16u * (unsigned)ncpu);
	ck_assert_ptr_null(safemap_bpf_percpu_ptr(h, &ncpu, (unsigned)ncpu));
	safemap_bpf_put(h);
	bpf_object__close(obj);
}
END_TEST

static void add_count(unsigned cpu, const void *value, void *ctx)
{
	const struct pcpu_val *v = value;

	(void)cpu;
	*(uint64_t *)ctx += v->count;
}

START_TEST(round_trip_every_cpu)
{
	struct safemap_bpf *h = open_pcpu(NULL);
	unsigned cpu, ncpu = (unsigned)safemap_bpf_possible_cpus();
	size_t size = safemap_bpf_percpu_size(h);
	char *buf = malloc(size);
	uint64_t total = 0, want = 0;
	uint32_t key = 7;

	memset(buf, 0, size);
	for (cpu = 0; cpu < ncpu; cpu++) {
		struct pcpu_val *v = safemap_bpf_percpu_ptr(h, buf, cpu);

		v->count = 1000 + cpu;
		v->last = cpu * 7 + 1;
		want += v->count;
	}
	ck_assert_int_eq(safemap_bpf_percpu_update(h, &key, buf, size, SAFEMAP_NOEXIST), 0);
	memset(buf, 0xee, size);
	ck_assert_int_eq(safemap_bpf_percpu_lookup(h, &key, buf, size), 0);
	for (cpu = 0; cpu < ncpu; cpu++) {
		const struct pcpu_val *v = safemap_bpf_percpu_ptr(h, buf, cpu);

		ck_assert_uint_eq(v->count, 1000 + cpu);
		ck_assert_uint_eq(v->last, cpu * 7 + 1);
	}
	ck_assert_int_eq(safemap_bpf_percpu_reduce(h, buf, size, add_count, &total), 0);
	ck_assert_uint_eq(total, want);
	/* 12-byte values are not u64 counters: refused */
	{
		uint64_t out[2];

		ck_assert_int_eq(safemap_bpf_percpu_sum_u64(h, buf, size, out), -EINVAL);
	}
	/* absent: zero-filled */
	ck_assert_int_eq(safemap_bpf_percpu_lookup(h, &(uint32_t){ 8 }, buf, size), -ENOENT);
	for (cpu = 0; cpu < size; cpu++)
		ck_assert_int_eq(buf[cpu], 0);
	free(buf);
	safemap_bpf_put(h);
	bpf_object__close(obj);
}
END_TEST

START_TEST(percpu_array_sum)
{
	int fd = bt_map(BPF_MAP_TYPE_PERCPU_ARRAY, "pcpu_sum", 4, 16, 4, 0);
	struct safemap_bpf *h = bt_open(fd, NULL, NULL);
	unsigned cpu, ncpu = (unsigned)safemap_bpf_possible_cpus();
	size_t size = safemap_bpf_percpu_size(h);
	uint64_t *buf = calloc(1, size), out[2];

	for (cpu = 0; cpu < ncpu; cpu++) {
		uint64_t *v = safemap_bpf_percpu_ptr(h, buf, cpu);

		v[0] = cpu + 1;
		v[1] = 10;
	}
	ck_assert_int_eq(safemap_bpf_percpu_update(h, &(uint32_t){ 3 }, buf, size, 0), 0);
	memset(buf, 0, size);
	ck_assert_int_eq(safemap_bpf_percpu_lookup(h, &(uint32_t){ 3 }, buf, size), 0);
	ck_assert_int_eq(safemap_bpf_percpu_sum_u64(h, buf, size, out), 0);
	ck_assert_uint_eq(out[0], (uint64_t)ncpu * (ncpu + 1) / 2);
	ck_assert_uint_eq(out[1], 10ull * ncpu);
	ck_assert_int_eq(safemap_bpf_percpu_sum_u64(h, buf, size - 1, out), -ENOSPC);
	free(buf);
	safemap_bpf_put(h);
	close(fd);
}
END_TEST

START_TEST(too_small_refused_before_syscall)
{
	struct bt_events ev = { 0 };
	struct safemap_bpf *h = open_pcpu(&ev);
	struct safemap_bpf_stats st;
	unsigned ncpu = (unsigned)safemap_bpf_possible_cpus();
	size_t page = (size_t)sysconf(_SC_PAGESIZE), small = 12u * ncpu, i;
	char *map, *buf;
	uint32_t key = 42;

	/* the buffer ends at a guard page: a write past it faults */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mprotect(map + page, page, PROT_NONE), 0);
	buf = map + page - small;
	memset(buf, 0x5a, small);

	ck_assert_int_eq(safemap_bpf_percpu_update(h, &key, buf, small, SAFEMAP_ANY), -ENOSPC);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_msg(strstr(safemap_last_error(), "refused before the syscall") &&
			      strstr(safemap_last_error(), "possible CPUs"),
		      "%s", safemap_last_error());
	ck_assert_int_eq(ev.n, 1);
	ck_assert_int_eq(ev.reason, SAFEMAP_REASON_BAD_SIZE);
	ck_assert_int_eq(ev.result, -ENOSPC);
	ck_assert_str_eq(ev.map_name, "pcpu");

	/* the update never reached the kernel: the key is absent */
	{
		size_t size = safemap_bpf_percpu_size(h);
		char *ok = malloc(size);

		ck_assert_int_eq(safemap_bpf_percpu_lookup(h, &key, ok, size), -ENOENT);
		free(ok);
	}
	ck_assert_int_eq(safemap_bpf_percpu_lookup(h, &key, buf, small), -ENOSPC);
	for (i = 0; i < small; i++) /* untouched */
		ck_assert_int_eq((unsigned char)buf[i], 0x5a);
	safemap_bpf_get_stats(h, &st);
	ck_assert_uint_eq(st.bad_size, 2);
	ck_assert_int_eq(ev.n, 2);

	/* control: the raw call with that buffer really overruns it */
	{
		size_t size = safemap_bpf_percpu_size(h);
		char *full = calloc(1, size);

		ck_assert_int_eq(bpf_map_update_elem(safemap_bpf_fd(h), &key, full, 0), 0);
		ck_assert_int_eq(bpf_map_lookup_elem(safemap_bpf_fd(h), &key, buf), -EFAULT);
		free(full);
	}
	munmap(map, 2 * page);
	safemap_bpf_put(h);
	bpf_object__close(obj);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bpf_percpu");
	TCase *tc = tcase_create("percpu");

	tcase_add_test(tc, sizes_follow_possible_cpus);
	tcase_add_test(tc, round_trip_every_cpu);
	tcase_add_test(tc, percpu_array_sum);
	tcase_add_test(tc, too_small_refused_before_syscall);
	suite_add_tcase(s, tc);
	return s;
}

BT_MAIN(suite)
