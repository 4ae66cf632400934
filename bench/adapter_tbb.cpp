/* SPDX-License-Identifier: BSD-2-Clause */
/* Intel oneTBB concurrent_hash_map with its default hash_compare. */
#include <tbb/concurrent_hash_map.h>

#include "bench_maps.h"

namespace {
using map_t = tbb::concurrent_hash_map<uint64_t, uint64_t>;

void *create(size_t expected)
{
	auto *m = new map_t;

	if (expected)
		m->rehash(expected); /* buckets for @expected entries */
	return m;
}
void destroy(void *m) { delete static_cast<map_t *>(m); }

bool get(void *m, uint64_t k, uint64_t *v)
{
	map_t::const_accessor a;

	if (!static_cast<map_t *>(m)->find(a, k))
		return false;
	*v = a->second;
	return true;
}

bool insert(void *m, uint64_t k, uint64_t v)
{
	return static_cast<map_t *>(m)->insert(map_t::value_type(k, v));
}

bool remove(void *m, uint64_t k) { return static_cast<map_t *>(m)->erase(k); }

bool update(void *m, uint64_t k, uint64_t v)
{
	map_t::accessor a;

	if (!static_cast<map_t *>(m)->find(a, k))
		return false;
	a->second = v;
	return true;
}

size_t size(void *m) { return static_cast<map_t *>(m)->size(); }
} // namespace

extern "C" const struct bench_map bench_tbb = {
	"TBB chm", BENCH_PRESIZE, create, destroy, nullptr, nullptr, get, insert, remove, update, size, nullptr,
};
