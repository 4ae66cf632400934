/* SPDX-License-Identifier: BSD-2-Clause */
/* The map's type descriptor (names, finalizer), the event options that
 * come with it (audit writes, high watermark), and the run-time type check
 * behind the typed layer. */
#include <stdio.h>

#include "refs.h"
#include "type.h"

static char *copy_name(struct safemap *m, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	char *p = safemap__malloc(m, n + 1);

	if (p)
		memcpy(p, name ? name : "", n + 1);
	return p;
}

int safemap__type_check_opts(const struct safemap_opts *o)
{
	if (o->event_flags & ~(unsigned)SAFEMAP_EVENTS_WRITES)
		return safemap__errorf(-EINVAL, "safemap_create: unknown event_flags 0x%x",
				       o->event_flags & ~(unsigned)SAFEMAP_EVENTS_WRITES);
	if (o->high_watermark && !o->max_entries)
		return safemap__errorf(-EINVAL,
				       "safemap_create: high_watermark (%zu) needs max_entries",
				       o->high_watermark);
	return 0;
}

int safemap__type_init(struct safemap *m, const struct safemap_opts *o)
{
	struct safemap_type t;
	int err = safemap__opts_copy(&t, sizeof(t), o->type, "safemap_type");

	if (err)
		return err;
	m->finalize = t.finalize;
	m->finalize_ctx = t.finalize_ctx;
	m->has_finalizer = t.finalize != NULL;
	if (o->event_flags & SAFEMAP_EVENTS_WRITES)
		m->notify |= SAFEMAP__NOTIFY_WRITES;
	/* the crossing is only looked for when someone listens */
	if (o->max_entries && o->event_fn)
		m->watermark = o->high_watermark ? o->high_watermark
						 : o->max_entries - o->max_entries / 10;
	m->key_type = copy_name(m, t.key_type);
	m->value_type = copy_name(m, t.value_type);
	if (!m->key_type || !m->value_type) {
		safemap__type_fini(m);
		return safemap__errorf(-ENOMEM, "safemap_create: out of memory");
	}
	return 0;
}

void safemap__type_fini(struct safemap *m)
{
	if (m->key_type)
		safemap__free(m, m->key_type, strlen(m->key_type) + 1);
	if (m->value_type)
		safemap__free(m, m->value_type, strlen(m->value_type) + 1);
	m->key_type = m->value_type = NULL;
}

static bool names_differ(const char *have, const char *want)
{
	return have[0] && want && want[0] && strcmp(have, want) != 0;
}

int safemap_check_type(struct safemap *m, size_t key_size, size_t value_size,
		       const char *key_type, const char *value_type)
{
	if (!m)
		return safemap__errorf(-EINVAL, "safemap_check_type: NULL map");
	if (SAFEMAP_LIKELY(key_size == m->key_size && value_size == m->value_size &&
			   !names_differ(m->key_type, key_type) &&
			   !names_differ(m->value_type, value_type)))
		return 0;
	return safemap__refuse(m, NULL, SAFEMAP_OP_OPEN, SAFEMAP_REASON_TYPE_MISMATCH, -EINVAL, NULL,
			       "map '%s' holds %s (%u bytes) -> %s (%u bytes), not %s (%zu bytes) -> %s (%zu bytes)",
			       m->name, m->key_type[0] ? m->key_type : "key", m->key_size,
			       m->value_type[0] ? m->value_type : "value", m->value_size,
			       key_type && key_type[0] ? key_type : "key", key_size,
			       value_type && value_type[0] ? value_type : "value", value_size);
}

static bool arg_differs(const char *given, const char *want)
{
	return given && want && strcmp(given, want) != 0;
}

int safemap_create_typed(const struct safemap_opts *opts, size_t key_size, size_t value_size,
			 const char *key_type, const char *value_type, struct safemap **out)
{
	struct safemap_opts o;
	struct safemap_type t;
	int err;

	if (!out)
		return safemap__errorf(-EINVAL, "safemap_create_typed: NULL out");
	*out = NULL;
	err = safemap__opts_copy(&o, sizeof(o), opts, "safemap_opts");
	if (err)
		return err;
	o.sz = sizeof(o);
	if ((o.key_size && o.key_size != key_size) || (o.value_size && o.value_size != value_size))
		return safemap__errorf(-EINVAL,
				       "safemap_create_typed: options say %zu -> %zu bytes, the types %s (%zu) -> %s (%zu)",
				       o.key_size, o.value_size, key_type ? key_type : "key", key_size,
				       value_type ? value_type : "value", value_size);
	o.key_size = key_size;
	o.value_size = value_size;
	err = safemap__opts_copy(&t, sizeof(t), o.type, "safemap_type");
	if (err)
		return err;
	if (arg_differs(t.key_type, key_type) || arg_differs(t.value_type, value_type))
		return safemap__errorf(-EINVAL,
				       "safemap_create_typed: type descriptor names %s -> %s, the types are %s -> %s",
				       t.key_type ? t.key_type : "-", t.value_type ? t.value_type : "-",
				       key_type ? key_type : "-", value_type ? value_type : "-");
	t.sz = sizeof(t);
	if (key_type)
		t.key_type = key_type;
	if (value_type)
		t.value_type = value_type;
	o.type = &t;
	return safemap_create(&o, out);
}
