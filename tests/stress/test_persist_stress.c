/* SPDX-License-Identifier: BSD-2-Clause */
/* Loads racing with writers and readers. One thread loads a snapshot file of
 * keys [0, F) again and again into a bounded map while two writers fill and
 * empty keys of their own (above F), so that a load sometimes runs out of
 * room (-E2BIG) and undoes itself, sometimes succeeds; a reader reads the
 * file's keys meanwhile. Invariants that fail on a broken load or undo:
 * after a failed load no file key is present, after a good one every file
 * key holds the file's value; a reader never sees a file key with another
 * value; every writer finds its own keys exactly as it left them; the map's
 * count equals what the threads know is in it. Duration:
 * $SAFEMAP_STRESS_SECONDS. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../testutil.h"

#define FILE_KEYS 2000u
#define WRITER_KEYS 1500u
#define MAX_ENTRIES 4000u

struct shared {
	struct safemap *m;
	const char *path;
	double until;
	int stop;
	uint64_t loads_ok, loads_full, writer_ops[2], reads_seen, bad;
};

#define BAD(s) __atomic_add_fetch(&(s)->bad, 1, __ATOMIC_RELAXED)

static uint64_t file_value(uint64_t k)
{
	return k * 7 + 3;
}

static void *loader(void *arg)
{
	struct shared *s = arg;
	uint64_t k, v;

	while (tu_now() < s->until) {
		int err = safemap_load(s->m, s->path, NULL);

		if (err && err != -E2BIG) {
			fprintf(stderr, "load: %d %s\n", err, safemap_last_error());
			BAD(s);
			break;
		}
		for (k = 0; k < FILE_KEYS; k++) {
			int g = safemap_get(s->m, &k, &v);

			if (err ? g != -ENOENT : g != 0 || v != file_value(k))
				BAD(s);
		}
		if (err) {
			s->loads_full++;
			continue;
		}
		s->loads_ok++;
		for (k = 0; k < FILE_KEYS; k++)
			if (safemap_delete(s->m, &k))
				BAD(s);
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct writer {
	struct shared *s;
	unsigned id;
};

static void *writer(void *arg)
{
	struct writer *w = arg;
	struct shared *s = w->s;
	uint64_t base = FILE_KEYS + w->id * WRITER_KEYS, k, v, round = 0;
	uint64_t last[WRITER_KEYS] = { 0 }; /* the value I last stored; 0 = absent */

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		round++;
		for (k = 0; k < WRITER_KEYS; k++) {
			uint64_t key = base + k, want = (key ^ round) | 1ull << 63;
			int err;

			if ((k + round) % 3 == 0) {
				err = safemap_delete(s->m, &key);
				if (err != (last[k] ? 0 : -ENOENT))
					BAD(s);
				last[k] = 0;
			} else {
				err = safemap_put(s->m, &key, &want, SAFEMAP_ANY);
				if (err && err != -E2BIG)
					BAD(s);
				if (!err)
					last[k] = want;
				else if (last[k]) /* a replace is never refused */
					BAD(s);
			}
			s->writer_ops[w->id]++; /* this writer's own slot */
		}
		for (k = 0; k < WRITER_KEYS; k++) { /* my keys, as I left them */
			uint64_t key = base + k;
			int g = safemap_get(s->m, &key, &v);

			if (last[k] ? g != 0 || v != last[k] : g != -ENOENT)
				BAD(s);
		}
	}
	for (k = 0; k < WRITER_KEYS; k++) {
		uint64_t key = base + k;

		if (last[k])
			safemap_delete(s->m, &key);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct shared *s = arg;
	uint64_t k = 0, v;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		k = (k + 7) % FILE_KEYS;
		if (safemap_get(s->m, &k, &v) == 0) {
			if (v != file_value(k))
				BAD(s);
			s->reads_seen++; /* the one reader's */
		}
	}
	return NULL;
}

START_TEST(loads_against_writers)
{
	char path[256];
	struct shared s = { 0 };
	struct writer w[2];
	pthread_t t[4];
	struct safemap *src = tu_map(8, 8, 4, 0);
	struct safemap_snap *sn;
	uint64_t k, v;
	int i;

	snprintf(path, sizeof(path), "/tmp/safemap-persist-stress-%d.snap", (int)getpid());
	for (k = 0; k < FILE_KEYS; k++) {
		v = file_value(k);
		ck_assert_int_eq(safemap_put(src, &k, &v, SAFEMAP_ANY), 0);
	}
	ck_assert_int_eq(safemap_snapshot(src, &sn), 0);
	ck_assert_int_eq(safemap_snapshot_save(sn, path, NULL), 0);
	safemap_snapshot_free(sn);
	safemap_destroy(src);

	s.m = tu_map(8, 8, 4, MAX_ENTRIES);
	s.path = path;
	s.until = tu_now() + tu_stress_seconds(3);
	pthread_create(&t[0], NULL, loader, &s);
	for (i = 0; i < 2; i++) {
		w[i] = (struct writer){ &s, (unsigned)i };
		pthread_create(&t[1 + i], NULL, writer, &w[i]);
	}
	pthread_create(&t[3], NULL, reader, &s);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("loads: %llu complete, %llu refused full and undone; writer ops %llu + %llu; %llu file values read\n",
	       (unsigned long long)s.loads_ok, (unsigned long long)s.loads_full,
	       (unsigned long long)s.writer_ops[0], (unsigned long long)s.writer_ops[1],
	       (unsigned long long)s.reads_seen);
	ck_assert_uint_eq(s.bad, 0);
	ck_assert_uint_gt(s.loads_ok + s.loads_full, 0);
	ck_assert_uint_eq(safemap_count(s.m), 0); /* everyone removed what they added */
	safemap_destroy(s.m);
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("persist_stress");
	TCase *tc = tcase_create("persist_stress");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, loads_against_writers);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
