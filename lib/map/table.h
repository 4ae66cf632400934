/* SPDX-License-Identifier: BSD-2-Clause */
/* The per-shard table: open addressing in groups of 14 slots. The only code
 * that knows slots, tags and groups; the rest of lib/map uses the functions
 * below (find, insert, erase, set, reference, iterate, clear, destroy, the
 * optimistic get).
 *
 * Layout. A table is one allocation: a 64-byte header (struct safemap_tbl,
 * never written after it is built, so readers' copies stay valid) on a
 * 64-byte boundary, then ngroups groups. A group is 16 control bytes, the
 * group word (4 bytes, then 4 spare), then 14 slots of m->slot_size bytes
 * (an 8/8 group: 248 bytes, padded to 4 lines). Control bytes 0..13 are the
 * slots' tags: 0 = empty, else bits 0-6 are 7 bits of the key's hash
 * (1..127) and bit 7 is the slot's node bit (inline maps, below); byte 14
 * stays 0. The group word is the lock and version of group writers
 * (gwrite.h; table_impl.h: safemap__group_word). Byte 15 is the group's overflow bits: bit
 * (hash >> 48) & 7 is set when an entry with such a hash was placed past
 * this group because it was full; a lookup stops at the first group on its
 * path without its bit (Boost's concurrent_flat_map does the same). Erasing
 * leaves no tombstone; erasures of entries whose overflow bit is set in
 * their group (they keep probes long) are counted, and after half of
 * the capacity of them the next insert rehashes (at the same size, unless
 * the table is nearly full). One hash: shard from bits 32.., group from bits
 * 0-31 (multiply-shift onto any group count), overflow bit from 48-50, tag
 * from 57-63. A lookup matches a group's 14 tags in one SSE2 compare (or
 * two 64-bit SWAR steps without SSE2).
 *
 * Slots. Small entries (key rounded to 8 + value rounded to 8 <= 32 bytes:
 * "inline maps") live in the slot: key at 0, value at m->value_off. Larger
 * ones ("node maps") live in a node (struct safemap_node) and the slot holds
 * its pointer.
 *
 * References need bytes that never change. In a node map a reference holds
 * the node itself (node->refs; the map holds 1 while the node is linked). In
 * an inline map the first reference to an entry copies it into a node on the
 * shard's list of referenced entries (s->refnodes, found by hash and key)
 * and sets the slot's node bit (the only write done under a read lock, by
 * get_ref holding s->reflock; lookups ignore the bit); the slot stays
 * inline, so readers never see it change. A write that replaces or erases such an entry detaches its
 * node: the map's share of node->refs goes, and whoever drops the last one
 * finalizes the node's copy (which is the value that left the map) and frees
 * it. A node that leaves the map while referenced goes on its shard's list
 * s->retired (write lock); its last reference finalizes it and marks it
 * dead, and frees it under the shard's write lock (from inside a foreach
 * callback of the map, the walk does that once it has left the shard:
 * safemap__iter_defer_free(), iter.c); a writer that retires a node also
 * frees the dead ones it finds; destroy finalizes what is
 * still referenced there and reports it. A replace while only the map holds the node updates the node too and
 * keeps it (the next reference finds the same bytes at the same address).
 * Optimistic readers never read those nodes, so they are freed at once.
 *
 * Sizing. At most 7/8 of the slots are used, 5/8 in tables of fewer than
 * 64 groups (safemap__tbl_capacity; s->growth_left counts what is left
 * before a rehash). Growth doubles small tables (< 512 groups) and adds
 * half to larger ones, so that a large table's load stays between 0.58 and
 * 0.875; a shard that has fallen below 1/8 of its capacity is rehashed to
 * half load on a delete (tables of >= 16 groups), and a shard that went empty
 * frees its table. A bounded map's shard starts with room for its share of
 * max_entries, up to 65536 entries for the whole map. Old arrays are retired
 * (epoch.h), never freed while a reader may be in them.
 *
 * Locking. Everything but the optimistic get, safemap__tbl_ref() and group
 * writes (gwrite.h: safemap__tbl_group_write_as, under their groups' words)
 * runs under the shard's write lock (or read lock for find and iteration).
 * Optimistic readers validate both the shard's version and the version of
 * every group they read.
 *
 * Speed. The hot functions (table_impl.h) take the map's shape (struct
 * safemap_shape: key, value, slot and group sizes, nodes or not) and are
 * always inlined: the map's calls use them with the constant
 * SAFEMAP_SHAPE_88 for 8-byte keys and values (multiplies become shifts,
 * compares and copies single moves), with the map's own sizes for any
 * other shape. A lookup asks for every line of its first group at once
 * (safemap__group_prefetch), so the slot's line is on its way while the
 * control bytes are matched. Insert, replace and erase of an inline map's
 * unreferenced entries without a finalizer are inlined; everything else
 * (growth, shrink, nodes, references) calls table.c.
 */
#ifndef SAFEMAP_LIB_MAP_TABLE_H
#define SAFEMAP_LIB_MAP_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "epoch.h"

struct safemap;
struct safemap_shard;

#define SAFEMAP_GROUP_SLOTS 14
#define SAFEMAP_GROUP_HDR 24 /* control bytes, then the group word (and 4 spare bytes) */
#define SAFEMAP_INLINE_MAX 32 /* largest inline slot */
#define SAFEMAP_TAG_NODE 0x80u
#define SAFEMAP_LIMBO_BYTES (16u * 1024u) /* retired bytes before a grace period */
#define SAFEMAP_SLOTS_MASK 0x3fffu
#define SAFEMAP_SHRINK_MIN_GROUPS 16u /* smaller tables never shrink */

/* on a 64-byte boundary inside its allocation (allocator hooks need give
 * no more than 8-byte alignment) */
struct safemap_tbl {
	struct safemap_retired r; /* r.bytes: the allocation's size, bit 0 set (table.c) */
	uint32_t ngroups;
	uint32_t off;             /* the table starts this far into its allocation */
	unsigned char pad[40];
	unsigned char groups[]; /* at offset 64: a line of its own for the header */
};

_Static_assert(__builtin_offsetof(struct safemap_tbl, groups) == 64, "table header: 64 bytes");

/* An entry out of line: a node map's entry, or an inline map's referenced
 * copy. refs: see above. */
struct safemap_node {
	struct safemap_retired r; /* r.next: limbo, or s->refnodes while attached */
	struct safemap_node *rnext; /* s->retired: left the map while referenced */
	uint64_t hash;
	uint32_t refs;
	uint32_t dead;              /* on s->retired: the last reference is gone */
	unsigned char data[] __attribute__((aligned(8))); /* key, value at m->value_off */
};

/* Where a found entry is: its tag byte and its slot. */
struct safemap_pos {
	uint8_t *grp;
	uint8_t *tag;
	unsigned char *slot;
};

/* ---- group matching */

static inline uint8_t safemap__tag(uint64_t h)
{
	uint8_t t = (uint8_t)(h >> 57);

	return (uint8_t)(t + !t);
}

static inline uint8_t safemap__overflow_bit(uint64_t h)
{
	return (uint8_t)(1u << ((h >> 48) & 7));
}

/* Is @p h's overflow bit set in the group at @p grp (its byte 15: other
 * groups' writers set bits in it, hence atomic)? A shift, not a mask:
 * two instructions fewer. */
static inline bool safemap__overflowed(const uint8_t *grp, uint64_t h)
{
	return (__atomic_load_n(&grp[15], __ATOMIC_RELAXED) >> ((h >> 48) & 7)) & 1;
}

static inline uint32_t safemap__group_of(uint64_t h, uint32_t ngroups)
{
	return (uint32_t)(((uint64_t)(uint32_t)h * ngroups) >> 32);
}

#if defined(SAFEMAP_TSAN)
/* ThreadSanitizer builds: get_ref sets node bits under a read lock while
 * other read-lock holders match tags, so tags are read one atomic byte at a
 * time (optimistic gets are compiled out there). */
static inline uint32_t safemap__match(const uint8_t *ctrl, uint8_t t)
{
	uint32_t r = 0;
	unsigned i;

	for (i = 0; i < SAFEMAP_GROUP_SLOTS; i++)
		r |= (uint32_t)((__atomic_load_n(&ctrl[i], __ATOMIC_RELAXED) & 0x7f) == t) << i;
	return r;
}

static inline uint32_t safemap__match_empty(const uint8_t *ctrl)
{
	uint32_t r = 0;
	unsigned i;

	for (i = 0; i < SAFEMAP_GROUP_SLOTS; i++)
		r |= (uint32_t)(__atomic_load_n(&ctrl[i], __ATOMIC_RELAXED) == 0) << i;
	return r;
}
#elif defined(__SSE2__)
/* slots whose tag (node bit ignored) is @p t */
static inline uint32_t safemap__match(const uint8_t *ctrl, uint8_t t)
{
	__m128i c = _mm_loadu_si128((const __m128i *)(const void *)ctrl);

	c = _mm_and_si128(c, _mm_set1_epi8(0x7f));
	return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_set1_epi8((char)t))) &
	       SAFEMAP_SLOTS_MASK;
}

static inline uint32_t safemap__match_empty(const uint8_t *ctrl)
{
	__m128i c = _mm_loadu_si128((const __m128i *)(const void *)ctrl);

	return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_setzero_si128())) &
	       SAFEMAP_SLOTS_MASK;
}
#else
/* SWAR: bit 7 of each byte of @p y set iff that byte is 0 (exact) */
static inline uint64_t safemap__zero_bytes(uint64_t y)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;

	return ~(((y & lo7) + lo7) | y | lo7);
}

/* bit 7 of each byte -> one bit per byte */
static inline uint32_t safemap__gather(uint64_t z)
{
	return (uint32_t)(((z >> 7) * 0x0102040810204080ull) >> 56);
}

static inline uint32_t safemap__match(const uint8_t *ctrl, uint8_t t)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t a, b;

	memcpy(&a, ctrl, 8);
	memcpy(&b, ctrl + 8, 8);
	a = (a & 0x7f7f7f7f7f7f7f7full) ^ (ones * t);
	b = (b & 0x7f7f7f7f7f7f7f7full) ^ (ones * t);
	return (safemap__gather(safemap__zero_bytes(a)) |
		safemap__gather(safemap__zero_bytes(b)) << 8) & SAFEMAP_SLOTS_MASK;
}

static inline uint32_t safemap__match_empty(const uint8_t *ctrl)
{
	uint64_t a, b;

	memcpy(&a, ctrl, 8);
	memcpy(&b, ctrl + 8, 8);
	return (safemap__gather(safemap__zero_bytes(a)) |
		safemap__gather(safemap__zero_bytes(b)) << 8) & SAFEMAP_SLOTS_MASK;
}
#endif

/* ---- the interface (table.c unless inline) */

/* Derive the map's slot layout from its key and value sizes (create). */
SAFEMAP_HIDDEN void safemap__tbl_layout(struct safemap *m);

/* Find @p key (hash @p h) in shard @p s (a lock held): true and @p pos. */
static inline bool safemap__tbl_find(const struct safemap *m, struct safemap_shard *s,
				     const void *key, uint64_t h, struct safemap_pos *pos);
/* The found entry's key and value (stable while the lock is held). */
static inline void *safemap__tbl_key(const struct safemap *m, const struct safemap_pos *pos);
static inline void *safemap__tbl_value(const struct safemap *m, const struct safemap_pos *pos);

/* Give @p s, which has no table yet, its presized one (m->presize_groups
 * groups), as create() does for a map given expected_entries: no lock (the
 * map is not shared yet). 0 or -ENOMEM. */
SAFEMAP_HIDDEN int safemap__tbl_reserve(struct safemap *m, struct safemap_shard *s);
/* Insert @p key (absent) with @p value. Write lock. 0 or -ENOMEM (unchanged). */
SAFEMAP_HIDDEN int safemap__tbl_insert(struct safemap *m, struct safemap_shard *s,
				       const void *key, const void *value, uint64_t h);
/* Erase the found entry; its value leaves the map (finalized now, or by the
 * last reference). May shrink the table (an allocation that fails just
 * keeps the table). Write lock. */
SAFEMAP_HIDDEN void safemap__tbl_erase(struct safemap *m, struct safemap_shard *s,
				       struct safemap_pos *pos, uint64_t h);
/* An erase left @p s empty or below 1/8 of its capacity
 * (safemap__tbl_should_shrink): free its table, or rehash it to half load
 * (an allocation that fails keeps the table). Write lock. */
SAFEMAP_HIDDEN void safemap__tbl_shrink(struct safemap *m, struct safemap_shard *s);
/* Replace the found entry's value; the old one leaves the map. Write lock.
 * 0 or -ENOMEM (a node map replacing a referenced value; unchanged). */
SAFEMAP_HIDDEN int safemap__tbl_set(struct safemap *m, struct safemap_shard *s,
				    struct safemap_pos *pos, uint64_t h, const void *value);
/* Take a reference to the found entry (read or write lock held by the
 * caller): the node, or NULL with -ENOMEM / -EOVERFLOW in @p err. */
SAFEMAP_HIDDEN struct safemap_node *safemap__tbl_ref(struct safemap *m, struct safemap_shard *s,
						     struct safemap_pos *pos, uint64_t h,
						     int *err);
/* Drop a reference (no lock needed): the last one of a value that left the
 * map finalizes and frees it. */
SAFEMAP_HIDDEN void safemap__node_put(struct safemap *m, struct safemap_node *n);
/* Free the nodes on @p s's retired list whose last reference is gone: takes
 * and releases @p s's write lock (the caller holds no lock of the map). */
SAFEMAP_HIDDEN void safemap__retired_drain(struct safemap *m, struct safemap_shard *s);
/* Remove every entry (write lock); returns how many. Frees the table. */
SAFEMAP_HIDDEN size_t safemap__tbl_clear(struct safemap *m, struct safemap_shard *s);
/* The map is being destroyed: finalize what is in @p s and what left it
 * while referenced, free everything; counts what was still referenced in
 * @p entries, @p refs (references not dropped) and @p retired (of those
 * entries, the ones no longer in the map), logging a line for each of the
 * first 32. */
SAFEMAP_HIDDEN void safemap__tbl_destroy(struct safemap *m, struct safemap_shard *s,
					 size_t *entries, size_t *refs, size_t *retired);
/* What s->reclaim asks of the writer that unlocks @p s: hand retired
 * memory back once no reader can hold it; make the next table, which the
 * growth soon due will take (table.c: want_spare), outside the lock. */
#define SAFEMAP_RECLAIM_MEMORY 1u
#define SAFEMAP_RECLAIM_SPARE 2u
/* Do it (no lock held); writers call it after unlocking when s->reclaim
 * is set. */
SAFEMAP_HIDDEN void safemap__tbl_reclaim(struct safemap *m, struct safemap_shard *s);

/* Iteration over a shard's entries (its lock held throughout). */
struct safemap_tbl_it {
	struct safemap_tbl *t;
	uint32_t g, i;
};
static inline void safemap__tbl_it_init(struct safemap_shard *s, struct safemap_tbl_it *it);
static inline bool safemap__tbl_it_next(const struct safemap *m, struct safemap_tbl_it *it,
					struct safemap_pos *pos);

#endif /* SAFEMAP_LIB_MAP_TABLE_H */
