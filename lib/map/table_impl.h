/* SPDX-License-Identifier: BSD-2-Clause */
/* The table's inline functions (table.h has the layout and the interface);
 * included by map_internal.h once struct safemap and struct safemap_shard
 * are known. */
#ifndef SAFEMAP_LIB_MAP_TABLE_IMPL_H
#define SAFEMAP_LIB_MAP_TABLE_IMPL_H

/* A map's shape: the sizes the hot path computes with. The functions below
 * that take one are always inlined: called with SAFEMAP_SHAPE_88 (the
 * common 8-byte key, 8-byte value map) every size is a constant, so the
 * compiler turns multiplies into shifts, memcmp/memcpy into one move and
 * drops the branches of other shapes; called with safemap__shape(m) they
 * serve any map. */
struct safemap_shape {
	uint32_t ks, vs, voff, slot, grp;
	bool nodes, narrow;
};

#define SAFEMAP_SHAPE_88 ((struct safemap_shape){ 8, 8, 8, 16, 256, false, false })
#define SAFEMAP_INLINE __attribute__((always_inline)) inline

static SAFEMAP_INLINE struct safemap_shape safemap__shape(const struct safemap *m)
{
	return (struct safemap_shape){ m->key_size, m->value_size, m->value_off, m->slot_size,
				       m->group_size, m->nodes, m->hash_bits != 0 };
}

/* Ask for all of a group's lines at once: the slot a lookup needs is known
 * only once the control bytes arrived, so without this a miss on the
 * control line is followed by a second one on the slot's line. */
static SAFEMAP_INLINE void safemap__group_prefetch(struct safemap_shape sh, const uint8_t *grp)
{
	unsigned off;

	for (off = 64; off < sh.grp; off += 64)
		__builtin_prefetch(grp + off);
}

/* The same for a write: every line asked for in a state this core can
 * write (PREFETCHW: a line that another core wrote last arrives once, not
 * once to read it and again to write it). */
static SAFEMAP_INLINE void safemap__line_prefetch_w(const uint8_t *p)
{
#if defined(__x86_64__)
	__asm__ __volatile__("prefetchw %0" : : "m"(*p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

static SAFEMAP_INLINE void safemap__group_prefetch_w(struct safemap_shape sh, const uint8_t *grp)
{
	unsigned off;

	/* the first four lines spelled out: an asm statement is not unrolled */
	safemap__line_prefetch_w(grp);
	if (sh.grp > 64)
		safemap__line_prefetch_w(grp + 64);
	if (sh.grp > 128)
		safemap__line_prefetch_w(grp + 128);
	if (sh.grp > 192)
		safemap__line_prefetch_w(grp + 192);
	for (off = 256; off < sh.grp; off += 64)
		safemap__line_prefetch_w(grp + off);
}

/* Is @p m of SAFEMAP_SHAPE_88? */
static inline bool safemap__is_88(const struct safemap *m)
{
	return SAFEMAP_LIKELY(m->shape88);
}

static SAFEMAP_INLINE bool safemap__key_eq_as(struct safemap_shape sh, const void *a, const void *b)
{
	if (sh.ks == 8) {
		uint64_t x, y;

		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	}
	return memcmp(a, b, sh.ks) == 0;
}

/* The key's hash. The narrow-hash test option (opts.hash_bits) keeps only
 * hash_bits bits of it and spreads them again over 64 bits, so that at most
 * 2^hash_bits distinct hash values exist (full-hash collisions are common)
 * while shard, group and tag still vary. */
static SAFEMAP_INLINE uint64_t safemap__key_hash_as(const struct safemap *m, struct safemap_shape sh,
						     const void *key)
{
	uint64_t h = safemap__hash(key, sh.ks, m->seed);

	if (SAFEMAP_UNLIKELY(sh.narrow))
		h = safemap__hash_final((h & ((1ull << m->hash_bits) - 1)) ^ m->seed);
	return h;
}

/* The same two for any map, by its own sizes. */
static inline uint64_t safemap__key_hash(const struct safemap *m, const void *key)
{
	return safemap__key_hash_as(m, safemap__shape(m), key);
}

static inline bool safemap__key_eq(const struct safemap *m, const void *a, const void *b)
{
	return safemap__key_eq_as(safemap__shape(m), a, b);
}

static inline uint8_t *safemap__group(const struct safemap *m, struct safemap_tbl *t, uint32_t g)
{
	return t->groups + (size_t)g * m->group_size;
}

static inline unsigned char *safemap__slot(const struct safemap *m, uint8_t *grp, unsigned i)
{
	return grp + SAFEMAP_GROUP_HDR + (size_t)i * m->slot_size;
}

static inline struct safemap_node *safemap__slot_node(const unsigned char *slot)
{
	struct safemap_node *n;

	memcpy(&n, slot, sizeof(n));
	return n;
}

/* The group word (gwrite.h): bit 0 set while a group writer holds the
 * group, + 2 at each of its releases that changed the group. Writers under
 * the shard's lock leave it alone (readers validate the shard's version
 * too). */
static inline uint32_t *safemap__group_word(uint8_t *grp)
{
	return (uint32_t *)(void *)(grp + 16);
}

/* An optimistic reader's check after reading a group whose word was @p gv
 * (even): true if no group writer held it since. */
static inline bool safemap__group_valid(uint8_t *grp, uint32_t gv)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
#ifdef SAFEMAP_BREAK_VALIDATION /* only to show that tests catch it */
	return true;
#endif
	return __atomic_load_n(safemap__group_word(grp), __ATOMIC_RELAXED) == gv;
}

/* the entry's bytes: the slot (inline maps) or its node (node maps) */
static inline unsigned char *safemap__pos_data(const struct safemap *m, const struct safemap_pos *pos)
{
	return m->nodes ? safemap__slot_node(pos->slot)->data : pos->slot;
}

static inline void *safemap__tbl_key(const struct safemap *m, const struct safemap_pos *pos)
{
	return safemap__pos_data(m, pos);
}

static inline void *safemap__tbl_value(const struct safemap *m, const struct safemap_pos *pos)
{
	return safemap__pos_data(m, pos) + m->value_off;
}

/* Find @p key (hash @p h) in @p s's table (a lock held): true and its
 * place in @p pos if present. @p prefetch: ask for every line of the first
 * group at once (safemap__group_prefetch); false for a caller that
 * prefetched the key's lines itself (batches, table_batch.h). */
static SAFEMAP_INLINE bool safemap__tbl_find_pf_as(const struct safemap *m,
						   struct safemap_shape sh,
						   struct safemap_shard *s, const void *key,
						   uint64_t h, struct safemap_pos *pos,
						   bool prefetch)
{
	struct safemap_tbl *t = s->tbl;
	uint8_t tag = safemap__tag(h), ob = safemap__overflow_bit(h);
	uint32_t g, n;

	(void)m;
	if (!t)
		return false;
	g = safemap__group_of(h, t->ngroups);
	if (prefetch)
		safemap__group_prefetch(sh, t->groups + (size_t)g * sh.grp);
	for (n = 0; n < t->ngroups; n++) {
		uint8_t *grp = t->groups + (size_t)g * sh.grp;
		uint32_t match = safemap__match(grp, tag);

		while (match) {
			unsigned i = (unsigned)__builtin_ctz(match);
			unsigned char *slot = grp + SAFEMAP_GROUP_HDR + (size_t)i * sh.slot;
			const unsigned char *data = sh.nodes ? safemap__slot_node(slot)->data : slot;

			if (safemap__key_eq_as(sh, data, key)) {
				pos->grp = grp;
				pos->tag = grp + i;
				pos->slot = slot;
				return true;
			}
			match &= match - 1;
		}
		if (!(grp[15] & ob))
			return false;
		if (++g == t->ngroups)
			g = 0;
	}
	return false;
}

static SAFEMAP_INLINE bool safemap__tbl_find_as(const struct safemap *m, struct safemap_shape sh,
					       struct safemap_shard *s, const void *key, uint64_t h,
					       struct safemap_pos *pos)
{
	return safemap__tbl_find_pf_as(m, sh, s, key, h, pos, true);
}

static inline bool safemap__tbl_find(const struct safemap *m, struct safemap_shard *s,
				     const void *key, uint64_t h, struct safemap_pos *pos)
{
	return safemap__tbl_find_as(m, safemap__shape(m), s, key, h, pos);
}

/* Entries a table of @p ng groups takes before a rehash: 7/8 of its slots,
 * 5/8 below SAFEMAP_LOW_LOAD_GROUPS groups. A small table near 7/8 has
 * little room in absolute terms: the threads' budgets of it (gwrite.h)
 * are a few entries, its full groups send writes past their home group
 * and its erasures from them soon ask for a clean rehash, all under the
 * shard's lock (2 threads writing a 10k map with 156 entries a shard, 0.70
 * of 16 groups' slots: 17% faster at 1 thread and 22-41% at 2 at 5/8, where
 * the shard has 32 groups). At most 16 KiB a shard (8/8 entries) more. */
#define SAFEMAP_LOW_LOAD_GROUPS 64u
static inline size_t safemap__tbl_capacity(uint32_t ng)
{
	return (size_t)ng * SAFEMAP_GROUP_SLOTS * (ng < SAFEMAP_LOW_LOAD_GROUPS ? 5 : 7) / 8;
}

/* The first free slot on @p h's path in @p t; marks the full groups passed. */
static SAFEMAP_INLINE void safemap__tbl_place_as(struct safemap_shape sh, struct safemap_tbl *t,
						 uint64_t h, struct safemap_pos *pos)
{
	uint32_t g = safemap__group_of(h, t->ngroups);
	uint8_t ob = safemap__overflow_bit(h);

	for (;;) {
		uint8_t *grp = t->groups + (size_t)g * sh.grp;
		uint32_t empty = safemap__match_empty(grp);

		if (SAFEMAP_LIKELY(empty)) {
			unsigned i = (unsigned)__builtin_ctz(empty);

			pos->grp = grp;
			pos->tag = grp + i;
			pos->slot = grp + SAFEMAP_GROUP_HDR + (size_t)i * sh.slot;
			return;
		}
		__atomic_store_n(&grp[15], (uint8_t)(grp[15] | ob), __ATOMIC_RELAXED);
		if (++g == t->ngroups)
			g = 0;
	}
}

/* Put a new entry of hash @p h into @p s's table, which has room: node
 * @p n's pointer (node maps) or @p key and @p value (inline maps). */
static SAFEMAP_INLINE void safemap__tbl_fill_as(struct safemap_shape sh, struct safemap_shard *s,
						uint64_t h, const void *key, const void *value,
						struct safemap_node *n)
{
	struct safemap_pos pos;

	safemap__tbl_place_as(sh, s->tbl, h, &pos);
	if (sh.nodes) {
		memcpy(pos.slot, &n, sizeof(n));
	} else {
		memcpy(pos.slot, key, sh.ks);
		memcpy(pos.slot + sh.voff, value, sh.vs);
	}
	__atomic_store_n(pos.tag, safemap__tag(h), __ATOMIC_RELAXED);
	s->growth_left--;
	__atomic_store_n(&s->count, s->count + 1, __ATOMIC_RELAXED);
}

/* Insert (table.h: safemap__tbl_insert), the common case inline: an inline
 * map whose table has room. */
static SAFEMAP_INLINE int safemap__tbl_insert_as(struct safemap *m, struct safemap_shape sh,
						 struct safemap_shard *s, const void *key,
						 const void *value, uint64_t h)
{
	/* maps with group writes: their count needs the threads' counters */
	if (sh.nodes || SAFEMAP_UNLIKELY(!s->growth_left || s->fast))
		return safemap__tbl_insert(m, s, key, value, h);
	safemap__tbl_fill_as(sh, s, h, key, value, NULL);
	return 0;
}

/* Replace (table.h: safemap__tbl_set), the common case inline: an inline
 * map, no reference to the entry, no finalizer. */
static SAFEMAP_INLINE int safemap__tbl_set_as(struct safemap *m, struct safemap_shape sh,
					      struct safemap_shard *s, struct safemap_pos *pos,
					      uint64_t h, const void *value)
{
	if (sh.nodes || SAFEMAP_UNLIKELY((*pos->tag & SAFEMAP_TAG_NODE) || m->has_finalizer))
		return safemap__tbl_set(m, s, pos, h, value);
	memcpy(pos->slot + sh.voff, value, sh.vs);
	return 0;
}

/* After an erase: should @p s give memory back (safemap__tbl_shrink)? In a
 * map with group writes s->count leaves out the threads' counters: the
 * shrink checks again with them. */
static inline bool safemap__tbl_should_shrink(const struct safemap *m,
					      const struct safemap_shard *s)
{
	uint32_t ng = s->tbl->ngroups;

	return SAFEMAP_UNLIKELY(!s->count) ||
	       (ng >= SAFEMAP_SHRINK_MIN_GROUPS && s->count < safemap__tbl_capacity(ng) / 8 &&
		ng > m->presize_groups);
}

/* Empty the slot at @p pos, whose value has left the map (write lock). */
static SAFEMAP_INLINE void safemap__tbl_erase_slot(struct safemap *m, struct safemap_shard *s,
						   struct safemap_pos *pos, uint64_t h)
{
	__atomic_store_n(pos->tag, 0, __ATOMIC_RELAXED);
	s->growth_left++;
	/* erasures from groups that overflowed keep probes long: after half
	 * of the capacity of them, the next insert rehashes */
	if ((pos->grp[15] & safemap__overflow_bit(h)) && s->dirty_left && !--s->dirty_left)
		s->growth_left = 0;
	__atomic_store_n(&s->count, s->count - 1, __ATOMIC_RELAXED);
	if (safemap__tbl_should_shrink(m, s))
		safemap__tbl_shrink(m, s);
}

/* Erase (table.h: safemap__tbl_erase), the common case inline: an inline
 * map, no reference to the entry, no finalizer. */
static SAFEMAP_INLINE void safemap__tbl_erase_as(struct safemap *m, struct safemap_shape sh,
						 struct safemap_shard *s, struct safemap_pos *pos,
						 uint64_t h)
{
	if (sh.nodes || SAFEMAP_UNLIKELY((*pos->tag & SAFEMAP_TAG_NODE) || m->has_finalizer))
		safemap__tbl_erase(m, s, pos, h);
	else
		safemap__tbl_erase_slot(m, s, pos, h);
}

static inline void safemap__tbl_it_init(struct safemap_shard *s, struct safemap_tbl_it *it)
{
	it->t = s->tbl;
	it->g = 0;
	it->i = 0;
}

static inline bool safemap__tbl_it_next(const struct safemap *m, struct safemap_tbl_it *it,
					struct safemap_pos *pos)
{
	if (!it->t)
		return false;
	for (; it->g < it->t->ngroups; it->g++, it->i = 0) {
		uint8_t *grp = safemap__group(m, it->t, it->g);

		for (; it->i < SAFEMAP_GROUP_SLOTS; it->i++) {
			if (__atomic_load_n(&grp[it->i], __ATOMIC_RELAXED)) {
				pos->grp = grp;
				pos->tag = grp + it->i;
				pos->slot = safemap__slot(m, grp, it->i);
				it->i++;
				return true;
			}
		}
	}
	return false;
}

/* ---- group writes (gwrite.h) */


/* Take the group at @p grp from version @p gv (even): false if another
 * writer holds it or wrote it since @p gv was read. */
static SAFEMAP_INLINE bool safemap__group_lock_at(uint8_t *grp, uint32_t gv)
{
	if (!__atomic_compare_exchange_n(safemap__group_word(grp), &gv, gv + 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	/* the odd word is visible before any write the holder makes (seqlock) */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return true;
}

/* Take the group at @p grp for a group writer: true, and its word (even)
 * in @p gv, unless another one holds it (group writers never wait). */
static SAFEMAP_INLINE bool safemap__group_trylock(uint8_t *grp, uint32_t *gv)
{
	*gv = __atomic_load_n(safemap__group_word(grp), __ATOMIC_RELAXED);
	return !(*gv & 1) && safemap__group_lock_at(grp, *gv);
}

/* Let the group go: a new version if the holder changed it. */
static SAFEMAP_INLINE void safemap__group_unlock(uint8_t *grp, uint32_t gv, bool changed)
{
	__atomic_store_n(safemap__group_word(grp), changed ? gv + 2 : gv, __ATOMIC_RELEASE);
}

/* What a group write changed besides the entry (safemap__tbl_group_write_as). */
struct safemap_gw_out {
	int delta;   /* entries: +1, -1 */
	bool dirty;  /* an erasure from a group with the entry's overflow bit set */
	bool emptied; /* the erasure left its group empty */
};

/* A group writer's change to a found entry of @p grp (held): erase it
 * (@p what SAFEMAP_GW_DELETE) or replace its value. */
static SAFEMAP_INLINE void safemap__group_apply_as(struct safemap_shape sh, uint8_t *grp,
						   uint8_t *tp, unsigned char *slot,
						   const void *value, enum safemap_gw_op what,
						   struct safemap_gw_out *out)
{
	if (what == SAFEMAP_GW_DELETE) {
		__atomic_store_n(tp, 0, __ATOMIC_RELAXED);
		out->delta = -1;
		out->emptied = safemap__match_empty(grp) == SAFEMAP_SLOTS_MASK;
	} else {
		memcpy(slot + sh.voff, value, sh.vs);
	}
}

/* A group writer's insert into the free slot at bit @p i of @p grp (held). */
static SAFEMAP_INLINE void safemap__group_fill_as(struct safemap_shape sh, uint8_t *grp, unsigned i,
						  uint8_t tag, const void *key, const void *value,
						  struct safemap_gw_out *out)
{
	unsigned char *slot = grp + SAFEMAP_GROUP_HDR + (size_t)i * sh.slot;

	memcpy(slot, key, sh.ks);
	memcpy(slot + sh.voff, value, sh.vs);
	__atomic_store_n(grp + i, tag, __ATOMIC_RELAXED);
	out->delta = 1;
}

/* A write to a map with group writes asks for its key's home group's
 * lines, for writing, first thing: from the shard's table pointer and
 * group count, not the table's header (s->ngroups is a hint: a stale one
 * prefetches a wrong address, which costs nothing), so the miss overlaps
 * the thread slot's look-up, the fences and the read before the write. */
#define SAFEMAP_PREFETCH_NEXT_FROM 256u /* groups: 64 KiB of 8/8 entries */
static SAFEMAP_INLINE void safemap__tbl_prefetch_home_w(struct safemap_shape sh,
							const struct safemap_shard *s, uint64_t h)
{
	struct safemap_tbl *t = __atomic_load_n(&s->tbl, __ATOMIC_RELAXED);
	uint32_t ng = __atomic_load_n(&s->ngroups, __ATOMIC_RELAXED), g;

	if (!t || !ng)
		return;
	g = safemap__group_of(h, ng);
	safemap__group_prefetch_w(sh, t->groups + (size_t)g * sh.grp);
	/* in a large table, the next group's first line too: an insert whose
	 * home group is full reads it next, and in a table too large for the
	 * caches that is a second miss one after the other (past the last
	 * group it asks for the slack after it: a prefetch never faults) */
	if (ng >= SAFEMAP_PREFETCH_NEXT_FROM)
		safemap__line_prefetch_w(t->groups + (size_t)(g + 1) * sh.grp);
}

/* safemap__tbl_group_write_as() past the home group @p home of table @p t
 * (held by the caller, who sets its version if *@p home_changed). table.c. */
SAFEMAP_HIDDEN int safemap__tbl_group_path(const struct safemap *m, struct safemap_shard *s,
					   struct safemap_tbl *t, uint8_t *home, const void *key,
					   const void *value, uint64_t h, enum safemap_gw_op what,
					   const int64_t *row, struct safemap_gw_out *out,
					   bool *home_changed);

/* A put (ANY, NOEXIST, EXIST: by @p what) or delete of @p key (hash @p h)
 * by groups, by a thread that announced its write of @p s
 * (safemap__gw_announce; this admits it) and whose counters of @p s are
 * @p row (gwrite.h):
 * 0 done, -EEXIST / -ENOENT refused, SAFEMAP_GW_NO when the shard's lock
 * must do it. For maps with group writes only (inline, no finalizer).
 *
 * The key's home group (where its probe starts) is held throughout: every
 * writer of the key holds it, so where the key is (or that it is absent)
 * cannot change meanwhile. When the probe goes on past the home group (its
 * overflow bit for the key is set, or an insert finds it full), the rest
 * of the path is read as an optimistic reader reads it (each group's word
 * before and after), and the group that is written (the entry's, or the
 * one an insert fills) is then taken at the version that read saw, so it
 * is still as read (safemap__tbl_group_path, table.c). Overflow bits an
 * insert sets in groups it passed (full ones) need no lock: a bit only
 * sends a probe further. SAFEMAP_GW_NO: a group held by another writer or
 * changed under the read, an insert beyond the thread's budget, a dirty
 * erasure beyond its share (gwrite.h), a referenced entry, no table, a path
 * of more than SAFEMAP_GW_PATH groups. @p prefetch: ask for the home
 * group's lines (for writing). */
static SAFEMAP_INLINE int safemap__tbl_group_write_as(const struct safemap *m,
						      struct safemap_shape sh,
						      struct safemap_shard *s, const void *key,
						      const void *value, uint64_t h,
						      enum safemap_gw_op what, const int64_t *row,
						      struct safemap_gw_out *out, bool prefetch)
{
	struct safemap_tbl *t;
	uint8_t tag = safemap__tag(h), *home, *tp = NULL;
	uint32_t hv, match, empty;
	unsigned char *slot = NULL;
	bool changed = false;
	int r = 0;

#ifdef SAFEMAP_TSAN /* admitted before the table is read (gwrite.h: safemap__gw_announce) */
	if (!safemap__gw_admitted(m, s))
		return SAFEMAP_GW_NO;
#endif
	t = __atomic_load_n(&s->tbl, __ATOMIC_RELAXED);
	if (SAFEMAP_UNLIKELY(!t))
		return SAFEMAP_GW_NO;
	home = t->groups + (size_t)safemap__group_of(h, t->ngroups) * sh.grp;
	if (prefetch)
		safemap__group_prefetch_w(sh, home);
	SAFEMAP_RACE_HOOK(s);
	if (SAFEMAP_UNLIKELY(!safemap__group_trylock(home, &hv)))
		return SAFEMAP_GW_NO;
	if (SAFEMAP_UNLIKELY(!safemap__gw_admitted(m, s) ||
			     __atomic_load_n(&s->tbl, __ATOMIC_RELAXED) != t)) {
		safemap__group_unlock(home, hv, false);
		return SAFEMAP_GW_NO;
	}
	/* (overflow bits: atomic, other groups' writers set them, table.c) */
	if (SAFEMAP_UNLIKELY(__atomic_load_n(&home[15], __ATOMIC_RELAXED) &
			     safemap__overflow_bit(h))) {
		r = safemap__tbl_group_path(m, s, t, home, key, value, h, what, row, out,
					    &changed);
		goto unlock;
	}
	for (match = safemap__match(home, tag); match; match &= match - 1) {
		slot = home + SAFEMAP_GROUP_HDR + (size_t)__builtin_ctz(match) * sh.slot;
		if (safemap__key_eq_as(sh, slot, key)) {
			tp = home + __builtin_ctz(match);
			break;
		}
	}
	if (tp) {
		if (SAFEMAP_UNLIKELY(*tp & SAFEMAP_TAG_NODE)) {
			r = SAFEMAP_GW_NO;
		} else if (what == SAFEMAP_GW_NOEXIST) {
			r = -EEXIST;
		} else {
			safemap__group_apply_as(sh, home, tp, slot, value, what, out);
			changed = true;
		}
	} else if (what == SAFEMAP_GW_EXIST || what == SAFEMAP_GW_DELETE) {
		r = -ENOENT; /* the overflow bit is clear: not further on either */
	} else if (SAFEMAP_UNLIKELY(!safemap__gw_room(s, row))) {
		r = SAFEMAP_GW_NO;
	} else if (SAFEMAP_UNLIKELY(!(empty = safemap__match_empty(home)))) {
		r = safemap__tbl_group_path(m, s, t, home, key, value, h, what, row, out,
					    &changed);
	} else {
		safemap__group_fill_as(sh, home, (unsigned)__builtin_ctz(empty), tag, key, value,
				       out);
		changed = true;
	}
unlock:
	safemap__group_unlock(home, hv, changed);
	return r;
}

/* The slot of 8-byte @p key (tag @p tag) in the group at @p grp, or NULL:
 * the one-pass paths' look at the home group (racy reads: the caller
 * validates). */
static SAFEMAP_INLINE unsigned char *safemap__home_find88(uint8_t *grp, uint8_t tag,
							  const void *key)
{
	uint32_t match;
	uint64_t k, x;

	memcpy(&k, key, 8);
	for (match = safemap__match(grp, tag); match; match &= match - 1) {
		unsigned char *slot = grp + SAFEMAP_GROUP_HDR + (size_t)__builtin_ctz(match) * 16;

		memcpy(&x, slot, 8);
		if (x == k)
			return slot;
	}
	return NULL;
}

/* The one-pass group write of an 8/8 map (ops.c: write88): a put (@p what
 * SAFEMAP_GW_ANY, _NOEXIST, _EXIST) or delete of @p key (hash @p h) by the
 * thread of slot @p ts, inside its epoch section (epoch.h), whose counters
 * of @p s are @p row. Where safemap__tbl_group_write_as() takes the home
 * group first and then reads it, this reads the home group first, as an
 * optimistic reader does (the shard's version, the group's word, the
 * group, the word again), and decides on what it read:
 *
 *   - a refusal (the key present for NOEXIST, absent for EXIST and delete)
 *     is settled by that read once validated: nothing is written, the
 *     lines stay shared (the read is its linearization point);
 *   - a write announces itself (gwrite.h, step 1: t->fw), takes the group
 *     at the version read (so no group writer changed it since), and is
 *     admitted only if the shard's lock word is still exactly the one read
 *     (no lock holder came and went meanwhile: what was read is what is
 *     there), the map's guard is clear and the shard's table is the same
 *     (step 2). It then writes what the read decided.
 *
 * Returns 0 (written: @p out as safemap__tbl_group_write_as() fills it;
 * t->fw is still set, for the caller to count the change in @p row before
 * it clears it, as gwrite.h's step 4), -EEXIST / -ENOENT (refused), or
 * SAFEMAP_GW_NO with nothing changed: a lock holder, reader or group
 * writer in the way, a probe that goes past the home group, a full home
 * group, the thread's insert budget spent, a referenced entry. The
 * general path (ops.c) then does the write. Not in ThreadSanitizer builds
 * (its reads race by design, as optimistic gets do). */
static SAFEMAP_INLINE int safemap__tbl_write88(const struct safemap *m, struct safemap_shard *s,
					       struct safemap_tslot *ts, const int64_t *row,
					       const void *key, const void *value, uint64_t h,
					       enum safemap_gw_op what, struct safemap_gw_out *out)
{
	const struct safemap_shape sh = SAFEMAP_SHAPE_88;
	const uint64_t busy = SAFEMAP_LOCK_W | SAFEMAP_LOCK_WW | SAFEMAP_LOCK_READERS;
	uint64_t v = safemap__lock_read_begin(&s->lock);
	struct safemap_tbl *t = __atomic_load_n(&s->tbl, __ATOMIC_RELAXED);
	uint8_t tag = safemap__tag(h), *home, *tp = NULL;
	uint32_t gv, empty = 0;
	unsigned char *slot;

	if (SAFEMAP_UNLIKELY((v & busy) || !t))
		return SAFEMAP_GW_NO;
	home = t->groups + (size_t)safemap__group_of(h, t->ngroups) * sh.grp;
	safemap__group_prefetch_w(sh, home);
	gv = __atomic_load_n(safemap__group_word(home), __ATOMIC_ACQUIRE);
	if (SAFEMAP_UNLIKELY(gv & 1))
		return SAFEMAP_GW_NO;
	if ((slot = safemap__home_find88(home, tag, key)))
		tp = home + (slot - home - SAFEMAP_GROUP_HDR) / sh.slot;
	if (tp) {
		if (SAFEMAP_UNLIKELY(__atomic_load_n(tp, __ATOMIC_RELAXED) & SAFEMAP_TAG_NODE))
			return SAFEMAP_GW_NO;
		if (what == SAFEMAP_GW_NOEXIST)
			goto refused;
	} else {
		if (safemap__overflowed(home, h))
			return SAFEMAP_GW_NO; /* the key may be further on */
		if (what == SAFEMAP_GW_EXIST || what == SAFEMAP_GW_DELETE)
			goto refused;
		empty = safemap__match_empty(home);
		if (SAFEMAP_UNLIKELY(!empty || !safemap__gw_room(s, row)))
			return SAFEMAP_GW_NO;
	}
	__atomic_store_n(&ts->fw, s, __ATOMIC_RELAXED);
	SAFEMAP_RACE_HOOK(s);
	if (SAFEMAP_UNLIKELY(!safemap__group_lock_at(home, gv)))
		goto out;
	/* the compare-and-swap fenced t->fw before these loads (gwrite.h, 2) */
	if (SAFEMAP_UNLIKELY(__atomic_load_n(&s->lock.word, __ATOMIC_SEQ_CST) != v ||
			     __atomic_load_n(&m->guard, __ATOMIC_RELAXED) ||
			     __atomic_load_n(&s->tbl, __ATOMIC_RELAXED) != t)) {
		safemap__group_unlock(home, gv, false);
		goto out;
	}
	if (tp)
		safemap__group_apply_as(sh, home, tp, slot, value, what, out);
	else
		safemap__group_fill_as(sh, home, (unsigned)__builtin_ctz(empty), tag, key, value,
				       out);
	safemap__group_unlock(home, gv, true);
	return 0; /* t->fw still set: the caller counts, then clears it */
out:
	__atomic_store_n(&ts->fw, NULL, __ATOMIC_RELEASE);
	return SAFEMAP_GW_NO;
refused:
	if (SAFEMAP_UNLIKELY(!safemap__group_valid(home, gv) ||
			     !safemap__lock_read_valid(&s->lock, v)))
		return SAFEMAP_GW_NO;
	return what == SAFEMAP_GW_NOEXIST ? -EEXIST : -ENOENT;
}

/* An 8/8 map's optimistic get in its key's home group alone (ops.c:
 * get88), in an epoch section: 1 found (value copied to @p value_out), 0
 * absent, -1 not settled here: a writer in the way, or a key whose probe
 * goes on past its home group (safemap__tbl_read_in_section() reads the
 * whole path). The loop of the whole path and its registers stay out of
 * the common get. */
static SAFEMAP_INLINE int safemap__tbl_get88(struct safemap_shard *s, const void *key, uint64_t h,
					     void *value_out)
{
	const struct safemap_shape sh = SAFEMAP_SHAPE_88;
	uint64_t v = safemap__lock_read_begin(&s->lock);
	struct safemap_tbl *t = __atomic_load_n(&s->tbl, __ATOMIC_RELAXED);
	unsigned char *slot;
	uint8_t *home;
	uint32_t gv;
	int found = 0;

	if (SAFEMAP_UNLIKELY((v & SAFEMAP_LOCK_W) || !t))
		return -1;
	home = t->groups + (size_t)safemap__group_of(h, t->ngroups) * sh.grp;
	safemap__group_prefetch(sh, home);
	gv = __atomic_load_n(safemap__group_word(home), __ATOMIC_ACQUIRE);
	if ((slot = safemap__home_find88(home, safemap__tag(h), key))) {
		memcpy(value_out, slot + sh.voff, 8);
		found = 1;
	}
	if (!found && safemap__overflowed(home, h))
		return -1;
	if (SAFEMAP_UNLIKELY((gv & 1) || !safemap__group_valid(home, gv) ||
			     !safemap__lock_read_valid(&s->lock, v)))
		return -1;
	return found;
}

/* One optimistic get (map_internal.h), inside an epoch read section of
 * the calling thread (epoch.h: safemap__epoch_enter/_exit around it, as
 * safemap__tbl_read_optimistic() does): 1 found (value copied to
 * @p value_out unless it is NULL: a probe for presence), 0 absent, -1 no
 * stable read (a writer held the shard, or wrote it meanwhile: try again or
 * take the read lock). On 0 and 1, @p seen (unless NULL) receives the
 * shard's version the result holds for (safemap__lock_unchanged()).
 * @p prefetch: ask for every line of the first group
 * (safemap__group_prefetch). On 1, @p hit (unless NULL) receives the
 * entry's position: valid for a writer that finds the version unchanged
 * under the lock. */
static SAFEMAP_INLINE int safemap__tbl_read_in_section(const struct safemap *m,
						       struct safemap_shape sh,
						       struct safemap_shard *s, const void *key,
						       uint64_t h, void *value_out, uint64_t *seen,
						       bool prefetch, struct safemap_pos *hit)
{
	uint64_t v = safemap__lock_read_begin(&s->lock);
	struct safemap_tbl *t = __atomic_load_n(&s->tbl, __ATOMIC_RELAXED);
	uint32_t g, n, ng;
	int found = 0;

	(void)m;
	if (SAFEMAP_UNLIKELY(v & SAFEMAP_LOCK_W))
		return -1;
	if (SAFEMAP_UNLIKELY(!t))
		goto check;
	ng = t->ngroups; /* the header is never written after the table is built */
	g = safemap__group_of(h, ng);
	if (prefetch)
		safemap__group_prefetch(sh, t->groups + (size_t)g * sh.grp);
	for (n = 0; n < ng; n++) {
		uint8_t *grp = t->groups + (size_t)g * sh.grp;
		uint32_t gv = __atomic_load_n(safemap__group_word(grp), __ATOMIC_ACQUIRE);
		uint32_t match = safemap__match(grp, safemap__tag(h));
		uint8_t ovf;

		if (SAFEMAP_UNLIKELY(gv & 1))
			return -1; /* a group writer is inside */
		while (match) {
			unsigned char *slot = grp + SAFEMAP_GROUP_HDR + (size_t)__builtin_ctz(match) * sh.slot;
			const unsigned char *data = slot;

			if (sh.nodes) {
				struct safemap_node *nd;

				nd = (struct safemap_node *)__atomic_load_n((uintptr_t *)(void *)slot,
									     __ATOMIC_RELAXED);
				/* follow the pointer only if it was one: no writer yet */
				if (!safemap__lock_read_valid(&s->lock, v))
					return -1;
				data = nd->data;
			}
			if (safemap__key_eq_as(sh, data, key)) {
				if (value_out)
					memcpy(value_out, data + sh.voff, sh.vs);
				if (SAFEMAP_UNLIKELY(!safemap__group_valid(grp, gv)))
					return -1;
				if (hit) {
					hit->grp = grp;
					hit->tag = grp + __builtin_ctz(match);
					hit->slot = slot;
				}
				found = 1;
				goto check;
			}
			match &= match - 1;
		}
		ovf = __atomic_load_n(&grp[15], __ATOMIC_RELAXED);
		if (SAFEMAP_UNLIKELY(!safemap__group_valid(grp, gv)))
			return -1;
		if (!(ovf & safemap__overflow_bit(h)))
			break;
		if (++g == ng)
			g = 0;
	}
check:
#ifndef SAFEMAP_BREAK_VALIDATION /* only to show that tests catch it */
	if (SAFEMAP_UNLIKELY(!safemap__lock_read_valid(&s->lock, v)))
		return -1;
#endif
	if (seen)
		*seen = v;
	return found;
}

/* The same read in an epoch read section of its own: @p ts is the calling
 * thread's slot of the map (the epoch, epoch.h). */
static SAFEMAP_INLINE int safemap__tbl_read_optimistic(const struct safemap *m,
						      struct safemap_shape sh,
						      struct safemap_shard *s, const void *key,
						      uint64_t h, void *value_out,
						      struct safemap_tslot *ts, uint64_t *seen,
						      bool prefetch, struct safemap_pos *hit)
{
	uint64_t ep = safemap__epoch_enter(ts);
	int found = safemap__tbl_read_in_section(m, sh, s, key, h, value_out, seen, prefetch,
						 hit);

	safemap__epoch_exit(ts, ep);
	return found;
}

/* safemap__tbl_read_optimistic() without the version. */
static SAFEMAP_INLINE int safemap__tbl_get_optimistic(const struct safemap *m,
						     struct safemap_shape sh,
						     struct safemap_shard *s, const void *key,
						     uint64_t h, void *value_out,
						     struct safemap_tslot *ts)
{
	return safemap__tbl_read_optimistic(m, sh, s, key, h, value_out, ts, NULL, true, NULL);
}

#endif /* SAFEMAP_LIB_MAP_TABLE_IMPL_H */
