/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/bpf_metrics.h
 * @brief Prometheus text exposition for BPF map handles (the user-space
 *        map's writer is in safemap/metrics.h, the audit probe's in
 *        safemap/audit.h: safemap_audit_metrics_write_prometheus()).
 *
 * The writers follow the Prometheus conventions: counters end in
 * @c _total, sizes are in base units, every series of a map carries a
 * @c map label. Their metric families do not overlap, so an exporter may
 * concatenate their outputs into one exposition.
 */
#ifndef SAFEMAP_BPF_METRICS_H
#define SAFEMAP_BPF_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include <safemap/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct safemap_bpf; /* safemap/bpf.h */

/** Options for safemap_bpf_metrics_write_prometheus();
 *  SAFEMAP_OPTS(safemap_bpf_metrics_opts, o, ...). */
struct safemap_bpf_metrics_opts {
	size_t sz; /**< sizeof(struct safemap_bpf_metrics_opts): set by SAFEMAP_OPTS() */
	/** Do not count entries: leaves out safemap_bpf_map_entries and
	 *  safemap_bpf_map_fill_ratio, and the syscalls that counting takes
	 *  (one batch lookup per 256 entries of every map). */
	bool no_entries;
};

/**
 * @brief Write the metrics of @p n BPF map handles as Prometheus text exposition (format 0.0.4) into
 *        @p buf, like snprintf().
 *
 * Families (HELP and TYPE lines first; every map series is labelled
 * map="<handle name>",id="<kernel map id>"; label values escaped):
 * - safemap_bpf_map_info{map,id,type,key_size_bytes,value_size_bytes}
 *   (gauge, always 1: the map's static facts);
 * - safemap_bpf_map_entries{map,id} (gauge; from safemap_bpf_count(), left
 *   out for a map that cannot be counted, e.g. a ring buffer);
 * - safemap_bpf_map_max_entries{map,id} (gauge);
 * - safemap_bpf_map_fill_ratio{map,id} (gauge, entries / max_entries, 0..1;
 *   only where entries is written and max_entries > 0);
 * - safemap_bpf_map_capacity_violations_total{map,id} (counter: updates
 *   through this handle refused with -E2BIG);
 * - safemap_bpf_map_bad_size_total{map,id}, safemap_bpf_map_errors_total{map,id}
 *   (counters: the handle's other refusals, see struct safemap_bpf_stats).
 * A family with no series (n == 0) is left out, HELP and TYPE included.
 *
 * @param maps the handles (the caller holds a reference on each); two
 *        handles on one map id are refused.
 * @param opts NULL for defaults.
 * @param buf where the text goes, NUL-terminated if @p len > 0; may be NULL
 *        when @p len is 0 (to learn the size).
 * @return the length of the whole text (excluding the NUL): if it is >=
 *         @p len, the text was cut; call again with a larger buffer (entries
 *         may change between calls: leave some room). Negative errno:
 *         -EINVAL (NULL @p maps with @p n > 0, a NULL handle, one map id
 *         twice, NULL @p buf with @p len > 0, bad opts), -EOVERFLOW (more
 *         than INT_MAX bytes).
 *
 * Concurrency: thread-safe; reads each handle's counters with relaxed
 * atomic loads and counts entries with syscalls (no library lock), so it
 * may run while other threads use the handles. Each value is exact for
 * some moment during the call.
 */
SAFEMAP_API int safemap_bpf_metrics_write_prometheus(struct safemap_bpf *const *maps, size_t n,
						     const struct safemap_bpf_metrics_opts *opts,
						     char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_BPF_METRICS_H */
