/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-shard entry slabs and the map's pool of uthash blocks (slab.h). */
#include <stdlib.h>

#include "map_internal.h"

#define FIRST_CHUNK_ENTRIES 8u
#define MAX_CHUNK_BYTES (64u * 1024u)

/* Chunks and pool blocks are 16-byte aligned: the allocator hook need not
 * be (map.h), so each allocation asks for ALIGN_SLACK more and aligns
 * inside it, keeping what the hook returned for the free (issue 13 item 5). */
#define BLOCK_ALIGN 16u
#define ALIGN_SLACK (BLOCK_ALIGN - 1)

static void *align_up(void *raw)
{
	return (void *)(((uintptr_t)raw + ALIGN_SLACK) & ~(uintptr_t)ALIGN_SLACK);
}

struct safemap_chunk {
	struct safemap_chunk *next;
	size_t bytes;     /* what was allocated, at raw */
	void *raw;        /* what the allocator returned */
	/* entries follow, each m->entry_size bytes */
	unsigned char data[] __attribute__((aligned(BLOCK_ALIGN)));
};

struct safemap_entry *safemap__slab_grow(struct safemap *m, struct safemap_shard *s)
{
	struct safemap_slab *sl = &s->slab;
	size_t n = s->chunk_entries ? s->chunk_entries : FIRST_CHUNK_ENTRIES;
	size_t bytes = sizeof(struct safemap_chunk) + n * m->entry_size + ALIGN_SLACK;
	void *raw = safemap__malloc(m, bytes);
	struct safemap_chunk *c;

	if (!raw)
		return NULL;
	c = align_up(raw);
	c->raw = raw;
	c->bytes = bytes;
	c->next = s->chunks;
	s->chunks = c;
	sl->next = c->data;
	sl->end = c->data + n * m->entry_size;
	if (n * 2 * m->entry_size <= MAX_CHUNK_BYTES)
		n *= 2;
	s->chunk_entries = (uint32_t)n;
	return safemap__slab_carve(m, s);
}

void safemap__slab_destroy(struct safemap *m, struct safemap_shard *s)
{
	struct safemap_chunk *c = s->chunks, *next;

	for (; c; c = next) {
		next = c->next;
		safemap__free(m, c->raw, c->bytes);
	}
	s->slab = (struct safemap_slab){ .free = NULL };
	s->chunks = NULL;
	s->chunk_entries = 0;
}

/* ---- the pool of uthash blocks */

struct safemap_pool_block {
	struct safemap_pool_block *next_free; /* in its bin, while pooled */
	struct safemap_pool_block *next_all;
	size_t size; /* what uthash asked for */
	void *raw;   /* what the allocator returned (sizeof(*b) + size + ALIGN_SLACK) */
	/* the block uthash sees follows */
	unsigned char data[] __attribute__((aligned(BLOCK_ALIGN)));
};

static unsigned bin_of(size_t size)
{
	return size ? (unsigned)(64 - __builtin_clzll(size)) & (SAFEMAP_POOL_BINS - 1) : 0;
}

void safemap__pool_init(struct safemap *m)
{
	pthread_mutex_init(&m->pool.lock, NULL);
}

void *safemap__pool_malloc(struct safemap *m, size_t size)
{
	struct safemap_pool *p = &m->pool;
	struct safemap_pool_block **pb, *b;
	unsigned i = bin_of(size);
	void *raw;

	pthread_mutex_lock(&p->lock);
	for (pb = &p->bin[i]; (b = *pb); pb = &b->next_free) {
		if (b->size == size) {
			*pb = b->next_free;
			pthread_mutex_unlock(&p->lock);
			return b->data;
		}
	}
	raw = safemap__malloc(m, sizeof(*b) + size + ALIGN_SLACK);
	b = raw ? align_up(raw) : NULL;
	if (b) {
		b->raw = raw;
		b->size = size;
		b->next_free = NULL;
		b->next_all = p->all;
		p->all = b;
	}
	pthread_mutex_unlock(&p->lock);
	return b ? b->data : NULL;
}

void safemap__pool_free(struct safemap *m, void *ptr, size_t size)
{
	struct safemap_pool *p = &m->pool;
	struct safemap_pool_block *b;
	unsigned i;

	(void)size; /* the block knows its size */
	if (!ptr)
		return;
	/* the block's contents stay as they are: a stale reader may look */
	b = (struct safemap_pool_block *)((unsigned char *)ptr - offsetof(struct safemap_pool_block, data));
	i = bin_of(b->size);
	pthread_mutex_lock(&p->lock);
	b->next_free = p->bin[i];
	p->bin[i] = b;
	pthread_mutex_unlock(&p->lock);
}

void safemap__pool_destroy(struct safemap *m)
{
	struct safemap_pool_block *b = m->pool.all, *next;

	for (; b; b = next) {
		next = b->next_all;
		safemap__free(m, b->raw, sizeof(*b) + b->size + ALIGN_SLACK);
	}
	m->pool.all = NULL;
	pthread_mutex_destroy(&m->pool.lock);
}
