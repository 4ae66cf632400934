/* SPDX-License-Identifier: BSD-2-Clause */
/* The audit probe's user-space side: what open/guard/poll share. */
#ifndef SAFEMAP_LIB_AUDIT_INTERNAL_H
#define SAFEMAP_LIB_AUDIT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <safemap/audit.h>

#include "../common/internal.h"

#define SM__CGROUP_SLOTS 64 /* SM_AUDIT_CGROUP_SLOTS (bpf/safemap_audit.h) */

struct safemap_audit_bpf; /* the skeleton (safemap_audit_bpf.skel.h) */

/* cgroup.c: the cgroup v2 mount and a bounded cache of cgroup id -> path
 * (relative to the mount), least recently used out. Poller only, except
 * mount/mount_fd (set at open, read-only after). */
#define SAFEMAP__CG_CACHE 64
struct safemap__cg_entry {
	uint64_t id;                /* 0: free */
	char *path;                 /* NULL: not found at when_ms */
	uint64_t when_ms;
	uint64_t used;              /* clock of the last use */
};

struct safemap__cgroups {
	char mount[4096];           /* "" without cgroup v2 */
	int mount_fd;               /* -1 without */
	uint64_t clock, hits, misses;
	struct safemap__cg_entry e[SAFEMAP__CG_CACHE];
};
struct ring_buffer;

struct safemap_audit {
	struct safemap_audit_bpf *skel;
	struct ring_buffer *rb;
	safemap_event_fn event_fn;
	void *event_ctx;
	int policy_fd;              /* the skeleton's sm_policy map */
	pid_t tgid;                 /* the guarding process */
	unsigned caps;              /* enum safemap_audit_cap */
	const char *mode;           /* safemap_audit_mode() */
	uint32_t *nr_guarded;       /* in the probe's .bss (mmapped) */
	uint64_t *guard_words;      /* the guarded-id filter, in the .bss (guard.c) */
	const unsigned long long *lost_kernel; /* in the probe's .bss (mmapped) */

	pthread_mutex_t lock;       /* guard/unguard: policy map + guarded */
	uint64_t guarded;           /* under lock */
	int cgroups_fd;             /* the skeleton's sm_cgroups (a cgroup array) */
	uint64_t cg_slot_id[SM__CGROUP_SLOTS];   /* under lock: the cgroup in each slot, 0 free */
	uint32_t cg_slot_refs[SM__CGROUP_SLOTS]; /* under lock: policies naming it */
	struct safemap__cgroups cg; /* the poller's path cache; mount fixed at open */

	/* written by the one poller, read by stats (relaxed atomics) */
	uint64_t reports;
	uint64_t lost;
	uint64_t lost_seen;         /* poller only: kernel count surfaced so far */
	int delivered;              /* poller only: events in this poll */
	uint64_t active_until_ms;   /* poller only: poll in ticks until then (audit.c) */
};

/* lsm_probe.c: can a BPF LSM program be loaded and attached to
 * security_bpf on this kernel? Loads one and detaches it at once. */
SAFEMAP_HIDDEN bool safemap__audit_lsm_probe(void);

/* report.c: turn one ring-buffer record into an event for the sink. */
/* the ring buffer's callback: 0, or SAFEMAP__AUDIT_POLL_FULL once this poll
 * delivered SAFEMAP_AUDIT_POLL_MAX events (libbpf then stops reading) */
SAFEMAP_HIDDEN int safemap__audit_on_report(void *ctx, void *data, size_t size);
#define SAFEMAP__AUDIT_POLL_FULL (-ECANCELED) /* never an epoll error */
/* report.c: surface reports lost since the last call (one LOST event). */
SAFEMAP_HIDDEN void safemap__audit_surface_lost(struct safemap_audit *a);

/* cgroup.c */
SAFEMAP_HIDDEN int safemap__cg_find_mount(char *buf, size_t len);
SAFEMAP_HIDDEN int safemap__cg_init(struct safemap__cgroups *c);
SAFEMAP_HIDDEN void safemap__cg_fini(struct safemap__cgroups *c);
/* The directory of cgroup @p id (an fd to close), or a negative errno. */
SAFEMAP_HIDDEN int safemap__cg_open(const struct safemap__cgroups *c, uint64_t id);
/* The path of cgroup @p id relative to the mount, "" when unknown (gone,
 * or no cgroup v2); valid until the next call. Poller only. */
SAFEMAP_HIDDEN const char *safemap__cg_path(struct safemap__cgroups *c, uint64_t id);

/* guard.c: guard the map with id @p id (the map is known to exist). */
SAFEMAP_HIDDEN int safemap__audit_guard_id(struct safemap_audit *a, uint32_t id,
					   const struct safemap_audit_policy *policy);

#endif /* SAFEMAP_LIB_AUDIT_INTERNAL_H */
