/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_batch: batch calls against loops of single calls, per key, in one
 * run (medians of interleaved repetitions).
 *
 *   bench_batch [--entries N] [--ops N] [--reps R] [--threads 1,2] [--clock wall|cpu]
 *               [--sizes 1,8,16,32,64,256] [--kind get|put|both] [--small yes|no]
 *               [--warmup yes|no] [--stagger-alloc] [--quick]
 *
 * A map of N 8/8 entries (default 1M, and a small table of 10k that fits in
 * the caches); each thread runs the same pre-generated random keys (half of
 * them present) through safemap_get() one by one and through
 * safemap_get_batch() in batches of 8, 16, 32, 64 and 256; then the same for
 * puts that replace present values (safemap_put vs safemap_put_batch). The
 * results are checked (a batch must find exactly the keys the loop found).
 * Prints Mops/s (medians) and batch / single ratios as Markdown tables: a
 * ratio is the median over the repetitions of the batch rate divided by
 * the single-call rate of the same repetition, with the smallest and the
 * largest of them ("2.13x, 1.71-2.33"; odd repetitions run the sizes in
 * reverse order, so pairs are close in time both ways). --clock cpu:
 * the sum over threads of keys / thread CPU time (a busy machine inflates
 * wall times, not CPU times); wall (default): all keys / the slowest
 * thread's wall time. --sizes: the batch sizes (1: single calls; ratios
 * are to the first column when it is 1); --kind: gets, puts or both;
 * --small no: no 10k table; --warmup no: no untimed pass first (callgrind,
 * bench/cg_batch.sh, counts inside run()); --stagger-alloc: below. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <safemap/safemap.h>

#include "bench_time.h"

#define MAX_REPS 64
#define MAX_THREADS 8
#define MAX_SIZES 8
static int batch_sizes[MAX_SIZES] = { 1, 8, 16, 32, 64, 256 }; /* 1 = single calls */
static int nb = 6;
static bool cpu_clock;       /* --clock cpu */
static bool warmup = true;   /* --warmup no: for callgrind (bench/cg_batch.sh) */
static int kind_lo, kind_hi = 1; /* --kind: 0 get, 1 put (replace) */

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
	double secs, cpu_secs;
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
	j->cpu_secs = bench_clock(CLOCK_THREAD_CPUTIME_ID);
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
	j->cpu_secs = bench_clock(CLOCK_THREAD_CPUTIME_ID) - j->cpu_secs;
	j->secs = now() - t;
	j->hits = hits;
	return NULL;
}

/* Mops/s of @p nthreads threads, each running @p ops keys in batches of @p batch. */
static double measure(struct safemap *m, uint64_t **keys, uint64_t **vals, int *res[],
		      size_t ops, int nthreads, size_t batch, bool put, size_t *hits)
{
	struct job j[MAX_THREADS];
	pthread_t t[MAX_THREADS];
	pthread_barrier_t bar;
	double slowest = 0, cpu_mops = 0;
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
		cpu_mops += (double)ops / j[i].cpu_secs / 1e6;
	}
	pthread_barrier_destroy(&bar);
	return cpu_clock ? cpu_mops : (double)ops * nthreads / slowest / 1e6;
}

/* --stagger-alloc: an allocator that starts each large block (a shard's
 * table) 0..63 cache lines past where malloc() put it. glibc hands out
 * large blocks at the same offset in a page, so every table's header (the
 * line a probe reads first: its group count) falls into the same L1 set
 * and the headers of 64 shards evict each other; staggered, they do not.
 * Shows what that costs (callgrind's D1 misses per key, bench/cg_batch.sh). */
static bool stagger;
static unsigned stagger_next;

static void *stagger_malloc(size_t size, void *ctx)
{
	size_t off = 16 + (size >= 65536 ? (size_t)(stagger_next++ * 7 % 64) * 64 : 0);
	char *p = malloc(size + 64 * 64 + 16);

	(void)ctx;
	if (!p)
		return NULL;
	p += off;
	memcpy(p - sizeof(off), &off, sizeof(off));
	return p;
}

static void stagger_free(void *ptr, size_t size, void *ctx)
{
	size_t off;

	(void)size, (void)ctx;
	if (!ptr)
		return;
	memcpy(&off, (char *)ptr - sizeof(off), sizeof(off));
	free((char *)ptr - off);
}

static const struct safemap_alloc stagger_alloc = { stagger_malloc, stagger_free, NULL };

static void table(size_t entries, size_t ops, int reps, const int *threads, int nt)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "bench_batch", .key_size = 8, .value_size = 8,
		     .alloc = stagger ? &stagger_alloc : NULL);
	static double mops[2][MAX_THREADS][MAX_SIZES][MAX_REPS];
	uint64_t *keys[MAX_THREADS], *vals[MAX_THREADS];
	int *res[MAX_THREADS];
	struct safemap *m;
	size_t i, hits0 = 0, hits;
	int ti, r, p, t, b;
	bool ratios = batch_sizes[0] == 1;

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
	for (p = kind_lo; warmup && p <= kind_hi; p++) /* every key touched once, not measured */
		measure(m, keys, vals, res, ops, 1, 1, p, &hits);
	for (r = 0; r < reps; r++)
		for (ti = 0; ti < nt; ti++)
			for (p = kind_lo; p <= kind_hi; p++)
				for (i = 0; i < (size_t)nb; i++) {
					/* odd repetitions run the sizes backwards: no
					 * column always runs first */
					b = r % 2 ? nb - 1 - (int)i : (int)i;
					mops[p][ti][b][r] = measure(m, keys, vals, res, ops, threads[ti],
								    (size_t)batch_sizes[b], p, &hits);
					if (i == 0)
						hits0 = hits;
					else if (hits != hits0) {
						fprintf(stderr, "bench_batch: batch %d found %zu keys, the others %zu\n",
							batch_sizes[b], hits, hits0);
						exit(1);
					}
				}
	printf("\n%zu entries (8-byte keys and values), %zu random keys per thread (half present), median of %d%s\n\n",
	       entries, ops, reps, cpu_clock ? ", --clock cpu (Mops per CPU second, summed over threads)" : "");
	printf("| op | threads |");
	for (b = 0; b < nb; b++)
		printf(batch_sizes[b] == 1 ? " single Mops/s |" : " batch %d |", batch_sizes[b]);
	printf("\n|---|---:|");
	for (b = 0; b < nb; b++)
		printf("---:|");
	printf("\n");
	for (p = kind_lo; p <= kind_hi; p++)
		for (ti = 0; ti < nt; ti++) {
			double single[MAX_REPS];

			memcpy(single, mops[p][ti][0], sizeof(single));

			printf("| %s | %d | %.2f |", p ? "put (replace)" : "get", threads[ti],
			       median(single, reps));
			for (b = 1; b < nb; b++) {
				double ratio[MAX_REPS], x, lo, hi;

				/* each repetition's batch rate against its own single
				 * rate, measured just before: pairs close in time */
				for (r = 0; r < reps; r++)
					ratio[r] = mops[p][ti][b][r] / mops[p][ti][0][r];
				x = median(mops[p][ti][b], reps);
				if (!ratios) {
					printf(" %.2f |", x);
					continue;
				}
				lo = hi = ratio[0];
				for (r = 1; r < reps; r++) {
					lo = ratio[r] < lo ? ratio[r] : lo;
					hi = ratio[r] > hi ? ratio[r] : hi;
				}
				if (reps > 1)
					printf(" %.2f (%.2fx, %.2f-%.2f) |", x, median(ratio, reps), lo, hi);
				else
					printf(" %.2f (%.2fx) |", x, ratio[0]);
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

/* "1,2,..." into @p v (at most @p max values in lo..hi): how many, or -1 */
static int parse_list(char *s, int *v, int max, int lo, int hi)
{
	int n;

	for (n = 0; n < max && *s; n++) {
		v[n] = (int)strtol(s, &s, 10);
		if (v[n] < lo || v[n] > hi || (*s && *s != ','))
			return -1;
		if (*s == ',')
			s++;
	}
	return *s || !n ? -1 : n;
}

int main(int argc, char **argv)
{
	size_t entries = 1000000, ops = 2000000;
	int reps = 5, threads[MAX_THREADS] = { 1, 2 }, nt = 2, i;
	bool small = true;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--entries") && i + 1 < argc)
			entries = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			ops = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			if ((nt = parse_list(argv[++i], threads, MAX_THREADS, 1, MAX_THREADS)) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
			if ((nb = parse_list(argv[++i], batch_sizes, MAX_SIZES, 1, 256)) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--kind") && i + 1 < argc) {
			i++;
			kind_lo = !strcmp(argv[i], "put");
			kind_hi = strcmp(argv[i], "get") != 0;
		} else if (!strcmp(argv[i], "--small") && i + 1 < argc) {
			small = strcmp(argv[++i], "no") != 0;
		} else if (!strcmp(argv[i], "--stagger-alloc")) {
			stagger = true;
		} else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) {
			warmup = strcmp(argv[++i], "no") != 0;
		} else if (!strcmp(argv[i], "--clock") && i + 1 < argc &&
			   (!strcmp(argv[i + 1], "cpu") || !strcmp(argv[i + 1], "wall"))) {
			cpu_clock = !strcmp(argv[++i], "cpu");
		} else if (!strcmp(argv[i], "--quick")) {
			entries = 20000, ops = 20000, reps = 1;
		} else {
			fprintf(stderr, "usage: bench_batch [--entries N] [--ops N] [--reps R] [--threads 1,2]\n"
					"                   [--sizes 1,8,...] [--kind get|put|both] [--small yes|no]\n"
					"                   [--clock wall|cpu] [--warmup yes|no] [--stagger-alloc]\n"
					"                   [--quick]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || !entries || !ops)
		return 2;
	printf("bench_batch: batch calls / single calls of libsafemap %s, ratios per key in one run\n",
	       safemap_version());
	table(entries, ops, reps, threads, nt);
	if (small)
		table(10000, ops, reps, threads, nt);
	return 0;
}
