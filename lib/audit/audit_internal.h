/* SPDX-License-Identifier: BSD-2-Clause */
/* The audit probe's user-space side: what open/guard/poll share. */
#ifndef SAFEMAP_LIB_AUDIT_INTERNAL_H
#define SAFEMAP_LIB_AUDIT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <safemap/audit.h>

#include "../common/internal.h"

struct safemap_audit_bpf; /* the skeleton (safemap_audit_bpf.skel.h) */
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
SAFEMAP_HIDDEN int safemap__audit_on_report(void *ctx, void *data, size_t size);
/* report.c: surface reports lost since the last call (one LOST event). */
SAFEMAP_HIDDEN void safemap__audit_surface_lost(struct safemap_audit *a);

/* guard.c: guard the map with id @p id (the map is known to exist). */
SAFEMAP_HIDDEN int safemap__audit_guard_id(struct safemap_audit *a, uint32_t id,
					   const struct safemap_audit_policy *policy);

#endif /* SAFEMAP_LIB_AUDIT_INTERNAL_H */
