/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/event.h
 * @brief The one event record that every part of libsafemap delivers: the
 *        user-space map, the BPF map handles and the BPF audit probe.
 *
 * An agent installs one sink (a function and a context pointer) and receives
 * refused operations, capacity crossings and audit reports from all of them
 * in the same shape.
 */
#ifndef SAFEMAP_EVENT_H
#define SAFEMAP_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <safemap/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Where an event comes from. */
enum safemap_event_source {
	SAFEMAP_SRC_MAP = 1,     /**< a user-space struct safemap */
	SAFEMAP_SRC_BPF_MAP = 2, /**< a BPF map handle (struct safemap_bpf) */
	SAFEMAP_SRC_AUDIT = 3,   /**< the BPF audit probe */
};

/** The operation an event is about. */
enum safemap_op {
	SAFEMAP_OP_NONE = 0,
	SAFEMAP_OP_PUT,               /**< put / BPF update */
	SAFEMAP_OP_GET,               /**< get / BPF lookup */
	SAFEMAP_OP_DELETE,
	SAFEMAP_OP_UPDATE,            /**< read-modify-write callback */
	SAFEMAP_OP_CAS,
	SAFEMAP_OP_CLEAR,
	SAFEMAP_OP_FREEZE,
	SAFEMAP_OP_LOOKUP_AND_DELETE,
	SAFEMAP_OP_BATCH_UPDATE,
	SAFEMAP_OP_BATCH_DELETE,
	SAFEMAP_OP_BATCH_LOOKUP,
	SAFEMAP_OP_BATCH_LOOKUP_AND_DELETE,
	SAFEMAP_OP_OPEN,              /**< opening a BPF map against a spec */
	SAFEMAP_OP_MAX
};

/** Why an event was emitted. */
enum safemap_reason {
	SAFEMAP_REASON_OK = 0,             /**< an allowed write (auditable maps) */
	SAFEMAP_REASON_FULL,               /**< capacity violation (-E2BIG) */
	SAFEMAP_REASON_WATERMARK,          /**< count crossed the high watermark upwards */
	SAFEMAP_REASON_FROZEN,             /**< write to a frozen map (-EPERM) */
	SAFEMAP_REASON_TYPE_MISMATCH,      /**< typed call on a map of another type (-EINVAL) */
	SAFEMAP_REASON_WRITE_IN_ITERATION, /**< write from inside the thread's own foreach (-EDEADLK) */
	SAFEMAP_REASON_NOT_ALLOWED,        /**< writer not allowed by policy (audit probe) */
	SAFEMAP_REASON_SPEC_MISMATCH,      /**< BPF map differs from the expected spec */
	SAFEMAP_REASON_BAD_SIZE,           /**< buffer too small for a (per-CPU) value */
	SAFEMAP_REASON_LOST,               /**< reports were lost; @c count says how many */
	SAFEMAP_REASON_MAX
};

/**
 * One event. Extensible: @c sz is the size of the struct the library filled;
 * fields past it do not exist for that library version.
 *
 * Pointers in the record (@c map_name, @c key, @c detail) are valid only for
 * the duration of the sink call: copy what you keep.
 */
struct safemap_event {
	size_t sz;                /**< sizeof(struct safemap_event) of the library that
				   *  filled it: fields past it are absent */
	enum safemap_event_source source; /**< who emits it: the map, a BPF handle, the audit */
	enum safemap_op op;       /**< the operation concerned */
	enum safemap_reason reason; /**< why: full, frozen, not allowed, lost, ... */
	int result;               /**< 0 or a negative errno: the operation's outcome
				   *  (audit reports: the bpf() syscall's result) */
	const char *map_name;     /**< never NULL ("" when unnamed) */
	uint32_t map_id;          /**< kernel map id for BPF sources, 0 otherwise */
	const void *key;          /**< key bytes, or NULL */
	size_t key_size;          /**< bytes at @c key */
	pid_t pid;                /**< process that did the operation */
	pid_t tid;                /**< thread that did the operation */
	uid_t uid;                /**< its user id */
	char comm[16];            /**< its command name (audit probe), else "" */
	uint64_t timestamp_ns;    /**< CLOCK_MONOTONIC */
	uint64_t count;           /**< entries (capacity events), entries removed (a clear's OK
				   *  event), lost reports (LOST); audit reports of batch
				   *  commands: elements the kernel processed */
	uint64_t limit;           /**< max_entries (capacity events), else 0 */
	const char *detail;       /**< human-readable one-line description, never NULL */
	/* ---- added later: present when sz > offsetof(struct safemap_event, cgroup) ---- */
	uint64_t cgroup_id;       /**< audit reports: the writer's cgroup v2 id (0: no cgroup v2) */
	/** audit reports: the writer's cgroup path relative to the cgroup2
	 *  mount ("/system.slice/foo.service"; "" when unknown: removed, or no
	 *  cgroup v2); never NULL. An outside string: escape it to print it. */
	const char *cgroup;
};

/**
 * An event sink. Called synchronously on the thread that caused the event
 * (for the audit probe: on the thread that polls). The user-space map calls
 * it with none of its locks held, after the operation took effect (or was
 * refused), so the sink may read the map; it must be quick, and it must not
 * write to the map (an event per write would recurse).
 */
typedef void (*safemap_event_fn)(const struct safemap_event *ev, void *ctx);

/** @brief Name of an event source, e.g. "map". Never NULL. */
SAFEMAP_API const char *safemap_event_source_name(enum safemap_event_source s);
/** @brief Name of an operation, e.g. "put". Never NULL. */
SAFEMAP_API const char *safemap_op_name(enum safemap_op op);
/** @brief Name of a reason, e.g. "full". Never NULL. */
SAFEMAP_API const char *safemap_reason_name(enum safemap_reason r);

/**
 * @brief Format an event as one line of text (no newline), like snprintf.
 * @return the length the full line needs, excluding the NUL.
 */
SAFEMAP_API int safemap_event_format(const struct safemap_event *ev, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_EVENT_H */
