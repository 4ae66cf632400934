/* SPDX-License-Identifier: BSD-2-Clause */
/* Reports from the probe's ring buffer, and lost-report counts, turned into
 * the struct safemap_event every part of the library delivers. */
#include <stdio.h>
#include <linux/bpf.h>

#include "audit_internal.h"
#include "safemap_audit.h"

static enum safemap_op op_of_cmd(int cmd)
{
	switch (cmd) {
	case BPF_MAP_UPDATE_ELEM: return SAFEMAP_OP_PUT;
	case BPF_MAP_DELETE_ELEM: return SAFEMAP_OP_DELETE;
	case BPF_MAP_LOOKUP_AND_DELETE_ELEM: return SAFEMAP_OP_LOOKUP_AND_DELETE;
	case BPF_MAP_FREEZE: return SAFEMAP_OP_FREEZE;
	case BPF_MAP_LOOKUP_AND_DELETE_BATCH: return SAFEMAP_OP_BATCH_LOOKUP_AND_DELETE;
	case BPF_MAP_UPDATE_BATCH: return SAFEMAP_OP_BATCH_UPDATE;
	case BPF_MAP_DELETE_BATCH: return SAFEMAP_OP_BATCH_DELETE;
	default: return SAFEMAP_OP_NONE;
	}
}

static void deliver(struct safemap_audit *a, const struct safemap_event *ev)
{
	a->delivered++;
	if (a->event_fn)
		a->event_fn(ev, a->event_ctx);
}

int safemap__audit_on_report(void *ctx, void *data, size_t size)
{
	struct safemap_audit *a = ctx;
	struct sm_report r;
	struct safemap_event ev;
	char comm[sizeof(r.comm) + 1], name[sizeof(r.map_name) + 1], detail[768], cg[512];
	const char *cgroup;

	if (size < sizeof(r))
		return 0; /* not ours: the probe only sends whole reports */
	memcpy(&r, data, sizeof(r));
	memcpy(comm, r.comm, sizeof(r.comm));
	comm[sizeof(r.comm)] = '\0';
	memcpy(name, r.map_name, sizeof(r.map_name));
	name[sizeof(r.map_name)] = '\0';

	memset(&ev, 0, sizeof(ev));
	ev.sz = sizeof(ev);
	ev.cgroup = "";
	ev.source = SAFEMAP_SRC_AUDIT;
	ev.op = op_of_cmd(r.cmd);
	ev.reason = SAFEMAP_REASON_NOT_ALLOWED;
	ev.result = r.ret;
	ev.map_name = name;
	ev.map_id = r.map_id;
	ev.key = r.key_len ? r.key : NULL;
	ev.key_size = r.key_len;
	ev.pid = (pid_t)r.pid;
	ev.tid = (pid_t)r.tid;
	ev.uid = (uid_t)r.uid;
	memcpy(ev.comm, comm, sizeof(ev.comm));
	ev.timestamp_ns = r.ts_ns;
	ev.count = r.count;
	/* no cgroup v2 mounted: the kernel's id names a hierarchy nobody sees */
	ev.cgroup_id = a->caps & SAFEMAP_AUDIT_CAP_CGROUP ? r.cgroup_id : 0;
	cgroup = safemap__cg_path(&a->cg, ev.cgroup_id);
	ev.cgroup = cgroup;
	if (cgroup[0])
		snprintf(cg, sizeof(cg), "%s", cgroup); /* escaped with the rest below */
	else if (ev.cgroup_id)
		snprintf(cg, sizeof(cg), "id %llu, removed", (unsigned long long)ev.cgroup_id);
	else
		snprintf(cg, sizeof(cg), "none");
	safemap__detailf(detail, sizeof(detail), /* comm, name, cgroup: outside strings */
		 "%s (pid %u tid %u uid %u, cgroup %s) %s map '%s' (id %u, fd %u, key %u bytes) "
		 "against its policy: %s%s%s", comm, r.pid, r.tid, r.uid, cg,
		 safemap_op_name(ev.op), name, r.map_id, r.fd, r.key_size,
		 r.ret == 0 ? "the write succeeded" : "the write failed (",
		 r.ret == 0 ? "" : safemap_strerror(r.ret), r.ret == 0 ? "" : ")");
	ev.detail = detail;
	__atomic_store_n(&a->reports, a->reports + 1, __ATOMIC_RELAXED);
	deliver(a, &ev);
	/* a full poll's worth: libbpf stops reading the ring (this report is
	 * consumed) and safemap_audit_poll() returns */
	return a->delivered >= SAFEMAP_AUDIT_POLL_MAX ? SAFEMAP__AUDIT_POLL_FULL : 0;
}

void safemap__audit_surface_lost(struct safemap_audit *a)
{
	uint64_t now = __atomic_load_n(a->lost_kernel, __ATOMIC_ACQUIRE), n;
	struct safemap_event ev;
	char detail[160];

	if (now <= a->lost_seen)
		return;
	n = now - a->lost_seen;
	a->lost_seen = now;
	__atomic_store_n(&a->lost, a->lost + n, __ATOMIC_RELAXED);
	safemap__event_init(&ev, SAFEMAP_SRC_AUDIT, SAFEMAP_OP_NONE, SAFEMAP_REASON_LOST, 0);
	ev.pid = ev.tid = 0; /* many writers, possibly: none is named */
	ev.uid = 0;
	ev.count = n;
	snprintf(detail, sizeof(detail),
		 "%llu audit reports lost (ring buffer full, or no memory for a writer's slot); "
		 "%llu lost in all", (unsigned long long)n, (unsigned long long)now);
	ev.detail = detail;
	deliver(a, &ev);
}
