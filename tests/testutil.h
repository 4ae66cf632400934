/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the Check test programs. */
#ifndef SAFEMAP_TESTS_TESTUTIL_H
#define SAFEMAP_TESTS_TESTUTIL_H

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <safemap/safemap.h>

/* splitmix64: a tiny, good PRNG for tests, one state per thread. */
static inline uint64_t tu_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline double tu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds a stress phase runs: $SAFEMAP_STRESS_SECONDS or @p def. */
static inline double tu_stress_seconds(double def)
{
	const char *s = getenv("SAFEMAP_STRESS_SECONDS");

	return s && *s ? atof(s) : def;
}

/* Scale for sizes: $SAFEMAP_TEST_SCALE (e.g. 0.1 under ThreadSanitizer). */
static inline double tu_scale(void)
{
	const char *s = getenv("SAFEMAP_TEST_SCALE");

	return s && *s ? atof(s) : 1.0;
}

/* Create a map with the given sizes, shards and bound; fails the test on error. */
static inline struct safemap *tu_map(size_t ks, size_t vs, unsigned shards, size_t max)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "test", .key_size = ks, .value_size = vs,
		     .shards = shards, .max_entries = max);
	struct safemap *m = NULL;
	int err = safemap_create(&o, &m);

	ck_assert_msg(err == 0, "safemap_create: %d %s", err, safemap_last_error());
	return m;
}

/* Put keys from..to-1 (uint64_t) with values k * 3 + 1 into a map of
 * 8-byte keys and values, each one new; fails the test on error. */
static inline void tu_fill_range(struct safemap *m, uint64_t from, uint64_t to)
{
	uint64_t k, v;

	for (k = from; k < to; k++) {
		v = k * 3 + 1;
		ck_assert_int_eq(safemap_put(m, &k, &v, SAFEMAP_NOEXIST), 0);
	}
}

/* Keys 0..@p gone-1 hold tu_fill_range's values and keys @p gone..@p n-1
 * are absent; fails the test otherwise. */
static inline void tu_check_fill(struct safemap *m, uint64_t gone, uint64_t n)
{
	uint64_t k, v;

	for (k = 0; k < n; k++) {
		int r = safemap_get(m, &k, &v);

		if (k >= gone) {
			ck_assert_int_eq(r, -ENOENT);
			continue;
		}
		ck_assert_msg(r == 0, "key %llu lost", (unsigned long long)k);
		ck_assert_uint_eq(v, k * 3 + 1);
	}
}

/* ... keys 0..n-1 */
static inline void tu_fill(struct safemap *m, uint64_t n)
{
	tu_fill_range(m, 0, n);
}

/* Run one suite in Check's default (forking) mode; exit status for main(). */
static inline int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* SAFEMAP_TESTS_TESTUTIL_H */
