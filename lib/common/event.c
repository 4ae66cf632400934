/* SPDX-License-Identifier: BSD-2-Clause */
/* The shared event record: names, formatting, and filling the common part. */
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

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

int safemap_event_format(const struct safemap_event *ev, char *buf, size_t len)
{
	char key[2 * 16 + 3] = "", cg[512 + 16] = "";
	size_t i, n = ev->key && ev->key_size ? ev->key_size : 0;
	bool has_cg = ev->sz > offsetof(struct safemap_event, cgroup);

	if (n > 16)
		n = 16;
	for (i = 0; i < n; i++)
		snprintf(key + 2 * i, sizeof(key) - 2 * i, "%02x",
			 ((const unsigned char *)ev->key)[i]);
	if (ev->key_size > 16)
		strcat(key, "..");
	if (has_cg && ev->cgroup && ev->cgroup[0]) {
		memcpy(cg, " cgroup=", 8);
		safemap__escape_text(cg + 8, sizeof(cg) - 8, ev->cgroup);
	} else if (has_cg && ev->cgroup_id) {
		snprintf(cg, sizeof(cg), " cgroup_id=%llu", (unsigned long long)ev->cgroup_id);
	}
	return snprintf(buf, len,
			"%s %s map=%s%s%.0u op=%s reason=%s result=%d%s%s pid=%d tid=%d uid=%u%s%s%s%s%s",
			safemap_event_source_name(ev->source),
			ev->source == SAFEMAP_SRC_AUDIT ? "report" : ev->result ? "refused" : "event",
			ev->map_name, ev->map_id ? " id=" : "", ev->map_id,
			safemap_op_name(ev->op), safemap_reason_name(ev->reason), ev->result,
			n ? " key=" : "", key, (int)ev->pid, (int)ev->tid, (unsigned)ev->uid,
			ev->comm[0] ? " comm=" : "", ev->comm, cg,
			ev->detail[0] ? ": " : "", ev->detail);
}

/* Outside strings in text output (until lib/common's escape helpers land,
 * branch untrusted: fold this into safemap_escape_text there): bytes below
 * 0x20, 0x7f, a backslash, and bytes that are not valid UTF-8 become \xNN;
 * the result is always NUL-terminated, truncated to @p len. */
size_t safemap__escape_text(char *buf, size_t len, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (!len)
		return 0;
	while (*p && o + 1 < len) {
		size_t k = 0;

		if (p[0] >= 0x20 && p[0] < 0x7f && p[0] != '\\')
			k = 1;
		else if (p[0] >= 0xc2 && p[0] <= 0xdf && (p[1] & 0xc0) == 0x80)
			k = 2;
		else if (p[0] >= 0xe0 && p[0] <= 0xef && (p[1] & 0xc0) == 0x80 &&
			 (p[2] & 0xc0) == 0x80 && (p[0] != 0xe0 || p[1] >= 0xa0) &&
			 (p[0] != 0xed || p[1] < 0xa0))
			k = 3;
		else if (p[0] >= 0xf0 && p[0] <= 0xf4 && (p[1] & 0xc0) == 0x80 &&
			 (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 &&
			 (p[0] != 0xf0 || p[1] >= 0x90) && (p[0] != 0xf4 || p[1] < 0x90))
			k = 4;
		if (k) {
			if (o + k >= len)
				break;
			memcpy(buf + o, p, k);
			o += k;
			p += k;
		} else {
			if (o + 4 >= len)
				break;
			snprintf(buf + o, 5, "\\x%02x", p[0]);
			o += 4;
			p++;
		}
	}
	buf[o] = '\0';
	return o;
}
