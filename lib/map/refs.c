/* SPDX-License-Identifier: BSD-2-Clause */
/* References (get_ref / ref_put): a reference holds a node of the table
 * whose bytes are never written again (table.h: how entries get one). */
#include "refs.h"

int safemap_get_ref(struct safemap *m, const void *key, struct safemap_ref *ref)
{
	struct safemap_node *n = NULL;
	struct safemap_shard *s;
	struct safemap_pos pos;
	uint64_t h;
	int locked, err = 0;
	bool found;

	if (ref)
		memset(ref, 0, sizeof(*ref));
	if (SAFEMAP_UNLIKELY(!m || !key || !ref))
		return safemap__errorf(-EINVAL, "safemap_get_ref: NULL argument");
	h = safemap__key_hash(m, key);
	s = safemap__shard_of(m, h);
	locked = safemap__read_begin(m, s, SAFEMAP_OP_GET);
	if (SAFEMAP_UNLIKELY(locked < 0))
		return locked;
	found = safemap__tbl_find(m, s, key, h, &pos);
	if (SAFEMAP_LIKELY(found))
		n = safemap__tbl_ref(m, s, &pos, h, &err);
	if (SAFEMAP_LIKELY(locked))
		safemap__shard_unlock(s);
	if (!found)
		return safemap__error(-ENOENT);
	if (SAFEMAP_UNLIKELY(err == -EOVERFLOW))
		return safemap__errorf(-EOVERFLOW, "map '%s': too many references to one entry",
				       m->name);
	if (SAFEMAP_UNLIKELY(err))
		return safemap__errorf(err, "map '%s': out of memory for the first reference to an entry (map unchanged)",
				       m->name);
	ref->map = m;
	ref->entry = n;
	return 0;
}

void safemap_ref_put(struct safemap_ref *ref)
{
	struct safemap_node *n;
	struct safemap *m;

	if (!ref || !ref->entry || !ref->map)
		return;
	n = ref->entry;
	m = ref->map;
	ref->entry = NULL;
	ref->map = NULL;
	safemap__node_put(m, n);
}

const void *safemap_ref_key(const struct safemap_ref *ref)
{
	return ref && ref->entry ? ((struct safemap_node *)ref->entry)->data : NULL;
}

const void *safemap_ref_value(const struct safemap_ref *ref)
{
	return ref && ref->entry && ref->map ?
		       ((struct safemap_node *)ref->entry)->data + ref->map->value_off :
		       NULL;
}
