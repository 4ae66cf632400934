/* SPDX-License-Identifier: BSD-2-Clause */
/* The static checker's report shared between objcheck.c (the checks of one
 * opened object), objcheck_object.c (safemap_objcheck_object(), policies
 * built in code, opts.fix) and pincheck.c (opts.pins_dir: the object's maps
 * against the maps already pinned). */
#ifndef SAFEMAP_LIB_BPF_OBJCHECK_INTERNAL_H
#define SAFEMAP_LIB_BPF_OBJCHECK_INTERNAL_H

#include "bpf_internal.h"
#include "policy.h"

struct bpf_object;

/* objcheck.c: the report on opened (not loaded) object @p obj, named @p path
 * in it, with @p policy (no rules = none); then safemap__objcheck_gates().
 * Returns 0 and *out (free with safemap_objcheck_free()), or -errno with a
 * message. */
SAFEMAP_HIDDEN int safemap__objcheck_report(const struct bpf_object *obj, const char *path,
					    const struct safemap_objcheck_opts *o,
					    struct safemap__policy *policy,
					    struct safemap_objcheck **out);

/* objcheck.c: add a finding (offset and len 0) to report @p r; a copy of
 * the string @p s that lives as long as the report ("" once out of memory);
 * -ENOMEM once any addition failed, else 0. */
SAFEMAP_HIDDEN void safemap__objcheck_finding(struct safemap_objcheck *r,
					      enum safemap_objcheck_kind kind, const char *map,
					      uint64_t expected, uint64_t actual,
					      const char *fmt, ...) SAFEMAP_PRINTF(6, 7);
SAFEMAP_HIDDEN const char *safemap__objcheck_keep(struct safemap_objcheck *r, const char *s);
SAFEMAP_HIDDEN int safemap__objcheck_err(const struct safemap_objcheck *r);

/* objcheck_object.c: the policy of @p o (the file o->policy_path, or a copy
 * of the rules of o->policy; both is -EINVAL) into @p p. Free with
 * safemap__policy_free(). */
SAFEMAP_HIDDEN int safemap__objcheck_policy(const struct safemap_objcheck_opts *o,
					    struct safemap__policy *p);

/* objcheck_object.c: what runs after the checks of safemap__objcheck_report():
 * o->fix (max_entries findings become 'fixed' ones) and o->pins_dir /
 * o->pins_own (pincheck.c). Returns 0 or -errno with a message. */
SAFEMAP_HIDDEN int safemap__objcheck_gates(struct safemap_objcheck *r,
					   const struct bpf_object *obj,
					   const struct safemap_objcheck_opts *o,
					   struct safemap__policy *policy);

/* pincheck.c: compare each map of @p obj with the map pinned at
 * o->pins_dir/NAME (or its own pin path with o->pins_own), adding
 * pin_reuse / pin_layout findings and the report's pins. */
SAFEMAP_HIDDEN int safemap__pincheck(struct safemap_objcheck *r, const struct bpf_object *obj,
				     const struct safemap_objcheck_opts *o);

#endif /* SAFEMAP_LIB_BPF_OBJCHECK_INTERNAL_H */
