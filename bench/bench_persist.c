/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_persist: saving and loading snapshot files against plain file I/O
 * of the same bytes, in one run (medians of interleaved repetitions).
 *
 *   bench_persist [--entries N] [--reps R] [--dir DIR] [--quick]
 *
 * For N 8/8 entries (default 1M): write() + fsync() of N * 16 bytes, the
 * same bytes read() back (page cache), and the hand-made alternative to a
 * load (read() the records, safemap_put each into an empty map); then
 * safemap_snapshot(), safemap_snapshot_save() (uncompressed, zlib 1, zlib
 * 6) and safemap_load() into an empty map. Prints Markdown tables: times,
 * ratios to the plain I/O of the same bytes, file sizes. --quick: small N,
 * one repetition, every load checked (used by scripts/test). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <safemap/safemap.h>

#include "bench_time.h"

#define MAX_REPS 32

static void die(const char *what)
{
	fprintf(stderr, "bench_persist: %s: %s (%s)\n", what, strerror(errno), safemap_last_error());
	exit(1);
}

static struct safemap *new_map(void)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "bench", .key_size = 8, .value_size = 8);
	struct safemap *m;

	if (safemap_create(&o, &m))
		die("safemap_create");
	return m;
}

static double plain_write(const char *path, const void *buf, size_t n)
{
	double t = now();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, buf, n) != (ssize_t)n || fsync(fd) || close(fd))
		die("plain write");
	return now() - t;
}

static double plain_read(const char *path, void *buf, size_t n)
{
	double t = now();
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, n) != (ssize_t)n || close(fd))
		die("plain read");
	return now() - t;
}

/* read() the records, then put each: what a user writes without a load */
static double read_and_put(const char *path, uint64_t *buf, size_t n)
{
	double t = now();
	struct safemap *m = new_map();
	size_t i;

	plain_read(path, buf, n * 16);
	for (i = 0; i < n; i++)
		safemap_put(m, &buf[2 * i], &buf[2 * i + 1], SAFEMAP_ANY);
	t = now() - t;
	safemap_destroy(m);
	return t;
}

static double save(struct safemap *m, const char *path, int level, double *snap_secs)
{
	SAFEMAP_OPTS(safemap_save_opts, so, .compression = level);
	struct safemap_snap *sn;
	double t = now(), t2;

	if (safemap_snapshot(m, &sn))
		die("safemap_snapshot");
	t2 = now();
	if (snap_secs)
		*snap_secs = t2 - t;
	if (safemap_snapshot_save(sn, path, &so))
		die("safemap_snapshot_save");
	t = now() - t2;
	safemap_snapshot_free(sn);
	return t;
}

static double load(const char *path, size_t n)
{
	struct safemap *m = new_map();
	double t = now();

	if (safemap_load(m, path, NULL))
		die("safemap_load");
	t = now() - t;
	if (safemap_count(m) != n) {
		fprintf(stderr, "bench_persist: loaded %zu of %zu entries\n", safemap_count(m), n);
		exit(1);
	}
	safemap_destroy(m);
	return t;
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long long)st.st_size;
}

enum { W_PLAIN, R_PLAIN, R_PUT, SNAP, SAVE0, SAVE1, SAVE6, LOAD0, LOAD1, LOAD6, NCOL };
static const char *const names[NCOL] = {
	"write()+fsync() of the records", "read() of the records", "read() + safemap_put each",
	"safemap_snapshot()", "save, uncompressed", "save, zlib 1", "save, zlib 6",
	"load, uncompressed", "load, zlib 1", "load, zlib 6",
};

int main(int argc, char **argv)
{
	size_t n = 1000000, i;
	int reps = 5, r, c;
	const char *dir = "/var/tmp";
	double t[NCOL][MAX_REPS], med[NCOL];
	char p[3][512], plain[512];
	struct safemap *m;
	uint64_t *buf;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--entries") && i + 1 < (size_t)argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--reps") && i + 1 < (size_t)argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--dir") && i + 1 < (size_t)argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--quick"))
			n = 20000, reps = 1;
		else {
			fprintf(stderr, "usage: bench_persist [--entries N] [--reps R] [--dir DIR] [--quick]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || !n)
		return 2;
	for (c = 0; c < 3; c++)
		snprintf(p[c], sizeof(p[c]), "%s/bench_persist.%d.%d.snap", dir, (int)getpid(), c);
	snprintf(plain, sizeof(plain), "%s/bench_persist.%d.plain", dir, (int)getpid());
	buf = malloc(n * 16);
	if (!buf)
		die("malloc");
	m = new_map();
	for (i = 0; i < n; i++) {
		uint64_t k = i * 0x9e3779b97f4a7c15ull, v = i;

		buf[2 * i] = k;
		buf[2 * i + 1] = v;
		safemap_put(m, &k, &v, SAFEMAP_ANY);
	}
	for (r = 0; r < reps; r++) {
		t[W_PLAIN][r] = plain_write(plain, buf, n * 16);
		t[SAVE0][r] = save(m, p[0], 0, &t[SNAP][r]);
		t[SAVE1][r] = save(m, p[1], 1, NULL);
		t[SAVE6][r] = save(m, p[2], 6, NULL);
		t[R_PLAIN][r] = plain_read(plain, buf, n * 16);
		t[LOAD0][r] = load(p[0], n);
		t[LOAD1][r] = load(p[1], n);
		t[LOAD6][r] = load(p[2], n);
		t[R_PUT][r] = read_and_put(plain, buf, n);
	}
	for (c = 0; c < NCOL; c++)
		med[c] = median(t[c], reps);
	printf("bench_persist: %zu entries of 8-byte keys and values (%zu bytes of records), %s, median of %d\n\n",
	       n, n * 16, dir, reps);
	printf("| step | ms | ratio to plain I/O of the same bytes | file bytes |\n|---|---:|---:|---:|\n");
	for (c = 0; c < NCOL; c++) {
		double base = c >= LOAD0 || c == R_PUT || c == R_PLAIN ? med[R_PLAIN] : med[W_PLAIN];
		long long size = c >= SAVE0 && c <= SAVE6 ? file_size(p[c - SAVE0])
			       : c >= LOAD0 ? file_size(p[c - LOAD0]) : (long long)(n * 16);

		printf("| %s | %.1f | %.2f%s | %lld |\n", names[c], med[c] * 1e3, med[c] / base,
		       c == W_PLAIN || c == R_PLAIN ? " (the base)" : "", size);
	}
	printf("\nload, uncompressed / (read() + safemap_put each): %.2f\n", med[LOAD0] / med[R_PUT]);
	printf("save, uncompressed + snapshot / write()+fsync(): %.2f\n",
	       (med[SAVE0] + med[SNAP]) / med[W_PLAIN]);
	for (c = 0; c < 3; c++)
		unlink(p[c]);
	unlink(plain);
	safemap_destroy(m);
	free(buf);
	return 0;
}
