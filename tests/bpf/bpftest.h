/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the BPF integration tests: the root/kernel gate, map
 * creation, an event recorder, BPF objects and bpffs. */
#ifndef SAFEMAP_TESTS_BPFTEST_H
#define SAFEMAP_TESTS_BPFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../testutil.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/* Exit code ctest reads as "skipped" (SKIP_RETURN_CODE in CMakeLists.txt). */
#define BT_SKIP 77

/*
 * Called first in main(): returns if the kernel lets this process create BPF
 * maps. Otherwise the whole program is skipped loudly (exit 77), or fails
 * when SAFEMAP_REQUIRE_BPF=1 (CI), so a CI machine that lost its BPF
 * privileges cannot pass by skipping.
 */
static inline void bt_require_bpf(const char *prog)
{
	const char *req = getenv("SAFEMAP_REQUIRE_BPF");
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe", 4, 4, 1, NULL);

	if (fd >= 0) {
		close(fd);
		return;
	}
	if (req && !strcmp(req, "1")) {
		fprintf(stderr, "FAIL: %s: the kernel refuses BPF maps (%s) and SAFEMAP_REQUIRE_BPF=1\n",
			prog, strerror(-fd));
		exit(EXIT_FAILURE);
	}
	fprintf(stderr,
		"SKIP: %s: the kernel refuses BPF maps here (%s); run as root, "
		"SAFEMAP_REQUIRE_BPF=1 turns this into a failure\n",
		prog, strerror(-fd));
	exit(BT_SKIP);
}

/* A raw kernel map (no BTF); fails the test if the kernel refuses. */
static inline int bt_map(enum bpf_map_type type, const char *name, unsigned ks, unsigned vs,
			 unsigned max, unsigned flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	int fd = bpf_map_create(type, name, ks, vs, max, &o);

	ck_assert_msg(fd >= 0, "bpf_map_create(%s): %s", name, strerror(-fd));
	return fd;
}

/* Events recorded by bt_on_event (tests fork: no locking needed unless a
 * test shares one recorder between threads; those use atomics on n). */
struct bt_events {
	int n;
	enum safemap_event_source source;
	enum safemap_op op;
	enum safemap_reason reason;
	int result;
	uint32_t map_id;
	uint64_t limit;
	uint32_t key32;
	char map_name[64];
	char detail[512];
};

static inline void bt_on_event(const struct safemap_event *ev, void *ctx)
{
	struct bt_events *e = ctx;

	__atomic_fetch_add(&e->n, 1, __ATOMIC_RELAXED);
	e->source = ev->source;
	e->op = ev->op;
	e->reason = ev->reason;
	e->result = ev->result;
	e->map_id = ev->map_id;
	e->limit = ev->limit;
	e->key32 = 0;
	if (ev->key && ev->key_size >= 4)
		memcpy(&e->key32, ev->key, 4);
	snprintf(e->map_name, sizeof(e->map_name), "%s", ev->map_name);
	snprintf(e->detail, sizeof(e->detail), "%s", ev->detail);
}

/* Open a handle on @p fd with an event recorder; fails the test on error. */
static inline struct safemap_bpf *bt_open(int fd, const struct safemap_bpf_spec *spec,
					  struct bt_events *ev)
{
	SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = spec, .event_fn = ev ? bt_on_event : NULL,
		     .event_ctx = ev);
	struct safemap_bpf *h = NULL;
	int err = safemap_bpf_open_fd(fd, &o, &h);

	ck_assert_msg(err == 0, "safemap_bpf_open_fd: %d %s", err, safemap_last_error());
	return h;
}

/* Open tests/bpf/NAME.bpf.o from the build directory, not loaded. */
static inline struct bpf_object *bt_open_obj(const char *name)
{
	char path[512];
	struct bpf_object *obj;

	snprintf(path, sizeof(path), "%s/%s.bpf.o", SAFEMAP_TEST_BPF_DIR, name);
	obj = bpf_object__open_file(path, NULL);
	ck_assert_msg(obj != NULL, "open %s: %s", path, strerror(errno));
	return obj;
}

/* Open and load tests/bpf/NAME.bpf.o from the build directory. */
static inline struct bpf_object *bt_load(const char *name)
{
	struct bpf_object *obj = bt_open_obj(name);
	int err = bpf_object__load(obj);

	ck_assert_msg(err == 0, "load %s: %s", bpf_object__name(obj), strerror(-err));
	return obj;
}

/* Make sure /sys/fs/bpf is a bpffs; returns true if this call mounted it.
 * bt_bpffs_done() leaves it mounted even then: another test running at the
 * same time (ctest -j) may have found it mounted by us and pinned into it. */
static inline bool bt_bpffs(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && (unsigned long)st.f_type == BPF_FS_MAGIC)
		return false;
	mkdir("/sys/fs/bpf", 0700);
	ck_assert_msg(mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") == 0,
		      "mount bpffs on /sys/fs/bpf: %s", strerror(errno));
	return true;
}

static inline void bt_bpffs_done(bool mounted)
{
	(void)mounted; /* see bt_bpffs(): never unmounted under a parallel test */
}

/* Number of open file descriptors of this process. */
static inline int bt_open_fds(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* main() of a BPF test program. */
#define BT_MAIN(suite_fn)                           \
	int main(int argc, char **argv)             \
	{                                           \
		(void)argc;                         \
		bt_require_bpf(argv[0]);            \
		return tu_run(suite_fn());          \
	}

#endif /* SAFEMAP_TESTS_BPFTEST_H */
