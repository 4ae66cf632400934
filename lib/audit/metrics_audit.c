/* SPDX-License-Identifier: BSD-2-Clause */
/* Prometheus text exposition (format 0.0.4) of an audit probe's counters:
 * the audit's own writer, so the BPF map handles (lib/bpf) know nothing of
 * the probe. */
#include <limits.h>

#include <safemap/audit.h>

#include "audit_internal.h"
#include "../common/prom.h"

int safemap_audit_metrics_write_prometheus(const struct safemap_audit *a, char *buf, size_t len)
{
	struct safemap__prom o = { buf, len, 0 };
	struct safemap_audit_stats st;

	if (!a || (!buf && len))
		return safemap__errorf(-EINVAL, "safemap_audit_metrics_write_prometheus: "
						"NULL argument");
	safemap_audit_get_stats(a, &st);
	if (len)
		buf[0] = '\0';
	safemap__prom_family(&o, "safemap_audit_reports_total", "counter",
			     "Writes to guarded BPF maps by processes their policy does not allow, "
			     "reported by the audit probe.");
	safemap__prom_put(&o, "safemap_audit_reports_total %llu\n", (unsigned long long)st.reports);
	safemap__prom_family(&o, "safemap_audit_lost_total", "counter",
			     "Audit reports lost (ring buffer full or too many writes in flight).");
	safemap__prom_put(&o, "safemap_audit_lost_total %llu\n", (unsigned long long)st.lost);
	safemap__prom_family(&o, "safemap_audit_guarded_maps", "gauge",
			     "BPF maps the audit probe guards.");
	safemap__prom_put(&o, "safemap_audit_guarded_maps %llu\n", (unsigned long long)st.guarded);
	if (o.pos > INT_MAX)
		return safemap__errorf(-EOVERFLOW, "safemap_audit_metrics_write_prometheus: "
						   "%zu bytes do not fit an int", o.pos);
	return (int)o.pos;
}
