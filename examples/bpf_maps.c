/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The BPF half of libsafemap in one program (run as root):
 *  1. load a small BPF object and open its maps through specs (type, sizes,
 *     max_entries and the key/value layouts checked against the kernel's BTF);
 *  2. count this process's syscalls with its program and read them back
 *     (the per-CPU total with a buffer sized by *possible* CPUs);
 *  3. a pinned map left by the previous release, whose value was 1512 bytes,
 *     refused at open by this release (1528 bytes) with the field named;
 *  4. a full map: -E2BIG reported as a capacity violation, through the same
 *     event sink as every other refusal.
 * Usage: example_bpf_maps [PATH/bpf_maps.bpf.o]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define STATS_VERSION 2 /* this program is the new release */
#include "bpf_maps.h"

#include <safemap/safemap.h>

#ifndef SAFEMAP_EXAMPLE_BPF_OBJ
#define SAFEMAP_EXAMPLE_BPF_OBJ "bpf_maps.bpf.o"
#endif
#define PIN_DIR "/sys/fs/bpf"

static void on_event(const struct safemap_event *ev, void *ctx)
{
	char line[512];

	(void)ctx;
	safemap_event_format(ev, line, sizeof(line));
	printf("  event: %s\n", line);
}

/* Open @p name of @p obj against @p spec; exits on failure. */
static struct safemap_bpf *open_checked(struct bpf_object *obj, const char *name,
					const struct safemap_bpf_spec *spec)
{
	SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = spec, .event_fn = on_event);
	struct safemap_bpf *h;
	int err = safemap_bpf_open_map(bpf_object__find_map_by_name(obj, name), &o, &h);

	if (err) {
		fprintf(stderr, "open %s: %s\n", name, safemap_last_error());
		exit(1);
	}
	printf("  %-12s %-13s key %u value %u max_entries %u: matches its spec\n",
	       safemap_bpf_name(h), libbpf_bpf_map_type_str(safemap_bpf_type(h)),
	       safemap_bpf_key_size(h), safemap_bpf_value_size(h), safemap_bpf_max_entries(h));
	return h;
}

struct top {
	uint32_t nr;
	uint64_t calls;
	size_t distinct;
};

static int find_top(const void *key, const void *value, void *ctx)
{
	const struct sys_count *c = value;
	struct top *t = ctx;

	t->distinct++;
	if (c->calls > t->calls) {
		t->calls = c->calls;
		memcpy(&t->nr, key, sizeof(t->nr));
	}
	return 0;
}

static int count_syscalls(struct bpf_object *obj, struct safemap_bpf *config,
			  struct safemap_bpf *per_syscall, struct safemap_bpf *total)
{
	uint32_t zero = 0, tgid = (uint32_t)getpid();
	struct bpf_link *link;
	size_t size = safemap_bpf_percpu_size(total);
	uint64_t *buf = calloc(1, size), sum = 0;
	struct top top = { 0 };
	int i, err;

	if (!buf || safemap_bpf_update(config, &zero, &tgid, SAFEMAP_ANY))
		return -1;
	link = bpf_program__attach_raw_tracepoint(
		bpf_object__find_program_by_name(obj, "count_syscalls"), "sys_enter");
	if (!link) {
		fprintf(stderr, "attach: %s\n", strerror(errno));
		free(buf);
		return -1;
	}
	for (i = 0; i < 1000; i++)
		getppid();
	bpf_link__destroy(link);

	err = safemap_bpf_percpu_lookup(total, &zero, buf, size);
	if (!err)
		err = safemap_bpf_percpu_sum_u64(total, buf, size, &sum);
	if (!err)
		err = safemap_bpf_foreach(per_syscall, 0, find_top, &top);
	free(buf);
	if (err) {
		fprintf(stderr, "read: %s\n", safemap_last_error());
		return -1;
	}
	printf("  %llu syscalls counted (per-CPU total summed over %d possible CPUs, buffer %zu bytes);\n"
	       "  %zu distinct syscalls, the most frequent: nr %u, %llu calls\n",
	       (unsigned long long)sum, safemap_bpf_possible_cpus(), size, top.distinct, top.nr,
	       (unsigned long long)top.calls);
	return sum >= 1000 && top.calls >= 1000 ? 0 : -1;
}

/* The previous release pinned `stats` (1512-byte values); open it as this
 * release (1528 bytes). */
static int pinned_grown(struct bpf_object *obj)
{
	SAFEMAP_OPTS(safemap_bpf_spec, spec, .map_type = BPF_MAP_TYPE_HASH,
		     .key_size = sizeof(__u32), .value_size = sizeof(struct flow_stats),
		     .value_layout = SAFEMAP_LAYOUT(struct flow_stats, packets, bytes, hist, drops));
	SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = &spec, .event_fn = on_event);
	struct safemap_bpf *h = NULL;
	struct statfs st;
	char pin[64];
	int err;

	/* a pin of this process's own (another copy may run at the same time);
	 * a bpffs mounted here stays mounted: another process may use it now */
	snprintf(pin, sizeof(pin), PIN_DIR "/safemap-example-%d-stats", (int)getpid());
	if (statfs(PIN_DIR, &st) || st.f_type != 0xcafe4a11 /* BPF_FS_MAGIC */) {
		mkdir(PIN_DIR, 0700);
		if (mount("bpf", PIN_DIR, "bpf", 0, "mode=0700")) {
			fprintf(stderr, "mount bpffs: %s\n", strerror(errno));
			return -1;
		}
	}
	unlink(pin);
	if (bpf_map__pin(bpf_object__find_map_by_name(obj, "stats"), pin)) {
		fprintf(stderr, "pin: %s\n", strerror(errno));
		return -1;
	}
	err = safemap_bpf_open_pinned(pin, &o, &h);
	if (err == -EPROTO)
		printf("  refused (%s): %s\n", safemap_strerror(err), safemap_last_error());
	else
		safemap_bpf_put(h);
	unlink(pin);
	return err == -EPROTO ? 0 : -1;
}

static int capacity_violation(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "sessions", 4, 8, 4, NULL);
	SAFEMAP_OPTS(safemap_bpf_opts, o, .event_fn = on_event);
	struct safemap_bpf *h;
	struct safemap_bpf_stats st;
	uint32_t k;
	uint64_t v = 1;
	size_t n = 0;
	int err = 0;

	if (fd < 0 || safemap_bpf_open_fd(fd, &o, &h))
		return -1;
	close(fd); /* the handle keeps its own */
	for (k = 1; k <= 5 && !err; k++)
		err = safemap_bpf_update(h, &k, &v, SAFEMAP_NOEXIST);
	printf("  insert #%u: %s\n  detail: %s\n", k - 1, safemap_strerror(err), safemap_last_error());
	safemap_bpf_get_stats(h, &st);
	k = 1;
	v = 2;
	printf("  replacing key 1 while full: %s\n",
	       safemap_strerror(safemap_bpf_update(h, &k, &v, SAFEMAP_EXIST)));
	safemap_bpf_count(h, &n);
	printf("  fill: %zu of %u; capacity violations counted: %llu\n", n,
	       safemap_bpf_max_entries(h), (unsigned long long)st.capacity_violations);
	safemap_bpf_put(h);
	return err == -E2BIG && st.capacity_violations == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : SAFEMAP_EXAMPLE_BPF_OBJ;
	struct safemap_bpf *config, *per_syscall, *total;
	struct bpf_object *obj;
	int err, failed = 0;

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "load %s: %s%s\n", path, strerror(-err),
			err == -EPERM ? " (run as root)" : "");
		bpf_object__close(obj);
		return err == -EPERM ? 77 : 1;
	}

	printf("1. maps opened through specs:\n");
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .map_type = BPF_MAP_TYPE_HASH, .max_entries = 256,
			     .require_btf = true, .key_layout = SAFEMAP_LAYOUT_SCALAR(__u32),
			     .value_layout = SAFEMAP_LAYOUT(struct sys_count, calls, last_ns));

		per_syscall = open_checked(obj, "per_syscall", &s);
	}
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .map_type = BPF_MAP_TYPE_PERCPU_ARRAY,
			     .key_size = 4, .value_size = 8);

		total = open_checked(obj, "total", &s);
	}
	{
		SAFEMAP_OPTS(safemap_bpf_spec, s, .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
			     .value_size = 4);

		config = open_checked(obj, "config", &s);
	}
	printf("2. this process's syscalls, counted by the BPF program:\n");
	failed |= count_syscalls(obj, config, per_syscall, total) != 0;
	printf("3. a pinned map from the previous release (value 1512 bytes), opened by this one (%zu):\n",
	       sizeof(struct flow_stats));
	failed |= pinned_grown(obj) != 0;
	printf("4. a full map (max_entries 4):\n");
	failed |= capacity_violation() != 0;

	safemap_bpf_put(config);
	safemap_bpf_put(per_syscall);
	safemap_bpf_put(total);
	bpf_object__close(obj); /* handles may outlive the object; these are gone already */
	printf("%s\n", failed ? "something was not as expected" : "all as expected");
	return failed;
}
