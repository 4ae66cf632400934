/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_batch: batch calls against loops of single calls, per key, in one
 * run (medians of interleaved repetitions).
 *
 *   bench_batch [--entries N] [--ops N] [--reps R] [--threads 1,2] [--quick]
 *
 * A map of N 8/8 entries (default 1M, and a small table of 10k that fits in
 * the caches); each thread runs the same pre-generated random keys (half of
 * them present) through safemap_get() one by one and through
 * safemap_get_batch() in batches of 8, 16, 32, 64 and 256; then the same for
 * puts that replace present values (safemap_put vs safemap_put_batch). The
 * results are checked (a batch must find exactly the keys the loop found).
 * Prints Mops/s and batch / single ratios as Markdown tables. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <safemap/safemap.h>

#define MAX_REPS 16
#define MAX_THREADS 8
static const size_t batch_sizes[] = { 1, 8, 16, 32, 64, 256 }; /* 1 = single calls */
#define NB (sizeof(batch_sizes) / sizeof(batch_sizes[0]))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

struct job {
	struct safemap *m;
	const uint64_t *keys;
	uint64_t *vals;
	int *res;
	size_t ops, batch;
	bool put;
	int cpu;
	pthread_barrier_t *bar;
	double secs;
	size_t hits;
};

static void *run(void *arg)
{
	struct job *j = arg;
	cpu_set_t set;
	size_t i, hits = 0;
	double t;

	CPU_ZERO(&set);
	CPU_SET(j->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(j->bar);
	t = now();
	if (j->batch == 1) {
		for (i = 0; i < j->ops; i++)
			hits += (j->put ? safemap_put(j->m, &j->keys[i], &j->vals[i], SAFEMAP_EXIST)
				       : safemap_get(j->m, &j->keys[i], &j->vals[i])) == 0;
	} else {
		for (i = 0; i < j->ops; i += j->batch) {
			size_t n = j->ops - i < j->batch ? j->ops - i : j->batch;

			hits += (size_t)(j->put ? safemap_put_batch(j->m, &j->keys[i], &j->vals[i], n,
								    SAFEMAP_EXIST, j->res)
						: safemap_get_batch(j->m, &j->keys[i], &j->vals[i], n,
								    j->res));
		}
	}
	j->secs = now() - t;
	j->hits = hits;
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Mops/s of @p nthreads threads, each running @p ops keys in batches of @p batch. */
static double measure(struct safemap *m, uint64_t **keys, uint64_t **vals, int *res[],
		      size_t ops, int nthreads, size_t batch, bool put, size_t *hits)
{
	struct job j[MAX_THREADS];
	pthread_t t[MAX_THREADS];
	pthread_barrier_t bar;
	double slowest = 0;
	int i, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

	pthread_barrier_init(&bar, NULL, (unsigned)nthreads);
	*hits = 0;
	for (i = 0; i < nthreads; i++) {
		j[i] = (struct job){ .m = m, .keys = keys[i], .vals = vals[i], .res = res[i],
				     .ops = ops, .batch = batch, .put = put, .cpu = i % ncpu,
				     .bar = &bar };
		pthread_create(&t[i], NULL, run, &j[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		if (j[i].secs > slowest)
			slowest = j[i].secs;
		*hits += j[i].hits;
	}
	pthread_barrier_destroy(&bar);
	return (double)ops * nthreads / slowest / 1e6;
}

static void table(size_t entries, size_t ops, int reps, const int *threads, int nt)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "bench_batch", .key_size = 8, .value_size = 8);
	static double mops[2][MAX_THREADS][NB][MAX_REPS];
	uint64_t *keys[MAX_THREADS], *vals[MAX_THREADS];
	int *res[MAX_THREADS];
	struct safemap *m;
	size_t i, b, hits0 = 0, hits;
	int ti, r, p, t;

	if (safemap_create(&o, &m))
		exit(1);
	for (i = 0; i < entries; i++) { /* keys 2i present, 2i+1 absent */
		uint64_t k = mix(2 * i), v = i;

		safemap_put(m, &k, &v, SAFEMAP_ANY);
	}
	for (t = 0; t < MAX_THREADS; t++) {
		uint64_t s = 12345 + (uint64_t)t;

		keys[t] = malloc(ops * 8);
		vals[t] = malloc(ops * 8);
		res[t] = malloc(256 * sizeof(int));
		for (i = 0; i < ops; i++) {
			keys[t][i] = mix(mix(s + i) % (2 * entries));
			vals[t][i] = i;
		}
	}
	for (p = 0; p < 2; p++) /* warm-up: every key touched once, not measured */
		measure(m, keys, vals, res, ops, 1, 1, p, &hits);
	for (r = 0; r < reps; r++)
		for (ti = 0; ti < nt; ti++)
			for (p = 0; p < 2; p++)
				for (b = 0; b < NB; b++) {
					mops[p][ti][b][r] = measure(m, keys, vals, res, ops, threads[ti],
								    batch_sizes[b], p, &hits);
					if (b == 0)
						hits0 = hits;
					else if (hits != hits0) {
						fprintf(stderr, "bench_batch: batch %zu found %zu keys, single calls %zu\n",
							batch_sizes[b], hits, hits0);
						exit(1);
					}
				}
	printf("\n%zu entries (8-byte keys and values), %zu random keys per thread (half present), median of %d\n\n",
	       entries, ops, reps);
	printf("| op | threads | single Mops/s |");
	for (b = 1; b < NB; b++)
		printf(" batch %zu |", batch_sizes[b]);
	printf("\n|---|---:|---:|");
	for (b = 1; b < NB; b++)
		printf("---:|");
	printf("\n");
	for (p = 0; p < 2; p++)
		for (ti = 0; ti < nt; ti++) {
			double single = median(mops[p][ti][0], reps);

			printf("| %s | %d | %.2f |", p ? "put (replace)" : "get", threads[ti], single);
			for (b = 1; b < NB; b++) {
				double x = median(mops[p][ti][b], reps);

				printf(" %.2f (%.2fx) |", x, x / single);
			}
			printf("\n");
		}
	for (t = 0; t < MAX_THREADS; t++) {
		free(keys[t]);
		free(vals[t]);
		free(res[t]);
	}
	safemap_destroy(m);
}

int main(int argc, char **argv)
{
	size_t entries = 1000000, ops = 2000000;
	int reps = 5, threads[MAX_THREADS] = { 1, 2 }, nt = 2, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--entries") && i + 1 < argc)
			entries = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			ops = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			char *s = argv[++i];

			for (nt = 0; nt < MAX_THREADS && *s; nt++) {
				threads[nt] = (int)strtol(s, &s, 10);
				if (threads[nt] < 1 || threads[nt] > MAX_THREADS)
					return 2;
				if (*s == ',')
					s++;
			}
		} else if (!strcmp(argv[i], "--quick")) {
			entries = 20000, ops = 20000, reps = 1;
		} else {
			fprintf(stderr, "usage: bench_batch [--entries N] [--ops N] [--reps R] [--threads 1,2] [--quick]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || !entries || !ops)
		return 2;
	printf("bench_batch: batch calls / single calls of libsafemap %s, ratios per key in one run\n",
	       safemap_version());
	table(entries, ops, reps, threads, nt);
	table(10000, ops, reps, threads, nt);
	return 0;
}
