/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guard/unguard from several threads while one thread polls and reads the
 * counters and a child process writes every map without pause (labels bpf
 * and stress: runs under ThreadSanitizer too, as root).
 *
 * Invariants: every report names one of the test's maps; the guarded count
 * always equals what the guarding threads believe; and at the end, one
 * marked write per map is reported exactly for the maps left guarded.
 */
#include <pthread.h>
#include <signal.h>

#include "audit_testutil.h"

#define NMAPS 16
#define NGUARDERS 2

static struct safemap_audit *g_a;
static int g_fds[NMAPS];
static uint32_t g_ids[NMAPS];
static bool g_guarded[NMAPS]; /* each guarder thread owns NMAPS / NGUARDERS maps */
static int g_stop;
static uint64_t g_reports, g_foreign, g_lost, g_marked[NMAPS];
static int g_max_poll; /* the most events one poll delivered */

#define MARK 0xfeedfacecafebeefull

static void stress_sink(const struct safemap_event *ev, void *ctx)
{
	(void)ctx;
	if (ev->reason == SAFEMAP_REASON_LOST) {
		g_lost += ev->count;
		return;
	}
	g_reports++;
	for (int i = 0; i < NMAPS; i++)
		if (ev->map_id == g_ids[i]) {
			uint64_t k;

			if (ev->key_size == 8) {
				memcpy(&k, ev->key, 8);
				if (k == MARK)
					g_marked[i]++;
			}
			return;
		}
	g_foreign++;
}

static void *guarder(void *arg)
{
	int t = (int)(intptr_t)arg;
	uint64_t seed = 77 + (uint64_t)t;
	SAFEMAP_OPTS(safemap_audit_policy, ro, .flags = SAFEMAP_AUDIT_READ_ONLY);

	while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
		int i = t + NGUARDERS * (int)(tu_next(&seed) % (NMAPS / NGUARDERS));
		int err;

		if (g_guarded[i]) {
			err = safemap_audit_unguard(g_a, g_ids[i]);
			ck_assert_int_eq(err, 0);
			g_guarded[i] = false;
		} else {
			err = safemap_audit_guard(g_a, g_ids[i], tu_next(&seed) & 1 ? &ro : NULL);
			ck_assert_int_eq(err, 0);
			g_guarded[i] = true;
		}
	}
	return NULL;
}

static void *poller(void *arg)
{
	struct safemap_audit_stats st;

	(void)arg;
	while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
		int r = safemap_audit_poll(g_a, 5);

		ck_assert_msg(r >= 0 || r == -EINTR, "poll %d", r);
		/* bounded under the flood: at most a poll's worth + the lost event */
		ck_assert_int_le(r, SAFEMAP_AUDIT_POLL_MAX + 1);
		if (r > g_max_poll)
			g_max_poll = r;
		safemap_audit_get_stats(g_a, &st);
		ck_assert_uint_le(st.guarded, NMAPS);
	}
	return NULL;
}

static int child_marked(void *arg)
{
	uint64_t k = MARK, v = 1;

	(void)arg;
	for (int i = 0; i < NMAPS; i++)
		AT_EXPECT(bpf_map_update_elem(g_fds[i], &k, &v, BPF_ANY), 0);
	return 0;
}

START_TEST(test_guard_unguard_poll_concurrently)
{
	SAFEMAP_OPTS(safemap_audit_opts, o, .event_fn = stress_sink);
	pthread_t g[NGUARDERS], p;
	struct safemap_audit_stats st;
	double end = tu_now() + tu_stress_seconds(2.0);
	uint64_t expect = 0;
	pid_t writer;
	int i, status;

	for (i = 0; i < NMAPS; i++) {
		g_fds[i] = at_map("stress_m");
		g_ids[i] = at_map_id(g_fds[i]);
	}
	ck_assert_int_eq(safemap_audit_open(&o, &g_a), 0);
	writer = fork(); /* before any thread: writes every map until killed */
	ck_assert_int_ge(writer, 0);
	if (writer == 0) {
		uint64_t k = 0, v = 0;

		prctl(PR_SET_NAME, "stress-writer", 0, 0, 0);
		for (;;)
			for (i = 0; i < NMAPS; i++, k = (k + 1) & 255)
				bpf_map_update_elem(g_fds[i], &k, &v, BPF_ANY);
	}
	for (i = 0; i < NGUARDERS; i++)
		ck_assert_int_eq(pthread_create(&g[i], NULL, guarder, (void *)(intptr_t)i), 0);
	ck_assert_int_eq(pthread_create(&p, NULL, poller, NULL), 0);
	while (tu_now() < end)
		usleep(20000);
	__atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < NGUARDERS; i++)
		pthread_join(g[i], NULL);
	pthread_join(p, NULL); /* returns under the flood: polls are bounded */
	kill(writer, SIGKILL);
	ck_assert_int_eq(waitpid(writer, &status, 0), writer);

	safemap_audit_get_stats(g_a, &st);
	for (i = 0; i < NMAPS; i++)
		expect += g_guarded[i];
	ck_assert_uint_eq(st.guarded, expect);
	ck_assert_uint_gt(g_reports, 0);
	ck_assert_uint_eq(g_foreign, 0);
	ck_assert_uint_eq(st.reports, g_reports);
	ck_assert_uint_eq(st.lost, g_lost);

	/* drain what the writer left, then one marked write per map */
	while (safemap_audit_poll(g_a, 50) > 0)
		;
	at_child("marker", child_marked, NULL);
	end = tu_now() + 5;
	uint64_t got = 0;
	while (got < expect && tu_now() < end) {
		safemap_audit_poll(g_a, 50);
		got = 0;
		for (i = 0; i < NMAPS; i++)
			got += g_marked[i];
	}
	safemap_audit_poll(g_a, 100);
	for (i = 0; i < NMAPS; i++)
		ck_assert_msg(g_marked[i] == (g_guarded[i] ? 1u : 0u),
			      "map %d (guarded %d): %llu marked reports", i, g_guarded[i],
			      (unsigned long long)g_marked[i]);
	fprintf(stderr, "stress: %llu reports, %llu lost, %llu maps left guarded, "
		"at most %d events a poll\n", (unsigned long long)g_reports,
		(unsigned long long)g_lost, (unsigned long long)expect, g_max_poll);
	safemap_audit_close(g_a);
}
END_TEST

static Suite *audit_stress_suite(void)
{
	Suite *s = suite_create("audit_stress");
	TCase *tc = tcase_create("stress");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_guard_unguard_poll_concurrently);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return at_run_gated(audit_stress_suite());
}
