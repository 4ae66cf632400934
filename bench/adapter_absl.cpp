/* SPDX-License-Identifier: BSD-2-Clause */
/* absl::flat_hash_map alone, no lock: the single-thread ceiling (open
 * addressing, SwissTable probing; about one cache line per operation). */
#include <absl/container/flat_hash_map.h>

#include "bench_maps.h"

namespace {
using map_t = absl::flat_hash_map<uint64_t, uint64_t>;

void *create(size_t expected)
{
	auto *m = new map_t;

	m->reserve(expected); /* 0: nothing */
	return m;
}
void destroy(void *m) { delete static_cast<map_t *>(m); }

bool get(void *m, uint64_t k, uint64_t *v)
{
	auto *t = static_cast<map_t *>(m);
	auto it = t->find(k);

	if (it == t->end())
		return false;
	*v = it->second;
	return true;
}

bool insert(void *m, uint64_t k, uint64_t v) { return static_cast<map_t *>(m)->try_emplace(k, v).second; }
bool remove(void *m, uint64_t k) { return static_cast<map_t *>(m)->erase(k); }

bool update(void *m, uint64_t k, uint64_t v)
{
	auto *t = static_cast<map_t *>(m);
	auto it = t->find(k);

	if (it == t->end())
		return false;
	it->second = v;
	return true;
}

size_t size(void *m) { return static_cast<map_t *>(m)->size(); }
} // namespace

extern "C" const struct bench_map bench_absl = {
	"absl (1T)", BENCH_SINGLE_THREAD | BENCH_PRESIZE, create, destroy, nullptr, nullptr,
	get, insert, remove, update, size, nullptr,
};
