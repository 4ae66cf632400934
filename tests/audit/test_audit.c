/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The audit probe against real kernel maps and real child processes (label
 * bpf: root). Each report must name the child that wrote, the map, the
 * command and the syscall's result; legal writers, reads and unguarded maps
 * must produce nothing; a flood must account for every write.
 *
 * "Nothing" is checked with a sentinel: after the writes that must not be
 * reported, one known illegal write follows; the ring buffer is in order,
 * so once the sentinel's report is in, any earlier report would be too.
 */
#include <pthread.h>

#include "audit_testutil.h"

static int g_fd;                  /* the map children write */
static int g_fd2;                 /* a second map (unguarded, or the sentinel's) */

/* ---- a child writes a guarded map: one report per write ---- */

static int child_writes(void *arg)
{
	uint64_t k = 1, v = 100, keys[3] = { 10, 11, 12 }, vals[3] = { 1, 2, 3 }, out = 0;
	uint32_t count = 3;

	(void)arg;
	AT_EXPECT(bpf_map_update_elem(g_fd, &k, &v, BPF_ANY), 0);
	AT_EXPECT(bpf_map_delete_elem(g_fd, &k), 0);
	k = 99;
	AT_EXPECT(bpf_map_delete_elem(g_fd, &k), -ENOENT); /* missing key: a failed write */
	AT_EXPECT(bpf_map_update_batch(g_fd, keys, vals, &count, NULL), 0);
	k = 11;
	AT_EXPECT(bpf_map_lookup_and_delete_elem(g_fd, &k, &out), 0);
	return out == 2 ? 0 : 1;
}

static void check_report(const struct at_rec *r, pid_t pid, const char *comm, uint32_t id,
			 const char *name, enum safemap_op op, int result, uint64_t key)
{
	const struct safemap_event *ev = &r->ev;

	ck_assert_int_eq(ev->source, SAFEMAP_SRC_AUDIT);
	ck_assert_int_eq(ev->reason, SAFEMAP_REASON_NOT_ALLOWED);
	ck_assert_msg(ev->op == op, "op %s, want %s", safemap_op_name(ev->op), safemap_op_name(op));
	ck_assert_int_eq(ev->result, result);
	ck_assert_int_eq(ev->pid, pid);
	ck_assert_int_eq(ev->tid, pid);
	ck_assert_int_eq(ev->uid, 0);
	ck_assert_str_eq(ev->comm, comm);
	ck_assert_uint_eq(ev->map_id, id);
	ck_assert_str_eq(ev->map_name, name);
	ck_assert_uint_eq(ev->key_size, 8);
	ck_assert_msg(memcmp(ev->key, &key, 8) == 0, "key bytes");
}

static void child_write_test(enum safemap_audit_hook hook)
{
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, hook);
	uint64_t t0, t1;
	uint32_t id;
	pid_t pid;
	int i;

	g_fd = at_map("guarded_m");
	id = at_map_id(g_fd);
	ck_assert_int_eq(safemap_audit_guard_fd(a, g_fd, NULL), (int)id);
	t0 = tu_now() * 1e9;
	pid = at_child("writer-child", child_writes, NULL);
	t1 = tu_now() * 1e9 + 1;
	at_drain(a, &s, 5, 5);
	ck_assert_uint_eq(s.reports, 5);
	ck_assert_uint_eq(s.lost + s.other, 0);
	check_report(&s.rec[0], pid, "writer-child", id, "guarded_m", SAFEMAP_OP_PUT, 0, 1);
	check_report(&s.rec[1], pid, "writer-child", id, "guarded_m", SAFEMAP_OP_DELETE, 0, 1);
	check_report(&s.rec[2], pid, "writer-child", id, "guarded_m", SAFEMAP_OP_DELETE, -ENOENT, 99);
	check_report(&s.rec[3], pid, "writer-child", id, "guarded_m", SAFEMAP_OP_BATCH_UPDATE, 0, 10);
	ck_assert_uint_eq(s.rec[3].ev.count, 3);
	check_report(&s.rec[4], pid, "writer-child", id, "guarded_m",
		     SAFEMAP_OP_LOOKUP_AND_DELETE, 0, 11);
	char line[512];
	safemap_event_format(&s.rec[2].ev, line, sizeof(line));
	ck_assert_msg(strstr(line, "audit report map=guarded_m") && strstr(line, "op=delete") &&
		      strstr(line, "reason=not_allowed result=-2") && strstr(line, "comm=writer-child"),
		      "%s", line);
	for (i = 0; i < 5; i++)
		ck_assert_msg(s.rec[i].ev.timestamp_ns >= t0 && s.rec[i].ev.timestamp_ns <= t1,
			      "timestamp (CLOCK_MONOTONIC) out of the child's run");
	struct safemap_audit_stats st;
	safemap_audit_get_stats(a, &st);
	ck_assert_uint_eq(st.reports, 5);
	ck_assert_uint_eq(st.lost, 0);
	ck_assert_uint_eq(st.guarded, 1);
	safemap_audit_close(a);
	close(g_fd);
}

START_TEST(test_child_writes_reported)
{
	child_write_test(SAFEMAP_AUDIT_HOOK_AUTO);
}
END_TEST

START_TEST(test_child_writes_reported_raw_tp)
{
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, SAFEMAP_AUDIT_HOOK_RAW_TRACEPOINT);

	ck_assert(safemap_audit_caps(a) & SAFEMAP_AUDIT_CAP_RAW_TP);
	safemap_audit_close(a);
	child_write_test(SAFEMAP_AUDIT_HOOK_RAW_TRACEPOINT);
}
END_TEST

/* ---- the other write commands: batch delete, batch lookup-and-delete, freeze ---- */

static int child_more_writes(void *arg)
{
	uint64_t keys[4] = { 1, 2, 3, 4 }, vals[4] = { 1, 2, 3, 4 }, ok[4], ov[4];
	uint64_t out_batch = 0;
	uint32_t count = 2;
	int r;

	(void)arg;
	AT_EXPECT(bpf_map_delete_batch(g_fd, keys, &count, NULL), 0);
	count = 4;
	r = bpf_map_lookup_and_delete_batch(g_fd, NULL, &out_batch, ok, ov, &count, NULL);
	if (!(r == -ENOENT && count == 2)) /* the 2 left, then the end of the map */
		return 1;
	AT_EXPECT(bpf_map_freeze(g_fd2), 0);
	(void)vals;
	return 0;
}

START_TEST(test_more_write_commands)
{
	uint64_t keys[4] = { 1, 2, 3, 4 }, vals[4] = { 1, 2, 3, 4 };
	uint32_t count = 4, id, id2;
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	pid_t pid;

	g_fd = at_map("guarded_b");
	g_fd2 = bpf_map_create(BPF_MAP_TYPE_ARRAY, "guarded_f", 4, 8, 4, NULL);
	ck_assert_int_ge(g_fd2, 0);
	ck_assert_int_eq(bpf_map_update_batch(g_fd, keys, vals, &count, NULL), 0);
	id = at_map_id(g_fd);
	id2 = at_map_id(g_fd2);
	ck_assert_int_eq(safemap_audit_guard(a, id, NULL), 0);
	ck_assert_int_eq(safemap_audit_guard(a, id2, NULL), 0);
	pid = at_child("batcher", child_more_writes, NULL);
	at_drain(a, &s, 3, 5);
	ck_assert_uint_eq(s.reports, 3);
	ck_assert_int_eq(s.rec[0].ev.op, SAFEMAP_OP_BATCH_DELETE);
	ck_assert_int_eq(s.rec[0].ev.result, 0);
	ck_assert_uint_eq(s.rec[0].ev.count, 2);
	ck_assert_int_eq(s.rec[1].ev.op, SAFEMAP_OP_BATCH_LOOKUP_AND_DELETE);
	ck_assert_int_eq(s.rec[1].ev.result, -ENOENT);
	ck_assert_uint_eq(s.rec[1].ev.count, 2);
	ck_assert_uint_eq(s.rec[1].ev.key_size, 8); /* an output: read at syscall exit */
	ck_assert_int_eq(s.rec[2].ev.op, SAFEMAP_OP_FREEZE);
	ck_assert_int_eq(s.rec[2].ev.result, 0);
	ck_assert_uint_eq(s.rec[2].ev.map_id, id2);
	ck_assert_ptr_null(s.rec[2].ev.key);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(s.rec[i].ev.pid, pid);
		ck_assert_str_eq(s.rec[i].ev.comm, "batcher");
	}
	safemap_audit_close(a);
	close(g_fd);
	close(g_fd2);
}
END_TEST

/* ---- legal writers, reads and unguarded maps: no report ---- */

static int g_fd_uid, g_fd_tgid, g_pipe[2];

static int child_reads(void *arg)
{
	uint64_t k = 5, v = 0, next = 0, keys[16], vals[16], out_batch = 0;
	uint32_t count = 16; /* more than the map holds: the walk ends with -ENOENT */

	(void)arg;
	AT_EXPECT(bpf_map_lookup_elem(g_fd, &k, &v), 0);
	AT_EXPECT(bpf_map_get_next_key(g_fd, NULL, &next), 0);
	AT_EXPECT(bpf_map_lookup_batch(g_fd, NULL, &out_batch, keys, vals, &count, NULL), -ENOENT);
	return 0;
}

static int child_unguarded(void *arg)
{
	uint64_t k = 7, v = 7;

	(void)arg;
	AT_EXPECT(bpf_map_update_elem(g_fd2, &k, &v, BPF_ANY), 0);
	AT_EXPECT(bpf_map_delete_elem(g_fd2, &k), 0);
	return 0;
}

static int child_allowed_uid(void *arg)
{
	uint64_t k = 8, v = 8;

	if (at_become_uid((uid_t)(uintptr_t)arg) || getuid() != (uid_t)(uintptr_t)arg)
		return 2;
	AT_EXPECT(bpf_map_update_elem(g_fd_uid, &k, &v, BPF_ANY), 0);
	AT_EXPECT(bpf_map_delete_elem(g_fd_uid, &k), 0);
	return 0;
}

static int child_sentinel(void *arg)
{
	uint64_t k = 0x5e, v = 1;

	(void)arg;
	AT_EXPECT(bpf_map_update_elem(g_fd, &k, &v, BPF_ANY), 0);
	return 0;
}

START_TEST(test_legal_writes_silent)
{
	uint64_t k, v = 1;
	uid_t uids[1] = { 4242 };
	SAFEMAP_OPTS(safemap_audit_policy, by_uid, .uids = uids, .n_uids = 1);
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	pid_t tgid_child, sentinel;
	char go = 'x';
	int status;

	g_fd = at_map("guarded_l");
	g_fd2 = at_map("unguarded");
	g_fd_uid = at_map("guarded_uid");
	g_fd_tgid = at_map("guarded_tgid");
	ck_assert_int_gt(safemap_audit_guard_fd(a, g_fd, NULL), 0);
	ck_assert_int_gt(safemap_audit_guard_fd(a, g_fd_uid, &by_uid), 0);

	/* the guarding process itself: allowed by default */
	for (k = 0; k < 10; k++)
		ck_assert_int_eq(bpf_map_update_elem(g_fd, &k, &v, BPF_ANY), 0);
	k = 3;
	ck_assert_int_eq(bpf_map_delete_elem(g_fd, &k), 0);
	/* reads by another process */
	at_child("reader", child_reads, NULL);
	/* writes to a map nobody guards */
	at_child("unguarded-w", child_unguarded, NULL);
	/* an allowed user id (another uid, capabilities kept) */
	at_child("uid-4242", child_allowed_uid, (void *)(uintptr_t)4242);

	/* an allowed process: guard with its tgid, then let it write */
	ck_assert_int_eq(pipe(g_pipe), 0);
	tgid_child = fork();
	ck_assert_int_ge(tgid_child, 0);
	if (tgid_child == 0) {
		uint64_t kk = 9;

		prctl(PR_SET_NAME, "allowed-tgid", 0, 0, 0);
		if (read(g_pipe[0], &go, 1) != 1)
			_exit(3);
		_exit(bpf_map_update_elem(g_fd_tgid, &kk, &v, BPF_ANY) ? 4 : 0);
	}
	pid_t tg[1] = { tgid_child };
	SAFEMAP_OPTS(safemap_audit_policy, by_tgid, .flags = SAFEMAP_AUDIT_NOT_SELF,
		     .tgids = tg, .n_tgids = 1);
	ck_assert_int_gt(safemap_audit_guard_fd(a, g_fd_tgid, &by_tgid), 0);
	ck_assert_int_eq(write(g_pipe[1], &go, 1), 1);
	ck_assert_int_eq(waitpid(tgid_child, &status, 0), tgid_child);
	ck_assert_int_eq(status, 0);

	sentinel = at_child("sentinel", child_sentinel, NULL);
	at_drain(a, &s, 1, 5);
	ck_assert_msg(s.reports == 1, "%llu reports, want only the sentinel's: first from pid %d comm %s",
		      (unsigned long long)s.reports, s.rec[0].ev.pid, s.rec[0].ev.comm);
	ck_assert_int_eq(s.rec[0].ev.pid, sentinel);
	ck_assert_str_eq(s.rec[0].ev.comm, "sentinel");
	ck_assert_uint_eq(s.lost + s.other, 0);
	safemap_audit_close(a);
}
END_TEST

/* ---- policies that report: a user id not allowed, read-only, NOT_SELF ---- */

START_TEST(test_policies_report)
{
	uint64_t k = 1, v = 1;
	uid_t uids[1] = { 4242 };
	SAFEMAP_OPTS(safemap_audit_policy, by_uid, .uids = uids, .n_uids = 1);
	SAFEMAP_OPTS(safemap_audit_policy, ro, .flags = SAFEMAP_AUDIT_READ_ONLY);
	SAFEMAP_OPTS(safemap_audit_policy, not_self, .flags = SAFEMAP_AUDIT_NOT_SELF);
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	uint32_t id_uid, id_ro, id_ns;
	pid_t pid;

	g_fd_uid = at_map("pol_uid");
	g_fd = at_map("pol_ro");
	g_fd2 = at_map("pol_notself");
	id_uid = (uint32_t)safemap_audit_guard_fd(a, g_fd_uid, &by_uid);
	id_ro = (uint32_t)safemap_audit_guard_fd(a, g_fd, &ro);
	id_ns = (uint32_t)safemap_audit_guard_fd(a, g_fd2, &not_self);
	/* uid 4243 is not 4242 */
	pid = at_child("uid-4243", child_allowed_uid, (void *)(uintptr_t)4243);
	/* read-only: even the guarding process is reported */
	ck_assert_int_eq(bpf_map_update_elem(g_fd, &k, &v, BPF_ANY), 0);
	/* NOT_SELF: the guarding process is not allowed */
	ck_assert_int_eq(bpf_map_update_elem(g_fd2, &k, &v, BPF_NOEXIST), 0);
	ck_assert_int_eq(bpf_map_update_elem(g_fd2, &k, &v, BPF_NOEXIST), -EEXIST);
	at_drain(a, &s, 5, 5);
	ck_assert_uint_eq(s.reports, 5);
	ck_assert_uint_eq(s.rec[0].ev.map_id, id_uid);
	ck_assert_int_eq(s.rec[0].ev.pid, pid);
	ck_assert_uint_eq(s.rec[0].ev.uid, 4243);
	ck_assert_str_eq(s.rec[0].ev.comm, "uid-4243");
	ck_assert_int_eq(s.rec[1].ev.op, SAFEMAP_OP_DELETE);
	ck_assert_uint_eq(s.rec[2].ev.map_id, id_ro);
	ck_assert_int_eq(s.rec[2].ev.pid, getpid());
	ck_assert_int_eq(s.rec[2].ev.tid, getpid());
	ck_assert_uint_eq(s.rec[3].ev.map_id, id_ns);
	ck_assert_int_eq(s.rec[3].ev.result, 0);
	ck_assert_int_eq(s.rec[4].ev.result, -EEXIST);

	/* unguard: the same writes are silent now (sentinel: NOT_SELF map) */
	ck_assert_int_eq(safemap_audit_unguard(a, id_ro), 0);
	ck_assert_int_eq(safemap_audit_unguard(a, id_ro), -ENOENT);
	ck_assert_int_eq(bpf_map_update_elem(g_fd, &k, &v, BPF_ANY), 0);
	ck_assert_int_eq(bpf_map_delete_elem(g_fd2, &k), 0);
	at_drain(a, &s, 6, 5);
	ck_assert_uint_eq(s.reports, 6);
	ck_assert_uint_eq(s.rec[5].ev.map_id, id_ns);
	ck_assert_int_eq(s.rec[5].ev.op, SAFEMAP_OP_DELETE);

	/* guarding again replaces the policy: now the guarding process may write */
	ck_assert_int_eq(safemap_audit_guard(a, id_ns, NULL), 0);
	ck_assert_int_eq(bpf_map_update_elem(g_fd2, &k, &v, BPF_ANY), 0);
	ck_assert_int_eq(safemap_audit_guard(a, id_ro, &ro), 0);
	ck_assert_int_eq(bpf_map_delete_elem(g_fd, &k), 0); /* sentinel */
	at_drain(a, &s, 7, 5);
	ck_assert_uint_eq(s.reports, 7);
	ck_assert_uint_eq(s.rec[6].ev.map_id, id_ro);
	struct safemap_audit_stats st;
	safemap_audit_get_stats(a, &st);
	ck_assert_uint_eq(st.guarded, 3);
	safemap_audit_close(a);
}
END_TEST

/* ---- a flood with a tiny ring buffer: reports + lost == writes ---- */

#define FLOOD 100000

static int child_flood(void *arg)
{
	uint64_t k, v = 1;

	(void)arg;
	for (k = 0; k < FLOOD; k++)
		if (bpf_map_update_elem(g_fd, &k, &v, BPF_ANY) && errno != E2BIG)
			return 1;
	return 0;
}

START_TEST(test_flood_accounted)
{
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, (size_t)sysconf(_SC_PAGESIZE), 0);
	struct safemap_audit_stats st;
	int status = -1;
	pid_t pid;

	g_fd = at_map("flooded");
	ck_assert_int_gt(safemap_audit_guard_fd(a, g_fd, NULL), 0);
	/* poll while the child floods, so reports and losses interleave */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, "flooder", 0, 0, 0);
		_exit(child_flood(NULL));
	}
	while (waitpid(pid, &status, WNOHANG) == 0)
		ck_assert_int_ge(safemap_audit_poll(a, 10), 0);
	ck_assert_int_eq(status, 0);
	at_drain(a, &s, FLOOD, 30);
	fprintf(stderr, "flood: %llu reports + %llu lost (in %llu lost events) of %d writes\n",
		(unsigned long long)s.reports, (unsigned long long)s.lost,
		(unsigned long long)s.lost_events, FLOOD);
	ck_assert_msg(s.reports + s.lost == FLOOD, "reports %llu + lost %llu != %d",
		      (unsigned long long)s.reports, (unsigned long long)s.lost, FLOOD);
	ck_assert_uint_gt(s.lost, 0); /* a one-page ring cannot hold them all */
	ck_assert_uint_gt(s.lost_events, 0);
	ck_assert_uint_eq(s.other, 0);
	safemap_audit_get_stats(a, &st);
	ck_assert_uint_eq(st.reports, s.reports);
	ck_assert_uint_eq(st.lost, s.lost);
	safemap_audit_close(a);
}
END_TEST

/* ---- the writer's fd is a dup, another number, or the number of another map ---- */

static int child_other_fds(void *arg)
{
	uint64_t k = 1, v = 1;
	uint32_t id = (uint32_t)(uintptr_t)arg;
	int fd;

	/* a dup at a high number, original closed */
	if (dup2(g_fd, 200) != 200 || close(g_fd))
		return 2;
	AT_EXPECT(bpf_map_update_elem(200, &k, &v, BPF_ANY), 0);
	/* a fresh fd from the map id */
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return 3;
	AT_EXPECT(bpf_map_delete_elem(fd, &k), 0);
	close(fd);
	close(200);
	/* g_fd's number now names an unguarded map in this process: silent */
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "recycled", 8, 8, 4, NULL);
	if (fd < 0)
		return 4;
	if (fd != g_fd) { /* the lowest free number was another: move it */
		if (dup2(fd, g_fd) != g_fd)
			return 5;
		close(fd);
		fd = g_fd;
	}
	AT_EXPECT(bpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
	return 0;
}

START_TEST(test_dup_and_other_fds)
{
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	uint32_t id;
	pid_t pid;

	g_fd = at_map("dupped");
	id = at_map_id(g_fd);
	ck_assert_int_eq(safemap_audit_guard(a, id, NULL), 0);
	pid = at_child("fd-juggler", child_other_fds, (void *)(uintptr_t)id);
	at_drain(a, &s, 2, 5);
	ck_assert_uint_eq(s.reports, 2);
	ck_assert_int_eq(s.rec[0].ev.op, SAFEMAP_OP_PUT);
	ck_assert_int_eq(s.rec[1].ev.op, SAFEMAP_OP_DELETE);
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(s.rec[i].ev.map_id, id);
		ck_assert_str_eq(s.rec[i].ev.map_name, "dupped");
		ck_assert_int_eq(s.rec[i].ev.pid, pid);
	}
	safemap_audit_close(a);
}
END_TEST

/* ---- a writer thread: pid is the process, tid the thread ---- */

static pid_t g_thread_tid;

static void *writer_thread(void *arg)
{
	uint64_t k = 3, v = 3;

	(void)arg;
	prctl(PR_SET_NAME, "writer-thread", 0, 0, 0);
	g_thread_tid = (pid_t)syscall(SYS_gettid);
	return (void *)(intptr_t)bpf_map_update_elem(g_fd, &k, &v, BPF_ANY);
}

static int child_threaded(void *arg)
{
	int *tid_pipe = arg;
	pthread_t t;
	void *ret = NULL;

	if (pthread_create(&t, NULL, writer_thread, NULL) || pthread_join(t, &ret) || ret)
		return 1;
	return write(tid_pipe[1], &g_thread_tid, sizeof(g_thread_tid)) == sizeof(g_thread_tid) ? 0 : 1;
}

START_TEST(test_thread_writer)
{
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	int tid_pipe[2];
	pid_t pid, tid = 0;

	g_fd = at_map("threaded");
	ck_assert_int_gt(safemap_audit_guard_fd(a, g_fd, NULL), 0);
	ck_assert_int_eq(pipe(tid_pipe), 0);
	pid = at_child("threaded-proc", child_threaded, tid_pipe);
	ck_assert_int_eq(read(tid_pipe[0], &tid, sizeof(tid)), sizeof(tid));
	at_drain(a, &s, 1, 5);
	ck_assert_uint_eq(s.reports, 1);
	ck_assert_int_eq(s.rec[0].ev.pid, pid);
	ck_assert_int_eq(s.rec[0].ev.tid, tid);
	ck_assert_int_ne(tid, pid);
	ck_assert_str_eq(s.rec[0].ev.comm, "writer-thread"); /* comm is per thread */
	safemap_audit_close(a);
}
END_TEST

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("probe");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_child_writes_reported);
	tcase_add_test(tc, test_child_writes_reported_raw_tp);
	tcase_add_test(tc, test_more_write_commands);
	tcase_add_test(tc, test_legal_writes_silent);
	tcase_add_test(tc, test_policies_report);
	tcase_add_test(tc, test_flood_accounted);
	tcase_add_test(tc, test_dup_and_other_fds);
	tcase_add_test(tc, test_thread_writer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return at_run_gated(audit_suite());
}
