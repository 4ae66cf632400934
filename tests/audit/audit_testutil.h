/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers for the audit probe tests: an event collector, child writers,
 * polling until the expected reports arrived, the root/BPF gate. */
#ifndef SAFEMAP_TESTS_AUDIT_TESTUTIL_H
#define SAFEMAP_TESTS_AUDIT_TESTUTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <bpf/bpf.h>
#include <safemap/audit.h>

#include "../testutil.h"

#define AT_MAX_EVENTS 128

/* One delivered event, copied (the pointers in an event die with the call). */
struct at_rec {
	struct safemap_event ev;
	char map_name[32];
	unsigned char key[16];
	char cgroup[600];         /* the writer's cgroup path */
	char detail[800];
};

struct at_sink {
	struct at_rec rec[AT_MAX_EVENTS];
	int n;                    /* events kept (first AT_MAX_EVENTS) */
	uint64_t reports;         /* NOT_ALLOWED events */
	uint64_t lost;            /* sum of LOST events' counts */
	uint64_t lost_events;     /* LOST events */
	uint64_t other;           /* anything else (must stay 0) */
};

static inline void at_collect(const struct safemap_event *ev, void *ctx)
{
	struct at_sink *s = ctx;

	if (ev->source == SAFEMAP_SRC_AUDIT && ev->reason == SAFEMAP_REASON_NOT_ALLOWED)
		s->reports++;
	else if (ev->source == SAFEMAP_SRC_AUDIT && ev->reason == SAFEMAP_REASON_LOST) {
		s->lost += ev->count;
		s->lost_events++;
	} else {
		s->other++;
	}
	if (s->n < AT_MAX_EVENTS) {
		struct at_rec *r = &s->rec[s->n++];

		r->ev = *ev;
		snprintf(r->map_name, sizeof(r->map_name), "%s", ev->map_name);
		if (ev->key && ev->key_size <= sizeof(r->key))
			memcpy(r->key, ev->key, ev->key_size);
		snprintf(r->cgroup, sizeof(r->cgroup), "%s",
			 ev->sz > offsetof(struct safemap_event, cgroup) && ev->cgroup ? ev->cgroup : "");
		snprintf(r->detail, sizeof(r->detail), "%s", ev->detail);
		r->ev.map_name = r->map_name;
		r->ev.key = ev->key ? r->key : NULL;
		r->ev.detail = r->detail;
		r->ev.cgroup = r->cgroup;
	}
}

/* Open an audit delivering to @p s; ring_size 0 = default. */
static inline struct safemap_audit *at_open(struct at_sink *s, size_t ring_size,
					    enum safemap_audit_hook hook)
{
	SAFEMAP_OPTS(safemap_audit_opts, o, .event_fn = at_collect, .event_ctx = s,
		     .ring_size = ring_size, .hook = hook);
	struct safemap_audit *a = NULL;
	int err;

	memset(s, 0, sizeof(*s));
	err = safemap_audit_open(&o, &a);
	ck_assert_msg(err == 0, "safemap_audit_open: %d %s", err, safemap_last_error());
	return a;
}

/* Poll until @p want reports (+ lost) arrived or @p seconds passed, then
 * once more briefly so that any extra report would be seen too. */
static inline void at_drain(struct safemap_audit *a, struct at_sink *s, uint64_t want,
			    double seconds)
{
	double end = tu_now() + seconds;
	int r;

	while (s->reports + s->lost < want && tu_now() < end) {
		r = safemap_audit_poll(a, 50);
		ck_assert_msg(r >= 0 || r == -EINTR, "poll: %d", r);
	}
	r = safemap_audit_poll(a, 100);
	ck_assert_msg(r >= 0 || r == -EINTR, "poll: %d", r);
}

/* A hash map with 8-byte keys and values. */
static inline int at_map(const char *name)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, 8, 8, 1024, NULL);

	ck_assert_msg(fd >= 0, "bpf_map_create: %s", strerror(errno));
	return fd;
}

static inline uint32_t at_map_id(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

/* Run @p fn in a forked child named @p comm; fail if it exits non-zero.
 * Returns the child's pid. */
static inline pid_t at_child(const char *comm, int (*fn)(void *), void *arg)
{
	int status = 0;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, comm, 0, 0, 0);
		_exit(fn(arg));
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child '%s' failed (status 0x%x)", comm, status);
	return pid;
}

/* In a child: become @p uid but keep the capabilities (bpf() needs them). */
static inline int at_become_uid(uid_t uid)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setresuid(uid, uid, uid) ||
	    syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective = d[0].permitted;
	d[1].effective = d[1].permitted;
	return (int)syscall(SYS_capset, &h, d);
}

/* In a child: check a bpf() result, exit 1 (failing the test) if wrong. */
#define AT_EXPECT(call, want)                                                      \
	do {                                                                       \
		int _r = (call);                                                   \
		if (_r != (want)) {                                                \
			fprintf(stderr, "%s:%d: %s = %d (errno %d), want %d\n",     \
				__FILE__, __LINE__, #call, _r, errno, (want));     \
			return 1;                                                  \
		}                                                                  \
	} while (0)

/*
 * The gate every BPF test program calls first: runs @p s when root can load
 * the audit probe. Otherwise exits 77 (ctest SKIP_RETURN_CODE) with a loud
 * message, or fails when SAFEMAP_REQUIRE_BPF=1 (CI).
 */
static inline int at_run_gated(Suite *s) /* s is leaked when skipped */
{
	const char *req = getenv("SAFEMAP_REQUIRE_BPF");
	bool require = req && strcmp(req, "1") == 0;
	struct safemap_audit *a = NULL;
	char why[600] = "";
	int err;

	if (geteuid() != 0) {
		snprintf(why, sizeof(why), "not running as root");
	} else if ((err = safemap_audit_open(NULL, &a)) != 0) {
		snprintf(why, sizeof(why), "the audit probe cannot load: %s (%s)",
			 safemap_strerror(err), safemap_last_error());
	}
	safemap_audit_close(a);
	if (why[0]) {
		if (require) {
			fprintf(stderr, "FAILED: SAFEMAP_REQUIRE_BPF=1 but %s\n", why);
			return EXIT_FAILURE;
		}
		fprintf(stderr, "*** SKIPPED: BPF audit tests need root and a BPF-capable "
				"kernel: %s (set SAFEMAP_REQUIRE_BPF=1 to fail instead) ***\n", why);
		return 77;
	}
	return tu_run(s);
}

#endif /* SAFEMAP_TESTS_AUDIT_TESTUTIL_H */
