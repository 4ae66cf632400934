/* SPDX-License-Identifier: BSD-2-Clause */
/* The demo agent: what its files share. */
#ifndef SAFEMAP_AGENT_H
#define SAFEMAP_AGENT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/types.h>

#include <safemap/safemap.h>
#include <safemap/audit.h>

#include "syscount.h"

/* The user-space map's bound (smaller than the kernel map's, so both fill). */
#define AGENT_PROCS_MAX 48
#define AGENT_WORKERS 72     /* children of one worker wave: more than the kernel map holds */
#define AGENT_MAX_LOG 256    /* events kept per tick for display */

/* Value of the user-space map 'procs' (key: __u32 tgid). */
struct proc_total {
	uint64_t calls;    /* calls seen so far, over the kernel entry's lifetimes */
	uint64_t last_bpf; /* the kernel entry's count at the last aggregation */
	char comm[16];
};

/* One event, copied out of the sink call, grouped with its repeats. */
struct agent_event {
	struct safemap_event ev; /* pointers below redirected to the copies */
	char map_name[32];
	char detail[512];
	char cgroup[256];        /* the writer's cgroup path (audit reports) */
	uint32_t key32;
	unsigned repeat;         /* further events of the same kind this tick */
};

struct agent {
	/* options */
	double duration;
	bool json;
	const char *metrics_path; /* --metrics FILE: Prometheus text each tick */
	const char *state_path;   /* --state FILE: 'procs' kept across restarts */
	size_t restored;          /* processes loaded from the state file */
	bool quiet_top;

	/* BPF */
	struct syscount_bpf *skel;
	struct safemap_bpf *map;     /* handle on 'syscount' (opened through the spec) */
	struct safemap_audit *audit;
	uint32_t map_id;

	/* user space */
	struct safemap *procs;
	pthread_t thr[2];
	pthread_mutex_t lock;        /* events, and the round below */
	pthread_cond_t cond;
	unsigned round, done;        /* main posts a round, both threads finish it */
	bool stop_threads;
	uint32_t dead[2][SYSCOUNT_MAX_ENTRIES * 2]; /* per thread: exited processes seen */
	unsigned ndead[2];
	uint64_t thread_updates[2];
	double fold_secs[2];         /* time in the fold (batch get + put) */
	uint64_t folded[2];          /* kernel entries folded */
	uint64_t gone_procs, gone_calls; /* evicted from 'procs' (exited) */

	/* events: this tick's, and totals by source and reason */
	struct agent_event log[AGENT_MAX_LOG];
	unsigned nlog;
	uint64_t log_dropped;
	uint64_t totals[4][SAFEMAP_REASON_MAX];

	/* the scenes */
	pid_t intruder;              /* the child that writes illegally */
	bool intruder_reported;
	bool intruder_reaped;
	bool mismatch_refused;
	char mismatch_msg[512];
	pid_t workers[2 * AGENT_WORKERS];
	unsigned nworkers, waves;
	volatile __u64 *skel_refused; /* the BPF program's 'refused' counter (.bss) */
	uint64_t kernel_refused;     /* its value at the last round */
	uint64_t registered, register_full;

	double t0;
};

extern volatile sig_atomic_t agent_stop;

double agent_now(void);

/* output.c */
void agent_sink(const struct safemap_event *ev, void *ctx);
/* --state FILE (state.c): load 'procs' after it is made, save it at the end. */
void agent_state_load(struct agent *a);
void agent_state_save(struct agent *a);

void agent_say(struct agent *a, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void agent_flush_events(struct agent *a);
void json_str(FILE *f, const char *s);
/* @p s text-escaped into @p buf (controls, invalid UTF-8 as \\xNN); returns buf. */
const char *text_str(char *buf, size_t len, const char *s);

/* collect.c */
int agent_collect_start(struct agent *a);
void agent_collect_round(struct agent *a);
void agent_collect_stop(struct agent *a);
void agent_evict_exited(struct agent *a);
void agent_print_tick(struct agent *a, unsigned tick);
void agent_print_summary(struct agent *a);

/* precheck.c: safemap_objcheck_object() on the skeleton's object before
 * load; 0, or -1 (reported) when the agent must not load it */
struct bpf_object;
int agent_precheck(struct agent *a, const struct bpf_object *obj);

/* scenes.c */
int agent_scene_mismatch(struct agent *a);
int agent_scene_intruder(struct agent *a);
void agent_scene_workers(struct agent *a);
void agent_reap_children(struct agent *a, bool wait_all);

#endif
