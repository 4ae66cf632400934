/* SPDX-License-Identifier: BSD-2-Clause */
/* The per-shard table's writes: insert, erase, replace, references,
 * rehash (grow, clean, shrink), clear, destroy, reclaiming retired memory.
 * Layout and rules: table.h. */
#include <sched.h>
#include <stdlib.h>

#include "map_internal.h"

#define SMALL_GROUPS 512u  /* below: tables double; above: they grow by half */
#define FIRST_GROUPS 4u    /* an unbounded shard's first table */

void safemap__tbl_layout(struct safemap *m)
{
	size_t slot = ((size_t)m->value_off + m->value_size + 7) & ~(size_t)7, grp;

	m->nodes = slot > SAFEMAP_INLINE_MAX;
	m->slot_size = (uint16_t)(m->nodes ? sizeof(void *) : slot);
	grp = SAFEMAP_GROUP_HDR + SAFEMAP_GROUP_SLOTS * (size_t)m->slot_size;
	/* on whole lines when that costs at most an eighth (8/8: 248 -> 256) */
	if (((grp + 63) & ~(size_t)63) - grp <= grp / 8)
		grp = (grp + 63) & ~(size_t)63;
	m->group_size = (uint16_t)grp;
	m->node_size = (uint32_t)(offsetof(struct safemap_node, data) + slot);
}

#define capacity safemap__tbl_capacity

/* the hash of the entry in @p slot: a node keeps it, an inline key is hashed */
static SAFEMAP_INLINE uint64_t slot_hash_as(const struct safemap *m, struct safemap_shape sh,
					    const unsigned char *slot)
{
	return sh.nodes ? safemap__slot_node(slot)->hash : safemap__key_hash_as(m, sh, slot);
}

static void finalize(struct safemap *m, unsigned char *data)
{
	if (m->has_finalizer)
		m->finalize(data, data + m->value_off, m->finalize_ctx);
}

/* ---- retiring (epoch.h) */

/* A table sits on a 64-byte boundary inside its allocation (t->off bytes
 * in): bit 0 of its r.bytes (sizes are multiples of 8) says so. */
#define RETIRED_TBL ((size_t)1)
#define TBL_SLACK 56u
#define TBL_STAGGER_FROM (64u * 1024) /* arrays this large are staggered */

/* Free what @p r heads: a table or a node. */
static void free_retired(struct safemap *m, struct safemap_retired *r)
{
	struct safemap_tbl *t = (struct safemap_tbl *)(void *)r;

	if (r->bytes & RETIRED_TBL)
		safemap__free(m, (unsigned char *)t - t->off, r->bytes & ~RETIRED_TBL);
	else
		safemap__free(m, r, r->bytes);
}

static void retire(struct safemap *m, struct safemap_shard *s, struct safemap_retired *r,
		   bool now)
{
	size_t bytes = safemap__retire(&s->limbo, &s->limbo_bytes, r);

	(void)m;
	if (now || bytes >= SAFEMAP_LIMBO_BYTES)
		__atomic_fetch_or(&s->reclaim, SAFEMAP_RECLAIM_MEMORY, __ATOMIC_RELAXED);
}

static struct safemap_tbl *tbl_new(struct safemap *m, struct safemap_shard *s, uint32_t ng);
static void make_spare(struct safemap *m, struct safemap_shard *s);

void safemap__tbl_reclaim(struct safemap *m, struct safemap_shard *s)
{
	struct safemap_retired *r, *next;
	size_t bytes = 0;
	uint8_t what = __atomic_exchange_n(&s->reclaim, 0, __ATOMIC_RELAXED);

	if (what & SAFEMAP_RECLAIM_SPARE)
		make_spare(m, s);
	if (!(what & SAFEMAP_RECLAIM_MEMORY))
		return;
	r = __atomic_exchange_n(&s->limbo, NULL, __ATOMIC_ACQUIRE);
	if (!r)
		return;
	for (next = r; next; next = next->next)
		bytes += next->bytes;
	__atomic_sub_fetch(&s->limbo_bytes, bytes, __ATOMIC_RELAXED);
	safemap__epoch_sync(m->tslots);
	for (; r; r = next) {
		next = r->next;
		free_retired(m, r);
	}
}

/* ---- nodes */

/* the shard's reference list lock, among read-lock holders; it also guards
 * the shard's cache of freed copies */
static void reflock(struct safemap_shard *s)
{
	while (__atomic_exchange_n(&s->reflock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&s->reflock, __ATOMIC_RELAXED))
			safemap__cpu_relax();
}

static void refunlock(struct safemap_shard *s)
{
	__atomic_store_n(&s->reflock, 0, __ATOMIC_RELEASE);
}

/* An inline map keeps up to this many freed copies per shard for the next
 * first reference (references come and go; their copies need not go back
 * to the allocator each time). */
#define NODE_CACHE 32u

/* A new node; in an inline map from the shard's cache if it has one
 * (@p reflocked: the caller holds s->reflock). */
static struct safemap_node *node_new(struct safemap *m, struct safemap_shard *s, const void *key,
				     const void *value, uint64_t h, uint32_t refs, bool reflocked)
{
	struct safemap_node *n = NULL;

	if (!m->nodes && __atomic_load_n(&s->ncached, __ATOMIC_RELAXED)) {
		if (!reflocked)
			reflock(s);
		if ((n = s->node_cache)) {
			s->node_cache = n->rnext;
			s->ncached--;
		}
		if (!reflocked)
			refunlock(s);
	}
	if (!n)
		n = safemap__malloc(m, m->node_size);
	if (!n)
		return NULL;
	n->r.next = NULL;
	n->r.bytes = m->node_size;
	n->rnext = NULL;
	n->hash = h;
	n->refs = refs;
	n->dead = 0;
	safemap__copy(n->data, key, m->key_size);
	safemap__copy(n->data + m->value_off, value, m->value_size);
	return n;
}

/* The node's value is out of the map and unreferenced: free it (node maps:
 * after a grace period; an inline map's copies are never read without a
 * lock, so at once). */
static void node_free(struct safemap *m, struct safemap_shard *s, struct safemap_node *n)
{
	if (m->nodes) {
		retire(m, s, &n->r, false);
		return;
	}
	reflock(s);
	if (s->ncached < NODE_CACHE) {
		n->rnext = s->node_cache;
		s->node_cache = n;
		__atomic_store_n(&s->ncached, s->ncached + 1, __ATOMIC_RELAXED);
		n = NULL;
	}
	refunlock(s);
	if (n)
		safemap__free(m, n, n->r.bytes);
}

/* Free the dead nodes on @p s's retired list (write lock held). */
static void sweep_retired(struct safemap *m, struct safemap_shard *s)
{
	struct safemap_node **pp = &s->retired, *n;

	while ((n = *pp)) {
		if (__atomic_load_n(&n->dead, __ATOMIC_ACQUIRE)) {
			*pp = n->rnext;
			node_free(m, s, n);
		} else {
			pp = &n->rnext;
		}
	}
}

/* @p n left the map while referenced (write lock held; the map's share is
 * gone): its last reference will finalize it. */
static void retire_referenced(struct safemap *m, struct safemap_shard *s, struct safemap_node *n)
{
	if (s->retired)
		sweep_retired(m, s);
	n->rnext = s->retired;
	s->retired = n;
}

/* The map's share of @p n goes (write lock held, @p n just unlinked or
 * detached): the value leaves the map. No reference but the map's: the
 * value dies now. Acquire pairs with the release of safemap__node_put(). */
static void node_drop(struct safemap *m, struct safemap_shard *s, struct safemap_node *n)
{
	if (__atomic_load_n(&n->refs, __ATOMIC_ACQUIRE) == 1 ||
	    __atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		finalize(m, n->data);
		node_free(m, s, n);
	} else {
		retire_referenced(m, s, n);
	}
}

void safemap__node_put(struct safemap *m, struct safemap_node *n)
{
	struct safemap_shard *s;

	if (__atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* the last reference of a value the map no longer holds: nobody else
	 * can reach it; it sits on its shard's retired list */
	finalize(m, n->data);
	s = safemap__shard_of(m, n->hash);
	__atomic_store_n(&n->dead, 1, __ATOMIC_RELEASE);
	/* from a foreach callback of the map: the walk may hold this shard's
	 * read lock (or another's: no lock order), so it frees the node when it
	 * has left the shard (iter.c); else take the write lock and free it */
	if (safemap__iter_defer_free(m, (uint32_t)(s - m->shards)))
		return;
	safemap__retired_drain(m, s);
}

void safemap__retired_drain(struct safemap *m, struct safemap_shard *s)
{
	safemap__shard_wrlock(s, SAFEMAP_OP_NONE);
	sweep_retired(m, s);
	safemap__shard_unlock(s);
	if (__atomic_load_n(&s->reclaim, __ATOMIC_RELAXED))
		safemap__tbl_reclaim(m, s);
}

/* inline maps: the referenced copy of the entry with @p key, detached from
 * the shard's list (write lock held), or NULL */
static struct safemap_node *side_detach(struct safemap *m, struct safemap_shard *s,
					const void *key, uint64_t h)
{
	struct safemap_node **pp, *n;

	for (pp = &s->refnodes; (n = *pp); pp = (struct safemap_node **)&n->r.next) {
		if (n->hash == h && safemap__key_eq(m, n->data, key)) {
			*pp = (struct safemap_node *)n->r.next;
			n->r.next = NULL;
			return n;
		}
	}
	return NULL;
}

/* The value at @p pos leaves the map (write lock held; the slot is about to
 * be emptied). */
static void value_leaves(struct safemap *m, struct safemap_shard *s, struct safemap_pos *pos,
			 uint64_t h)
{
	struct safemap_node *n;

	if (m->nodes) {
		node_drop(m, s, safemap__slot_node(pos->slot));
		return;
	}
	if (SAFEMAP_UNLIKELY(*pos->tag & SAFEMAP_TAG_NODE) && (n = side_detach(m, s, pos->slot, h))) {
		/* referenced: the copy carries the value; the last put finalizes */
		if (__atomic_load_n(&n->refs, __ATOMIC_ACQUIRE) == 1 ||
		    __atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) == 0) {
			finalize(m, pos->slot);
			node_free(m, s, n);
		} else {
			retire_referenced(m, s, n);
		}
		return;
	}
	finalize(m, pos->slot);
}

/* inline maps: replace the value at @p pos (write lock held) */
static void inline_set(struct safemap *m, struct safemap_shard *s, struct safemap_pos *pos,
		       uint64_t h, const void *value)
{
	struct safemap_node **pp, *n;

	if (SAFEMAP_UNLIKELY(*pos->tag & SAFEMAP_TAG_NODE)) {
		for (pp = &s->refnodes; (n = *pp); pp = (struct safemap_node **)&n->r.next)
			if (n->hash == h && safemap__key_eq(m, n->data, pos->slot))
				break;
		if (n && __atomic_load_n(&n->refs, __ATOMIC_ACQUIRE) == 1) {
			/* only the map holds the copy: it follows the slot */
			finalize(m, pos->slot);
			safemap__copy(n->data + m->value_off, value, m->value_size);
			safemap__copy(pos->slot + m->value_off, value, m->value_size);
			return;
		}
		if (n) {
			*pp = (struct safemap_node *)n->r.next;
			n->r.next = NULL;
			if (__atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) == 0) {
				finalize(m, pos->slot);
				node_free(m, s, n);
			} else {
				retire_referenced(m, s, n);
			}
		}
		*pos->tag &= (uint8_t)~SAFEMAP_TAG_NODE;
	} else {
		finalize(m, pos->slot);
	}
	safemap__copy(pos->slot + m->value_off, value, m->value_size);
}

/* ---- placing and rehashing */

/* A new empty table of @p ng groups for shard @p s. */
static struct safemap_tbl *tbl_new(struct safemap *m, struct safemap_shard *s, uint32_t ng)
{
	/* groups on 64-byte lines (a group of an 8/8 map is 4 lines, not 5):
	 * allocators need give no more than 8-byte alignment. Large arrays
	 * come from mmap at the same offset in a page, so the shards' headers
	 * (read by every lookup) would all fall in one set of the L1 cache
	 * and evict each other: they are staggered by the shard's index. */
	size_t groups = (size_t)ng * m->group_size;
	size_t stagger = groups >= TBL_STAGGER_FROM ? ((size_t)(s - m->shards) % 32) * 64 : 0;
	size_t bytes = sizeof(struct safemap_tbl) + groups + TBL_SLACK + stagger;
	unsigned char *raw = safemap__malloc(m, bytes);
	struct safemap_tbl *t;
	uint32_t g;

	if (!raw)
		return NULL;
	t = (struct safemap_tbl *)(void *)(((uintptr_t)raw + stagger + 63) & ~(uintptr_t)63);
	memset(t, 0, sizeof(*t));
	t->r.bytes = bytes | RETIRED_TBL;
	t->off = (uint32_t)((unsigned char *)t - raw);
	t->ngroups = ng;
	for (g = 0; g < ng; g++)
		memset(safemap__group(m, t, g), 0, SAFEMAP_GROUP_HDR);
	return t;
}

/* Copy every entry of @p old into @p t, a new empty table (a map of shape
 * @p sh). @p fill counts the entries placed in each group of @p t (all 0
 * on entry): a new table's groups fill from slot 0 up, so an entry's place
 * follows from its group's count, and the copy never waits for a load of
 * the group it writes to (half of a rehash's time went to those loads). */
static SAFEMAP_INLINE void move_all_as(const struct safemap *m, struct safemap_shape sh,
				       struct safemap_tbl *old, struct safemap_tbl *t,
				       uint8_t *fill)
{
	uint32_t g;

	for (g = 0; g < old->ngroups; g++) {
		uint8_t *grp = old->groups + (size_t)g * sh.grp;
		uint32_t full = ~safemap__match_empty(grp) & SAFEMAP_SLOTS_MASK;

		while (full) {
			unsigned i = (unsigned)__builtin_ctz(full);
			unsigned char *slot = grp + SAFEMAP_GROUP_HDR + (size_t)i * sh.slot;
			uint64_t h = slot_hash_as(m, sh, slot);
			uint32_t to = safemap__group_of(h, t->ngroups);
			uint8_t *dst;

			while (fill[to] == SAFEMAP_GROUP_SLOTS) { /* full: mark it, go on */
				dst = t->groups + (size_t)to * sh.grp;
				dst[15] |= safemap__overflow_bit(h);
				if (++to == t->ngroups)
					to = 0;
			}
			dst = t->groups + (size_t)to * sh.grp;
			memcpy(dst + SAFEMAP_GROUP_HDR + (size_t)fill[to] * sh.slot, slot, sh.slot);
			dst[fill[to]++] = grp[i];
			full &= full - 1;
		}
	}
}

/* move_all_as's counts live on the stack for tables of up to FILL_STACK
 * groups (4 KiB), else in an allocation of their own */
#define FILL_STACK 4096u

/* Move every entry of @p s into a new table of @p ng groups (write lock
 * held): @p t if not NULL (new, empty, of @p ng groups), else one
 * allocated here. 0, or -ENOMEM with the shard unchanged. */
static int rehash(struct safemap *m, struct safemap_shard *s, uint32_t ng, struct safemap_tbl *t)
{
	struct safemap_tbl *old = s->tbl;
	uint8_t fill_stack[FILL_STACK], *fill = fill_stack;

	if (!t && !(t = tbl_new(m, s, ng)))
		return -ENOMEM;
	if (old && ng > FILL_STACK && !(fill = safemap__malloc(m, ng))) {
		free_retired(m, &t->r);
		return -ENOMEM;
	}
	if (old) {
		memset(fill, 0, ng);
		if (m->shape88)
			move_all_as(m, SAFEMAP_SHAPE_88, old, t, fill);
		else
			move_all_as(m, safemap__shape(m), old, t, fill);
		if (fill != fill_stack)
			safemap__free(m, fill, ng);
	}
	__atomic_store_n(&s->tbl, t, __ATOMIC_RELEASE);
	__atomic_store_n(&s->ngroups, ng, __ATOMIC_RELAXED);
	s->growth_left = (uint32_t)(capacity(ng) - s->count);
	s->dirty_left = (uint32_t)(capacity(ng) / 2 + 1);
	if (s->fast)
		safemap__gw_budget(s);
	if (old) /* small arrays wait for company: one grace period for several */
		retire(m, s, &old->r, old->r.bytes >= SAFEMAP_LIMBO_BYTES);
	return 0;
}

/* groups for @p n entries at half load (the size a shrink goes to) */
static uint32_t groups_half(size_t n)
{
	size_t ng = (n * 2 + SAFEMAP_GROUP_SLOTS - 1) / SAFEMAP_GROUP_SLOTS;

	return ng ? (uint32_t)ng : 1;
}

/* the groups of the table after one of @p ng groups; 0 if too large */
static uint32_t next_groups(const struct safemap *m, uint32_t ng)
{
	if (ng > UINT32_MAX / 4 / m->group_size)
		return 0;
	return ng < SMALL_GROUPS ? ng * 2 : ng + ng / 2;
}

/* The spare. A rehash under the shard's lock stops every other thread that
 * writes the shard meanwhile (in a map of 64 shards another thread comes
 * to it within a few microseconds; a large rehash takes hundreds), and
 * about half of its time went to the new table's first touch of its pages.
 * So when a shard of SPARE_FROM groups or more comes within a 256th of its
 * capacity of growing, the insert that sees it asks for the next table,
 * and the writer makes it after unlocking (safemap__tbl_reclaim); the
 * growth takes it if it is of the size wanted then, else frees it. At most
 * one spare a shard, for maps with the default allocator only (a custom
 * allocator sees each growth's allocation in the insert that grows, as
 * before); a shrink or a clear frees it, as does destroy. */
#define SPARE_FROM 256u

/* @p s's spare if it has @p ng groups, else NULL (one of another size is
 * freed; 0: free it whatever its size) */
static struct safemap_tbl *take_spare(struct safemap *m, struct safemap_shard *s, uint32_t ng)
{
	struct safemap_tbl *t = __atomic_exchange_n(&s->spare, NULL, __ATOMIC_ACQUIRE);

	if (t && t->ngroups != ng) {
		free_retired(m, &t->r);
		t = NULL;
	}
	return t;
}

static void free_spare(struct safemap *m, struct safemap_shard *s)
{
	(void)take_spare(m, s, 0);
}

/* after an insert under the lock: is the growth near? */
static void want_spare(struct safemap *m, struct safemap_shard *s)
{
	uint32_t ng = s->tbl->ngroups;

	if (m->custom_alloc || ng < SPARE_FROM || s->growth_left > capacity(ng) / 256 ||
	    __atomic_load_n(&s->spare, __ATOMIC_RELAXED) || !(ng = next_groups(m, ng)))
		return;
	__atomic_store_n(&s->spare_groups, ng, __ATOMIC_RELAXED);
	__atomic_fetch_or(&s->reclaim, SAFEMAP_RECLAIM_SPARE, __ATOMIC_RELAXED);
}

/* no lock held: make the table want_spare asked for */
static void make_spare(struct safemap *m, struct safemap_shard *s)
{
	uint32_t ng = __atomic_load_n(&s->spare_groups, __ATOMIC_RELAXED);
	struct safemap_tbl *t = ng ? tbl_new(m, s, ng) : NULL, *none = NULL;

	if (t && !__atomic_compare_exchange_n(&s->spare, &none, t, false, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED))
		free_retired(m, &t->r);
}

/* room for one more insert: a first table, a bigger one, or a clean one of
 * the same size (after many erasures from overflowed groups); s->count is
 * exact (the caller folded, gwrite.h) */
static int make_room(struct safemap *m, struct safemap_shard *s)
{
	uint32_t ng;

	if (!s->tbl) {
		ng = m->presize_groups ? m->presize_groups : FIRST_GROUPS;
	} else {
		ng = s->tbl->ngroups;
		/* full, or nearly: grow; else the erasures made the room, clean up */
		if (s->count + 1 > capacity(ng) - capacity(ng) / 16 && !(ng = next_groups(m, ng)))
			return -ENOMEM;
	}
	while (capacity(ng) < s->count + 1)
		ng++;
	return rehash(m, s, ng, take_spare(m, s, ng));
}

int safemap__tbl_reserve(struct safemap *m, struct safemap_shard *s)
{
	int err = make_room(m, s); /* the first table, as an insert would make it */

	/* no budget for group writes yet: each thread's first insert takes
	 * the lock, which shares the room among the threads there are then
	 * (at create there may be fewer) */
	__atomic_store_n(&s->gw_budget, 0, __ATOMIC_RELAXED);
	return err;
}

int safemap__tbl_insert(struct safemap *m, struct safemap_shard *s, const void *key,
			const void *value, uint64_t h)
{
	struct safemap_node *n = NULL;

	if (m->nodes && !(n = node_new(m, s, key, value, h, 1, false)))
		return -ENOMEM;
	safemap__gw_fold(s); /* group writes: the exact count, new budgets */
	if (SAFEMAP_UNLIKELY(!s->growth_left) && make_room(m, s)) {
		if (n)
			safemap__free(m, n, n->r.bytes);
		return -ENOMEM;
	}
	safemap__tbl_fill_as(safemap__shape(m), s, h, key, value, n);
	want_spare(m, s);
	return 0;
}

void safemap__tbl_erase(struct safemap *m, struct safemap_shard *s, struct safemap_pos *pos,
			uint64_t h)
{
	value_leaves(m, s, pos, h);
	safemap__tbl_erase_slot(m, s, pos, h);
}

void safemap__tbl_shrink(struct safemap *m, struct safemap_shard *s)
{
	struct safemap_tbl *t = s->tbl;

	safemap__gw_fold(s); /* the exact count: still worth it? */
	if (!t || !safemap__tbl_should_shrink(m, s))
		return;
	free_spare(m, s);
	if (!s->count) {
		__atomic_store_n(&s->tbl, NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&s->ngroups, 0, __ATOMIC_RELAXED);
		s->growth_left = 0;
		__atomic_store_n(&s->gw_budget, 0, __ATOMIC_RELAXED);
		retire(m, s, &t->r, true);
	} else {
		uint32_t ng = groups_half(s->count);

		/* no memory: keep the table */
		(void)rehash(m, s, ng > m->presize_groups ? ng : m->presize_groups, NULL);
	}
}

/* ---- group writes past the home group (table_impl.h) */

static SAFEMAP_INLINE int group_path_as(struct safemap_shape sh, struct safemap_shard *s,
					 struct safemap_tbl *t, uint8_t *home, const void *key,
					 const void *value, uint64_t h, enum safemap_gw_op what,
					 const int64_t *row, struct safemap_gw_out *out,
					 bool *home_changed)
{
	uint8_t tag = safemap__tag(h), ob = safemap__overflow_bit(h);
	uint8_t *grp, *hit = NULL, *fgrp = NULL, *tp = NULL;
	uint32_t gv = 0, hitv = 0, fv = 0, match, empty = 0, g, n, ng = t->ngroups, g0;
	unsigned char *slot = NULL;
	bool ended = false;

#ifdef SAFEMAP_TSAN
	/* the validated reads below race by design (as optimistic gets, which
	 * ThreadSanitizer builds compile out): those builds take the lock */
	return SAFEMAP_GW_NO;
#endif
	g = g0 = safemap__group_of(h, ng);
	/* the probe path: the key, and the first free slot on it */
	for (grp = home, n = 0; n < ng && n < SAFEMAP_GW_PATH; n++) {
		uint8_t ovf;

		if (grp != home) {
			gv = __atomic_load_n(safemap__group_word(grp), __ATOMIC_ACQUIRE);
			if (gv & 1)
				goto no;
		}
		for (match = safemap__match(grp, tag); match; match &= match - 1) {
			slot = grp + SAFEMAP_GROUP_HDR + (size_t)__builtin_ctz(match) * sh.slot;
			if (safemap__key_eq_as(sh, slot, key)) {
				hit = grp;
				hitv = gv;
				tp = grp + __builtin_ctz(match);
				break;
			}
		}
		if (!hit && !fgrp && (empty = safemap__match_empty(grp))) {
			fgrp = grp;
			fv = gv;
		}
		ovf = __atomic_load_n(&grp[15], __ATOMIC_RELAXED);
		if (grp != home && !safemap__group_valid(grp, gv))
			goto no;
		if (hit || !(ovf & ob)) {
			ended = true;
			break;
		}
		if (++g == ng)
			g = 0;
		grp = t->groups + (size_t)g * sh.grp;
	}
	if (SAFEMAP_UNLIKELY(!ended))
		goto no;
	if (hit) {
		if (SAFEMAP_UNLIKELY(*tp & SAFEMAP_TAG_NODE))
			goto no;
		if (what == SAFEMAP_GW_NOEXIST)
			return -EEXIST;
		out->dirty = what == SAFEMAP_GW_DELETE &&
			     (__atomic_load_n(&hit[15], __ATOMIC_RELAXED) & ob);
		if (SAFEMAP_UNLIKELY(out->dirty && !safemap__gw_dirty_room(s, row)))
			goto no;
		if (hit != home && !safemap__group_lock_at(hit, hitv))
			goto no;
		safemap__group_apply_as(sh, hit, tp, slot, value, what, out);
		if (hit != home)
			safemap__group_unlock(hit, hitv, true);
		else
			*home_changed = true;
		return 0;
	}
	if (what == SAFEMAP_GW_EXIST || what == SAFEMAP_GW_DELETE)
		return -ENOENT;
	/* an insert: the first free slot on the path, else past its end (the
	 * groups passed get the key's overflow bit) */
	if (SAFEMAP_UNLIKELY(!safemap__gw_room(s, row)))
		goto no;
	for (; !fgrp && n < SAFEMAP_GW_PATH; n++) {
		if (++g == ng)
			g = 0;
		grp = t->groups + (size_t)g * sh.grp;
		if (grp == home)
			goto no;
		gv = __atomic_load_n(safemap__group_word(grp), __ATOMIC_ACQUIRE);
		empty = safemap__match_empty(grp);
		if ((gv & 1) || !safemap__group_valid(grp, gv))
			goto no;
		if (empty) {
			fgrp = grp;
			fv = gv;
		}
	}
	if (SAFEMAP_UNLIKELY(!fgrp) || (fgrp != home && !safemap__group_lock_at(fgrp, fv)))
		goto no;
	/* the bits first: their locked or (a fence) then does not wait for
	 * the slot's store, whose line may still be on its way */
	for (grp = home, g = g0; grp != fgrp;) {
		if (!(__atomic_load_n(&grp[15], __ATOMIC_RELAXED) & ob))
			__atomic_fetch_or(&grp[15], ob, __ATOMIC_RELAXED);
		if (++g == ng)
			g = 0;
		grp = t->groups + (size_t)g * sh.grp;
	}
	safemap__group_fill_as(sh, fgrp, (unsigned)__builtin_ctz(empty), tag, key, value, out);
	if (fgrp != home)
		safemap__group_unlock(fgrp, fv, true);
	*home_changed = true; /* (the home group's bit, or the entry) */
	return 0;
no:
	return SAFEMAP_GW_NO;
}

int safemap__tbl_group_path(const struct safemap *m, struct safemap_shard *s,
			    struct safemap_tbl *t, uint8_t *home, const void *key, const void *value,
			    uint64_t h, enum safemap_gw_op what, const int64_t *row,
			    struct safemap_gw_out *out, bool *home_changed)
{
	if (m->shape88)
		return group_path_as(SAFEMAP_SHAPE_88, s, t, home, key, value, h, what, row, out,
				     home_changed);
	return group_path_as(safemap__shape(m), s, t, home, key, value, h, what, row, out,
			     home_changed);
}

int safemap__tbl_set(struct safemap *m, struct safemap_shard *s, struct safemap_pos *pos,
		     uint64_t h, const void *value)
{
	struct safemap_node *old, *n;

	if (!m->nodes) {
		inline_set(m, s, pos, h, value);
		return 0;
	}
	old = safemap__slot_node(pos->slot);
	if (__atomic_load_n(&old->refs, __ATOMIC_ACQUIRE) == 1) {
		/* nobody else sees these bytes: the old value dies here, in place */
		finalize(m, old->data);
		memcpy(old->data + m->value_off, value, m->value_size);
		return 0;
	}
	/* referenced: the holders keep the old node; the map gets a new one */
	n = node_new(m, s, old->data, value, old->hash, 1, false);
	if (!n)
		return -ENOMEM;
	memcpy(pos->slot, &n, sizeof(n));
	node_drop(m, s, old);
	return 0;
}

#define REFS_MAX (1u << 31)

struct safemap_node *safemap__tbl_ref(struct safemap *m, struct safemap_shard *s,
				      struct safemap_pos *pos, uint64_t h, int *err)
{
	struct safemap_node *n;
	uint32_t old;

	*err = 0;
	if (m->nodes) {
		n = safemap__slot_node(pos->slot);
	} else {
		reflock(s);
		n = NULL;
		if (__atomic_load_n(pos->tag, __ATOMIC_RELAXED) & SAFEMAP_TAG_NODE)
			for (n = s->refnodes; n; n = (struct safemap_node *)n->r.next)
				if (n->hash == h && safemap__key_eq(m, n->data, pos->slot))
					break;
		if (!n) {
			/* the first reference: a copy of the entry, never written again */
			n = node_new(m, s, pos->slot, pos->slot + m->value_off, h, 2, true);
			if (n) {
				n->r.next = (struct safemap_retired *)s->refnodes;
				s->refnodes = n;
				__atomic_fetch_or(pos->tag, (uint8_t)SAFEMAP_TAG_NODE, __ATOMIC_RELAXED);
			} else {
				*err = -ENOMEM;
			}
			refunlock(s);
			return n;
		}
		refunlock(s);
	}
	/* linked and locked: the map's share keeps it above 0 */
	old = __atomic_fetch_add(&n->refs, 1, __ATOMIC_RELAXED);
	if (SAFEMAP_UNLIKELY(old >= REFS_MAX)) {
		__atomic_fetch_sub(&n->refs, 1, __ATOMIC_RELAXED);
		*err = -EOVERFLOW;
		return NULL;
	}
	return n;
}

size_t safemap__tbl_clear(struct safemap *m, struct safemap_shard *s)
{
	struct safemap_shape sh = safemap__shape(m);
	struct safemap_tbl *t = s->tbl;
	struct safemap_tbl_it it;
	struct safemap_pos pos;
	size_t n = 0;

	safemap__gw_fold(s); /* the count goes to 0 below */
	if (!t)
		return 0;
	safemap__tbl_it_init(s, &it);
	while (safemap__tbl_it_next(m, &it, &pos)) {
		uint64_t h = *pos.tag & SAFEMAP_TAG_NODE ? slot_hash_as(m, sh, pos.slot) : 0;

		value_leaves(m, s, &pos, h);
		n++;
	}
	__atomic_store_n(&s->tbl, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&s->ngroups, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->count, 0, __ATOMIC_RELAXED);
	s->growth_left = 0;
	__atomic_store_n(&s->gw_budget, 0, __ATOMIC_RELAXED);
	retire(m, s, &t->r, true);
	free_spare(m, s);
	return n;
}

#define DESTROY_LOG_ENTRIES 32

/* destroy's line for one entry still referenced (@p refs not dropped) */
static void report_referenced(struct safemap *m, struct safemap_shard *s, uint32_t refs,
			      bool retired, size_t *entries)
{
	if (++*entries <= DESTROY_LOG_ENTRIES)
		safemap__log(SAFEMAP_LOG_WARN,
			     "safemap_destroy: map '%s': %u reference%s not dropped to an entry of shard %u (%s; finalized now)",
			     m->name, refs, refs == 1 ? "" : "s", (unsigned)(s - m->shards),
			     retired ? "deleted, replaced or cleared" : "still in the map");
}

void safemap__tbl_destroy(struct safemap *m, struct safemap_shard *s, size_t *entries,
			  size_t *refs, size_t *retired)
{
	struct safemap_retired *r, *next;
	struct safemap_tbl_it it;
	struct safemap_pos pos;
	struct safemap_node *n;

	safemap__tbl_it_init(s, &it);
	while (safemap__tbl_it_next(m, &it, &pos)) {
		if (m->nodes) {
			n = safemap__slot_node(pos.slot);
			if (n->refs != 1) {
				*refs += n->refs - 1;
				report_referenced(m, s, n->refs - 1, false, entries);
			}
			finalize(m, n->data);
			safemap__free(m, n, n->r.bytes);
		} else {
			finalize(m, pos.slot);
		}
	}
	while ((n = s->refnodes)) { /* inline entries' copies: the slot was finalized */
		s->refnodes = (struct safemap_node *)n->r.next;
		if (n->refs != 1) {
			*refs += n->refs - 1;
			report_referenced(m, s, n->refs - 1, false, entries);
		}
		safemap__free(m, n, n->r.bytes);
	}
	while ((n = s->retired)) { /* values that left the map while referenced */
		s->retired = n->rnext;
		if (!n->dead) {
			*refs += n->refs;
			++*retired;
			report_referenced(m, s, n->refs, true, entries);
			finalize(m, n->data);
		}
		safemap__free(m, n, n->r.bytes);
	}
	while ((n = s->node_cache)) {
		s->node_cache = n->rnext;
		safemap__free(m, n, n->r.bytes);
	}
	s->ncached = 0;
	if (s->tbl)
		free_retired(m, &s->tbl->r);
	s->tbl = NULL;
	free_spare(m, s);
	for (r = s->limbo; r; r = next) {
		next = r->next;
		free_retired(m, r);
	}
	s->limbo = NULL;
	s->limbo_bytes = 0;
}
