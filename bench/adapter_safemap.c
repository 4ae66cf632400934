/* SPDX-License-Identifier: BSD-2-Clause */
/* libsafemap with its defaults (shards derived from the CPU count). */
#include <safemap/safemap.h>

#include "bench_maps.h"

static void *sm_create(size_t expected)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "bench", .key_size = 8, .value_size = 8,
		     .expected_entries = expected);
	struct safemap *m = NULL;

	return safemap_create(&o, &m) ? NULL : m;
}

static void sm_destroy(void *m) { safemap_destroy(m); }
static bool sm_get(void *m, uint64_t k, uint64_t *v) { return safemap_get(m, &k, v) == 0; }
static bool sm_remove(void *m, uint64_t k) { return safemap_delete(m, &k) == 0; }
static size_t sm_size(void *m) { return safemap_count(m); }

static bool sm_insert(void *m, uint64_t k, uint64_t v)
{
	return safemap_put(m, &k, &v, SAFEMAP_NOEXIST) == 0;
}

static bool sm_update(void *m, uint64_t k, uint64_t v)
{
	return safemap_put(m, &k, &v, SAFEMAP_EXIST) == 0;
}

const struct bench_map bench_safemap = {
	.name = "libsafemap",
	.flags = BENCH_PRESIZE,
	.create = sm_create,
	.destroy = sm_destroy,
	.get = sm_get,
	.insert = sm_insert,
	.remove = sm_remove,
	.update = sm_update,
	.size = sm_size,
};
