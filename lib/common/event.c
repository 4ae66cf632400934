/* SPDX-License-Identifier: BSD-2-Clause */
/* The shared event record: names, formatting, and filling the common part. */
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <safemap/escape.h>

#include "internal.h"

static const char *const source_names[] = {
	[SAFEMAP_SRC_MAP] = "map",
	[SAFEMAP_SRC_BPF_MAP] = "bpf_map",
	[SAFEMAP_SRC_AUDIT] = "audit",
};

static const char *const op_names[SAFEMAP_OP_MAX] = {
	[SAFEMAP_OP_NONE] = "none",
	[SAFEMAP_OP_PUT] = "put",
	[SAFEMAP_OP_GET] = "get",
	[SAFEMAP_OP_DELETE] = "delete",
	[SAFEMAP_OP_UPDATE] = "update",
	[SAFEMAP_OP_CAS] = "cas",
	[SAFEMAP_OP_CLEAR] = "clear",
	[SAFEMAP_OP_FREEZE] = "freeze",
	[SAFEMAP_OP_LOOKUP_AND_DELETE] = "lookup_and_delete",
	[SAFEMAP_OP_BATCH_UPDATE] = "batch_update",
	[SAFEMAP_OP_BATCH_DELETE] = "batch_delete",
	[SAFEMAP_OP_BATCH_LOOKUP] = "batch_lookup",
	[SAFEMAP_OP_BATCH_LOOKUP_AND_DELETE] = "batch_lookup_and_delete",
	[SAFEMAP_OP_OPEN] = "open",
};

static const char *const reason_names[SAFEMAP_REASON_MAX] = {
	[SAFEMAP_REASON_OK] = "ok",
	[SAFEMAP_REASON_FULL] = "full",
	[SAFEMAP_REASON_WATERMARK] = "watermark",
	[SAFEMAP_REASON_FROZEN] = "frozen",
	[SAFEMAP_REASON_TYPE_MISMATCH] = "type_mismatch",
	[SAFEMAP_REASON_WRITE_IN_ITERATION] = "write_in_iteration",
	[SAFEMAP_REASON_NOT_ALLOWED] = "not_allowed",
	[SAFEMAP_REASON_SPEC_MISMATCH] = "spec_mismatch",
	[SAFEMAP_REASON_BAD_SIZE] = "bad_size",
	[SAFEMAP_REASON_LOST] = "lost",
};

#define NAME_OF(table, i) \
	((unsigned)(i) < sizeof(table) / sizeof(table[0]) && table[i] ? table[i] : "unknown")

const char *safemap_event_source_name(enum safemap_event_source s)
{
	return NAME_OF(source_names, s);
}

const char *safemap_op_name(enum safemap_op op)
{
	return NAME_OF(op_names, op);
}

const char *safemap_reason_name(enum safemap_reason r)
{
	return NAME_OF(reason_names, r);
}

void safemap__event_init(struct safemap_event *ev, enum safemap_event_source src,
			 enum safemap_op op, enum safemap_reason reason, int result)
{
	struct timespec ts;

	memset(ev, 0, sizeof(*ev));
	ev->sz = sizeof(*ev);
	ev->source = src;
	ev->op = op;
	ev->reason = reason;
	ev->result = result;
	ev->map_name = "";
	ev->detail = "";
	ev->cgroup = "";
	ev->pid = getpid();
	ev->tid = (pid_t)syscall(SYS_gettid);
	ev->uid = getuid();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ev->timestamp_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The map name, comm and detail are outside strings: text-escaped
 * (safemap/escape.h; the detail is escaped already, and escaping is
 * idempotent). */
int safemap_event_format(const struct safemap_event *ev, char *buf, size_t len)
{
	char key[2 * 16 + 3] = "", name[4 * 64 + 1], comm[4 * sizeof(ev->comm) + 1];
	char detail[4 * 256 + 1], cg[4 * 256 + 16] = "";
	size_t i, n = ev->key && ev->key_size ? ev->key_size : 0;
	bool has_cg = ev->sz > offsetof(struct safemap_event, cgroup);

	safemap_escape_text(name, sizeof(name), ev->map_name, SAFEMAP_ESCAPE_CSTR);
	safemap_escape_text(comm, sizeof(comm), ev->comm, sizeof(ev->comm));
	safemap_escape_text(detail, sizeof(detail), ev->detail, SAFEMAP_ESCAPE_CSTR);
	if (n > 16)
		n = 16;
	for (i = 0; i < n; i++)
		snprintf(key + 2 * i, sizeof(key) - 2 * i, "%02x",
			 ((const unsigned char *)ev->key)[i]);
	if (ev->key_size > 16)
		strcat(key, "..");
	if (has_cg && ev->cgroup && ev->cgroup[0]) { /* the writer's cgroup: an outside string */
		memcpy(cg, " cgroup=", 8);
		safemap_escape_text(cg + 8, sizeof(cg) - 8, ev->cgroup, SAFEMAP_ESCAPE_CSTR);
	} else if (has_cg && ev->cgroup_id) {
		snprintf(cg, sizeof(cg), " cgroup_id=%llu", (unsigned long long)ev->cgroup_id);
	}
	return snprintf(buf, len,
			"%s %s map=%s%s%.0u op=%s reason=%s result=%d%s%s pid=%d tid=%d uid=%u%s%s%s%s%s",
			safemap_event_source_name(ev->source),
			ev->source == SAFEMAP_SRC_AUDIT ? "report" : ev->result ? "refused" : "event",
			name, ev->map_id ? " id=" : "", ev->map_id,
			safemap_op_name(ev->op), safemap_reason_name(ev->reason), ev->result,
			n ? " key=" : "", key, (int)ev->pid, (int)ev->tid, (unsigned)ev->uid,
			comm[0] ? " comm=" : "", comm, cg, detail[0] ? ": " : "", detail);
}
