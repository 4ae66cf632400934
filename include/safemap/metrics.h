/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/metrics.h
 * @brief Per-map counters, read as a struct or written as Prometheus text
 *        exposition.
 *
 * Every counter is kept per shard (relaxed atomics on the shard's own cache
 * lines) and summed when read, so counting costs the hot path no shared
 * write. A read taken while other threads work is not an instant: each
 * counter is exact for some moment during the call, never torn.
 */
#ifndef SAFEMAP_METRICS_H
#define SAFEMAP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <safemap/common.h>
#include <safemap/event.h>
#include <safemap/map.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SAFEMAP_METRICS_OPS 32     /**< room in safemap_metrics.ops (>= SAFEMAP_OP_MAX) */
#define SAFEMAP_METRICS_REASONS 32 /**< room in safemap_metrics.refused (>= SAFEMAP_REASON_MAX) */
#define SAFEMAP_METRICS_LATENCY_BUCKETS 32 /**< log2 buckets of the delete histogram */

/**
 * One map's counters. Extensible (output struct): set @c sz (e.g. with
 * SAFEMAP_OPTS_INIT()) before safemap_metrics_read(); the library fills the
 * fields that fit in @c sz and leaves the rest alone.
 */
struct safemap_metrics {
	size_t sz; /**< sizeof(struct safemap_metrics) the caller knows: set it before reading */
	/** Operations carried out, by enum safemap_op (index SAFEMAP_OP_PUT, ...):
	 *  every call that reached its shard, whatever its result (-ENOENT,
	 *  -EEXIST and -E2BIG included). Refusals decided before any lock
	 *  (frozen, write in iteration, type mismatch) count only in @c refused;
	 *  bad arguments count nowhere. ops[SAFEMAP_OP_FREEZE] counts freezes. */
	uint64_t ops[SAFEMAP_METRICS_OPS];
	/** Refused operations, by enum safemap_reason (each one also an event). */
	uint64_t refused[SAFEMAP_METRICS_REASONS];
	uint64_t capacity_violations; /**< inserts refused with -E2BIG (= refused[FULL]) */
	uint64_t entries;             /**< current count (safemap_count()) */
	uint64_t max_entries;         /**< the bound, 0 = unbounded */
	uint64_t lock_contended;      /**< shard lock acquisitions that had to wait */
	uint64_t foreach_calls;       /**< safemap_foreach() calls */
	uint64_t snapshot_calls;      /**< safemap_snapshot() calls */
	uint32_t shards;              /**< number of shards */
	uint32_t frozen;              /**< 1 once safemap_freeze() has begun */
	/** 1 if the map keeps the delete-latency histogram (opts.delete_latency);
	 *  the fields below are then filled, else zero. */
	uint32_t has_delete_latency;
	/** Deletes by latency: bucket i (i < 31) counts those of less than 2^i
	 *  ns not counted in a lower bucket; bucket 31 everything from 2^30 ns
	 *  (about 1.07 s) up. Not cumulative. */
	uint64_t delete_latency_bucket[SAFEMAP_METRICS_LATENCY_BUCKETS];
	uint64_t delete_latency_count;  /**< sum of the buckets */
	uint64_t delete_latency_sum_ns; /**< total nanoseconds of those deletes */
	/** Deletes refused (frozen, write in iteration, type mismatch: each
	 *  also counted in @c refused by its reason); with ops[SAFEMAP_OP_DELETE]
	 *  the refused share of all deletes. */
	uint64_t delete_refused;
};

/**
 * @brief Read @p m's counters into @p out.
 * @param out its @c sz must be set (at least sizeof(size_t)).
 * @return 0; -EINVAL (NULL argument, @c sz too small).
 *
 * Concurrency: takes no lock; safe against every call but create/destroy of
 * @p m. Each counter is summed over the shards with relaxed loads.
 */
SAFEMAP_API int safemap_metrics_read(struct safemap *m, struct safemap_metrics *out);

/**
 * @brief Write the counters of @p n maps as Prometheus text exposition
 *        (format 0.0.4) into @p buf, like snprintf().
 *
 * One family per metric, with HELP and TYPE lines, each map one series
 * labelled map="<name>" (label values escaped: backslash, double quote,
 * newline):
 * - safemap_ops_total{map,op} (counter; op = put, get, delete, update, cas,
 *   clear, freeze, foreach, snapshot);
 * - safemap_refused_total{map,reason} (counter; reason = full, frozen,
 *   type_mismatch, write_in_iteration, and any other reason with a count);
 * - safemap_entries{map}, safemap_max_entries{map}, safemap_frozen{map}
 *   (gauges);
 * - safemap_capacity_violations_total{map}, safemap_lock_contended_total{map},
 *   safemap_delete_refused_total{map} (counters);
 * - safemap_delete_latency_seconds{map} (histogram: _bucket{le=...}, _sum,
 *   _count), only for maps created with opts.delete_latency, and only if
 *   one is.
 *
 * @param maps the maps; their names must be distinct (they are the label).
 * @param buf where the text goes, NUL-terminated if @p len > 0; may be NULL
 *        when @p len is 0 (to learn the size).
 * @return the length of the whole text (excluding the NUL): if it is >= @p
 *         len, the text was cut; call again with a larger buffer (counters
 *         may grow between calls: leave some room). Negative errno on
 *         error: -EINVAL (NULL @p maps with @p n > 0, a NULL map, two maps
 *         with one name, NULL @p buf with @p len > 0), -EOVERFLOW (more than
 *         INT_MAX bytes).
 *
 * Concurrency: as safemap_metrics_read() for each map.
 */
SAFEMAP_API int safemap_metrics_write_prometheus(struct safemap *const *maps, size_t n,
						 char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_METRICS_H */
