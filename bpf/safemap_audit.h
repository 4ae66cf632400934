/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* What the audit probe (safemap_audit.bpf.c) and the library (lib/audit/)
 * share: the policy map's value, the report record, the limits. Plain
 * fixed-size types, the same layout on both sides. */
#ifndef SAFEMAP_BPF_AUDIT_H
#define SAFEMAP_BPF_AUDIT_H

#include <linux/types.h>

#define SM_AUDIT_MAX_ALLOWED 8    /* tgids, and uids, per policy */
#define SM_AUDIT_KEY_BYTES 16     /* key bytes copied into a report */
#define SM_AUDIT_COMM_LEN 16
#define SM_AUDIT_NAME_LEN 16      /* BPF_OBJ_NAME_LEN */
#define SM_AUDIT_MAX_CGROUPS 8    /* allowed cgroups per policy */
#define SM_AUDIT_CGROUP_SLOTS 64  /* sm_cgroups entries: distinct allowed cgroups in all */

/* The guarded-id filter: a bitmap in the probe's .bss, one bit per hash of
 * a map id, set by the library for every guarded map before its policy
 * goes in. A clear bit means "not guarded" without the policy lookup; a set
 * bit (a guarded map, or another id hashing there: 1,024 guarded maps make
 * about 1.6% of other ids pass) goes on to the lookup. */
#define SM_GUARD_BITS_LOG2 16
#define SM_GUARD_WORDS ((1u << SM_GUARD_BITS_LOG2) / 64)

static inline __u32 sm_guard_bit(__u32 map_id)
{
	return (__u32)(((__u64)map_id * 0x9e3779b97f4a7c15ull) >> (64 - SM_GUARD_BITS_LOG2));
}

/* sm_policy.flags */
#define SM_POL_READ_ONLY (1u << 0) /* no user-space writer at all */

/* Value of the policy map, keyed by map id (__u32). */
struct sm_policy {
	__u32 flags;
	__u32 guard_tgid;         /* the guarding process; 0 = not allowed */
	__u32 n_tgids;
	__u32 n_uids;
	__u32 tgids[SM_AUDIT_MAX_ALLOWED];
	__u32 uids[SM_AUDIT_MAX_ALLOWED];
	__u32 n_cgroups;
	__u32 pad;
	/* allowed cgroups (and their descendants): the id, for the exact
	 * match without a helper call, and the slot in sm_cgroups (a cgroup
	 * array) for bpf_current_task_under_cgroup */
	__u64 cgroup_ids[SM_AUDIT_MAX_CGROUPS];
	__u32 cgroup_slots[SM_AUDIT_MAX_CGROUPS];
};

/* One illegal write, as the ring buffer carries it (and as the per-task
 * pending map holds it between sys_enter and sys_exit). */
struct sm_report {
	__u64 ts_ns;              /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 uattr;              /* the user's union bpf_attr (for the exit) */
	__u64 cgroup_id;          /* the writer's cgroup v2 id (bpf_get_current_cgroup_id) */
	__u32 pid;                /* tgid */
	__u32 tid;
	__u32 uid;
	__u32 map_id;
	__s32 cmd;                /* enum bpf_cmd */
	__s32 ret;                /* the syscall's result (sys_exit) */
	__u32 key_size;           /* the map's key size */
	__u32 key_len;            /* bytes valid in key[] */
	__u32 count;              /* batch commands: elements (asked at enter, done at exit) */
	__u32 fd;                 /* the fd the writer used */
	char comm[SM_AUDIT_COMM_LEN];
	char map_name[SM_AUDIT_NAME_LEN];
	__u8 key[SM_AUDIT_KEY_BYTES];
};

#endif /* SAFEMAP_BPF_AUDIT_H */
