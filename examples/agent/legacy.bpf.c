// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * The map an older version of the agent left pinned: same name, same key,
 * same value type name and size, but the value's fields in the other order.
 * The agent pins it, opens it with its current spec, and must be refused:
 * the BTF layout check names the fields that moved.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct proc_stat { /* version 0 of the agent's value */
	char comm[16];
	__u64 calls;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct proc_stat);
} syscount SEC(".maps");

char LICENSE[] SEC("license") = "Dual BSD/GPL";
