/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cost of the BPF map handles, from one run (run as root):
 *  - checked update/lookup (safemap_bpf_update/lookup) against the raw
 *    libbpf calls (bpf_map_update_elem/lookup_elem) on the same map;
 *  - batch against single-element operations for 10,000 entries: update,
 *    walk (lookup) and delete, through the handles (batch vs no_batch) and
 *    raw.
 * Times are the thread's CPU time (user + system); rounds alternate between
 * the variants and the median is printed, so the ratios compare like with
 * like on a noisy machine. Every round checks its
 * results (counts and values); a mismatch exits 1.
 * Usage: bench_bpf [--quick] [--reps N]   (exit 77 when the kernel refuses)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <safemap/safemap.h>

#define ENTRIES 10000u
#define MAX_REPS 64

/* CPU time (user + system) of this thread: what the calls cost, not how
 * long a loaded machine made us wait for a core. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "bench_bpf: result check failed: %s\n", what);
		exit(1);
	}
}

static uint32_t keys[ENTRIES];
static uint64_t vals[ENTRIES];
static struct safemap_bpf *h, *h_single;
static int fd;

/* ---- single-element update/lookup: checked vs raw, ns per op ---- */

static double raw_update(unsigned n)
{
	double t = now();
	unsigned i;

	for (i = 0; i < n; i++)
		check(bpf_map_update_elem(fd, &keys[i % ENTRIES], &vals[i % ENTRIES], BPF_ANY) == 0,
		      "raw update");
	return (now() - t) / n * 1e9;
}

static double checked_update(unsigned n)
{
	double t = now();
	unsigned i;

	for (i = 0; i < n; i++)
		check(safemap_bpf_update(h, &keys[i % ENTRIES], &vals[i % ENTRIES], SAFEMAP_ANY) == 0,
		      "checked update");
	return (now() - t) / n * 1e9;
}

static double raw_lookup(unsigned n)
{
	double t = now();
	uint64_t v;
	unsigned i;

	for (i = 0; i < n; i++)
		check(bpf_map_lookup_elem(fd, &keys[i % ENTRIES], &v) == 0 && v == vals[i % ENTRIES],
		      "raw lookup");
	return (now() - t) / n * 1e9;
}

static double checked_lookup(unsigned n)
{
	double t = now();
	uint64_t v;
	unsigned i;

	for (i = 0; i < n; i++)
		check(safemap_bpf_lookup(h, &keys[i % ENTRIES], &v) == 0 && v == vals[i % ENTRIES],
		      "checked lookup");
	return (now() - t) / n * 1e9;
}

/* ---- 10,000 entries: batch vs single, ns per entry ---- */

static void empty_map(void)
{
	uint32_t n = ENTRIES;

	/* every key is present before: the delete benchmarks leave it empty */
	safemap_bpf_batch_delete(h, keys, &n);
}

static double update_all(struct safemap_bpf *hh)
{
	uint32_t n = ENTRIES;
	double t;

	empty_map();
	t = now();
	check(safemap_bpf_batch_update(hh, keys, vals, &n, SAFEMAP_ANY) == 0 && n == ENTRIES,
	      "batch update");
	return (now() - t) / ENTRIES * 1e9;
}

static double update_batch(void) { return update_all(h); }
static double update_single(void) { return update_all(h_single); }

static double update_raw_batch(void)
{
	uint32_t n = ENTRIES;
	double t;

	empty_map();
	t = now();
	check(bpf_map_update_batch(fd, keys, vals, &n, NULL) == 0 && n == ENTRIES, "raw batch update");
	return (now() - t) / ENTRIES * 1e9;
}

struct walk_ctx {
	uint32_t n;
	uint64_t sum;
};

static int on_entry(const void *key, const void *value, void *ctx)
{
	struct walk_ctx *w = ctx;
	uint64_t v;

	(void)key;
	memcpy(&v, value, sizeof(v));
	w->n++;
	w->sum += v;
	return 0;
}

static uint64_t want_sum;

static double walk_all(struct safemap_bpf *hh)
{
	struct walk_ctx w = { 0, 0 };
	double t = now();

	check(safemap_bpf_foreach(hh, 0, on_entry, &w) == 0, "walk");
	t = now() - t;
	check(w.n == ENTRIES && w.sum == want_sum, "walk visited every entry once");
	return t / ENTRIES * 1e9;
}

static double walk_batch(void) { return walk_all(h); }
static double walk_single(void) { return walk_all(h_single); }

static double delete_all(struct safemap_bpf *hh)
{
	uint32_t n = ENTRIES;
	double t;

	update_all(h); /* refill, untimed */
	t = now();
	check(safemap_bpf_batch_delete(hh, keys, &n) == 0 && n == ENTRIES, "batch delete");
	t = now() - t;
	update_all(h);
	return t / ENTRIES * 1e9;
}

static double delete_batch(void) { return delete_all(h); }
static double delete_single(void) { return delete_all(h_single); }

int main(int argc, char **argv)
{
	int reps = 7, i, r;
	unsigned ops = 200000;
	struct {
		const char *name;
		double (*a)(void), (*b)(void);
		const char *an, *bn;
		double ta[MAX_REPS], tb[MAX_REPS];
	} pairs[] = {
		{ "update 10k", update_batch, update_single, "batch", "single", { 0 }, { 0 } },
		{ "update 10k (raw)", update_raw_batch, update_single, "raw batch", "single", { 0 }, { 0 } },
		{ "update 10k batch", update_raw_batch, update_batch, "raw batch", "checked batch", { 0 }, { 0 } },
		{ "lookup walk 10k", walk_batch, walk_single, "batch", "next_key+lookup", { 0 }, { 0 } },
		{ "delete 10k", delete_batch, delete_single, "batch", "single", { 0 }, { 0 } },
	};
	double cu[MAX_REPS], ru[MAX_REPS], cl[MAX_REPS], rl[MAX_REPS];

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			reps = 1;
			ops = 20000;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
			if (reps < 1 || reps > MAX_REPS)
				reps = 7;
		} else {
			fprintf(stderr, "usage: bench_bpf [--quick] [--reps N]\n");
			return 2;
		}
	}
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "bench", 4, 8, ENTRIES, NULL);
	if (fd < 0) {
		fprintf(stderr, "bench_bpf: the kernel refuses BPF maps (%s): run as root\n",
			strerror(-fd));
		return 77;
	}
	{
		SAFEMAP_OPTS(safemap_bpf_opts, o, .name = "bench");
		SAFEMAP_OPTS(safemap_bpf_opts, os, .name = "bench", .no_batch = true);

		check(safemap_bpf_open_fd(fd, &o, &h) == 0 && safemap_bpf_open_fd(fd, &os, &h_single) == 0,
		      "open");
	}
	for (i = 0; i < (int)ENTRIES; i++) {
		keys[i] = (uint32_t)i * 2654435761u;
		vals[i] = (uint64_t)i * 7 + 1;
		want_sum += vals[i];
	}
	update_all(h);

	for (r = 0; r < reps; r++) {
		/* alternate the order so drift hits both sides alike */
		if (r % 2) {
			cu[r] = checked_update(ops);
			ru[r] = raw_update(ops);
			cl[r] = checked_lookup(ops);
			rl[r] = raw_lookup(ops);
		} else {
			ru[r] = raw_update(ops);
			cu[r] = checked_update(ops);
			rl[r] = raw_lookup(ops);
			cl[r] = checked_lookup(ops);
		}
		for (i = 0; i < (int)(sizeof(pairs) / sizeof(pairs[0])); i++) {
			if (r % 2) {
				pairs[i].tb[r] = pairs[i].b();
				pairs[i].ta[r] = pairs[i].a();
			} else {
				pairs[i].ta[r] = pairs[i].a();
				pairs[i].tb[r] = pairs[i].b();
			}
		}
	}

	printf("bench_bpf: hash map, 4-byte keys, 8-byte values, %d possible CPUs; thread CPU time, median of %d rounds%s\n",
	       safemap_bpf_possible_cpus(), reps, reps == 1 ? " (--quick: results checked, timings not meaningful)" : "");
	printf("\n| single element (%u ops/round) | raw libbpf ns/op | checked ns/op | checked / raw |\n"
	       "|---|---|---|---|\n", ops);
	{
		double a = median(ru, reps), b = median(cu, reps), c = median(rl, reps),
		       d = median(cl, reps);

		printf("| update | %.0f | %.0f | %.3f |\n", a, b, b / a);
		printf("| lookup | %.0f | %.0f | %.3f |\n", c, d, d / c);
	}
	printf("\n| %u entries | variant A | ns/entry | variant B | ns/entry | B / A |\n"
	       "|---|---|---|---|---|---|\n", ENTRIES);
	for (i = 0; i < (int)(sizeof(pairs) / sizeof(pairs[0])); i++) {
		double a = median(pairs[i].ta, reps), b = median(pairs[i].tb, reps);

		printf("| %s | %s | %.0f | %s | %.0f | %.2f |\n", pairs[i].name, pairs[i].an, a,
		       pairs[i].bn, b, b / a);
	}
	safemap_bpf_put(h_single);
	safemap_bpf_put(h);
	close(fd);
	return 0;
}
