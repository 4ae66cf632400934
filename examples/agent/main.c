/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The libsafemap demo agent: a BPF program counts system calls per process
 * into a bounded kernel map; the agent opens that map through a spec
 * checked against BTF, folds it into a bounded user-space map from two
 * threads, guards it with the audit probe, and prints a top table and the
 * events of every second. See README.md ("The demo agent").
 *
 * Exit status: 0 done; 1 a setup step failed; 2 bad arguments; 77 not root
 * (or the kernel refuses BPF).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "syscount_bpf.skel.h"

volatile sig_atomic_t agent_stop;

double agent_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the agent expects of map 'syscount': checked when it is opened, the
 * value's layout against the map's BTF. */
SAFEMAP_DEFINE_LAYOUT(value_layout, struct proc_stat, calls, comm);
static const struct safemap_layout key_layout = { "__u32", sizeof(__u32), 0, NULL };
static const struct safemap_bpf_spec spec = {
	.sz = sizeof(struct safemap_bpf_spec),
	.map_type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct proc_stat),
	.max_entries = SYSCOUNT_MAX_ENTRIES,
	.max_entries_exact = true,
	.key_layout = &key_layout,
	.value_layout = &value_layout,
	.require_btf = true,
};

const struct safemap_bpf_spec *agent_spec(void);
const struct safemap_bpf_spec *agent_spec(void)
{
	return &spec;
}

static void on_signal(int sig)
{
	(void)sig;
	agent_stop = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static int usage(FILE *f, int status)
{
	fprintf(f,
		"usage: safemap-agent [--duration SECONDS] [--json] [--metrics FILE] [--state FILE]\n"
		"  Counts system calls per process with a BPF program into a bounded kernel\n"
		"  map, aggregates them into a libsafemap map from two threads, guards the\n"
		"  kernel map with the audit probe, and prints a top table and the events\n"
		"  of every second. Needs root.\n"
		"  --duration S   run S seconds (default 10); Ctrl-C ends it early\n"
		"  --json         JSON lines instead of text\n"
		"  --metrics FILE write the Prometheus text exposition to FILE every second\n"
		"                 (atomically: FILE.tmp, then rename)\n"
		"  --state FILE   keep the user-space map 'procs' across restarts: load FILE at\n"
		"                 start (a corrupt or mismatched file is refused), save it at the end\n"
		"exit status: 0 done, 1 a setup step failed, 2 bad arguments,\n"
		"             77 not root (or the kernel refuses BPF)\n");
	return status;
}

static int parse(struct agent *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	a->duration = 10;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:jm:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->duration = strtod(optarg, &end);
			if (*end || !(a->duration > 0) || a->duration > 86400) {
				fprintf(stderr, "safemap-agent: --duration: not a number of seconds "
						"in (0, 86400]: '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j': a->json = true; break;
		case 'm': a->metrics_path = optarg; break;
		case 's': a->state_path = optarg; break;
		case 'h': return usage(stdout, 0) ? 0 : -1;
		default:
			fprintf(stderr, "safemap-agent: bad option '%s' (try --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "safemap-agent: unexpected argument '%s' (try --help)\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* Load the BPF program, open its map through the spec, make the user-space
 * map, open the audit probe and guard the map. */
static int setup(struct agent *a)
{
	SAFEMAP_OPTS(safemap_bpf_opts, bo, .spec = &spec, .event_fn = agent_sink, .event_ctx = a);
	SAFEMAP_OPTS(safemap_type, type, .key_type = "pid_t", .value_type = "struct proc_total");
	SAFEMAP_OPTS(safemap_opts, mo, .name = "procs", .key_size = sizeof(uint32_t),
		     .value_size = sizeof(struct proc_total), .max_entries = AGENT_PROCS_MAX,
		     .type = &type, .event_fn = agent_sink, .event_ctx = a);
	SAFEMAP_OPTS(safemap_audit_opts, ao, .event_fn = agent_sink, .event_ctx = a);
	int err;

	a->skel = syscount_bpf__open();
	if (!a->skel) {
		agent_say(a, "error", "opening syscount.bpf.o: %s", strerror(errno));
		return -1;
	}
	if (agent_precheck(a, a->skel->obj)) /* the pre-load check (precheck.c) */
		return -1;
	err = syscount_bpf__load(a->skel);
	if (err) {
		agent_say(a, "error", "loading syscount.bpf.o: %s", strerror(-err));
		return -1;
	}
	err = syscount_bpf__attach(a->skel);
	if (err) {
		agent_say(a, "error", "attaching to raw tracepoint sys_enter: %s", strerror(-err));
		return -1;
	}
	a->skel_refused = &a->skel->bss->refused;
	err = safemap_bpf_open_map(a->skel->maps.syscount, &bo, &a->map);
	if (err) {
		agent_say(a, "error", "opening map 'syscount' through the spec: %s",
			  safemap_last_error());
		return -1;
	}
	a->map_id = safemap_bpf_id(a->map);
	agent_say(a, "bpf", "syscount.bpf.o loaded, raw_tracepoint/sys_enter attached; map "
		  "'syscount' (id %u, hash, key %u, value %u, max_entries %u) opened through a "
		  "spec: sizes and the value layout (calls, comm) match the map's BTF",
		  a->map_id, safemap_bpf_key_size(a->map), safemap_bpf_value_size(a->map),
		  safemap_bpf_max_entries(a->map));
	err = safemap_create(&mo, &a->procs);
	if (err) {
		agent_say(a, "error", "safemap_create: %s", safemap_last_error());
		return -1;
	}
	agent_say(a, "map", "user-space map 'procs': %u shards, max_entries %u (watermark event "
		  "at 90%%), fed by 2 aggregator threads", safemap_shard_count(a->procs),
		  AGENT_PROCS_MAX);
	agent_state_load(a);
	err = safemap_audit_open(&ao, &a->audit);
	if (err) {
		agent_say(a, "error", "safemap_audit_open: %s", safemap_last_error());
		return -1;
	}
	err = safemap_audit_guard_handle(a->audit, a->map, NULL);
	if (err < 0) {
		agent_say(a, "error", "guarding map 'syscount': %s", safemap_last_error());
		return -1;
	}
	agent_say(a, "audit", "guarding map 'syscount' (id %u): only this process (pid %d) may "
		  "write it from user space; %s", a->map_id, (int)getpid(),
		  safemap_audit_mode(a->audit));
	return 0;
}

static void teardown(struct agent *a)
{
	safemap_audit_close(a->audit);
	safemap_bpf_put(a->map);
	agent_state_save(a);
	safemap_destroy(a->procs);
	syscount_bpf__destroy(a->skel);
}

/* Wait until @p when, delivering audit reports as they come. */
static void wait_until(struct agent *a, double when)
{
	double left;

	while (!agent_stop && (left = when - agent_now()) > 0) {
		int ms = (int)ceil(left * 1000);

		safemap_audit_poll(a->audit, ms > 200 ? 200 : ms);
	}
}

int agent_write_metrics(struct agent *a);

int main(int argc, char **argv)
{
	static struct agent a; /* big (event log): not on the stack */
	struct sigaction sa;
	unsigned tick, ticks, wave2;
	int err;

	err = parse(&a, argc, argv);
	if (err)
		return err < 0 ? 0 : err;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		fprintf(stderr, "safemap-agent: needs root (it loads BPF programs and the audit "
				"probe): run it with sudo, or as root\n");
		return 77;
	}
	libbpf_set_print(libbpf_print);
	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.cond, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: the audit poll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	a.t0 = agent_now();
	if (!a.json)
		printf("safemap demo agent: pid %d, libsafemap %s, %.0f s (Ctrl-C ends it early)\n",
		       (int)getpid(), safemap_version(), a.duration);
	else
		printf("{\"type\":\"start\",\"pid\":%d,\"version\":\"%s\",\"duration\":%.3f}\n",
		       (int)getpid(), safemap_version(), a.duration);

	if (setup(&a) || agent_collect_start(&a)) {
		teardown(&a);
		return 1;
	}
	agent_scene_mismatch(&a);
	agent_scene_intruder(&a);
	agent_flush_events(&a);

	ticks = (unsigned)ceil(a.duration);
	wave2 = ticks >= 6 ? ticks / 2 + 1 : 0;
	for (tick = 1; tick <= ticks && !agent_stop; tick++) {
		wait_until(&a, a.t0 + (tick < ticks ? tick : a.duration));
		agent_reap_children(&a, false);
		agent_collect_round(&a);
		safemap_audit_poll(a.audit, 0);
		agent_print_tick(&a, tick);
		agent_flush_events(&a);
		agent_evict_exited(&a);
		if (a.metrics_path)
			agent_write_metrics(&a);
		if ((tick == 1 || tick == wave2) && tick < ticks && !agent_stop)
			agent_scene_workers(&a);
	}
	/* the last reports: the intruder's is normally in long ago */
	if (!a.intruder_reported) {
		double until = agent_now() + 1.0;

		while (!a.intruder_reported && agent_now() < until && !agent_stop)
			safemap_audit_poll(a.audit, 100);
	}
	agent_reap_children(&a, true);
	agent_collect_round(&a);
	safemap_audit_poll(a.audit, 0);
	agent_flush_events(&a);
	agent_collect_stop(&a);
	agent_print_summary(&a);
	teardown(&a);
	return 0;
}
