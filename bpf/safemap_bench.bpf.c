// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Empty programs on the audit probe's two candidate hooks, for
 * bench/bench_audit.c: the cost of merely having a program attached there,
 * against which the audit probe's own work is measured.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tracepoint/syscalls/sys_enter_bpf")
int empty_tp_enter(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_bpf")
int empty_tp_exit(void *ctx)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int empty_raw_enter(void *ctx)
{
	return 0;
}

SEC("raw_tp/sys_exit")
int empty_raw_exit(void *ctx)
{
	return 0;
}
