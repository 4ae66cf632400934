/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_maps' memory measurement: what one map's entries cost in resident
 * memory, and what it keeps after they are all deleted.
 *
 * Every measurement runs in a child process of its own: bench_maps
 * re-executes itself (/proc/self/exe --memory-child ...), so the child's heap
 * is fresh (a fork would inherit the parent's heap with its free but
 * resident chunks, which a map could reuse without any RSS growth). The
 * child, on one thread:
 *   rss0  = RSS before create (after thread_enter)
 *   create(expected); insert keys bench_key(0..n-1)
 *   peak  = RSS after the prefill
 *   check: size() == n and every get returns the value written for its key
 *   delete every key (each must succeed); check size() == 0
 *   quiesce() if the adapter has one (deferred frees: RCU); malloc_trim(0)
 *   end   = RSS then
 * and writes "rss0 peak end" to its stdout (a pipe). RSS is the resident
 * page count of /proc/self/statm times the page size: the same for every
 * map whatever its allocator. bytes/entry = (peak - rss0) / n; kept =
 * (end - rss0) / (peak - rss0). */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_maps.h"

static size_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%lu %lu", &size, &resident) != 2) {
		fprintf(stderr, "memory child: cannot read /proc/self/statm\n");
		exit(2);
	}
	fclose(f);
	return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

int bench_memory_child(const struct bench_map *bm, size_t n, size_t expected)
{
	size_t i, rss0, peak, end, bad = 0, sz;
	uint64_t v;
	void *m;

	if (bm->thread_enter)
		bm->thread_enter();
	rss0 = rss_bytes();
	m = bm->create(expected);
	if (!m) {
		fprintf(stderr, "%s: create failed\n", bm->name);
		return 2;
	}
	for (i = 0; i < n; i++) {
		uint64_t k = bench_key(i);

		if (!bm->insert(m, k, bench_value(k, i))) {
			fprintf(stderr, "%s: memory prefill insert %zu failed\n", bm->name, i);
			return 1;
		}
	}
	peak = rss_bytes();
	sz = bm->size(m);
	for (i = 0; i < n; i++) {
		uint64_t k = bench_key(i);

		bad += !bm->get(m, k, &v) || v != bench_value(k, i);
	}
	for (i = 0; i < n; i++)
		bad += !bm->remove(m, bench_key(i));
	if (sz != n || bad || bm->size(m) != 0) {
		fprintf(stderr, "MISMATCH %s memory: size %zu after %zu inserts, %zu failed gets or "
			"deletes, size %zu after deleting all\n", bm->name, sz, n, bad, bm->size(m));
		return 1;
	}
	if (bm->quiesce)
		bm->quiesce(m);
	malloc_trim(0);
	end = rss_bytes();
	printf("%zu %zu %zu\n", rss0, peak, end);
	fflush(stdout);
	bm->destroy(m);
	if (bm->thread_exit)
		bm->thread_exit();
	return 0;
}

int bench_memory_measure(const struct bench_map *bm, size_t n, size_t expected,
			 struct bench_memory *out)
{
	char ns[32], es[32], line[256];
	size_t rss0, peak, end;
	int fds[2], status;
	pid_t pid;
	FILE *f;
	bool got;

	snprintf(ns, sizeof(ns), "%zu", n);
	snprintf(es, sizeof(es), "%zu", expected);
	if (pipe(fds))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl("/proc/self/exe", "bench_maps", "--memory-child", bm->name, ns, es, (char *)NULL);
		perror("exec /proc/self/exe");
		_exit(2);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	got = f && fgets(line, sizeof(line), f) && sscanf(line, "%zu %zu %zu", &rss0, &peak, &end) == 3;
	if (f)
		fclose(f);
	else
		close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !got)
		return WIFEXITED(status) && WEXITSTATUS(status) == 1 ? 1 : -ECHILD;
	*out = (struct bench_memory){ .n = n, .expected = expected, .rss0 = rss0, .peak = peak, .end = end };
	out->bytes_per_entry = peak > rss0 ? (double)(peak - rss0) / (double)n : 0;
	out->kept = peak > rss0 ? (double)(end > rss0 ? end - rss0 : 0) / (double)(peak - rss0) : 0;
	/* n entries of 16 bytes must be resident somewhere: less is a
	 * measurement that did not see the map's memory */
	if (peak < rss0 + n * 16) {
		fprintf(stderr, "MISMATCH %s memory: RSS grew by %zu bytes for %zu entries of 16 bytes\n",
			bm->name, peak > rss0 ? peak - rss0 : 0, n);
		return 1;
	}
	return 0;
}
