/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_maps: libsafemap against its peers on the conc-map-bench mixes.
 *
 * For each workload and thread count: generate one op stream per thread
 * (before timing), then for each repetition run every map on the same
 * streams, threads pinned, each map called through the same function
 * pointers, each map both not pre-sized (create(0): its own initial size)
 * and pre-sized for the key space (create(key space), for the maps that
 * have such an option: BENCH_PRESIZE), the two modes interleaved. Each
 * timed run runs in a forked child of its own (--isolate no: in this
 * process), so no map runs beside the threads, heap or RCU state an earlier
 * map left behind (urcu's lfht leaves helper threads that cost the next map
 * up to a fifth of its growth throughput). Every
 * run is checked against a reference replay of the same streams (exactly at
 * 1 thread, statistically at more), so a fast wrong map cannot win. Then,
 * each map in a fresh process of its own (bench_memory.c), the memory it
 * takes for 1M 8/8 entries and what it keeps after deleting them. Prints
 * median Mops/s, libsafemap's ratio to each peer, and the memory figures as
 * Markdown tables. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_maps.h"

/* libsafemap first: the ratios are to it. */
static const struct bench_map *const maps[] = {
	&bench_safemap,
	&bench_uthash_rwlock,
	&bench_glib,
	&bench_urcu,
	&bench_tbb,
	&bench_cuckoo,
	/* BPF rows go here (BPF hash maps through libsafemap's checked
	 * wrappers and through raw bpf_map_*_elem): they come from the bpf
	 * branch as adapters of the same interface. */
	&bench_uthash,
	&bench_absl,
#ifdef SAFEMAP_BENCH_BOOST
	&bench_boost, /* a local reference from newer Boost sources (BENCH_LOCAL) */
#endif
};
#define NMAPS (sizeof(maps) / sizeof(maps[0]))
#define MAX_THREADS 256
#define MAX_TCOUNTS 16
#define MAX_REPS 64

enum { MODE_NOSIZE, MODE_PRESIZE, NMODES };
static const char *const mode_title[NMODES] = {
	"not presized: create() with no size hint",
	"presized: create() sized for the key space",
};
static const char *const mode_short[NMODES] = { "not presized", "presized" };

struct config {
	size_t ops;                 /* total per run, split over the threads */
	int reps;
	int nthreads;
	int threads[MAX_TCOUNTS];
	bool quick;
	bool cpu_clock;             /* --clock cpu: per-thread CPU time, not wall time */
	bool shared;                /* --isolate no: every timed run in this process */
	unsigned modes;             /* 1 << MODE_*: --presize no / yes / both */
	bool timed;                 /* the timed runs (not --memory only) */
	bool memory;                /* --memory yes: the memory measurement */
	size_t mem_entries;         /* entries in the memory measurement */
	const char *only_maps;      /* comma-separated names, NULL = all */
	const char *only_workloads; /* comma-separated names, NULL = all */
};

/* What one run did; the same for the reference replay. */
struct result {
	double cpu_mops; /* sum over threads of ops / CPU seconds */
	size_t ok[OP_COUNT];
	uint64_t get_sum;  /* sum of value ^ key over hits: which write each get saw */
	size_t bad_values; /* gets that returned a value not written for that key */
	size_t size;
	double secs;
};

struct worker {
	const struct bench_map *bm;
	void *m;
	const struct bench_stream *s;
	uint64_t tid;
	pthread_barrier_t *start;
	double t0, t1; /* this thread's first op starts, its last op ends */
	double cpu;    /* CPU time this thread spent on its ops */
	struct result r;
};

static double clock_secs(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_secs(CLOCK_MONOTONIC);
}

/* Run ops [from, to) of @s on @m, adding to @r. */
static void run_ops(const struct bench_map *bm, void *m, const struct bench_stream *s,
		    uint64_t tid, size_t from, size_t to, struct result *r)
{
	size_t i;
	uint64_t v;

	for (i = from; i < to; i++) {
		uint64_t k = s->key[i];
		bool ok;

		switch (s->op[i]) {
		case OP_GET:
			ok = bm->get(m, k, &v);
			if (ok) {
				r->get_sum += v ^ k;
				r->bad_values += ((v ^ k) & ~((1ull << 56) - 1)) != BENCH_VALUE_TAG;
			}
			break;
		case OP_INSERT: ok = bm->insert(m, k, bench_value(k, tid << 40 | i)); break;
		case OP_REMOVE: ok = bm->remove(m, k); break;
		default: ok = bm->update(m, k, bench_value(k, tid << 40 | i));
		}
		r->ok[s->op[i]] += ok;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->bm->thread_enter)
		w->bm->thread_enter();
	pthread_barrier_wait(w->start);
	w->cpu = clock_secs(CLOCK_THREAD_CPUTIME_ID);
	w->t0 = now();
	run_ops(w->bm, w->m, w->s, w->tid, 0, w->s->n, &w->r);
	w->t1 = now();
	w->cpu = clock_secs(CLOCK_THREAD_CPUTIME_ID) - w->cpu;
	if (w->bm->thread_exit)
		w->bm->thread_exit();
	return NULL;
}

static int cpus[MAX_THREADS], ncpus;

static void *make_map(const struct bench_map *bm, const struct bench_workload *wl, size_t expected)
{
	void *m = bm->create(expected);
	size_t i;

	for (i = 0; m && i < wl->prefill; i++) {
		uint64_t k = bench_key(i);

		if (!bm->insert(m, k, bench_value(k, i))) {
			fprintf(stderr, "%s: prefill insert %zu failed\n", bm->name, i);
			exit(2);
		}
	}
	if (!m) {
		fprintf(stderr, "%s: create failed\n", bm->name);
		exit(2);
	}
	return m;
}

/* One timed run of @bm on @nt streams. The calling thread does the prefill.
 * The time is from the first thread's start to the last one's end, taken by
 * the workers themselves (the calling thread may be descheduled). */
static void run_timed(const struct bench_map *bm, const struct bench_workload *wl, size_t expected,
		      const struct bench_stream *streams, int nt, struct result *out)
{
	struct worker w[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	pthread_barrier_t start;
	void *m;
	double t0 = 0, t1 = 0;
	int i, k;

	if (bm->thread_enter)
		bm->thread_enter();
	m = make_map(bm, wl, expected);
	pthread_barrier_init(&start, NULL, (unsigned)nt + 1);
	for (i = 0; i < nt; i++) {
		pthread_attr_t attr;
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpus[i % ncpus], &set);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		w[i] = (struct worker){ .bm = bm, .m = m, .s = &streams[i], .tid = (uint64_t)i, .start = &start };
		if (pthread_create(&th[i], &attr, worker_main, &w[i])) {
			perror("pthread_create");
			exit(2);
		}
		pthread_attr_destroy(&attr);
	}
	pthread_barrier_wait(&start);
	*out = (struct result){ .size = 0 };
	for (i = 0; i < nt; i++) {
		pthread_join(th[i], NULL);
		t0 = i == 0 || w[i].t0 < t0 ? w[i].t0 : t0;
		t1 = w[i].t1 > t1 ? w[i].t1 : t1;
		for (k = 0; k < OP_COUNT; k++)
			out->ok[k] += w[i].r.ok[k];
		out->get_sum += w[i].r.get_sum;
		out->cpu_mops += (double)w[i].s->n / w[i].cpu / 1e6;
		out->bad_values += w[i].r.bad_values;
	}
	out->secs = t1 - t0;
	out->size = bm->size(m);
	pthread_barrier_destroy(&start);
	bm->destroy(m);
	if (bm->thread_exit)
		bm->thread_exit();
}

/* run_timed in a child process of its own (fork): no map's run inherits
 * what an earlier one left in the process (threads such as liburcu's
 * call_rcu and resize workers, freed heap, malloc's raised mmap threshold).
 * Measured: libsafemap's 2-thread rapid-grow, not presized, did 26-29
 * Mops/s alone and 20-22 after urcu lfht's runs in the same process. Every
 * child starts from the same parent: the op streams and the reference
 * replay's freed heap. */
static void run_isolated(const struct bench_map *bm, const struct bench_workload *wl,
			 size_t expected, const struct bench_stream *streams, int nt,
			 struct result *out)
{
	size_t got = 0;
	ssize_t n = 0;
	int fds[2], status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (pipe(fds) || (pid = fork()) < 0) {
		perror("bench_maps: pipe/fork");
		exit(2);
	}
	if (pid == 0) {
		close(fds[0]);
		run_timed(bm, wl, expected, streams, nt, out);
		_exit(write(fds[1], out, sizeof(*out)) == (ssize_t)sizeof(*out) ? 0 : 2);
	}
	close(fds[1]);
	while (got < sizeof(*out)) {
		n = read(fds[0], (char *)out + got, sizeof(*out) - got);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || errno != EINTR)
			break;
	}
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) ||
	    got != sizeof(*out)) {
		fprintf(stderr, "bench_maps: the run of %s in a child process failed\n", bm->name);
		exit(2);
	}
}

/* The expected results: the streams replayed round-robin, one op of each
 * thread in turn, through the unsynchronized uthash adapter. */
static void run_reference(const struct bench_workload *wl, const struct bench_stream *streams,
			  int nt, struct result *out)
{
	const struct bench_map *bm = &bench_uthash;
	void *m = make_map(bm, wl, 0);
	size_t i, n = streams[0].n;
	int t;

	*out = (struct result){ .size = 0 };
	for (i = 0; i < n; i++)
		for (t = 0; t < nt; t++)
			run_ops(bm, m, &streams[t], (uint64_t)t, i, i + 1, out);
	out->size = bm->size(m);
	bm->destroy(m);
}

static const char *const op_names[OP_COUNT] = { "get", "insert", "remove", "update" };

/* 0 if @r is a correct outcome of the run whose reference is @ref. */
static int check(const struct bench_map *bm, const struct bench_workload *wl, int nt, int mode,
		 const struct bench_stream *streams, const struct result *r,
		 const struct result *ref)
{
	const char *ms = mode_short[mode];
	int k, t, bad = 0;

	if (r->bad_values) {
		fprintf(stderr, "MISMATCH %s %s %dT %s: %zu gets returned another key's value\n",
			bm->name, wl->name, nt, ms, r->bad_values);
		bad = 1;
	}
	if (r->size != wl->prefill + r->ok[OP_INSERT] - r->ok[OP_REMOVE]) {
		fprintf(stderr, "MISMATCH %s %s %dT %s: final size %zu != prefill %zu + inserts %zu - "
			"removes %zu\n", bm->name, wl->name, nt, ms, r->size, wl->prefill,
			r->ok[OP_INSERT], r->ok[OP_REMOVE]);
		bad = 1;
	}
	for (k = 0; k < OP_COUNT; k++) {
		size_t total = 0, diff, slack;

		for (t = 0; t < nt; t++)
			total += streams[t].of_kind[k];
		/* at 1 thread exactly the reference; at more, interleavings
		 * differ: allow 2% of the ops of that kind (the spread seen is
		 * far below 0.5%) */
		slack = nt == 1 ? 0 : total / 50 + 50;
		diff = r->ok[k] > ref->ok[k] ? r->ok[k] - ref->ok[k] : ref->ok[k] - r->ok[k];
		if (diff > slack || r->ok[k] > total) {
			fprintf(stderr, "MISMATCH %s %s %dT %s: %zu successful %s of %zu, reference %zu\n",
				bm->name, wl->name, nt, ms, r->ok[k], op_names[k], total, ref->ok[k]);
			bad = 1;
		}
	}
	if (nt == 1 && (r->get_sum != ref->get_sum || r->size != ref->size)) {
		fprintf(stderr, "MISMATCH %s %s 1T %s: get checksum %llx / size %zu, reference %llx / %zu\n",
			bm->name, wl->name, ms, (unsigned long long)r->get_sum, r->size,
			(unsigned long long)ref->get_sum, ref->size);
		bad = 1;
	}
	return bad;
}

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (!list)
		return true;
	for (p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static bool runs(const struct bench_map *bm, int nt, const struct config *c)
{
	return listed(c->only_maps, bm->name) && (nt == 1 || !(bm->flags & BENCH_SINGLE_THREAD));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_REPS];

	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void print_machine(const struct config *c)
{
	char model[256] = "unknown CPU", line[512], date[64];
	FILE *f = fopen("/proc/cpuinfo", "r");
	struct utsname u;
	time_t t = time(NULL);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M %Z", localtime(&t));
	printf("machine: %s, %ld online CPUs, %d usable by this process; %s %s %s\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), ncpus, u.sysname, u.release, u.machine);
	printf("run: %s; %zu ops per run split over the threads, median of %d rep%s; %s%s%s\n", date,
	       c->ops, c->reps, c->reps == 1 ? "" : "s",
	       c->modes == 3 ? "not presized and presized, interleaved" :
	       c->modes & 1 << MODE_PRESIZE ? "presized only" : "not presized only",
	       c->cpu_clock ? "; --clock cpu: Mops/s per CPU second, summed over threads" : "",
	       c->quick ? "; --quick: results checked, timings not meaningful" : "");
}

/* Below a presized table: which maps have no pre-size option. */
static void print_presize_note(const struct config *c, int mode)
{
	const char *sep = "";
	size_t i;

	if (mode != MODE_PRESIZE)
		return;
	printf("\nNo pre-size option (create() ignores the size; %s): ",
	       c->modes == 3 ? "their figures are the not-presized run's, same repetitions" :
	       "run as in the not-presized mode");
	for (i = 0; i < NMAPS; i++)
		if (!(maps[i]->flags & BENCH_PRESIZE) && listed(c->only_maps, maps[i]->name)) {
			printf("%s%s", sep, maps[i]->name);
			sep = ", ";
		}
	printf("%s.\n", *sep ? "" : "none");
}

static bool counts_as_peer(const struct bench_map *bm)
{
	return !(bm->flags & (BENCH_SINGLE_THREAD | BENCH_LOCAL));
}

static void print_tables(const struct config *c, int mode,
			 double mops[][MAX_TCOUNTS][NMAPS][MAX_REPS])
{
	size_t w, i;
	int t;

	printf("\n### Mops/s (median), %s\n\n| workload | threads |", mode_title[mode]);
	for (i = 0; i < NMAPS; i++)
		printf(" %s |", maps[i]->name);
	printf("\n|---|---|");
	for (i = 0; i < NMAPS; i++)
		printf("---:|");
	printf("\n");
	for (w = 0; w < BENCH_NWORKLOADS; w++)
		for (t = 0; t < c->nthreads; t++) {
			if (!listed(c->only_workloads, bench_workloads[w].name))
				continue;
			printf("| %s | %d |", bench_workloads[w].name, c->threads[t]);
			for (i = 0; i < NMAPS; i++)
				if (runs(maps[i], c->threads[t], c))
					printf(" %.2f |", median(mops[w][t][i], c->reps));
				else
					printf(" – |");
			printf("\n");
		}
	print_presize_note(c, mode);

	printf("\n### libsafemap / peer, %s (ratio of medians from the same run; > 1: libsafemap "
	       "faster)\n\n| workload | threads |", mode_short[mode]);
	for (i = 1; i < NMAPS; i++)
		printf(" %s |", maps[i]->name);
	printf(" best concurrent peer |\n|---|---|");
	for (i = 1; i <= NMAPS; i++)
		printf("---:|");
	printf("\n");
	for (w = 0; w < BENCH_NWORKLOADS; w++)
		for (t = 0; t < c->nthreads; t++) {
			double sm, best = 0;
			const char *best_name = NULL;

			if (!listed(c->only_workloads, bench_workloads[w].name))
				continue;
			printf("| %s | %d |", bench_workloads[w].name, c->threads[t]);
			if (!runs(maps[0], c->threads[t], c)) {
				printf(" (libsafemap not run) |\n");
				continue;
			}
			sm = median(mops[w][t][0], c->reps);
			for (i = 1; i < NMAPS; i++) {
				double p;

				if (!runs(maps[i], c->threads[t], c)) {
					printf(" – |");
					continue;
				}
				p = median(mops[w][t][i], c->reps);
				printf(" %.2f |", sm / p);
				if (counts_as_peer(maps[i]) && p > best) {
					best = p;
					best_name = maps[i]->name;
				}
			}
			if (best_name)
				printf(" %.2f (%s) |\n", sm / best, best_name);
			else
				printf(" – |\n");
		}
}

/* ---- memory: every selected map in both modes, one child process each */

static struct bench_memory mem[NMODES][NMAPS];
static bool mem_ok[NMODES][NMAPS];

static int run_memory(const struct config *c)
{
	size_t i, n = c->mem_entries;
	int mode, failed = 0;

	fprintf(stderr, "memory, %zu entries:", n);
	for (i = 0; i < NMAPS; i++) {
		if (!listed(c->only_maps, maps[i]->name))
			continue;
		for (mode = 0; mode < NMODES; mode++) {
			int err;

			if (!(c->modes & 1u << mode))
				continue;
			if (mode == MODE_PRESIZE && c->modes == 3 && !(maps[i]->flags & BENCH_PRESIZE)) {
				mem[mode][i] = mem[MODE_NOSIZE][i]; /* no pre-size option */
				mem_ok[mode][i] = mem_ok[MODE_NOSIZE][i];
				continue;
			}
			err = bench_memory_measure(maps[i], n, mode == MODE_PRESIZE ? 2 * n : 0,
						   &mem[mode][i]);
			if (err < 0) {
				fprintf(stderr, "\n%s: the memory child failed: %s\n", maps[i]->name,
					strerror(-err));
				return 2;
			}
			mem_ok[mode][i] = err == 0;
			failed |= err;
			fprintf(stderr, " .");
		}
	}
	fprintf(stderr, "\n");
	return failed;
}

static void print_memory(const struct config *c)
{
	size_t i, n = c->mem_entries;
	int mode;

	printf("\n### Memory: %zu entries of 8-byte keys and 8-byte values\n\n"
	       "Each map in a fresh process of its own (bench_maps re-executed), one thread: RSS "
	       "(/proc/self/statm) before create(), after inserting the %zu entries (keys as the "
	       "mixes': splitmix64 of 0..N-1), and after deleting every one of them, the adapter's "
	       "quiesce (RCU: rcu_barrier) and malloc_trim(0). bytes/entry = RSS growth at the peak / "
	       "N (everything the map allocated, resident); kept = RSS growth left after delete-all / "
	       "growth at the peak. Presized: create(%zu), as the large mixes (%zu of %zu keys).%s\n\n"
	       "| map |", n, n, 2 * n, n, 2 * n,
	       c->quick ? " --quick: a small N, checked (sizes, values, >= 16 bytes/entry), "
			  "figures not meaningful." : "");
	for (mode = 0; mode < NMODES; mode++)
		if (c->modes & 1u << mode)
			printf(" %s: bytes/entry | kept after delete-all |", mode_short[mode]);
	printf(" peak RSS growth (MiB, %s) |\n|---|", c->modes & 1 ? "not presized" : "presized");
	for (mode = 0; mode < NMODES; mode++)
		if (c->modes & 1u << mode)
			printf("---:|---:|");
	printf("---:|\n");
	for (i = 0; i < NMAPS; i++) {
		const struct bench_memory *first = NULL;

		if (!listed(c->only_maps, maps[i]->name))
			continue;
		printf("| %s |", maps[i]->name);
		for (mode = 0; mode < NMODES; mode++) {
			if (!(c->modes & 1u << mode))
				continue;
			if (!mem_ok[mode][i]) {
				printf(" (mismatch) | |");
				continue;
			}
			first = first ? first : &mem[mode][i];
			printf(" %.1f | %.0f%% |", mem[mode][i].bytes_per_entry, 100 * mem[mode][i].kept);
		}
		if (first)
			printf(" %.1f |\n", (double)(first->peak - first->rss0) / (1 << 20));
		else
			printf(" – |\n");
	}
	if (c->modes & 1 << MODE_PRESIZE)
		print_presize_note(c, MODE_PRESIZE);

	for (mode = 0; mode < NMODES; mode++) {
		if (!(c->modes & 1u << mode))
			continue;
		printf("\n#### Memory, %s (%zu entries, 8-byte keys and values)\n\n"
		       "| map | bytes/entry | kept after delete-all |\n|---|---:|---:|\n",
		       mode_short[mode], n);
		for (i = 0; i < NMAPS; i++)
			if (listed(c->only_maps, maps[i]->name) && mem_ok[mode][i])
				printf("| %s | %.1f | %.0f%% |\n", maps[i]->name,
				       mem[mode][i].bytes_per_entry, 100 * mem[mode][i].kept);
	}
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--quick] [--threads 1,2] [--reps N] [--ops N]\n"
		"          [--maps NAME,...] [--workloads NAME,...] [--clock wall|cpu]\n"
		"          [--presize no|yes|both] [--memory yes|no|only] [--mem-entries N]\n"
		"          [--isolate yes|no]\n"
		"  --quick      every workload briefly (1 rep, 100000 ops; memory with 100000\n"
		"               entries): checks results, no timing claims\n"
		"  --threads    thread counts to run (default 1,2)\n"
		"  --reps       repetitions; the tables show medians (default 5)\n"
		"  --ops        ops per run, split over the threads (default 3000000)\n"
		"  --maps       only these maps (names as in the table)\n"
		"  --workloads  only these workloads\n"
		"  --clock      wall (default): ops / wall time from the first thread's start to the\n"
		"               last one's end; cpu: the sum over threads of ops / thread CPU time\n"
		"               (less sensitive to other load on a shared machine)\n"
		"  --presize    no: every map created with no size hint; yes: sized for the key space\n"
		"               (maps that have such an option); both (default): both, interleaved,\n"
		"               one pair of tables each\n"
		"  --memory     yes (default): also measure each map's memory (RSS growth per entry,\n"
		"               kept after delete-all; one fresh process per map); no; only: skip\n"
		"               the timed runs\n"
		"  --mem-entries  entries in the memory measurement (default 1000000)\n"
		"  --isolate    yes (default): each timed run in a child process of its own, so no\n"
		"               map inherits another's threads or heap; no: all in this process\n"
		"Exit status: 0 all results correct, 1 a result mismatch, 2 usage or setup error.\n",
		prog);
}

static void parse_args(int argc, char **argv, struct config *c)
{
	bool mem_n_given = false;
	int i;

	*c = (struct config){ .ops = 3000000, .reps = 5, .nthreads = 2, .threads = { 1, 2 },
			      .modes = 3, .memory = true, .timed = true, .mem_entries = 1000000 };
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quick")) {
			c->quick = true;
			c->reps = 1;
			c->ops = 100000;
			continue;
		}
		if (!v || strncmp(a, "--", 2)) {
			usage(argv[0]);
			exit(2);
		}
		i++;
		if (!strcmp(a, "--reps")) {
			c->reps = atoi(v);
		} else if (!strcmp(a, "--ops")) {
			c->ops = strtoul(v, NULL, 0);
		} else if (!strcmp(a, "--maps")) {
			c->only_maps = v;
		} else if (!strcmp(a, "--clock") && (!strcmp(v, "cpu") || !strcmp(v, "wall"))) {
			c->cpu_clock = !strcmp(v, "cpu");
		} else if (!strcmp(a, "--isolate") && (!strcmp(v, "yes") || !strcmp(v, "no"))) {
			c->shared = !strcmp(v, "no");
		} else if (!strcmp(a, "--workloads")) {
			c->only_workloads = v;
		} else if (!strcmp(a, "--presize") &&
			   (!strcmp(v, "no") || !strcmp(v, "yes") || !strcmp(v, "both"))) {
			c->modes = !strcmp(v, "no") ? 1u << MODE_NOSIZE :
				   !strcmp(v, "yes") ? 1u << MODE_PRESIZE : 3;
		} else if (!strcmp(a, "--memory") &&
			   (!strcmp(v, "yes") || !strcmp(v, "no") || !strcmp(v, "only"))) {
			c->memory = strcmp(v, "no");
			c->timed = strcmp(v, "only");
		} else if (!strcmp(a, "--mem-entries")) {
			c->mem_entries = strtoul(v, NULL, 0);
			mem_n_given = true;
		} else if (!strcmp(a, "--threads")) {
			char *end;

			for (c->nthreads = 0; *v && c->nthreads < MAX_TCOUNTS; v = end + (*end == ',')) {
				long n = strtol(v, &end, 10);

				if (end == v || n < 1 || n > MAX_THREADS) {
					usage(argv[0]);
					exit(2);
				}
				c->threads[c->nthreads++] = (int)n;
			}
		} else {
			usage(argv[0]);
			exit(2);
		}
	}
	if (c->quick && !mem_n_given)
		c->mem_entries = 100000;
	if (c->reps < 1 || c->reps > MAX_REPS || c->ops < 1 || c->nthreads < 1 ||
	    c->mem_entries < 1000 || c->mem_entries > (size_t)1 << 40) {
		usage(argv[0]);
		exit(2);
	}
}

/* bench_maps --memory-child NAME N EXPECTED: one memory measurement (bench_memory.c) */
static int memory_child(int argc, char **argv)
{
	size_t i;

	if (argc != 5)
		return 2;
	for (i = 0; i < NMAPS; i++)
		if (!strcmp(maps[i]->name, argv[2]))
			return bench_memory_child(maps[i], strtoul(argv[3], NULL, 0),
						  strtoul(argv[4], NULL, 0));
	fprintf(stderr, "memory child: no map named %s\n", argv[2]);
	return 2;
}

/* One workload at one thread count: every rep, both modes, every map. */
static int run_workload(const struct config *c, size_t w, int t,
			double mops[NMODES][BENCH_NWORKLOADS][MAX_TCOUNTS][NMAPS][MAX_REPS])
{
	static struct bench_stream streams[MAX_THREADS];
	const struct bench_workload *wl = &bench_workloads[w];
	int nt = c->threads[t], rep, k, mode, failed = 0;
	struct result ref, r;
	size_t i;

	for (i = 0; i < (size_t)nt; i++)
		if (bench_stream_make(&streams[i], wl, c->ops / (size_t)nt, w * 1000003 + i)) {
			fprintf(stderr, "out of memory for the op streams\n");
			exit(2);
		}
	run_reference(wl, streams, nt, &ref);
	fprintf(stderr, "%s, %d thread%s:", wl->name, nt, nt == 1 ? "" : "s");
	for (rep = 0; rep < c->reps; rep++)
		for (k = 0; k < NMODES; k++) {
			mode = rep % 2 ? NMODES - 1 - k : k; /* alternate which mode goes first */
			if (!(c->modes & 1u << mode))
				continue;
			for (i = 0; i < NMAPS; i++) {
				if (!runs(maps[i], nt, c))
					continue;
				/* a map with no pre-size option: its not-presized run stands */
				if (mode == MODE_PRESIZE && c->modes == 3 &&
				    !(maps[i]->flags & BENCH_PRESIZE))
					continue;
				(c->shared ? run_timed : run_isolated)(
					maps[i], wl, mode == MODE_PRESIZE ? wl->key_space : 0,
					streams, nt, &r);
				mops[mode][w][t][i][rep] =
					c->cpu_clock ? r.cpu_mops :
					(double)(streams[0].n * (size_t)nt) / r.secs / 1e6;
				failed |= check(maps[i], wl, nt, mode, streams, &r, &ref);
				fprintf(stderr, " .");
			}
		}
	if (c->modes == 3)
		for (i = 0; i < NMAPS; i++)
			if (!(maps[i]->flags & BENCH_PRESIZE))
				memcpy(mops[MODE_PRESIZE][w][t][i], mops[MODE_NOSIZE][w][t][i],
				       sizeof(mops[0][0][0][0]));
	fprintf(stderr, "\n");
	for (i = 0; i < (size_t)nt; i++)
		bench_stream_free(&streams[i]);
	return failed;
}

/* The machine's CPU time so far, in ticks: all of it, and what the host
 * gave to other guests (steal, /proc/stat): 0 and 0 when unknown. */
static void cpu_ticks(unsigned long long *all, unsigned long long *steal)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int i;

	*all = *steal = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (i = 0; i < 8; i++)
			*all += v[i];
		*steal = v[7];
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	unsigned long long all0, steal0, all1, steal1;
	static double mops[NMODES][BENCH_NWORKLOADS][MAX_TCOUNTS][NMAPS][MAX_REPS];
	struct config c;
	cpu_set_t set;
	int t, mode, failed = 0, mem_failed = 0;
	size_t w, i;

	if (argc > 1 && !strcmp(argv[1], "--memory-child"))
		return memory_child(argc, argv);
	parse_args(argc, argv, &c);
	sched_getaffinity(0, sizeof(set), &set);
	for (i = 0; i < CPU_SETSIZE && ncpus < MAX_THREADS; i++)
		if (CPU_ISSET(i, &set))
			cpus[ncpus++] = (int)i;
	print_machine(&c);
	fflush(stdout);

	if (c.timed) {
		cpu_ticks(&all0, &steal0);
		for (w = 0; w < BENCH_NWORKLOADS; w++)
			if (listed(c.only_workloads, bench_workloads[w].name))
				for (t = 0; t < c.nthreads; t++)
					failed |= run_workload(&c, w, t, mops);
		cpu_ticks(&all1, &steal1);
		for (mode = 0; mode < NMODES; mode++)
			if (c.modes & 1u << mode)
				print_tables(&c, mode, mops[mode]);
		/* a virtual machine's host may run others on its CPUs: wall-clock
		 * figures lose that time (--clock cpu does not) */
		if (all1 > all0)
			printf("\nsteal: %.1f%% of the machine's CPU time during the timed runs went "
			       "to other guests of its host (/proc/stat)\n",
			       100.0 * (double)(steal1 - steal0) / (double)(all1 - all0));
	}
	if (c.memory) {
		mem_failed = run_memory(&c);
		if (mem_failed == 2)
			return 2;
		print_memory(&c);
	}
	if (failed || mem_failed)
		printf("\nresults: MISMATCH (see the messages above)\n");
	else
		printf("\nresults: %s%s%s\n", c.timed ? "every map matched the reference (1 thread: "
		       "exact hit/miss counts, get checksum and final size; more threads: final size "
		       "= prefill + inserts - removes, success counts within 2% of the reference)" : "",
		       c.timed && c.memory ? "; " : "", c.memory ? "memory runs checked (every value "
		       "read back, every delete done, sizes N then 0, >= 16 bytes/entry resident)" : "");
	return failed || mem_failed ? 1 : 0;
}
