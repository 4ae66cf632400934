// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * libsafemap's audit probe: reports writes to guarded BPF maps by processes
 * their policy does not allow.
 *
 * It watches the bpf() system call (the syscalls/sys_{enter,exit}_bpf
 * tracepoints, or the raw tracepoints sys_enter/sys_exit on kernels without
 * tracefs; the library attaches one pair). On entry of a write command it
 * resolves the fd the caller passed to the map it names, in the kernel, from
 * the calling task's own fd table (CO-RE: task->files->fdt->fd[fd] ->
 * private_data), looks the map id up in the policy map, and if the writer is
 * not allowed it parks a report in a per-task hash keyed by pid_tgid. On exit
 * it adds the syscall's result and sends the report through a ring buffer.
 * A report that finds no room (ring buffer full, or too many writes in
 * flight) is counted in sm_lost, never silently dropped.
 *
 * This reports; it does not block: refusing a write needs a BPF LSM program
 * on security_bpf, which the library probes for separately.
 *
 * The probe reads the command's arguments from user memory before the kernel
 * does: a writer that changes them concurrently from another thread can
 * mislead it (time-of-check to time-of-use). It audits well-behaved and
 * buggy writers, it is not a security boundary against hostile ones.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "audit_kernel.h"
#include "safemap_audit.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Guarded maps: map id -> policy. Sized by the library before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct sm_policy);
} sm_policy SEC(".maps");

/* Reports between sys_enter and sys_exit, keyed by pid_tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct sm_report);
} sm_pending SEC(".maps");

/* Reports to user space. Sized by the library before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} sm_reports SEC(".maps");

/* Global state (.bss, mmapped by the library). */
__u64 sm_lost;          /* reports dropped: ring buffer or pending map full */
__u64 sm_nr_pending;    /* entries in sm_pending: lets sys_exit skip the lookup */
__u32 sm_nr_guarded;    /* entries in sm_policy, set by the library */
__u64 sm_map_fops;      /* f_op of BPF map files, learned on first sight */

static __always_inline void count_lost(void)
{
	__sync_fetch_and_add(&sm_lost, 1);
}

static __always_inline int is_write_cmd(long cmd)
{
	switch (cmd) {
	case BPF_MAP_UPDATE_ELEM:
	case BPF_MAP_DELETE_ELEM:
	case BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case BPF_MAP_FREEZE:
	case BPF_MAP_LOOKUP_AND_DELETE_BATCH:
	case BPF_MAP_UPDATE_BATCH:
	case BPF_MAP_DELETE_BATCH:
		return 1;
	default:
		return 0;
	}
}

static __always_inline int is_batch_cmd(long cmd)
{
	return cmd == BPF_MAP_LOOKUP_AND_DELETE_BATCH || cmd == BPF_MAP_UPDATE_BATCH ||
	       cmd == BPF_MAP_DELETE_BATCH;
}

/* "bpf-map\0" read as one little- or big-endian 64-bit word. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SM_BPF_MAP_NAME_WORD 0x0070616d2d667062ull
#else
#define SM_BPF_MAP_NAME_WORD 0x6270662d6d617000ull
#endif

/* Is this file a BPF map? Map fds are anonymous-inode files named
 * "bpf-map" (bpf_map_new_fd); checked once, then f_op is remembered. */
static __always_inline int is_map_file(struct file___sm *file, const void *fop)
{
	const unsigned char *name;
	__u64 word = 0;

	if ((__u64)fop == sm_map_fops)
		return 1;
	if (BPF_CORE_READ(file, f_inode, i_sb, s_magic) != SM_ANON_INODE_FS_MAGIC)
		return 0;
	name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (!name || bpf_probe_read_kernel(&word, sizeof(word), name))
		return 0;
	if (word != SM_BPF_MAP_NAME_WORD)
		return 0;
	sm_map_fops = (__u64)fop;
	return 1;
}

/* The map behind @fd in the calling task's fd table, or NULL. */
static __always_inline struct bpf_map___sm *fd_to_map(__u32 fd)
{
	struct task_struct___sm *task = (void *)bpf_get_current_task();
	struct fdtable___sm *fdt = BPF_CORE_READ(task, files, fdt);
	struct file___sm **fds, *file = NULL;
	const void *fop;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (!fds || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	fop = BPF_CORE_READ(file, f_op);
	if (!fop || !is_map_file(file, fop))
		return NULL;
	return BPF_CORE_READ(file, private_data);
}

static __always_inline int allowed(const struct sm_policy *p, __u32 tgid, __u32 uid)
{
	__u32 i, n;

	if (p->flags & SM_POL_READ_ONLY)
		return 0;
	if (tgid == p->guard_tgid)
		return 1;
	n = p->n_tgids;
#pragma unroll
	for (i = 0; i < SM_AUDIT_MAX_ALLOWED; i++)
		if (i < n && p->tgids[i] == tgid)
			return 1;
	n = p->n_uids;
#pragma unroll
	for (i = 0; i < SM_AUDIT_MAX_ALLOWED; i++)
		if (i < n && p->uids[i] == uid)
			return 1;
	return 0;
}

/* Copy up to SM_AUDIT_KEY_BYTES of the user's key. */
static __always_inline void read_key(struct sm_report *r, __u64 uptr)
{
	__u32 len = r->key_size;

	if (!uptr)
		return;
	if (len > SM_AUDIT_KEY_BYTES)
		len = SM_AUDIT_KEY_BYTES;
	if (bpf_probe_read_user(r->key, len, (const void *)uptr) == 0)
		r->key_len = len;
}

/* The prefix of union bpf_attr the write commands use. */
struct sm_attr {
	__u32 map_fd;           /* elem commands, freeze */
	__u32 pad;
	__u64 key;              /* elem commands */
	__u64 batch_keys;       /* batch.keys */
	__u64 batch_values;
	__u32 batch_count;      /* batch.count */
	__u32 batch_map_fd;     /* batch.map_fd */
};
_Static_assert(__builtin_offsetof(union bpf_attr, key) == __builtin_offsetof(struct sm_attr, key), "key");
_Static_assert(__builtin_offsetof(union bpf_attr, batch.keys) ==
	       __builtin_offsetof(struct sm_attr, batch_keys), "batch.keys");
_Static_assert(__builtin_offsetof(union bpf_attr, batch.count) ==
	       __builtin_offsetof(struct sm_attr, batch_count), "batch.count");
_Static_assert(__builtin_offsetof(union bpf_attr, batch.map_fd) ==
	       __builtin_offsetof(struct sm_attr, batch_map_fd), "batch.map_fd");

static __always_inline int on_enter(long cmd, __u64 uattr)
{
	struct bpf_map___sm *map;
	const struct sm_policy *pol;
	struct sm_report r = {};
	struct sm_attr attr;
	__u64 pid_tgid;
	__u32 id, fd;
	int batch;

	if (!is_write_cmd(cmd) || !sm_nr_guarded)
		return 0;
	batch = is_batch_cmd(cmd);
	if (bpf_probe_read_user(&attr, sizeof(attr), (const void *)uattr))
		return 0; /* the kernel's copy fails too: nothing is written */
	fd = batch ? attr.batch_map_fd : attr.map_fd;
	map = fd_to_map(fd);
	if (!map)
		return 0; /* not a map: the kernel refuses it (-EBADF/-EINVAL) */
	id = BPF_CORE_READ(map, id);
	pol = bpf_map_lookup_elem(&sm_policy, &id);
	if (!pol)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	r.uid = (__u32)bpf_get_current_uid_gid();
	r.pid = pid_tgid >> 32;
	r.tid = (__u32)pid_tgid;
	if (allowed(pol, r.pid, r.uid))
		return 0;

	r.ts_ns = bpf_ktime_get_ns();
	r.uattr = uattr;
	r.map_id = id;
	r.cmd = cmd;
	r.fd = fd;
	r.key_size = BPF_CORE_READ(map, key_size);
	bpf_get_current_comm(r.comm, sizeof(r.comm));
	bpf_core_read(r.map_name, sizeof(r.map_name), &map->name);
	if (batch)
		r.count = attr.batch_count;
	if (cmd != BPF_MAP_FREEZE && cmd != BPF_MAP_LOOKUP_AND_DELETE_BATCH)
		read_key(&r, batch ? attr.batch_keys : attr.key); /* an output there */
	if (bpf_map_update_elem(&sm_pending, &pid_tgid, &r, BPF_ANY)) {
		count_lost();
		return 0;
	}
	__sync_fetch_and_add(&sm_nr_pending, 1);
	return 0;
}

static __always_inline int on_exit(long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct sm_report *r, *out;
	struct sm_attr attr;

	r = bpf_map_lookup_elem(&sm_pending, &pid_tgid);
	if (!r)
		return 0;
	out = bpf_ringbuf_reserve(&sm_reports, sizeof(*out), 0);
	if (!out) {
		count_lost();
	} else {
		__builtin_memcpy(out, r, sizeof(*out));
		out->ret = ret;
		if (is_batch_cmd(out->cmd) &&
		    bpf_probe_read_user(&attr, sizeof(attr), (const void *)out->uattr) == 0) {
			out->count = attr.batch_count; /* elements the kernel processed */
			if (out->cmd == BPF_MAP_LOOKUP_AND_DELETE_BATCH && attr.batch_count)
				read_key(out, attr.batch_keys);
		}
		bpf_ringbuf_submit(out, 0);
	}
	if (bpf_map_delete_elem(&sm_pending, &pid_tgid) == 0)
		__sync_fetch_and_sub(&sm_nr_pending, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_bpf")
int sm_tp_enter(struct sm_tp_sys_enter *ctx)
{
	return on_enter((long)ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_bpf")
int sm_tp_exit(struct sm_tp_sys_exit *ctx)
{
	if (!sm_nr_pending)
		return 0;
	return on_exit(ctx->ret);
}

SEC("raw_tp/sys_enter")
int sm_raw_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs___sm *regs = (void *)ctx->args[0];

	if (ctx->args[1] != SM_NR_BPF)
		return 0;
	return on_enter((long)SM_SYSCALL_ARG1(regs), SM_SYSCALL_ARG2(regs));
}

SEC("raw_tp/sys_exit")
int sm_raw_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs___sm *regs = (void *)ctx->args[0];

	if (!sm_nr_pending || SM_SYSCALL_NR(regs) != SM_NR_BPF)
		return 0;
	return on_exit((long)ctx->args[1]);
}
