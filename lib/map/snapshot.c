/* SPDX-License-Identifier: BSD-2-Clause */
/* Snapshots: a point-in-time copy consistent across all shards. Every shard's
 * read lock is taken in index order (writers wait, readers do not), the
 * entries are copied into one block, the locks are released; the block then
 * gets its own open-addressing index and is read with no lock at all. */
#include "map_internal.h"
#include "snapshot.h"

struct safemap_snap {
	struct safemap_alloc alloc; /* the map's allocator, copied: frees the block */
	bool custom_alloc;
	size_t block_size;          /* this header + records + index, one allocation */
	size_t count;
	size_t slot_mask;           /* index slots - 1 */
	size_t *index;              /* slot -> record number + 1; 0 = empty */
	unsigned char *records;     /* count records of `stride` bytes: key, value */
	const char *key_type;       /* the map's type names, copied into the block */
	const char *value_type;
	uint64_t seed;
	uint32_t key_size, value_size, value_off, stride;
};

static size_t slots_for(size_t n)
{
	size_t s = 1;

	while (s < 2 * n)
		s <<= 1;
	return s;
}

/* One block for up to @p cap records, or NULL (size overflow or no memory). */
static struct safemap_snap *snap_alloc(struct safemap *m, size_t cap)
{
	struct safemap_snap *sn;
	size_t stride = (m->value_off + m->value_size + 7) & ~(size_t)7, rec, idx, size;
	size_t klen = strlen(m->key_type) + 1, vlen = strlen(m->value_type) + 1;
	char *names;

	if (__builtin_mul_overflow(cap, stride, &rec) ||
	    __builtin_mul_overflow(slots_for(cap), sizeof(size_t), &idx) ||
	    __builtin_add_overflow(rec, idx, &size) ||
	    __builtin_add_overflow(size, sizeof(*sn) + klen + vlen, &size))
		return NULL;
	sn = safemap__malloc(m, size);
	if (!sn)
		return NULL;
	memset(sn, 0, sizeof(*sn));
	sn->alloc = m->alloc;
	sn->custom_alloc = m->custom_alloc;
	sn->block_size = size;
	sn->records = (unsigned char *)(sn + 1);
	sn->index = (size_t *)(sn->records + rec);
	names = (char *)(sn->index + slots_for(cap));
	sn->key_type = memcpy(names, m->key_type, klen);
	sn->value_type = memcpy(names + klen, m->value_type, vlen);
	sn->seed = m->seed;
	sn->key_size = m->key_size;
	sn->value_size = m->value_size;
	sn->value_off = m->value_off;
	sn->stride = (uint32_t)stride;
	return sn;
}

void safemap_snapshot_free(struct safemap_snap *sn)
{
	if (!sn)
		return;
	if (sn->custom_alloc)
		sn->alloc.free(sn, sn->block_size, sn->alloc.ctx);
	else
		free(sn);
}

static void unlock_upto(struct safemap *m, uint32_t n, int32_t held_max)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (held_max < 0 || !safemap__iter_holds(m, i))
			safemap__shard_unlock(&m->shards[i]);
}

static void build_index(struct safemap_snap *sn)
{
	size_t i, slot;

	sn->slot_mask = slots_for(sn->count) - 1;
	memset(sn->index, 0, (sn->slot_mask + 1) * sizeof(size_t));
	for (i = 0; i < sn->count; i++) {
		const unsigned char *rec = sn->records + i * sn->stride;

		slot = (size_t)safemap__hash(rec, sn->key_size, sn->seed) & sn->slot_mask;
		while (sn->index[slot])
			slot = (slot + 1) & sn->slot_mask;
		sn->index[slot] = i + 1;
	}
}

int safemap_snapshot(struct safemap *m, struct safemap_snap **out)
{
	struct safemap_snap *sn;
	size_t cap, n;
	int32_t held_max;
	uint32_t i;
	int err;

	if (!m || !out)
		return safemap__errorf(-EINVAL, "safemap_snapshot: NULL %s", m ? "out" : "map");
	*out = NULL;
	safemap__stat_add(&m->snapshot_calls, 1);
	held_max = safemap__iter_held_max(m);
	cap = safemap_count(m);
	for (;;) {
		cap += cap / 8 + 16; /* room for inserts between the count and the locks */
		sn = snap_alloc(m, cap);
		if (!sn)
			return safemap__errorf(-ENOMEM, "map '%s': out of memory for a snapshot of %zu entries",
					       m->name, cap);
		for (i = 0; i <= m->shard_mask; i++) {
			err = safemap__iter_rdlock(m, i, held_max);
			if (err < 0) {
				unlock_upto(m, i, held_max);
				safemap_snapshot_free(sn);
				return err;
			}
		}
		for (n = 0, i = 0; i <= m->shard_mask; i++)
			n += safemap__gw_count(&m->shards[i]);
		if (n <= cap)
			break;
		unlock_upto(m, m->shard_mask + 1, held_max);
		safemap_snapshot_free(sn);
		cap = n;
	}
	for (i = 0; i <= m->shard_mask; i++) {
		struct safemap_tbl_it it;
		struct safemap_pos pos;

		safemap__tbl_it_init(&m->shards[i], &it);
		while (safemap__tbl_it_next(m, &it, &pos)) {
			unsigned char *rec = sn->records + sn->count++ * sn->stride;

			memcpy(rec, safemap__tbl_key(m, &pos), m->key_size);
			memcpy(rec + m->value_off, safemap__tbl_value(m, &pos), m->value_size);
		}
	}
	unlock_upto(m, m->shard_mask + 1, held_max);
	build_index(sn);
	*out = sn;
	return 0;
}

size_t safemap_snapshot_count(const struct safemap_snap *sn)
{
	return sn ? sn->count : 0;
}

int safemap_snapshot_get(const struct safemap_snap *sn, const void *key, void *value_out)
{
	size_t slot, r;

	if (!sn || !key || !value_out)
		return safemap__errorf(-EINVAL, "safemap_snapshot_get: NULL argument");
	slot = (size_t)safemap__hash(key, sn->key_size, sn->seed) & sn->slot_mask;
	while ((r = sn->index[slot])) {
		const unsigned char *rec = sn->records + (r - 1) * sn->stride;

		if (!memcmp(rec, key, sn->key_size)) {
			memcpy(value_out, rec + sn->value_off, sn->value_size);
			return 0;
		}
		slot = (slot + 1) & sn->slot_mask;
	}
	memset(value_out, 0, sn->value_size);
	return safemap__error(-ENOENT);
}

int safemap_snapshot_foreach(const struct safemap_snap *sn, safemap_foreach_fn fn, void *ctx)
{
	size_t i;
	int ret;

	if (!sn || !fn)
		return safemap__errorf(-EINVAL, "safemap_snapshot_foreach: NULL %s",
				       sn ? "fn" : "snapshot");
	for (i = 0; i < sn->count; i++) {
		const unsigned char *rec = sn->records + i * sn->stride;

		ret = fn(rec, rec + sn->value_off, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

void safemap__snap_view(const struct safemap_snap *sn, struct safemap__snap_view *v)
{
	v->records = sn->records;
	v->count = sn->count;
	v->stride = sn->stride;
	v->key_size = sn->key_size;
	v->value_size = sn->value_size;
	v->value_off = sn->value_off;
	v->key_type = sn->key_type;
	v->value_type = sn->value_type;
}
