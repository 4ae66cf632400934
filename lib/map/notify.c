/* SPDX-License-Identifier: BSD-2-Clause */
/* Events of successful writes: the OK event of an auditable map
 * (SAFEMAP_EVENTS_WRITES) and the high-watermark crossing. Emitted after the
 * shard lock is released; refusals go through refuse.c instead. */
#include <stdio.h>

#include "refs.h"

static void emit(struct safemap *m, enum safemap_op op, enum safemap_reason reason,
		 const void *key, uint64_t count, const char *detail)
{
	struct safemap_event ev;

	safemap__event_init(&ev, SAFEMAP_SRC_MAP, op, reason, 0);
	ev.map_name = m->name;
	ev.key = key;
	ev.key_size = key ? m->key_size : 0;
	ev.count = count;
	ev.limit = reason == SAFEMAP_REASON_WATERMARK ? m->max_entries : 0;
	ev.detail = detail;
	m->event_fn(&ev, m->event_ctx);
}

void safemap__after_write(struct safemap *m, enum safemap_op op, const void *key, int crossed)
{
	char detail[160];

	if (!m->event_fn)
		return;
	if (m->notify & SAFEMAP__NOTIFY_WRITES)
		emit(m, op, SAFEMAP_REASON_OK, key, 0, "");
	if (crossed == SAFEMAP__CROSSED) {
		safemap__detailf(detail, sizeof(detail),
			 "map '%s': %zu entries reached the high watermark (max_entries %zu)",
			 m->name, m->watermark, m->max_entries);
		emit(m, op, SAFEMAP_REASON_WATERMARK, key, m->watermark, detail);
	}
}

/* clear's OK event: no key; @p removed entries */
void safemap__after_clear(struct safemap *m, uint64_t removed)
{
	if (m->event_fn && (m->notify & SAFEMAP__NOTIFY_WRITES))
		emit(m, SAFEMAP_OP_CLEAR, SAFEMAP_REASON_OK, NULL, removed, "");
}
