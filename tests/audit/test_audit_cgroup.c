/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The writer's cgroup (label bpf: root, cgroup v2). The test makes its own
 * cgroups below the cgroup2 mount ("safemap-audit-<pid>", removed by the
 * fixture's teardown even when a test fails), moves forked writers into
 * them and checks: the report names the writer's cgroup (id and path,
 * escaped in the text line); a policy allowing a cgroup allows it and its
 * descendants, and no one else; 100 short-lived cgroups, one writer each,
 * every report resolved to its own path (ids never reused); without a
 * cgroup2 mount (a mount namespace that unmounted it) the id is 0, the path
 * empty, the caps and mode say so, and nothing fails.
 */
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "audit_testutil.h"

static char g_mount[1024];        /* the cgroup2 mount */
static char g_top[1200];          /* our cgroup: g_mount/safemap-audit-<pid> */
static char g_top_rel[64];       /* the same, relative to the mount */
static int g_fd;                  /* the guarded map */

/* ---- cgroup helpers (independent of the library's) ---- */

static bool find_cgroup2(char *buf, size_t len)
{
	char dev[256], mnt[1024], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");
	bool found = false;

	if (!f)
		return false;
	while (fscanf(f, "%255s %1023s %63s %*[^\n]", dev, mnt, type) == 3)
		if (strcmp(type, "cgroup2") == 0) {
			snprintf(buf, len, "%s", mnt); /* no \040 in our mounts */
			found = true;
			break;
		}
	fclose(f);
	return found;
}

static uint64_t ino_of(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
	return (uint64_t)st.st_ino;
}

static void mk(const char *path)
{
	ck_assert_msg(mkdir(path, 0755) == 0, "mkdir %s: %s", path, strerror(errno));
}

/* In a child: move this process into the cgroup at @p path. */
static int join(const char *path)
{
	char procs[4200];
	int fd, ok;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path); /* cgroup directories go with rmdir; their files with them */
	return 0;
}

static void setup(void)
{
	ck_assert_msg(find_cgroup2(g_mount, sizeof(g_mount)),
		      "no cgroup2 mount in /proc/self/mounts: this test needs cgroup v2");
	snprintf(g_top_rel, sizeof(g_top_rel), "/safemap-audit-%d", (int)getpid());
	snprintf(g_top, sizeof(g_top), "%s%s", g_mount, g_top_rel);
	mkdir(g_top, 0755);
}

static void teardown(void)
{
	if (g_top[0])
		nftw(g_top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A child that joins @p cg (NULL: stays where it is) and writes key @p key
 * to g_fd once; exit status 0 when the write went through. */
struct writer {
	const char *cg;
	uint64_t key;
};

static int child_write(void *arg)
{
	const struct writer *w = arg;
	uint64_t v = 1;

	if (w->cg && join(w->cg))
		return 2;
	AT_EXPECT(bpf_map_update_elem(g_fd, &w->key, &v, BPF_ANY), 0);
	return 0;
}

/* ---- the report names the writer's cgroup ---- */

START_TEST(test_report_names_cgroup)
{
	char cg[4200], rel[700], esc[4200], esc_rel[700], line[2048], want[800];
	struct writer w = { .cg = cg, .key = 7 };
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	uint64_t id, id2 = 0, eid;
	pid_t pid, epid;

	ck_assert(safemap_audit_caps(a) & SAFEMAP_AUDIT_CAP_CGROUP);
	ck_assert_ptr_null(strstr(safemap_audit_mode(a), "cgroup"));
	g_fd = at_map("cg_guarded");
	ck_assert_int_gt(safemap_audit_guard_fd(a, g_fd, NULL), 0);
	snprintf(cg, sizeof(cg), "%s/writer", g_top);
	snprintf(rel, sizeof(rel), "%s/writer", g_top_rel);
	mk(cg);
	id = ino_of(cg);
	ck_assert_int_eq(safemap_audit_cgroup_id(cg, &id2), 0);
	ck_assert_uint_eq(id2, id);
	ck_assert_int_eq(safemap_audit_cgroup_id(rel, &id2), 0); /* relative to the mount */
	ck_assert_uint_eq(id2, id);
	ck_assert_int_eq(safemap_audit_cgroup_id(rel + 1, &id2), 0);
	ck_assert_uint_eq(id2, id);
	ck_assert_int_eq(safemap_audit_cgroup_id("/no-such-cgroup-here", &id2), -ENOENT);
	ck_assert_int_eq(safemap_audit_cgroup_id("/dev", &id2), -ENOENT);

	pid = at_child("cg-writer", child_write, &w);
	/* a cgroup name with a control byte and invalid UTF-8 */
	snprintf(esc, sizeof(esc), "%s/e\x1b[1m\xff", g_top);
	snprintf(esc_rel, sizeof(esc_rel), "%s/e\x1b[1m\xff", g_top_rel);
	mk(esc);
	eid = ino_of(esc);
	w.cg = esc;
	w.key = 8;
	epid = at_child("cg-escaped", child_write, &w);
	at_drain(a, &s, 2, 5);
	ck_assert_uint_eq(s.reports, 2);
	ck_assert_int_eq(s.rec[0].ev.pid, pid);
	ck_assert_uint_eq(s.rec[0].ev.cgroup_id, id);
	ck_assert_str_eq(s.rec[0].cgroup, rel);
	ck_assert_int_eq(s.rec[1].ev.pid, epid);
	ck_assert_uint_eq(s.rec[1].ev.cgroup_id, eid);
	ck_assert_str_eq(s.rec[1].cgroup, esc_rel);

	safemap_event_format(&s.rec[0].ev, line, sizeof(line));
	snprintf(want, sizeof(want), " cgroup=%s", rel);
	ck_assert_msg(strstr(line, want), "%s", line);
	safemap_event_format(&s.rec[1].ev, line, sizeof(line));
	snprintf(want, sizeof(want), " cgroup=%s/e\\x1b[1m\\xff", g_top_rel);
	ck_assert_msg(strstr(line, want), "want '%s' in: %s", want, line);
	ck_assert_ptr_null(strchr(line, '\x1b'));
	ck_assert_msg(strstr(s.rec[0].detail, rel), "detail: %s", s.rec[0].detail);
	safemap_audit_close(a);
	close(g_fd);
}
END_TEST

/* ---- a policy allowing a cgroup: it and its descendants, nobody else ---- */

START_TEST(test_cgroup_policy)
{
	char cg[4200], nested[4300], other[4200];
	struct writer in = { .cg = cg, .key = 1 }, below = { .cg = nested, .key = 2 };
	struct writer sibling = { .cg = other, .key = 3 }, outside = { .cg = NULL, .key = 4 };
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	uint64_t ids[2], bad = 1ull << 62;
	pid_t p_sib, p_out;

	g_fd = at_map("cg_policy");
	snprintf(cg, sizeof(cg), "%s/allowed", g_top);
	snprintf(nested, sizeof(nested), "%s/allowed/nested", g_top);
	snprintf(other, sizeof(other), "%s/other", g_top);
	mk(cg);
	mk(nested);
	mk(other);
	ck_assert_int_eq(safemap_audit_cgroup_id(cg, &ids[0]), 0);
	SAFEMAP_OPTS(safemap_audit_policy, pol, .flags = SAFEMAP_AUDIT_NOT_SELF,
		     .cgroup_ids = ids, .n_cgroup_ids = 1);
	SAFEMAP_OPTS(safemap_audit_policy, nonexistent, .cgroup_ids = &bad, .n_cgroup_ids = 1);
	ck_assert_int_eq(safemap_audit_guard_fd(a, g_fd, &nonexistent), -ENOENT);
	ck_assert_int_gt(safemap_audit_guard_fd(a, g_fd, &pol), 0);
	/* guarding again with the same cgroup (and another map) shares its slot */
	int fd2 = at_map("cg_policy2");
	ids[1] = ids[0];
	SAFEMAP_OPTS(safemap_audit_policy, twice, .cgroup_ids = ids, .n_cgroup_ids = 2);
	ck_assert_int_gt(safemap_audit_guard_fd(a, fd2, &twice), 0);
	ck_assert_int_eq(safemap_audit_unguard(a, (uint32_t)at_map_id(fd2)), 0);

	at_child("cg-in", child_write, &in);          /* allowed */
	at_child("cg-below", child_write, &below);    /* allowed: a descendant */
	p_sib = at_child("cg-sibling", child_write, &sibling); /* reported */
	p_out = at_child("cg-outside", child_write, &outside); /* reported */
	at_drain(a, &s, 2, 5);
	ck_assert_msg(s.reports == 2, "%llu reports, want 2 (sibling, outside); first pid %d",
		      (unsigned long long)s.reports, s.rec[0].ev.pid);
	ck_assert_int_eq(s.rec[0].ev.pid, p_sib);
	ck_assert_uint_eq(s.rec[0].ev.cgroup_id, ino_of(other));
	ck_assert_int_eq(s.rec[1].ev.pid, p_out);
	ck_assert_uint_ne(s.rec[1].ev.cgroup_id, 0);
	ck_assert_uint_eq(s.lost + s.other, 0);

	/* the policy's cgroup is held by the audit: once unguarded, it can go */
	ck_assert_int_eq(safemap_audit_unguard(a, (uint32_t)at_map_id(g_fd)), 0);
	safemap_audit_close(a);
	close(g_fd);
	close(fd2);
}
END_TEST

/* ---- 100 short-lived cgroups, one writer each ---- */

#define NCG 100
#define BATCH 10

START_TEST(test_cgroup_stress)
{
	static char paths[NCG][1400], rels[NCG][128];
	static uint64_t ids[NCG];
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	pid_t pids[BATCH];
	int i, j, b, status;

	g_fd = at_map("cg_stress");
	ck_assert_int_gt(safemap_audit_guard_fd(a, g_fd, NULL), 0);
	for (b = 0; b < NCG; b += BATCH) {
		uint64_t seen = s.reports;

		for (i = b; i < b + BATCH; i++) {
			snprintf(rels[i], sizeof(rels[i]), "%s/s%03d", g_top_rel, i);
			snprintf(paths[i], sizeof(paths[i]), "%s%s", g_mount, rels[i]);
			mk(paths[i]);
			ids[i] = ino_of(paths[i]);
			for (j = 0; j < i; j++) /* never reused, even after rmdir */
				ck_assert_msg(ids[j] != ids[i], "cgroup id %llu reused",
					      (unsigned long long)ids[i]);
		}
		for (i = b; i < b + BATCH; i++) { /* the writers run together */
			pids[i - b] = fork();
			ck_assert_int_ge(pids[i - b], 0);
			if (pids[i - b] == 0) {
				struct writer w = { .cg = paths[i], .key = (uint64_t)i };

				prctl(PR_SET_NAME, "cg-stress", 0, 0, 0);
				_exit(child_write(&w));
			}
		}
		for (i = 0; i < BATCH; i++) {
			ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
			ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer failed");
		}
		at_drain(a, &s, seen + BATCH, 10);
		ck_assert_uint_eq(s.reports, seen + BATCH);
		for (i = b; i < b + BATCH; i++)
			ck_assert_msg(rmdir(paths[i]) == 0, "rmdir %s: %s", paths[i], strerror(errno));
	}
	ck_assert_uint_eq(s.reports, NCG);
	ck_assert_uint_eq(s.lost + s.other, 0);
	ck_assert_int_ge(AT_MAX_EVENTS, NCG);
	for (i = 0; i < NCG; i++) {
		uint64_t k;

		memcpy(&k, s.rec[i].key, sizeof(k));
		ck_assert_uint_lt(k, NCG);
		ck_assert_uint_eq(s.rec[i].ev.cgroup_id, ids[k]);
		ck_assert_str_eq(s.rec[i].cgroup, rels[k]);
	}
	for (i = 0; i < NCG; i++) /* each writer's report exactly once */
		for (j = i + 1; j < NCG; j++)
			ck_assert_uint_ne(s.rec[i].ev.cgroup_id, s.rec[j].ev.cgroup_id);
	safemap_audit_close(a);
	close(g_fd);
}
END_TEST

/* ---- no cgroup v2 mounted: id 0, path "", caps and mode say so ---- */

static int no_cgroup2_child(void)
{
	struct at_sink s;
	SAFEMAP_OPTS(safemap_audit_opts, o, .event_fn = at_collect, .event_ctx = &s);
	struct safemap_audit *a = NULL;
	char m[1024];
	uint64_t id = 1, one = 1;
	int err, tries = 0;

	memset(&s, 0, sizeof(s));
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 10;
	while (find_cgroup2(m, sizeof(m)) && tries++ < 8)
		if (umount2(m, MNT_DETACH))
			return 11;
	if (find_cgroup2(m, sizeof(m)))
		return 12;
	if ((err = safemap_audit_open(&o, &a)))
		return 13;
	if (safemap_audit_caps(a) & SAFEMAP_AUDIT_CAP_CGROUP)
		return 14;
	if (!strstr(safemap_audit_mode(a), "no cgroup v2"))
		return 15;
	if (safemap_audit_cgroup_id("/", &id) != -EOPNOTSUPP || id != 0)
		return 16;
	g_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "cg_none", 8, 8, 16, NULL);
	SAFEMAP_OPTS(safemap_audit_policy, pol, .cgroup_ids = &one, .n_cgroup_ids = 1);
	if (g_fd < 0 || safemap_audit_guard_fd(a, g_fd, &pol) != -EOPNOTSUPP)
		return 17;
	if (safemap_audit_guard_fd(a, g_fd, NULL) <= 0)
		return 18;
	struct writer w = { .cg = NULL, .key = 5 };
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(child_write(&w));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
		return 19;
	for (int i = 0; i < 50 && s.reports < 1; i++)
		safemap_audit_poll(a, 100);
	if (s.reports != 1 || s.rec[0].ev.cgroup_id != 0 || s.rec[0].cgroup[0] ||
	    s.rec[0].ev.pid != pid)
		return 20;
	safemap_audit_close(a);
	return 0;
}

START_TEST(test_no_cgroup2)
{
	int status = -1;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(no_cgroup2_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the child without cgroup2 failed at step %d (see the test)",
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("audit_cgroup");
	TCase *tc = tcase_create("cgroup");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_report_names_cgroup);
	tcase_add_test(tc, test_cgroup_policy);
	tcase_add_test(tc, test_cgroup_stress);
	tcase_add_test(tc, test_no_cgroup2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return at_run_gated(cgroup_suite());
}
