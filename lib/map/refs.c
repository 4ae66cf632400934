/* SPDX-License-Identifier: BSD-2-Clause */
/* References (get_ref / ref_put) and replacing a value that is referenced
 * or must be finalized. The lifetime rule is in refs.h. */
#include "refs.h"

/* Refuse new references past this many on one entry (the count is 32 bits
 * and must never wrap to the map's 1). */
#define SAFEMAP__REFS_MAX (1u << 31)

/* Put @p n where @p old is in @p s's table: same bucket chain position,
 * same iteration order, no allocation (so it cannot fail). Write lock held;
 * @p n carries the same key and hash. */
static void swap_in_table(struct safemap *m, struct safemap_shard *s,
			  struct safemap_entry *old, struct safemap_entry *n)
{
	UT_hash_table *tbl = old->hh.tbl;
	UT_hash_bucket *b = &tbl->buckets[old->hh.hashv & (tbl->num_buckets - 1u)];

	n->hh = old->hh;
	n->hh.key = n->data;
	/* application order (prev/next are element pointers) */
	if (old->hh.prev)
		((UT_hash_handle *)((char *)old->hh.prev + tbl->hho))->next = n;
	else
		s->head = n;
	if (old->hh.next)
		((UT_hash_handle *)((char *)old->hh.next + tbl->hho))->prev = n;
	if (tbl->tail == &old->hh)
		tbl->tail = &n->hh;
	/* bucket chain (hh_prev/hh_next are handle pointers) */
	if (old->hh.hh_prev)
		old->hh.hh_prev->hh_next = &n->hh;
	if (b->hh_head == &old->hh)
		b->hh_head = &n->hh;
	if (old->hh.hh_next)
		old->hh.hh_next->hh_prev = &n->hh;
	(void)m;
}

int safemap__entry_replace(struct safemap *m, struct safemap_shard *s, struct safemap_entry *e,
			   const void *value)
{
	struct safemap_entry *n;

	if (safemap__entry_private(e)) {
		/* no (more) references: the old value dies right here, in place */
		if (m->has_finalizer)
			safemap__finalize(m, e);
		memcpy(safemap__entry_value(m, e), value, m->value_size);
		return 0;
	}
	/* referenced: the holders keep the old entry; the map gets a new one */
	n = safemap__entry_alloc(m, s);
	if (!n)
		return -ENOMEM;
	n->refs = 1;
	memcpy(n->data, e->data, m->key_size);
	memcpy(safemap__entry_value(m, n), value, m->value_size);
	swap_in_table(m, s, e, n);
	safemap__entry_retire(m, s, e);
	return 0;
}

int safemap_get_ref(struct safemap *m, const void *key, struct safemap_ref *ref)
{
	struct safemap_shard *s;
	struct safemap_entry *e;
	uint32_t old = 0;
	uint64_t h;
	int locked;

	if (ref)
		memset(ref, 0, sizeof(*ref));
	if (SAFEMAP_UNLIKELY(!m || !key || !ref))
		return safemap__errorf(-EINVAL, "safemap_get_ref: NULL argument");
	h = safemap__key_hash(m, key);
	s = safemap__shard_of(m, h);
	locked = safemap__read_begin(m, s, SAFEMAP_OP_GET);
	if (SAFEMAP_UNLIKELY(locked < 0))
		return locked;
	e = safemap__find(m, s, key, h);
	if (SAFEMAP_LIKELY(e)) {
		/* linked and locked: the map's reference keeps it above 0 */
		old = __atomic_fetch_add(&e->refs, 1, __ATOMIC_RELAXED);
		if (SAFEMAP_UNLIKELY(old >= SAFEMAP__REFS_MAX))
			__atomic_fetch_sub(&e->refs, 1, __ATOMIC_RELAXED);
	}
	if (SAFEMAP_LIKELY(locked))
		safemap__shard_unlock(s);
	if (!e)
		return safemap__error(-ENOENT);
	if (SAFEMAP_UNLIKELY(old >= SAFEMAP__REFS_MAX))
		return safemap__errorf(-EOVERFLOW, "map '%s': too many references to one entry (%u)",
				       m->name, old);
	ref->map = m;
	ref->entry = e;
	return 0;
}

void safemap_ref_put(struct safemap_ref *ref)
{
	struct safemap_entry *e;
	struct safemap_shard *s;
	struct safemap *m;

	if (!ref || !ref->entry || !ref->map)
		return;
	e = ref->entry;
	m = ref->map;
	ref->entry = NULL;
	ref->map = NULL;
	if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* the last reference of a value the map no longer holds: nobody else
	 * can reach it, so finalize with no lock, then free under the lock of
	 * the shard the entry came from */
	if (m->has_finalizer)
		safemap__finalize(m, e);
	s = safemap__shard_of(m, safemap__key_hash(m, e->data));
	/* from a foreach callback whose walk read-locks that shard: the write
	 * lock would wait for this thread forever (issue 13 item 1); the walk
	 * frees the entry when it leaves the shard (refs.h) */
	if (safemap__iter_defer_free(m, (uint32_t)(s - m->shards))) {
		/* release: a drain that sees the mark sees the finalizer done */
		__atomic_store_n(&e->spare, SAFEMAP__ENTRY_DEFERRED, __ATOMIC_RELEASE);
		return;
	}
	safemap__shard_wrlock(s, SAFEMAP_OP_NONE);
	safemap__retired_del(s, e);
	safemap__entry_free(m, s, e);
	safemap__shard_unlock(s);
}

void safemap__retired_drain(struct safemap *m, struct safemap_shard *s)
{
	struct safemap_entry *e, *next;

	safemap__shard_wrlock(s, SAFEMAP_OP_NONE);
	for (e = s->retired; e; e = next) {
		next = e->hh.next;
		if (__atomic_load_n(&e->spare, __ATOMIC_ACQUIRE) == SAFEMAP__ENTRY_DEFERRED) {
			safemap__retired_del(s, e);
			safemap__entry_free(m, s, e);
		}
	}
	safemap__shard_unlock(s);
}

const void *safemap_ref_key(const struct safemap_ref *ref)
{
	return ref && ref->entry ? ((struct safemap_entry *)ref->entry)->data : NULL;
}

const void *safemap_ref_value(const struct safemap_ref *ref)
{
	return ref && ref->entry && ref->map ? safemap__entry_value(ref->map, ref->entry) : NULL;
}
