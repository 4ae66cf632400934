/* SPDX-License-Identifier: BSD-2-Clause */
/* Iteration and freeze: foreach visits every entry once; a write from inside
 * the thread's own foreach is -EDEADLK (not a hang: every test that could
 * hang runs under an alarm); reads and nested walks from a callback work,
 * also with writers waiting on the shard; freeze refuses every write. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "../testutil.h"

/* ---- events: counted by reason */
static long events[SAFEMAP_REASON_MAX];
static long event_ops[SAFEMAP_OP_MAX];

static void count_event(const struct safemap_event *ev, void *ctx)
{
	(void)ctx;
	__atomic_fetch_add(&events[ev->reason], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&event_ops[ev->op], 1, __ATOMIC_RELAXED);
}

static struct safemap *map_ev(unsigned shards)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "iter", .key_size = 8, .value_size = 8,
		     .shards = shards, .event_fn = count_event);
	struct safemap *m = NULL;

	memset(events, 0, sizeof(events));
	memset(event_ops, 0, sizeof(event_ops));
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	return m;
}

/* ---- every entry exactly once */
struct seen {
	unsigned char *hits;
	uint64_t n;
	long calls;
	long stop_after;
};

static int mark(const void *key, const void *value, void *ctx)
{
	struct seen *s = ctx;
	uint64_t k, v;

	memcpy(&k, key, 8);
	memcpy(&v, value, 8);
	ck_assert_uint_lt(k, s->n);
	ck_assert_uint_eq(v, k * 3 + 1);
	s->hits[k]++;
	s->calls++;
	return s->stop_after && s->calls == s->stop_after ? 42 : 0;
}

static void walk_all(unsigned shards)
{
	struct safemap *m = map_ev(shards);
	struct seen s = { calloc(3000, 1), 3000, 0, 0 };
	uint64_t k;

	tu_fill(m, 3000);
	ck_assert_int_eq(safemap_foreach(m, mark, &s), 0);
	for (k = 0; k < 3000; k++)
		ck_assert_int_eq(s.hits[k], 1);
	memset(s.hits, 0, 3000);
	s.calls = 0;
	s.stop_after = 10; /* non-zero return stops the walk and comes back */
	ck_assert_int_eq(safemap_foreach(m, mark, &s), 42);
	ck_assert_int_eq(s.calls, 10);
	free(s.hits);
	safemap_destroy(m);
}

START_TEST(foreach_visits_each_entry_once)
{
	walk_all(1);
	walk_all(4);
	walk_all(0);
}
END_TEST

static int never(const void *k, const void *v, void *c)
{
	(void)k, (void)v, (void)c;
	ck_abort_msg("callback on an empty map");
	return 0;
}

START_TEST(foreach_bad_args_and_empty)
{
	struct safemap *m = map_ev(4);

	ck_assert_int_eq(safemap_foreach(NULL, never, NULL), -EINVAL);
	ck_assert_int_eq(safemap_foreach(m, NULL, NULL), -EINVAL);
	ck_assert_int_eq(safemap_foreach(m, never, NULL), 0);
	safemap_destroy(m);
}
END_TEST

/* ---- write from inside the walk: -EDEADLK, at once */
struct inside {
	struct safemap *m;
	int put_err, del_err, freeze_err, other_err;
	struct safemap *other;
	pthread_t writer;
	int writer_err;
	int calls;
};

static void *other_thread_put(void *arg)
{
	struct inside *in = arg;
	uint64_t k = 1000000, v = 7;

	in->writer_err = safemap_put(in->m, &k, &v, SAFEMAP_NOEXIST);
	return NULL;
}

static int write_inside(const void *key, const void *value, void *ctx)
{
	struct inside *in = ctx;
	uint64_t k, v = 99, nk = 500000;

	(void)value;
	if (in->calls++)
		return 0;
	memcpy(&k, key, 8);
	in->put_err = safemap_put(in->m, &nk, &v, SAFEMAP_ANY);
	ck_assert_int_eq(errno, EDEADLK);
	in->del_err = safemap_delete(in->m, &k);
	in->freeze_err = safemap_freeze(in->m);
	in->other_err = safemap_put(in->other, &k, &v, SAFEMAP_ANY); /* another map: fine */
	/* another thread's write during the walk waits, then succeeds */
	ck_assert_int_eq(pthread_create(&in->writer, NULL, other_thread_put, in), 0);
	return 0;
}

START_TEST(foreach_same_thread_write_is_edeadlk)
{
	struct inside in = { 0 };
	double t0;
	uint64_t k, v;

	alarm(10); /* a hang fails the test instead of blocking the suite */
	in.m = map_ev(0);
	in.other = tu_map(8, 8, 4, 0);
	tu_fill(in.m, 100);
	t0 = tu_now();
	ck_assert_int_eq(safemap_foreach(in.m, write_inside, &in), 0);
	ck_assert_double_lt(tu_now() - t0, 1.0);
	ck_assert_int_eq(in.put_err, -EDEADLK);
	ck_assert_int_eq(in.del_err, -EDEADLK);
	ck_assert_int_eq(in.freeze_err, -EDEADLK);
	ck_assert_int_eq(in.other_err, 0);
	ck_assert(!safemap_is_frozen(in.m));
	ck_assert_int_eq(events[SAFEMAP_REASON_WRITE_IN_ITERATION], 3);
	ck_assert_int_eq(event_ops[SAFEMAP_OP_PUT], 1);
	ck_assert_int_eq(event_ops[SAFEMAP_OP_DELETE], 1);
	ck_assert_int_eq(event_ops[SAFEMAP_OP_FREEZE], 1);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "foreach"));
	pthread_join(in.writer, NULL);
	ck_assert_int_eq(in.writer_err, 0);
	/* the refused writes changed nothing; the other thread's write is in */
	ck_assert_uint_eq(safemap_count(in.m), 101);
	k = 500000;
	ck_assert_int_eq(safemap_get(in.m, &k, &v), -ENOENT);
	k = 1000000;
	ck_assert_int_eq(safemap_get(in.m, &k, &v), 0);
	ck_assert_uint_eq(v, 7);
	/* after the walk, the same thread writes again */
	k = 500000;
	ck_assert_int_eq(safemap_put(in.m, &k, &v, SAFEMAP_NOEXIST), 0);
	ck_assert_int_eq(safemap_delete(in.m, &k), 0);
	safemap_destroy(in.other);
	safemap_destroy(in.m);
	alarm(0);
}
END_TEST

/* ---- get from inside the walk, with a writer queued on the held shard */
struct queued {
	struct safemap *m;
	pthread_t writer;
	int get_err, writer_err, calls;
	uint64_t got;
};

static void *queued_put(void *arg)
{
	struct queued *q = arg;
	uint64_t k = 777777, v = 1;

	q->writer_err = safemap_put(q->m, &k, &v, SAFEMAP_ANY);
	return NULL;
}

static int get_inside(const void *key, const void *value, void *ctx)
{
	struct queued *q = ctx;

	(void)value;
	if (q->calls++)
		return 0;
	/* one shard: the writer must wait for this walk, and a writer-preferring
	 * rwlock would then block a second read lock of this thread forever */
	ck_assert_int_eq(pthread_create(&q->writer, NULL, queued_put, q), 0);
	usleep(100 * 1000);
	q->get_err = safemap_get(q->m, key, &q->got);
	return 0;
}

START_TEST(get_inside_foreach_with_waiting_writer)
{
	struct queued q = { 0 };

	alarm(10);
	q.m = map_ev(1);
	tu_fill(q.m, 10);
	ck_assert_int_eq(safemap_foreach(q.m, get_inside, &q), 0);
	ck_assert_int_eq(q.get_err, 0);
	ck_assert_uint_eq(q.got % 3, 1);
	pthread_join(q.writer, NULL);
	ck_assert_int_eq(q.writer_err, 0);
	ck_assert_uint_eq(safemap_count(q.m), 11);
	safemap_destroy(q.m);
	alarm(0);
}
END_TEST

/* ---- nested walks: the same map, another map, gets of every key */
struct nest {
	struct safemap *m, *other;
	long inner_calls, outer_calls, other_calls, gets_ok;
};

static int count_cb(const void *k, const void *v, void *ctx)
{
	(void)k, (void)v;
	(*(long *)ctx)++;
	return 0;
}

static int outer_cb(const void *key, const void *value, void *ctx)
{
	struct nest *n = ctx;
	uint64_t k, v;

	(void)key, (void)value;
	n->outer_calls++;
	ck_assert_int_eq(safemap_foreach(n->m, count_cb, &n->inner_calls), 0);
	ck_assert_int_eq(safemap_foreach(n->other, count_cb, &n->other_calls), 0);
	for (k = 0; k < 40; k++)
		if (safemap_get(n->m, &k, &v) == 0 && v == k * 3 + 1)
			n->gets_ok++;
	return 0;
}

START_TEST(nested_foreach_and_gets)
{
	unsigned shards[] = { 1, 8, 0 };
	unsigned i;

	alarm(20);
	for (i = 0; i < 3; i++) {
		struct nest n = { 0 };

		n.m = map_ev(shards[i]);
		n.other = tu_map(8, 8, 2, 0);
		tu_fill(n.m, 40);
		tu_fill(n.other, 5);
		ck_assert_int_eq(safemap_foreach(n.m, outer_cb, &n), 0);
		ck_assert_int_eq(n.outer_calls, 40);
		ck_assert_int_eq(n.inner_calls, 40 * 40);
		ck_assert_int_eq(n.other_calls, 40 * 5);
		ck_assert_int_eq(n.gets_ok, 40 * 40);
		safemap_destroy(n.other);
		safemap_destroy(n.m);
	}
	alarm(0);
}
END_TEST

/* ---- a lock cycle: two threads, each walking and holding one shard, each
 * reading the other's shard, with a writer queued on each shard. Without the
 * bounded wait this hangs for ever; with it, the out-of-order read gives up
 * with -EDEADLK after a while and everything finishes. The read is a
 * safemap_get_ref(), which takes the shard's read lock (safemap_get() reads
 * without it when it can, so it usually cannot be part of a cycle). */
struct cycle {
	struct safemap *m;
	uint64_t mine, theirs;
	int ready, *go;
	int get_err;
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
};

static int cycle_cb(const void *key, const void *value, void *ctx)
{
	struct cycle *c = ctx;
	struct safemap_ref r;
	uint64_t k;

	(void)value;
	memcpy(&k, key, 8);
	if (k != c->mine)
		return 0;
	pthread_mutex_lock(c->mu);
	c->ready = 1;
	pthread_cond_broadcast(c->cv);
	while (!*c->go)
		pthread_cond_wait(c->cv, c->mu);
	pthread_mutex_unlock(c->mu);
	c->get_err = safemap_get_ref(c->m, &c->theirs, &r);
	safemap_ref_put(&r); /* not the last reference: the map holds one */
	return 0;
}

static void *cycle_walker(void *arg)
{
	struct cycle *c = arg;

	ck_assert_int_eq(safemap_foreach(c->m, cycle_cb, c), 0);
	return NULL;
}

static void *cycle_writer(void *arg)
{
	struct cycle *c = arg;
	uint64_t v = 5;

	ck_assert_int_eq(safemap_put(c->m, &c->mine, &v, SAFEMAP_EXIST), 0);
	return NULL;
}

START_TEST(lock_cycle_is_broken)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	int tries, broken = 0;

	alarm(60);
	for (tries = 0; tries < 20 && !broken; tries++) {
		struct safemap *m = map_ev(2);
		int go = 0;
		struct cycle a = { m, 2 * (uint64_t)tries, 2 * (uint64_t)tries + 1, 0, &go, 0, &mu, &cv };
		struct cycle b = { m, a.theirs, a.mine, 0, &go, 0, &mu, &cv };
		pthread_t ta, tb, wa, wb;
		uint64_t v = 1;

		ck_assert_int_eq(safemap_put(m, &a.mine, &v, SAFEMAP_NOEXIST), 0);
		ck_assert_int_eq(safemap_put(m, &b.mine, &v, SAFEMAP_NOEXIST), 0);
		pthread_create(&ta, NULL, cycle_walker, &a);
		pthread_create(&tb, NULL, cycle_walker, &b);
		pthread_mutex_lock(&mu);
		while (!a.ready || !b.ready)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		pthread_create(&wa, NULL, cycle_writer, &a); /* queues on a's shard */
		pthread_create(&wb, NULL, cycle_writer, &b); /* queues on b's shard */
		usleep(200 * 1000);
		pthread_mutex_lock(&mu);
		go = 1;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		pthread_join(wa, NULL);
		pthread_join(wb, NULL);
		/* same shard: both read under their own lock; different shards:
		 * the in-order read waits, the out-of-order one gives up */
		ck_assert(a.get_err == 0 || a.get_err == -EDEADLK);
		ck_assert(b.get_err == 0 || b.get_err == -EDEADLK);
		ck_assert(a.get_err == 0 || b.get_err == 0);
		broken = a.get_err == -EDEADLK || b.get_err == -EDEADLK;
		safemap_destroy(m);
	}
	ck_assert_msg(broken, "no pair of keys in different shards formed the cycle");
	alarm(0);
}
END_TEST

/* ---- freeze */
START_TEST(freeze_refuses_every_write)
{
	struct safemap *m = map_ev(4);
	struct seen s = { calloc(100, 1), 100, 0, 0 };
	uint64_t k, v, refused = 0;
	unsigned f;

	tu_fill(m, 100);
	ck_assert(!safemap_is_frozen(m));
	ck_assert_int_eq(safemap_freeze(NULL), -EINVAL);
	ck_assert(!safemap_is_frozen(NULL));
	ck_assert_int_eq(safemap_freeze(m), 0);
	ck_assert(safemap_is_frozen(m));
	for (k = 0; k < 200; k++) { /* present and absent keys, every flag */
		v = 5;
		for (f = SAFEMAP_ANY; f <= SAFEMAP_EXIST; f++, refused++) {
			ck_assert_int_eq(safemap_put(m, &k, &v, f), -EPERM);
			ck_assert_int_eq(errno, EPERM);
		}
		ck_assert_int_eq(safemap_delete(m, &k), -EPERM);
		refused++;
	}
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "frozen"));
	ck_assert_int_eq(events[SAFEMAP_REASON_FROZEN], (long)refused);
	ck_assert_int_eq(safemap_freeze(m), 0); /* again: still frozen, no event */
	ck_assert_int_eq(events[SAFEMAP_REASON_FROZEN], (long)refused);
	/* reads and walks still work, and nothing changed */
	ck_assert_uint_eq(safemap_count(m), 100);
	for (k = 0; k < 100; k++) {
		ck_assert_int_eq(safemap_get(m, &k, &v), 0);
		ck_assert_uint_eq(v, k * 3 + 1);
	}
	ck_assert_int_eq(safemap_foreach(m, mark, &s), 0);
	ck_assert_int_eq(s.calls, 100);
	free(s.hits);
	safemap_destroy(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("iter");
	TCase *tc = tcase_create("foreach");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, foreach_visits_each_entry_once);
	tcase_add_test(tc, foreach_bad_args_and_empty);
	tcase_add_test(tc, foreach_same_thread_write_is_edeadlk);
	tcase_add_test(tc, get_inside_foreach_with_waiting_writer);
	tcase_add_test(tc, nested_foreach_and_gets);
	tcase_add_test(tc, lock_cycle_is_broken);
	suite_add_tcase(s, tc);
	tc = tcase_create("freeze");
	tcase_add_test(tc, freeze_refuses_every_write);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
