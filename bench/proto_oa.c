/* SPDX-License-Identifier: BSD-2-Clause */
/* PROTOTYPE, benchmark only: libsafemap's core with another per-shard table.
 *
 * Everything around the table is what lib/map does: the same seeded hash
 * (lib/map/hash.h), shard from the high 32 bits, 64 cache-line-aligned
 * shards each with libsafemap's shard lock (lib/map/lock.h: reader-writer
 * lock + version in one word), optimistic validated gets (3 tries, then the
 * read lock), entries
 * from per-shard slabs with a free list, old tables kept until destroy,
 * get counts in a per-thread line, write counts under the lock.
 *
 * The table is not uthash but open addressing: groups of 7 slots in one
 * cache line (7 one-byte hash tags, an overflow count, 7 entry pointers),
 * probing group after group; the overflow count of a group says how many
 * entries were placed beyond it, so a lookup stops at the first group with
 * none and a delete never leaves a tombstone. Entries stay out of line (as
 * libsafemap's must: references keep an entry's address) but shrink to an
 * 8-byte header (32-bit hash, a word for a reference count) plus key and
 * value, instead of uthash's 56-byte handle.
 *
 * Only what bench_maps needs: 8-byte keys and values, no max_entries, no
 * events; -ENOMEM is not handled (the benchmark would exit). It exists to
 * show, in the same run, what the table costs (bench/RESULTS.md). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../lib/map/hash.h"
#include "../lib/map/lock.h"
#include "bench_maps.h"

#define SHARDS 64
#define SLOTS 7
#define TRIES 3
#define CHUNK_BYTES (64 * 1024)

struct oa_entry {
	uint32_t hash;
	uint32_t refs; /* unused here: the place libsafemap's reference count takes */
	uint64_t key, value;
};

struct oa_group {
	uint8_t tag[SLOTS]; /* 0 = empty, else 0x80 | 7 bits of the hash */
	uint8_t overflow;   /* entries whose probe passed this group (saturates) */
	struct oa_entry *e[SLOTS];
} __attribute__((aligned(64)));

struct oa_old { /* a replaced group array, kept until destroy */
	struct oa_old *next;
};

struct oa_chunk {
	struct oa_chunk *next;
};

struct oa_shard {
	struct safemap_lock lock; /* lib/map/lock.h, as libsafemap's shards */
	unsigned gmask;           /* groups - 1 */
	struct oa_group *groups;  /* NULL while empty */
	size_t count;
	size_t grow_at;
	/* slab */
	struct oa_entry *free;
	struct oa_entry *next, *end; /* the uncarved part of the newest chunk */
	struct oa_chunk *chunks;
	struct oa_old *old;
	uint64_t ops[4];
} __attribute__((aligned(64)));

struct oa_map {
	struct oa_shard shards[SHARDS];
	uint64_t seed;
};

static __thread uint64_t oa_gets; /* the per-thread get count */

static inline uint8_t tag_of(uint32_t h)
{
	return (uint8_t)(0x80 | (h >> 25));
}

static void *oa_create(size_t expected)
{
	struct oa_map *m = aligned_alloc(64, sizeof(*m));

	(void)expected;
	if (!m)
		return NULL;
	memset(m, 0, sizeof(*m));
	if (getrandom(&m->seed, sizeof(m->seed), 0) != sizeof(m->seed))
		m->seed = 0x1234567;
	return m;
}

static void oa_destroy(void *p)
{
	struct oa_map *m = p;
	int i;

	for (i = 0; i < SHARDS; i++) {
		struct oa_shard *s = &m->shards[i];

		while (s->chunks) {
			struct oa_chunk *c = s->chunks;

			s->chunks = c->next;
			free(c);
		}
		while (s->old) {
			struct oa_old *o = s->old;

			s->old = o->next;
			free(o);
		}
		free(s->groups);
	}
	free(m);
}

static inline struct oa_shard *shard_of(struct oa_map *m, uint64_t h)
{
	return &m->shards[(h >> 32) & (SHARDS - 1)];
}

static void wrlock(struct oa_shard *s, int op)
{
	safemap__lock_wr(&s->lock);
	__atomic_store_n(&s->ops[op], s->ops[op] + 1, __ATOMIC_RELAXED);
}

static void wrunlock(struct oa_shard *s)
{
	safemap__lock_wrunlock(&s->lock);
}

static struct oa_entry *entry_alloc(struct oa_shard *s)
{
	struct oa_entry *e = s->free;
	struct oa_chunk *c;

	if (e) {
		s->free = (struct oa_entry *)(uintptr_t)e->value;
		return e;
	}
	if (!s->next || s->next + 1 > s->end) {
		c = malloc(CHUNK_BYTES);
		if (!c)
			abort();
		c->next = s->chunks;
		s->chunks = c;
		s->next = (struct oa_entry *)((char *)c + 16);
		s->end = (struct oa_entry *)((char *)c + CHUNK_BYTES);
	}
	return s->next++;
}

static void entry_free(struct oa_shard *s, struct oa_entry *e)
{
	e->value = (uint64_t)(uintptr_t)s->free;
	s->free = e;
}

/* Find @key (lock held): its group and slot, or false. */
static bool find(struct oa_shard *s, uint64_t key, uint32_t h, struct oa_group **gp, int *slot)
{
	uint8_t t = tag_of(h);
	unsigned g = h & s->gmask, n;

	if (!s->groups)
		return false;
	for (n = 0; n <= s->gmask; n++, g = (g + 1) & s->gmask) {
		struct oa_group *gr = &s->groups[g];
		int i;

		for (i = 0; i < SLOTS; i++)
			if (gr->tag[i] == t && gr->e[i]->key == key) {
				*gp = gr;
				*slot = i;
				return true;
			}
		if (!gr->overflow)
			return false;
	}
	return false;
}

/* Place @e (hash @h) in @groups: the first free slot on its probe path. */
static void place(struct oa_group *groups, unsigned gmask, struct oa_entry *e, uint32_t h)
{
	unsigned g = h & gmask;

	for (;; g = (g + 1) & gmask) {
		struct oa_group *gr = &groups[g];
		int i;

		for (i = 0; i < SLOTS; i++)
			if (!gr->tag[i]) {
				gr->e[i] = e;
				gr->tag[i] = tag_of(h);
				return;
			}
		if (gr->overflow < 255)
			gr->overflow++;
	}
}

static void grow(struct oa_shard *s)
{
	unsigned ng = s->groups ? (s->gmask + 1) * 2 : 4, g;
	struct oa_group *groups = aligned_alloc(64, ng * sizeof(*groups));
	int i;

	if (!groups)
		abort();
	memset(groups, 0, ng * sizeof(*groups));
	if (s->groups) {
		for (g = 0; g <= s->gmask; g++)
			for (i = 0; i < SLOTS; i++)
				if (s->groups[g].tag[i])
					place(groups, ng - 1, s->groups[g].e[i], s->groups[g].e[i]->hash);
		/* readers may still walk the old array: keep it */
		((struct oa_old *)(void *)s->groups)->next = s->old;
		s->old = (struct oa_old *)(void *)s->groups;
	}
	__atomic_store_n(&s->groups, groups, __ATOMIC_RELAXED);
	__atomic_store_n(&s->gmask, ng - 1, __ATOMIC_RELAXED);
	s->grow_at = (size_t)ng * SLOTS * 13 / 16; /* load 0.81 */
}

/* The old array is kept for stale readers, but its first word now links
 * the list of old arrays: a reader that reads it as tags just sees a
 * non-matching group, and e[] is untouched. */

static int oa_put(struct oa_map *m, uint64_t key, uint64_t value, int flags)
{
	uint64_t h = safemap__hash(&key, 8, m->seed);
	struct oa_shard *s = shard_of(m, h);
	struct oa_group *gr;
	struct oa_entry *e;
	int slot, err = 0;

	wrlock(s, 0);
	if (find(s, key, (uint32_t)h, &gr, &slot)) {
		if (flags == 1)
			err = -EEXIST;
		else
			gr->e[slot]->value = value;
	} else if (flags == 2) {
		err = -ENOENT;
	} else {
		if (s->count >= s->grow_at)
			grow(s);
		e = entry_alloc(s);
		e->hash = (uint32_t)h;
		e->key = key;
		e->value = value;
		place(s->groups, s->gmask, e, (uint32_t)h);
		s->count++;
	}
	wrunlock(s);
	return err;
}

static bool oa_remove(void *p, uint64_t key)
{
	struct oa_map *m = p;
	uint64_t h = safemap__hash(&key, 8, m->seed);
	struct oa_shard *s = shard_of(m, h);
	struct oa_group *gr;
	int slot;
	bool found;

	wrlock(s, 1);
	found = find(s, key, (uint32_t)h, &gr, &slot);
	if (found) {
		unsigned g = (uint32_t)h & s->gmask;

		/* undo the overflow counts on the path to the entry's group */
		for (; &s->groups[g] != gr; g = (g + 1) & s->gmask)
			if (s->groups[g].overflow < 255)
				s->groups[g].overflow--;
		entry_free(s, gr->e[slot]);
		gr->tag[slot] = 0;
		s->count--;
	}
	wrunlock(s);
	return found;
}

static bool oa_get(void *p, uint64_t key, uint64_t *v)
{
	struct oa_map *m = p;
	uint64_t h = safemap__hash(&key, 8, m->seed);
	struct oa_shard *s = shard_of(m, h);
	uint8_t t = tag_of((uint32_t)h);
	int tries, found = -1;
	struct oa_group *gr;
	int slot;

	oa_gets++;
	for (tries = 0; tries < TRIES; tries++) {
		uint64_t q = safemap__lock_read_begin(&s->lock);
		struct oa_group *groups = __atomic_load_n(&s->groups, __ATOMIC_RELAXED);
		unsigned gmask = __atomic_load_n(&s->gmask, __ATOMIC_RELAXED), g, n;

		if ((q & SAFEMAP_LOCK_W) || !safemap__lock_read_valid(&s->lock, q))
			continue;
		found = 0;
		g = (uint32_t)h & gmask;
		for (n = 0; groups && n <= gmask; n++, g = (g + 1) & gmask) {
			struct oa_group *gp = &groups[g];
			uint64_t tags, x, match;

			memcpy(&tags, gp, 8); /* 7 tags + the overflow byte */
			x = (tags ^ (0x0101010101010101ull * t)) | 0xff00000000000000ull;
			match = (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
			while (match) {
				int i = __builtin_ctzll(match) >> 3;
				struct oa_entry *e = __atomic_load_n(&gp->e[i], __ATOMIC_RELAXED);

				match &= match - 1;
				if (e && __atomic_load_n(&e->key, __ATOMIC_RELAXED) == key) {
					*v = __atomic_load_n(&e->value, __ATOMIC_RELAXED);
					found = 1;
					goto done;
				}
			}
			if (!(tags >> 56))
				break;
		}
done:
		if (safemap__lock_read_valid(&s->lock, q))
			return found;
		found = -1;
	}
	safemap__lock_rd(&s->lock);
	found = find(s, key, (uint32_t)h, &gr, &slot);
	if (found)
		*v = gr->e[slot]->value;
	safemap__lock_rdunlock(&s->lock);
	return found;
}

static bool oa_insert(void *m, uint64_t k, uint64_t v) { return oa_put(m, k, v, 1) == 0; }
static bool oa_update(void *m, uint64_t k, uint64_t v) { return oa_put(m, k, v, 2) == 0; }

static size_t oa_size(void *p)
{
	struct oa_map *m = p;
	size_t n = 0;
	int i;

	for (i = 0; i < SHARDS; i++)
		n += m->shards[i].count;
	return n;
}

const struct bench_map bench_proto_oa = {
	.name = "proto: OA table",
	.flags = BENCH_VARIANT,
	.create = oa_create,
	.destroy = oa_destroy,
	.get = oa_get,
	.insert = oa_insert,
	.remove = oa_remove,
	.update = oa_update,
	.size = oa_size,
};
