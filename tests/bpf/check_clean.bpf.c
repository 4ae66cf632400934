// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* For `safemapctl check`: the same maps done right. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "types.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key_packed); /* explicit pad[3]: no hole */
	__type(value, __u64);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} conns SEC(".maps");

char LICENSE[] SEC("license") = "Dual BSD/GPL";
