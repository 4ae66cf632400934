/* SPDX-License-Identifier: BSD-2-Clause */
/* Before load: the agent checks its own skeleton's object, opened but not
 * loaded, against a policy built in code (safemap_objcheck_object()), lets
 * the library raise a too-small max_entries (opts.fix), and refuses to load
 * on any other finding. */
#include <bpf/libbpf.h>

#include "agent.h"

int agent_precheck(struct agent *a, const struct bpf_object *obj)
{
	/* what this agent needs of its map, whatever syscount.bpf.c says */
	SAFEMAP_OPTS(safemap_objcheck_rule, rule, .map = "syscount", .map_type = BPF_MAP_TYPE_HASH,
		     .key_size = sizeof(__u32), .value_size = sizeof(struct proc_stat),
		     .min_max_entries = SYSCOUNT_MAX_ENTRIES);
	SAFEMAP_OPTS(safemap_objcheck_opts, o, .fix = true);
	struct safemap_objcheck_policy *policy = NULL;
	struct safemap_objcheck *r = NULL;
	size_t i, refusing = 0;
	int err;

	err = safemap_objcheck_policy_new(&policy);
	if (!err)
		err = safemap_objcheck_policy_add(policy, &rule);
	o.policy = policy;
	if (!err)
		err = safemap_objcheck_object(obj, &o, &r);
	safemap_objcheck_policy_free(policy);
	if (err) {
		agent_say(a, "error", "checking the object before load: %s", safemap_last_error());
		return -1;
	}
	for (i = 0; i < r->nfindings; i++) {
		agent_say(a, "objcheck", "%s: %s", safemap_objcheck_kind_name(r->findings[i].kind),
			  r->findings[i].message);
		refusing += r->findings[i].kind != SAFEMAP_FIND_FIXED;
	}
	agent_say(a, "objcheck", "'%s' checked before load (safemap_objcheck_object, policy: "
		  "syscount hash, key %zu, value %zu, max_entries >= %u; fix on): %zu map%s, "
		  "%zu finding%s%s", r->path, sizeof(__u32), sizeof(struct proc_stat),
		  SYSCOUNT_MAX_ENTRIES, r->nmaps, r->nmaps == 1 ? "" : "s", r->nfindings,
		  r->nfindings == 1 ? "" : "s", refusing ? ": refusing to load" : "");
	safemap_objcheck_free(r);
	return refusing ? -1 : 0;
}
