// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * The demo agent's BPF program: counts system calls per process (tgid) into
 * the bounded hash map 'syscount'. When the map is full the kernel refuses
 * the insert (-E2BIG); the program counts those refusals in 'refused' so
 * that user space can report them.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include "syscount.h"

#define E2BIG 7
#define EEXIST 17

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSCOUNT_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct proc_stat);
} syscount SEC(".maps");

/* Inserts the kernel refused because 'syscount' was full (read through the
 * skeleton's .bss). */
__u64 refused = 0;

SEC("raw_tracepoint/sys_enter")
int count_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct proc_stat *s, init = { .calls = 1 };
	long err;

	if (!tgid)
		return 0;
	s = bpf_map_lookup_elem(&syscount, &tgid);
	if (s) {
		/* a forked child keeps its parent's name until it renames
		 * itself or execs: refresh the name now and then */
		if (!(__sync_fetch_and_add(&s->calls, 1) & 255))
			bpf_get_current_comm(s->comm, sizeof(s->comm));
		return 0;
	}
	bpf_get_current_comm(init.comm, sizeof(init.comm));
	err = bpf_map_update_elem(&syscount, &tgid, &init, BPF_NOEXIST);
	if (err == -E2BIG) {
		__sync_fetch_and_add(&refused, 1);
	} else if (err == -EEXIST) { /* another CPU inserted it first */
		s = bpf_map_lookup_elem(&syscount, &tgid);
		if (s)
			__sync_fetch_and_add(&s->calls, 1);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
