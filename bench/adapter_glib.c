/* SPDX-License-Identifier: BSD-2-Clause */
/* GLib GHashTable behind one GRWLock. Keys and values are stored in the
 * pointers themselves (64-bit), hashed by g_direct_hash, no allocation per
 * entry: the fastest way GLib offers for integer keys. */
#include <glib.h>

#include "bench_maps.h"

struct gh_map {
	GRWLock lock;
	GHashTable *t;
};

#define P(x) ((gpointer)(uintptr_t)(x))

static void *gh_create(size_t expected)
{
	struct gh_map *g = g_new0(struct gh_map, 1);

	(void)expected;
	g_rw_lock_init(&g->lock);
	g->t = g_hash_table_new(g_direct_hash, NULL);
	return g;
}

static void gh_destroy(void *p)
{
	struct gh_map *g = p;

	g_hash_table_destroy(g->t);
	g_rw_lock_clear(&g->lock);
	g_free(g);
}

static bool gh_get(void *p, uint64_t k, uint64_t *v)
{
	struct gh_map *g = p;
	gpointer val;
	gboolean found;

	g_rw_lock_reader_lock(&g->lock);
	found = g_hash_table_lookup_extended(g->t, P(k), NULL, &val);
	g_rw_lock_reader_unlock(&g->lock);
	if (found)
		*v = (uint64_t)(uintptr_t)val;
	return found;
}

/* insert (@present false) or update (@present true) @k if its presence is @present */
static bool gh_put_if(struct gh_map *g, uint64_t k, uint64_t v, gboolean present)
{
	bool ok;

	g_rw_lock_writer_lock(&g->lock);
	ok = g_hash_table_contains(g->t, P(k)) == present;
	if (ok)
		g_hash_table_insert(g->t, P(k), P(v));
	g_rw_lock_writer_unlock(&g->lock);
	return ok;
}

static bool gh_insert(void *p, uint64_t k, uint64_t v) { return gh_put_if(p, k, v, FALSE); }
static bool gh_update(void *p, uint64_t k, uint64_t v) { return gh_put_if(p, k, v, TRUE); }

static bool gh_remove(void *p, uint64_t k)
{
	struct gh_map *g = p;
	bool ok;

	g_rw_lock_writer_lock(&g->lock);
	ok = g_hash_table_remove(g->t, P(k));
	g_rw_lock_writer_unlock(&g->lock);
	return ok;
}

static size_t gh_size(void *p)
{
	return g_hash_table_size(((struct gh_map *)p)->t);
}

const struct bench_map bench_glib = {
	.name = "GLib+GRWLock",
	.create = gh_create,
	.destroy = gh_destroy,
	.get = gh_get,
	.insert = gh_insert,
	.remove = gh_remove,
	.update = gh_update,
	.size = gh_size,
};
