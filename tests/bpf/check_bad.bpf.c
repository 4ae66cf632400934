// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* For `safemapctl check`: a key with a padding hole, and a map smaller
 * than check_policy.txt allows. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "types.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);      /* hole at bytes 13..15 */
	__type(value, __u64);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16);           /* the policy wants at least 1024 */
	__type(key, __u32);
	__type(value, __u64);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, struct tail_key);      /* hole at bytes 12..15 */
	__type(value, __u32);
} tails SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, struct nest_key);      /* holes at bytes 1..3 and 9..11 */
	__type(value, __u32);
} nested SEC(".maps");

char LICENSE[] SEC("license") = "Dual BSD/GPL";
