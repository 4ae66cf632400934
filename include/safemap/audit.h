/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/audit.h
 * @brief The BPF audit probe: reports writes to guarded BPF maps by
 *        processes their policy does not allow, as struct safemap_event.
 *
 * The probe (embedded in libsafemap, built from bpf/safemap_audit.bpf.c)
 * watches the bpf() system call. For every write command (map update,
 * delete, batch update, batch delete, lookup-and-delete single and batch,
 * freeze) it resolves the fd the caller passed to the map it names, in the
 * kernel, and looks the map's id up in a policy map. A write the policy does
 * not allow becomes one report, completed with the syscall's result at
 * syscall exit and sent through a ring buffer; safemap_audit_poll() turns
 * each report into a struct safemap_event (source SAFEMAP_SRC_AUDIT, reason
 * SAFEMAP_REASON_NOT_ALLOWED) and hands it to the sink given at open, the
 * same sink type the user-space map and the BPF handles use. Reports that
 * found no room (ring buffer full) are counted in the kernel and surfaced as
 * an event with reason SAFEMAP_REASON_LOST and the number lost: never
 * silently dropped.
 *
 * Reporting, not blocking: refusing a write needs a BPF LSM program on the
 * security_bpf hook. safemap_audit_caps() says whether the kernel could
 * attach one (SAFEMAP_AUDIT_CAP_LSM); this version never blocks
 * (SAFEMAP_AUDIT_CAP_BLOCK is never set) and says so in safemap_audit_mode().
 *
 * Needs root (CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN), a kernel with BTF
 * (/sys/kernel/btf/vmlinux) and BPF ring buffers (5.8+). With the tracepoint
 * hook, tracefs is mounted on /sys/kernel/tracing when no tracefs is found.
 *
 * Limits: 64-bit syscalls only; the probe reads the command's arguments
 * from the writer's memory just before the kernel does, so a writer racing
 * its own arguments from another thread can mislead it. It audits buggy or
 * misconfigured writers; it is not a security boundary against hostile ones.
 *
 * The writer's cgroup: every report carries the writer's cgroup v2 id
 * (bpf_get_current_cgroup_id) and its path relative to the cgroup2 mount
 * (found in /proc/self/mounts; /sys/fs/cgroup/unified on hybrid hosts),
 * resolved by the poller once per id through a bounded cache (64 ids, least
 * recently used out; an id not in it is resolved again: by file handle,
 * else by walking the hierarchy). A cgroup removed before its report is
 * polled keeps its id, its path is "". Cgroup ids are never reused while
 * the kernel runs, so a cached path never names another cgroup.
 *
 * Concurrency contract: guard/unguard/caps/stats may be called from any
 * thread, concurrently with each other and with one poller (they take the
 * audit's mutex, never held while the sink runs). safemap_audit_poll() must
 * not run on two threads at once for one audit (it calls the sink on the
 * polling thread). safemap_audit_close() must not race with any other call.
 */
#ifndef SAFEMAP_AUDIT_H
#define SAFEMAP_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <safemap/common.h>
#include <safemap/event.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An audit probe, loaded and attached. Opened by safemap_audit_open(),
 *  freed (programs detached, maps released) by safemap_audit_close(). */
struct safemap_audit;

/** Which kernel hook carries the probe. */
enum safemap_audit_hook {
	/** The tracepoints, falling back to the raw tracepoints when the
	 *  syscall tracepoints cannot be attached (no tracefs). */
	SAFEMAP_AUDIT_HOOK_AUTO = 0,
	/** syscalls/sys_enter_bpf + sys_exit_bpf: runs only for bpf() calls
	 *  (the cheaper one: see bench/bench_audit.c). Needs tracefs. */
	SAFEMAP_AUDIT_HOOK_TRACEPOINT = 1,
	/** raw tracepoints sys_enter + sys_exit: runs (and returns at once)
	 *  for every system call of every process; needs no tracefs. */
	SAFEMAP_AUDIT_HOOK_RAW_TRACEPOINT = 2,
};

/** Options for safemap_audit_open(); SAFEMAP_OPTS(safemap_audit_opts, o, ...). */
struct safemap_audit_opts {
	size_t sz; /**< sizeof(struct safemap_audit_opts), set by SAFEMAP_OPTS() (extensible: see common.h) */
	safemap_event_fn event_fn; /**< sink for reports and lost counts (NULL: counted only) */
	void *event_ctx;           /**< passed to @c event_fn */
	/** Ring buffer bytes: a power of two, at least the page size;
	 *  0 = 256 KiB (about 2,000 reports). */
	size_t ring_size;
	/** Maps that can be guarded at once; 0 = 1024. */
	uint32_t max_guarded;
	/** No longer a limit (kept for the ABI): a report in flight between
	 *  syscall entry and exit lives in the writing task's own storage, one
	 *  per task; a task whose storage cannot be allocated loses its report
	 *  (counted). */
	uint32_t max_inflight;
	enum safemap_audit_hook hook; /**< 0 = SAFEMAP_AUDIT_HOOK_AUTO */
};

/** Most processes, and most users, one policy can name. */
#define SAFEMAP_AUDIT_MAX_ALLOWED 8
/** Most cgroups one policy can name; and all policies of one audit together
 *  name at most SAFEMAP_AUDIT_CGROUP_SLOTS distinct cgroups. */
#define SAFEMAP_AUDIT_MAX_CGROUPS 8
/** Distinct cgroups all policies of one audit can name together (the
 *  probe's cgroup array). */
#define SAFEMAP_AUDIT_CGROUP_SLOTS 64

/** Policy flags. */
enum safemap_audit_policy_flags {
	/** Read-only from user space: every write is reported, including the
	 *  guarding process's own (BPF programs are not affected). */
	SAFEMAP_AUDIT_READ_ONLY = 1u << 0,
	/** Do not allow the guarding process by default. */
	SAFEMAP_AUDIT_NOT_SELF = 1u << 1,
};

/**
 * Who may write a guarded map from user space; declare with
 * SAFEMAP_OPTS(safemap_audit_policy, p, ...). A NULL policy (the default)
 * allows only the guarding process. A write is allowed when the writer's
 * process (tgid) is the guarding one (unless NOT_SELF) or is in @c tgids,
 * or its real user id is in @c uids, or its cgroup (cgroup v2) is one of
 * @c cgroup_ids or below one of them (checked in the kernel with
 * bpf_current_task_under_cgroup: a container's processes, whatever their
 * pids); READ_ONLY allows nobody.
 */
struct safemap_audit_policy {
	size_t sz; /**< sizeof(struct safemap_audit_policy), set by SAFEMAP_OPTS() (extensible: see common.h) */
	unsigned flags;           /**< enum safemap_audit_policy_flags */
	const pid_t *tgids;       /**< allowed processes; copied */
	size_t n_tgids;           /**< at most SAFEMAP_AUDIT_MAX_ALLOWED */
	const uid_t *uids;        /**< allowed real user ids; copied */
	size_t n_uids;            /**< at most SAFEMAP_AUDIT_MAX_ALLOWED */
	/** Allowed cgroup v2 ids, each with its descendants (safemap_audit_cgroup_id()
	 *  gives a path's id); copied. The audit holds each cgroup (an fd in the
	 *  probe's cgroup array) while a policy names it. */
	const uint64_t *cgroup_ids;
	size_t n_cgroup_ids;      /**< at most SAFEMAP_AUDIT_MAX_CGROUPS */
};

/**
 * @brief Load and attach the audit probe.
 * @param opts NULL for defaults.
 * @param out receives the audit; free it with safemap_audit_close().
 * @return 0; -EINVAL (NULL @p out, bad options: ring_size not a power of two
 *         or below the page size, unknown hook, non-zero bytes past the known
 *         options); -EPERM (not privileged); -EOPNOTSUPP (the kernel lacks
 *         BTF, ring buffers or both hooks); other load/attach errors, with
 *         the loader's message in safemap_last_error().
 *
 * Concurrency: thread-safe with respect to other audits. While it loads,
 * libbpf's process-wide print callback is redirected to the library's log
 * (safemap_set_log()) and restored afterwards.
 */
SAFEMAP_API int safemap_audit_open(const struct safemap_audit_opts *opts,
				   struct safemap_audit **out);

/**
 * @brief Detach the probe and free everything it holds: after it returns,
 *        no program, link or map of this audit remains in the kernel.
 *        Reports still in the ring buffer are discarded, not delivered
 *        (call safemap_audit_poll(a, 0) first to get them). Accepts NULL.
 *
 * Concurrency: no other call on @p a may be running or start.
 */
SAFEMAP_API void safemap_audit_close(struct safemap_audit *a);

/**
 * @brief Guard the map with kernel id @p map_id under @p policy (NULL: only
 *        the calling process may write). Guarding a guarded map replaces its
 *        policy.
 * @return 0; -EINVAL (NULL @p a, id 0, bad policy: too many tgids/uids/
 *         cgroups, unknown flags, cgroup id 0); -ENOENT (no map with that
 *         id, no cgroup with one of the cgroup ids); -E2BIG (max_guarded
 *         maps are guarded already, or SAFEMAP_AUDIT_CGROUP_SLOTS distinct
 *         cgroups named by the policies); -EOPNOTSUPP (cgroup ids without
 *         SAFEMAP_AUDIT_CAP_CGROUP).
 *
 * Concurrency: thread-safe (takes the audit's mutex); the policy applies to
 * writes that enter the kernel after it returns.
 */
SAFEMAP_API int safemap_audit_guard(struct safemap_audit *a, uint32_t map_id,
				    const struct safemap_audit_policy *policy);

/**
 * @brief Guard the map pinned at @p path (bpffs).
 * @return the map's id (> 0), or as safemap_audit_guard(); -ENOENT (no
 *         pin), -EINVAL (the pin is not a map).
 */
SAFEMAP_API int safemap_audit_guard_pinned(struct safemap_audit *a, const char *path,
					   const struct safemap_audit_policy *policy);

/**
 * @brief Guard the map behind the caller's map fd @p fd (the fd is only
 *        read: the guard is by map id, it stays when the fd is closed).
 * @return the map's id (> 0), or as safemap_audit_guard(); -EINVAL (not a map).
 */
SAFEMAP_API int safemap_audit_guard_fd(struct safemap_audit *a, int fd,
				       const struct safemap_audit_policy *policy);

struct safemap_bpf; /* safemap/bpf.h */

/**
 * @brief Guard the map of a BPF map handle (safemap/bpf.h).
 * @return the map's id (> 0), or as safemap_audit_guard().
 */
SAFEMAP_API int safemap_audit_guard_handle(struct safemap_audit *a, const struct safemap_bpf *h,
					   const struct safemap_audit_policy *policy);

/**
 * @brief Stop guarding the map with id @p map_id.
 * @return 0; -ENOENT (not guarded); -EINVAL.
 *
 * Concurrency: thread-safe; writes already past syscall entry may still be
 * reported.
 */
SAFEMAP_API int safemap_audit_unguard(struct safemap_audit *a, uint32_t map_id);

/**
 * Report latency. The probe does not wake the poller for every report of a
 * flood (a wakeup costs the writer more than the report): a report wakes it
 * when no report did for 1 ms (so a lone illegal write is delivered at
 * once), after 128 reports sent without a wakeup, or when the ring buffer
 * is a quarter full; the others are picked up by safemap_audit_poll(),
 * which, for a second after it delivered a report, waits at most
 * SAFEMAP_AUDIT_TICK_MS at a time and reads the ring after each wait.
 * Worst case: a report reaches the sink SAFEMAP_AUDIT_TICK_MS (plus
 * scheduling delay) after its write returned, while a poll is waiting;
 * otherwise at the next poll. bench/bench_audit measures it (the max over a
 * flood of illegal writes, bench/RESULTS-audit.md). A caller that waits on
 * safemap_audit_fd() itself must call safemap_audit_poll(a, 0) at least
 * every SAFEMAP_AUDIT_TICK_MS during a flood to keep that bound.
 */
#define SAFEMAP_AUDIT_TICK_MS 10

/** The most reports one safemap_audit_poll() call delivers. */
#define SAFEMAP_AUDIT_POLL_MAX 4096

/**
 * @brief Deliver pending reports to the sink, waiting up to @p timeout_ms
 *        for the first (0: do not wait; -1: wait for ever), then surface
 *        reports lost since the last poll as one SAFEMAP_REASON_LOST event.
 * @return the number of events delivered (reports + lost events), or a
 *         negative errno (-EINTR when a signal interrupted the wait).
 *
 * Bounded: one call delivers at most SAFEMAP_AUDIT_POLL_MAX reports (plus
 * the lost event), then returns, even while a writer floods the ring faster
 * than the sink drains it; reports left in the ring wait for the next call.
 * A return of SAFEMAP_AUDIT_POLL_MAX or more means more may be waiting.
 *
 * Losses are detected at each poll: poll periodically (an epoll wait on
 * safemap_audit_fd() with a timeout, for instance), not only when the fd is
 * readable. Concurrency: one poller at a time; the sink runs on it.
 */
SAFEMAP_API int safemap_audit_poll(struct safemap_audit *a, int timeout_ms);

/**
 * @brief An fd that becomes readable when reports are waiting: add it to
 *        your epoll set, then call safemap_audit_poll(a, 0). Owned by the
 *        audit (do not close it). -EINVAL for NULL.
 */
SAFEMAP_API int safemap_audit_fd(const struct safemap_audit *a);

/** Capabilities of an open audit. */
enum safemap_audit_cap {
	SAFEMAP_AUDIT_CAP_REPORT = 1u << 0, /**< illegal writes are reported */
	SAFEMAP_AUDIT_CAP_RESULT = 1u << 1, /**< with the syscall's result */
	SAFEMAP_AUDIT_CAP_BLOCK = 1u << 2,  /**< illegal writes are refused: never set by this version */
	SAFEMAP_AUDIT_CAP_LSM = 1u << 3,    /**< the kernel attached a BPF LSM program on
					      *  security_bpf when probed at open */
	SAFEMAP_AUDIT_CAP_RAW_TP = 1u << 4, /**< the probe runs on the raw tracepoints */
	/** A cgroup v2 hierarchy is mounted (found in /proc/self/mounts at
	 *  open): reports carry the writer's cgroup id and path, policies can
	 *  allow cgroups. Without it, reports carry cgroup id 0 and path "",
	 *  and the mode says so. */
	SAFEMAP_AUDIT_CAP_CGROUP = 1u << 5,
};

/**
 * @brief The cgroup v2 id of the cgroup directory @p path: absolute under
 *        the cgroup2 mount ("/sys/fs/cgroup/unified/system.slice" on a
 *        hybrid host) or relative to it ("/system.slice", "system.slice").
 * @return 0 and *@p id; -EINVAL (NULL, not a cgroup v2 directory);
 *         -ENOENT; -EOPNOTSUPP (no cgroup v2 mounted). Thread-safe.
 */
SAFEMAP_API int safemap_audit_cgroup_id(const char *path, uint64_t *id);

/** @brief enum safemap_audit_cap bits of @p a (0 for NULL). Thread-safe. */
SAFEMAP_API unsigned safemap_audit_caps(const struct safemap_audit *a);

/**
 * @brief One line saying what the audit does, e.g. "reporting only (no BPF
 *        LSM: writes cannot be blocked on this kernel)". Static; never NULL.
 */
SAFEMAP_API const char *safemap_audit_mode(const struct safemap_audit *a);

/** Counters of one audit. */
struct safemap_audit_stats {
	uint64_t reports;         /**< reports delivered (NOT_ALLOWED events) */
	uint64_t lost;            /**< reports lost and surfaced by a poll so far */
	uint64_t guarded;         /**< maps guarded now */
};

/** @brief Copy @p a's counters into @p out. Thread-safe. */
SAFEMAP_API void safemap_audit_get_stats(const struct safemap_audit *a,
					 struct safemap_audit_stats *out);

/**
 * @brief Write @p a's counters as Prometheus text exposition (format
 *        0.0.4) into @p buf, like snprintf().
 *
 * Families (HELP and TYPE lines first, no labels):
 * safemap_audit_reports_total and safemap_audit_lost_total (counters, see
 * struct safemap_audit_stats), safemap_audit_guarded_maps (gauge). They do
 * not overlap the families of safemap_bpf_metrics_write_prometheus() or
 * safemap_metrics_write_prometheus(): an exporter may concatenate the
 * outputs into one exposition.
 *
 * @param a the audit (open).
 * @param buf where the text goes, NUL-terminated if @p len > 0; may be NULL
 *        when @p len is 0 (to learn the size).
 * @param len the size of @p buf.
 * @return the length of the whole text (excluding the NUL): if it is >=
 *         @p len, the text was cut. Negative errno: -EINVAL (NULL @p a, or
 *         NULL @p buf with @p len > 0).
 *
 * Concurrency: thread-safe, as safemap_audit_get_stats() (may run while
 * another thread polls).
 */
SAFEMAP_API int safemap_audit_metrics_write_prometheus(const struct safemap_audit *a, char *buf,
						       size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_AUDIT_H */
