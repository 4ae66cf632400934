/* SPDX-License-Identifier: BSD-2-Clause */
/* The audit probe's life: load the embedded skeleton, attach it to one
 * hook, poll its ring buffer, detach and free everything at close. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "audit_internal.h"
#include "safemap_audit.h"
#include "safemap_audit_bpf.skel.h"

#define DEFAULT_RING_SIZE (256u * 1024)
#define DEFAULT_MAX_GUARDED 1024u

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define SYS_ENTER_BPF "/events/syscalls/sys_enter_bpf/id"
#define TRACEFS_MAGIC_NUMBER 0x74726163

/* ---- libbpf's messages go to our log, the last warning to our detail ---- */

static __thread char libbpf_last[256];
/* libbpf_set_print() is process-wide: opens swap it in and out one at a time,
 * so concurrent opens cannot leave our printer installed for good. */
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static int libbpf_to_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (level == LIBBPF_WARN) {
		snprintf(libbpf_last, sizeof(libbpf_last), "%.*s", (int)sizeof(libbpf_last) - 1, line);
		safemap__log(SAFEMAP_LOG_WARN, "%s", line);
	} else {
		safemap__log(level == LIBBPF_INFO ? SAFEMAP_LOG_INFO : SAFEMAP_LOG_DEBUG,
			     "%s", line);
	}
	return 0;
}

/* ---- tracefs: the syscall tracepoints need it mounted ---- */

static bool tracepoint_visible(void)
{
	return access(TRACEFS SYS_ENTER_BPF, R_OK) == 0 ||
	       access(DEBUGFS_TRACING SYS_ENTER_BPF, R_OK) == 0;
}

/* Make events/syscalls/sys_enter_bpf visible, mounting tracefs on
 * /sys/kernel/tracing if nothing is mounted there. 0 or negative errno. */
static int tracefs_ready(void)
{
	struct statfs st;

	if (tracepoint_visible())
		return 0;
	if (statfs(TRACEFS, &st) == 0 && (uint32_t)st.f_type == TRACEFS_MAGIC_NUMBER)
		return safemap__errorf(-EOPNOTSUPP, "audit: tracefs is mounted but has no "
				       "syscalls/sys_enter_bpf (kernel without CONFIG_FTRACE_SYSCALLS?)");
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) != 0)
		return safemap__errorf(-errno, "audit: cannot mount tracefs on " TRACEFS ": %s",
				       strerror(errno));
	if (!tracepoint_visible())
		return safemap__errorf(-EOPNOTSUPP, "audit: no syscalls/sys_enter_bpf tracepoint "
				       "in tracefs (kernel without CONFIG_FTRACE_SYSCALLS?)");
	return 0;
}

/* ---- open ---- */

static int check_opts(struct safemap_audit_opts *o)
{
	long page = sysconf(_SC_PAGESIZE);

	if (o->ring_size == 0)
		o->ring_size = DEFAULT_RING_SIZE;
	if (o->ring_size < (size_t)page || (o->ring_size & (o->ring_size - 1)) ||
	    o->ring_size > (1u << 30))
		return safemap__errorf(-EINVAL, "audit: ring_size %zu must be a power of two "
				       "between the page size (%ld) and 1 GiB", o->ring_size, page);
	if (o->max_guarded == 0)
		o->max_guarded = DEFAULT_MAX_GUARDED;
	if ((unsigned)o->hook > SAFEMAP_AUDIT_HOOK_RAW_TRACEPOINT)
		return safemap__errorf(-EINVAL, "audit: unknown hook %d", (int)o->hook);
	return 0;
}

static int load_error(int err, const char *what)
{
	if (err == -EPERM || err == -EACCES)
		return safemap__errorf(-EPERM, "audit: %s: not permitted (needs root: "
				       "CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)", what);
	return safemap__errorf(err, "audit: %s: %s%s%s", what, strerror(-err),
			       libbpf_last[0] ? "; libbpf: " : "", libbpf_last);
}

/* Attach the exit program before the entry one (and detach in the other
 * order, see close), so no report is ever parked without an exit to send it. */
static int attach(struct safemap_audit_bpf *s, bool raw)
{
	struct bpf_program *enter = raw ? s->progs.sm_raw_enter : s->progs.sm_tp_enter;
	struct bpf_program *exit_ = raw ? s->progs.sm_raw_exit : s->progs.sm_tp_exit;
	struct bpf_link **enter_link = raw ? &s->links.sm_raw_enter : &s->links.sm_tp_enter;
	struct bpf_link **exit_link = raw ? &s->links.sm_raw_exit : &s->links.sm_tp_exit;
	struct bpf_link *l;

	l = bpf_program__attach(exit_);
	if (!l)
		return -errno;
	*exit_link = l;
	l = bpf_program__attach(enter);
	if (!l)
		return -errno;
	*enter_link = l;
	return 0;
}

static int open_hook(struct safemap_audit *a, const struct safemap_audit_opts *o, bool raw)
{
	struct safemap_audit_bpf *s;
	int err;

	libbpf_last[0] = '\0';
	s = safemap_audit_bpf__open();
	if (!s)
		return load_error(-errno, "opening the embedded probe");
	bpf_program__set_autoload(s->progs.sm_tp_enter, !raw);
	bpf_program__set_autoload(s->progs.sm_tp_exit, !raw);
	bpf_program__set_autoload(s->progs.sm_raw_enter, raw);
	bpf_program__set_autoload(s->progs.sm_raw_exit, raw);
	if ((err = bpf_map__set_max_entries(s->maps.sm_reports, (uint32_t)o->ring_size)) ||
	    (err = bpf_map__set_max_entries(s->maps.sm_policy, o->max_guarded))) {
		safemap_audit_bpf__destroy(s);
		return load_error(err, "sizing the probe's maps");
	}
	s->rodata->sm_wake_bytes = o->ring_size / 4;
	err = safemap_audit_bpf__load(s);
	if (err) {
		safemap_audit_bpf__destroy(s);
		return load_error(err, "loading the probe");
	}
	if (!s->bss) {
		safemap_audit_bpf__destroy(s);
		return safemap__errorf(-EOPNOTSUPP, "audit: the kernel cannot mmap BPF global data");
	}
	err = attach(s, raw);
	if (err) {
		safemap_audit_bpf__destroy(s);
		return load_error(err, raw ? "attaching to raw tracepoints sys_enter/sys_exit"
					   : "attaching to tracepoints syscalls/sys_{enter,exit}_bpf");
	}
	a->skel = s;
	if (raw)
		a->caps |= SAFEMAP_AUDIT_CAP_RAW_TP;
	return 0;
}

int safemap_audit_open(const struct safemap_audit_opts *opts, struct safemap_audit **out)
{
	struct safemap_audit_opts o;
	struct safemap_audit *a;
	libbpf_print_fn_t old_print;
	int err;

	if (out)
		*out = NULL;
	if (!out)
		return safemap__errorf(-EINVAL, "audit: NULL out");
	if ((err = safemap__opts_copy(&o, sizeof(o), opts, "safemap_audit_opts")) ||
	    (err = check_opts(&o)))
		return err;
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		return safemap__errorf(-EOPNOTSUPP, "audit: the kernel has no BTF "
				       "(/sys/kernel/btf/vmlinux): the probe needs CO-RE");
	a = calloc(1, sizeof(*a));
	if (!a)
		return safemap__errorf(-ENOMEM, "audit: out of memory");
	pthread_mutex_init(&a->lock, NULL);
	a->cg.mount_fd = -1;
	a->event_fn = o.event_fn;
	a->event_ctx = o.event_ctx;
	a->tgid = getpid();

	pthread_mutex_lock(&print_lock);
	old_print = libbpf_set_print(libbpf_to_log);
	err = -EOPNOTSUPP;
	if (o.hook != SAFEMAP_AUDIT_HOOK_RAW_TRACEPOINT) {
		err = tracefs_ready();
		if (!err)
			err = open_hook(a, &o, false);
	}
	if (err && (o.hook == SAFEMAP_AUDIT_HOOK_RAW_TRACEPOINT ||
		    (o.hook == SAFEMAP_AUDIT_HOOK_AUTO && err != -EPERM)))
		err = open_hook(a, &o, true);
	if (!err) {
		if (safemap__audit_lsm_probe())
			a->caps |= SAFEMAP_AUDIT_CAP_LSM;
	}
	libbpf_set_print(old_print);
	pthread_mutex_unlock(&print_lock);
	if (err)
		goto fail;

	a->policy_fd = bpf_map__fd(a->skel->maps.sm_policy);
	a->cgroups_fd = bpf_map__fd(a->skel->maps.sm_cgroups);
	safemap__cg_init(&a->cg);
	if (a->cg.mount_fd >= 0)
		a->caps |= SAFEMAP_AUDIT_CAP_CGROUP;
	a->nr_guarded = &a->skel->bss->sm_nr_guarded;
	a->guard_words = (uint64_t *)a->skel->bss->sm_guard_words;
	a->lost_kernel = &a->skel->bss->sm_lost;
	a->rb = ring_buffer__new(bpf_map__fd(a->skel->maps.sm_reports),
				 safemap__audit_on_report, a, NULL);
	if (!a->rb) {
		err = load_error(-errno, "opening the ring buffer");
		goto fail;
	}
	a->caps |= SAFEMAP_AUDIT_CAP_REPORT | SAFEMAP_AUDIT_CAP_RESULT;
	{
		static const char *const modes[2][2] = {
			{ "reporting only (this kernel cannot attach a BPF LSM program to security_bpf: "
			  "writes cannot be blocked); no cgroup v2 mounted: reports carry no cgroup, "
			  "policies cannot name cgroups",
			  "reporting only (this kernel cannot attach a BPF LSM program to security_bpf: "
			  "writes cannot be blocked)" },
			{ "reporting only (BPF LSM is available, but this version does not block "
			  "writes); no cgroup v2 mounted: reports carry no cgroup, policies cannot "
			  "name cgroups",
			  "reporting only (BPF LSM is available, but this version does not block writes)" },
		};

		a->mode = modes[!!(a->caps & SAFEMAP_AUDIT_CAP_LSM)][!!(a->caps & SAFEMAP_AUDIT_CAP_CGROUP)];
	}
	*out = a;
	return 0;
fail:
	safemap_audit_close(a);
	return err;
}

void safemap_audit_close(struct safemap_audit *a)
{
	if (!a)
		return;
	ring_buffer__free(a->rb);
	if (a->skel) {
		/* entry first: once it is gone no new report is parked */
		bpf_link__destroy(a->skel->links.sm_tp_enter);
		a->skel->links.sm_tp_enter = NULL;
		bpf_link__destroy(a->skel->links.sm_raw_enter);
		a->skel->links.sm_raw_enter = NULL;
		safemap_audit_bpf__destroy(a->skel); /* the cgroup array lets its cgroups go */
	}
	safemap__cg_fini(&a->cg);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* ---- polling ---- */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A flood's reports mostly come without a wakeup (the probe batches them,
 * see wake_flags() in bpf/safemap_audit.bpf.c): for ACTIVE_MS after a
 * report, a poll waits at most SAFEMAP_AUDIT_TICK_MS at a time and reads
 * the ring after every wait, woken or not. Quiet, it waits as asked: the
 * first report after a quiet spell always wakes it. */
#define ACTIVE_MS 1000u

int safemap_audit_poll(struct safemap_audit *a, int timeout_ms)
{
	uint64_t start, now, active_until;
	int err, wait;

	if (!a)
		return safemap__errorf(-EINVAL, "audit: NULL audit");
	a->delivered = 0;
	start = now = mono_ms();
	for (;;) {
		uint64_t left = timeout_ms < 0 ? UINT64_MAX
			      : (uint64_t)timeout_ms > now - start ? (uint64_t)timeout_ms - (now - start) : 0;

		active_until = a->active_until_ms;
		wait = left == UINT64_MAX ? -1 : (int)left;
		if (now < active_until && (wait < 0 || wait > SAFEMAP_AUDIT_TICK_MS))
			wait = SAFEMAP_AUDIT_TICK_MS;
		err = ring_buffer__poll(a->rb, wait);
		if (err >= 0 || err == -EINTR) {
			int e = ring_buffer__consume(a->rb); /* reports sent without a wakeup */

			if (e < 0)
				err = e;
		}
		if (err == SAFEMAP__AUDIT_POLL_FULL)
			err = 0; /* SAFEMAP_AUDIT_POLL_MAX delivered: the rest waits */
		now = mono_ms();
		if (a->delivered)
			a->active_until_ms = now + ACTIVE_MS;
		if (err < 0 || a->delivered || left == 0 ||
		    (timeout_ms >= 0 && now - start >= (uint64_t)timeout_ms))
			break;
	}
	safemap__audit_surface_lost(a);
	if (err < 0 && err != -EINTR)
		return safemap__errorf(err, "audit: polling the ring buffer: %s", strerror(-err));
	if (err == -EINTR && a->delivered == 0)
		return safemap__error(-EINTR);
	return a->delivered;
}

int safemap_audit_fd(const struct safemap_audit *a)
{
	if (!a)
		return safemap__errorf(-EINVAL, "audit: NULL audit");
	return ring_buffer__epoll_fd(a->rb);
}

unsigned safemap_audit_caps(const struct safemap_audit *a)
{
	return a ? a->caps : 0;
}

const char *safemap_audit_mode(const struct safemap_audit *a)
{
	return a ? a->mode : "not open";
}

void safemap_audit_get_stats(const struct safemap_audit *a, struct safemap_audit_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!a)
		return;
	out->reports = __atomic_load_n(&a->reports, __ATOMIC_RELAXED);
	out->lost = __atomic_load_n(&a->lost, __ATOMIC_RELAXED);
	pthread_mutex_lock((pthread_mutex_t *)&a->lock);
	out->guarded = a->guarded;
	pthread_mutex_unlock((pthread_mutex_t *)&a->lock);
}
