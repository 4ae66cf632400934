/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The audit API around the probe (label bpf: root): argument checking,
 * capabilities, guarding by pin / id / handle, the epoll fd, and close
 * leaving no program, link or map behind in the kernel.
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mount.h>

#include "audit_testutil.h"

#if __has_include(<safemap/bpf.h>)
#include <safemap/bpf.h>
#define HAVE_BPF_HANDLES 1
#endif

static int g_fd;

static int child_update(void *arg)
{
	uint64_t k = (uint64_t)(uintptr_t)arg, v = 1;

	AT_EXPECT(bpf_map_update_elem(g_fd, &k, &v, BPF_ANY), 0);
	return 0;
}

START_TEST(test_bad_arguments)
{
	struct safemap_audit *a = NULL;
	struct safemap_audit_stats st;
	pid_t many[SAFEMAP_AUDIT_MAX_ALLOWED + 1];
	int p[2], fds[3], i;

	ck_assert_int_eq(safemap_audit_open(NULL, NULL), -EINVAL);
	{
		SAFEMAP_OPTS(safemap_audit_opts, o, .ring_size = 1000);
		ck_assert_int_eq(safemap_audit_open(&o, &a), -EINVAL);
		ck_assert_ptr_null(a);
		ck_assert(strstr(safemap_last_error(), "ring_size"));
		o.ring_size = 3 * (size_t)sysconf(_SC_PAGESIZE);
		ck_assert_int_eq(safemap_audit_open(&o, &a), -EINVAL);
		o.ring_size = 0;
		o.hook = (enum safemap_audit_hook)7;
		ck_assert_int_eq(safemap_audit_open(&o, &a), -EINVAL);
	}
	{ /* a newer caller's struct with a non-zero field this library lacks */
		unsigned char big[sizeof(struct safemap_audit_opts) + 16];
		size_t sz = sizeof(big);

		memset(big, 0, sizeof(big));
		memcpy(big, &sz, sizeof(sz));
		big[sizeof(big) - 1] = 1;
		ck_assert_int_eq(safemap_audit_open((void *)big, &a), -EINVAL);
	}
	ck_assert_int_eq(safemap_audit_poll(NULL, 0), -EINVAL);
	ck_assert_int_eq(safemap_audit_fd(NULL), -EINVAL);
	ck_assert_uint_eq(safemap_audit_caps(NULL), 0);
	safemap_audit_get_stats(NULL, &st);
	ck_assert_uint_eq(st.reports + st.lost + st.guarded, 0);
	safemap_audit_close(NULL);
	ck_assert_int_eq(safemap_audit_guard(NULL, 1, NULL), -EINVAL);
	ck_assert_int_eq(safemap_audit_unguard(NULL, 1), -EINVAL);

	SAFEMAP_OPTS(safemap_audit_opts, small, .max_guarded = 2);
	ck_assert_int_eq(safemap_audit_open(&small, &a), 0);
	ck_assert_int_eq(safemap_audit_guard(a, 0, NULL), -EINVAL);
	ck_assert_int_eq(safemap_audit_guard(a, 0x7ffffff0u, NULL), -ENOENT);
	ck_assert_int_eq(safemap_audit_guard_fd(a, -1, NULL), -EINVAL);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(safemap_audit_guard_fd(a, p[0], NULL), -EINVAL); /* not a map */
	ck_assert_int_eq(safemap_audit_guard_pinned(a, NULL, NULL), -EINVAL);
	ck_assert_int_eq(safemap_audit_guard_pinned(a, "/nonexistent/pin", NULL), -ENOENT);
	ck_assert_int_eq(safemap_audit_unguard(a, 0x7ffffff0u), -ENOENT);

	for (i = 0; i < 3; i++)
		fds[i] = at_map("bad_args");
	for (i = 0; i <= SAFEMAP_AUDIT_MAX_ALLOWED; i++)
		many[i] = 1;
	{
		SAFEMAP_OPTS(safemap_audit_policy, pol, .tgids = many,
			     .n_tgids = SAFEMAP_AUDIT_MAX_ALLOWED + 1);
		ck_assert_int_eq(safemap_audit_guard_fd(a, fds[0], &pol), -EINVAL);
		pol.n_tgids = 1;
		pol.flags = 0x100;
		ck_assert_int_eq(safemap_audit_guard_fd(a, fds[0], &pol), -EINVAL);
		pol.flags = 0;
		pol.tgids = NULL;
		ck_assert_int_eq(safemap_audit_guard_fd(a, fds[0], &pol), -EINVAL);
	}
	/* max_guarded = 2: the third is refused, re-guarding one is not */
	ck_assert_int_gt(safemap_audit_guard_fd(a, fds[0], NULL), 0);
	ck_assert_int_gt(safemap_audit_guard_fd(a, fds[1], NULL), 0);
	ck_assert_int_eq(safemap_audit_guard_fd(a, fds[2], NULL), -E2BIG);
	ck_assert_int_gt(safemap_audit_guard_fd(a, fds[1], NULL), 0);
	safemap_audit_get_stats(a, &st);
	ck_assert_uint_eq(st.guarded, 2);
	ck_assert_int_eq(safemap_audit_unguard(a, at_map_id(fds[0])), 0);
	ck_assert_int_gt(safemap_audit_guard_fd(a, fds[2], NULL), 0);
	safemap_audit_close(a);
}
END_TEST

START_TEST(test_caps_reporting_only)
{
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	unsigned caps = safemap_audit_caps(a);

	ck_assert(caps & SAFEMAP_AUDIT_CAP_REPORT);
	ck_assert(caps & SAFEMAP_AUDIT_CAP_RESULT);
	ck_assert(!(caps & SAFEMAP_AUDIT_CAP_BLOCK));
	ck_assert_msg(strncmp(safemap_audit_mode(a), "reporting only", 14) == 0, "%s",
		      safemap_audit_mode(a));
	fprintf(stderr, "audit caps 0x%x: %s\n", caps, safemap_audit_mode(a));
	safemap_audit_close(a);
}
END_TEST

START_TEST(test_guard_pinned)
{
	char dir[] = "/tmp/sm-bpffs-XXXXXX", path[64], nope[64];
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	uint32_t id;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_msg(mount("bpf", dir, "bpf", 0, NULL) == 0, "mount bpffs: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/pinned", dir);
	snprintf(nope, sizeof(nope), "%s/nope", dir);
	g_fd = at_map("pinned_m");
	id = at_map_id(g_fd);
	ck_assert_int_eq(bpf_obj_pin(g_fd, path), 0);
	close(g_fd);
	ck_assert_int_eq(safemap_audit_guard_pinned(a, path, NULL), (int)id);
	ck_assert_int_eq(safemap_audit_guard_pinned(a, nope, NULL), -ENOENT);
	g_fd = bpf_obj_get(path);
	ck_assert_int_ge(g_fd, 0);
	pid = at_child("pin-writer", child_update, (void *)7);
	at_drain(a, &s, 1, 5);
	ck_assert_uint_eq(s.reports, 1);
	ck_assert_uint_eq(s.rec[0].ev.map_id, id);
	ck_assert_int_eq(s.rec[0].ev.pid, pid);
	safemap_audit_close(a);
	close(g_fd);
	unlink(path);
	umount(dir);
	rmdir(dir);
}
END_TEST

#ifdef HAVE_BPF_HANDLES
START_TEST(test_guard_handle)
{
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	struct safemap_bpf *h = NULL;
	pid_t pid;

	g_fd = at_map("handle_m");
	ck_assert_int_eq(safemap_bpf_open_fd(g_fd, NULL, &h), 0);
	ck_assert_int_eq(safemap_audit_guard_handle(a, h, NULL), (int)at_map_id(g_fd));
	ck_assert_int_eq(safemap_audit_guard_handle(a, NULL, NULL), -EINVAL);
	pid = at_child("handle-writer", child_update, (void *)8);
	at_drain(a, &s, 1, 5);
	ck_assert_uint_eq(s.reports, 1);
	ck_assert_uint_eq(s.rec[0].ev.map_id, safemap_bpf_id(h));
	ck_assert_int_eq(s.rec[0].ev.pid, pid);
	safemap_bpf_put(h);
	safemap_audit_close(a);
}
END_TEST
#endif

START_TEST(test_epoll_fd)
{
	struct at_sink s;
	struct safemap_audit *a = at_open(&s, 0, 0);
	struct epoll_event ev = { .events = EPOLLIN }, got;
	int ep = epoll_create1(EPOLL_CLOEXEC), fd = safemap_audit_fd(a);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	g_fd = at_map("epolled");
	ck_assert_int_gt(safemap_audit_guard_fd(a, g_fd, NULL), 0);
	ck_assert_int_eq(epoll_wait(ep, &got, 1, 0), 0); /* nothing yet */
	at_child("epoll-writer", child_update, (void *)9);
	ck_assert_int_eq(epoll_wait(ep, &got, 1, 5000), 1);
	ck_assert_int_eq(safemap_audit_poll(a, 0), 1);
	ck_assert_uint_eq(s.reports, 1);
	close(ep);
	safemap_audit_close(a);
}
END_TEST

/* ---- close leaves nothing in the kernel ---- */

#define MAX_IDS 8192

struct idset {
	uint32_t id[MAX_IDS];
	int n;
};

static void list_ids(int (*next)(uint32_t, uint32_t *), struct idset *s)
{
	uint32_t id = 0;

	s->n = 0;
	while (s->n < MAX_IDS && next(id, &id) == 0)
		s->id[s->n++] = id;
}

static bool has_id(const struct idset *s, uint32_t id)
{
	for (int i = 0; i < s->n; i++)
		if (s->id[i] == id)
			return true;
	return false;
}

/* The kernel objects of our audit: programs new since @p before_progs, ours by name
 * (programs sm_*, maps sm_* and the skeleton's safemap_.bss) or, for links,
 * by the program they carry. Other processes may create objects meanwhile. */
struct ours {
	uint32_t progs[16], maps[16], links[16];
	int np, nm, nl;
};

/* The maps a program uses (at most 16). */
static int prog_maps(int prog_fd, uint32_t *ids)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	info.nr_map_ids = 16;
	info.map_ids = (uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return 0;
	return info.nr_map_ids < 16 ? (int)info.nr_map_ids : 16;
}

/* Is @p map_id a probe's policy map guarding @p guarded? Other processes
 * (other tests, other users of this machine) load audit probes too: ours
 * is the one that guards our map. */
static bool our_policy(uint32_t map_id, uint32_t guarded)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	char value[512];
	bool yes = false;
	int fd = bpf_map_get_fd_by_id(map_id);

	if (fd < 0)
		return false;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && strcmp(info.name, "sm_policy") == 0 &&
	    info.value_size <= sizeof(value))
		yes = bpf_map_lookup_elem(fd, &guarded, value) == 0;
	close(fd);
	return yes;
}

static void find_ours(const struct idset *before_progs, uint32_t guarded, struct ours *o)
{
	static struct idset now;
	int i;

	memset(o, 0, sizeof(*o));
	list_ids(bpf_prog_get_next_id, &now);
	/* pass 0: the entry program (it reads our policy map); pass 1: the
	 * exit program (it shares the entry program's other maps) */
	for (int pass = 0; pass < 2; pass++)
	for (i = 0; i < now.n && o->np < 16; i++) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info), maps[16];
		int fd, nm, j, k;
		bool mine = false;

		for (j = 0; j < o->np; j++)
			mine = mine || o->progs[j] == now.id[i];
		if (mine || has_id(before_progs, now.id[i]) || (fd = bpf_prog_get_fd_by_id(now.id[i])) < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || strncmp(info.name, "sm_", 3) != 0) {
			close(fd);
			continue;
		}
		nm = prog_maps(fd, maps);
		close(fd);
		for (j = 0; j < nm; j++) {
			mine = mine || (pass == 0 && our_policy(maps[j], guarded));
			for (k = 0; pass == 1 && k < o->nm; k++)
				mine = mine || o->maps[k] == maps[j];
		}
		if (!mine)
			continue;
		o->progs[o->np++] = now.id[i];
		for (j = 0; j < nm; j++) {
			struct bpf_map_info mi = { 0 };
			uint32_t ml = sizeof(mi);
			int mfd = bpf_map_get_fd_by_id(maps[j]);
			bool seen = false;

			for (k = 0; k < o->nm; k++)
				seen = seen || o->maps[k] == maps[j];
			if (mfd < 0 || seen || o->nm == 16) {
				if (mfd >= 0)
					close(mfd);
				continue;
			}
			if (bpf_obj_get_info_by_fd(mfd, &mi, &ml) == 0 &&
			    (strncmp(mi.name, "sm_", 3) == 0 || strcmp(mi.name, "safemap_.bss") == 0))
				o->maps[o->nm++] = maps[j];
			close(mfd);
		}
	}
	list_ids(bpf_link_get_next_id, &now);
	for (i = 0; i < now.n && o->nl < 16; i++) {
		struct bpf_link_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd, j;

		if ((fd = bpf_link_get_fd_by_id(now.id[i])) < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			for (j = 0; j < o->np; j++)
				if (info.prog_id == o->progs[j])
					o->links[o->nl++] = now.id[i];
		close(fd);
	}
}

static int still_there(const struct ours *o)
{
	static struct idset progs, maps, links;
	int i, n = 0;

	list_ids(bpf_prog_get_next_id, &progs);
	list_ids(bpf_map_get_next_id, &maps);
	list_ids(bpf_link_get_next_id, &links);
	for (i = 0; i < o->np; i++)
		n += has_id(&progs, o->progs[i]);
	for (i = 0; i < o->nm; i++)
		n += has_id(&maps, o->maps[i]);
	for (i = 0; i < o->nl; i++)
		n += has_id(&links, o->links[i]);
	return n;
}

static void leftovers_test(enum safemap_audit_hook hook)
{
	/* program ids that existed before: ours are new (ids of one kind are
	 * not reused; program and map ids are separate counters, so a set of
	 * both would hide a new program whose id an old map has) */
	static struct idset before_progs;
	struct at_sink s;
	struct safemap_audit *a;
	struct ours o;
	double end;

	list_ids(bpf_prog_get_next_id, &before_progs);
	a = at_open(&s, 0, hook);
	g_fd = at_map("leftover_m");
	ck_assert_int_gt(safemap_audit_guard_fd(a, g_fd, NULL), 0);
	at_child("leftover-w", child_update, (void *)10);
	at_drain(a, &s, 1, 5);
	ck_assert_uint_eq(s.reports, 1);

	find_ours(&before_progs, at_map_id(g_fd), &o);
	ck_assert_msg(o.np == 2, "%d probe programs loaded, want 2 (enter + exit)", o.np);
	ck_assert_msg(o.nm == 5, "%d probe maps, want 5 (policy, pending, cgroups, reports, .bss)",
		      o.nm);
	ck_assert_msg(o.nl >= 1 || hook != SAFEMAP_AUDIT_HOOK_RAW_TRACEPOINT,
		      "raw tracepoint links are BPF links");
	ck_assert_int_eq(still_there(&o), 2 + 5 + o.nl);

	safemap_audit_close(a);
	/* the ids go when the last reference does; programs free their maps
	 * after an RCU grace period: give it a moment */
	end = tu_now() + 5;
	while (still_there(&o) && tu_now() < end)
		usleep(10000);
	ck_assert_msg(still_there(&o) == 0, "%d programs/maps/links left after close",
		      still_there(&o));
	close(g_fd);
}

START_TEST(test_close_leaves_nothing)
{
	leftovers_test(SAFEMAP_AUDIT_HOOK_TRACEPOINT);
}
END_TEST

START_TEST(test_close_leaves_nothing_raw_tp)
{
	leftovers_test(SAFEMAP_AUDIT_HOOK_RAW_TRACEPOINT);
}
END_TEST

static Suite *audit_api_suite(void)
{
	Suite *s = suite_create("audit_api");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_caps_reporting_only);
	tcase_add_test(tc, test_guard_pinned);
#ifdef HAVE_BPF_HANDLES
	tcase_add_test(tc, test_guard_handle);
#endif
	tcase_add_test(tc, test_epoll_fd);
	tcase_add_test(tc, test_close_leaves_nothing);
	tcase_add_test(tc, test_close_leaves_nothing_raw_tp);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return at_run_gated(audit_api_suite());
}
