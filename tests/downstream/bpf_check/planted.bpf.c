// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* The same map with the classic mistake: a 1-byte proto followed by a
 * 4-byte field leaves a padding hole at bytes 13..15 of the hash key. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u32 ifindex;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);
	__type(value, __u64);
} flows SEC(".maps");

char LICENSE[] SEC("license") = "Dual BSD/GPL";
