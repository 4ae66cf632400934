/* SPDX-License-Identifier: BSD-2-Clause */
/* uthash, the way users write it: one malloc'ed node per entry, the default
 * hash (Jenkins). Two adapters over the same table code: "uthash+rwlock"
 * (one global pthread_rwlock, the naive concurrent version) and "uthash"
 * (no lock at all: the single-thread ceiling of the table libsafemap uses). */
#include <pthread.h>
#include <stdlib.h>

#include <uthash.h>

#include "bench_maps.h"

struct ut_entry {
	uint64_t key, value;
	UT_hash_handle hh;
};

struct ut_map {
	pthread_rwlock_t lock;
	struct ut_entry *head;
};

static void *ut_create(size_t expected)
{
	struct ut_map *u = calloc(1, sizeof(*u));

	(void)expected;
	if (u)
		pthread_rwlock_init(&u->lock, NULL);
	return u;
}

static void ut_destroy(void *p)
{
	struct ut_map *u = p;
	struct ut_entry *e, *t;

	HASH_ITER(hh, u->head, e, t) {
		HASH_DEL(u->head, e);
		free(e);
	}
	pthread_rwlock_destroy(&u->lock);
	free(u);
}

static struct ut_entry *ut_find(struct ut_map *u, uint64_t k)
{
	struct ut_entry *e;

	HASH_FIND(hh, u->head, &k, sizeof(k), e);
	return e;
}

/* ---- no lock */
static bool ut_get(void *p, uint64_t k, uint64_t *v)
{
	struct ut_entry *e = ut_find(p, k);

	if (e)
		*v = e->value;
	return e;
}

static bool ut_insert(void *p, uint64_t k, uint64_t v)
{
	struct ut_map *u = p;
	struct ut_entry *e;

	if (ut_find(u, k) || !(e = malloc(sizeof(*e))))
		return false;
	e->key = k;
	e->value = v;
	HASH_ADD(hh, u->head, key, sizeof(e->key), e);
	return true;
}

static bool ut_remove(void *p, uint64_t k)
{
	struct ut_map *u = p;
	struct ut_entry *e = ut_find(u, k);

	if (!e)
		return false;
	HASH_DEL(u->head, e);
	free(e);
	return true;
}

static bool ut_update(void *p, uint64_t k, uint64_t v)
{
	struct ut_entry *e = ut_find(p, k);

	if (e)
		e->value = v;
	return e;
}

static size_t ut_size(void *p)
{
	struct ut_map *u = p;

	return HASH_COUNT(u->head);
}

/* ---- one global rwlock around the same calls */
#define LOCKED(fn, how, ...)                                   \
	({                                                      \
		struct ut_map *u_ = p;                          \
		bool ok_;                                       \
		pthread_rwlock_##how(&u_->lock);                \
		ok_ = fn(p, __VA_ARGS__);                       \
		pthread_rwlock_unlock(&u_->lock);               \
		ok_;                                            \
	})

static bool gl_get(void *p, uint64_t k, uint64_t *v) { return LOCKED(ut_get, rdlock, k, v); }
static bool gl_insert(void *p, uint64_t k, uint64_t v) { return LOCKED(ut_insert, wrlock, k, v); }
static bool gl_remove(void *p, uint64_t k) { return LOCKED(ut_remove, wrlock, k); }
static bool gl_update(void *p, uint64_t k, uint64_t v) { return LOCKED(ut_update, wrlock, k, v); }

const struct bench_map bench_uthash_rwlock = {
	.name = "uthash+rwlock",
	.create = ut_create,
	.destroy = ut_destroy,
	.get = gl_get,
	.insert = gl_insert,
	.remove = gl_remove,
	.update = gl_update,
	.size = ut_size,
};

const struct bench_map bench_uthash = {
	.name = "uthash (1T)",
	.flags = BENCH_SINGLE_THREAD,
	.create = ut_create,
	.destroy = ut_destroy,
	.get = ut_get,
	.insert = ut_insert,
	.remove = ut_remove,
	.update = ut_update,
	.size = ut_size,
};
