/* SPDX-License-Identifier: BSD-2-Clause */
/* The policy file of the static checker (format in README.md). */
#ifndef SAFEMAP_LIB_BPF_POLICY_H
#define SAFEMAP_LIB_BPF_POLICY_H

#include "bpf_internal.h"

/* One line: what the policy demands of the maps it selects. The selector
 * is a map name, a glob (fnmatch: "*", "pid_*"), or either after a map
 * type and a colon ("perf_event_array:*", "hash:*_cache"). */
struct safemap__policy_rule {
	char name[64];            /* the selector's name or glob, type prefix removed */
	uint32_t sel_type;        /* valid if has_sel_type */
	bool has_sel_type;
	bool glob;                /* name has glob characters */
	uint32_t map_type;        /* valid if has_type */
	uint32_t key_size;        /* valid if has_key_size */
	uint32_t value_size;      /* valid if has_value_size */
	uint32_t min_max_entries; /* 0 = no minimum */
	bool has_type, has_key_size, has_value_size;
	bool key_padding_ok;      /* key_padding=ok: holes are not findings */
	bool optional;            /* no finding when the object lacks the map */
	bool seen;                /* set by the checker */
	unsigned line;
};

struct safemap__policy {
	struct safemap__policy_rule *rules;
	size_t n;
};

/* Set the selector of @p r from @p sel ("flows", "pid_*", "hash:*"): name,
 * glob, map type. Returns 0 or -EINVAL (unknown type, empty or too long). */
SAFEMAP_HIDDEN int safemap__policy_selector(struct safemap__policy_rule *r, const char *sel);

/* Parse @p path into @p p (zeroed first). Returns 0, -ENOENT/-EACCES, or
 * -EINVAL with a detail message naming the file and line. Free with
 * safemap__policy_free(). */
SAFEMAP_HIDDEN int safemap__policy_load(const char *path, struct safemap__policy *p);
SAFEMAP_HIDDEN void safemap__policy_free(struct safemap__policy *p);

/* The rule for map @p name of type @p type: the line naming it exactly
 * (with no type, or its type), else the first line whose glob and type
 * select it, else a bare "*" line, else NULL. Marks an exact line as seen
 * (lines that name one map exactly and see none give missing_map). */
SAFEMAP_HIDDEN struct safemap__policy_rule *safemap__policy_find(struct safemap__policy *p,
								 const char *name, uint32_t type);

/* Is @p r a line that names one map (no glob), so its absence is a finding? */
static inline bool safemap__policy_names_one(const struct safemap__policy_rule *r)
{
	return !r->glob;
}

/* The map type called @p name by libbpf ("hash", "percpu_array", ...), or a
 * number. Returns 0 and the type, or -EINVAL. */
SAFEMAP_HIDDEN int safemap__map_type_parse(const char *name, uint32_t *type);

#endif /* SAFEMAP_LIB_BPF_POLICY_H */
