/* SPDX-License-Identifier: BSD-2-Clause */
/* Guarding the map of a BPF map handle (safemap/bpf.h): by its id. Kept
 * apart so it builds only where the handles (lib/bpf/) are built. */
#include <safemap/bpf.h>

#include "audit_internal.h"

int safemap_audit_guard_handle(struct safemap_audit *a, const struct safemap_bpf *h,
			       const struct safemap_audit_policy *policy)
{
	uint32_t id;
	int err;

	if (!a || !h)
		return safemap__errorf(-EINVAL, "audit: guard_handle: NULL argument");
	id = safemap_bpf_id(h);
	if (!id)
		return safemap__errorf(-EINVAL, "audit: guard_handle: the handle has no map id");
	err = safemap_audit_guard(a, id, policy);
	return err ? err : (int)id;
}
