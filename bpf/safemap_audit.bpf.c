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
 * not allowed it parks a report in the writing task's storage. On exit
 * it adds the syscall's result and sends the report through a ring buffer.
 * A report that finds no room (ring buffer full, or no task storage for
 * it) is counted in sm_lost, never silently dropped.
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

/* A report between sys_enter and sys_exit: in the writing task's own
 * storage (created at its first illegal write, freed with the task), which
 * costs a fraction of a hash map's update + lookup + delete keyed by
 * pid_tgid; armed says whether it holds a report. */
struct sm_slot {
	struct sm_report r;
	__u32 armed;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sm_slot);
} sm_pending SEC(".maps");

/* The allowed cgroups of all policies (sm_policy.cgroup_slots index it),
 * filled by the library with cgroup directory fds. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, SM_AUDIT_CGROUP_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} sm_cgroups SEC(".maps");

/* Reports to user space. Sized by the library before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} sm_reports SEC(".maps");

/* Global state (.bss, mmapped by the library). */
__u64 sm_lost;          /* reports dropped: ring buffer full, or no task storage */
__u64 sm_nr_pending;    /* entries in sm_pending: lets sys_exit skip the lookup */
__u32 sm_nr_guarded;    /* entries in sm_policy, set by the library */
__u64 sm_guard_words[SM_GUARD_WORDS]; /* the guarded-id filter (safemap_audit.h) */
__u64 sm_map_fops;      /* f_op of BPF map files, learned on first sight */

/* Waking the reader: a flood of reports must not wake it for each one (the
 * wakeup, an irq_work and a context switch, cost more than the report).
 * A report wakes it when none did for SM_WAKE_NS (so a lone report is
 * delivered at once), or after SM_WAKE_EVERY reports sent without one, or
 * when the ring holds sm_wake_bytes or more (set by the library to a
 * quarter of the ring, so a slow reader is woken before the ring fills);
 * the others go with BPF_RB_NO_WAKEUP and the library's poll picks them up
 * at its next tick (SAFEMAP_AUDIT_TICK_MS in safemap/audit.h), which bounds
 * their latency. The three globals are updated without atomics: a race
 * costs one wakeup too many or too few, never a report. */
#define SM_WAKE_NS 1000000ull
#define SM_WAKE_EVERY 128
const volatile __u64 sm_wake_bytes = 64 * 1024;
__u64 sm_last_wake_ns;
__u64 sm_unwoken;       /* reports sent since the last wakeup */
__u64 sm_wakeups;       /* wakeups asked for (bench/bench_audit.c prints it) */

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

/* The map behind @fd in the calling task's fd table, or NULL.
 *
 * The cheapest walk this kernel allows: the task is a BTF pointer
 * (bpf_get_current_task_btf), so task->files->fdt->{max_fds,fd} are plain
 * loads the JIT guards with an exception table, not helper calls; the fd
 * slot is an array of pointers (a scalar to the verifier), so fd[fd] is one
 * bpf_probe_read_kernel, f_op and private_data one more (they are 16 bytes
 * apart: one read of the span, offsets from CO-RE), the map's id a third. */
#define SM_FILE_SPAN 32
static __always_inline struct bpf_map___sm *fd_to_map(__u32 fd)
{
	struct task_struct___sm *task = (void *)bpf_get_current_task_btf();
	struct fdtable___sm *fdt = task->files->fdt;
	struct file___sm **fds, *file = NULL;
	__u64 span[SM_FILE_SPAN / 8];
	__u32 op_off = bpf_core_field_offset(struct file___sm, f_op);
	__u32 priv_off = bpf_core_field_offset(struct file___sm, private_data);
	const void *fop;
	void *priv;

	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (!fds || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	if (priv_off > op_off && priv_off - op_off <= SM_FILE_SPAN - 8 && !(op_off & 7) &&
	    !(priv_off & 7)) {
		if (bpf_probe_read_kernel(span, sizeof(span), (char *)file + op_off))
			return NULL;
		fop = (const void *)span[0];
		priv = (void *)span[((priv_off - op_off) / 8) & (SM_FILE_SPAN / 8 - 1)];
	} else { /* another layout: two reads */
		fop = BPF_CORE_READ(file, f_op);
		priv = BPF_CORE_READ(file, private_data);
	}
	if (!fop || !is_map_file(file, fop))
		return NULL;
	return priv;
}

/* In an allowed cgroup or below it? The exact cgroup costs a compare;
 * a descendant one helper call per allowed cgroup (the kernel walks the
 * task's cgroup ancestors). */
static __always_inline int cgroup_allowed(const struct sm_policy *p, __u64 cgid)
{
	__u32 i, n = p->n_cgroups;

#pragma unroll
	for (i = 0; i < SM_AUDIT_MAX_CGROUPS; i++)
		if (i < n && p->cgroup_ids[i] == cgid)
			return 1;
#pragma unroll
	for (i = 0; i < SM_AUDIT_MAX_CGROUPS; i++)
		if (i < n && bpf_current_task_under_cgroup(&sm_cgroups, p->cgroup_slots[i]) == 1)
			return 1;
	return 0;
}

/* Is the writer allowed? *cgid gets the writer's cgroup id when the
 * policy names cgroups (else it stays 0: only a report needs it, and an
 * allowed writer of a policy without cgroups pays no helper call for it). */
static __always_inline int allowed(const struct sm_policy *p, __u32 tgid, __u32 uid, __u64 *cgid)
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
	if (!p->n_cgroups)
		return 0;
	*cgid = bpf_get_current_cgroup_id();
	return cgroup_allowed(p, *cgid);
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

/* bench/bench_audit.c measures each step of on_enter by loading this
 * object with sm_stop_after set (the verifier prunes what follows): 1 = the
 * "guarded at all" and "write command" tests, 2 = + reading the fd from
 * the attr, 3 = + the fd-to-map walk, 4 = + the guarded-id filter, 5 = +
 * the policy lookup. 0 (the library's value) runs everything. */
const volatile __u32 sm_stop_after = 0;
#define SM_STOP(step) (sm_stop_after && sm_stop_after <= (step))

static __always_inline int on_enter(long cmd, __u64 uattr, __u64 usize)
{
	struct bpf_map___sm *map;
	const struct sm_policy *pol;
	struct sm_slot *slot;
	struct sm_report *r;
	struct sm_attr attr = {};
	__u64 pid_tgid;
	__u32 id, fd, bit, uid;
	__u64 cgid = 0;
	int batch;

	/* cheapest first: nothing guarded (one load), not a write (a compare) */
	if (!sm_nr_guarded || !is_write_cmd(cmd) || SM_STOP(1))
		return 0;
	batch = is_batch_cmd(cmd);
	/* the attr prefix in one read (as cheap as the fd alone): at most the
	 * size the caller passed, as the kernel copies no more */
	if (usize > sizeof(attr))
		usize = sizeof(attr);
	if (usize < sizeof(__u32) || bpf_probe_read_user(&attr, usize, (const void *)uattr))
		return 0; /* the kernel's copy fails too: nothing is written */
	fd = batch ? attr.batch_map_fd : attr.map_fd;
	if (SM_STOP(2))
		return 0;
	map = fd_to_map(fd);
	if (!map)
		return 0; /* not a map: the kernel refuses it (-EBADF/-EINVAL) */
	id = BPF_CORE_READ(map, id);
	if (SM_STOP(3))
		return 0;
	bit = sm_guard_bit(id);
	if (!(sm_guard_words[(bit / 64) & (SM_GUARD_WORDS - 1)] & (1ull << (bit & 63))))
		return 0; /* not guarded: no lookup */
	if (SM_STOP(4))
		return 0;
	pol = bpf_map_lookup_elem(&sm_policy, &id);
	if (!pol || SM_STOP(5))
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	uid = (__u32)bpf_get_current_uid_gid();
	if (allowed(pol, pid_tgid >> 32, uid, &cgid))
		return 0;
	if (!cgid)
		cgid = bpf_get_current_cgroup_id();

	slot = bpf_task_storage_get(&sm_pending, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!slot) {
		count_lost(); /* no memory for the task's slot */
		return 0;
	}
	r = &slot->r;
	r->uid = uid;
	r->pid = pid_tgid >> 32;
	r->tid = (__u32)pid_tgid;
	r->ts_ns = bpf_ktime_get_ns();
	r->uattr = uattr;
	r->cgroup_id = cgid;
	r->map_id = id;
	r->cmd = cmd;
	r->ret = 0;
	r->fd = fd;
	r->key_size = BPF_CORE_READ(map, key_size);
	r->key_len = 0;
	r->count = batch ? attr.batch_count : 0;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	bpf_core_read(r->map_name, sizeof(r->map_name), &map->name);
	if (cmd != BPF_MAP_FREEZE && cmd != BPF_MAP_LOOKUP_AND_DELETE_BATCH)
		read_key(r, batch ? attr.batch_keys : attr.key); /* an output there */
	if (!slot->armed)
		__sync_fetch_and_add(&sm_nr_pending, 1);
	slot->armed = 1;
	return 0;
}

/* @now: the report's syscall entry time (a few microseconds old at most:
 * close enough for SM_WAKE_NS, one clock read fewer) */
static __always_inline __u64 wake_flags(__u64 now)
{
	if (now - sm_last_wake_ns >= SM_WAKE_NS || ++sm_unwoken >= SM_WAKE_EVERY ||
	    bpf_ringbuf_query(&sm_reports, BPF_RB_AVAIL_DATA) >= sm_wake_bytes) {
		sm_last_wake_ns = now;
		sm_unwoken = 0;
		sm_wakeups++;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

static __always_inline int on_exit(long ret)
{
	struct sm_slot *slot;
	struct sm_report *out;
	struct sm_attr attr;

	slot = bpf_task_storage_get(&sm_pending, bpf_get_current_task_btf(), 0, 0);
	if (!slot || !slot->armed)
		return 0;
	out = bpf_ringbuf_reserve(&sm_reports, sizeof(*out), 0);
	if (!out) {
		count_lost();
	} else {
		__builtin_memcpy(out, &slot->r, sizeof(*out));
		out->ret = ret;
		if (is_batch_cmd(out->cmd) &&
		    bpf_probe_read_user(&attr, sizeof(attr), (const void *)out->uattr) == 0) {
			out->count = attr.batch_count; /* elements the kernel processed */
			if (out->cmd == BPF_MAP_LOOKUP_AND_DELETE_BATCH && attr.batch_count)
				read_key(out, attr.batch_keys);
		}
		bpf_ringbuf_submit(out, wake_flags(out->ts_ns));
	}
	slot->armed = 0;
	__sync_fetch_and_sub(&sm_nr_pending, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_bpf")
int sm_tp_enter(struct sm_tp_sys_enter *ctx)
{
	return on_enter((long)ctx->args[0], ctx->args[1], ctx->args[2]);
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
	return on_enter((long)SM_SYSCALL_ARG1(regs), SM_SYSCALL_ARG2(regs), SM_SYSCALL_ARG3(regs));
}

SEC("raw_tp/sys_exit")
int sm_raw_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs___sm *regs = (void *)ctx->args[0];

	if (!sm_nr_pending || SM_SYSCALL_NR(regs) != SM_NR_BPF)
		return 0;
	return on_exit((long)ctx->args[1]);
}
