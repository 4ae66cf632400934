/* SPDX-License-Identifier: BSD-2-Clause */
/* The BPF map handle's internals, shared by the files of lib/bpf/. */
#ifndef SAFEMAP_LIB_BPF_INTERNAL_H
#define SAFEMAP_LIB_BPF_INTERNAL_H

#include <linux/bpf.h>

#include <safemap/bpf.h>

#include "../common/internal.h"

struct btf;

struct safemap_bpf {
	/* read by every operation */
	int fd;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t buf_size;     /* value_size, or stride * possible CPUs */
	bool percpu;
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

/* spec.c: check @p f against @p spec; -EPROTO with a detail message naming
 * the first differences, 0 when it matches. */
SAFEMAP_HIDDEN int safemap__spec_check(const struct safemap__map_facts *f,
				       const struct safemap_bpf_spec *spec);

/* btf_check.c: compare kernel BTF type @p type_id with @p l; append the
 * differences ("; "-separated) to @p msg. Returns the number found. */
SAFEMAP_HIDDEN int safemap__btf_compare(const struct btf *btf, uint32_t type_id,
					const struct safemap_layout *l, char *msg, size_t len);

/* btf_check.c: the name of a BTF type as C spells it ("struct x", "__u32"),
 * into @p buf. */
SAFEMAP_HIDDEN const char *safemap__btf_type_name(const struct btf *btf, uint32_t type_id,
						  char *buf, size_t len);

/* btf_check.c: call @p fn for each padding hole (byte range not covered by
 * any member, recursively) of type @p type_id. Returns holes found or -errno. */
typedef void (*safemap__hole_fn)(uint32_t offset, uint32_t len, void *ctx);
SAFEMAP_HIDDEN int safemap__btf_holes(const struct btf *btf, uint32_t type_id,
				      safemap__hole_fn fn, void *ctx);

/* ops.c: classify a failed kernel call on @p h, deliver events, count. */
SAFEMAP_HIDDEN int safemap__bpf_fail(struct safemap_bpf *h, enum safemap_op op, int err,
				     const void *key);
/* ops.c: refuse a too-small buffer: -ENOSPC, event, counter. */
SAFEMAP_HIDDEN int safemap__bpf_bad_size(struct safemap_bpf *h, enum safemap_op op,
					 size_t got, size_t need);
/* ops.c: deliver an event about @p h (map name and id filled). */
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

#endif /* SAFEMAP_LIB_BPF_INTERNAL_H */
