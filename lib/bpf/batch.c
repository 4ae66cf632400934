/* SPDX-License-Identifier: BSD-2-Clause */
/* Batch operations (BPF_MAP_*_BATCH) with the kernel's rules handled:
 * -ENOSPC (a hash bucket holds more entries than the batch: grow and retry),
 * -ENOENT with entries (the last batch), -EFAULT (the count cannot be
 * trusted: redo with single operations), and a fallback to single-element
 * syscalls where the kernel or the map type lacks batch operations. */
#include <stdlib.h>

#include <bpf/bpf.h>

#include "bpf_internal.h"

#define DEFAULT_BATCH 256u

/* The kernel has no batch operation for this map (or at all: old kernels
 * answer -EINVAL to an unknown command). Only asked when nothing was done. */
static bool batch_missing(int err)
{
	return err == -SAFEMAP__ENOTSUPP || err == -EOPNOTSUPP || err == -EINVAL;
}

/* Did a failed batch write do nothing? The kernel writes the count back
 * when it processed elements; when it refused up front, libbpf hands back
 * the count we passed in. */
static bool did_nothing(uint32_t done, uint32_t n)
{
	return done == 0 || done == n;
}

static const char *key_at(const struct safemap_bpf *h, const void *keys, uint32_t i)
{
	return (const char *)keys + (size_t)i * h->key_size;
}

static int check_batch_args(const struct safemap_bpf *h, const void *keys, const void *values,
			    bool need_values, const uint32_t *count, const char *fn)
{
	if (!h || !count || (*count && (!keys || (need_values && !values))))
		return safemap__errorf(-EINVAL, "%s: NULL argument", fn);
	return 0;
}

/* Single updates of entries [from, n); with @p after_efault, an entry a
 * failed batch may already have written (NOEXIST answers -EEXIST with our
 * value in place) counts as done. */
static int update_singles(struct safemap_bpf *h, const char *keys, const char *values,
			  uint32_t from, uint32_t n, uint32_t *count, unsigned flags,
			  bool after_efault)
{
	void *cur = NULL;
	uint32_t i;
	int err = 0;

	for (i = from; i < n; i++) {
		const char *k = key_at(h, keys, i), *v = values + (size_t)i * h->buf_size;

		err = bpf_map_update_elem(h->fd, k, v, flags);
		if (err == -EEXIST && after_efault && (flags & 3) == SAFEMAP_NOEXIST) {
			if (!cur && !(cur = malloc(h->buf_size))) {
				err = -ENOMEM;
				break;
			}
			if (!bpf_map_lookup_elem(h->fd, k, cur) && !memcmp(cur, v, h->buf_size))
				err = 0;
		}
		if (err)
			break;
	}
	free(cur);
	*count = i;
	if (err == -ENOMEM)
		return safemap__errorf(err, "map '%s': out of memory", h->name);
	return err ? safemap__bpf_fail(h, SAFEMAP_OP_BATCH_UPDATE, err, key_at(h, keys, i)) : 0;
}

int safemap_bpf_batch_update(struct safemap_bpf *h, const void *keys, const void *values,
			     uint32_t *count, unsigned flags)
{
	uint32_t n, done;
	int err = check_batch_args(h, keys, values, true, count, "safemap_bpf_batch_update");

	if (err)
		return err;
	if ((flags & ~(unsigned)BPF_F_LOCK) > SAFEMAP_EXIST)
		return safemap__errorf(-EINVAL, "safemap_bpf_batch_update: map '%s': bad flags 0x%x",
				       h->name, flags);
	n = *count;
	*count = 0;
	if (!n)
		return 0;
	/* the kernel's batch update takes no NOEXIST/EXIST (only BPF_F_LOCK) */
	if (h->no_batch || (flags & ~(unsigned)BPF_F_LOCK) != SAFEMAP_ANY)
		return update_singles(h, keys, values, 0, n, count, flags, false);
	{
		LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = flags);

		done = n;
		err = bpf_map_update_batch(h->fd, keys, values, &done, &o);
	}
	if (!err) {
		*count = n;
		return 0;
	}
	if (err == -EFAULT)
		return update_singles(h, keys, values, 0, n, count, flags, true);
	if (did_nothing(done, n) && batch_missing(err))
		return update_singles(h, keys, values, 0, n, count, flags, false);
	*count = done < n ? done : n;
	return safemap__bpf_fail(h, SAFEMAP_OP_BATCH_UPDATE, err, key_at(h, keys, *count));
}

/* Single deletes of keys [from, n); after -EFAULT a key already absent may
 * have been deleted by the batch, so -ENOENT counts as done. */
static int delete_singles(struct safemap_bpf *h, const char *keys, uint32_t from, uint32_t n,
			  uint32_t *count, bool after_efault)
{
	uint32_t i;
	int err = 0;

	for (i = from; i < n; i++) {
		err = bpf_map_delete_elem(h->fd, key_at(h, keys, i));
		if (err == -ENOENT && after_efault)
			err = 0;
		if (err)
			break;
	}
	*count = i;
	return err ? safemap__bpf_fail(h, SAFEMAP_OP_BATCH_DELETE, err, key_at(h, keys, i)) : 0;
}

int safemap_bpf_batch_delete(struct safemap_bpf *h, const void *keys, uint32_t *count)
{
	uint32_t n, done;
	int err = check_batch_args(h, keys, NULL, false, count, "safemap_bpf_batch_delete");

	if (err)
		return err;
	if (safemap__type_is_array(h->type))
		return safemap__errorf(-EINVAL, "map '%s' is an array: its elements cannot be deleted",
				       h->name);
	n = *count;
	*count = 0;
	if (!n)
		return 0;
	if (h->no_batch)
		return delete_singles(h, keys, 0, n, count, false);
	done = n;
	err = bpf_map_delete_batch(h->fd, keys, &done, NULL);
	if (!err) {
		*count = n;
		return 0;
	}
	if (err == -EFAULT)
		return delete_singles(h, keys, 0, n, count, true);
	if (did_nothing(done, n) && batch_missing(err))
		return delete_singles(h, keys, 0, n, count, false);
	*count = done < n ? done : n;
	return safemap__bpf_fail(h, SAFEMAP_OP_BATCH_DELETE, err, key_at(h, keys, *count));
}

/* ---- walks ---- */

struct walk {
	struct safemap_bpf *h;
	uint32_t batch;
	char *keys, *values;
	char *in, *out;       /* batch tokens: a bucket number or a key */
	size_t tok;
};

static int walk_alloc(struct walk *w, uint32_t batch)
{
	const struct safemap_bpf *h = w->h;
	size_t tok = h->key_size > 8 ? h->key_size : 8;
	char *p;

	p = realloc(w->keys, (size_t)batch * h->key_size + 1);
	if (!p)
		goto oom;
	w->keys = p;
	p = realloc(w->values, (size_t)batch * h->buf_size + 1);
	if (!p)
		goto oom;
	w->values = p;
	if (!w->in && !(w->in = calloc(2, tok)))
		goto oom;
	w->out = w->in + tok;
	w->tok = tok;
	w->batch = batch;
	return 0;
oom:
	return safemap__errorf(-ENOMEM, "map '%s': out of memory for a batch of %u", h->name, batch);
}

static void walk_free(struct walk *w)
{
	free(w->keys);
	free(w->values);
	free(w->in);
}

/* The walk with BPF_MAP_LOOKUP_(AND_DELETE_)BATCH. Returns 1 when the map
 * has no such batch operation (nothing was visited), else 0, the
 * callback's non-zero value, or a negative errno. */
static int walk_batch(struct walk *w, bool del, safemap_bpf_foreach_fn fn, void *ctx)
{
	struct safemap_bpf *h = w->h;
	enum safemap_op op = del ? SAFEMAP_OP_BATCH_LOOKUP_AND_DELETE : SAFEMAP_OP_BATCH_LOOKUP;
	bool first = true;
	uint32_t i, n;
	int err, r;

	for (;;) {
		n = w->batch;
		if (del)
			err = bpf_map_lookup_and_delete_batch(h->fd, first ? NULL : w->in, w->out,
							      w->keys, w->values, &n, NULL);
		else
			err = bpf_map_lookup_batch(h->fd, first ? NULL : w->in, w->out, w->keys,
						   w->values, &n, NULL);
		if (err == -ENOSPC && n == 0) {
			/* a bucket holds more than a batch: grow, retry the same bucket */
			if (w->batch >= (1u << 24))
				return safemap__bpf_fail(h, op, err, NULL);
			if ((err = walk_alloc(w, w->batch * 2)))
				return err;
			continue;
		}
		if (err && err != -ENOENT) {
			if (first && batch_missing(err)) /* count untouched: nothing visited */
				return 1;
			return safemap__bpf_fail(h, op, err, NULL);
		}
		if (n > w->batch)
			n = w->batch;
		for (i = 0; i < n; i++) {
			r = fn(w->keys + (size_t)i * h->key_size, w->values + (size_t)i * h->buf_size,
			       ctx);
			if (r && !del)
				return r;
		}
		if (err == -ENOENT)
			return 0;
		memcpy(w->in, w->out, w->tok);
		first = false;
	}
}

/* The walk with next_key + lookup (+ delete): the fallback. */
static int walk_single(struct walk *w, bool del, safemap_bpf_foreach_fn fn, void *ctx)
{
	struct safemap_bpf *h = w->h;
	char *prev = w->keys, *next = w->keys + h->key_size;
	bool have = false;
	int err, r;

	for (;;) {
		/* draining restarts from the first key: the previous one is gone */
		err = bpf_map_get_next_key(h->fd, have && !del ? prev : NULL, next);
		if (err == -ENOENT)
			return 0;
		if (err)
			return safemap__bpf_fail(h, SAFEMAP_OP_NONE, err, NULL);
		if (del) {
			err = bpf_map_lookup_and_delete_elem(h->fd, next, w->values);
			if (safemap__bpf_errno(err) == -EOPNOTSUPP) {
				err = bpf_map_lookup_elem(h->fd, next, w->values);
				if (!err)
					err = bpf_map_delete_elem(h->fd, next);
			}
		} else {
			err = bpf_map_lookup_elem(h->fd, next, w->values);
		}
		if (err && err != -ENOENT) /* -ENOENT: deleted meanwhile, skip */
			return safemap__bpf_fail(h, del ? SAFEMAP_OP_LOOKUP_AND_DELETE : SAFEMAP_OP_GET,
						 err, next);
		if (!err) {
			r = fn(next, w->values, ctx);
			if (r && !del)
				return r;
		}
		memcpy(prev, next, h->key_size);
		have = true;
	}
}

static int walk(struct safemap_bpf *h, uint32_t batch, bool del, safemap_bpf_foreach_fn fn,
		void *ctx, const char *name)
{
	struct walk w = { .h = h };
	int err;

	if (!h || !fn)
		return safemap__errorf(-EINVAL, "%s: NULL argument", name);
	if (del && safemap__type_is_array(h->type))
		return safemap__errorf(-EINVAL, "map '%s' is an array: its elements cannot be deleted",
				       h->name);
	err = walk_alloc(&w, h->no_batch ? 2 : batch ? batch : DEFAULT_BATCH);
	if (err) {
		walk_free(&w);
		return err;
	}
	err = h->no_batch ? 1 : walk_batch(&w, del, fn, ctx);
	if (err == 1)
		err = walk_single(&w, del, fn, ctx);
	walk_free(&w);
	return err;
}

int safemap_bpf_foreach(struct safemap_bpf *h, uint32_t batch, safemap_bpf_foreach_fn fn, void *ctx)
{
	return walk(h, batch, false, fn, ctx, "safemap_bpf_foreach");
}

int safemap_bpf_drain(struct safemap_bpf *h, uint32_t batch, safemap_bpf_foreach_fn fn, void *ctx)
{
	return walk(h, batch, true, fn, ctx, "safemap_bpf_drain");
}

static int count_one(const void *key, const void *value, void *ctx)
{
	(void)key;
	(void)value;
	++*(size_t *)ctx;
	return 0;
}

int safemap_bpf_count(struct safemap_bpf *h, size_t *out)
{
	size_t n = 0;
	int err;

	if (!h || !out)
		return safemap__errorf(-EINVAL, "safemap_bpf_count: NULL argument");
	if (safemap__type_is_array(h->type)) {
		*out = h->max_entries;
		return 0;
	}
	err = safemap_bpf_foreach(h, 0, count_one, &n);
	if (err)
		return err;
	*out = n;
	return 0;
}
