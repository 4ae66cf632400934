/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl audit --map ID|--pin PATH ...: guard maps with the audit
 * probe and print each report (a write by a process the policy does not
 * allow) as it arrives, until SIGINT/SIGTERM (or --duration); then print
 * the totals, lost reports included.
 * Exit 0: no report; 1: reports (or lost reports); 2: usage error, or the
 * probe cannot be loaded or a map guarded (needs root). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <safemap/audit.h>
#include <safemap/escape.h>

#include "cmd.h"
#include "ctl_util.h"

static const char audit_usage[] =
	"usage: safemapctl audit (--map ID | --pin PATH)... [--allow-pid PID]... [--allow-uid UID]...\n"
	"                        [--allow-cgroup PATH]... [--read-only] [--not-self]\n"
	"                        [--hook auto|tracepoint|raw]\n"
	"                        [--duration S] [--json]\n"
	"  Guard BPF maps with the audit probe and print every write to them by a\n"
	"  process the policy does not allow, as it happens, until Ctrl-C (SIGINT) or\n"
	"  SIGTERM; then the number of reports and of lost reports. By default only\n"
	"  safemapctl itself may write the guarded maps (so every other writer is\n"
	"  reported); the probe reports writes, it cannot block them.\n"
	"  --map ID          guard the map with this kernel id (repeatable)\n"
	"  --pin PATH        guard the map pinned at PATH (repeatable)\n"
	"  --allow-pid PID   also allow this process (repeatable, up to 8)\n"
	"  --allow-uid UID   also allow processes of this real user id (repeatable, up to 8)\n"
	"  --allow-cgroup PATH  also allow processes in this cgroup v2 or below it (a\n"
	"                    container): PATH under the cgroup2 mount, or relative to it\n"
	"                    (repeatable, up to 8)\n"
	"  --read-only       allow nobody (report every write from user space)\n"
	"  --not-self        do not allow safemapctl itself\n"
	"  --hook H          auto (default), tracepoint or raw (raw tracepoints)\n"
	"  --duration S      stop after S seconds\n"
	"  --json            JSON lines: guarding, event..., stopped\n"
	"exit status: 0 no report, 1 illegal writes reported (or reports lost),\n"
	"             2 usage error or failure (needs root)\n";

static void on_event(const struct safemap_event *ev, void *ctx)
{
	ctl_print_event(ev, *(bool *)ctx);
}

int cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "map", required_argument, NULL, 'm' },
		{ "pin", required_argument, NULL, 'p' },
		{ "allow-pid", required_argument, NULL, 'P' },
		{ "allow-uid", required_argument, NULL, 'U' },
		{ "allow-cgroup", required_argument, NULL, 'C' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "not-self", no_argument, NULL, 's' },
		{ "hook", required_argument, NULL, 'k' },
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct ctl_targets ts;
	static bool json;
	pid_t pids[SAFEMAP_AUDIT_MAX_ALLOWED];
	uid_t uids[SAFEMAP_AUDIT_MAX_ALLOWED];
	uint64_t cgroups[SAFEMAP_AUDIT_MAX_CGROUPS];
	size_t npids = 0, nuids = 0, ncgroups = 0, i;
	enum safemap_audit_hook hook = SAFEMAP_AUDIT_HOOK_AUTO;
	unsigned flags = 0;
	double duration = 0, end = 0;
	struct safemap_audit *a = NULL;
	struct safemap_audit_stats st;
	struct timespec now;
	uint64_t v;
	int c, err;

	optind = 1;
	while ((c = ctl_getopt("audit", argc, argv, longopts, &ts, audit_usage)) > 0) {
		switch (c) {
		case 'P':
			if (npids == SAFEMAP_AUDIT_MAX_ALLOWED || !ctl_parse_u64(optarg, 1, INT32_MAX, &v))
				return ctl_error("audit", "--allow-pid: not a process id, or more than "
						 "%d: '%s'", SAFEMAP_AUDIT_MAX_ALLOWED, optarg);
			pids[npids++] = (pid_t)v;
			break;
		case 'U':
			if (nuids == SAFEMAP_AUDIT_MAX_ALLOWED || !ctl_parse_u64(optarg, 0, UINT32_MAX - 1, &v))
				return ctl_error("audit", "--allow-uid: not a user id, or more than "
						 "%d: '%s'", SAFEMAP_AUDIT_MAX_ALLOWED, optarg);
			uids[nuids++] = (uid_t)v;
			break;
		case 'C':
			if (ncgroups == SAFEMAP_AUDIT_MAX_CGROUPS)
				return ctl_error("audit", "--allow-cgroup: at most %d",
						 SAFEMAP_AUDIT_MAX_CGROUPS);
			if (safemap_audit_cgroup_id(optarg, &cgroups[ncgroups]) != 0)
				return ctl_error("audit", "--allow-cgroup: %s", safemap_last_error());
			ncgroups++;
			break;
		case 'r': flags |= SAFEMAP_AUDIT_READ_ONLY; break;
		case 's': flags |= SAFEMAP_AUDIT_NOT_SELF; break;
		case 'k':
			if (!strcmp(optarg, "auto"))
				hook = SAFEMAP_AUDIT_HOOK_AUTO;
			else if (!strcmp(optarg, "tracepoint"))
				hook = SAFEMAP_AUDIT_HOOK_TRACEPOINT;
			else if (!strcmp(optarg, "raw"))
				hook = SAFEMAP_AUDIT_HOOK_RAW_TRACEPOINT;
			else
				return ctl_error("audit", "--hook: auto, tracepoint or raw, not '%s'",
						 optarg);
			break;
		case 'd':
			if (!ctl_parse_seconds(optarg, 86400 * 365.0, &duration) || duration == 0)
				return ctl_error("audit", "--duration: not a number of seconds: '%s'",
						 optarg);
			break;
		case 'j': json = true; break;
		}
	}
	if (c < 0)
		return c == CTL_OPT_HELP ? CTL_OK : CTL_ERROR;
	if (!ts.n)
		return ctl_error("audit", "no map to guard: give --map ID or --pin PATH");

	setvbuf(stdout, NULL, _IOLBF, 0);
	ctl_catch_signals();
	{
		SAFEMAP_OPTS(safemap_audit_opts, ao, .event_fn = on_event, .event_ctx = &json,
			     .hook = hook);
		SAFEMAP_OPTS(safemap_audit_policy, pol, .flags = flags, .tgids = pids,
			     .n_tgids = npids, .uids = uids, .n_uids = nuids,
			     .cgroup_ids = cgroups, .n_cgroup_ids = ncgroups);

		err = safemap_audit_open(&ao, &a);
		if (err)
			return ctl_error("audit", "%s", safemap_last_error());
		for (i = 0; i < ts.n; i++) {
			err = ts.t[i].pin ? safemap_audit_guard_pinned(a, ts.t[i].pin, &pol)
					  : safemap_audit_guard(a, ts.t[i].id, &pol);
			if (err < 0) {
				ctl_error("audit", "%s", safemap_last_error());
				safemap_audit_close(a);
				return CTL_ERROR;
			}
			if (!ts.t[i].pin) /* guard by id returns 0 */
				err = (int)ts.t[i].id;
			if (json) {
				printf("{\"type\":\"guarding\",\"map_id\":%d,\"pin\":", err);
				ctl_json_str(stdout, ts.t[i].pin ? ts.t[i].pin : "");
				printf(",\"mode\":");
				ctl_json_str(stdout, safemap_audit_mode(a));
				printf("}\n");
			} else {
				printf("guarding map id %d%s", err, ts.t[i].pin ? " pinned at " : "");
				ctl_text(stdout, ts.t[i].pin ? ts.t[i].pin : "", SAFEMAP_ESCAPE_CSTR);
				printf("; %s\n", safemap_audit_mode(a));
			}
		}
	}
	if (!json)
		printf("waiting for illegal writes (Ctrl-C stops)\n");
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (duration > 0)
		end = (double)now.tv_sec + (double)now.tv_nsec / 1e9 + duration;
	while (!ctl_stop) {
		int ms = 200;

		if (end) {
			double left;

			clock_gettime(CLOCK_MONOTONIC, &now);
			left = end - ((double)now.tv_sec + (double)now.tv_nsec / 1e9);
			if (left <= 0)
				break;
			if (left < 0.2)
				ms = (int)(left * 1000) + 1;
		}
		safemap_audit_poll(a, ms); /* -EINTR at a signal: the loop ends */
	}
	safemap_audit_poll(a, 0);
	safemap_audit_get_stats(a, &st);
	if (json)
		printf("{\"type\":\"stopped\",\"reports\":%llu,\"lost\":%llu}\n",
		       (unsigned long long)st.reports, (unsigned long long)st.lost);
	else
		printf("stopped: %llu report%s, %llu lost\n", (unsigned long long)st.reports,
		       st.reports == 1 ? "" : "s", (unsigned long long)st.lost);
	safemap_audit_close(a);
	return st.reports || st.lost ? CTL_FINDINGS : CTL_OK;
}
