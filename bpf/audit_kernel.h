/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * The few kernel types the audit probe reads, declared with only the fields
 * it touches. preserve_access_index makes every access a CO-RE relocation:
 * libbpf finds the real offsets in the running kernel's BTF
 * (/sys/kernel/btf/vmlinux) at load time, so no generated vmlinux.h is
 * needed and the probe works across kernel builds. The "___sm" suffix keeps
 * these names apart from any header's; libbpf ignores it when matching.
 */
#ifndef SAFEMAP_BPF_AUDIT_KERNEL_H
#define SAFEMAP_BPF_AUDIT_KERNEL_H

#include <linux/types.h>

#define SM_CORE __attribute__((preserve_access_index))

struct super_block___sm {
	unsigned long s_magic;
} SM_CORE;

struct inode___sm {
	struct super_block___sm *i_sb;
} SM_CORE;

struct qstr___sm {
	const unsigned char *name;
} SM_CORE;

struct dentry___sm {
	struct qstr___sm d_name;
} SM_CORE;

struct path___sm {
	struct dentry___sm *dentry;
} SM_CORE;

/* f_path sits in an anonymous union since 6.12: CO-RE looks through it. */
struct file___sm {
	const void *f_op;
	void *private_data;
	struct inode___sm *f_inode;
	struct path___sm f_path;
} SM_CORE;

struct fdtable___sm {
	unsigned int max_fds;
	struct file___sm **fd;
} SM_CORE;

struct files_struct___sm {
	struct fdtable___sm *fdt;
} SM_CORE;

struct task_struct___sm {
	struct files_struct___sm *files;
} SM_CORE;

struct bpf_map___sm {
	__u32 key_size;
	__u32 id;
	char name[16];
} SM_CORE;

/* The syscall registers the raw tracepoints sys_enter/sys_exit pass. */
#if defined(__TARGET_ARCH_x86)
struct pt_regs___sm {
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
} SM_CORE;
#define SM_SYSCALL_ARG1(r) BPF_CORE_READ(r, di)
#define SM_SYSCALL_ARG2(r) BPF_CORE_READ(r, si)
#define SM_SYSCALL_ARG3(r) BPF_CORE_READ(r, dx)
#define SM_SYSCALL_NR(r) BPF_CORE_READ(r, orig_ax)
#define SM_NR_BPF 321
#elif defined(__TARGET_ARCH_arm64)
struct pt_regs___sm {
	unsigned long regs[31];
	__u64 orig_x0;
	__s32 syscallno;
} SM_CORE;
#define SM_SYSCALL_ARG1(r) BPF_CORE_READ(r, orig_x0)
#define SM_SYSCALL_ARG2(r) BPF_CORE_READ(r, regs[1])
#define SM_SYSCALL_ARG3(r) BPF_CORE_READ(r, regs[2])
#define SM_SYSCALL_NR(r) BPF_CORE_READ(r, syscallno)
#define SM_NR_BPF 280
#else
#error "safemap audit probe: add this architecture's syscall registers"
#endif

/* The context of the syscalls/sys_{enter,exit}_bpf tracepoints (their
 * format files: 8 bytes of common fields, the syscall nr, then the
 * arguments or the return value). */
struct sm_tp_sys_enter {
	__u64 common;
	__s64 nr;
	__u64 args[6];
};

struct sm_tp_sys_exit {
	__u64 common;
	__s64 nr;
	__s64 ret;
};

#define SM_ANON_INODE_FS_MAGIC 0x09041934

#endif /* SAFEMAP_BPF_AUDIT_KERNEL_H */
