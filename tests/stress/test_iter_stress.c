/* SPDX-License-Identifier: BSD-2-Clause */
/* Iteration, snapshots and freeze under concurrent writers (label stress,
 * so they also run under ThreadSanitizer). The invariants fail on a broken
 * lock: 1,024 stable keys (never deleted, their values rewritten) must be
 * seen exactly once per walk with a value consistent with the key, while
 * other keys churn; after safemap_freeze() returns, no write succeeds.
 * Durations: $SAFEMAP_STRESS_SECONDS. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../testutil.h"

/* Under ThreadSanitizer: reads from inside a walk of an earlier shard are
 * lock-order inversions by design; their wait is bounded (250 ms, then
 * -EDEADLK), which breaks any cycle through them, and every cycle the lock
 * rules allow passes through one. Reports that include such a wait are
 * suppressed; any other lock-order inversion is still reported. */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return "deadlock:safemap__rdlock_bounded\n";
}

#define STABLE 1024u
#define CHURN 4096u
#define CHURN_BASE (1u << 20)
#define WRITERS 2
#define WALKERS 2

struct val {
	uint64_t key, version, check; /* check = check_of(key, version) */
};

static uint64_t check_of(uint64_t key, uint64_t version)
{
	uint64_t s = key * 0x100000001b3ull ^ version;

	return tu_next(&s) ^ (version << 1);
}

static bool val_ok(const void *key, const void *value)
{
	struct val v;
	uint64_t k;

	memcpy(&k, key, 8);
	memcpy(&v, value, sizeof(v));
	return v.key == k && v.check == check_of(k, v.version);
}

struct run {
	struct safemap *m;
	double until;
	long errors, walks, writes;
	int stop;
};

static void bad(struct run *r, const char *what, uint64_t key)
{
	if (__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED) < 5)
		fprintf(stderr, "iter stress: %s key %llu\n", what, (unsigned long long)key);
}

static void *writer(void *arg)
{
	struct run *r = arg;
	uint64_t rng = (uint64_t)(uintptr_t)&rng, n = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		uint64_t x = tu_next(&rng), k;
		struct val v;
		int err;

		if (x & 1) { /* rewrite a stable key: must be present */
			k = (x >> 8) % STABLE;
			v = (struct val){ k, x, check_of(k, x) };
			err = safemap_put(r->m, &k, &v, SAFEMAP_EXIST);
			if (err)
				bad(r, "stable key missing on rewrite", k);
		} else if (x & 2) {
			k = CHURN_BASE + (x >> 8) % CHURN;
			v = (struct val){ k, x, check_of(k, x) };
			err = safemap_put(r->m, &k, &v, SAFEMAP_ANY);
			if (err)
				bad(r, "churn put failed", k);
		} else {
			k = CHURN_BASE + (x >> 8) % CHURN;
			err = safemap_delete(r->m, &k);
			if (err && err != -ENOENT)
				bad(r, "churn delete failed", k);
		}
		n++;
	}
	__atomic_fetch_add(&r->writes, (long)n, __ATOMIC_RELAXED);
	return NULL;
}

/* One walk's view: each stable key exactly once, each churn key at most once. */
struct view {
	struct run *r;
	unsigned char stable[STABLE], churn[CHURN];
	uint64_t rng;     /* non-zero: read stable keys from inside the callback */
	long gets, gave_up;
};

static int view_cb(const void *key, const void *value, void *ctx)
{
	struct view *w = ctx;
	uint64_t k;

	memcpy(&k, key, 8);
	if (!val_ok(key, value))
		bad(w->r, "value not consistent with its key", k);
	if (k < STABLE) {
		if (w->stable[k]++)
			bad(w->r, "stable key seen twice in one walk", k);
	} else if (k >= CHURN_BASE && k < CHURN_BASE + CHURN) {
		if (w->churn[k - CHURN_BASE]++)
			bad(w->r, "churn key seen twice in one walk", k);
	} else {
		bad(w->r, "key never written", k);
	}
	if (w->rng && (tu_next(&w->rng) & 31) == 0) {
		/* a read of the same map from inside the walk: any shard, the
		 * held one included, while writers wait on them */
		uint64_t rk = tu_next(&w->rng) % STABLE;
		struct val v;
		int err = safemap_get(w->r->m, &rk, &v);

		w->gets++;
		if (err == -EDEADLK) /* a lock cycle with the other walker, broken */
			w->gave_up++;
		else if (err || !val_ok(&rk, &v))
			bad(w->r, "get from inside a walk", rk);
	}
	return 0;
}

static void view_check(struct view *w)
{
	uint64_t k;

	for (k = 0; k < STABLE; k++)
		if (w->stable[k] != 1)
			bad(w->r, "stable key missed by a walk", k);
}

static void *walker(void *arg)
{
	struct run *r = arg;
	struct view *w = malloc(sizeof(*w));
	uint64_t rng = (uint64_t)(uintptr_t)w | 1;
	long gets = 0, gave_up = 0;

	while (tu_now() < r->until) {
		memset(w, 0, sizeof(*w));
		w->r = r;
		w->rng = tu_next(&rng) | 1;
		if (safemap_foreach(r->m, view_cb, w) != 0)
			bad(r, "foreach failed", 0);
		view_check(w);
		gets += w->gets;
		gave_up += w->gave_up;
		__atomic_fetch_add(&r->walks, 1, __ATOMIC_RELAXED);
	}
	fprintf(stderr, "walker: %ld gets from inside walks, %ld gave up on a lock cycle\n", gets,
		gave_up);
	free(w);
	return NULL;
}

static struct safemap *stress_map(unsigned shards)
{
	struct safemap *m = tu_map(8, sizeof(struct val), shards, 0);
	uint64_t k;

	for (k = 0; k < STABLE; k++) {
		struct val v = { k, 0, check_of(k, 0) };

		ck_assert_int_eq(safemap_put(m, &k, &v, SAFEMAP_NOEXIST), 0);
	}
	return m;
}

static void run_walkers(unsigned shards, void *(*walk)(void *))
{
	struct run r = { 0 };
	pthread_t w[WRITERS], t[WALKERS];
	int i;

	r.m = stress_map(shards);
	r.until = tu_now() + tu_stress_seconds(2.0);
	for (i = 0; i < WRITERS; i++)
		pthread_create(&w[i], NULL, writer, &r);
	for (i = 0; i < WALKERS; i++)
		pthread_create(&t[i], NULL, walk, &r);
	for (i = 0; i < WALKERS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	fprintf(stderr, "iter stress (%u shards): %ld walks, %ld writes, %ld errors\n", shards,
		r.walks, r.writes, r.errors);
	ck_assert_int_eq(r.errors, 0);
	ck_assert_int_ge(r.walks, 1);
	ck_assert_int_gt(r.writes, 0);
	safemap_destroy(r.m);
}

START_TEST(foreach_under_writers)
{
	run_walkers(0, walker);
	run_walkers(4, walker);
}
END_TEST

/* ---- snapshots under writers. One sequencer rewrites the stable keys
 * round-robin (write number g goes to key g % STABLE with version g), so at
 * any instant every stable key's version lies in (V - STABLE, V] where V is
 * the newest: a copy that mixed shards seen at different instants breaks
 * that. Churn writers insert and delete other keys meanwhile. */
static void *sequencer(void *arg)
{
	struct run *r = arg;
	uint64_t g;

	for (g = STABLE; !__atomic_load_n(&r->stop, __ATOMIC_RELAXED); g++) {
		uint64_t k = g % STABLE;
		struct val v = { k, g, check_of(k, g) };

		if (safemap_put(r->m, &k, &v, SAFEMAP_EXIST))
			bad(r, "stable key missing on rewrite", k);
	}
	__atomic_fetch_add(&r->writes, (long)(g - STABLE), __ATOMIC_RELAXED);
	return NULL;
}

static void *churner(void *arg)
{
	struct run *r = arg;
	uint64_t rng = (uint64_t)(uintptr_t)&rng, n = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		uint64_t x = tu_next(&rng), k = CHURN_BASE + (x >> 8) % CHURN;
		struct val v = { k, x, check_of(k, x) };
		int err = x & 1 ? safemap_put(r->m, &k, &v, SAFEMAP_ANY) : safemap_delete(r->m, &k);

		if (err && err != -ENOENT)
			bad(r, "churn write failed", k);
		n++;
	}
	__atomic_fetch_add(&r->writes, (long)n, __ATOMIC_RELAXED);
	return NULL;
}

struct snap_view {
	struct view v;
	uint64_t vmin, vmax;
	long calls;
};

static int snap_view_cb(const void *key, const void *value, void *ctx)
{
	struct snap_view *sv = ctx;
	struct val v;

	view_cb(key, value, &sv->v);
	memcpy(&v, value, sizeof(v));
	if (v.key < STABLE) {
		if (v.version < sv->vmin)
			sv->vmin = v.version;
		if (v.version > sv->vmax)
			sv->vmax = v.version;
	}
	sv->calls++;
	return 0;
}

static void *snapshotter(void *arg)
{
	struct run *r = arg;
	struct snap_view *sv = malloc(sizeof(*sv));
	uint64_t rng = 99;

	while (tu_now() < r->until) {
		struct safemap_snap *sn = NULL;
		uint64_t k;
		int i;

		memset(sv, 0, sizeof(*sv));
		sv->v.r = r;
		sv->vmin = UINT64_MAX;
		if (safemap_snapshot(r->m, &sn)) {
			bad(r, "snapshot failed", 0);
			break;
		}
		if (safemap_snapshot_foreach(sn, snap_view_cb, sv))
			bad(r, "snapshot foreach failed", 0);
		view_check(&sv->v);
		if (sv->vmax - sv->vmin >= STABLE)
			bad(r, "snapshot mixes instants: stable versions span >= STABLE", sv->vmax - sv->vmin);
		if ((size_t)sv->calls != safemap_snapshot_count(sn))
			bad(r, "snapshot count differs from its walk", (uint64_t)sv->calls);
		for (i = 0; i < 64; i++) { /* lock-free lookups agree with the walk */
			struct val v;

			k = tu_next(&rng) % STABLE;
			if (safemap_snapshot_get(sn, &k, &v) || !val_ok(&k, &v))
				bad(r, "snapshot_get of a stable key", k);
		}
		safemap_snapshot_free(sn);
		__atomic_fetch_add(&r->walks, 1, __ATOMIC_RELAXED);
	}
	free(sv);
	return NULL;
}

START_TEST(snapshot_under_writers)
{
	unsigned shards[] = { 0, 8 };
	int i;

	for (i = 0; i < 2; i++) {
		struct run r = { 0 };
		pthread_t w[3], t;
		uint64_t k;

		r.m = tu_map(8, sizeof(struct val), shards[i], 0);
		for (k = 0; k < STABLE; k++) { /* as if writes 0..STABLE-1 happened */
			struct val v = { k, k, check_of(k, k) };

			ck_assert_int_eq(safemap_put(r.m, &k, &v, SAFEMAP_NOEXIST), 0);
		}
		r.until = tu_now() + tu_stress_seconds(2.0);
		pthread_create(&w[0], NULL, sequencer, &r);
		pthread_create(&w[1], NULL, churner, &r);
		pthread_create(&w[2], NULL, churner, &r);
		pthread_create(&t, NULL, snapshotter, &r);
		pthread_join(t, NULL);
		__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
		for (k = 0; k < 3; k++)
			pthread_join(w[k], NULL);
		fprintf(stderr, "snapshot stress (%u shards): %ld snapshots, %ld writes, %ld errors\n",
			shards[i], r.walks, r.writes, r.errors);
		ck_assert_int_eq(r.errors, 0);
		ck_assert_int_ge(r.walks, 2);
		safemap_destroy(r.m);
	}
}
END_TEST

/* ---- freeze under writers: once freeze has returned, nothing succeeds */
struct frz {
	struct safemap *m;
	int done;     /* set after safemap_freeze() returned */
	long late_ok; /* writes that began after that and succeeded */
	long refused;
	int stop;
};

static void *frz_writer(void *arg)
{
	struct frz *f = arg;
	uint64_t rng = (uint64_t)(uintptr_t)&rng;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		uint64_t x = tu_next(&rng), k = CHURN_BASE + x % CHURN;
		struct val v = { k, x, check_of(k, x) };
		int after = __atomic_load_n(&f->done, __ATOMIC_ACQUIRE);
		int err = (x >> 60) & 1 ? safemap_put(f->m, &k, &v, SAFEMAP_ANY)
					: safemap_delete(f->m, &k);

		if (after && (err == 0 || err == -ENOENT))
			__atomic_fetch_add(&f->late_ok, 1, __ATOMIC_RELAXED);
		if (err == -EPERM)
			__atomic_fetch_add(&f->refused, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int sum_cb(const void *key, const void *value, void *ctx)
{
	struct val v;

	(void)key;
	memcpy(&v, value, sizeof(v));
	*(uint64_t *)ctx += v.key * 31 + v.check;
	return 0;
}

START_TEST(freeze_under_writers)
{
	int round, i;

	for (round = 0; round < 5; round++) {
		struct frz f = { 0 };
		pthread_t w[WRITERS];
		uint64_t sum1 = 0, sum2 = 0;
		size_t n1;

		f.m = stress_map(round & 1 ? 0 : 2);
		for (i = 0; i < WRITERS; i++)
			pthread_create(&w[i], NULL, frz_writer, &f);
		usleep(20 * 1000);
		ck_assert_int_eq(safemap_freeze(f.m), 0);
		__atomic_store_n(&f.done, 1, __ATOMIC_RELEASE);
		ck_assert_int_eq(safemap_foreach(f.m, sum_cb, &sum1), 0);
		n1 = safemap_count(f.m);
		usleep(20 * 1000);
		ck_assert_int_eq(safemap_foreach(f.m, sum_cb, &sum2), 0);
		__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
		for (i = 0; i < WRITERS; i++)
			pthread_join(w[i], NULL);
		ck_assert_int_eq(f.late_ok, 0);
		ck_assert_int_gt(f.refused, 0);
		ck_assert_uint_eq(sum1, sum2);
		ck_assert_uint_eq(n1, safemap_count(f.m));
		safemap_destroy(f.m);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("iter_stress");
	TCase *tc = tcase_create("foreach");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, foreach_under_writers);
	tcase_add_test(tc, freeze_under_writers);
	tcase_add_test(tc, snapshot_under_writers);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
