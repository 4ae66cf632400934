/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-map counters read as a struct: the per-shard counters summed. */
#include <safemap/metrics.h>

#include "map_internal.h"

_Static_assert(SAFEMAP_OP_MAX <= SAFEMAP_METRICS_OPS, "metrics: room for every op");
_Static_assert(SAFEMAP_REASON_MAX <= SAFEMAP_METRICS_REASONS, "metrics: room for every reason");
_Static_assert(SAFEMAP__HIST_BUCKETS == SAFEMAP_METRICS_LATENCY_BUCKETS, "metrics: buckets");

static void read_hist(const struct safemap__hist *hi, struct safemap_metrics *mt)
{
	uint32_t i, b;

	mt->has_delete_latency = 1;
	for (i = 0; i <= hi->mask; i++) {
		const struct safemap__hist_stripe *st = &hi->stripes[i];

		for (b = 0; b < SAFEMAP__HIST_BUCKETS; b++)
			mt->delete_latency_bucket[b] += safemap__stat_read(&st->bucket[b]);
		mt->delete_latency_sum_ns += safemap__stat_read(&st->sum_ns);
	}
	/* the count is the buckets' sum, so a reader always sees +Inf == count */
	for (b = 0; b < SAFEMAP__HIST_BUCKETS; b++)
		mt->delete_latency_count += mt->delete_latency_bucket[b];
}

int safemap_metrics_read(struct safemap *m, struct safemap_metrics *out)
{
	struct safemap_metrics mt;
	uint32_t i, j;
	size_t sz;

	if (!m || !out)
		return safemap__errorf(-EINVAL, "safemap_metrics_read: NULL %s", m ? "out" : "map");
	sz = out->sz;
	if (sz < sizeof(size_t))
		return safemap__errorf(-EINVAL, "safemap_metrics_read: sz %zu is too small "
				       "(use SAFEMAP_OPTS_INIT)", sz);
	memset(&mt, 0, sizeof(mt));
	for (i = 0; i <= m->shard_mask; i++) {
		const struct safemap_shard_stats *st = &m->shards[i].stats;

		for (j = 0; j < SAFEMAP_REASON_MAX; j++)
			mt.refused[j] += safemap__stat_read(&st->refused[j]);
		mt.lock_contended += safemap__stat_read(&st->contended);
		mt.delete_refused += safemap__stat_read(&st->refused_delete);
	}
	for (j = 0; j < SAFEMAP_OP_MAX; j++) /* shards and thread slots */
		mt.ops[j] = safemap__stats_ops(m, j);
	mt.ops[SAFEMAP_OP_FREEZE] += safemap__stat_read(&m->freeze_calls);
	mt.capacity_violations = mt.refused[SAFEMAP_REASON_FULL];
	mt.entries = safemap_count(m);
	mt.max_entries = m->max_entries;
	mt.foreach_calls = safemap__stat_read(&m->foreach_calls);
	mt.snapshot_calls = safemap__stat_read(&m->snapshot_calls);
	mt.shards = m->shard_mask + 1;
	mt.frozen = safemap_is_frozen(m);
	if (m->delete_hist)
		read_hist(m->delete_hist, &mt);
	mt.sz = sz < sizeof(mt) ? sz : sizeof(mt);
	memcpy(out, &mt, mt.sz);
	return 0;
}
