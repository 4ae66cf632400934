/* SPDX-License-Identifier: BSD-2-Clause */
/* Saving and loading snapshot files (safemap_snapshot_save, safemap_load,
 * safemap_snapshot_inspect): round trips of every size and compression,
 * every single-byte corruption and every truncation of a small file
 * refused with the map unchanged, type checks, all-or-nothing loads (full
 * map, NOEXIST, frozen, every allocation failing in turn), finalizers, file
 * modes and the temporary files of killed savers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../testutil.h"

static char dir[256];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/safemap-persist-%d-XXXXXX", (int)getpid());
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
}

/* A path in the test's directory (make_dir() first); 4 can be in use at once. */
static const char *file(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* Deterministic key and value bytes of entry @p i. */
static void kv(size_t ks, size_t vs, uint64_t i, uint64_t gen, unsigned char *k, unsigned char *v)
{
	uint64_t s = i * 0x9e3779b97f4a7c15ull + 1, x = 0;
	size_t j;

	for (j = 0; j < ks; j++) {
		if (j % 8 == 0)
			x = tu_next(&s);
		k[j] = (unsigned char)(x >> (8 * (j % 8)));
	}
	if (ks < 8) /* short keys: make entry i's key unique for i < 256^ks */
		for (j = 0; j < ks; j++)
			k[j] = (unsigned char)(i >> (8 * j));
	s ^= gen * 0xbf58476d1ce4e5b9ull;
	for (j = 0; j < vs; j++) {
		if (j % 8 == 0)
			x = tu_next(&s);
		v[j] = (unsigned char)(x >> (8 * (j % 8)));
	}
}

static struct safemap *typed_map(size_t ks, size_t vs, size_t max, const char *kt,
				 const char *vt)
{
	SAFEMAP_OPTS(safemap_type, t, .key_type = kt, .value_type = vt);
	SAFEMAP_OPTS(safemap_opts, o, .name = "persist", .key_size = ks, .value_size = vs,
		     .max_entries = max, .type = &t);
	struct safemap *m = NULL;

	ck_assert_int_eq(safemap_create(&o, &m), 0);
	return m;
}

static void fill(struct safemap *m, size_t ks, size_t vs, uint64_t from, uint64_t n,
		 uint64_t gen)
{
	unsigned char *k = malloc(ks), *v = malloc(vs);
	uint64_t i;

	for (i = from; i < from + n; i++) {
		kv(ks, vs, i, gen, k, v);
		ck_assert_int_eq(safemap_put(m, k, v, SAFEMAP_ANY), 0);
	}
	free(k);
	free(v);
}

/* @p m holds exactly entries [from, from + n) of generation @p gen. */
static void expect(struct safemap *m, size_t ks, size_t vs, uint64_t from, uint64_t n,
		   uint64_t gen)
{
	unsigned char *k = malloc(ks), *v = malloc(vs), *got = malloc(vs);
	uint64_t i;

	ck_assert_uint_eq(safemap_count(m), n);
	for (i = from; i < from + n; i++) {
		kv(ks, vs, i, gen, k, v);
		ck_assert_int_eq(safemap_get(m, k, got), 0);
		ck_assert_msg(!memcmp(v, got, vs), "entry %llu differs", (unsigned long long)i);
	}
	free(k);
	free(v);
	free(got);
}

static void save(struct safemap *m, const char *path, int level)
{
	SAFEMAP_OPTS(safemap_save_opts, so, .compression = level);
	struct safemap_snap *sn = NULL;

	ck_assert_int_eq(safemap_snapshot(m, &sn), 0);
	ck_assert_msg(safemap_snapshot_save(sn, path, &so) == 0, "save: %s", safemap_last_error());
	safemap_snapshot_free(sn);
}

static void round_trip(size_t ks, size_t vs, uint64_t n, int level)
{
	struct safemap *a = typed_map(ks, vs, 0, "struct k", "struct v"), *b;
	const char *p = file("rt.snap");

	fill(a, ks, vs, 0, n, 1);
	save(a, p, level);
	b = typed_map(ks, vs, 0, "struct k", "struct v");
	ck_assert_msg(safemap_load(b, p, NULL) == 0, "load %zu/%zu n=%llu level %d: %s", ks, vs,
		      (unsigned long long)n, level, safemap_last_error());
	expect(b, ks, vs, 0, n, 1);
	safemap_destroy(a);
	safemap_destroy(b);
}

START_TEST(round_trips)
{
	static const size_t sizes[][2] = { { 8, 8 }, { 1, 1 }, { 3, 13 }, { 24, 1000 }, { 5, 4096 } };
	static const uint64_t counts[] = { 0, 1, 100, 4097 };
	size_t s, c;
	int level;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
			for (level = 0; level <= 6; level += 6) {
				uint64_t n = counts[c];

				if (sizes[s][0] == 1 && n > 256)
					n = 256; /* one-byte keys: 256 of them */
				round_trip(sizes[s][0], sizes[s][1], n, level);
			}
}
END_TEST

START_TEST(round_trip_large)
{
	uint64_t n = (uint64_t)(1000000 * tu_scale());

	round_trip(8, 8, 100000, 0);
	round_trip(8, 8, 100000, 1);
	round_trip(8, 8, n, 0);
	round_trip(8, 8, n, 1);
}
END_TEST

/* The file's bytes. */
static unsigned char *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

static void spit(const char *path, const unsigned char *buf, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
	fclose(f);
}

/* Every one-byte change and every truncation of a small valid file: the load
 * is refused (-EBADMSG, or -EPROTO for a valid file of another type) and the
 * map keeps its 5 entries of generation 7; inspect says corrupt too. */
static void corrupt_all(int level)
{
	struct safemap *a = typed_map(8, 8, 0, "k", "v"), *b = typed_map(8, 8, 0, "k", "v");
	const char *good = file("good.snap"), *bad = file("bad.snap");
	unsigned char *buf, *copy;
	size_t size, off, tried = 0;
	int flip, err;

	fill(a, 8, 8, 0, 40, 1);
	save(a, good, level);
	buf = slurp(good, &size);
	copy = malloc(size + 1);
	fill(b, 8, 8, 100, 5, 7);
	for (off = 0; off < size; off++) {
		for (flip = 0; flip < 3; flip++) {
			static const unsigned char x[] = { 0x01, 0x80, 0xff };
			struct safemap_snapshot_info info;

			memcpy(copy, buf, size);
			copy[off] ^= x[flip];
			spit(bad, copy, size);
			err = safemap_load(b, bad, NULL);
			ck_assert_msg(err == -EBADMSG || err == -EPROTO,
				      "offset %zu ^%02x: load returned %d", off, x[flip], err);
			expect(b, 8, 8, 100, 5, 7);
			SAFEMAP_OPTS_INIT(&info);
			ck_assert_int_ne(safemap_snapshot_inspect(bad, &info), 0);
			tried++;
		}
	}
	for (off = 0; off < size; off++) { /* every truncation */
		spit(bad, buf, off);
		ck_assert_int_eq(safemap_load(b, bad, NULL), -EBADMSG);
		expect(b, 8, 8, 100, 5, 7);
		tried++;
	}
	memcpy(copy, buf, size); /* a byte too many */
	copy[size] = 0;
	spit(bad, copy, size + 1);
	ck_assert_int_eq(safemap_load(b, bad, NULL), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "offset"));
	expect(b, 8, 8, 100, 5, 7);
	ck_assert_int_eq(safemap_load(b, good, NULL), 0); /* and the good one loads */
	ck_assert_uint_eq(safemap_count(b), 45);
	printf("corruption (level %d): %zu-byte file, %zu corrupt files refused\n", level, size,
	       tried + 1);
	free(buf);
	free(copy);
	safemap_destroy(a);
	safemap_destroy(b);
}

START_TEST(every_corruption_refused)
{
	corrupt_all(0);
	corrupt_all(6);
}
END_TEST

struct events {
	int mismatches;
	char detail[512];
};

static void on_event(const struct safemap_event *ev, void *ctx)
{
	struct events *e = ctx;

	if (ev->reason == SAFEMAP_REASON_TYPE_MISMATCH) {
		e->mismatches++;
		snprintf(e->detail, sizeof(e->detail), "%s", ev->detail);
	}
}

START_TEST(type_mismatch_refused)
{
	struct safemap *a = typed_map(8, 16, 0, "struct flow", "struct stats_v1"), *b;
	struct events ev = { 0 };
	const char *p = file("t.snap");

	fill(a, 8, 16, 0, 10, 1);
	save(a, p, 0);
	{ /* same sizes, another value type name */
		SAFEMAP_OPTS(safemap_type, t, .key_type = "struct flow", .value_type = "struct stats_v2");
		SAFEMAP_OPTS(safemap_opts, o, .name = "b", .key_size = 8, .value_size = 16, .type = &t,
			     .event_fn = on_event, .event_ctx = &ev);
		ck_assert_int_eq(safemap_create(&o, &b), 0);
	}
	ck_assert_int_eq(safemap_load(b, p, NULL), -EPROTO);
	ck_assert_int_eq(ev.mismatches, 1);
	ck_assert_ptr_nonnull(strstr(ev.detail, "struct stats_v1"));
	ck_assert_ptr_nonnull(strstr(ev.detail, "struct stats_v2"));
	ck_assert_uint_eq(safemap_count(b), 0);
	safemap_destroy(b);
	b = typed_map(8, 24, 0, NULL, NULL); /* other value size, unnamed */
	ck_assert_int_eq(safemap_load(b, p, NULL), -EPROTO);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "16 bytes"));
	ck_assert_uint_eq(safemap_count(b), 0);
	safemap_destroy(b);
	b = typed_map(8, 16, 0, NULL, NULL); /* unnamed map, same sizes: loads */
	ck_assert_int_eq(safemap_load(b, p, NULL), 0);
	expect(b, 8, 16, 0, 10, 1);
	safemap_destroy(b);
	safemap_destroy(a);
}
END_TEST

START_TEST(all_or_nothing)
{
	struct safemap *a = typed_map(8, 8, 0, NULL, NULL), *b;
	const char *p = file("a.snap");

	fill(a, 8, 8, 0, 100, 2); /* entries 0..99 of generation 2 */
	save(a, p, 0);
	/* too small: 60 entries fit, 10 present (0..9 of generation 5) */
	b = typed_map(8, 8, 60, NULL, NULL);
	fill(b, 8, 8, 0, 10, 5);
	ck_assert_int_eq(safemap_load(b, p, NULL), -E2BIG);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "undone"));
	expect(b, 8, 8, 0, 10, 5);
	safemap_destroy(b);
	/* NOEXIST and a present key: nothing stored */
	b = typed_map(8, 8, 0, NULL, NULL);
	fill(b, 8, 8, 99, 1, 5);
	{
		SAFEMAP_OPTS(safemap_load_opts, lo, .flags = SAFEMAP_NOEXIST);

		ck_assert_int_eq(safemap_load(b, p, &lo), -EEXIST);
		expect(b, 8, 8, 99, 1, 5);
	}
	/* ANY replaces the present key */
	ck_assert_int_eq(safemap_load(b, p, NULL), 0);
	expect(b, 8, 8, 0, 100, 2);
	safemap_destroy(b);
	/* frozen: -EPERM, nothing stored */
	b = typed_map(8, 8, 0, NULL, NULL);
	fill(b, 8, 8, 500, 3, 5);
	ck_assert_int_eq(safemap_freeze(b), 0);
	ck_assert_int_eq(safemap_load(b, p, NULL), -EPERM);
	expect(b, 8, 8, 500, 3, 5);
	safemap_destroy(b);
	safemap_destroy(a);
}
END_TEST

struct failing {
	long n, fail_at;
	long live;
};

static void *f_malloc(size_t size, void *ctx)
{
	struct failing *f = ctx;

	if (++f->n == f->fail_at)
		return NULL;
	f->live++;
	return malloc(size);
}

static void f_free(void *p, size_t size, void *ctx)
{
	struct failing *f = ctx;

	(void)size;
	f->live--;
	free(p);
}

/* Every allocation of a load that replaces 20 values and adds 200 fails in
 * turn: each failing load returns -ENOMEM and leaves the map as it was. */
START_TEST(every_allocation_failure)
{
	struct safemap *a = typed_map(8, 8, 0, NULL, NULL);
	const char *p = file("n.snap");
	long fail_at, failures = 0;

	fill(a, 8, 8, 0, 220, 3);
	save(a, p, 6);
	for (fail_at = 1;; fail_at++) {
		struct failing f = { .fail_at = fail_at };
		struct safemap_alloc sa = { f_malloc, f_free, &f };
		SAFEMAP_OPTS(safemap_opts, o, .name = "n", .key_size = 8, .value_size = 8,
			     .shards = 2, .alloc = &sa);
		struct safemap *b = NULL;
		int err;

		f.fail_at = 0; /* the map and its first 20 entries never fail */
		ck_assert_int_eq(safemap_create(&o, &b), 0);
		fill(b, 8, 8, 0, 20, 9);
		f.fail_at = f.n + fail_at;
		err = safemap_load(b, p, NULL);
		if (!err) {
			expect(b, 8, 8, 0, 220, 3);
			safemap_destroy(b);
			ck_assert_int_eq(f.live, 0);
			break;
		}
		ck_assert_msg(err == -ENOMEM, "fail_at %ld: %d %s", fail_at, err, safemap_last_error());
		expect(b, 8, 8, 0, 20, 9);
		failures++;
		safemap_destroy(b);
		ck_assert_int_eq(f.live, 0);
	}
	ck_assert_int_gt(failures, 2);
	printf("allocation failures: %ld loads failed with -ENOMEM, map unchanged each time\n",
	       failures);
	safemap_destroy(a);
}
END_TEST

static int finalized;

static void count_final(void *key, void *value, void *ctx)
{
	(void)key;
	(void)value;
	(void)ctx;
	finalized++;
}

START_TEST(finalizers_as_single_puts)
{
	SAFEMAP_OPTS(safemap_type, t, .finalize = count_final);
	SAFEMAP_OPTS(safemap_opts, o, .name = "f", .key_size = 8, .value_size = 8, .type = &t);
	struct safemap *a = typed_map(8, 8, 0, NULL, NULL), *b = NULL;
	const char *p = file("f.snap");

	fill(a, 8, 8, 0, 50, 1);
	save(a, p, 0);
	ck_assert_int_eq(safemap_create(&o, &b), 0);
	fill(b, 8, 8, 0, 10, 4);
	finalized = 0;
	ck_assert_int_eq(safemap_load(b, p, NULL), 0);
	ck_assert_int_eq(finalized, 10); /* the 10 replaced values */
	safemap_destroy(b);
	ck_assert_int_eq(finalized, 60); /* and the 50 loaded ones */
	safemap_destroy(a);
}
END_TEST

START_TEST(bad_arguments_and_files)
{
	struct safemap *a = typed_map(8, 8, 0, NULL, NULL);
	struct safemap_snap *sn = NULL;
	struct safemap_snapshot_info info;
	const char *p = file("x.snap");
	char fifo[512];

	ck_assert_int_eq(safemap_snapshot(a, &sn), 0);
	ck_assert_int_eq(safemap_snapshot_save(NULL, p, NULL), -EINVAL);
	ck_assert_int_eq(safemap_snapshot_save(sn, NULL, NULL), -EINVAL);
	{
		SAFEMAP_OPTS(safemap_save_opts, so, .compression = 10);

		ck_assert_int_eq(safemap_snapshot_save(sn, p, &so), -EINVAL);
	}
	ck_assert_int_eq(safemap_snapshot_save(sn, "/nonexistent-dir/x.snap", NULL), -ENOENT);
	ck_assert_int_eq(safemap_load(NULL, p, NULL), -EINVAL);
	ck_assert_int_eq(safemap_load(a, NULL, NULL), -EINVAL);
	{
		SAFEMAP_OPTS(safemap_load_opts, lo, .flags = SAFEMAP_EXIST);

		ck_assert_int_eq(safemap_snapshot_save(sn, p, NULL), 0);
		ck_assert_int_eq(safemap_load(a, p, &lo), -EINVAL);
	}
	ck_assert_int_eq(safemap_load(a, file("missing"), NULL), -ENOENT);
	ck_assert_int_eq(safemap_load(a, dir, NULL), -EINVAL); /* a directory */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(safemap_load(a, fifo, NULL), -EINVAL); /* and no hang */
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "regular file"));
	SAFEMAP_OPTS_INIT(&info);
	ck_assert_int_eq(safemap_snapshot_inspect(p, &info), 0);
	ck_assert_uint_eq(info.count, 0);
	ck_assert_int_eq(safemap_snapshot_inspect(fifo, &info), -EINVAL);
	ck_assert_int_eq(safemap_snapshot_inspect(NULL, &info), -EINVAL);
	info.sz = 4;
	ck_assert_int_eq(safemap_snapshot_inspect(p, &info), -EINVAL);
	safemap_snapshot_free(sn);
	safemap_destroy(a);
}
END_TEST

START_TEST(mode_inspect_and_stale_temporaries)
{
	struct safemap *a = typed_map(8, 8, 0, "struct key", "struct val");
	SAFEMAP_OPTS(safemap_save_opts, so, .mode = 0640, .compression = 1);
	struct safemap_snapshot_info info;
	struct safemap_snap *sn = NULL;
	const char *p = file("m.snap");
	char stale[600], live[600];
	struct stat st;
	pid_t dead;
	int fd;

	fill(a, 8, 8, 0, 3000, 1);
	dead = fork(); /* a pid that no longer runs */
	if (!dead)
		_exit(0);
	waitpid(dead, NULL, 0);
	snprintf(stale, sizeof(stale), "%s.tmp.%d.1", p, (int)dead);
	snprintf(live, sizeof(live), "%s.tmp.%d.1", p, (int)getppid());
	fd = open(stale, O_CREAT | O_WRONLY, 0600);
	close(fd);
	fd = open(live, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ck_assert_int_eq(safemap_snapshot(a, &sn), 0);
	ck_assert_int_eq(safemap_snapshot_save(sn, p, &so), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_int_ne(access(stale, F_OK), 0); /* the dead saver's file is gone */
	ck_assert_int_eq(access(live, F_OK), 0);  /* a live process's file stays */
	SAFEMAP_OPTS_INIT(&info);
	ck_assert_int_eq(safemap_snapshot_inspect(p, &info), 0);
	ck_assert_uint_eq(info.version, 1);
	ck_assert_uint_eq(info.flags, 1);
	ck_assert_uint_eq(info.key_size, 8);
	ck_assert_uint_eq(info.value_size, 8);
	ck_assert_uint_eq(info.count, 3000);
	ck_assert_uint_eq(info.file_size, (uint64_t)st.st_size);
	ck_assert_uint_gt(info.blocks, 0);
	ck_assert_str_eq(info.key_type, "struct key");
	ck_assert_str_eq(info.value_type, "struct val");
	safemap_snapshot_free(sn);
	safemap_destroy(a);
}
END_TEST

static size_t temporaries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)))
		n += strstr(e->d_name, ".tmp.") != NULL;
	if (d)
		closedir(d);
	return n;
}

/* The child of killed_while_saving(): one map, saved again and again, each
 * time with all values of a new generation (value of key i = i + base, one
 * base per generation); a byte on @p done after each complete save. */
static void __attribute__((noreturn)) saver(const char *p, uint64_t n, uint64_t base, int done)
{
	struct safemap *m = typed_map(8, 8, 0, NULL, NULL);
	uint64_t gen, i, v;

	for (gen = 1;; gen++) {
		struct safemap_snap *sn;

		for (i = 0; i < n; i++) {
			v = i + base + gen;
			safemap_put(m, &i, &v, SAFEMAP_ANY);
		}
		if (safemap_snapshot(m, &sn) || safemap_snapshot_save(sn, p, NULL))
			_exit(1);
		safemap_snapshot_free(sn);
		if (write(done, "s", 1) != 1)
			_exit(1);
	}
}

/* A child saves generation after generation of a large map; it is killed
 * with SIGKILL at random moments, 50 times (every other time only after it
 * completed a save, so new files are seen). After each kill the file is a
 * complete snapshot of one generation (the previous one or the new one),
 * and at most the killed child's own temporary file is left. */
START_TEST(killed_while_saving)
{
	uint64_t n = (uint64_t)(50000 * tu_scale()) + 1000, seed = (uint64_t)getpid(), last = 0;
	const char *p = file("k.snap");
	struct safemap *a = typed_map(8, 8, 0, NULL, NULL);
	int kill_no, gens_seen = 0, torn_tries = 0;
	uint64_t k, v, base;

	for (k = 0; k < n; k++) /* generation 0: value of key i = i */
		safemap_put(a, &k, &k, SAFEMAP_ANY);
	save(a, p, 0);
	for (kill_no = 0; kill_no < 50; kill_no++) {
		struct safemap *b;
		int pipefd[2];
		char c1;
		pid_t c;

		ck_assert_int_eq(pipe(pipefd), 0);
		c = fork();
		ck_assert_int_ge(c, 0);
		if (!c) {
			close(pipefd[0]);
			saver(p, n, (uint64_t)(kill_no + 1) * 1000000, pipefd[1]);
		}
		close(pipefd[1]);
		if (kill_no % 2 == 0) /* after a complete save, during the next */
			ck_assert_int_eq(read(pipefd[0], &c1, 1), 1);
		usleep((useconds_t)(tu_next(&seed) % 60000));
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
		close(pipefd[0]);
		ck_assert_msg(temporaries() <= 1, "kill %d: %zu temporary files", kill_no,
			      temporaries());
		torn_tries += temporaries();
		b = typed_map(8, 8, 0, NULL, NULL);
		ck_assert_msg(safemap_load(b, p, NULL) == 0, "kill %d: %s", kill_no,
			      safemap_last_error());
		ck_assert_uint_eq(safemap_count(b), n);
		k = 0;
		ck_assert_int_eq(safemap_get(b, &k, &v), 0);
		base = v; /* every entry of one generation */
		for (k = 0; k < n; k++) {
			ck_assert_int_eq(safemap_get(b, &k, &v), 0);
			ck_assert_msg(v == k + base, "kill %d: key %llu from another generation",
				      kill_no, (unsigned long long)k);
		}
		gens_seen += base != last;
		last = base;
		safemap_destroy(b);
	}
	printf("killed while saving: 50 kills, %d of them mid-save (a temporary file left), %d times a new complete file, never a torn one\n",
	       torn_tries, gens_seen);
	ck_assert_int_ge(gens_seen, 25);
	safemap_destroy(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("persist");
	TCase *tc = tcase_create("persist");

	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, make_dir, remove_dir);
	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, round_trip_large);
	tcase_add_test(tc, every_corruption_refused);
	tcase_add_test(tc, type_mismatch_refused);
	tcase_add_test(tc, all_or_nothing);
	tcase_add_test(tc, every_allocation_failure);
	tcase_add_test(tc, finalizers_as_single_puts);
	tcase_add_test(tc, bad_arguments_and_files);
	tcase_add_test(tc, mode_inspect_and_stale_temporaries);
	tcase_add_test(tc, killed_while_saving);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
