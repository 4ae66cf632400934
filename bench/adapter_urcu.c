/* SPDX-License-Identifier: BSD-2-Clause */
/* liburcu's lock-free resizable hash table (cds_lfht), default RCU flavor,
 * auto-resizing. Pre-sized: its initial (and least) bucket count is the key
 * space rounded up to a power of two. Not pre-sized: 4096 buckets, a small
 * fixed start that does not know the key space (from 1 bucket, the lazy
 * resize, done by liburcu's worker thread, falls behind the inserts on a
 * loaded machine, chains grow with the table, and a 1M prefill took over 6
 * minutes of CPU: 4096 bounds that). Deleted nodes are freed after a grace period by call_rcu's
 * reclamation thread; update stores the value in place atomically. */
#include <stdlib.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "bench_maps.h"

#define LF_DEFAULT_BUCKETS 4096ul

struct lf_node {
	uint64_t key, value;
	struct cds_lfht_node node;
	struct rcu_head rcu;
};

static unsigned long lf_hash(uint64_t k) /* murmur3's 64-bit finalizer */
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	return (unsigned long)(k ^ (k >> 33));
}

static int lf_match(struct cds_lfht_node *node, const void *key)
{
	return caa_container_of(node, struct lf_node, node)->key == *(const uint64_t *)key;
}

static void lf_free(struct rcu_head *head)
{
	free(caa_container_of(head, struct lf_node, rcu));
}

static void *lf_create(size_t expected)
{
	unsigned long size = LF_DEFAULT_BUCKETS;

	while (size < expected)
		size <<= 1;
	/* not pre-sized (@expected 0): the table grows and shrinks on its
	 * own from LF_DEFAULT_BUCKETS; pre-sized: never below the key space */
	return cds_lfht_new(size, size, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
}

static void lf_destroy(void *ht)
{
	struct cds_lfht_iter it;
	struct lf_node *n;

	rcu_read_lock();
	cds_lfht_for_each_entry(ht, &it, n, node)
		if (cds_lfht_del(ht, &n->node) == 0)
			call_rcu(&n->rcu, lf_free);
	rcu_read_unlock();
	rcu_barrier();
	cds_lfht_destroy(ht, NULL);
}

static void lf_quiesce(void *ht)
{
	(void)ht;
	rcu_barrier(); /* every call_rcu'd node freed */
}

static void lf_thread_enter(void) { rcu_register_thread(); }
static void lf_thread_exit(void) { rcu_unregister_thread(); }

static struct lf_node *lf_find(void *ht, uint64_t k) /* call under rcu_read_lock */
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *node;

	cds_lfht_lookup(ht, lf_hash(k), lf_match, &k, &it);
	node = cds_lfht_iter_get_node(&it);
	return node ? caa_container_of(node, struct lf_node, node) : NULL;
}

static bool lf_get(void *ht, uint64_t k, uint64_t *v)
{
	struct lf_node *n;

	rcu_read_lock();
	n = lf_find(ht, k);
	if (n)
		*v = __atomic_load_n(&n->value, __ATOMIC_RELAXED);
	rcu_read_unlock();
	return n;
}

static bool lf_insert(void *ht, uint64_t k, uint64_t v)
{
	struct lf_node *n = malloc(sizeof(*n));
	struct cds_lfht_node *got;

	if (!n)
		return false;
	n->key = k;
	n->value = v;
	cds_lfht_node_init(&n->node);
	rcu_read_lock();
	got = cds_lfht_add_unique(ht, lf_hash(k), lf_match, &k, &n->node);
	rcu_read_unlock();
	if (got != &n->node)
		free(n); /* never published */
	return got == &n->node;
}

static bool lf_remove(void *ht, uint64_t k)
{
	struct lf_node *n;
	bool ok = false;

	rcu_read_lock();
	n = lf_find(ht, k);
	if (n && cds_lfht_del(ht, &n->node) == 0) {
		call_rcu(&n->rcu, lf_free);
		ok = true;
	}
	rcu_read_unlock();
	return ok;
}

static bool lf_update(void *ht, uint64_t k, uint64_t v)
{
	struct lf_node *n;

	rcu_read_lock();
	n = lf_find(ht, k);
	if (n)
		__atomic_store_n(&n->value, v, __ATOMIC_RELAXED);
	rcu_read_unlock();
	return n;
}

static size_t lf_size(void *ht)
{
	long before, after;
	unsigned long count;

	rcu_read_lock();
	cds_lfht_count_nodes(ht, &before, &count, &after);
	rcu_read_unlock();
	return count;
}

const struct bench_map bench_urcu = {
	.name = "urcu lfht",
	.flags = BENCH_PRESIZE,
	.create = lf_create,
	.destroy = lf_destroy,
	.thread_enter = lf_thread_enter,
	.thread_exit = lf_thread_exit,
	.get = lf_get,
	.insert = lf_insert,
	.remove = lf_remove,
	.update = lf_update,
	.size = lf_size,
	.quiesce = lf_quiesce,
};
