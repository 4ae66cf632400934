/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the audit probe costs, from one run (root):
 *
 * (a) a getpid loop -- what every other system call pays while the probe is
 *     attached -- with no program, with an empty program on each candidate
 *     hook (syscalls/sys_{enter,exit}_bpf tracepoints; raw tracepoints
 *     sys_enter/sys_exit), and with the audit probe on that hook;
 * (b) a bpf_map_update_elem loop with no program, with the empty program on
 *     the library's default hook, and with the audit probe: on an unguarded
 *     map, on a guarded map by an allowed writer (the guarding process), and
 *     by an illegal writer (a child process: every write is reported; the
 *     parent polls meanwhile, and reports + lost must equal the writes; the
 *     worst delay from a write to its report's delivery is printed), with
 *     1, 64 and 1,024 maps guarded;
 * (c) the probe's own time per bpf() call (run_time_ns / run_cnt of its
 *     sys_enter program, kernel.bpf_stats via BPF_ENABLE_STATS) for a write
 *     to an unguarded map, step by step: a copy of the probe loaded by this
 *     bench with sm_stop_after = 1..4 (see bpf/safemap_audit.bpf.c), the
 *     whole probe with 1, 64 and 1,024 maps guarded, and an allowed write
 *     to a guarded one; against the empty program's time.
 *
 * Each loop is timed in the thread's CPU time (user + system), which a
 * busy shared machine disturbs far less than wall time. Variants are
 * interleaved over rounds and the median and best ns/call are printed,
 * with the ratios the issues set as goals: audit / empty <= 1.10 for (a) on
 * the chosen hook and for (b)'s unguarded map, guarded-allowed / unguarded
 * <= 1.15, illegal / unguarded <= 1.5, 1,024 guarded maps within 5% of 1.
 *
 *   bench_audit [--quick] [--rounds N]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <safemap/audit.h>

#include "safemap_audit.h"
#include "safemap_audit_steps.skel.h"
#include "safemap_bench_bpf.skel.h"

#define MAX_ROUNDS 15
#define MAX_GUARDED 1024

static long getpid_calls = 1000000;
static long update_calls = 200000;
static int rounds = 7;

enum hook { TP, RAW, NHOOKS };
static const char *const hook_names[NHOOKS] = { "tracepoint", "raw_tp" };

/* The calling thread's CPU time (user + kernel, so the syscall and the BPF
 * program run in it are counted): unlike wall time it does not count the
 * time other processes on a shared machine hold the CPU. */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static double loop_getpid(void)
{
	double t0 = now_ns();

	for (long i = 0; i < getpid_calls; i++)
		syscall(SYS_getpid);
	return (now_ns() - t0) / getpid_calls;
}

static double loop_update(int fd)
{
	uint64_t k, v = 1;
	double t0 = now_ns();

	for (long i = 0; i < update_calls; i++) {
		k = (uint64_t)i & 1023;
		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY)) {
			fprintf(stderr, "bpf_map_update_elem: %s\n", strerror(errno));
			exit(1);
		}
	}
	return (now_ns() - t0) / update_calls;
}

/* ---- the empty programs ---- */

static struct safemap_bench_bpf *empty_attach(enum hook h)
{
	struct safemap_bench_bpf *s = safemap_bench_bpf__open();
	bool raw = h == RAW;

	if (!s)
		return NULL;
	bpf_program__set_autoload(s->progs.empty_tp_enter, !raw);
	bpf_program__set_autoload(s->progs.empty_tp_exit, !raw);
	bpf_program__set_autoload(s->progs.empty_raw_enter, raw);
	bpf_program__set_autoload(s->progs.empty_raw_exit, raw);
	if (safemap_bench_bpf__load(s) || safemap_bench_bpf__attach(s)) {
		safemap_bench_bpf__destroy(s);
		return NULL;
	}
	return s;
}

static struct safemap_audit *audit_open(enum hook h)
{
	SAFEMAP_OPTS(safemap_audit_opts, o, .hook = h == RAW ? SAFEMAP_AUDIT_HOOK_RAW_TRACEPOINT
							     : SAFEMAP_AUDIT_HOOK_TRACEPOINT);
	struct safemap_audit *a = NULL;
	int err = safemap_audit_open(&o, &a);

	if (err) {
		fprintf(stderr, "safemap_audit_open: %s (%s)\n", safemap_strerror(err),
			safemap_last_error());
		exit(1);
	}
	return a;
}

/* ---- the illegal writer: a child, timed by itself ---- */

static uint64_t g_reports, g_lost, g_writes;
static double g_lat_max_ns, g_lat_sum_ns;

static double mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Counts, and the delay from the write's syscall entry (the report's
 * timestamp, bpf_ktime_get_ns = CLOCK_MONOTONIC) to its delivery here. */
static void count_event(const struct safemap_event *ev, void *ctx)
{
	(void)ctx;
	if (ev->reason == SAFEMAP_REASON_NOT_ALLOWED) {
		double lat = mono_ns() - (double)ev->timestamp_ns;

		g_reports++;
		g_lat_sum_ns += lat;
		if (lat > g_lat_max_ns)
			g_lat_max_ns = lat;
	} else if (ev->reason == SAFEMAP_REASON_LOST) {
		g_lost += ev->count;
	}
}

static double illegal_writer(struct safemap_audit *a, int fd)
{
	int p[2], status = 0;
	double ns = 0;
	uint64_t before = g_reports + g_lost;
	pid_t pid;

	if (pipe(p))
		exit(1);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		prctl(PR_SET_NAME, "bench-illegal", 0, 0, 0);
		ns = loop_update(fd);
		_exit(write(p[1], &ns, sizeof(ns)) == sizeof(ns) ? 0 : 1);
	}
	/* a long timeout, as safemapctl's: the latency bound is the library's
	 * tick, not the caller's timeout */
	while (waitpid(pid, &status, WNOHANG) == 0)
		safemap_audit_poll(a, 200);
	for (int i = 0; i < 3; i++)
		safemap_audit_poll(a, 20);
	if (!WIFEXITED(status) || WEXITSTATUS(status) || read(p[0], &ns, sizeof(ns)) != sizeof(ns)) {
		fprintf(stderr, "illegal writer failed\n");
		exit(1);
	}
	close(p[0]);
	close(p[1]);
	g_writes += (uint64_t)update_calls;
	if (g_reports + g_lost - before != (uint64_t)update_calls) {
		fprintf(stderr, "CHECK FAILED: %llu reports + lost for %ld illegal writes\n",
			(unsigned long long)(g_reports + g_lost - before), update_calls);
		exit(1);
	}
	return ns;
}

/* ---- rounds, medians ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, sizeof(double) * (size_t)rounds);
	qsort(s, (size_t)rounds, sizeof(double), cmp_double);
	return s[rounds / 2];
}

static double best(const double *v)
{
	double m = v[0];

	for (int i = 1; i < rounds; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static void row2(const char *what, double a, double b, double c, double d)
{
	printf("    %-28s %10.1f (%8.1f) %10.1f (%8.1f)\n", what, a, b, c, d);
}

static void ratio2(const char *what, double a, double b, double c, double d)
{
	printf("    %-28s %10.2f (%8.2f) %10.2f (%8.2f)\n", what, a, b, c, d);
}

static void row1(const char *what, double md, double mn, const char *unit, double r_md, double r_mn)
{
	printf("    %-32s %8.1f (%8.1f)", what, md, mn);
	if (unit[0])
		printf("  %.2f (%.2f)%s", r_md, r_mn, unit);
	printf("\n");
}

static const char *verdict(double r_median, double r_best, double goal)
{
	if (r_median <= goal && r_best <= goal)
		return "met (median and best)";
	if (r_median <= goal || r_best <= goal)
		return r_best <= goal ? "met on the best round, not the median (noise?)"
				      : "met on the median, not the best round (noise?)";
	return "MISSED";
}

static struct safemap_audit *audit_guarding(int guarded, const int *fillers, int n);
static uint32_t map_id(int fd);

/* ---- (d) the library's own probe, found among the programs of the system
 * (other processes load audit probes too): the sys_enter program that
 * reads a policy map holding @p guarded, and the sys_exit program that
 * shares a map with it ---- */

static int prog_info(int fd, struct bpf_prog_info *info, uint32_t *maps, uint32_t *nmaps)
{
	uint32_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	info->nr_map_ids = 16;
	info->map_ids = (uintptr_t)maps;
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		return -1;
	*nmaps = info->nr_map_ids < 16 ? info->nr_map_ids : 16;
	return 0;
}

static bool is_our_policy(uint32_t map_id, uint32_t guarded)
{
	struct bpf_map_info mi;
	uint32_t len = sizeof(mi);
	char value[1024];
	bool yes = false;
	int fd = bpf_map_get_fd_by_id(map_id);

	if (fd < 0)
		return false;
	memset(&mi, 0, sizeof(mi));
	if (bpf_obj_get_info_by_fd(fd, &mi, &len) == 0 && strcmp(mi.name, "sm_policy") == 0 &&
	    mi.value_size <= sizeof(value))
		yes = bpf_map_lookup_elem(fd, &guarded, value) == 0;
	close(fd);
	return yes;
}

/* fds of the library's sys_enter and sys_exit programs (tracepoint hook). */
static int find_probe(uint32_t guarded, int *enter_fd, int *exit_fd)
{
	uint32_t id = 0, maps[16], nmaps, enter_maps[16], n_enter = 0;
	struct bpf_prog_info info;

	*enter_fd = *exit_fd = -1;
	for (int pass = 0; pass < 2; pass++) {
		id = 0;
		while (bpf_prog_get_next_id(id, &id) == 0) {
			int fd = bpf_prog_get_fd_by_id(id);
			bool mine = false;

			if (fd < 0)
				continue;
			if (prog_info(fd, &info, maps, &nmaps) ||
			    strcmp(info.name, pass ? "sm_tp_exit" : "sm_tp_enter") != 0) {
				close(fd);
				continue;
			}
			for (uint32_t i = 0; i < nmaps && !mine; i++) {
				if (pass == 0)
					mine = is_our_policy(maps[i], guarded);
				for (uint32_t j = 0; pass == 1 && j < n_enter; j++)
					mine = mine || maps[i] == enter_maps[j];
			}
			if (!mine) {
				close(fd);
				continue;
			}
			if (pass == 0) {
				*enter_fd = fd;
				memcpy(enter_maps, maps, sizeof(maps));
				n_enter = nmaps;
			} else {
				*exit_fd = fd;
			}
			break;
		}
		if (pass == 0 && *enter_fd < 0)
			return -1;
	}
	return *exit_fd < 0 ? -1 : 0;
}

static void prog_runs(int fd, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info;
	uint32_t maps[16], n;

	*ns = *cnt = 0;
	if (prog_info(fd, &info, maps, &n) == 0) {
		*ns = info.run_time_ns;
		*cnt = info.run_cnt;
	}
}

/* ns per run of the library's probe programs over one loop: an unguarded
 * write, an allowed write, and (a child) illegal writes: enter and exit. */
static void library_probe_ns(int unguarded, int guarded, const int *fillers, int nguard,
			     double *out /* [4] */)
{
	struct safemap_audit *a = audit_guarding(guarded, fillers, nguard);
	int enter, exit_;
	uint64_t n0, c0, n1, c1, x0, y0, x1, y1;

	if (find_probe(map_id(guarded), &enter, &exit_)) {
		fprintf(stderr, "cannot find the library's probe programs\n");
		exit(1);
	}
	prog_runs(enter, &n0, &c0);
	loop_update(unguarded);
	prog_runs(enter, &n1, &c1);
	out[0] = c1 > c0 ? (double)(n1 - n0) / (double)(c1 - c0) : 0;
	prog_runs(enter, &n0, &c0);
	loop_update(guarded);
	prog_runs(enter, &n1, &c1);
	out[1] = c1 > c0 ? (double)(n1 - n0) / (double)(c1 - c0) : 0;
	prog_runs(enter, &n0, &c0);
	prog_runs(exit_, &x0, &y0);
	illegal_writer(a, guarded);
	prog_runs(enter, &n1, &c1);
	prog_runs(exit_, &x1, &y1);
	out[2] = c1 > c0 ? (double)(n1 - n0) / (double)(c1 - c0) : 0;
	out[3] = y1 > y0 ? (double)(x1 - x0) / (double)(y1 - y0) : 0;
	close(enter);
	close(exit_);
	safemap_audit_close(a);
}

/* ---- (c) the probe's own time per call: bpf_stats ---- */

/* ns per run of @p prog_fd's program over one update loop on @p fd
 * (BPF_ENABLE_STATS must be on). Other processes' bpf() calls run it too
 * (other work on this machine); they add runs of the same kind. */
static double prog_ns(int prog_fd, int fd)
{
	struct bpf_prog_info i0, i1;
	uint32_t len = sizeof(i0);

	memset(&i0, 0, sizeof(i0));
	if (bpf_obj_get_info_by_fd(prog_fd, &i0, &len))
		exit(1);
	loop_update(fd);
	memset(&i1, 0, sizeof(i1));
	len = sizeof(i1);
	if (bpf_obj_get_info_by_fd(prog_fd, &i1, &len))
		exit(1);
	if (i1.run_cnt <= i0.run_cnt)
		return 0;
	return (double)(i1.run_time_ns - i0.run_time_ns) / (double)(i1.run_cnt - i0.run_cnt);
}

/* A copy of the probe, loaded here, stopping after step @p stop (0: the
 * whole probe), guarding the first @p nguarded of @p ids (this process
 * allowed, as the library's default policy). */
static struct safemap_audit_steps *steps_attach(unsigned stop, const uint32_t *ids, int nguarded)
{
	struct safemap_audit_steps *s = safemap_audit_steps__open();
	struct sm_policy pol = { .guard_tgid = (uint32_t)getpid() }; /* children: illegal */

	if (!s)
		return NULL;
	bpf_program__set_autoload(s->progs.sm_raw_enter, false);
	bpf_program__set_autoload(s->progs.sm_raw_exit, false);
	s->rodata->sm_stop_after = stop;
	if (safemap_audit_steps__load(s))
		goto fail;
	for (int i = 0; i < nguarded; i++) {
		uint32_t bit = sm_guard_bit(ids[i]);

		s->bss->sm_guard_words[bit / 64] |= 1ull << (bit & 63);
		if (bpf_map_update_elem(bpf_map__fd(s->maps.sm_policy), &ids[i], &pol, BPF_ANY))
			goto fail;
	}
	s->bss->sm_nr_guarded = (uint32_t)nguarded;
	s->links.sm_tp_exit = bpf_program__attach(s->progs.sm_tp_exit);
	s->links.sm_tp_enter = bpf_program__attach(s->progs.sm_tp_enter);
	if (!s->links.sm_tp_exit || !s->links.sm_tp_enter)
		goto fail;
	return s;
fail:
	safemap_audit_steps__destroy(s);
	return NULL;
}

static int drop_report(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* The probe copy's time for illegal writes (a child writes @p fd, guarded by
 * @p s for this process only), enter and exit programs: ns per run, into
 * @p out[0] and out[1]; the reports are read (and dropped) meanwhile. */
static void illegal_prog_ns(struct safemap_audit_steps *s, int fd, double *out)
{
	struct bpf_prog_info i0[2], i1[2];
	int progs[2] = { bpf_program__fd(s->progs.sm_tp_enter), bpf_program__fd(s->progs.sm_tp_exit) };
	uint64_t got = 0;
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(s->maps.sm_reports), drop_report, &got,
						  NULL);
	uint32_t len;
	int status = 0;
	pid_t pid;

	if (!rb)
		exit(1);
	for (int k = 0; k < 2; k++) {
		memset(&i0[k], 0, sizeof(i0[k]));
		len = sizeof(i0[k]);
		if (bpf_obj_get_info_by_fd(progs[k], &i0[k], &len))
			exit(1);
	}
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		loop_update(fd);
		_exit(0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		ring_buffer__poll(rb, SAFEMAP_AUDIT_TICK_MS);
		ring_buffer__consume(rb);
	}
	ring_buffer__consume(rb);
	for (int k = 0; k < 2; k++) {
		memset(&i1[k], 0, sizeof(i1[k]));
		len = sizeof(i1[k]);
		if (bpf_obj_get_info_by_fd(progs[k], &i1[k], &len))
			exit(1);
		out[k] = i1[k].run_cnt > i0[k].run_cnt
			 ? (double)(i1[k].run_time_ns - i0[k].run_time_ns) /
				   (double)(i1[k].run_cnt - i0[k].run_cnt) : 0;
	}
	ring_buffer__free(rb);
}

enum { PID_NONE, PID_EMPTY_TP, PID_AUDIT_TP, PID_EMPTY_RAW, PID_AUDIT_RAW, NPID };
enum {
	UPD_NONE, UPD_EMPTY, UPD_UNGUARDED, UPD_LEGAL, UPD_ILLEGAL,
	UPD_UNGUARDED_64, UPD_LEGAL_64, UPD_UNGUARDED_1K, UPD_LEGAL_1K, NUPD
};
enum {
	ST_EMPTY, ST_STEP1, ST_STEP2, ST_STEP3, ST_STEP4, ST_STEP5, ST_FULL_1, ST_FULL_64, ST_FULL_1K,
	ST_LEGAL_1, ST_LEGAL_1K, ST_EMPTY_EXIT, ST_ILLEGAL_ENTER, ST_ILLEGAL_EXIT, NST
};

static const char *const st_names[NST] = {
	[ST_EMPTY] = "empty program",
	[ST_STEP1] = "1: guarded at all, write cmd",
	[ST_STEP2] = "2: + read the fd (attr)",
	[ST_STEP3] = "3: + fd -> map -> id",
	[ST_STEP4] = "4: + guarded-id filter",
	[ST_STEP5] = "5: + policy lookup (= all)",
	[ST_FULL_1] = "whole probe, 1 guarded",
	[ST_FULL_64] = "whole probe, 64 guarded",
	[ST_FULL_1K] = "whole probe, 1024 guarded",
	[ST_LEGAL_1] = "allowed write, 1 guarded",
	[ST_LEGAL_1K] = "allowed write, 1024 guarded",
	[ST_EMPTY_EXIT] = "empty program, sys_exit",
	[ST_ILLEGAL_ENTER] = "illegal write: sys_enter",
	[ST_ILLEGAL_EXIT] = "illegal write: sys_exit",
};

/* An audit with @p n maps guarded: @p guarded first, then fillers. */
static struct safemap_audit *audit_guarding(int guarded, const int *fillers, int n)
{
	SAFEMAP_OPTS(safemap_audit_opts, o, .event_fn = count_event,
		     .hook = SAFEMAP_AUDIT_HOOK_TRACEPOINT, .max_guarded = MAX_GUARDED);
	struct safemap_audit *a;

	if (safemap_audit_open(&o, &a) || safemap_audit_guard_fd(a, guarded, NULL) <= 0)
		goto fail;
	for (int i = 0; i < n - 1; i++)
		if (safemap_audit_guard_fd(a, fillers[i], NULL) <= 0)
			goto fail;
	return a;
fail:
	fprintf(stderr, "audit: %s\n", safemap_last_error());
	exit(1);
}

static uint32_t map_id(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		exit(1);
	return info.id;
}

int main(int argc, char **argv)
{
	double pid_ns[NPID][MAX_ROUNDS], upd_ns[NUPD][MAX_ROUNDS], st_ns[NST][MAX_ROUNDS];
	double lib_ns[6][MAX_ROUNDS];
	static const char *const lib_names[6] = {
		"unguarded write, 1 guarded", "allowed write, 1 guarded",
		"illegal write: sys_enter", "illegal write: sys_exit",
		"unguarded write, 1024 guarded", "allowed write, 1024 guarded",
	};
	static int fillers[MAX_GUARDED];
	static uint32_t ids[MAX_GUARDED];
	struct safemap_bench_bpf *empty;
	struct safemap_audit_steps *st;
	struct safemap_audit *a;
	int unguarded, guarded, r, stats_fd;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			getpid_calls = 100000;
			update_calls = 20000;
			rounds = 3;
		} else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			rounds = atoi(argv[++i]);
			if (rounds < 1 || rounds > MAX_ROUNDS) {
				fprintf(stderr, "--rounds: 1 to %d\n", MAX_ROUNDS);
				return 2;
			}
		} else {
			fprintf(stderr, "usage: bench_audit [--quick] [--rounds N]\n");
			return 2;
		}
	}
	libbpf_set_print(quiet_libbpf);
	if (geteuid() != 0) {
		fprintf(stderr, "bench_audit: needs root (BPF programs); skipped\n");
		return 77;
	}
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl); /* 1,024 filler maps, and the probes' fds */
	}
	unguarded = bpf_map_create(BPF_MAP_TYPE_HASH, "bench_unguarded", 8, 8, 1024, NULL);
	guarded = bpf_map_create(BPF_MAP_TYPE_HASH, "bench_guarded", 8, 8, 1024, NULL);
	if (unguarded < 0 || guarded < 0) {
		fprintf(stderr, "bpf_map_create: %s\n", strerror(errno));
		return 1;
	}
	ids[0] = map_id(guarded);
	for (int i = 0; i < MAX_GUARDED - 1; i++) {
		fillers[i] = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bench_filler", 4, 8, 1, NULL);
		if (fillers[i] < 0) {
			fprintf(stderr, "bpf_map_create (filler %d): %s\n", i, strerror(errno));
			return 1;
		}
		ids[i + 1] = map_id(fillers[i]);
	}

	for (r = 0; r < rounds; r++) {
		/* (a) getpid, both hooks */
		pid_ns[PID_NONE][r] = loop_getpid();
		for (enum hook h = TP; h < NHOOKS; h++) {
			empty = empty_attach(h);
			if (!empty) {
				fprintf(stderr, "cannot attach the empty programs (%s)\n", hook_names[h]);
				return 1;
			}
			pid_ns[h == TP ? PID_EMPTY_TP : PID_EMPTY_RAW][r] = loop_getpid();
			safemap_bench_bpf__destroy(empty);
			a = audit_open(h);
			pid_ns[h == TP ? PID_AUDIT_TP : PID_AUDIT_RAW][r] = loop_getpid();
			safemap_audit_close(a);
		}
		/* (b) map updates, the default hook (tracepoint) */
		upd_ns[UPD_NONE][r] = loop_update(unguarded);
		empty = empty_attach(TP);
		if (!empty)
			return 1;
		upd_ns[UPD_EMPTY][r] = loop_update(unguarded);
		safemap_bench_bpf__destroy(empty);
		a = audit_guarding(guarded, fillers, 1);
		upd_ns[UPD_UNGUARDED][r] = loop_update(unguarded);
		upd_ns[UPD_LEGAL][r] = loop_update(guarded);
		upd_ns[UPD_ILLEGAL][r] = illegal_writer(a, guarded);
		if (safemap_audit_poll(a, 0) != 0) {
			fprintf(stderr, "CHECK FAILED: legal writes were reported\n");
			return 1;
		}
		safemap_audit_close(a);
		a = audit_guarding(guarded, fillers, 64);
		upd_ns[UPD_UNGUARDED_64][r] = loop_update(unguarded);
		upd_ns[UPD_LEGAL_64][r] = loop_update(guarded);
		safemap_audit_close(a);
		a = audit_guarding(guarded, fillers, MAX_GUARDED);
		upd_ns[UPD_UNGUARDED_1K][r] = loop_update(unguarded);
		upd_ns[UPD_LEGAL_1K][r] = loop_update(guarded);
		if (safemap_audit_poll(a, 0) != 0) {
			fprintf(stderr, "CHECK FAILED: legal writes were reported\n");
			return 1;
		}
		safemap_audit_close(a);

		/* (c) the probe's own time, bpf_stats on only meanwhile */
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0) {
			fprintf(stderr, "BPF_ENABLE_STATS: %s\n", strerror(errno));
			return 1;
		}
		empty = empty_attach(TP);
		if (!empty)
			return 1;
		{
			struct bpf_prog_info e0, e1;
			uint32_t len = sizeof(e0);
			int efd = bpf_program__fd(empty->progs.empty_tp_exit);

			memset(&e0, 0, sizeof(e0));
			bpf_obj_get_info_by_fd(efd, &e0, &len);
			st_ns[ST_EMPTY][r] = prog_ns(bpf_program__fd(empty->progs.empty_tp_enter),
						     unguarded);
			memset(&e1, 0, sizeof(e1));
			len = sizeof(e1);
			bpf_obj_get_info_by_fd(efd, &e1, &len);
			st_ns[ST_EMPTY_EXIT][r] = e1.run_cnt > e0.run_cnt
				? (double)(e1.run_time_ns - e0.run_time_ns) / (double)(e1.run_cnt - e0.run_cnt)
				: 0;
		}
		safemap_bench_bpf__destroy(empty);
		st = steps_attach(0, ids, 1);
		if (!st)
			return 1;
		{
			double ie[2];

			illegal_prog_ns(st, guarded, ie);
			st_ns[ST_ILLEGAL_ENTER][r] = ie[0];
			st_ns[ST_ILLEGAL_EXIT][r] = ie[1];
		}
		safemap_audit_steps__destroy(st);
		for (int k = ST_STEP1; k < ST_EMPTY_EXIT; k++) {
			static const unsigned stop[NST] = { [ST_STEP1] = 1, [ST_STEP2] = 2,
							    [ST_STEP3] = 3, [ST_STEP4] = 4,
							    [ST_STEP5] = 5 };
			static const int nguard[NST] = {
				[ST_STEP1] = 1, [ST_STEP2] = 1, [ST_STEP3] = 1, [ST_STEP4] = 1,
				[ST_STEP5] = 1,
				[ST_FULL_1] = 1, [ST_FULL_64] = 64, [ST_FULL_1K] = MAX_GUARDED,
				[ST_LEGAL_1] = 1, [ST_LEGAL_1K] = MAX_GUARDED };
			bool legal = k == ST_LEGAL_1 || k == ST_LEGAL_1K;

			st = steps_attach(stop[k], ids, nguard[k]);
			if (!st) {
				fprintf(stderr, "cannot load the probe's copy (step %u)\n", stop[k]);
				return 1;
			}
			st_ns[k][r] = prog_ns(bpf_program__fd(st->progs.sm_tp_enter),
					      legal ? guarded : unguarded);
			safemap_audit_steps__destroy(st);
		}
		/* (d) the library's probe, 1 and 1,024 guarded */
		{
			double d[4];

			library_probe_ns(unguarded, guarded, fillers, 1, d);
			for (int k = 0; k < 4; k++)
				lib_ns[k][r] = d[k];
			library_probe_ns(unguarded, guarded, fillers, MAX_GUARDED, d);
			for (int k = 0; k < 2; k++)
				lib_ns[4 + k][r] = d[k];
		}
		close(stats_fd);
	}

	/* medians (typical) and minima (least disturbed by the other load on
	 * a shared machine); the goals are judged on both */
	double md[NPID], mn[NPID], umd[NUPD], umn[NUPD], smd[NST], smn[NST];

	for (int i = 0; i < NPID; i++) {
		md[i] = median(pid_ns[i]);
		mn[i] = best(pid_ns[i]);
	}
	for (int i = 0; i < NUPD; i++) {
		umd[i] = median(upd_ns[i]);
		umn[i] = best(upd_ns[i]);
	}
	for (int i = 0; i < NST; i++) {
		smd[i] = median(st_ns[i]);
		smn[i] = best(st_ns[i]);
	}
	printf("bench_audit: %ld getpid calls, %ld map updates per loop, %d interleaved rounds; "
	       "ns per call, median (best)\n\n", getpid_calls, update_calls, rounds);
	printf("(a) getpid loop                 %22s %22s\n", "tracepoint", "raw_tp");
	row2("no program", md[PID_NONE], mn[PID_NONE], md[PID_NONE], mn[PID_NONE]);
	row2("empty program on the hook", md[PID_EMPTY_TP], mn[PID_EMPTY_TP], md[PID_EMPTY_RAW],
	     mn[PID_EMPTY_RAW]);
	row2("audit probe on the hook", md[PID_AUDIT_TP], mn[PID_AUDIT_TP], md[PID_AUDIT_RAW],
	     mn[PID_AUDIT_RAW]);
	ratio2("empty / none", md[PID_EMPTY_TP] / md[PID_NONE], mn[PID_EMPTY_TP] / mn[PID_NONE],
	       md[PID_EMPTY_RAW] / md[PID_NONE], mn[PID_EMPTY_RAW] / mn[PID_NONE]);
	ratio2("audit / empty (goal <= 1.10)", md[PID_AUDIT_TP] / md[PID_EMPTY_TP],
	       mn[PID_AUDIT_TP] / mn[PID_EMPTY_TP], md[PID_AUDIT_RAW] / md[PID_EMPTY_RAW],
	       mn[PID_AUDIT_RAW] / mn[PID_EMPTY_RAW]);
	ratio2("audit / none", md[PID_AUDIT_TP] / md[PID_NONE], mn[PID_AUDIT_TP] / mn[PID_NONE],
	       md[PID_AUDIT_RAW] / md[PID_NONE], mn[PID_AUDIT_RAW] / mn[PID_NONE]);
	printf("    goal on the default hook (tracepoint): %s\n",
	       verdict(md[PID_AUDIT_TP] / md[PID_EMPTY_TP], mn[PID_AUDIT_TP] / mn[PID_EMPTY_TP], 1.10));
	printf("    cheaper hook for the rest of the system: %s\n\n",
	       mn[PID_AUDIT_TP] <= mn[PID_AUDIT_RAW] ? "tracepoint (the library's default)"
						     : "raw_tp (NOT the library's default: check)");
	printf("(b) bpf_map_update_elem loop, tracepoint hook\n");
	row1("no program", umd[UPD_NONE], umn[UPD_NONE], "", 0, 0);
	row1("empty program", umd[UPD_EMPTY], umn[UPD_EMPTY], "x no program",
	     umd[UPD_EMPTY] / umd[UPD_NONE], umn[UPD_EMPTY] / umn[UPD_NONE]);
	row1("audit, unguarded map", umd[UPD_UNGUARDED], umn[UPD_UNGUARDED],
	     "x empty program (goal <= 1.10)", umd[UPD_UNGUARDED] / umd[UPD_EMPTY],
	     umn[UPD_UNGUARDED] / umn[UPD_EMPTY]);
	row1("audit, guarded, allowed writer", umd[UPD_LEGAL], umn[UPD_LEGAL],
	     "x unguarded (goal <= 1.15)", umd[UPD_LEGAL] / umd[UPD_UNGUARDED],
	     umn[UPD_LEGAL] / umn[UPD_UNGUARDED]);
	row1("audit, guarded, illegal writer", umd[UPD_ILLEGAL], umn[UPD_ILLEGAL],
	     "x unguarded (goal <= 1.5)", umd[UPD_ILLEGAL] / umd[UPD_UNGUARDED],
	     umn[UPD_ILLEGAL] / umn[UPD_UNGUARDED]);
	row1("audit, unguarded, 64 guarded", umd[UPD_UNGUARDED_64], umn[UPD_UNGUARDED_64],
	     "x 1 guarded", umd[UPD_UNGUARDED_64] / umd[UPD_UNGUARDED],
	     umn[UPD_UNGUARDED_64] / umn[UPD_UNGUARDED]);
	row1("audit, unguarded, 1024 guarded", umd[UPD_UNGUARDED_1K], umn[UPD_UNGUARDED_1K],
	     "x 1 guarded (goal <= 1.05)", umd[UPD_UNGUARDED_1K] / umd[UPD_UNGUARDED],
	     umn[UPD_UNGUARDED_1K] / umn[UPD_UNGUARDED]);
	row1("audit, allowed, 64 guarded", umd[UPD_LEGAL_64], umn[UPD_LEGAL_64], "x 1 guarded",
	     umd[UPD_LEGAL_64] / umd[UPD_LEGAL], umn[UPD_LEGAL_64] / umn[UPD_LEGAL]);
	row1("audit, allowed, 1024 guarded", umd[UPD_LEGAL_1K], umn[UPD_LEGAL_1K],
	     "x 1 guarded (goal <= 1.05)", umd[UPD_LEGAL_1K] / umd[UPD_LEGAL],
	     umn[UPD_LEGAL_1K] / umn[UPD_LEGAL]);
	printf("    goal (unguarded / empty <= 1.10): %s\n",
	       verdict(umd[UPD_UNGUARDED] / umd[UPD_EMPTY], umn[UPD_UNGUARDED] / umn[UPD_EMPTY], 1.10));
	printf("    goal (guarded allowed / unguarded <= 1.15): %s\n",
	       verdict(umd[UPD_LEGAL] / umd[UPD_UNGUARDED], umn[UPD_LEGAL] / umn[UPD_UNGUARDED], 1.15));
	printf("    goal (illegal / unguarded <= 1.5): %s\n",
	       verdict(umd[UPD_ILLEGAL] / umd[UPD_UNGUARDED], umn[UPD_ILLEGAL] / umn[UPD_UNGUARDED], 1.5));
	printf("    goal (1024 guarded / 1 guarded <= 1.05, unguarded write): %s\n",
	       verdict(umd[UPD_UNGUARDED_1K] / umd[UPD_UNGUARDED],
		       umn[UPD_UNGUARDED_1K] / umn[UPD_UNGUARDED], 1.05));
	printf("    illegal writes: %llu reports + %llu lost = %ld (checked)\n",
	       (unsigned long long)g_reports, (unsigned long long)g_lost,
	       (long)g_writes);
	printf("    report latency (write's syscall entry to the sink, poll timeout 200 ms, "
	       "tick %d ms): mean %.3f ms, worst %.3f ms\n\n", SAFEMAP_AUDIT_TICK_MS,
	       g_reports ? g_lat_sum_ns / (double)g_reports / 1e6 : 0.0, g_lat_max_ns / 1e6);
	printf("(c) the probe's programs alone (run_time_ns / run_cnt): sys_enter for a write to "
	       "an unguarded map unless said\n");
	for (int i = 0; i < NST; i++) {
		printf("    %-32s %8.1f (%8.1f)", st_names[i], smd[i], smn[i]);
		int base = i >= ST_EMPTY_EXIT && i != ST_ILLEGAL_ENTER ? ST_EMPTY_EXIT : ST_EMPTY;

		if (i != ST_EMPTY && i != ST_EMPTY_EXIT)
			printf("  +%.1f (+%.1f) over the empty program", smd[i] - smd[base],
			       smn[i] - smn[base]);
		printf("\n");
	}
	printf("    1024 guarded / 1 guarded: unguarded write %.2f (%.2f), allowed write %.2f (%.2f)\n",
	       smd[ST_FULL_1K] / smd[ST_FULL_1], smn[ST_FULL_1K] / smn[ST_FULL_1],
	       smd[ST_LEGAL_1K] / smd[ST_LEGAL_1], smn[ST_LEGAL_1K] / smn[ST_LEGAL_1]);
	printf("\n(d) the library's probe (safemap_audit_open), its programs alone (run_time_ns / "
	       "run_cnt; compare with (c)'s empty program)\n");
	for (int i = 0; i < 6; i++)
		printf("    %-32s %8.1f (%8.1f)\n", lib_names[i], median(lib_ns[i]), best(lib_ns[i]));
	close(unguarded);
	close(guarded);
	for (int i = 0; i < MAX_GUARDED - 1; i++)
		close(fillers[i]);
	return 0;
}
