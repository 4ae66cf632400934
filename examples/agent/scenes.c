/* SPDX-License-Identifier: BSD-2-Clause */
/* What the demo agent makes happen, for real, while it runs: a pinned map
 * with an old value layout that its spec must refuse, a child process that
 * writes to the guarded map without permission, and waves of worker
 * processes that fill the bounded maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "legacy_bpf.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

const struct safemap_bpf_spec *agent_spec(void);

static int ensure_bpffs(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

/* An older agent left its map pinned: same name, key and value size, but
 * the value's fields in another order. Opening it with this agent's spec
 * must fail (-EPROTO) with a message naming the fields. */
int agent_scene_mismatch(struct agent *a)
{
	SAFEMAP_OPTS(safemap_bpf_opts, o, .spec = agent_spec(), .name = "syscount (pinned, old agent)",
		     .event_fn = agent_sink, .event_ctx = a);
	struct legacy_bpf *old;
	struct safemap_bpf *h = NULL;
	char path[128];
	int err;

	err = ensure_bpffs();
	if (err) {
		agent_say(a, "error", "no bpffs on /sys/fs/bpf: %s", strerror(-err));
		return err;
	}
	old = legacy_bpf__open_and_load();
	if (!old) {
		err = -errno;
		agent_say(a, "error", "loading the old agent's map: %s", strerror(errno));
		return err;
	}
	snprintf(path, sizeof(path), "/sys/fs/bpf/safemap_agent_%d_syscount", (int)getpid());
	err = bpf_map__pin(old->maps.syscount, path);
	if (err) {
		agent_say(a, "error", "pinning %s: %s", path, strerror(-err));
		legacy_bpf__destroy(old);
		return err;
	}
	agent_say(a, "scene", "an old agent's map (value fields in another order) is pinned at %s; "
		  "opening it with this agent's spec", path);
	err = safemap_bpf_open_pinned(path, &o, &h);
	if (err == -EPROTO) {
		snprintf(a->mismatch_msg, sizeof(a->mismatch_msg), "%s", safemap_last_error());
		agent_say(a, "refused", "open of mismatched pinned map refused (%s): %s",
			  safemap_strerror(err), a->mismatch_msg);
	} else {
		agent_say(a, "error", "open of the mismatched pinned map returned %d (%s), not -EPROTO",
			  err, safemap_strerror(err));
		safemap_bpf_put(h);
	}
	bpf_map__unpin(old->maps.syscount, path);
	legacy_bpf__destroy(old);
	agent_say(a, "scene", "unpinned %s", path);
	return err == -EPROTO ? 0 : -EPROTO;
}

/* A child process writes to the guarded kernel map: it resets the agent's
 * own counter. The audit probe reports it (the policy allows only the
 * agent's process), with the child's pid and command name. */
int agent_scene_intruder(struct agent *a)
{
	uint32_t key = (uint32_t)getpid();
	int fd = safemap_bpf_fd(a->map);
	pid_t pid;

	pthread_mutex_lock(&a->lock); /* the sink reads a->intruder */
	pid = fork();
	if (pid == 0) {
		struct proc_stat forged = { .calls = 0, .comm = "intruder" };

		prctl(PR_SET_NAME, "intruder");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(bpf_map_update_elem(fd, &key, &forged, BPF_ANY) ? 1 : 0);
	}
	if (pid > 0)
		a->intruder = pid;
	pthread_mutex_unlock(&a->lock);
	if (pid < 0) {
		agent_say(a, "error", "fork: %s", strerror(errno));
		return -errno;
	}
	agent_say(a, "scene", "child pid %d ('intruder') writes to guarded map 'syscount' "
		  "(resets the agent's counter, key %u) without permission", (int)pid, key);
	return 0;
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A worker: a few system calls every 5 ms, for 1.5 to 2.5 seconds. */
static void worker(unsigned i)
{
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	double end = now_mono() + 1.5 + (double)(i % 11) / 10.0;
	char name[16];
	unsigned j;

	snprintf(name, sizeof(name), "worker-%02u", i);
	prctl(PR_SET_NAME, name);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (now_mono() < end) {
		for (j = 0; j < 1 + i % 16; j++)
			syscall(SYS_getppid);
		nanosleep(&pause, NULL);
	}
	_exit(0);
}

/* Start a wave of workers and register each in the kernel map ahead of its
 * first system call (NOEXIST: one already counted keeps its entry). When
 * the map is full the handle refuses with -E2BIG: a capacity violation,
 * counted and delivered to the sink. */
void agent_scene_workers(struct agent *a)
{
	unsigned i, full = 0, started = 0;

	for (i = 0; i < AGENT_WORKERS && a->nworkers < sizeof(a->workers) / sizeof(a->workers[0]);
	     i++) {
		struct proc_stat init = { .calls = 0, .comm = "worker" };
		pid_t pid = fork();
		uint32_t key;
		int err;

		if (pid == 0)
			worker(a->waves * AGENT_WORKERS + i);
		if (pid < 0)
			break;
		a->workers[a->nworkers++] = pid;
		started++;
		key = (uint32_t)pid;
		err = safemap_bpf_update(a->map, &key, &init, SAFEMAP_NOEXIST);
		a->registered += err == 0;
		if (err == -E2BIG)
			full++;
	}
	a->register_full += full;
	a->waves++;
	agent_say(a, "scene", "wave %u: %u worker processes started; %u could not be registered "
		  "in 'syscount' (map full: -E2BIG)", a->waves, started, full);
}

void agent_reap_children(struct agent *a, bool wait_all)
{
	unsigned i;

	if (wait_all) {
		for (i = 0; i < a->nworkers; i++)
			if (a->workers[i] > 0)
				kill(a->workers[i], SIGKILL);
		if (a->intruder > 0 && !a->intruder_reaped)
			kill(a->intruder, SIGKILL);
	}
	for (i = 0; i < a->nworkers; i++)
		if (a->workers[i] > 0 &&
		    waitpid(a->workers[i], NULL, wait_all ? 0 : WNOHANG) == a->workers[i])
			a->workers[i] = -a->workers[i];
	if (a->intruder > 0 && !a->intruder_reaped &&
	    waitpid(a->intruder, NULL, wait_all ? 0 : WNOHANG) == a->intruder)
		a->intruder_reaped = true;
}
