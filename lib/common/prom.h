/* SPDX-License-Identifier: BSD-2-Clause */
/* Prometheus text exposition into a caller's buffer, with snprintf's
 * contract (the writers report the length the whole text needs). Shared by
 * the map's writer (lib/map/prometheus.c) and the BPF/audit one
 * (lib/bpf/metrics_bpf.c). */
#ifndef SAFEMAP_LIB_COMMON_PROM_H
#define SAFEMAP_LIB_COMMON_PROM_H

#include <stddef.h>

#include "internal.h"

struct safemap__prom {
	char *buf;
	size_t len, pos; /* pos: bytes the whole text needs so far */
};

/* Append printf-formatted text (cut at the buffer's end, still counted). */
SAFEMAP_HIDDEN void safemap__prom_put(struct safemap__prom *o, const char *fmt, ...)
	SAFEMAP_PRINTF(2, 3);
/* Append a label value, escaped by safemap_escape_prom(): \ -> \\, " -> \",
 * newline -> \n, other controls and invalid UTF-8 -> \\xNN (valid UTF-8). */
SAFEMAP_HIDDEN void safemap__prom_label(struct safemap__prom *o, const char *s);
/* Append the # HELP and # TYPE lines of a metric family. */
SAFEMAP_HIDDEN void safemap__prom_family(struct safemap__prom *o, const char *name,
					 const char *type, const char *help);

#endif /* SAFEMAP_LIB_COMMON_PROM_H */
