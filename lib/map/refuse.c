/* SPDX-License-Identifier: BSD-2-Clause */
/* Refused operations: one place that counts the refusal, emits the event
 * and records the detail message, so every refusal is all three. */
#include <stdarg.h>
#include <stdio.h>

#include <safemap/escape.h>

#include "map_internal.h"

int safemap__refuse(struct safemap *m, struct safemap_shard *s, enum safemap_op op,
		    enum safemap_reason reason, int err, const void *key, const char *fmt, ...)
{
	struct safemap_event ev;
	char raw[256], detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	safemap_escape_text(detail, sizeof(detail), raw, sizeof(raw)); /* names a map */
	if (!s)
		s = key ? safemap__shard_of(m, safemap__key_hash(m, key)) : &m->shards[0];
	safemap__stat_add(&s->stats.refused[reason], 1);
	if (op == SAFEMAP_OP_DELETE)
		safemap__stat_add(&s->stats.refused_delete, 1);
	if (m->event_fn) {
		safemap__event_init(&ev, SAFEMAP_SRC_MAP, op, reason, err);
		ev.map_name = m->name;
		ev.key = key;
		ev.key_size = key ? m->key_size : 0;
		ev.count = safemap_count(m);
		ev.limit = m->max_entries;
		ev.detail = detail;
		m->event_fn(&ev, m->event_ctx);
	}
	return safemap__errorf(err, "%s", detail);
}

int safemap__refuse_full(struct safemap *m, struct safemap_shard *s, enum safemap_op op,
			 const void *key)
{
	return safemap__refuse(m, s, op, SAFEMAP_REASON_FULL, -E2BIG, key,
			       "map '%s': full (max_entries %zu)", m->name, m->max_entries);
}
