/* SPDX-License-Identifier: BSD-2-Clause */
/* put/get/delete throughput of libsafemap against the map users write by
 * hand: one global pthread_rwlock around one uthash table. Same run, same
 * pre-generated keys, 1 and 2 threads; prints Mops/s and the ratio. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>

#include <safemap/safemap.h>

struct impl {
	const char *name;
	void *(*create)(void);
	void (*destroy)(void *);
	int (*put)(void *, uint64_t, uint64_t);
	int (*get)(void *, uint64_t, uint64_t *);
	int (*del)(void *, uint64_t);
};

/* ---- libsafemap */
static void *sm_create(void)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "bench", .key_size = 8, .value_size = 8);
	struct safemap *m = NULL;

	return safemap_create(&o, &m) ? NULL : m;
}
static void sm_destroy(void *m) { safemap_destroy(m); }
static int sm_put(void *m, uint64_t k, uint64_t v) { return safemap_put(m, &k, &v, SAFEMAP_ANY); }
static int sm_get(void *m, uint64_t k, uint64_t *v) { return safemap_get(m, &k, v); }
static int sm_del(void *m, uint64_t k) { return safemap_delete(m, &k); }

/* ---- uthash + one global rwlock */
struct gl_entry {
	uint64_t key, value;
	UT_hash_handle hh;
};
struct gl_map {
	pthread_rwlock_t lock;
	struct gl_entry *head;
};
static void *gl_create(void)
{
	struct gl_map *g = calloc(1, sizeof(*g));

	pthread_rwlock_init(&g->lock, NULL);
	return g;
}
static void gl_destroy(void *p)
{
	struct gl_map *g = p;
	struct gl_entry *e, *t;

	HASH_ITER(hh, g->head, e, t) {
		HASH_DEL(g->head, e);
		free(e);
	}
	free(g);
}
static int gl_put(void *p, uint64_t k, uint64_t v)
{
	struct gl_map *g = p;
	struct gl_entry *e;

	pthread_rwlock_wrlock(&g->lock);
	HASH_FIND(hh, g->head, &k, sizeof(k), e);
	if (e) {
		e->value = v;
	} else {
		e = malloc(sizeof(*e));
		e->key = k;
		e->value = v;
		HASH_ADD(hh, g->head, key, sizeof(k), e);
	}
	pthread_rwlock_unlock(&g->lock);
	return 0;
}
static int gl_get(void *p, uint64_t k, uint64_t *v)
{
	struct gl_map *g = p;
	struct gl_entry *e;

	pthread_rwlock_rdlock(&g->lock);
	HASH_FIND(hh, g->head, &k, sizeof(k), e);
	if (e)
		*v = e->value;
	pthread_rwlock_unlock(&g->lock);
	return e ? 0 : -1;
}
static int gl_del(void *p, uint64_t k)
{
	struct gl_map *g = p;
	struct gl_entry *e;

	pthread_rwlock_wrlock(&g->lock);
	HASH_FIND(hh, g->head, &k, sizeof(k), e);
	if (e)
		HASH_DEL(g->head, e);
	pthread_rwlock_unlock(&g->lock);
	free(e);
	return e ? 0 : -1;
}

static const struct impl impls[] = {
	{ "libsafemap", sm_create, sm_destroy, sm_put, sm_get, sm_del },
	{ "uthash+global rwlock", gl_create, gl_destroy, gl_put, gl_get, gl_del },
};

enum phase { PUT, GET, DEL, NPHASES };
static const char *const phase_names[] = { "put", "get", "delete" };

struct run {
	const struct impl *im;
	void *map;
	const uint64_t *keys;
	size_t n;
	enum phase phase;
	long hits;
};

static void *worker(void *arg)
{
	struct run *r = arg;
	uint64_t v;
	size_t i;

	for (i = 0; i < r->n; i++) {
		switch (r->phase) {
		case PUT: r->hits += r->im->put(r->map, r->keys[i], i) == 0; break;
		case GET: r->hits += r->im->get(r->map, r->keys[i], &v) == 0; break;
		default: r->hits += r->im->del(r->map, r->keys[i]) == 0;
		}
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each of @p threads threads works on its own slice of the keys. */
static double measure(const struct impl *im, const uint64_t *keys, size_t n, int threads,
		      double mops[NPHASES])
{
	void *map = im->create();
	struct run r[8];
	pthread_t t[8];
	int p, i;
	long hits;

	for (p = 0; p < NPHASES; p++) {
		double t0 = now();

		hits = 0;
		for (i = 0; i < threads; i++) {
			r[i] = (struct run){ im, map, keys + n / threads * i, n / threads, p, 0 };
			pthread_create(&t[i], NULL, worker, &r[i]);
		}
		for (i = 0; i < threads; i++) {
			pthread_join(t[i], NULL);
			hits += r[i].hits;
		}
		mops[p] = (double)n / (now() - t0) / 1e6;
		if ((size_t)hits != n / threads * threads) {
			fprintf(stderr, "%s %s: %ld hits of %zu: wrong result\n", im->name,
				phase_names[p], hits, n);
			exit(1);
		}
	}
	im->destroy(map);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000;
	int reps = argc > 2 ? atoi(argv[2]) : 3;
	uint64_t *keys = malloc(n * sizeof(*keys)), s = 42;
	double res[2][2][NPHASES][16];
	size_t i;
	int im, th, p, rep;

	if (reps > 16)
		reps = 16;
	for (i = 0; i < n; i++) { /* distinct scrambled keys */
		uint64_t z = (s += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		keys[i] = z ^ (z >> 31);
	}
	for (rep = 0; rep < reps; rep++)
		for (th = 0; th < 2; th++)
			for (im = 0; im < 2; im++) {
				double m[NPHASES];

				measure(&impls[im], keys, n, th + 1, m);
				for (p = 0; p < NPHASES; p++)
					res[im][th][p][rep] = m[p];
			}
	printf("bench_basic: %zu distinct 64-bit keys, median of %d runs, Mops/s\n", n, reps);
	printf("%-8s %-8s %12s %22s %8s\n", "op", "threads", "libsafemap", "uthash+global rwlock",
	       "ratio");
	for (p = 0; p < NPHASES; p++)
		for (th = 0; th < 2; th++) {
			double med[2];

			for (im = 0; im < 2; im++) {
				qsort(res[im][th][p], (size_t)reps, sizeof(double), cmp_double);
				med[im] = res[im][th][p][reps / 2];
			}
			printf("%-8s %-8d %12.2f %22.2f %7.2fx\n", phase_names[p], th + 1, med[0],
			       med[1], med[0] / med[1]);
		}
	free(keys);
	return 0;
}
