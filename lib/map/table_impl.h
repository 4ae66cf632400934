/* SPDX-License-Identifier: BSD-2-Clause */
/* The table's inline functions (table.h has the layout and the interface);
 * included by map_internal.h once struct safemap and struct safemap_shard
 * are known. */
#ifndef SAFEMAP_LIB_MAP_TABLE_IMPL_H
#define SAFEMAP_LIB_MAP_TABLE_IMPL_H

static inline uint8_t *safemap__group(const struct safemap *m, struct safemap_tbl *t, uint32_t g)
{
	return t->groups + (size_t)g * m->group_size;
}

static inline unsigned char *safemap__slot(const struct safemap *m, uint8_t *grp, unsigned i)
{
	return grp + 16 + (size_t)i * m->slot_size;
}

static inline struct safemap_node *safemap__slot_node(const unsigned char *slot)
{
	struct safemap_node *n;

	memcpy(&n, slot, sizeof(n));
	return n;
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

static inline bool safemap__tbl_find(const struct safemap *m, struct safemap_shard *s,
				     const void *key, uint64_t h, struct safemap_pos *pos)
{
	struct safemap_tbl *t = s->tbl;
	uint8_t tag = safemap__tag(h), ob = safemap__overflow_bit(h);
	uint32_t g, n;

	if (!t)
		return false;
	g = safemap__group_of(h, t->ngroups);
	for (n = 0; n < t->ngroups; n++) {
		uint8_t *grp = safemap__group(m, t, g);
		uint32_t match = safemap__match(grp, tag);

		while (match) {
			unsigned i = (unsigned)__builtin_ctz(match);
			unsigned char *slot = safemap__slot(m, grp, i);
			const unsigned char *data = m->nodes ? safemap__slot_node(slot)->data : slot;

			if (safemap__key_eq(m, data, key)) {
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

/* The optimistic get (map_internal.h): 1 found (value copied to
 * @p value_out), 0 absent, -1 no stable read (take the read lock). @p ts is
 * the calling thread's slot of the map (the epoch, epoch.h). */
static inline int safemap__tbl_get_optimistic(const struct safemap *m, struct safemap_shard *s,
					      const void *key, uint64_t h, void *value_out,
					      struct safemap_tslot *ts)
{
	uint8_t tag = safemap__tag(h), ob = safemap__overflow_bit(h);
	uint64_t ep = safemap__epoch_enter(ts);
	int tries, found = -1;

	for (tries = 0; tries < SAFEMAP_OPTIMISTIC_TRIES; tries++) {
		uint64_t v = safemap__lock_read_begin(&s->lock);
		struct safemap_tbl *t = __atomic_load_n(&s->tbl, __ATOMIC_RELAXED);
		uint32_t g, n, ng;

		if (SAFEMAP_UNLIKELY(v & SAFEMAP_LOCK_W)) {
			safemap__cpu_relax();
			continue;
		}
		found = 0;
		if (SAFEMAP_UNLIKELY(!t))
			goto check;
		ng = t->ngroups; /* the header is never written after the table is built */
		g = safemap__group_of(h, ng);
		for (n = 0; n < ng; n++) {
			uint8_t *grp = safemap__group(m, t, g);
			uint32_t match = safemap__match(grp, tag);

			while (match) {
				unsigned char *slot = safemap__slot(m, grp, (unsigned)__builtin_ctz(match));
				const unsigned char *data = slot;

				if (m->nodes) {
					struct safemap_node *nd;

					nd = (struct safemap_node *)__atomic_load_n((uintptr_t *)(void *)slot,
										     __ATOMIC_RELAXED);
					/* follow the pointer only if it was one: no writer yet */
					if (!safemap__lock_read_valid(&s->lock, v))
						goto retry;
					data = nd->data;
				}
				if (safemap__key_eq(m, data, key)) {
					safemap__copy(value_out, data + m->value_off, m->value_size);
					found = 1;
					goto check;
				}
				match &= match - 1;
			}
			if (!(__atomic_load_n(&grp[15], __ATOMIC_RELAXED) & ob))
				break;
			if (++g == ng)
				g = 0;
		}
check:
#ifdef SAFEMAP_BREAK_VALIDATION /* only to show that tests catch it */
		break;
#endif
		if (SAFEMAP_LIKELY(safemap__lock_read_valid(&s->lock, v)))
			break;
retry:
		found = -1;
	}
	safemap__epoch_exit(ts, ep);
	return found;
}

#endif /* SAFEMAP_LIB_MAP_TABLE_IMPL_H */
