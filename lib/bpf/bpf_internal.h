/* SPDX-License-Identifier: BSD-2-Clause */
/* The BPF map handle's internals, shared by the files of lib/bpf/. */
#ifndef SAFEMAP_LIB_BPF_INTERNAL_H
#define SAFEMAP_LIB_BPF_INTERNAL_H

#include <linux/bpf.h>

#include <safemap/bpf.h>

#include "../common/internal.h"

struct btf;

/* The kernel's "not supported" (ENOTSUPP, not in userspace errno.h): what it
 * returns for a map type without an operation (batch, lookup-and-delete). */
#define SAFEMAP__ENOTSUPP 524

struct safemap_bpf {
	/* read by every operation */
	int fd;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t buf_size;     /* value_size, or stride * possible CPUs */
	bool percpu;
	bool no_batch;         /* opts->no_batch: single operations only */
	uint32_t refs;         /* atomic */
	uint32_t id;
	uint32_t type;
	uint32_t max_entries;
	uint32_t map_flags;
	uint32_t stride;       /* round_up(value_size, 8) */
	uint32_t ncpus;
	uint32_t btf_id, btf_key_type_id, btf_value_type_id;
	safemap_event_fn event_fn;
	void *event_ctx;
	safemap_bpf_fini_fn fini;
	void *fini_ctx;
	struct safemap_bpf_stats stats; /* atomic counters */
	char name[64];
};

/* The kernel facts a spec is checked against (from bpf_map_info). */
struct safemap__map_facts {
	const char *name;
	uint32_t type, key_size, value_size, max_entries, map_flags;
	uint32_t btf_id, btf_key_type_id, btf_value_type_id;
};

/* spec.c: check @p f against @p spec (an extensible struct, copied), loading
 * the map's BTF from the kernel when a layout is given. Returns 0 when it
 * matches; -EPROTO with a detail message naming every difference; another
 * negative errno (with a message) when the check itself cannot be done. */
SAFEMAP_HIDDEN int safemap__spec_check(const struct safemap__map_facts *f,
				       const struct safemap_bpf_spec *spec);

/* A growing "; "-separated list of differences in a fixed buffer. */
struct safemap__diff {
	char *buf;
	size_t len, used;
	int n;           /* differences added (also those that did not fit) */
};
SAFEMAP_HIDDEN void safemap__diff_add(struct safemap__diff *d, const char *fmt, ...)
	SAFEMAP_PRINTF(2, 3);

/* btf_check.c: compare BTF type @p type_id (typedefs and modifiers skipped)
 * with layout @p l, adding each difference to @p d prefixed with @p what
 * ("key", "value"). The total size is compared only if @p check_size.
 * Returns the number of differences added. */
SAFEMAP_HIDDEN int safemap__btf_compare(const struct btf *btf, uint32_t type_id,
					const struct safemap_layout *l, const char *what,
					bool check_size, struct safemap__diff *d);

/* btf_check.c: the name of a BTF type as C spells it ("struct x", "__u32",
 * "__u8[6]"), into @p buf. Returns @p buf. */
SAFEMAP_HIDDEN const char *safemap__btf_type_name(const struct btf *btf, uint32_t type_id,
						  char *buf, size_t len);

/* btf_check.c: the type @p id points to once typedefs and modifiers are
 * skipped; NULL if there is none. */
SAFEMAP_HIDDEN const struct btf_type *safemap__btf_resolved(const struct btf *btf, uint32_t id);

/* btf_check.c: the members of struct/union @p t as a layout names them
 * ("hdr.len"): @p fn gets each one's dotted @p name (@p named false for a
 * member without a name of its own: "" or "hdr." then), byte offset, type
 * id and resolved type (NULL if none). Members of anonymous structs and
 * unions come as C names them, bitfields not at all (a layout cannot name
 * them). Where @p fn returns true and the member is a struct or union, its
 * members follow under its name; 16 levels deep at most. */
typedef bool (*safemap__member_fn)(const char *name, bool named, size_t off, uint32_t type_id,
				   const struct btf_type *mt, void *ctx);
SAFEMAP_HIDDEN void safemap__btf_members(const struct btf *btf, const struct btf_type *t,
					 safemap__member_fn fn, void *ctx);

/* btf_check.c: call @p fn for each padding hole of type @p type_id: a run
 * of bits that no member covers (bitfields to the bit; nested structs,
 * unions and arrays of structs looked into; tail padding included), as a
 * bit offset and a number of bits. Returns the number of holes; -EINVAL
 * for a type that cannot be walked (no size: void, a forward declaration;
 * nesting deeper than 16), -E2BIG for a type over 1 MiB, -ELOOP when the
 * walk would take too long (overlapping members, arrays of arrays), -ENOMEM.
 * The type name printer above stops at the same depth ("..."). */
typedef void (*safemap__hole_fn)(uint32_t bit_offset, uint32_t bits, void *ctx);
SAFEMAP_HIDDEN int safemap__btf_holes(const struct btf *btf, uint32_t type_id,
				      safemap__hole_fn fn, void *ctx);

/* ops.c: classify a failed kernel call on @p h (-ENOENT/-EEXIST cheaply;
 * -E2BIG on a write as a capacity violation: counter, event, message with
 * the map's name and max_entries; anything else counted with a message).
 * Returns the (normalised) error. */
SAFEMAP_HIDDEN int safemap__bpf_fail(struct safemap_bpf *h, enum safemap_op op, int err,
				     const void *key);
/* ops.c: refuse a too-small buffer: -ENOSPC, event, counter. */
SAFEMAP_HIDDEN int safemap__bpf_bad_size(struct safemap_bpf *h, enum safemap_op op,
					 size_t got, size_t need);
/* ops.c: deliver @p ev about @p h (map name and id filled) to its sink. */
SAFEMAP_HIDDEN void safemap__bpf_event(const struct safemap_bpf *h, struct safemap_event *ev);

/* map types whose values are per CPU */
static inline bool safemap__type_is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static inline bool safemap__type_is_array(uint32_t type)
{
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* The kernel's -ENOTSUPP becomes -EOPNOTSUPP, the userspace spelling. */
static inline int safemap__bpf_errno(int err)
{
	return err == -SAFEMAP__ENOTSUPP ? -EOPNOTSUPP : err;
}

#endif /* SAFEMAP_LIB_BPF_INTERNAL_H */
