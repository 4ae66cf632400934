// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* The example's BPF side: counts the syscalls of one process (its tgid is
 * written into `config` by user space) per syscall number and in total. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "bpf_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);           /* the tgid to count */
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512);
	__type(key, __u32);             /* syscall number */
	__type(value, struct sys_count);
} per_syscall SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} total SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct flow_stats); /* version 1: 1512 bytes */
} stats SEC(".maps");

SEC("raw_tp/sys_enter")
int count_syscalls(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0, nr = (__u32)ctx->args[1];
	__u32 *tgid = bpf_map_lookup_elem(&config, &zero);
	struct sys_count *c, init = { 1, 0 };
	__u64 *t;

	if (!tgid || *tgid != bpf_get_current_pid_tgid() >> 32)
		return 0;
	t = bpf_map_lookup_elem(&total, &zero);
	if (t)
		*t += 1; /* per-CPU: no atomics needed */
	c = bpf_map_lookup_elem(&per_syscall, &nr);
	if (c) {
		__sync_fetch_and_add(&c->calls, 1);
		c->last_ns = bpf_ktime_get_ns();
	} else {
		init.last_ns = bpf_ktime_get_ns();
		bpf_map_update_elem(&per_syscall, &nr, &init, BPF_NOEXIST);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
