/* SPDX-License-Identifier: BSD-2-Clause */
/* libcuckoo's cuckoohash_map (header-only), default hash; pre-sized with its
 * constructor's capacity argument. */
#include <libcuckoo/cuckoohash_map.hh>

#include "bench_maps.h"

namespace {
using map_t = libcuckoo::cuckoohash_map<uint64_t, uint64_t>;

/* default: libcuckoo's DEFAULT_SIZE slots; pre-sized: room for @expected */
void *create(size_t expected) { return expected ? new map_t(expected) : new map_t; }
void destroy(void *m) { delete static_cast<map_t *>(m); }
bool get(void *m, uint64_t k, uint64_t *v) { return static_cast<map_t *>(m)->find(k, *v); }
bool insert(void *m, uint64_t k, uint64_t v) { return static_cast<map_t *>(m)->insert(k, v); }
bool remove(void *m, uint64_t k) { return static_cast<map_t *>(m)->erase(k); }
bool update(void *m, uint64_t k, uint64_t v) { return static_cast<map_t *>(m)->update(k, v); }
size_t size(void *m) { return static_cast<map_t *>(m)->size(); }
} // namespace

extern "C" const struct bench_map bench_cuckoo = {
	"libcuckoo", BENCH_PRESIZE, create, destroy, nullptr, nullptr, get, insert, remove, update, size, nullptr,
};
