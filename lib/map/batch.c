/* SPDX-License-Identifier: BSD-2-Clause */
/* Batch operations: n keys per call, each element exactly as its single
 * call (same results, events, metrics, guards and finalizers), in array
 * order. The keys go through the staged probes of table_batch.h, two chunks
 * ahead of the real operations, so that their cache misses overlap; the
 * real operations are the single calls' code (ops.c), element by element,
 * in array order: prefetching reorders nothing. */
#include <limits.h>

#include "table_batch.h"

/* NULL map, NULL arrays with n > 0, or more elements than the int result
 * can count: the call is refused and nothing is done. */
static inline int check_batch(const char *fn, const struct safemap *m, const void *keys,
		       const void *values, size_t n)
{
	if (!m || (n && (!keys || !values)))
		return safemap__errorf(-EINVAL, "%s: NULL %s", fn, m ? "keys or values" : "map");
	if (n > INT_MAX)
		return safemap__errorf(-EINVAL, "%s: %zu elements, at most INT_MAX per call", fn, n);
	return 0;
}

enum batch_op { BATCH_GET, BATCH_PUT, BATCH_DELETE };

/* A get of a key whose hash is known, exactly as safemap_get() (ops.c,
 * get_as): its lock-free read, counted in the thread's slot @p ts; when
 * that finds no stable moment, the single call itself (more tries, then
 * the read lock, counted there). get_as (ops.c) has the same lines with
 * its own slow path: one helper for both, with that path's six arguments,
 * cost the batch loops 4-5 instructions a key (callgrind, 10k entries). */
static SAFEMAP_INLINE int get_one(struct safemap *m, struct safemap_shape sh,
				  struct safemap_tslot *ts, const unsigned char *key,
				  unsigned char *out, uint64_t h)
{
	struct safemap_shard *s = safemap__shard_of(m, h);
	int found = safemap__tbl_get_optimistic(m, sh, s, key, h, out, ts);

	if (SAFEMAP_UNLIKELY(found < 0))
		return safemap_get(m, key, out);
	safemap__stat_inc_excl(&ts->ops[SAFEMAP_OP_GET]);
	if (SAFEMAP_LIKELY(found))
		return 0;
	memset(out, 0, sh.vs);
	return safemap__error_quick(-ENOENT);
}

/* A get of a key whose hash is known and whose lines were prefetched, in
 * the epoch read section the caller holds (@p ep, which this may end and
 * begin again): safemap_get()'s lock-free read (its count added to
 * @p nget, the caller counts them at once); when that finds no stable
 * moment, out of the section, the single call itself. */
static SAFEMAP_INLINE int get_in_section(struct safemap *m, struct safemap_shape sh,
					 struct safemap_tslot *ts, struct safemap_shard *s,
					 const unsigned char *key, unsigned char *out, uint64_t h,
					 uint64_t *ep, uint64_t *nget)
{
	int found = safemap__tbl_read_in_section(m, sh, s, key, h, out, NULL, false, NULL);

	if (SAFEMAP_UNLIKELY(found < 0)) {
		int r;

		safemap__epoch_exit(ts, *ep);
		r = safemap_get(m, key, out);
		*ep = safemap__epoch_enter(ts);
		return r;
	}
	(*nget)++;
	if (SAFEMAP_LIKELY(found))
		return 0;
	memset(out, 0, sh.vs);
	return safemap__error_quick(-ENOENT);
}

/* Element @p i of the batch, its hash @p h known: what its single call
 * returns, by the single call's own code (puts and deletes: the single
 * calls themselves, which hash again: a few instructions; @p prefetched:
 * the staged path asked for their lines, their probes do not). Gets of
 * the staged path: get_in_section(). */
static SAFEMAP_INLINE int element(struct safemap *m, struct safemap_shape sh,
				  struct safemap_tslot *ts, enum batch_op op,
				  const unsigned char *keys, const unsigned char *in,
				  unsigned char *out, unsigned flags, size_t i, uint64_t h,
				  bool prefetched)
{
	const unsigned char *k = keys + i * sh.ks;

	if (op == BATCH_GET)
		return get_one(m, sh, ts, k, out + i * sh.vs, h);
	if (op == BATCH_PUT) /* the batch checked the arguments */
		return prefetched ? safemap__put_prefetched(m, k, in + i * sh.vs, flags)
				  : safemap__put_checked(m, k, in + i * sh.vs, flags);
	return prefetched ? safemap__delete_prefetched(m, k) : safemap_delete(m, k);
}

/* The plain path: the single calls one after the other, for a thread
 * without a slot of the map and builds without optimistic reads (no
 * lock-free look at the tables). */
static SAFEMAP_INLINE int plain(struct safemap *m, enum batch_op op, const unsigned char *keys,
				const unsigned char *in, unsigned char *out, size_t n,
				unsigned flags, int *results)
{
	size_t i, ks = m->key_size, vs = m->value_size;
	int ok = 0;

	for (i = 0; i < n; i++) {
		const unsigned char *k = keys + i * ks;
		int r = op == BATCH_GET	  ? safemap_get(m, k, out + i * vs)
			: op == BATCH_PUT ? safemap_put(m, k, in + i * vs, flags)
					  : safemap_delete(m, k);

		ok += r == 0;
		if (results)
			results[i] = r;
	}
	return ok;
}

/* Chunk c of the batch: stage A runs on chunk c, stage B on chunk c - 1
 * (one epoch read section for both), then the real operations of chunk
 * c - 2: gets in that same section (their reads need one: one enter and
 * exit for 16 of them), writes out of it (they take locks, and may wait
 * for readers). Hashes are kept for the three chunks in flight. */
static SAFEMAP_INLINE int staged(struct safemap *m, struct safemap_shape sh,
				 struct safemap_tslot *ts, enum batch_op op,
				 const unsigned char *keys, const unsigned char *in,
				 unsigned char *out, size_t n, unsigned flags, int *results)
{
	const size_t C = SAFEMAP_BATCH_CHUNK, nch = (n + C - 1) / C;
	const bool write = op != BATCH_GET;
	uint64_t h[3][SAFEMAP_BATCH_CHUNK], nget = 0, *gets = &ts->ops[SAFEMAP_OP_GET];
	struct safemap_shard *sd[3][SAFEMAP_BATCH_CHUNK]; /* the keys' shards */
	size_t c, j;
	int ok = 0;

	for (c = 0; c < nch + 2; c++) {
		uint64_t ep = safemap__epoch_enter(ts);

		if (c < nch) {
			size_t base = c * C, len = n - base < C ? n - base : C;

			for (j = 0; j < len; j++) {
				uint64_t hj = safemap__key_hash_as(m, sh, keys + (base + j) * sh.ks);

				h[c % 3][j] = hj;
				sd[c % 3][j] = safemap__shard_of(m, hj);
				safemap__probe_stage_a(sd[c % 3][j], sh, hj, write);
			}
		}
		if (c >= 1 && c <= nch) {
			size_t base = (c - 1) * C, len = n - base < C ? n - base : C;

			for (j = 0; j < len; j++)
				safemap__probe_stage_b(sd[(c - 1) % 3][j], sh, h[(c - 1) % 3][j],
						       write);
		}
		if (!write && c >= 2) {
			size_t base = (c - 2) * C, len = n - base < C ? n - base : C;

			for (j = 0; j < len; j++) {
				int r = get_in_section(m, sh, ts, sd[(c - 2) % 3][j],
						       keys + (base + j) * sh.ks,
						       out + (base + j) * sh.vs, h[(c - 2) % 3][j],
						       &ep, &nget);

				ok += r == 0;
				if (results)
					results[base + j] = r;
			}
		}
		safemap__epoch_exit(ts, ep);
		if (write && c >= 2) {
			size_t base = (c - 2) * C, len = n - base < C ? n - base : C;
			struct safemap_shard *const *cur = sd[(c - 2) % 3], *const *nxt = sd[(c - 1) % 3];

			for (j = 0; j < len; j++) {
				int r;

				/* the next element's shard line, for its lock: the
				 * other threads' writes and stages take it away */
				if (j + 1 < len)
					safemap__prefetch_w(cur[j + 1]);
				else if (c - 1 < nch)
					safemap__prefetch_w(nxt[0]);
				r = element(m, sh, ts, op, keys, in, out, flags, base + j,
					    h[(c - 2) % 3][j], true);

				ok += r == 0;
				if (results)
					results[base + j] = r;
			}
		}
	}
	/* the gets of the stable reads, counted as safemap_get() counts them */
	if (nget)
		__atomic_store_n(gets, __atomic_load_n(gets, __ATOMIC_RELAXED) + nget,
				 __ATOMIC_RELAXED);
	return ok;
}

/* Tables that stay in the caches: no stages, each element by the single
 * call's code as soon as its key is hashed (what it saves over plain():
 * one look-up of the thread's slot, argument checks, calls). */
static SAFEMAP_INLINE int direct(struct safemap *m, struct safemap_shape sh,
				 struct safemap_tslot *ts, enum batch_op op,
				 const unsigned char *keys, const unsigned char *in,
				 unsigned char *out, size_t n, unsigned flags, int *results)
{
	size_t i;
	int ok = 0;

	for (i = 0; i < n; i++) {
		/* puts and deletes hash in the single call: hash only for gets */
		uint64_t h = op != BATCH_GET ? 0 : safemap__key_hash_as(m, sh, keys + i * sh.ks);
		int r = element(m, sh, ts, op, keys, in, out, flags, i, h, false);

		ok += r == 0;
		if (results)
			results[i] = r;
	}
	return ok;
}

/* A batch on a map of shape @p sh, by the thread of slot @p ts. */
static SAFEMAP_INLINE int run(struct safemap *m, struct safemap_shape sh, struct safemap_tslot *ts,
			      enum batch_op op, const void *keys, const void *in, void *out,
			      size_t n, unsigned flags, int *results)
{
	uint64_t ep = safemap__epoch_enter(ts);
	bool worth = safemap__probe_worth(m);

	safemap__epoch_exit(ts, ep);
	if (!worth)
		return direct(m, sh, ts, op, keys, in, out, n, flags, results);
	return staged(m, sh, ts, op, keys, in, out, n, flags, results);
}

/* @p op is a constant in each caller: one copy of the loops per operation
 * and shape (the 8/8 one with constant sizes, table_impl.h) */
static SAFEMAP_INLINE int batch(struct safemap *m, enum batch_op op, const void *keys,
				const void *in, void *out, size_t n, unsigned flags, int *results)
{
	struct safemap_tslot *ts = SAFEMAP_OPTIMISTIC ? safemap__tslot(m->tslots) : NULL;

	if (!SAFEMAP_OPTIMISTIC || SAFEMAP_UNLIKELY(!ts) || !n)
		return plain(m, op, keys, in, out, n, flags, results);
	if (safemap__is_88(m))
		return run(m, SAFEMAP_SHAPE_88, ts, op, keys, in, out, n, flags, results);
	return run(m, safemap__shape(m), ts, op, keys, in, out, n, flags, results);
}

/* flatten: the optimistic get (table_impl.h) inline in both loops */
__attribute__((flatten)) int safemap_get_batch(struct safemap *m, const void *keys, void *values,
					       size_t n, int *results)
{
	int err = check_batch("safemap_get_batch", m, keys, values, n);

	if (SAFEMAP_UNLIKELY(err))
		return err;
	return batch(m, BATCH_GET, keys, NULL, values, n, 0, results);
}

int safemap_put_batch(struct safemap *m, const void *keys, const void *values, size_t n,
		      unsigned flags, int *results)
{
	int err = check_batch("safemap_put_batch", m, keys, values, n);

	if (err)
		return err;
	if (flags > SAFEMAP_EXIST)
		return safemap__errorf(-EINVAL, "safemap_put_batch: unknown flags %u", flags);
	return batch(m, BATCH_PUT, keys, values, NULL, n, flags, results);
}

int safemap_delete_batch(struct safemap *m, const void *keys, size_t n, int *results)
{
	int err = check_batch("safemap_delete_batch", m, keys, keys, n);

	if (SAFEMAP_UNLIKELY(err))
		return err;
	return batch(m, BATCH_DELETE, keys, NULL, NULL, n, 0, results);
}
