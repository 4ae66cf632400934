/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: random operation sequences on one map against a plain
 * reference model (an array indexed by key id); any difference aborts.
 *
 * Input: 5 header bytes choose the map (key size 1..24, value size 1..16,
 * 1..16 shards, max_entries 0 or 1..48, hash_bits 0 or 1..7: with a narrow
 * hash most keys collide; 1 in 4 of 8-byte keys and values with the full
 * hash; 1 in 8 presized to large tables), then 3 bytes
 * per operation: opcode, key id (0..63), value seed. Operations: put with
 * each flag, get, delete, batches of each (0..28 keys, duplicates), count,
 * foreach (full compare; writes and reads from inside the callback; early
 * stop; nested walk), snapshot (full compare, lookups), freeze, metrics and
 * events against the model's counts; and for the table (lib/map/table.h):
 * grow (a burst of inserts of keys 64..NKEYS-1: the shard tables rehash
 * through several sizes), shrink (delete most of them: tables shrink and,
 * empty, are freed), churn (insert and delete in turn over a moving window:
 * erasures in overflowed groups, clean rehashes), and references (get_ref
 * holds up to HOLD entries whose bytes are checked after every later
 * operation that could move them).
 *
 * Built with clang -fsanitize=fuzzer,address,undefined under
 * -DSAFEMAP_FUZZ=ON; tests/fuzz/replay.c runs the committed corpus through
 * the same function in every build. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <safemap/safemap.h>

#define NKEYS 1024 /* ids; single-key operations use 0..SMALL-1 */
#define SMALL 64
#define MAXK 24
#define MAXV 16
#define HOLD 4

struct model {
	struct safemap *m;
	size_t ks, vs, max;
	bool frozen;
	bool present[NKEYS];
	unsigned char value[NKEYS][MAXV];
	size_t count;
	uint64_t refused[SAFEMAP_REASON_MAX];
	uint64_t events[SAFEMAP_REASON_MAX];
	uint64_t puts, gets, deletes; /* calls that reach a shard */
	unsigned nids;                /* ids that fit the key size */
	struct safemap_ref ref[HOLD];
	unsigned char ref_key[HOLD][MAXK], ref_val[HOLD][MAXV];
	int nref;
	/* scratch for walks */
	unsigned char seen[NKEYS];
	long calls, stop_after;
	int inner_err, inner_get;
	uint8_t probe;
};

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "fuzz_map: %s:%d: %s (last error: %s)\n", __FILE__,  \
				__LINE__, #cond, safemap_last_error());                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

static void key_of(const struct model *md, unsigned id, unsigned char *k)
{
	size_t i;

	k[0] = (unsigned char)id;
	if (md->ks > 1)
		k[1] = (unsigned char)(id >> 8);
	for (i = 2; i < md->ks; i++)
		k[i] = (unsigned char)(id * 37u + i * 11u);
}

static unsigned id_of(const struct model *md, const void *key)
{
	unsigned char k[MAXK];
	unsigned id = *(const unsigned char *)key;

	if (md->ks > 1)
		id |= (unsigned)((const unsigned char *)key)[1] << 8;
	CHECK(id < md->nids);
	key_of(md, id, k);
	CHECK(!memcmp(k, key, md->ks));
	return id;
}

static void value_of(const struct model *md, uint8_t seed, unsigned char *v)
{
	size_t i;

	for (i = 0; i < md->vs; i++)
		v[i] = (unsigned char)(seed + i * 31u);
}

static void on_event(const struct safemap_event *ev, void *ctx)
{
	struct model *md = ctx;

	CHECK(ev->reason < SAFEMAP_REASON_MAX);
	if (ev->result) /* refusals; the watermark warning is not one */
		md->events[ev->reason]++;
}

/* What the single put of @p id with value @p v returns, applied to the model
 * (counters, refusals, content) as the map applies it. */
static int model_put(struct model *md, unsigned id, const unsigned char *v, unsigned flags)
{
	int want;

	if (md->frozen)
		want = -EPERM;
	else if (md->present[id])
		want = flags == SAFEMAP_NOEXIST ? -EEXIST : 0;
	else if (flags == SAFEMAP_EXIST)
		want = -ENOENT;
	else
		want = md->max && md->count >= md->max ? -E2BIG : 0;
	if (want == -EPERM) {
		md->refused[SAFEMAP_REASON_FROZEN]++;
		return want;
	}
	md->puts++;
	if (want == -E2BIG)
		md->refused[SAFEMAP_REASON_FULL]++;
	if (want)
		return want;
	if (!md->present[id])
		md->count++;
	md->present[id] = true;
	memcpy(md->value[id], v, md->vs);
	return 0;
}

static int model_delete(struct model *md, unsigned id)
{
	if (md->frozen) {
		md->refused[SAFEMAP_REASON_FROZEN]++;
		return -EPERM;
	}
	md->deletes++;
	if (!md->present[id])
		return -ENOENT;
	md->count--;
	md->present[id] = false;
	return 0;
}

static void do_put(struct model *md, unsigned id, uint8_t seed, unsigned flags)
{
	unsigned char k[MAXK], v[MAXV];
	int want;

	key_of(md, id, k);
	value_of(md, seed, v);
	want = model_put(md, id, v, flags);
	CHECK(safemap_put(md->m, k, v, flags) == want);
}

static void do_get(struct model *md, unsigned id)
{
	unsigned char k[MAXK], v[MAXV], zero[MAXV] = { 0 };

	key_of(md, id, k);
	memset(v, 0xee, sizeof(v));
	CHECK(safemap_get(md->m, k, v) == (md->present[id] ? 0 : -ENOENT));
	CHECK(!memcmp(v, md->present[id] ? md->value[id] : zero, md->vs));
	md->gets++;
}

static void do_delete(struct model *md, unsigned id)
{
	unsigned char k[MAXK];
	int want;

	key_of(md, id, k);
	want = model_delete(md, id);
	CHECK(safemap_delete(md->m, k) == want);
}

/* A batch call (get, put with a flag, delete; from @p arg) of 0..28 keys
 * from @p id on (the small key space, or all of it when @p wide), with
 * duplicates: every result, the count returned, the values got and the
 * model after it, as single calls in array order. */
#define MAXBATCH 28
static void do_batch(struct model *md, unsigned id, uint8_t arg, bool wide)
{
	unsigned char keys[MAXBATCH * MAXK] = { 0 }, vals[MAXBATCH * MAXV], zero[MAXV] = { 0 };
	unsigned kind = arg % 3, flags = arg / 3 % 3, span = wide ? md->nids : SMALL;
	unsigned ids[MAXBATCH], i, n = arg / 9 % (MAXBATCH + 1);
	int want[MAXBATCH], got[MAXBATCH], ok = 0, r;

	for (i = 0; i < n; i++) {
		/* every third element or so repeats an earlier one */
		ids[i] = i && (id + i * 7) % 3 == 0 ? ids[(id + i) % i]
						    : (id + i * (1 + id % 5)) % span;
		key_of(md, ids[i], keys + i * md->ks);
		value_of(md, (uint8_t)(arg + i * 17), vals + i * md->vs);
	}
	if (kind == 0) { /* gets change nothing: the model as it is */
		memset(vals, 0xee, sizeof(vals));
		r = safemap_get_batch(md->m, keys, vals, n, got);
		for (i = 0; i < n; i++) {
			want[i] = md->present[ids[i]] ? 0 : -ENOENT;
			CHECK(!memcmp(vals + i * md->vs,
				      md->present[ids[i]] ? md->value[ids[i]] : zero, md->vs));
			md->gets++;
		}
	} else {
		for (i = 0; i < n; i++)
			want[i] = kind == 1 ? model_put(md, ids[i], vals + i * md->vs, flags)
					    : model_delete(md, ids[i]);
		r = kind == 1 ? safemap_put_batch(md->m, keys, vals, n, flags, got)
			      : safemap_delete_batch(md->m, keys, n, got);
	}
	for (i = 0; i < n; i++) {
		CHECK(got[i] == want[i]);
		ok += want[i] == 0;
	}
	CHECK(r == ok);
}

static int count_cb(const void *key, const void *value, void *ctx)
{
	(void)key, (void)value;
	(*(long *)ctx)++;
	return 0;
}

/* a walk's callback: each entry once, with the model's value; on the
 * first call try a write (refused) and a read (allowed) of the same map */
static int walk_cb(const void *key, const void *value, void *ctx)
{
	struct model *md = ctx;
	unsigned id = id_of(md, key);
	unsigned char k[MAXK], v[MAXV];

	CHECK(md->present[id]);
	CHECK(!memcmp(value, md->value[id], md->vs));
	CHECK(md->seen[id]++ == 0);
	if (md->calls++ == 0 && md->probe) {
		key_of(md, md->probe % NKEYS, k);
		value_of(md, md->probe, v);
		md->inner_err = md->probe & 1 ? safemap_put(md->m, k, v, SAFEMAP_ANY)
					      : safemap_delete(md->m, k);
		md->inner_get = safemap_get(md->m, k, v);
		{ /* a nested walk of the same map sees the same entries */
			long n = 0;

			CHECK(safemap_foreach(md->m, count_cb, &n) == 0);
			CHECK((size_t)n == md->count);
		}
	}
	return md->stop_after && md->calls == md->stop_after ? 7 : 0;
}

static void do_foreach(struct model *md, uint8_t arg)
{
	unsigned id;
	int ret;

	memset(md->seen, 0, sizeof(md->seen));
	md->calls = 0;
	md->stop_after = arg % 4 == 1 ? 1 + arg / 64 : 0;
	md->probe = arg % 4 == 2 ? arg : 0;
	md->inner_err = md->inner_get = 1;
	ret = safemap_foreach(md->m, walk_cb, md);
	if (md->stop_after && md->count >= (size_t)md->stop_after) {
		CHECK(ret == 7);
		CHECK(md->calls == md->stop_after);
		return;
	}
	CHECK(ret == 0);
	CHECK((size_t)md->calls == md->count);
	for (id = 0; id < md->nids; id++)
		CHECK(md->seen[id] == md->present[id]);
	if (md->probe && md->count) {
		unsigned pid = md->probe % NKEYS;

		CHECK(md->inner_err == (md->frozen ? -EPERM : -EDEADLK));
		md->refused[md->frozen ? SAFEMAP_REASON_FROZEN : SAFEMAP_REASON_WRITE_IN_ITERATION]++;
		CHECK(md->inner_get == (md->present[pid] ? 0 : -ENOENT));
		md->gets++;
	}
}

static int snap_cb(const void *key, const void *value, void *ctx)
{
	struct model *md = ctx;
	unsigned id = id_of(md, key);

	CHECK(md->present[id]);
	CHECK(!memcmp(value, md->value[id], md->vs));
	CHECK(md->seen[id]++ == 0);
	return 0;
}

static void do_snapshot(struct model *md, uint8_t arg)
{
	struct safemap_snap *sn = NULL;
	unsigned char k[MAXK], v[MAXV];
	unsigned id;

	CHECK(safemap_snapshot(md->m, &sn) == 0);
	CHECK(safemap_snapshot_count(sn) == md->count);
	memset(md->seen, 0, sizeof(md->seen));
	CHECK(safemap_snapshot_foreach(sn, snap_cb, md) == 0);
	for (id = 0; id < md->nids; id++) {
		CHECK(md->seen[id] == md->present[id]);
		key_of(md, id, k);
		CHECK(safemap_snapshot_get(sn, k, v) == (md->present[id] ? 0 : -ENOENT));
		if (md->present[id])
			CHECK(!memcmp(v, md->value[id], md->vs));
	}
	/* a write after the snapshot does not show in it */
	if (!md->frozen && arg & 1) {
		do_delete(md, arg % NKEYS);
		CHECK(safemap_snapshot_count(sn) >= md->count);
	}
	safemap_snapshot_free(sn);
}

static void do_metrics(struct model *md)
{
	struct safemap_metrics mt;
	int r;

	SAFEMAP_OPTS_INIT(&mt);
	CHECK(safemap_metrics_read(md->m, &mt) == 0);
	CHECK(mt.entries == md->count);
	CHECK(mt.max_entries == md->max);
	CHECK(mt.frozen == md->frozen);
	CHECK(mt.ops[SAFEMAP_OP_PUT] == md->puts);
	CHECK(mt.ops[SAFEMAP_OP_GET] == md->gets);
	CHECK(mt.ops[SAFEMAP_OP_DELETE] == md->deletes);
	for (r = 0; r < SAFEMAP_REASON_MAX; r++) {
		CHECK(mt.refused[r] == md->refused[r]);
		CHECK(md->events[r] == md->refused[r]);
	}
}

/* held references still show the bytes they had when taken */
static void check_refs(const struct model *md)
{
	int i;

	for (i = 0; i < md->nref; i++) {
		CHECK(!memcmp(safemap_ref_key(&md->ref[i]), md->ref_key[i], md->ks));
		CHECK(!memcmp(safemap_ref_value(&md->ref[i]), md->ref_val[i], md->vs));
	}
}

static void do_ref(struct model *md, unsigned id)
{
	unsigned char k[MAXK];
	struct safemap_ref r;

	key_of(md, id, k);
	md->gets++;
	if (md->nref == HOLD) {
		safemap_ref_put(&md->ref[0]);
		memmove(&md->ref[0], &md->ref[1], sizeof(md->ref[0]) * (HOLD - 1));
		memmove(md->ref_key[0], md->ref_key[1], sizeof(md->ref_key[0]) * (HOLD - 1));
		memmove(md->ref_val[0], md->ref_val[1], sizeof(md->ref_val[0]) * (HOLD - 1));
		md->nref--;
	}
	CHECK(safemap_get_ref(md->m, k, &r) == (md->present[id] ? 0 : -ENOENT));
	if (!md->present[id])
		return;
	CHECK(!memcmp(safemap_ref_value(&r), md->value[id], md->vs));
	md->ref[md->nref] = r;
	memcpy(md->ref_key[md->nref], k, md->ks);
	memcpy(md->ref_val[md->nref], md->value[id], md->vs);
	md->nref++;
}

static void do_unref(struct model *md)
{
	if (md->nref)
		safemap_ref_put(&md->ref[--md->nref]);
}

/* grow: up to 16 + 4 * arg inserts of absent keys SMALL.. (each a put) */
static void do_grow(struct model *md, uint8_t arg)
{
	unsigned id, n = 16 + 4u * arg;

	for (id = SMALL; id < md->nids && n; id++) {
		if (md->present[id])
			continue;
		do_put(md, id, (uint8_t)(id + arg), arg & 1 ? SAFEMAP_NOEXIST : SAFEMAP_ANY);
		n--;
	}
	check_refs(md);
}

/* shrink: delete every key SMALL.. but one in (arg % 16 + 2) */
static void do_shrink(struct model *md, uint8_t arg)
{
	unsigned id, keep = arg % 16 + 2;

	for (id = SMALL; id < md->nids; id++)
		if (md->present[id] && id % keep)
			do_delete(md, id);
	check_refs(md);
}

/* churn: over a window that moves, delete what is there and insert what is
 * not, in turn: many erasures, many reinserts into the same groups */
static void do_churn(struct model *md, uint8_t arg)
{
	unsigned span = md->nids - SMALL, j, n = 32 + 2u * arg;

	for (j = 0; j < n; j++) {
		unsigned id = SMALL + (j * 7u + arg * 13u) % span;

		if (md->present[id])
			do_delete(md, id);
		else
			do_put(md, id, (uint8_t)(j ^ arg), SAFEMAP_ANY);
	}
	check_refs(md);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model md0;
	struct model *md = &md0;
	bool shape88;
	size_t i;

	if (size < 5)
		return 0;
	memset(md, 0, sizeof(*md));
	/* 1 in 4: 8-byte keys and values with the full hash, the maps whose
	 * writes and gets take the one-pass paths (lib/map/ops.c: write88,
	 * get88) */
	shape88 = (data[0] & 0xc0) == 0xc0;
	md->ks = shape88 ? 8 : 1 + data[0] % MAXK;
	md->vs = shape88 ? 8 : 1 + data[1] % MAXV;
	md->max = data[3] & 0x80 ? 0 : 1 + data[3] % 48;
	md->nids = md->ks == 1 ? 256 : NKEYS;
	{
		SAFEMAP_OPTS(safemap_opts, o, .name = "fuzz", .key_size = md->ks,
			     .value_size = md->vs, .shards = 1u << (data[2] % 5),
			     .max_entries = md->max, .hash_bits = shape88 ? 0 : data[4] & 7,
			     /* 1 in 8: tables of > 1 MiB (>= 8334 groups of >= 136
			      * bytes), where the batch calls run staged probes
			      * (lib/map/table_batch.h); walks are slower there */
			     .expected_entries = (data[4] & 0x38) == 0x38 ? 100000 : 0,
			     .event_fn = on_event, .event_ctx = md);

		CHECK(safemap_create(&o, &md->m) == 0);
	}
	for (i = 5; i + 3 <= size; i += 3) {
		uint8_t op = data[i], arg = data[i + 2];
		unsigned id = data[i + 1] % SMALL;

		switch (op % 17) {
		case 0: do_put(md, id, arg, SAFEMAP_ANY); break;
		case 1: do_put(md, id, arg, SAFEMAP_NOEXIST); break;
		case 2: do_put(md, id, arg, SAFEMAP_EXIST); break;
		case 3: do_get(md, id); break;
		case 4: do_delete(md, id); break;
		case 5: CHECK(safemap_count(md->m) == md->count); break;
		case 6: do_foreach(md, arg); break;
		case 7: do_snapshot(md, arg); break;
		case 8:
			if (op >= 128) { /* rarely: freeze for good */
				CHECK(safemap_freeze(md->m) == 0);
				md->frozen = true;
				CHECK(safemap_is_frozen(md->m));
			}
			break;
		case 9: do_metrics(md); check_refs(md); break;
		case 10: do_batch(md, id, arg, data[i + 1] & 0x80); check_refs(md); break;
		case 12: do_grow(md, arg); break;
		case 13: do_shrink(md, arg); break;
		case 14: do_churn(md, arg); break;
		case 15: do_ref(md, id); break;
		case 16: do_unref(md); break;
		default: do_put(md, id, arg, op & 1 ? SAFEMAP_ANY : SAFEMAP_NOEXIST); break;
		}
	}
	do_metrics(md);
	check_refs(md);
	while (md->nref)
		do_unref(md);
	safemap_destroy(md->m);
	return 0;
}
