/* SPDX-License-Identifier: BSD-2-Clause */
/* What the demo agent's BPF program and the agent share: the map's key
 * (a process id, __u32) and value, and the map's bound. */
#ifndef SAFEMAP_AGENT_SYSCOUNT_H
#define SAFEMAP_AGENT_SYSCOUNT_H

/* Deliberately small, so that the capacity guard has work to do. */
#define SYSCOUNT_MAX_ENTRIES 64

/* The value of map 'syscount': system calls of one process (tgid). */
struct proc_stat {
	__u64 calls;
	char comm[16];
};

#endif
