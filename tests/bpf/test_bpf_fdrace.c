/* SPDX-License-Identifier: BSD-2-Clause */
/* The fd-reuse race: one thread drops its reference while others update
 * through theirs, and then creates decoy maps that would grab the handle's
 * fd number the moment it were closed. No update may land in a decoy, and
 * every update must land in the real map. Labels bpf and stress (so it also
 * runs under ThreadSanitizer). */
#include <pthread.h>

#include "bpftest.h"

#define UPDATERS 3
#define KEYS_PER_THREAD 4096u

struct shared {
	struct safemap_bpf *h;        /* the creator's reference, dropped by the dropper */
	struct safemap_bpf *refs[UPDATERS];
	int handle_fd;
	double until;
	int started;                  /* atomic: updaters that made progress */
	int running;                  /* atomic: updaters still running */
	uint64_t done[UPDATERS];
	int errors;                   /* atomic */
	int decoys, decoys_on_handle_fd, decoy_entries;
};

struct updater {
	struct shared *s;
	int id;
};

static void *updater(void *arg)
{
	struct updater *u = arg;
	struct shared *s = u->s;
	struct safemap_bpf *h = s->refs[u->id]; /* this thread's own reference */
	uint64_t i = 0, v;
	bool counted = false;

	while (tu_now() < s->until) {
		uint32_t key = ((uint32_t)u->id << 24) | (uint32_t)(i % KEYS_PER_THREAD);

		v = i;
		if (safemap_bpf_update(h, &key, &v, SAFEMAP_ANY))
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
		if (safemap_bpf_lookup(h, &key, &v) || v != i)
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
		if (++i == 64 && !counted) {
			__atomic_fetch_add(&s->started, 1, __ATOMIC_RELEASE);
			counted = true;
		}
	}
	s->done[u->id] = i;
	__atomic_fetch_sub(&s->running, 1, __ATOMIC_RELEASE); /* before the put: see dropper */
	safemap_bpf_put(h);
	return NULL;
}

static void *dropper(void *arg)
{
	struct shared *s = arg;

	while (__atomic_load_n(&s->started, __ATOMIC_ACQUIRE) < UPDATERS && tu_now() < s->until)
		sched_yield();
	safemap_bpf_put(s->h); /* the creator's reference goes while others update */
	s->h = NULL;
	while (__atomic_load_n(&s->running, __ATOMIC_ACQUIRE) > 0) {
		/* a decoy takes the lowest free fd number: the handle's, were it closed */
		int d = bpf_map_create(BPF_MAP_TYPE_HASH, "decoy", 4, 8, KEYS_PER_THREAD, NULL);
		uint32_t k;

		if (d < 0)
			continue;
		s->decoys++;
		/* updaters still running after the decoy was made held their
		 * reference when it was made: the number must have been taken */
		if (d == s->handle_fd && __atomic_load_n(&s->running, __ATOMIC_ACQUIRE) > 0)
			s->decoys_on_handle_fd++;
		usleep(200);
		if (bpf_map_get_next_key(d, NULL, &k) == 0)
			s->decoy_entries++;
		close(d);
	}
	return NULL;
}

START_TEST(fd_reuse_race)
{
	struct shared s = { 0 };
	struct updater u[UPDATERS];
	pthread_t t[UPDATERS], dt;
	int fd = bt_map(BPF_MAP_TYPE_HASH, "target", 4, 8, UPDATERS * KEYS_PER_THREAD, 0), i;
	uint64_t want = 0;
	uint32_t k, next;
	size_t n = 0;

	s.h = bt_open(fd, NULL, NULL);
	s.handle_fd = safemap_bpf_fd(s.h);
	s.until = tu_now() + tu_stress_seconds(1.0);
	s.running = UPDATERS;
	for (i = 0; i < UPDATERS; i++) {
		s.refs[i] = safemap_bpf_get(s.h); /* taken while we hold ours */
		u[i] = (struct updater){ &s, i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, updater, &u[i]), 0);
	}
	ck_assert_int_eq(pthread_create(&dt, NULL, dropper, &s), 0);
	for (i = 0; i < UPDATERS; i++)
		pthread_join(t[i], NULL);
	pthread_join(dt, NULL);

	ck_assert_int_gt(s.decoys, 0);
	ck_assert_int_eq(s.decoy_entries, 0);       /* no update went astray */
	ck_assert_int_eq(s.decoys_on_handle_fd, 0); /* never while a reference was held */
	ck_assert_int_eq(s.errors, 0);
	/* every update landed in the real map (read through the creator's own fd) */
	for (i = 0; i < UPDATERS; i++)
		want += s.done[i] < KEYS_PER_THREAD ? s.done[i] : KEYS_PER_THREAD;
	for (k = 0; bpf_map_get_next_key(fd, n ? &k : NULL, &next) == 0; k = next)
		n++;
	ck_assert_uint_eq(n, want);
	/* the last reference closed the handle's fd: now its number is free */
	ck_assert_int_eq(fcntl(s.handle_fd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	close(fd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bpf_fdrace");
	TCase *tc = tcase_create("race");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fd_reuse_race);
	suite_add_tcase(s, tc);
	return s;
}

BT_MAIN(suite)
