// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* A downstream BPF program's map done right: the key has no padding hole. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u32 proto; /* 4 bytes: no hole before the next field */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);
	__type(value, __u64);
} flows SEC(".maps");

char LICENSE[] SEC("license") = "Dual BSD/GPL";
