/* SPDX-License-Identifier: BSD-2-Clause */
/* The map's life: create (options, shards, seed) and destroy. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/random.h>
#include <time.h>

#include "refs.h"
#include "type.h"

static unsigned default_shards(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	unsigned n = 64;

	/* Many more shards than threads keeps two threads off the same lock
	 * line almost always; bounded so tiny maps stay small. */
	while (cpus > 0 && n < 32u * (unsigned long)cpus && n < 4096)
		n <<= 1;
	return n;
}

static uint64_t random_seed(const void *salt)
{
	uint64_t seed = 0;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return safemap__hash_final((uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)salt);
}

/* A bounded map's shard starts with the groups its share of max_entries
 * needs at load 0.8 of the slots (4/7 in small tables), but the whole map
 * presizes for at most PRESIZE_MAX entries (beyond, shards grow as they
 * fill): a huge bound costs nothing up front. 0 when unbounded. */
#define PRESIZE_MAX 65536u
static uint64_t groups_for(uint64_t share)
{
	uint64_t g = (share * 10 + 8 * SAFEMAP_GROUP_SLOTS - 1) / (8 * SAFEMAP_GROUP_SLOTS);

	/* small tables take less (safemap__tbl_capacity): the same margin */
	while (g < SAFEMAP_LOW_LOAD_GROUPS && safemap__tbl_capacity((uint32_t)g) < share + share / 11)
		g++;
	return g;
}

static uint32_t presize_groups(size_t max_entries, size_t expected, unsigned shards)
{
	uint64_t share = ((uint64_t)max_entries + shards - 1) / shards;
	uint64_t cap = PRESIZE_MAX / shards ? PRESIZE_MAX / shards : 1;
	uint64_t g = 0, want;

	if (max_entries)
		g = groups_for(share < cap ? share : cap);
	/* the explicit hint: its whole share (a table of at most 2^28 groups) */
	want = groups_for(((uint64_t)expected + shards - 1) / shards);
	if (want > g)
		g = want;
	return (uint32_t)(g < (1u << 28) ? g : (1u << 28));
}

static int check_opts(const struct safemap_opts *o)
{
	if (!o->key_size || !o->value_size)
		return safemap__errorf(-EINVAL, "safemap_create: key_size (%zu) and value_size (%zu) must be > 0",
				       o->key_size, o->value_size);
	if (o->key_size > UINT32_MAX / 2 || o->value_size > UINT32_MAX / 2)
		return safemap__errorf(-EINVAL, "safemap_create: key or value size too large");
	if (o->shards && ((o->shards & (o->shards - 1)) || o->shards > SAFEMAP_MAX_SHARDS))
		return safemap__errorf(-EINVAL, "safemap_create: shards (%u) must be a power of two up to %u",
				       o->shards, SAFEMAP_MAX_SHARDS);
	if (o->hash_bits > 64)
		return safemap__errorf(-EINVAL, "safemap_create: hash_bits (%u) must be 0..64",
				       o->hash_bits);
	if (o->alloc && (!o->alloc->malloc || !o->alloc->free))
		return safemap__errorf(-EINVAL, "safemap_create: allocator needs both malloc and free");
	return safemap__type_check_opts(o);
}

/* What create allocates for the map itself, to align it inside. */
#define MAP_RAW_SIZE (sizeof(struct safemap) + SAFEMAP_CACHELINE - 1)

static int init_shards(struct safemap *m, unsigned n)
{
	unsigned i;

	/* the shards, then the thread slots, cache-line aligned */
	m->shards_raw_size = (size_t)n * sizeof(struct safemap_shard) +
			     SAFEMAP_TSLOTS * sizeof(struct safemap_tslot) + SAFEMAP_CACHELINE;
	m->shards_raw = safemap__malloc(m, m->shards_raw_size);
	if (!m->shards_raw)
		return -ENOMEM;
	m->shards = (struct safemap_shard *)(((uintptr_t)m->shards_raw + SAFEMAP_CACHELINE - 1) &
					     ~(uintptr_t)(SAFEMAP_CACHELINE - 1));
	memset(m->shards, 0, m->shards_raw_size - SAFEMAP_CACHELINE);
	m->tslots = (struct safemap_tslot *)(m->shards + n);
	m->shard_mask = n - 1;
	/* the locks start zeroed: free, version 0 (lock.h) */
	for (i = 0; i < n; i++)
		m->shards[i].tslots = m->tslots;
	return 0;
}

int safemap_create(const struct safemap_opts *opts, struct safemap **out)
{
	struct safemap_opts o;
	struct safemap *m;
	size_t name_len;
	void *raw;
	unsigned i;
	int err;

	if (!opts || !out)
		return safemap__errorf(-EINVAL, "safemap_create: NULL %s", opts ? "out" : "opts");
	*out = NULL;
	err = safemap__opts_copy(&o, sizeof(o), opts, "safemap_opts");
	if (err)
		return err;
	err = check_opts(&o);
	if (err)
		return err;

	/* struct safemap is cache-line aligned (the bound's counter has a line
	 * of its own) and no allocator promises 64: over-allocate and align
	 * (issue 13 item 5) */
	raw = o.alloc ? o.alloc->malloc(MAP_RAW_SIZE, o.alloc->ctx) : malloc(MAP_RAW_SIZE);
	if (!raw)
		return safemap__errorf(-ENOMEM, "safemap_create: out of memory");
	m = (struct safemap *)(((uintptr_t)raw + SAFEMAP_CACHELINE - 1) &
			       ~(uintptr_t)(SAFEMAP_CACHELINE - 1));
	memset(m, 0, sizeof(*m));
	m->raw = raw;
	if (o.alloc) {
		m->alloc = *o.alloc;
		m->custom_alloc = true;
	}
	m->key_size = (uint32_t)o.key_size;
	m->value_size = (uint32_t)o.value_size;
	m->value_off = (uint32_t)((o.key_size + 7) & ~(size_t)7);
	safemap__tbl_layout(m);
	m->max_entries = o.max_entries;
	m->event_fn = o.event_fn;
	m->event_ctx = o.event_ctx;
	m->seed = random_seed(m);
	m->hash_bits = o.hash_bits < 64 ? o.hash_bits : 0;
	m->shape88 = m->key_size == 8 && m->value_size == 8 && !m->hash_bits; /* table_impl.h */
	safemap__epoch_init();

	name_len = o.name ? strlen(o.name) : 0;
	m->name = safemap__malloc(m, name_len + 1);
	if (!m->name || init_shards(m, o.shards ? o.shards : default_shards())) {
		safemap__free(m, m->name, name_len + 1);
		safemap__free(m, m->raw, MAP_RAW_SIZE);
		return safemap__errorf(-ENOMEM, "safemap_create: out of memory");
	}
	memcpy(m->name, o.name ? o.name : "", name_len + 1);
	err = safemap__type_init(m, &o);
	if (err) {
		safemap_destroy(m);
		return err;
	}
	if (o.delete_latency && safemap__hist_create(m)) {
		safemap_destroy(m);
		return safemap__errorf(-ENOMEM, "safemap_create: out of memory");
	}
	/* quotas (ops.c) stay below the watermark and max_entries */
	m->portion_limit = m->watermark && m->watermark - 1 < m->max_entries ? m->watermark - 1
									     : m->max_entries;
	m->presize_groups = presize_groups(m->max_entries, o.expected_entries, m->shard_mask + 1);
	for (i = 0; i <= m->shard_mask; i++) {
		m->shards[i].idx = (uint16_t)i;
		/* the explicit hint: every shard's table now, not in the first
		 * insert of each (under its lock, in the caller's hot path) */
		if (o.expected_entries && safemap__tbl_reserve(m, &m->shards[i])) {
			safemap_destroy(m);
			return safemap__errorf(-ENOMEM, "safemap_create: out of memory for expected_entries (%zu)",
					       o.expected_entries);
		}
		/* gwrite.h: the maps whose common writes need no more than a group */
		m->shards[i].fast = SAFEMAP_GROUP_WRITES && !m->nodes && !m->has_finalizer &&
				    !m->max_entries && !m->custom_alloc;
	}
	/* ops.c: the 8/8 writes' one-pass path (write88) */
	m->fast88 = m->shape88 && m->shards[0].fast && !m->delete_hist;
	*out = m;
	return 0;
}

void safemap_destroy(struct safemap *m)
{
	size_t referenced = 0, retired = 0, refs = 0;
	uint32_t i;

	if (!m)
		return;
	/* finalize the values (and those that left the map while referenced),
	 * free tables, nodes and retired memory */
	for (i = 0; i <= m->shard_mask; i++) {
		struct safemap_shard *s = &m->shards[i];

		safemap__tbl_destroy(m, s, &referenced, &refs, &retired);
		safemap__lock_destroy(&s->lock);
	}
	if (referenced)
		safemap__log(SAFEMAP_LOG_WARN,
			     "safemap_destroy: map '%s': %zu entries still referenced (%zu references not dropped; "
			     "%zu of the entries deleted, replaced or cleared): safemap_ref_put() missing",
			     m->name, referenced, refs, retired);
	safemap__type_fini(m);
	safemap__hist_destroy(m);
	safemap__gw_free_rows(m);
	safemap__free(m, m->shards_raw, m->shards_raw_size);
	safemap__free(m, m->name, strlen(m->name) + 1);
	safemap__free(m, m->raw, MAP_RAW_SIZE);
}

const char *safemap_name(const struct safemap *m)
{
	return m ? m->name : "";
}

unsigned safemap_shard_count(const struct safemap *m)
{
	return m ? m->shard_mask + 1 : 0;
}
