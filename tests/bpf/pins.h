/* SPDX-License-Identifier: BSD-2-Clause */
/* The maps of an agent in three versions, for the check against pinned maps
 * (safemapctl check --pins, pincheck.c): pins_v1.bpf.c (the old version,
 * whose maps get pinned), pins_moved.bpf.c (the value's fields in another
 * order: same sizes, so libbpf would reuse the pinned map with the wrong
 * layout) and pins_grown.bpf.c (a bigger max_entries: libbpf cannot reuse). */
#ifndef SAFEMAP_TESTS_BPF_PINS_H
#define SAFEMAP_TESTS_BPF_PINS_H

#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#ifndef PINS_MAX_ENTRIES
#define PINS_MAX_ENTRIES 1024
#endif

struct pins_key {
	__u32 pid;
	__u32 cpu;
};

struct pins_value {
#ifdef PINS_VALUE_MOVED
	char comm[16];
	__u64 calls;
#else
	__u64 calls;
	char comm[16];
#endif
	struct {
		__u32 first;
		__u32 last;
	} seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PINS_MAX_ENTRIES);
	__type(key, struct pins_key);
	__type(value, struct pins_value);
} pins_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pins_totals SEC(".maps");

/* A program, so that `bpftool prog loadall ... pinmaps DIR` can load the
 * object; it is never attached. */
SEC("raw_tracepoint/sys_enter")
int pins_count(void *ctx)
{
	__u32 zero = 0;
	__u64 *t = bpf_map_lookup_elem(&pins_totals, &zero);
	struct pins_key k = { 1, 2 };

	if (t)
		__sync_fetch_and_add(t, 1);
	return bpf_map_lookup_elem(&pins_stats, &k) != 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#endif
