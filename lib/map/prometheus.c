/* SPDX-License-Identifier: BSD-2-Clause */
/* Prometheus text exposition (format 0.0.4) of the per-map counters, into a
 * caller's buffer with snprintf's contract. Families are written one after
 * the other, each with its HELP and TYPE lines and then one series per map,
 * as the format requires (all lines of a family together). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <safemap/metrics.h>

#include "map_internal.h"
#include "../common/prom.h"

/* name{map="..."[,extra]} value */
static void sample(struct safemap__prom *o, const char *name, const char *map, const char *extra,
		   uint64_t v)
{
	safemap__prom_put(o, "%s{map=\"", name);
	safemap__prom_label(o, map);
	safemap__prom_put(o, "\"%s%s} %llu\n", extra ? "," : "", extra ? extra : "", (unsigned long long)v);
}

struct mapm {
	const char *name;
	struct safemap_metrics mt;
};

static const enum safemap_op map_ops[] = {
	SAFEMAP_OP_PUT, SAFEMAP_OP_GET, SAFEMAP_OP_DELETE, SAFEMAP_OP_UPDATE,
	SAFEMAP_OP_CAS, SAFEMAP_OP_CLEAR, SAFEMAP_OP_FREEZE,
};

static const enum safemap_reason map_reasons[] = {
	SAFEMAP_REASON_FULL, SAFEMAP_REASON_FROZEN, SAFEMAP_REASON_TYPE_MISMATCH,
	SAFEMAP_REASON_WRITE_IN_ITERATION,
};

static bool listed_reason(unsigned r)
{
	size_t i;

	for (i = 0; i < sizeof(map_reasons) / sizeof(map_reasons[0]); i++)
		if (map_reasons[i] == r)
			return true;
	return false;
}

static void write_ops(struct safemap__prom *o, const struct mapm *mm, size_t n)
{
	char lab[64];
	size_t i, j;

	safemap__prom_family(o, "safemap_ops_total", "counter",
	       "Operations carried out on the map (calls that reached a shard), by kind.");
	for (i = 0; i < n; i++) {
		for (j = 0; j < sizeof(map_ops) / sizeof(map_ops[0]); j++) {
			snprintf(lab, sizeof(lab), "op=\"%s\"", safemap_op_name(map_ops[j]));
			sample(o, "safemap_ops_total", mm[i].name, lab, mm[i].mt.ops[map_ops[j]]);
		}
		sample(o, "safemap_ops_total", mm[i].name, "op=\"foreach\"", mm[i].mt.foreach_calls);
		sample(o, "safemap_ops_total", mm[i].name, "op=\"snapshot\"", mm[i].mt.snapshot_calls);
	}
	safemap__prom_family(o, "safemap_refused_total", "counter",
	       "Refused operations (each also an event), by reason.");
	for (i = 0; i < n; i++)
		for (j = 1; j < SAFEMAP_REASON_MAX; j++) {
			if (!listed_reason((unsigned)j) && !mm[i].mt.refused[j])
				continue;
			snprintf(lab, sizeof(lab), "reason=\"%s\"",
				 safemap_reason_name((enum safemap_reason)j));
			sample(o, "safemap_refused_total", mm[i].name, lab, mm[i].mt.refused[j]);
		}
}

static void write_gauges(struct safemap__prom *o, const struct mapm *mm, size_t n)
{
	size_t i;

	safemap__prom_family(o, "safemap_entries", "gauge", "Entries in the map.");
	for (i = 0; i < n; i++)
		sample(o, "safemap_entries", mm[i].name, NULL, mm[i].mt.entries);
	safemap__prom_family(o, "safemap_max_entries", "gauge", "Capacity of the map (0 = unbounded).");
	for (i = 0; i < n; i++)
		sample(o, "safemap_max_entries", mm[i].name, NULL, mm[i].mt.max_entries);
	safemap__prom_family(o, "safemap_capacity_violations_total", "counter",
	       "Inserts refused because the map was full (-E2BIG).");
	for (i = 0; i < n; i++)
		sample(o, "safemap_capacity_violations_total", mm[i].name, NULL,
		       mm[i].mt.capacity_violations);
	safemap__prom_family(o, "safemap_lock_contended_total", "counter",
	       "Shard lock acquisitions that had to wait.");
	for (i = 0; i < n; i++)
		sample(o, "safemap_lock_contended_total", mm[i].name, NULL, mm[i].mt.lock_contended);
	safemap__prom_family(o, "safemap_delete_refused_total", "counter",
	       "Deletes refused (frozen, write in iteration, type mismatch), each also in "
	       "safemap_refused_total by reason.");
	for (i = 0; i < n; i++)
		sample(o, "safemap_delete_refused_total", mm[i].name, NULL, mm[i].mt.delete_refused);
	safemap__prom_family(o, "safemap_frozen", "gauge", "1 if the map is frozen (read-only), else 0.");
	for (i = 0; i < n; i++)
		sample(o, "safemap_frozen", mm[i].name, NULL, mm[i].mt.frozen);
}

static void write_hist(struct safemap__prom *o, const struct mapm *mm, size_t n)
{
	const char *name = "safemap_delete_latency_seconds";
	size_t i, any = 0;
	unsigned b;

	for (i = 0; i < n; i++)
		any |= mm[i].mt.has_delete_latency;
	if (!any)
		return;
	safemap__prom_family(o, name, "histogram", "Latency of safemap_delete() calls.");
	for (i = 0; i < n; i++) {
		const struct safemap_metrics *mt = &mm[i].mt;
		uint64_t cum = 0;

		if (!mt->has_delete_latency)
			continue;
		for (b = 0; b + 1 < SAFEMAP_METRICS_LATENCY_BUCKETS; b++) {
			cum += mt->delete_latency_bucket[b];
			safemap__prom_put(o, "%s_bucket{map=\"", name);
			safemap__prom_label(o, mm[i].name);
			safemap__prom_put(o, "\",le=\"%.10g\"} %llu\n", (double)(1ull << b) / 1e9,
			    (unsigned long long)cum);
		}
		safemap__prom_put(o, "%s_bucket{map=\"", name);
		safemap__prom_label(o, mm[i].name);
		safemap__prom_put(o, "\",le=\"+Inf\"} %llu\n", (unsigned long long)mt->delete_latency_count);
		safemap__prom_put(o, "%s_sum{map=\"", name);
		safemap__prom_label(o, mm[i].name);
		safemap__prom_put(o, "\"} %.9f\n", (double)mt->delete_latency_sum_ns / 1e9);
		sample(o, "safemap_delete_latency_seconds_count", mm[i].name, NULL,
		       mt->delete_latency_count);
	}
}

int safemap_metrics_write_prometheus(struct safemap *const *maps, size_t n, char *buf,
				     size_t len)
{
	struct safemap__prom o = { buf, len, 0 };
	struct mapm *mm;
	size_t i, j;

	if ((!maps && n) || (!buf && len))
		return safemap__errorf(-EINVAL, "safemap_metrics_write_prometheus: NULL %s",
				       buf || !len ? "maps" : "buf");
	for (i = 0; i < n; i++) {
		if (!maps[i])
			return safemap__errorf(-EINVAL, "safemap_metrics_write_prometheus: maps[%zu] is NULL", i);
		for (j = 0; j < i; j++)
			if (!strcmp(maps[i]->name, maps[j]->name))
				return safemap__errorf(-EINVAL,
						       "safemap_metrics_write_prometheus: two maps named '%s' "
						       "(the name is the label)", maps[i]->name);
	}
	mm = calloc(n ? n : 1, sizeof(*mm));
	if (!mm)
		return safemap__errorf(-ENOMEM, "safemap_metrics_write_prometheus: out of memory");
	for (i = 0; i < n; i++) {
		mm[i].name = maps[i]->name;
		mm[i].mt.sz = sizeof(mm[i].mt);
		safemap_metrics_read(maps[i], &mm[i].mt);
	}
	if (len)
		buf[0] = '\0';
	write_ops(&o, mm, n);
	write_gauges(&o, mm, n);
	write_hist(&o, mm, n);
	free(mm);
	if (o.pos > INT_MAX)
		return safemap__errorf(-EOVERFLOW, "safemap_metrics_write_prometheus: text too long");
	return (int)o.pos;
}
