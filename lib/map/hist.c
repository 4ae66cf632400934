/* SPDX-License-Identifier: BSD-2-Clause */
/* The optional delete-latency histogram: its life (create with the map,
 * free with it); recording is inline in hist.h, reading in metrics.c. */
#include "map_internal.h"

int safemap__hist_create(struct safemap *m)
{
	struct safemap__hist *hi;
	uint32_t n = m->shard_mask + 1;

	if (n > SAFEMAP__HIST_MAX_STRIPES)
		n = SAFEMAP__HIST_MAX_STRIPES;
	hi = safemap__malloc(m, sizeof(*hi));
	if (!hi)
		return -ENOMEM;
	hi->mask = n - 1;
	hi->raw_size = n * sizeof(struct safemap__hist_stripe) + 64;
	hi->raw = safemap__malloc(m, hi->raw_size);
	if (!hi->raw) {
		safemap__free(m, hi, sizeof(*hi));
		return -ENOMEM;
	}
	hi->stripes = (struct safemap__hist_stripe *)(((uintptr_t)hi->raw + 63) & ~(uintptr_t)63);
	memset(hi->stripes, 0, n * sizeof(struct safemap__hist_stripe));
	m->delete_hist = hi;
	return 0;
}

void safemap__hist_destroy(struct safemap *m)
{
	struct safemap__hist *hi = m->delete_hist;

	if (!hi)
		return;
	safemap__free(m, hi->raw, hi->raw_size);
	safemap__free(m, hi, sizeof(*hi));
	m->delete_hist = NULL;
}
