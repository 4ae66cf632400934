/* SPDX-License-Identifier: BSD-2-Clause */
/* Checked single-element operations and the classification of their
 * failures: capacity violations, bad sizes and kernel errors. */
#include <stdio.h>

#include <bpf/bpf.h>

#include "bpf_internal.h"

#define STAT_INC(h, f) __atomic_fetch_add(&(h)->stats.f, 1, __ATOMIC_RELAXED)

void safemap__bpf_event(const struct safemap_bpf *h, struct safemap_event *ev)
{
	if (!h->event_fn)
		return;
	ev->map_name = h->name;
	ev->map_id = h->id;
	h->event_fn(ev, h->event_ctx);
}

int safemap__bpf_fail(struct safemap_bpf *h, enum safemap_op op, int err, const void *key)
{
	bool write = op == SAFEMAP_OP_PUT || op == SAFEMAP_OP_BATCH_UPDATE;
	struct safemap_event ev;
	char detail[256];

	err = safemap__bpf_errno(err);
	if (err == -ENOENT || err == -EEXIST)
		return safemap__error(err);
	if (err == -E2BIG && write) {
		STAT_INC(h, capacity_violations);
		if (safemap__type_is_array(h->type) && key && h->key_size == 4) {
			uint32_t idx;

			memcpy(&idx, key, sizeof(idx));
			safemap__detailf(detail, sizeof(detail),
				 "map '%s' (id %u): capacity violation: index %u is past max_entries %u",
				 h->name, h->id, idx, h->max_entries);
		} else {
			safemap__detailf(detail, sizeof(detail),
				 "map '%s' (id %u): capacity violation: full (max_entries %u)",
				 h->name, h->id, h->max_entries);
		}
		safemap__event_init(&ev, SAFEMAP_SRC_BPF_MAP, op, SAFEMAP_REASON_FULL, err);
		ev.key = key;
		ev.key_size = key ? h->key_size : 0;
		ev.count = h->max_entries;
		ev.limit = h->max_entries;
		ev.detail = detail;
		safemap__bpf_event(h, &ev);
		return safemap__errorf(err, "%s", detail);
	}
	STAT_INC(h, errors);
	return safemap__errorf(err, "map '%s' (id %u): %s: %s", h->name, h->id,
			       op == SAFEMAP_OP_NONE ? "next_key" : safemap_op_name(op),
			       safemap_strerror(err));
}

int safemap__bpf_bad_size(struct safemap_bpf *h, enum safemap_op op, size_t got, size_t need)
{
	struct safemap_event ev;
	char detail[256];

	STAT_INC(h, bad_size);
	safemap__detailf(detail, sizeof(detail),
		 "map '%s' (id %u): %s: buffer of %zu bytes, need %zu (round_up(value_size %u, 8) * %u possible CPUs); refused before the syscall",
		 h->name, h->id, safemap_op_name(op), got, need, h->value_size, h->ncpus);
	safemap__event_init(&ev, SAFEMAP_SRC_BPF_MAP, op, SAFEMAP_REASON_BAD_SIZE, -ENOSPC);
	ev.detail = detail;
	safemap__bpf_event(h, &ev);
	return safemap__errorf(-ENOSPC, "%s", detail);
}

/* Arguments every single-element call checks; per-CPU maps need the
 * per-CPU calls (their values are bigger than value_size). */
static int check_args(const struct safemap_bpf *h, const void *key, const void *value,
		      bool need_value, const char *fn)
{
	if (SAFEMAP_UNLIKELY(!h || (!key && h->key_size) || (need_value && !value)))
		return safemap__errorf(-EINVAL, "%s: NULL argument", fn);
	if (SAFEMAP_UNLIKELY(need_value && h->percpu))
		return safemap__errorf(-EINVAL,
				       "%s: map '%s' is per-CPU: use the safemap_bpf_percpu_*() calls with a buffer of %u bytes",
				       fn, h->name, h->buf_size);
	return 0;
}

static int check_flags(const struct safemap_bpf *h, unsigned flags, const char *fn)
{
	if (SAFEMAP_UNLIKELY((flags & ~(unsigned)BPF_F_LOCK) > SAFEMAP_EXIST))
		return safemap__errorf(-EINVAL, "%s: map '%s': bad flags 0x%x", fn, h->name, flags);
	return 0;
}

int safemap_bpf_lookup(struct safemap_bpf *h, const void *key, void *value)
{
	int err = check_args(h, key, value, true, "safemap_bpf_lookup");

	if (err)
		return err;
	err = bpf_map_lookup_elem(h->fd, key, value);
	if (SAFEMAP_LIKELY(!err))
		return 0;
	if (err == -ENOENT)
		memset(value, 0, h->value_size);
	return safemap__bpf_fail(h, SAFEMAP_OP_GET, err, key);
}

int safemap_bpf_update(struct safemap_bpf *h, const void *key, const void *value, unsigned flags)
{
	int err = check_args(h, key, value, true, "safemap_bpf_update");

	if (err || (err = check_flags(h, flags, "safemap_bpf_update")))
		return err;
	err = bpf_map_update_elem(h->fd, key, value, flags);
	if (SAFEMAP_LIKELY(!err))
		return 0;
	return safemap__bpf_fail(h, SAFEMAP_OP_PUT, err, key);
}

int safemap_bpf_delete(struct safemap_bpf *h, const void *key)
{
	int err = check_args(h, key, NULL, false, "safemap_bpf_delete");

	if (err)
		return err;
	if (safemap__type_is_array(h->type))
		return safemap__errorf(-EINVAL, "map '%s' is an array: its elements cannot be deleted",
				       h->name);
	err = bpf_map_delete_elem(h->fd, key);
	if (SAFEMAP_LIKELY(!err))
		return 0;
	return safemap__bpf_fail(h, SAFEMAP_OP_DELETE, err, key);
}

int safemap_bpf_lookup_and_delete(struct safemap_bpf *h, const void *key, void *value)
{
	int err = check_args(h, key, value, true, "safemap_bpf_lookup_and_delete");

	if (err)
		return err;
	err = bpf_map_lookup_and_delete_elem(h->fd, key, value);
	if (SAFEMAP_LIKELY(!err))
		return 0;
	if (err == -ENOENT)
		memset(value, 0, h->value_size);
	return safemap__bpf_fail(h, SAFEMAP_OP_LOOKUP_AND_DELETE, err, key);
}

int safemap_bpf_next_key(struct safemap_bpf *h, const void *key, void *next)
{
	int err;

	if (!h || !next)
		return safemap__errorf(-EINVAL, "safemap_bpf_next_key: NULL argument");
	err = bpf_map_get_next_key(h->fd, key, next);
	if (SAFEMAP_LIKELY(!err))
		return 0;
	return safemap__bpf_fail(h, SAFEMAP_OP_NONE, err, key);
}
