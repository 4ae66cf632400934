/* SPDX-License-Identifier: BSD-2-Clause */
/* Boost's concurrent_flat_map (Boost.Unordered, open addressing in groups of
 * 15 slots with SIMD tag matching, per-group locks), default hash: a LOCAL
 * REFERENCE, not a Debian peer. Debian 12's Boost (1.81) predates it, so it
 * is built only when CMake is given SAFEMAP_BENCH_BOOST_INCLUDE=<dirs>: the
 * include/ directories of boostorg/unordered and the libraries it needs
 * from newer sources (core, container_hash, config, assert, mp11, predef,
 * static_assert, throw_exception, type_traits), searched before Debian's
 * libboost1.81-dev. Flag BENCH_LOCAL: shown beside the peers, never the
 * "best peer". */
#include <boost/unordered/concurrent_flat_map.hpp>

#include "bench_maps.h"

namespace {
using map_t = boost::concurrent_flat_map<uint64_t, uint64_t>;

void *create(size_t expected)
{
	auto *m = new map_t;

	if (expected)
		m->reserve(expected);
	return m;
}

void destroy(void *m) { delete static_cast<map_t *>(m); }

bool get(void *m, uint64_t k, uint64_t *v)
{
	return static_cast<map_t *>(m)->cvisit(k, [v](const map_t::value_type &x) { *v = x.second; });
}

bool insert(void *m, uint64_t k, uint64_t v) { return static_cast<map_t *>(m)->emplace(k, v); }
bool remove(void *m, uint64_t k) { return static_cast<map_t *>(m)->erase(k); }

bool update(void *m, uint64_t k, uint64_t v)
{
	return static_cast<map_t *>(m)->visit(k, [v](map_t::value_type &x) { x.second = v; });
}

size_t size(void *m) { return static_cast<map_t *>(m)->size(); }
} // namespace

extern "C" const struct bench_map bench_boost = {
	"Boost cfm (local)", BENCH_LOCAL | BENCH_PRESIZE, create, destroy, nullptr, nullptr,
	get, insert, remove, update, size, nullptr,
};
