/* SPDX-License-Identifier: BSD-2-Clause */
/* Prometheus text exposition (format 0.0.4) of BPF map handles, into a
 * caller's buffer with snprintf's contract. Each map's facts are read once,
 * then written family by family (all lines of one family together, as the
 * format requires). The audit probe's families are its own writer's
 * (lib/audit/metrics_audit.c): the map handles do not know the probe. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include <safemap/bpf_metrics.h>

#include "bpf_internal.h"
#include "../common/prom.h"

struct mapfacts {
	const struct safemap_bpf *h;
	struct safemap_bpf_stats st;
	size_t entries;
	bool counted;
};

/* name{map="...",id="..." (the label set left open) */
static void series_open(struct safemap__prom *o, const char *name, const struct mapfacts *f)
{
	safemap__prom_put(o, "%s{map=\"", name);
	safemap__prom_label(o, safemap_bpf_name(f->h));
	safemap__prom_put(o, "\",id=\"%u\"", safemap_bpf_id(f->h));
}

/* name{map="...",id="..."} */
static void series(struct safemap__prom *o, const char *name, const struct mapfacts *f)
{
	series_open(o, name, f);
	safemap__prom_put(o, "}");
}

static void info(struct safemap__prom *o, const struct mapfacts *f)
{
	const char *type = libbpf_bpf_map_type_str(safemap_bpf_type(f->h));

	series_open(o, "safemap_bpf_map_info", f);
	safemap__prom_put(o, ",type=\"");
	if (type)
		safemap__prom_label(o, type);
	else
		safemap__prom_put(o, "%u", safemap_bpf_type(f->h));
	safemap__prom_put(o, "\",key_size_bytes=\"%u\",value_size_bytes=\"%u\"} 1\n",
	    safemap_bpf_key_size(f->h), safemap_bpf_value_size(f->h));
}

static void write_maps(struct safemap__prom *o, struct mapfacts *f, size_t n, bool entries)
{
	bool any_counted = false, any_ratio = false;
	size_t i;

	if (!n)
		return;
	safemap__prom_family(o, "safemap_bpf_map_info", "gauge",
	       "Static facts of a BPF map (type, key and value size); always 1.");
	for (i = 0; i < n; i++)
		info(o, &f[i]);
	for (i = 0; i < n; i++) {
		any_counted |= f[i].counted;
		any_ratio |= f[i].counted && safemap_bpf_max_entries(f[i].h) > 0;
	}
	if (entries && any_counted) {
		safemap__prom_family(o, "safemap_bpf_map_entries", "gauge", "Entries in a BPF map.");
		for (i = 0; i < n; i++)
			if (f[i].counted) {
				series(o, "safemap_bpf_map_entries", &f[i]);
				safemap__prom_put(o, " %zu\n", f[i].entries);
			}
	}
	safemap__prom_family(o, "safemap_bpf_map_max_entries", "gauge", "The max_entries bound of a BPF map.");
	for (i = 0; i < n; i++) {
		series(o, "safemap_bpf_map_max_entries", &f[i]);
		safemap__prom_put(o, " %u\n", safemap_bpf_max_entries(f[i].h));
	}
	if (entries && any_ratio) {
		safemap__prom_family(o, "safemap_bpf_map_fill_ratio", "gauge",
		       "Entries of a BPF map divided by its max_entries (0 to 1).");
		for (i = 0; i < n; i++)
			if (f[i].counted && safemap_bpf_max_entries(f[i].h) > 0) {
				series(o, "safemap_bpf_map_fill_ratio", &f[i]);
				safemap__prom_put(o, " %.6g\n",
				    (double)f[i].entries / (double)safemap_bpf_max_entries(f[i].h));
			}
	}
	safemap__prom_family(o, "safemap_bpf_map_capacity_violations_total", "counter",
	       "Updates of a BPF map through libsafemap refused because it was full (E2BIG).");
	for (i = 0; i < n; i++) {
		series(o, "safemap_bpf_map_capacity_violations_total", &f[i]);
		safemap__prom_put(o, " %llu\n", (unsigned long long)f[i].st.capacity_violations);
	}
	safemap__prom_family(o, "safemap_bpf_map_bad_size_total", "counter",
	       "Calls on a BPF map refused for a too-small value buffer.");
	for (i = 0; i < n; i++) {
		series(o, "safemap_bpf_map_bad_size_total", &f[i]);
		safemap__prom_put(o, " %llu\n", (unsigned long long)f[i].st.bad_size);
	}
	safemap__prom_family(o, "safemap_bpf_map_errors_total", "counter",
	       "Other failed calls on a BPF map (not ENOENT or EEXIST).");
	for (i = 0; i < n; i++) {
		series(o, "safemap_bpf_map_errors_total", &f[i]);
		safemap__prom_put(o, " %llu\n", (unsigned long long)f[i].st.errors);
	}
}

int safemap_bpf_metrics_write_prometheus(struct safemap_bpf *const *maps, size_t n,
					 const struct safemap_bpf_metrics_opts *opts, char *buf,
					 size_t len)
{
	struct safemap_bpf_metrics_opts o;
	struct safemap__prom out = { buf, len, 0 };
	struct mapfacts *f = NULL;
	size_t i, j;
	int err;

	if ((n && !maps) || (!buf && len))
		return safemap__errorf(-EINVAL, "safemap_bpf_metrics_write_prometheus: NULL argument");
	err = safemap__opts_copy(&o, sizeof(o), opts, "safemap_bpf_metrics_opts");
	if (err)
		return err;
	if (n) {
		f = calloc(n, sizeof(*f));
		if (!f)
			return safemap__errorf(-ENOMEM, "safemap_bpf_metrics_write_prometheus: "
							"out of memory");
	}
	for (i = 0; i < n; i++) {
		if (!maps[i]) {
			err = safemap__errorf(-EINVAL, "safemap_bpf_metrics_write_prometheus: "
						       "handle %zu is NULL", i);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (safemap_bpf_id(maps[j]) == safemap_bpf_id(maps[i])) {
				err = safemap__errorf(-EINVAL, "safemap_bpf_metrics_write_prometheus: "
							       "map id %u given twice",
						      safemap_bpf_id(maps[i]));
				goto out;
			}
		f[i].h = maps[i];
		safemap_bpf_get_stats(maps[i], &f[i].st);
		if (!o.no_entries)
			f[i].counted = safemap_bpf_count(maps[i], &f[i].entries) == 0;
	}
	if (len)
		buf[0] = '\0';
	write_maps(&out, f, n, !o.no_entries);
	if (out.pos > INT_MAX)
		err = safemap__errorf(-EOVERFLOW, "safemap_bpf_metrics_write_prometheus: "
						  "%zu bytes do not fit an int", out.pos);
	else
		err = (int)out.pos;
out:
	free(f);
	return err;
}
