/* SPDX-License-Identifier: BSD-2-Clause */
/* Batch operations: n keys per call, each element exactly as its single
 * call (same results, events, metrics, guards and finalizers), in array
 * order. */
#include <limits.h>

#include "map_internal.h"

/* NULL map, NULL arrays with n > 0, or more elements than the int result
 * can count: the call is refused and nothing is done. */
static int check_batch(const char *fn, const struct safemap *m, const void *keys,
		       const void *values, size_t n)
{
	if (!m || (n && (!keys || !values)))
		return safemap__errorf(-EINVAL, "%s: NULL %s", fn, m ? "keys or values" : "map");
	if (n > INT_MAX)
		return safemap__errorf(-EINVAL, "%s: %zu elements, at most INT_MAX per call", fn, n);
	return 0;
}

int safemap_get_batch(struct safemap *m, const void *keys, void *values, size_t n, int *results)
{
	const unsigned char *k = keys;
	unsigned char *v = values;
	int found = 0, err = check_batch("safemap_get_batch", m, keys, values, n);
	size_t i;

	if (err)
		return err;
	for (i = 0; i < n; i++) {
		int r = safemap_get(m, k + i * m->key_size, v + i * m->value_size);

		found += r == 0;
		if (results)
			results[i] = r;
	}
	return found;
}

int safemap_put_batch(struct safemap *m, const void *keys, const void *values, size_t n,
		      unsigned flags, int *results)
{
	const unsigned char *k = keys, *v = values;
	int stored = 0, err = check_batch("safemap_put_batch", m, keys, values, n);
	size_t i;

	if (err)
		return err;
	if (flags > SAFEMAP_EXIST)
		return safemap__errorf(-EINVAL, "safemap_put_batch: unknown flags %u", flags);
	for (i = 0; i < n; i++) {
		int r = safemap_put(m, k + i * m->key_size, v + i * m->value_size, flags);

		stored += r == 0;
		if (results)
			results[i] = r;
	}
	return stored;
}

int safemap_delete_batch(struct safemap *m, const void *keys, size_t n, int *results)
{
	const unsigned char *k = keys;
	int deleted = 0, err = check_batch("safemap_delete_batch", m, keys, keys, n);
	size_t i;

	if (err)
		return err;
	for (i = 0; i < n; i++) {
		int r = safemap_delete(m, k + i * m->key_size);

		deleted += r == 0;
		if (results)
			results[i] = r;
	}
	return deleted;
}
