/* SPDX-License-Identifier: BSD-2-Clause */
/* The demo agent's metrics (--metrics FILE): the kernel map and the audit
 * probe (safemap/bpf_metrics.h), and the user-space map's counters
 * (safemap/metrics.h, where the library has it), written atomically each
 * second: FILE.tmp, then rename, as node_exporter's textfile collector
 * expects. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <safemap/audit.h>
#include <safemap/bpf_metrics.h>
#if __has_include(<safemap/metrics.h>)
#include <safemap/metrics.h>
#define AGENT_MAP_METRICS 1
#endif

#include "agent.h"

int agent_write_metrics(struct agent *a);

/* Append one writer's text to *buf (growing it); snprintf contract writers. */
#define APPEND(call_with_buf_len)                                                   \
	do {                                                                        \
		for (;;) {                                                          \
			char *b_ = *buf + *used;                                    \
			size_t l_ = *cap - *used;                                   \
			int n_ = (call_with_buf_len);                               \
			if (n_ < 0)                                                 \
				return n_;                                          \
			if ((size_t)n_ < l_) {                                      \
				*used += (size_t)n_;                                \
				break;                                              \
			}                                                           \
			char *nb_ = realloc(*buf, *cap + (size_t)n_ + 4096);        \
			if (!nb_)                                                   \
				return -ENOMEM;                                     \
			*buf = nb_;                                                 \
			*cap += (size_t)n_ + 4096;                                  \
		}                                                                   \
	} while (0)

static int render(struct agent *a, char **buf, size_t *cap, size_t *used)
{
	struct safemap_bpf *maps[1] = { a->map };

	APPEND(safemap_bpf_metrics_write_prometheus(maps, 1, NULL, b_, l_));
	if (a->audit)
		APPEND(safemap_audit_metrics_write_prometheus(a->audit, b_, l_));
#ifdef AGENT_MAP_METRICS
	{
		struct safemap *um[1] = { a->procs };

		APPEND(safemap_metrics_write_prometheus(um, 1, b_, l_));
	}
#endif
	return 0;
}

int agent_write_metrics(struct agent *a)
{
	static char *buf;
	static size_t cap;
	size_t used = 0;
	char tmp[4096];
	FILE *f;
	int err;

	if (!buf) {
		cap = 16384;
		buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
	}
	err = render(a, &buf, &cap, &used);
	if (err) {
		agent_say(a, "error", "metrics: %s", safemap_strerror(err));
		return err;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", a->metrics_path);
	f = fopen(tmp, "w");
	if (!f || fwrite(buf, 1, used, f) != used || fflush(f) || fsync(fileno(f))) {
		err = -errno;
		if (f)
			fclose(f);
		unlink(tmp);
		agent_say(a, "error", "metrics: writing %s: %s", tmp, strerror(-err));
		return err;
	}
	fclose(f);
	if (rename(tmp, a->metrics_path)) {
		err = -errno;
		unlink(tmp);
		agent_say(a, "error", "metrics: renaming %s: %s", tmp, strerror(-err));
		return err;
	}
	return 0;
}
