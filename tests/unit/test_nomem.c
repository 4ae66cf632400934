/* SPDX-License-Identifier: BSD-2-Clause */
/* Fault tolerance: an allocator (context pointer, free takes the size) that
 * fails the N-th allocation, for every N over a workload of create, puts,
 * replaces (some of referenced values), deletes, get_refs, updates, cas and
 * clears. For each N: a call that returns -ENOMEM is exactly the call whose
 * allocation failed, and it left the map exactly as before (every key
 * compared with a reference model, and the count); every other call gives
 * the model's result; references keep their bytes; at the end every stored
 * value was finalized exactly once and the allocator balances (no leak,
 * every free with the size that was allocated). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../testutil.h"

#define KEYS 40
#define MAX_ENTRIES 32
#define HOLD 3
#define MAXIDS 4096

struct val { /* larger than update's stack buffer: update allocates too */
	uint64_t id, key;
	unsigned char pad[272];
};

struct alloc {
	long n, fail_at, failures, live, bytes;
};

static void *a_malloc(size_t size, void *ctx)
{
	struct alloc *a = ctx;
	void *p;

	if (++a->n == a->fail_at) {
		a->failures++;
		return NULL;
	}
	p = malloc(size);
	if (p) {
		a->live++;
		a->bytes += (long)size;
	}
	return p;
}

static void a_free(void *p, size_t size, void *ctx)
{
	struct alloc *a = ctx;

	a->live--;
	a->bytes -= (long)size;
	free(p);
}

static int finalized[MAXIDS];
static bool stored[MAXIDS];

static void fin(void *key, void *value, void *ctx)
{
	struct val *v = value;

	ck_assert_uint_lt(v->id, MAXIDS);
	finalized[v->id]++;
}

static struct val mkval(uint64_t id, uint64_t key)
{
	struct val v;

	v.id = id;
	v.key = key;
	memset(v.pad, (int)(id * 7 + key), sizeof(v.pad));
	return v;
}

/* the reference model */
struct model {
	bool present[KEYS];
	uint64_t id[KEYS];
	size_t count;
	uint64_t next_id;
	struct safemap_ref ref[HOLD];
	uint64_t ref_id[HOLD], ref_key[HOLD];
	int nref;
};

static void check_same(struct safemap *m, const struct model *md, const char *when)
{
	struct val v, want;
	uint64_t k;
	int i;

	ck_assert_msg(safemap_count(m) == md->count, "%s: count %zu, model %zu", when,
		      safemap_count(m), md->count);
	for (k = 0; k < KEYS; k++) {
		int err = safemap_get(m, &k, &v);

		ck_assert_msg(err == (md->present[k] ? 0 : -ENOENT), "%s: key %llu: %d", when,
			      (unsigned long long)k, err);
		if (!err) {
			want = mkval(md->id[k], k);
			ck_assert_msg(!memcmp(&v, &want, sizeof(v)), "%s: key %llu: value differs",
				      when, (unsigned long long)k);
		}
	}
	for (i = 0; i < md->nref; i++) {
		want = mkval(md->ref_id[i], md->ref_key[i]);
		ck_assert_msg(!memcmp(safemap_ref_value(&md->ref[i]), &want, sizeof(want)),
			      "%s: referenced value changed", when);
	}
}

struct upd {
	int action;
	struct val v;
};

static int upd_fn(const void *key, void *value, bool present, void *ctx)
{
	struct upd *u = ctx;

	if (u->action == SAFEMAP_UPDATE_STORE)
		memcpy(value, &u->v, sizeof(u->v));
	return u->action;
}

enum kind { K_PUT, K_DELETE, K_REF, K_UNREF, K_UPDATE, K_CAS, K_CLEAR, K_NKINDS };

/* Which kinds of call hit -ENOMEM over all N (to prove the paths ran). */
static long nomem_by_kind[K_NKINDS];
static long nomem_replace_referenced;

/* One run with the fail_at-th allocation failing; returns the number of
 * allocations the run made. */
static long run(long fail_at)
{
	struct alloc a = { .fail_at = fail_at };
	struct safemap_alloc sa = { a_malloc, a_free, &a };
	SAFEMAP_OPTS(safemap_type, t, .finalize = fin);
	SAFEMAP_OPTS(safemap_opts, o, .name = "nomem", .key_size = 8, .value_size = sizeof(struct val),
		     .shards = 2, .max_entries = MAX_ENTRIES, .alloc = &sa, .type = &t);
	struct model md;
	struct safemap *m = NULL;
	uint64_t rng = 12345, k, id;
	int step, err, i;

	memset(&md, 0, sizeof(md));
	memset(finalized, 0, sizeof(finalized));
	memset(stored, 0, sizeof(stored));
	err = safemap_create(&o, &m);
	if (err) {
		ck_assert_int_eq(err, -ENOMEM);
		ck_assert_int_eq(a.failures, 1);
		ck_assert_int_eq(a.live, 0);
		return a.n;
	}
	for (step = 0; step < 800; step++) {
		long before = a.failures;
		unsigned r = (unsigned)(tu_next(&rng) % 100);
		enum kind kind;
		int want = 0;
		bool referenced;

		k = tu_next(&rng) % KEYS;
		/* aim at a key whose current value is referenced (always for cas,
		 * else half of the time): replacing it must swap in a new entry */
		for (i = 0; i < md.nref && (r >= 85 || tu_next(&rng) % 2); i++)
			if (md.present[md.ref_key[i]] && md.id[md.ref_key[i]] == md.ref_id[i]) {
				k = md.ref_key[i];
				break;
			}
		id = md.next_id++;
		ck_assert_uint_lt(id, MAXIDS - 1);
		referenced = false;
		for (i = 0; i < md.nref; i++)
			referenced |= md.ref_key[i] == k && md.present[k] && md.ref_id[i] == md.id[k];
		if (r < 40) {
			struct val v = mkval(id, k);
			unsigned flags = r % 3;

			kind = K_PUT;
			if (md.present[k])
				want = flags == SAFEMAP_NOEXIST ? -EEXIST : 0;
			else if (flags == SAFEMAP_EXIST)
				want = -ENOENT;
			else
				want = md.count == MAX_ENTRIES ? -E2BIG : 0;
			err = safemap_put(m, &k, &v, flags);
			if (!err) {
				stored[id] = true;
				md.count += !md.present[k];
				md.present[k] = true;
				md.id[k] = id;
			}
		} else if (r < 55) {
			kind = K_DELETE;
			want = md.present[k] ? 0 : -ENOENT;
			err = safemap_delete(m, &k);
			if (!err) {
				md.present[k] = false;
				md.count--;
			}
		} else if (r < 67) {
			if (md.nref == HOLD || (md.nref && r % 2)) {
				kind = K_UNREF;
				safemap_ref_put(&md.ref[--md.nref]);
				err = 0;
			} else {
				kind = K_REF;
				want = md.present[k] ? 0 : -ENOENT;
				err = safemap_get_ref(m, &k, &md.ref[md.nref]);
				if (!err) {
					md.ref_id[md.nref] = md.id[k];
					md.ref_key[md.nref++] = k;
				}
			}
		} else if (r < 85) {
			struct upd u = { .action = (int)(r % 3), .v = mkval(id, k) };

			kind = K_UPDATE;
			want = u.action == SAFEMAP_UPDATE_STORE && !md.present[k] &&
			       md.count == MAX_ENTRIES ? -E2BIG : 0;
			err = safemap_update(m, &k, upd_fn, &u, SAFEMAP_ANY);
			if (!err && u.action == SAFEMAP_UPDATE_STORE) {
				stored[id] = true;
				md.count += !md.present[k];
				md.present[k] = true;
				md.id[k] = id;
			} else if (!err && u.action == SAFEMAP_UPDATE_DELETE && md.present[k]) {
				md.present[k] = false;
				md.count--;
			}
		} else if (r < 98) {
			struct val exp = mkval(md.id[k], k), des = mkval(id, k);

			kind = K_CAS;
			if (md.present[k] && !referenced && md.nref < HOLD && r % 2) {
				/* hold the value being swapped: the cas must allocate */
				ck_assert_int_eq(safemap_get_ref(m, &k, &md.ref[md.nref]), 0);
				md.ref_id[md.nref] = md.id[k];
				md.ref_key[md.nref++] = k;
				referenced = true;
			}
			if (r % 4 == 0)
				exp.pad[5] ^= 1; /* a stale expectation */
			want = !md.present[k] ? -ENOENT : r % 4 == 0 ? -EAGAIN : 0;
			err = safemap_cas(m, &k, &exp, &des);
			if (!err) {
				stored[id] = true;
				md.id[k] = id;
			}
		} else {
			kind = K_CLEAR;
			err = safemap_clear(m);
			memset(md.present, 0, sizeof(md.present));
			md.count = 0;
		}
		if (a.failures != before) {
			/* this call's allocation failed: -ENOMEM, nothing changed */
			ck_assert_msg(err == -ENOMEM, "fail_at %ld step %d kind %d: got %d", fail_at,
				      step, kind, err);
			ck_assert_ptr_nonnull(strstr(safemap_last_error(), "out of memory"));
			nomem_by_kind[kind]++;
			nomem_replace_referenced += referenced;
			check_same(m, &md, "after -ENOMEM");
		} else {
			ck_assert_msg(err == want, "fail_at %ld step %d kind %d: got %d want %d",
				      fail_at, step, kind, err, want);
		}
		if (step % 50 == 0)
			check_same(m, &md, "periodic");
	}
	check_same(m, &md, "end");
	/* capacity is intact too: exactly max_entries fit, not one more or less */
	a.fail_at = 0;
	for (k = 1000; safemap_put(m, &k, &(struct val){ .id = MAXIDS - 1 }, SAFEMAP_NOEXIST) == 0; k++)
		;
	ck_assert_msg(k - 1000 == MAX_ENTRIES - md.count,
		      "fail_at %ld: %llu more entries fit into %zu, max_entries %d", fail_at,
		      (unsigned long long)(k - 1000), md.count, MAX_ENTRIES);
	ck_assert_uint_eq(safemap_count(m), MAX_ENTRIES);
	while (--k >= 1000)
		ck_assert_int_eq(safemap_delete(m, &k), 0);
	while (md.nref)
		safemap_ref_put(&md.ref[--md.nref]);
	safemap_destroy(m);
	ck_assert_msg(a.live == 0 && a.bytes == 0, "fail_at %ld: leak: %ld blocks, %ld bytes",
		      fail_at, a.live, a.bytes);
	for (id = 0; id < md.next_id; id++)
		ck_assert_msg(finalized[id] == (stored[id] ? 1 : 0),
			      "fail_at %ld: value %llu finalized %d times (stored %d)", fail_at,
			      (unsigned long long)id, finalized[id], stored[id]);
	return a.n;
}

START_TEST(fail_every_allocation)
{
	long total = run(0), n, failed_runs = 0; /* 0: never fail; counts allocations */

	ck_assert_int_gt(total, 100);
	for (n = 1; n <= total; n++) {
		run(n);
		failed_runs++;
	}
	fprintf(stderr,
		"nomem: %ld allocations in the workload, each failed once: -ENOMEM from put %ld, update %ld, cas %ld (replacing a referenced value %ld)\n",
		total, nomem_by_kind[K_PUT], nomem_by_kind[K_UPDATE], nomem_by_kind[K_CAS],
		nomem_replace_referenced);
	/* the allocating paths were hit. Entries come from slab chunks and
	 * freed entries are reused, so a put or cas reaches the allocator only
	 * when its shard's chunk is used up: cas rarely does in this workload
	 * (test_refs' replace_referenced_enomem forces it for put and cas) */
	ck_assert_int_gt(nomem_by_kind[K_PUT], 0);
	ck_assert_int_gt(nomem_by_kind[K_UPDATE], 0);
	ck_assert_int_gt(nomem_replace_referenced, 0);
	/* and nothing that does not allocate ever failed */
	ck_assert_int_eq(nomem_by_kind[K_DELETE] + nomem_by_kind[K_REF] + nomem_by_kind[K_UNREF] +
				 nomem_by_kind[K_CLEAR], 0);
	ck_assert_int_eq(failed_runs, total);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nomem");
	TCase *tc = tcase_create("nomem");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, fail_every_allocation);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
